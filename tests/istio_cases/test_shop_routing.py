"""One ingress gateway, every HTTP routing feature: hosts, matches, precedence, rewrites, redirects,
header operations, timeouts, retries, a 3-way split, faults, CORS and mirroring.

Each answer is Istio's, written by hand with its reason (Istio 1.30 semantics, the project's default).
"""

from __future__ import annotations

from istio_cases.conftest import run_cases
from istio_cases.harness import Case, Design, Req, Want, cluster

NS = "shop"


def svc(name: str) -> str:
    return f"{name}.{NS}.svc.cluster.local"


def c(name: str, subset: str = "") -> str:
    return cluster(svc(name), 80, subset)


SERVICES = ["web", "login", "api", "items", "orders", "debug", "slow", "flaky", "mirror-target", "hash", "spread"]

MANIFESTS = "\n---\n".join([
    f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {NS}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]""" for name in SERVICES
] + [
    """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: shop}
spec:
  host: api
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}""",
    """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hash, namespace: shop}
spec:
  host: hash
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user}""",
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.shop.example.com", "api.shop.example.com", "nothing.example.com"]""",
    """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: www, namespace: shop}
spec:
  hosts: ["*.shop.example.com"]
  gateways: [shop-gw]
  http:
  - route: [{destination: {host: web}}]""",
    """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.shop.example.com]
  gateways: [shop-gw]
  http:
  - name: login
    match: [{uri: {exact: /login}}]
    route: [{destination: {host: login}}]
  - name: v2-by-header
    match: [{uri: {prefix: /v2}, headers: {x-version: {exact: "2"}}}]
    route: [{destination: {host: api, subset: v2}}]
  - name: items-regex
    match: [{uri: {regex: "/items/[0-9]+"}}]
    route: [{destination: {host: items}}]
  - name: orders-post
    match: [{uri: {prefix: /orders}, method: {exact: POST}}]
    route: [{destination: {host: orders}}]
  - name: debug-query
    match: [{queryParams: {debug: {exact: "1"}}}]
    route: [{destination: {host: debug}}]
  - name: never
    match: [{uri: {prefix: /beta}, withoutHeaders: {x-internal: {regex: ".*"}}}]
    route: [{destination: {host: api, subset: v3}}]
  - name: not-yes
    match: [{uri: {prefix: /gamma}, withoutHeaders: {x-internal: {exact: "yes"}}}]
    route: [{destination: {host: api, subset: v2}}]
  - name: first
    match: [{uri: {prefix: /first}}]
    route: [{destination: {host: api, subset: v1}}]
  - name: first-second
    match: [{uri: {prefix: /first/second}}]
    route: [{destination: {host: api, subset: v2}}]
  - name: strip
    match: [{uri: {prefix: /strip}}]
    rewrite: {uri: /}
    route: [{destination: {host: web}}]
  - name: authority
    match: [{uri: {prefix: /auth}}]
    rewrite: {authority: internal.api}
    route: [{destination: {host: web}}]
  - name: regex-rewrite
    match: [{uri: {prefix: /reg/}}]
    rewrite: {uriRegexRewrite: {match: "^/reg/(.*)$", rewrite: "/r/\\\\1"}}
    route: [{destination: {host: web}}]
  - name: redirect-full
    match: [{uri: {prefix: /redir-full}}]
    redirect: {uri: /new, authority: other.example.com, scheme: https, port: 443, redirectCode: 308}
  - name: redirect-port
    match: [{uri: {prefix: /redir-port}}]
    redirect: {scheme: https, port: 8443}
  - name: redirect-uri
    match: [{uri: {exact: /old}}]
    redirect: {uri: /new}
  - name: headers
    match: [{uri: {prefix: /hdr}}]
    headers:
      request: {set: {x-req-set: a}, add: {x-req-add: b}, remove: [x-drop]}
      response: {set: {x-resp-set: c}, remove: [x-backend-extra]}
    route:
    - destination: {host: web}
      headers:
        request: {set: {x-dest: d}}
        response: {add: {x-dest-resp: e}}
  - name: timeout
    match: [{uri: {prefix: /slow}}]
    timeout: 0.5s
    route: [{destination: {host: slow}}]
  - name: no-timeout
    match: [{uri: {prefix: /patient}}]
    route: [{destination: {host: slow}}]
  - name: retried
    match: [{uri: {prefix: /retry}}]
    retries: {attempts: 3, retryOn: 5xx}
    route: [{destination: {host: flaky}}]
  - name: default-retries
    match: [{uri: {prefix: /no-retry}}]
    route: [{destination: {host: flaky}}]
  - name: split
    match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: api, subset: v1}, weight: 50}
    - {destination: {host: api, subset: v2}, weight: 30}
    - {destination: {host: api, subset: v3}, weight: 20}
  - name: abort-unset-percentage
    match: [{uri: {prefix: /abort-none}}]
    fault: {abort: {httpStatus: 418}}
    route: [{destination: {host: web}}]
  - name: abort-all
    match: [{uri: {prefix: /abort-all}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: web}}]
  - name: delay
    match: [{uri: {prefix: /delay}}]
    fault: {delay: {fixedDelay: 0.4s, percentage: {value: 100}}}
    route: [{destination: {host: web}}]
  - name: cors
    match: [{uri: {prefix: /cors}}]
    corsPolicy:
      allowOrigins: [{exact: "https://app.example.com"}]
      allowMethods: [GET, PUT]
      allowHeaders: [x-token]
      maxAge: 1h
    route: [{destination: {host: web}}]
  - name: mirror
    match: [{uri: {prefix: /mirror}}]
    route: [{destination: {host: web}}]
    mirror: {host: mirror-target}
    mirrorPercentage: {value: 100}
  - name: hashed
    match: [{uri: {prefix: /hash}}]
    route: [{destination: {host: hash}}]
  - name: spread
    match: [{uri: {prefix: /spread}}]
    route: [{destination: {host: spread}}]
  - name: direct
    match: [{uri: {exact: /healthz}}]
    directResponse: {status: 200, body: {string: ok}}
  - name: default
    route: [{destination: {host: api, subset: v1}}]""",
])

