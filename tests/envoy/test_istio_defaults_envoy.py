"""Istio's route behaviours through real Envoy serving our export, and the simulator giving the same answer.

Each expected answer is written by hand from istiod's code (named per case): a slow backend answers
504 after the route timeout (setTimeout), a missing header satisfies ``withoutHeaders`` since 1.22
(TranslateRouteMatch), redirects leave default ports out (ApplyRedirect), ``/x/../exact`` is normalized
before routing (pathNormalization BASE), ``fault.abort`` without a percentage aborts nothing
(TranslateFault), header operations reach the backend (TranslateHeadersOperations), and a consistent
hash on a header keeps one client on one endpoint (ConsistentHashToHashPolicy, RING_HASH).
"""

from __future__ import annotations

import http.client
import http.server
import os
import textwrap
import threading
import time

import pytest
from envoy_support import ENVOY, _HttpServer, free_port, running_envoy, trial_options, validate

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.compile import workload_for_gateway
from meshdesigner.export.envoy import Address, bootstrap_from_plan
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.yamlio import dump

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]

MANIFESTS = """
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: t}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: slow, namespace: t}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: sticky, namespace: t}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: sticky, namespace: t}
spec:
  host: sticky
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: t}
spec:
  host: echo
  trafficPolicy:
    connectionPool:
      tcp: {connectTimeout: 2s, maxConnections: 50}
      http: {http1MaxPendingRequests: 10, maxRequestsPerConnection: 5, idleTimeout: 30s}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: t}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [t.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: t}
spec:
  hosts: [t.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /slow}}]
    timeout: 0.5s
    route: [{destination: {host: slow}}]
  - name: public
    match: [{uri: {prefix: /public}, withoutHeaders: {x-internal: {exact: "yes"}}}]
    route: [{destination: {host: echo}}]
  - match: [{uri: {prefix: /public}}]
    directResponse: {status: 403}
  - match: [{uri: {prefix: /go}}]
    redirect: {scheme: https, port: 443}
  - match: [{uri: {exact: /exact}}]
    route: [{destination: {host: echo}}]
  - match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 503}}
    route: [{destination: {host: echo}}]
  - match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-route: r}, remove: [x-drop]}
      response: {set: {x-resp: route}}
    route:
    - destination: {host: echo}
      headers: {request: {set: {x-dest: d}}, response: {add: {x-resp-dest: d}}}
  - match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: sticky}}]
"""


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers with its name, the path and host it saw and every request header (as x-seen-<name>)."""

    protocol_version = "HTTP/1.1"
    name = "?"
    delay = 0.0
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        if self.delay:
            time.sleep(self.delay)
        body = self.name.encode()
        self.send_response(200)
        self.send_header("x-backend", self.name)
        self.send_header("x-seen-path", self.path)
        self.send_header("x-seen-host", self.headers.get("host", ""))
        for key, value in self.headers.items():
            self.send_header(f"x-seen-{key.lower()}", value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


def _serve(name: str, delay: float = 0.0) -> _HttpServer:
    handler = type("Echo", (_Echo,), {"name": name, "delay": delay})
    server = _HttpServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defaults")
    path = tmp / "design.yaml"
    path.write_text(textwrap.dedent(MANIFESTS))
    project = import_manifests([str(path)]).project
    servers = {"echo": _serve("echo"), "slow": _serve("slow", delay=1.5),
               "sticky-a": _serve("sticky-a"), "sticky-b": _serve("sticky-b")}
    try:
        port, admin = free_port(), free_port()
        endpoints = {f"{name}.t.svc.cluster.local:80": Address("127.0.0.1", servers[name].server_address[1])
                     for name in ("echo", "slow")}
        options = trial_options(str(tmp), endpoints=endpoints, listen_address="127.0.0.1", port_map={80: port},
                                admin_port=admin)
        plan = workload_for_gateway(project, "t/gw")
        bootstrap = bootstrap_from_plan(project, plan, options)
        for cluster in bootstrap["static_resources"]["clusters"]:
            if cluster["name"] == "outbound|80||sticky.t.svc.cluster.local":
                cluster["type"] = "STATIC"
                cluster.pop("dns_lookup_family", None)
                cluster["load_assignment"]["endpoints"] = [{"lb_endpoints": [
                    {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1",
                                                                 "port_value": servers[n].server_address[1]}}}}
                    for n in ("sticky-a", "sticky-b")]}]
        config = tmp / "envoy.yaml"
        config.write_text(dump(bootstrap))
        checked = validate(str(config), str(tmp))
        assert checked.returncode == 0, checked.stderr[-2000:]
        with running_envoy(str(config), admin, str(tmp), os.path.join(tmp, "envoy.log")):
            yield project, port, bootstrap
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.monotonic()
    try:
        conn.request("GET", path, headers={"Host": "t.example.com", **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, time.monotonic() - start
    finally:
        conn.close()


def _sim(project, path: str, headers: dict | None = None):
    return simulate(project, "t/gw", Request(f"http://t.example.com{path}", headers=dict(headers or {})))


def test_route_timeout_gives_504_after_the_timeout(gateway):
    project, port, _bootstrap = gateway
    status, _headers, seconds = _get(port, "/slow")
    assert status == 504 and 0.4 < seconds < 1.2       # setTimeout: 0.5s route timeout, backend takes 1.5 s
    assert _sim(project, "/slow").timeout == "0.5s"


def test_without_headers_matches_a_request_without_the_header(gateway):
    project, port, _bootstrap = gateway
    # Istio 1.22+: a missing header is the empty string, which is not "yes": the rule matches
    status, headers, _ = _get(port, "/public/a")
    assert (status, headers.get("x-backend")) == (200, "echo")
    assert _get(port, "/public/a", {"x-internal": "yes"})[0] == 403
    assert _sim(project, "/public/a").route_name == "public"
    assert _sim(project, "/public/a", {"x-internal": "yes"}).status == 403


def test_redirect_leaves_the_default_port_out(gateway):
    project, port, _bootstrap = gateway
    status, headers, _ = _get(port, "/go/x?y=1")
    assert (status, headers["location"]) == (301, "https://t.example.com/go/x?y=1")
    assert _sim(project, "/go/x?y=1").redirect["location"] == "https://t.example.com/go/x?y=1"


def test_dot_segments_are_normalized_before_routing(gateway):
    project, port, _bootstrap = gateway
    status, headers, _ = _get(port, "/x/../exact")
    assert (status, headers.get("x-seen-path")) == (200, "/exact")
    result = _sim(project, "/x/../exact")
    assert result.outcome == "routed" and result.upstream["path"] == "/exact"


def test_abort_without_percentage_aborts_nothing(gateway):
    project, port, _bootstrap = gateway
    assert [_get(port, "/abort")[0] for _ in range(5)] == [200] * 5
    result = _sim(project, "/abort")
    assert result.outcome == "routed" and result.status is None


def test_header_operations_at_both_levels_reach_the_backend_and_the_client(gateway):
    project, port, _bootstrap = gateway
    status, headers, _ = _get(port, "/headers", {"x-drop": "1", "x-keep": "2"})
    assert status == 200
    assert (headers.get("x-seen-x-route"), headers.get("x-seen-x-dest"), headers.get("x-seen-x-keep")) == ("r", "d", "2")
    assert "x-seen-x-drop" not in headers
    assert (headers.get("x-resp"), headers.get("x-resp-dest")) == ("route", "d")
    result = _sim(project, "/headers", {"x-drop": "1", "x-keep": "2"})
    seen = result.upstream["headers"]
    assert (seen.get("x-route"), seen.get("x-dest"), seen.get("x-keep"), "x-drop" in seen) == ("r", "d", "2", False)
    assert result.response_headers["set"] == {"x-resp": "route"}
    assert result.response_headers["add"] == {"x-resp-dest": "d"}


def test_consistent_hash_keeps_one_user_on_one_endpoint(gateway):
    project, port, _bootstrap = gateway
    backends = {_get(port, "/sticky", {"x-user": "alice"})[1]["x-backend"] for _ in range(20)}
    assert len(backends) == 1
    spread = {_get(port, "/sticky", {"x-user": f"user-{i}"})[1]["x-backend"] for i in range(40)}
    assert spread == {"sticky-a", "sticky-b"}      # 40 users on a two-host ring: both get some (p fail ~2e-12)
    dest = _sim(project, "/sticky").destinations[0]
    assert dest["load_balancer"] == {"consistent_hash": {"http_header_name": "x-user"}}


def test_connection_pool_settings_reach_the_cluster(gateway):
    """applyConnectionPool: connect timeout, circuit-breaker limits (Istio's defaults elsewhere: 2^32-1),
    requests per connection and idle timeout; Envoy accepted the config (validated by the fixture)."""
    project, port, bootstrap = gateway
    clusters = {c["name"]: c for c in bootstrap["static_resources"]["clusters"]}
    echo = clusters["outbound|80||echo.t.svc.cluster.local"]
    assert echo["connect_timeout"] == "2s"
    assert echo["circuit_breakers"]["thresholds"][0] == {
        "max_connections": 50, "max_pending_requests": 10, "max_requests": 4294967295, "max_retries": 4294967295,
        "track_remaining": True}
    options = echo["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert options["common_http_protocol_options"] == {"idle_timeout": "30s", "max_requests_per_connection": 5}
    slow = clusters["outbound|80||slow.t.svc.cluster.local"]
    assert slow["connect_timeout"] == "10s" and slow["circuit_breakers"]["thresholds"][0]["max_requests"] == 4294967295
    assert _get(port, "/exact")[0] == 200
