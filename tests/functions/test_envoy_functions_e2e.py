"""Gateway functions of an old (format 2) project file in real Envoy on loopback: firewall 403s, JWT
401/403/200, cache hits, rate limit 429s, access log lines; and the simulator says the same for each
request. The file is opened by today's reader, which migrates the functions into Istio resources
(AuthorizationPolicy, RequestAuthentication, EnvoyFilter, Telemetry): these tests show the migrated
resources behave as the old functions did, through the same path as hand-written ones.

Bounded: two Envoy processes, a few dozen requests, every process stopped in ``finally``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import time

import pytest

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.analysis.simulate_envoy_filters import simulate_sequence
from meshdesigner.export.envoy import Address, EnvoyOptions, gateway_bootstrap
from meshdesigner.io.yamlio import dump
from meshdesigner.model import Gateway

from .designs import GATEWAY_ID, edge_design
from .e2e_support import CountingBackend, SigningKey, free_port, get, running_envoy, validate

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")]

HOST = "shop.example.com"
ISSUER = "https://issuer.test"


def _options(backend_port: int, port_map: dict[int, int]) -> EnvoyOptions:
    return EnvoyOptions(endpoints={"web.default.svc.cluster.local:80": Address("127.0.0.1", backend_port)},
                        listen_address="127.0.0.1", port_map=port_map, admin_port=free_port())


def _with_servers(project, ports: list[int]):
    """Give the design's gateway one plain HTTP server per port."""
    node = project.node(GATEWAY_ID)
    spec = node.gateway.spec.to_wire()
    spec["servers"] = [{"port": {"number": p, "protocol": "HTTP", "name": f"http-{p}"}, "hosts": [HOST]}
                       for p in ports]
    gateway = Gateway.from_wire({"metadata": node.gateway.metadata.to_wire(), "spec": spec})
    project.replace_node(node.model_copy(update={"gateway": gateway}))
    return project


