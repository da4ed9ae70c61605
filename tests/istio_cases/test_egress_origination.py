"""An egress gateway originating TLS to external services, as in Istio's egress TLS origination task.

Answers from Istio's semantics (istiod ``applyUpstreamTLSSettings`` / ``buildUpstreamTLSContext``,
Istio 1.30): a DestinationRule applies by host, to any host of a ServiceEntry; ``tls.mode: SIMPLE``
without ``caCertificates`` verifies the server against the system's root CAs (a private CA is not
trusted: 503); without ``sni`` the SNI is the request's host (auto SNI) and the server certificate must
name it (auto SAN validation: a certificate for another name gives 503).
"""

from __future__ import annotations

from istio_cases.conftest import run_cases
from istio_cases.harness import Case, Design, Req, Want, cluster

HOSTS = ["api.partner.io", "second.partner.io", "third.partner.io", "fourth.partner.io", "fifth.partner.io",
         "sixth.partner.io"]


def route(host: str) -> str:
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {host.split('.')[0]}-egress, namespace: apps}}
spec:
  hosts: [{host}]
  gateways: [istio-system/istio-egressgateway, mesh]
  http:
  - match: [{{gateways: [mesh], port: 80}}]
    route: [{{destination: {{host: istio-egressgateway.istio-system.svc.cluster.local, port: {{number: 80}}}}}}]
  - match: [{{gateways: [istio-system/istio-egressgateway], port: 80}}]
    route: [{{destination: {{host: {host}, port: {{number: 443}}}}}}]"""


def origination(host: str, ca: bool, extra: str = "") -> str:
    tls = f"{{mode: SIMPLE, caCertificates: /etc/partner/ca.crt{extra}}}" if ca else "{mode: SIMPLE}"
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {host.split('.')[0]}-tls, namespace: apps}}
spec:
  host: {host}
  trafficPolicy:
    portLevelSettings:
    - port: {{number: 443}}
      tls: {tls}"""


MANIFESTS = "\n---\n".join([
    """apiVersion: v1
kind: Service
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]""",
    """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner-a, namespace: apps}
spec:
  hosts: [api.partner.io, fourth.partner.io]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  location: MESH_EXTERNAL""",
    """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner-b, namespace: apps}
spec:
  hosts: [second.partner.io, third.partner.io, fifth.partner.io, sixth.partner.io]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
  location: MESH_EXTERNAL""",
    """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [api.partner.io, second.partner.io, third.partner.io, fourth.partner.io, fifth.partner.io,
            sixth.partner.io]""",
    *(route(h) for h in HOSTS),
    origination("api.partner.io", ca=True),
    origination("second.partner.io", ca=False),
    origination("third.partner.io", ca=True),
    origination("fourth.partner.io", ca=True),
    origination("fifth.partner.io", ca=True, extra=", sni: real-fifth.partner.io"),
    origination("sixth.partner.io", ca=True, extra=", subjectAltNames: [expected.partner.io]"),
])

DESIGN = Design("egress", MANIFESTS, ports=(80,), ca_files=("/etc/partner/ca.crt",),
                tls_services={"api.partner.io": ("api.partner.io",), "second.partner.io": ("second.partner.io",),
                              "third.partner.io": ("wrong.partner.io",), "fourth.partner.io": ("fourth.partner.io",),
                              "fifth.partner.io": ("not-fifth.partner.io",), "sixth.partner.io": ("sixth.partner.io",)})
GW = "istio-system/istio-egressgateway"

CASES = [
    Case(GW, Req("api.partner.io", "/v1/x"),
         Want(200, "SIMPLE origination with the partner's CA: auto SNI api.partner.io, certificate names it",
              backend=cluster("api.partner.io", 443), path="/v1/x")),
    Case(GW, Req("second.partner.io"),
         Want(503, "SIMPLE without caCertificates verifies against the system roots: a private CA fails")),
    Case(GW, Req("third.partner.io"),
         Want(503, "auto SAN validation: the certificate names wrong.partner.io, not third.partner.io")),
    Case(GW, Req("fourth.partner.io"),
         Want(200, "a DestinationRule for the second host of a ServiceEntry applies to that host",
              backend=cluster("fourth.partner.io", 443))),
    Case(GW, Req("fifth.partner.io"),
         Want(200, "an explicit sni turns auto SAN validation off: only the CA is checked "
                   "(setAutoSniAndAutoSanValidation)", backend=cluster("fifth.partner.io", 443))),
    Case(GW, Req("sixth.partner.io"),
         Want(503, "explicit subjectAltNames must name the certificate (it names sixth.partner.io)")),
    Case(GW, Req("unknown.partner.io"), Want(404, "no server host and no virtual service for this host")),
]

test_egress_envoy, test_egress_simulate = run_cases(DESIGN, CASES)
