"""TLS at the gateway: SIMPLE, MUTUAL, OPTIONAL_MUTUAL, minProtocolVersion, PASSTHROUGH by SNI and
httpsRedirect, all on one workload; the client chooses its certificate and TLS version.

Answers from Istio's semantics (istiod ``buildGatewayListenerTLSContext``): MUTUAL requires a client
certificate signed by the credential's ``ca.crt``; OPTIONAL_MUTUAL accepts no certificate but rejects
one that does not verify; ``minProtocolVersion: TLSV1_3`` refuses a TLS 1.2 client; PASSTHROUGH forwards
the TLS stream by SNI to the backend, which presents its own certificate.
"""

from __future__ import annotations

from istio_cases.conftest import run_cases
from istio_cases.harness import TLS_FAIL, Case, Design, Req, Want, cluster

MANIFESTS = """apiVersion: v1
kind: Service
metadata: {name: web, namespace: secure}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: pass-backend, namespace: secure}
spec:
  selector: {app: pass-backend}
  ports: [{name: https, port: 443}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: secure-gw, namespace: secure}
spec:
  selector: {istio: secure-gateway}
  servers:
  - port: {number: 443, name: https-simple, protocol: HTTPS}
    hosts: [simple.example.com]
    tls: {mode: SIMPLE, credentialName: simple-cert}
  - port: {number: 443, name: https-mutual, protocol: HTTPS}
    hosts: [mtls.example.com]
    tls: {mode: MUTUAL, credentialName: mtls-cert}
  - port: {number: 443, name: https-optional, protocol: HTTPS}
    hosts: [opt.example.com]
    tls: {mode: OPTIONAL_MUTUAL, credentialName: opt-cert}
  - port: {number: 443, name: https-tls13, protocol: HTTPS}
    hosts: [tls13.example.com]
    tls: {mode: SIMPLE, credentialName: tls13-cert, minProtocolVersion: TLSV1_3}
  - port: {number: 443, name: tls-pass, protocol: TLS}
    hosts: [pass.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [simple.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: secure}
spec:
  hosts: [simple.example.com, mtls.example.com, opt.example.com, tls13.example.com]
  gateways: [secure-gw]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass, namespace: secure}
spec:
  hosts: [pass.example.com]
  gateways: [secure-gw]
  tls:
  - match: [{sniHosts: [pass.example.com]}]
    route: [{destination: {host: pass-backend, port: {number: 443}}}]
"""

DESIGN = Design(
    "tls", MANIFESTS, ports=(80, 443),
    credentials={"simple-cert": ("simple.example.com",), "mtls-cert": ("mtls.example.com",),
                 "opt-cert": ("opt.example.com",), "tls13-cert": ("tls13.example.com",)},
    tls_services={"pass-backend.secure.svc.cluster.local": ("pass.example.com",)})
GW = "secure/secure-gw"
WEB = cluster("web.secure.svc.cluster.local", 80)
PASS = cluster("pass-backend.secure.svc.cluster.local", 443)


def https(host: str, **kw) -> Req:
    return Req(host, "/", scheme="https", port=443, **kw)


CASES = [
    Case(GW, https("simple.example.com"), Want(200, "SIMPLE: server certificate only", backend=WEB)),
    Case(GW, https("simple.example.com", client_cert="good"),
         Want(200, "SIMPLE never asks for a client certificate; one sent is ignored", backend=WEB)),
    Case(GW, https("mtls.example.com"), Want(TLS_FAIL, "MUTUAL without a client certificate")),
    Case(GW, https("mtls.example.com", client_cert="good"),
         Want(200, "MUTUAL with a certificate signed by the credential's ca.crt", backend=WEB)),
    Case(GW, https("mtls.example.com", client_cert="other-ca"),
         Want(TLS_FAIL, "MUTUAL with a certificate from another CA")),
    Case(GW, https("opt.example.com"), Want(200, "OPTIONAL_MUTUAL without a certificate", backend=WEB)),
    Case(GW, https("opt.example.com", client_cert="good"),
         Want(200, "OPTIONAL_MUTUAL with a valid certificate", backend=WEB)),
    Case(GW, https("opt.example.com", client_cert="other-ca"),
         Want(TLS_FAIL, "OPTIONAL_MUTUAL still rejects a certificate that does not verify")),
    Case(GW, https("tls13.example.com"), Want(200, "TLS 1.3 client, minProtocolVersion TLSV1_3", backend=WEB)),
    Case(GW, https("tls13.example.com", tls_max="1.2"),
         Want(TLS_FAIL, "a TLS 1.2 client below minProtocolVersion TLSV1_3")),
    Case(GW, https("simple.example.com", tls_max="1.2"),
         Want(200, "TLS 1.2 is Istio's default minimum for gateways", backend=WEB)),
    Case(GW, https("pass.example.com"),
         Want(200, "PASSTHROUGH by SNI: the backend terminates TLS with its own certificate", backend=PASS)),
    Case(GW, https("nowhere.example.com"), Want(TLS_FAIL, "no server on 443 has this SNI name")),
    Case(GW, Req("simple.example.com", "/a?b=1"),
         Want(301, "httpsRedirect: 301 to https, path and query kept",
              location="https://simple.example.com/a?b=1")),
]

test_tls_envoy, test_tls_simulate = run_cases(DESIGN, CASES)