def _write_config(project, options: EnvoyOptions, tmp_path) -> str:
    path = os.path.join(tmp_path, "envoy.yaml")
    with open(path, "w") as fh:
        fh.write(dump(gateway_bootstrap(project, project.node(GATEWAY_ID), options)))
    result = validate(path, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    return path


FIREWALL = {"firewall": {"rules": [
    {"action": "DENY", "remoteIpBlocks": ["127.0.0.0/8"], "ports": [81]},
    {"action": "ALLOW", "remoteIpBlocks": ["127.0.0.0/8"], "ports": [80]},
    {"action": "ALLOW", "remoteIpBlocks": ["10.0.0.0/8"], "ports": [82]},
]}}


def test_firewall_in_envoy(tmp_path):
    project = _with_servers(edge_design(FIREWALL), [80, 81, 82])
    ports = {80: free_port(), 81: free_port(), 82: free_port()}
    backend = CountingBackend()
    with backend.running():
        options = _options(backend.port, ports)
        config = _write_config(project, options, tmp_path)
        with running_envoy(config, options.admin_port, str(tmp_path), str(tmp_path / "envoy.log")):
            allowed = get(ports[80], "/hello", HOST)
            denied_range = get(ports[81], "/hello", HOST)
            not_allowed = get(ports[82], "/hello", HOST)
    assert allowed[0] == 200 and allowed[1] == "/hello #1\n"
    assert denied_range[0] == 403 and "RBAC" in denied_range[1]
    assert not_allowed[0] == 403
    assert backend.hits == {"/hello": 1}  # the denied requests never reached the backend
    # the simulator says the same, and why
    simulated = [simulate(project, "default/edge-gw", Request(f"http://{HOST}:{p}/hello", client_address="127.0.0.1"))
                 for p in (80, 81, 82)]
    assert [_status(r) for r in simulated] == [allowed[0], denied_range[0], not_allowed[0]]
    assert "DENY AuthorizationPolicy istio-system/edge-gw-deny spec.rules[0] matches (client 127.0.0.1)" \
        in simulated[1].explanation[-1]
    assert "no rule of them matches (client 127.0.0.1)" in simulated[2].explanation[-1]


ACCESS_LINE = re.compile(r'^\[[^\]]+\] "')  # Istio's text format; Envoy's own log lines go to stderr


def _access_lines(envoy_log, expected: int = 0) -> list[str]:
    """The access log lines Istio's built-in ``envoy`` provider writes to Envoy's stdout (waiting up to 10 s
    for ``expected`` of them: Envoy flushes its file loggers about once a second)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in envoy_log.read_text().splitlines() if ACCESS_LINE.match(line)]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def _status(result) -> int:
    """The status a simulated request ends with: Envoy's own answer, or the backend's 200."""
    return result.status if result.status is not None else 200


def _full_design(key: SigningKey, log_path: str):
    return edge_design({
        "jwt": {"rules": [{"issuer": ISSUER, "audiences": ["shop"], "jwks": key.jwks(),
                           "outputPayloadToHeader": "x-jwt-payload"}], "requirePrincipal": True},
        "cache": {"routes": [{"virtualService": "default/shop", "route": "cached"}], "maxBodyBytes": 65536},
        "rateLimits": [{"tokensPerFill": 2, "fillInterval": "60s",
                        "route": {"virtualService": "default/shop", "route": "limited"}}],
        "accessLog": {"path": log_path},
    })


def test_jwt_cache_rate_limit_and_access_log_in_envoy(tmp_path):
    key, stranger = SigningKey(), SigningKey()
    project = _full_design(key, str(tmp_path / "access.log"))  # an old file's path: Istio's provider logs to stdout
    port = free_port()
    good = {"Authorization": f"Bearer {key.token(ISSUER, audience='shop')}"}
    forged_headers = {"Authorization": f"Bearer {stranger.token(ISSUER, audience='shop')}"}
    expired_headers = {"Authorization": f"Bearer {key.token(ISSUER, audience='shop', expires_in=-120)}"}
    wrong_audience_headers = {"Authorization": f"Bearer {key.token(ISSUER, audience='other')}"}
    backend = CountingBackend()
    with backend.running():
        options = _options(backend.port, {80: port})
        config = _write_config(project, options, tmp_path)
        with running_envoy(config, options.admin_port, str(tmp_path), str(tmp_path / "envoy.log")):
            no_token = get(port, "/", HOST)
            forged = get(port, "/", HOST, forged_headers)
            expired = get(port, "/", HOST, expired_headers)
            wrong_audience = get(port, "/", HOST, wrong_audience_headers)
            valid = get(port, "/", HOST, good)
            first = get(port, "/static/app.js", HOST, good)
            second = get(port, "/static/app.js", HOST, good)
            main_twice = [get(port, "/page", HOST, good) for _ in range(2)]
            burst = [get(port, "/limited", HOST, good)[0] for _ in range(4)]
            lines = _access_lines(tmp_path / "envoy.log", 13)
    sent = [("/", {}), ("/", forged_headers), ("/", expired_headers), ("/", wrong_audience_headers), ("/", good),
            ("/static/app.js", good), ("/static/app.js", good), ("/page", good), ("/page", good)]
    sent += [("/limited", good)] * 4
    simulated = simulate_sequence(project, "edge-gw", [Request(f"http://{HOST}{path}", headers=dict(h))
                                                        for path, h in sent])
    assert no_token[0] == 403 and "RBAC" in no_token[1]
    assert forged[0] == 401 and expired[0] == 401
    assert "expired" in expired[1].lower()
    # Envoy answers a token for another audience with 403, not 401
    assert wrong_audience[0] == 403 and "audiences" in wrong_audience[1].lower()
    assert valid[0] == 200
    # the backend gets the verified payload, not the token (forwardOriginalToken is off)
    seen = backend.headers["/"]
    assert "authorization" not in seen
    payload = json.loads(base64.urlsafe_b64decode(seen["x-jwt-payload"] + "=" * (-len(seen["x-jwt-payload"]) % 4)))
    assert payload["iss"] == ISSUER and payload["sub"] == "alice"
    # the cached route: the second answer comes from Envoy's cache, the backend saw one request
    assert first[0] == second[0] == 200 and first[1] == second[1] == "/static/app.js #1\n"
    assert "age" in second[2]
    assert backend.hits["/static/app.js"] == 1
    # a route outside the route-scoped cache is not cached
    assert [r[1] for r in main_twice] == ["/page #1\n", "/page #2\n"]
    assert burst == [200, 200, 429, 429]
    assert backend.hits["/limited"] == 2
    assert len(lines) == 13
    codes = [line.split('"')[2].split()[0] for line in lines]
    assert codes[:5] == ["403", "401", "401", "403", "200"]
    assert codes.count("429") == 2 and all(HOST in line for line in lines)
    # the simulator agrees with Envoy request by request, and says why
    assert [_status(r) for r in simulated] == [int(c) for c in codes]
    assert "edge-gw-require-jwt spec.rules[0] matches" in simulated[0].explanation[-1]
    assert any("carries no token" in line for line in simulated[0].explanation)
    assert "Jwt verification fails" in simulated[1].explanation[-1]
    assert "Jwt is expired" in simulated[2].explanation[-1]
    assert "Audiences in Jwt are not allowed" in simulated[3].explanation[-1]
    assert simulated[5].functions["cache"]["hit"] is False and simulated[6].functions["cache"]["hit"] is True
    assert simulated[7].functions["cache"]["covered"] is False
    assert simulated[-1].functions["rate_limit"]["exceeded"] is True


def _tcp_exchange(port: int) -> bytes:
    """An HTTP request written on a raw TCP connection; b"" when the gateway closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        try:
            conn.sendall(b"GET /raw HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n")
            chunks = []
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
        except ConnectionResetError:
            return b""
    return b"".join(chunks)


def test_tcp_firewall_in_envoy(tmp_path):
    """Network RBAC: a denied peer range has its connection closed; an allowed one reaches the backend."""
    log_path = str(tmp_path / "tcp-access.log")
    project = edge_design({"firewall": {"rules": [{"action": "DENY", "ipBlocks": ["127.0.0.0/8"], "ports": [81]}]},
                           "accessLog": {"path": log_path}}, protocol="TCP")
    node = project.node(GATEWAY_ID)
    spec = node.gateway.spec.to_wire()
    spec["servers"] = [{"port": {"number": p, "protocol": "TCP", "name": f"tcp-{p}"}, "hosts": ["*"]} for p in (80, 81)]
    project.replace_node(node.model_copy(update={"gateway": Gateway.from_wire(
        {"metadata": node.gateway.metadata.to_wire(), "spec": spec})}))
    ports = {80: free_port(), 81: free_port()}
    backend = CountingBackend()
    with backend.running():
        options = _options(backend.port, ports)
        config = _write_config(project, options, tmp_path)
        with running_envoy(config, options.admin_port, str(tmp_path), str(tmp_path / "envoy.log")):
            allowed = _tcp_exchange(ports[80])
            denied = _tcp_exchange(ports[81])
            lines = _access_lines(tmp_path / "envoy.log", 2)
    assert allowed.startswith(b"HTTP/1.0 200") and b"/raw #1" in allowed
    assert denied == b""
    assert backend.hits == {"/raw": 1}
    simulated = [simulate(project, "edge-gw", Request(f"tcp://shop.example.com:{p}")) for p in (80, 81)]
    assert [r.outcome for r in simulated] == ["routed", "denied"]
    assert "closes the connection" in simulated[1].explanation[-1]
    assert len(lines) == 2  # one line per connection, the denied one included
