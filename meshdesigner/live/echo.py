"""Loopback HTTP backends that say who they are and what they received.

Each answers every request with 200, the header ``x-echo-backend: <name>`` and a JSON body
``{"backend", "path", "authority", "headers"}`` (header names in lower case), so a test can see
which cluster Envoy chose and what the request looked like after Envoy's rewrites.
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading

BACKEND_HEADER = "x-echo-backend"


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    backend_name = "?"
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        seen = {k.lower(): v for k, v in self.headers.items()}
        # the raw request target: http.server collapses a leading "//" in self.path, Envoy may send one
        target = self.requestline.split(" ")[1] if self.requestline.count(" ") >= 2 else self.path
        body = json.dumps({"backend": self.backend_name, "path": target, "authority": seen.get("host", ""),
                           "headers": seen}).encode()
        self.send_response(200)
        self.send_header(BACKEND_HEADER, self.backend_name)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, *_args) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class EchoBackends:
    """Start named echo backends on free loopback ports; ``close()`` stops them all (also as a context)."""

    def __init__(self) -> None:
        self._servers: list[_Server] = []

    def start(self, name: str) -> int:
        handler = type("EchoHandler", (_EchoHandler,), {"backend_name": name})
        server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._servers.append(server)
        return server.server_address[1]

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> EchoBackends:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
