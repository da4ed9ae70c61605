"""A minimal Envoy bootstrap that serves given certificate files, and a bounded Envoy + curl runner.

Used by the end-to-end tests of ``meshdesigner cert create``: loopback only, every subprocess has a
timeout, and Envoy is stopped by its process group however the test ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import urllib.request

from meshdesigner.live import envoy_process

ENVOY = shutil.which("envoy")
CURL = shutil.which("curl")
START_TIMEOUT = 20
CURL_TIMEOUT = 10

TLS_SOCKET = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"


free_port = envoy_process.free_port


def tls_listener(name: str, port: int, cert: str, key: str, ca: str | None = None,
                 password_file: str | None = None) -> dict:
    """An HTTPS listener answering 200 "ok <name>" with the given certificate (MUTUAL when ``ca``)."""
    certificate = {"certificate_chain": {"filename": cert}, "private_key": {"filename": key}}
    if password_file:
        certificate["password"] = {"filename": password_file}
    context: dict = {"@type": TLS_SOCKET, "common_tls_context": {
        "alpn_protocols": ["h2", "http/1.1"], "tls_certificates": [certificate]}}
    if ca:
        context["require_client_certificate"] = True
        context["common_tls_context"]["validation_context"] = {"trusted_ca": {"filename": ca}}
    return {
        "name": name,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [{
            "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": context},
            "filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                "@type": HCM, "stat_prefix": name,
                "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [{
                    "match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {
                        "inline_string": f"ok {name}\n"}}}]}]},
                "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": ROUTER}}]}}],
        }],
    }


def bootstrap(admin_port: int, listeners: list[dict]) -> dict:
    return {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
            "static_resources": {"listeners": listeners}}


def write_bootstrap(path: str, config: dict) -> str:
    with open(path, "w") as fh:
        json.dump(config, fh, indent=1)
    return path


def running(argv: list[str], cwd: str, log_path: str, ready_url: str | None = None):
    """Start a process in its own group, wait (bounded) for ``ready_url`` to answer 200, always stop it."""
    return envoy_process.running(argv, log_path, ready_url, cwd, ready_timeout=START_TIMEOUT)


@contextlib.contextmanager
def running_envoy(config_path: str, admin_port: int, cwd: str):
    argv = [ENVOY, "-c", config_path, "--disable-hot-restart", "-l", "warning", "--base-id", str(admin_port)]
    with running(argv, cwd, os.path.join(cwd, "envoy.log"), f"http://127.0.0.1:{admin_port}/ready") as proc:
        yield proc


def curl(host: str, port: int, cacert: str, *extra: str, path: str = "/") -> subprocess.CompletedProcess:
    """``curl --cacert`` to https://host:port/ with ``host`` resolved to 127.0.0.1 (never the network)."""
    return subprocess.run([CURL, "-sS", "--max-time", "5", "--resolve", f"{host}:{port}:127.0.0.1",
                           "--cacert", cacert, *extra, f"https://{host}:{port}{path}"],
                          capture_output=True, text=True, timeout=CURL_TIMEOUT)


def envoy_counter(admin_port: int, name: str) -> int:
    """One counter from Envoy's admin ``/stats`` (0 when absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/stats?filter=^{name}$", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            key, _, value = line.partition(": ")
            if key == name:
                return int(value)
    return 0
