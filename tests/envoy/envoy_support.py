"""Helpers for tests that run the real Envoy: files for every secret, validation, a bounded Envoy process.

Every subprocess has a timeout; every process started is stopped in ``finally`` by its own
process group.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socketserver
import ssl
import subprocess
import threading

from meshdesigner.export.envoy import EnvoyOptions
from meshdesigner.live import envoy_process
from meshdesigner.tls import generate as certs

ENVOY = shutil.which("envoy")
VALIDATE_TIMEOUT = 60
START_TIMEOUT = 20


free_port = envoy_process.free_port


class Credentials:
    """One CA; a server certificate for the given hosts; a client certificate; written on demand."""

    def __init__(self, hosts: list[str]) -> None:
        self.ca = certs.create_ca("meshdesigner test CA", 2, key_type="ec")
        names = [h for h in dict.fromkeys(hosts) if h and h != "*"] or ["localhost"]
        self.server = certs.create_server_cert(self.ca, names, 2, key_type="ec")
        self.client = certs.create_client_cert(self.ca, "test-client", 2, key_type="ec")

    def write_for(self, bootstrap: dict, cwd: str) -> None:
        """Write every file the bootstrap's static secrets read (relative paths under ``cwd``)."""
        for secret in bootstrap.get("static_resources", {}).get("secrets", []):
            cert = secret.get("tls_certificate")
            if cert:
                self._write(cwd, cert["certificate_chain"]["filename"], self.server.cert_pem)
                self._write(cwd, cert["private_key"]["filename"], self.server.key_pem, private=True)
            ctx = secret.get("validation_context")
            if ctx:
                self._write(cwd, ctx["trusted_ca"]["filename"], self.ca.cert_pem)

    def write_client(self, directory: str) -> tuple[str, str, str]:
        """(client cert, client key, CA cert) paths for a test client."""
        cert, key = certs.write_pair(self.client, directory, "client")
        ca = os.path.join(directory, "ca.crt")
        with open(ca, "wb") as fh:
            fh.write(self.ca.cert_pem)
        return cert, key, ca

    @staticmethod
    def _write(cwd: str, path: str, data: bytes, private: bool = False) -> None:
        full = os.path.realpath(path if os.path.isabs(path) else os.path.join(cwd, path))
        if os.path.commonpath([full, os.path.realpath(cwd)]) != os.path.realpath(cwd):
            # A test never writes outside its own folder (a bootstrap naming /etc/ssl/certs/... once
            # replaced this machine's CA bundle): the options must point every file under ``cwd``.
            raise AssertionError(f"refusing to write {full}: outside the test folder {cwd}")
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if private:  # key files are created with mode 0600, never readable by others (issue 5)
            certs.write_private_file(full, data)
            return
        with open(full, "wb") as fh:
            fh.write(data)


def trial_options(root: str, **kw) -> EnvoyOptions:
    """Options whose certificate files all live under ``root`` (nothing read from / or /etc)."""
    kw.setdefault("system_ca_file", os.path.join(root, "system-roots", "ca-certificates.crt"))
    return EnvoyOptions(files_root=os.path.join(root, "files"), credentials_dir=os.path.join(root, "credentials"),
                        **kw)


def validate(config_path: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    """``envoy --mode validate`` with a timeout; the result's returncode is 0 when Envoy accepts it."""
    return subprocess.run([ENVOY, "--mode", "validate", "-c", config_path, "-l", "error",
                           "--disable-hot-restart"], cwd=cwd, capture_output=True, text=True,
                          timeout=VALIDATE_TIMEOUT)


@contextlib.contextmanager
def running_envoy(config_path: str, admin_port: int, cwd: str, log_path: str):
    """Start Envoy, wait (bounded) until its admin says ready, stop it however the block ends."""
    argv = [ENVOY, "-c", config_path, "--disable-hot-restart", "-l", "warning", "--base-id", str(admin_port)]
    with envoy_process.running(argv, log_path, f"http://127.0.0.1:{admin_port}/ready", cwd,
                               ready_timeout=START_TIMEOUT) as proc:
        yield proc


# ----- backends that answer with their own name -------------------------------------------------
class _NameHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    backend_name = "?"
    disable_nagle_algorithm = True  # headers and body are two writes: no Nagle/delayed-ACK stall between them

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = self.backend_name.encode()
        self.send_response(200)
        self.send_header("x-backend", self.backend_name)
        self.send_header("x-seen-path", self.path)
        self.send_header("x-seen-host", self.headers.get("host", ""))
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, *_args) -> None:
        pass


class _NameTcpHandler(socketserver.BaseRequestHandler):
    backend_name = "?"

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            self.request.sendall(self.backend_name.encode() + b"\n")


class _Threading(socketserver.ThreadingMixIn):
    daemon_threads = True
    allow_reuse_address = True


class _HttpServer(_Threading, http.server.HTTPServer):
    pass


class _TcpServer(_Threading, socketserver.TCPServer):
    pass


class Backends:
    """Small loopback servers (HTTP or raw TCP, optionally TLS) that answer with their name."""

    def __init__(self, credentials: Credentials | None = None, tmp: str | None = None) -> None:
        self._servers: list[socketserver.BaseServer] = []
        self._tls = None
        if credentials is not None and tmp is not None:
            cert, key = certs.write_pair(credentials.server, os.path.join(tmp, "backend"), "backend")
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(cert, key)

    def start(self, name: str, kind: str = "http", tls: bool = False) -> int:
        handler = type("Handler", (_NameHandler if kind == "http" else _NameTcpHandler,), {"backend_name": name})
        server_cls = _HttpServer if kind == "http" else _TcpServer
        server = server_cls(("127.0.0.1", 0), handler)
        if tls:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._servers.append(server)
        return server.server_address[1]

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
