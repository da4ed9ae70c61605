"""Real Envoy on loopback serving exported configs: HTTP, HTTPS with SNI verified against the CA,
mutual TLS, TCP and TLS passthrough reach the designed backends; redirects, direct responses, faults and
rewrites come back as designed; a wrong SNI and an unknown host fail the way Envoy fails.

Two Envoy start-ups for the whole module (the feature design, the private gateway of the examples).
"""

from __future__ import annotations

import collections
import pathlib
import socket
import ssl

import pytest
from envoy_support import ENVOY
from envoy_trial import gateway_trial

from conftest import EXAMPLES
from meshdesigner.analysis.simulate import Request
from meshdesigner.cli.common import open_design
from meshdesigner.io.importer import import_manifests

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]
FEATURES = pathlib.Path(__file__).parent / "data" / "features.yaml"
API_V1 = "outbound|8080|v1|api.shop.svc.cluster.local"
API_V2 = "outbound|8080|v2|api.shop.svc.cluster.local"
WEB = "outbound|80||web.shop.svc.cluster.local"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    project = import_manifests([str(FEATURES)]).project
    with gateway_trial(project, project.gateways()[0], str(tmp_path_factory.mktemp("shop"))) as trial:
        yield trial


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    project, _ = open_design(str(EXAMPLES / "public-private.mesh.yaml"))
    gateway = next(g for g in project.gateways() if g.gateway.name == "private-gateway")
    with gateway_trial(project, gateway, str(tmp_path_factory.mktemp("private"))) as trial:
        yield trial


def test_http_routes_by_header_and_method(shop):
    assert shop.send(Request("http://shop.example.com/api/x", headers={"end-user": "jason"})).backend == API_V2
    assert shop.send(Request("http://shop.example.com/anything", "POST")).backend == API_V2
    assert shop.send(Request("http://shop.example.com/anything")).backend == WEB


SPLIT_REQUESTS = 400
SPLIT_V1_BOUNDS = (235, 325)


def test_weighted_split_follows_the_weights(shop):
    """Envoy picks the weighted cluster once per request from a fresh random value (the stream id; our
    client sends no x-request-id, and retries stay in the picked cluster), so v1's count is
    Binomial(400, 0.7): mean 280, sd 9.2. It falls outside 235..325 (4.9 sd) with probability 8e-7
    (exact binomial tail), while a 50/50 or 90/10 split lands inside with probability < 3e-4.
    (The old check, v1 > v2 over 60 requests, failed once in 1,100 runs by chance alone.)"""
    before = shop.counters("api.shop.svc.cluster.local.upstream_rq_total")
    seen = collections.Counter(shop.send(Request("http://shop.example.com/api/orders")).backend
                               for _ in range(SPLIT_REQUESTS))
    after = shop.counters("api.shop.svc.cluster.local.upstream_rq_total")
    assert set(seen) == {API_V1, API_V2}, seen
    # every answer went through this trial's Envoy and the subset it picked (no other Envoy on our port)
    for cluster in (API_V1, API_V2):
        name = f"cluster.{cluster}.upstream_rq_total"
        assert after[name] - before.get(name, 0) >= seen[cluster], (seen, before, after)
    low, high = SPLIT_V1_BOUNDS
    assert low <= seen[API_V1] <= high, seen


def test_https_with_sni_verified_against_the_ca(shop):
    got = shop.send(Request("https://shop.example.com/api/x"), verify=True)
    assert got.kind == "backend" and got.backend in (API_V1, API_V2)
    got = shop.send(Request("https://secure.example.com/"), verify=True)  # file certificates server
    assert got.backend == WEB


def test_wrong_sni_fails_the_handshake(shop):
    got = shop.send(Request("https://other.example.com/"))
    assert got.kind == "tls_failed"


def test_unknown_host_gets_envoys_404(shop):
    got = shop.send(Request("http://unknown.example.com/"))
    assert (got.kind, got.status, got.headers.get("server")) == ("envoy", 404, "envoy")
    got = shop.send(Request("https://shop.example.com/", headers={"Host": "unknown.example.com"}), verify=True)
    assert (got.kind, got.status) == ("envoy", 404)


def test_redirects(shop):
    got = shop.send(Request("http://secure.example.com:8080/login?next=1"))
    assert (got.status, got.location) == (301, "https://secure.example.com:8080/login?next=1")
    got = shop.send(Request("http://shop.example.com/old"))
    assert (got.status, got.location) == (302, "http://shop.example.com/new")
    got = shop.send(Request("http://shop.example.com/moved/a"))
    assert (got.status, got.location) == (301, "https://new.example.com/moved/a")


def test_direct_responses_and_fault(shop):
    got = shop.send(Request("http://shop.example.com/healthz"))
    assert (got.kind, got.status, got.body) == ("envoy", 200, "ok")
    assert shop.send(Request("http://shop.example.com/teapot")).status == 418
    got = shop.send(Request("http://shop.example.com/broken"))
    assert (got.kind, got.status) == ("envoy", 503)


def test_rewrite_and_header_changes_reach_the_backend(shop):
    got = shop.send(Request("http://shop.example.com/items/42?v=2"))
    assert got.backend == API_V1 and got.headers["x-seen-path"] == "/42?v=2"
    got = shop.send(Request("http://shop.example.com/cors", headers={"Origin": "https://a.example.com"}))
    assert got.backend == WEB and got.headers["access-control-allow-origin"] == "https://a.example.com"


def test_tcp_weighted_and_tls_passthrough(shop):
    seen = {shop.send(Request("tcp://any:9000")).backend for _ in range(20)}
    assert seen == {"outbound|7000|v1|echo.shop.svc.cluster.local", "outbound|7000|v2|echo.shop.svc.cluster.local"}
    got = shop.send(Request("tls://db.example.com:9443"), verify=True)  # the backend's own certificate
    assert got.backend == "outbound|5432||db.example.com"
    assert shop.send(Request("tls://cache.example.com:9443")).backend == "outbound|6379||cache.shop.svc.cluster.local"
    assert shop.send(Request("tls://nope.example.com:9443")).kind in ("tls_failed", "closed")


def test_nothing_listens_on_a_port_the_gateway_lacks(shop):
    assert shop.send(Request("http://shop.example.com:7777/")).kind == "refused"


def test_mutual_tls_needs_a_client_certificate(private):
    got = private.send(Request("https://admin.corp.example.com/"), verify=True)
    assert got.backend == "outbound|8080||admin.shop.svc.cluster.local"
    context = ssl.create_default_context(cafile=private.client_cert[2])
    context.set_alpn_protocols(["http/1.1"])
    with (socket.create_connection(("127.0.0.1", private.port_map[443]), timeout=5) as raw,
          pytest.raises((ssl.SSLError, ConnectionError)),
          context.wrap_socket(raw, server_hostname="admin.corp.example.com") as tls):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: admin.corp.example.com\r\n\r\n")
        if not tls.recv(100):  # TLS 1.3: the rejection arrives after the handshake
            raise ConnectionError("closed without an answer")
