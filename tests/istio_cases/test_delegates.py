"""Delegation across namespaces: a root VirtualService hands path prefixes to child VirtualServices.

Istio (istiod ``mergeVirtualServicesIfNeeded`` / ``mergeHTTPRoutes``) merges each child rule under the
root rule that delegates to it: the child's matches are ANDed with the root's; a child match that
conflicts with the root's (a URI outside the root's prefix) is dropped, and a child rule left with no
match is dropped. Rules keep the root's order, children's rules in their own order.
"""

from __future__ import annotations

from istio_cases.conftest import run_cases
from istio_cases.harness import Case, Design, Req, Want, cluster


def c(name: str, namespace: str, subset: str = "") -> str:
    return cluster(f"{name}.{namespace}.svc.cluster.local", 9080, subset)


def service(name: str, namespace: str) -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 9080}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  host: {name}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
  - {{name: v2, labels: {{version: v2}}}}
  - {{name: v3, labels: {{version: v3}}}}"""


MANIFESTS = "\n---\n".join([
    service("productpage", "front"), service("reviews", "reviews"), service("ratings", "ratings"),
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: main-gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]""",
    """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: front}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/main-gw]
  http:
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews-child, namespace: reviews}
  - match: [{uri: {prefix: /ratings}}]
    delegate: {name: ratings-child, namespace: ratings}
  - route: [{destination: {host: productpage, subset: v1}}]""",
    """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-child, namespace: reviews}
spec:
  http:
  - match: [{uri: {prefix: /reviews/v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{uri: {prefix: /other}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - route: [{destination: {host: reviews, subset: v1}}]""",
    """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-child, namespace: ratings}
spec:
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: ratings, subset: v2}}]
  - route: [{destination: {host: ratings, subset: v1}}]""",
])

DESIGN = Design("delegates", MANIFESTS, ports=(80,))
GW = "istio-system/main-gw"
H = "shop.example.com"

CASES = [
    Case(GW, Req(H, "/reviews/v2/x"),
         Want(200, "child prefix /reviews/v2 lies within the root's /reviews", backend=c("reviews", "reviews", "v2"))),
    Case(GW, Req(H, "/reviews/abc"),
         Want(200, "the child's catch-all inherits the root's /reviews", backend=c("reviews", "reviews", "v1"))),
    Case(GW, Req(H, "/reviews/other"),
         Want(200, "the conflicting child rule (/other) was dropped: the child's catch-all serves",
              backend=c("reviews", "reviews", "v1"))),
    Case(GW, Req(H, "/other"),
         Want(200, "/other conflicts with /reviews, so it is not routed to reviews v3: the root's default",
              backend=c("productpage", "front", "v1"))),
    Case(GW, Req(H, "/ratings", headers={"end-user": "jason"}),
         Want(200, "root prefix /ratings AND the child's header match", backend=c("ratings", "ratings", "v2"))),
    Case(GW, Req(H, "/ratings/1"),
         Want(200, "no end-user header: the child's catch-all under /ratings", backend=c("ratings", "ratings", "v1"))),
    Case(GW, Req(H, "/", headers={"end-user": "jason"}),
         Want(200, "outside /ratings the child's header rule does not apply",
              backend=c("productpage", "front", "v1"))),
    Case(GW, Req("other.example.com", "/reviews/v2"),
         Want(404, "the root VirtualService binds shop.example.com only")),
]

test_delegates_envoy, test_delegates_simulate = run_cases(DESIGN, CASES)
