"""Gateways that select the same pods share one Envoy (istiod merges them per proxy), across namespaces;
two HTTPS servers on one port are told apart by SNI, each with its own certificate.

Answers written by hand from Istio's semantics: Gateways are selected for a proxy by their
``selector`` labels in every namespace (PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off by default); plain-HTTP
servers on one port share the route configuration ``http.80``; each HTTPS server has its own filter
chain (SNI) and route configuration holding only the virtual services bound to its Gateway.
"""

from __future__ import annotations

from istio_cases.conftest import run_cases
from istio_cases.harness import TLS_FAIL, Case, Design, Req, Want, cluster


def c(name: str, namespace: str) -> str:
    return cluster(f"{name}.{namespace}.svc.cluster.local", 80)


def service(name: str, namespace: str) -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]"""


def vs(name: str, namespace: str, host: str, gateway: str, dest: str) -> str:
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  hosts: [{host}]
  gateways: [{gateway}]
  http:
  - route: [{{destination: {{host: {dest}}}}}]"""


MANIFESTS = "\n---\n".join([
    service("svc-a", "edge"), service("svc-b", "edge"), service("svc-c", "other"), service("svc-d", "team-d"),
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-a, namespace: edge}
spec:
  selector: {app: edge-gw}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}""",
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-b, namespace: edge}
spec:
  selector: {app: edge-gw}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [b.example.com]
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: b-cert}""",
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-d, namespace: team-d}
spec:
  selector: {app: edge-gw}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [d.example.com]""",
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw-c, namespace: other}
spec:
  selector: {app: other-gw}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [c.example.com]""",
    vs("a", "edge", "a.example.com", "gw-a", "svc-a"),
    vs("b", "edge", "b.example.com", "gw-b", "svc-b"),
    vs("c", "other", "c.example.com", "gw-c", "svc-c"),
    vs("d", "team-d", "d.example.com", "gw-d", "svc-d"),
])

DESIGN = Design("shared", MANIFESTS, ports=(80, 443),
                credentials={"a-cert": ("a.example.com",), "b-cert": ("b.example.com",)})


def https(host: str, sni: str | None = None) -> Req:
    return Req(host, "/", scheme="https", port=443, sni=sni)


CASES = [
    Case("edge/gw-a", Req("a.example.com"), Want(200, "gw-a's own host", backend=c("svc-a", "edge"))),
    Case("edge/gw-a", Req("b.example.com"),
         Want(200, "gw-b selects the same pods: one Envoy, one http.80 with both hosts",
              backend=c("svc-b", "edge"))),
    Case("edge/gw-a", Req("d.example.com"),
         Want(200, "gw-d in another namespace selects the same labels: merged too (no namespace scoping "
                   "by default)", backend=c("svc-d", "team-d"))),
    Case("edge/gw-a", Req("c.example.com"), Want(404, "gw-c selects other pods: not on this Envoy")),
    Case("edge/gw-a", https("a.example.com"),
         Want(200, "SNI a.example.com: gw-a's chain, a-cert (the client verifies the name)",
              backend=c("svc-a", "edge"))),
    Case("edge/gw-a", https("b.example.com"),
         Want(200, "SNI b.example.com: gw-b's chain on the same port, with b-cert", backend=c("svc-b", "edge"))),
    Case("edge/gw-a", https("c.example.com"), Want(TLS_FAIL, "no server on 443 has host c.example.com")),
    Case("edge/gw-a", https("b.example.com", sni="a.example.com"),
         Want(404, "gw-a's HTTPS route configuration holds only virtual services bound to gw-a")),
    Case("edge/gw-b", Req("a.example.com"), Want(200, "the same Envoy seen from gw-b",
                                                 backend=c("svc-a", "edge"))),
    Case("edge/gw-b", https("a.example.com"), Want(200, "the same Envoy seen from gw-b, over TLS",
                                                   backend=c("svc-a", "edge"))),
    Case("team-d/gw-d", Req("b.example.com"), Want(200, "gw-d's Envoy is the shared one",
                                                   backend=c("svc-b", "edge"))),
    Case("other/gw-c", Req("c.example.com"), Want(200, "gw-c's own host", backend=c("svc-c", "other"))),
    Case("other/gw-c", Req("a.example.com"), Want(404, "gw-c's Envoy serves only c.example.com")),
    Case("other/gw-c", https("a.example.com"), Want("refused", "gw-c has no port 443")),
]

test_shared_envoy, test_shared_simulate = run_cases(DESIGN, CASES)