DESIGN = Design("shop", MANIFESTS, ports=(80,), two_endpoints=(c("hash"), c("spread")))
GW = "shop/shop-gw"
API = "api.shop.example.com"


def get(path: str, host: str = API, **kw) -> Req:
    return Req(host, path, **kw)


CASES = [
    # hosts
    Case(GW, get("/", "www.shop.example.com"),
         Want(200, "the wildcard VS *.shop.example.com serves any subdomain", backend=c("web"))),
    Case(GW, get("/", API),
         Want(200, "api.shop.example.com: the exact virtual host wins over the wildcard; catch-all rule",
              backend=c("api", "v1"))),
    Case(GW, get("/", "nothing.example.com"),
         Want(404, "a server host no VirtualService binds gets no virtual host: 404 NR")),
    Case(GW, get("/", "elsewhere.org"),
         Want(404, "a host outside every server host: no virtual host")),
    Case(GW, get("/", "a.b.shop.example.com"),
         Want(200, "a wildcard host matches more than one label in Envoy domains", backend=c("web"))),
    # match kinds
    Case(GW, get("/login"), Want(200, "exact /login", backend=c("login"))),
    Case(GW, get("/login/x"), Want(200, "exact does not match a longer path: catch-all", backend=c("api", "v1"))),
    Case(GW, get("/v2/x", headers={"x-version": "2"}),
         Want(200, "prefix /v2 and header exact 2", backend=c("api", "v2"))),
    Case(GW, get("/v2/x", headers={"x-version": "3"}),
         Want(200, "header differs: catch-all", backend=c("api", "v1"))),
    Case(GW, get("/items/42"), Want(200, "regex /items/[0-9]+ matches the whole path", backend=c("items"))),
    Case(GW, get("/items/42/x"),
         Want(200, "Istio regexes are anchored (RE2 full match): no match", backend=c("api", "v1"))),
    Case(GW, get("/orders", method="POST"), Want(200, "method POST", backend=c("orders"))),
    Case(GW, get("/orders", method="GET"), Want(200, "GET is not POST: catch-all", backend=c("api", "v1"))),
    Case(GW, get("/anything?debug=1"), Want(200, "query parameter debug=1", backend=c("debug"))),
    Case(GW, get("/anything?debug=2"), Want(200, "debug=2 is not exact 1", backend=c("api", "v1"))),
    Case(GW, get("/beta"),
         Want(200, "withoutHeaders regex .*: a missing header is empty (1.22+), .* matches it, inverted: "
                   "no match", backend=c("api", "v1"))),
    Case(GW, get("/beta", headers={"x-internal": "no"}),
         Want(200, "withoutHeaders regex .* never matches a present header either", backend=c("api", "v1"))),
    Case(GW, get("/gamma"),
         Want(200, "withoutHeaders exact yes: missing header is '' != yes, inverted: match",
              backend=c("api", "v2"))),
    Case(GW, get("/gamma", headers={"x-internal": "yes"}),
         Want(200, "x-internal: yes is excluded", backend=c("api", "v1"))),
    # precedence
    Case(GW, get("/first/second"),
         Want(200, "first match wins: /first is listed before /first/second", backend=c("api", "v1"))),
    # rewrites
    Case(GW, get("/strip/x"),
         Want(200, "prefix /strip replaced by / gives //x (Envoy prefix_rewrite, as istiod writes it)",
              backend=c("web"), path="//x")),
    Case(GW, get("/strip"), Want(200, "/strip replaced by /", backend=c("web"), path="/")),
    Case(GW, get("/auth/y"),
         Want(200, "authority rewrite: the backend sees Host internal.api, path unchanged", backend=c("web"),
              authority="internal.api", path="/auth/y")),
    Case(GW, get("/reg/abc"),
         Want(200, "uriRegexRewrite ^/reg/(.*)$ -> /r/\\1", backend=c("web"), path="/r/abc")),
    # redirects
    Case(GW, get("/redir-full/x"),
         Want(308, "redirect with uri, authority, scheme https, port 443 (default port left out), code 308",
              location="https://other.example.com/new")),
    Case(GW, get("/redir-port/x"),
         Want(301, "scheme and non-default port; path kept; default code 301",
              location="https://api.shop.example.com:8443/redir-port/x")),
    Case(GW, get("/old"),
         Want(301, "uri replaces the path; host and scheme kept", location="http://api.shop.example.com/new")),
    # header operations at both levels
    Case(GW, get("/hdr", headers={"x-drop": "1", "x-req-set": "client"}),
         Want(200, "route request set/add/remove, destination request set; response set/remove, "
                   "destination response add", backend=c("web"),
              seen={"x-req-set": "a", "x-req-add": "b", "x-drop": None, "x-dest": "d"},
              response={"x-resp-set": "c", "x-dest-resp": "e", "x-backend-extra": None})),
    Case(GW, get("/plain"),
         Want(200, "no header operations on the catch-all: the backend's own headers pass",
              backend=c("api", "v1"), response={"x-resp-set": None})),
    # timeouts and retries
    Case(GW, get("/slow"),
         Want(504, "route timeout 0.5s before a 1.5 s backend: 504 upstream request timeout",
              timeout="0.5s", max_seconds=1.2)),
    Case(GW, get("/patient"),
         Want(200, "no timeout: Istio disables the route timeout (0s), the slow backend answers",
              backend=c("slow"), min_seconds=1.4)),
    Case(GW, get("/retry"),
         Want(200, "retryOn 5xx, 3 attempts: the first 503 is retried", backend=c("flaky"), retries_503=True)),
    Case(GW, get("/no-retry"),
         Want(503, "Istio's default retry policy (1.24+) does not retry a 503 response",
              backend=c("flaky"), backend_fails=True, retries_503=False)),
    # weighted split
    Case(GW, get("/split", repeat=200),
         Want(200, "weights 50/30/20 over 200 requests (bounds ~4 standard deviations)",
              split={c("api", "v1"): (70, 130), c("api", "v2"): (35, 85), c("api", "v3"): (18, 62)})),
    # faults
    Case(GW, get("/abort-none"),
         Want(200, "abort without percentage: Envoy's abort percentage defaults to 0, nothing aborted",
              backend=c("web"))),
    Case(GW, get("/abort-all"), Want(503, "abort 503 at 100%")),
    Case(GW, get("/delay"), Want(200, "fixed delay 0.4s at 100%", backend=c("web"), min_seconds=0.35)),
    # CORS
    Case(GW, get("/cors", method="OPTIONS",
                 headers={"origin": "https://app.example.com", "access-control-request-method": "PUT"}),
         Want(200, "a preflight from an allowed origin is answered by the gateway's CORS filter",
              response={"access-control-allow-origin": "https://app.example.com",
                        "access-control-allow-methods": "GET,PUT"})),
    Case(GW, get("/cors", method="OPTIONS",
                 headers={"origin": "https://evil.example.com", "access-control-request-method": "PUT"}),
         Want(200, "a preflight from another origin is forwarded (unmatchedPreflights defaults to FORWARD)",
              backend=c("web"))),
    Case(GW, get("/cors", headers={"origin": "https://app.example.com"}),
         Want(200, "a simple request from an allowed origin reaches the backend with the allow-origin header",
              backend=c("web"), response={"access-control-allow-origin": "https://app.example.com"})),
    # load balancing (each cluster gets a second endpoint after export)
    Case(GW, get("/hash", headers={"x-user": "alice"}, repeat=30),
         Want(200, "consistentHash on x-user: one user always reaches the same endpoint", hash_header="x-user")),
    Case(GW, get("/spread", repeat=30),
         Want(200, "Istio's default LEAST_REQUEST spreads requests over both endpoints", spread=True)),
    # mirror and direct response
    Case(GW, get("/mirror"),
         Want(200, "the primary answers; mirror-target gets a copy at 100%", backend=c("web"),
              mirrored_to=c("mirror-target"))),
    Case(GW, get("/healthz"), Want(200, "direct response 200 'ok' from the gateway", backend=None,
                                   response={"x-backend-extra": None})),
]


test_shop_envoy, test_shop_simulate = run_cases(DESIGN, CASES)
