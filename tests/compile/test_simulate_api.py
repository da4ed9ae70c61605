"""The simulator's Python API beyond one gateway: requests from the mesh (sidecar -> egress gateway ->
external service), the client's TLS side, upstream TLS checks, and the JSON output staying compatible.
Expected answers are written from Istio's behaviour (named per test)."""

from __future__ import annotations

import json
import pathlib
import textwrap

import pytest

from conftest import SAMPLES
from meshdesigner.analysis.simulate import Request, SimulateOptions, simulate
from meshdesigner.analysis.simulate_mesh import FromMesh, simulate_request
from meshdesigner.cli import main
from meshdesigner.compile import compile_sidecar, workload_drops
from meshdesigner.io.importer import import_manifests
from meshdesigner.tls import generate as certs


def design(tmp_path, text: str):
    path = tmp_path / "design.yaml"
    path.write_text(textwrap.dedent(text))
    return import_manifests([str(path)]).project


def sample(name: str):
    if not (SAMPLES / name).is_file():
        pytest.skip(f"{SAMPLES / name} is absent")
    return import_manifests([str(SAMPLES / name)]).project


# ----- from the mesh ----------------------------------------------------------------------------
def test_mesh_request_goes_through_the_egress_gateway_to_the_external_service():
    project = sample("docs-egress-gateway-http.yaml")
    result = simulate_request(project, FromMesh("default"), Request("http://edition.cnn.com/politics"))
    # the mesh-bound rule sends it to the egress gateway (subset cnn), whose rule sends it to cnn on 80
    assert [h["gateway"] for h in result.hops] == ["mesh:default", "default/istio-egressgateway"]
    assert result.hops[0]["destinations"][0]["cluster"] == \
        "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"
    assert (result.outcome, result.destinations[0]["cluster"]) == ("routed", "outbound|80||edition.cnn.com")
    assert result.upstream["authority"] == "edition.cnn.com" and result.upstream["path"] == "/politics"
    assert simulate_request(project, "mesh:default", Request("http://edition.cnn.com/")).hops[-1]["gateway"] == \
        "default/istio-egressgateway"


def test_mesh_istio_mutual_hop_then_tls_origination():
    project = sample("docs-egress-gateway-tls-origination-istio-mutual.yaml")
    result = simulate_request(project, FromMesh("default"), Request("http://edition.cnn.com/politics"))
    second = result.hops[1]
    # the sidecar reaches the egress gateway over ISTIO_MUTUAL with SNI edition.cnn.com (the DR's sni)
    assert second["tls"]["mode"] == "ISTIO_MUTUAL" and second["tls"]["sni"] == "edition.cnn.com"
    assert result.outcome == "routed"
    # the gateway originates SIMPLE TLS to cnn: no sni in the DR -> automatic SNI from the host
    assert result.upstream_tls["mode"] == "SIMPLE" and result.upstream_tls["sni"] == "edition.cnn.com"
    assert result.upstream_tls["auto_san_validation"] and result.upstream_tls["system_roots"]


def test_mesh_default_route_and_passthrough(tmp_path):
    project = design(tmp_path, """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: shop}
        spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
        """)
    result = simulate_request(project, FromMesh("shop"), Request("http://reviews:9080/x"))
    # no VirtualService: the sidecar's default route to the service (short name from its own namespace)
    assert (result.outcome, result.destinations[0]["cluster"]) == ("routed",
                                                                   "outbound|9080||reviews.shop.svc.cluster.local")
    assert simulate_request(project, FromMesh("shop"), Request("http://unknown.example.org/")).outcome == "passthrough"
    plan = compile_sidecar(project, "shop", 9080)
    assert plan.listeners[0].chains[0].route_config.name == "9080"


def test_cli_simulate_from_mesh_json_keeps_the_old_keys(tmp_path, capsys):
    path = SAMPLES / "docs-egress-gateway-http.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert main(["simulate", str(path), "--from-mesh", "default", "--url", "http://edition.cnn.com/",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    old_keys = {"gateway", "outcome", "explanation", "port", "protocol", "servers", "tls", "virtual_host",
                "virtual_service", "rule_index", "match_index", "section", "route_name", "skipped", "destinations",
                "status", "redirect", "direct_response", "rewrite", "fault", "timeout", "retries", "mirrors",
                "cors", "headers", "functions"}
    assert old_keys <= set(data)
    assert data["istio_version"] and len(data["hops"]) == 2 and data["upstream"]["path"] == "/"


# ----- the client's TLS side ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("pki")
    ca = certs.create_ca("test CA", 2, key_type="ec")
    other = certs.create_ca("other CA", 2, key_type="ec")
    (root / "files" / "certs").mkdir(parents=True)
    (root / "files" / "certs" / "ca.pem").write_bytes(ca.cert_pem)
    good = certs.write_pair(certs.create_client_cert(ca, "client", 2, key_type="ec"), str(root / "good"), "c")
    bad = certs.write_pair(certs.create_client_cert(other, "client", 2, key_type="ec"), str(root / "bad"), "c")
    partner = certs.write_pair(certs.create_server_cert(ca, ["api.partner.io"], 2, key_type="ec"),
                               str(root / "partner"), "s")
    return {"root": str(root / "files"), "good": good, "bad": bad, "partner": partner[0]}


MUTUAL = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: t}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: mtls, protocol: HTTPS}
    hosts: [m.example.com]
    tls: {mode: MUTUAL, serverCertificate: /certs/s.pem, privateKey: /certs/s.key, caCertificates: /certs/ca.pem}
  - port: {number: 443, name: new, protocol: HTTPS}
    hosts: [new.example.com]
    tls: {mode: SIMPLE, credentialName: new, minProtocolVersion: TLSV1_3}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: t}
spec:
  hosts: [m.example.com, new.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
"""


def test_mutual_tls_and_minimum_version_at_the_gateway(tmp_path, pki):
    project = design(tmp_path, MUTUAL)

    def ask(url, **kw):
        return simulate(project, "t/gw", Request(url, files_root=pki["root"], **kw)).outcome

    # buildGatewayListenerTLSContext: MUTUAL requires a certificate signed by caCertificates
    assert ask("https://m.example.com/") == "tls_refused"
    assert ask("https://m.example.com/", client_cert=pki["good"][0], client_key=pki["good"][1]) == "routed"
    assert ask("https://m.example.com/", client_cert=pki["bad"][0], client_key=pki["bad"][1]) == "tls_refused"
    # minProtocolVersion TLSV1_3 refuses a client offering at most TLS 1.2; Envoy's default minimum is 1.2
    assert ask("https://new.example.com/", tls_version="1.2") == "tls_refused"
    assert ask("https://new.example.com/", tls_version="TLSv1.3") == "routed"
    assert ask("https://m.example.com/", tls_version="1.1", client_cert=pki["good"][0]) == "tls_refused"


ORIGINATION = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: egress}
spec:
  hosts: [api.partner.io, other.partner.io]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: other, namespace: egress}
spec:
  host: other.partner.io
  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /certs/ca.pem}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egw, namespace: egress}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.partner.io"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: out, namespace: egress}
spec:
  hosts: [api.partner.io, other.partner.io]
  gateways: [egw]
  http:
  - match: [{authority: {exact: other.partner.io}}]
    route: [{destination: {host: other.partner.io, port: {number: 443}}}]
"""


def test_destination_rule_for_a_second_host_applies_and_checks_the_certificate(tmp_path, pki):
    project = design(tmp_path, ORIGINATION)
    # the DestinationRule names the ServiceEntry's second host: it applies to that host (by host)
    certificate = {"other.partner.io": pki["partner"]}
    result = simulate(project, "egress/egw", Request("http://other.partner.io/", files_root=pki["root"],
                                                     upstream_certificates=certificate))
    # auto SNI other.partner.io; the certificate names api.partner.io: auto SAN validation fails -> 503
    assert (result.outcome, result.status) == ("upstream_tls_failed", 503)
    assert result.upstream_tls["sni"] == "other.partner.io"
    options = SimulateOptions(files_root=pki["root"])
    assert simulate(project, "egress/egw", Request("http://other.partner.io/"), options).outcome == "routed"


# ----- what istiod drops ---------------------------------------------------------------------------
def test_drops_of_servers_and_delegates(tmp_path):
    project = design(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: t}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 31400, name: tcp, protocol: TCP}
            hosts: ["*"]
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [a.example.com]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root, namespace: t}
        spec:
          hosts: [a.example.com]
          gateways: [gw]
          http:
          - match: [{uri: {prefix: /reviews}}]
            delegate: {name: child, namespace: c}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: child, namespace: c}
        spec:
          http:
          - match: [{uri: {prefix: /other}}]
            route: [{destination: {host: other}}]
          - route: [{destination: {host: reviews}}]
        """)
    drops = {(d.code, d.ref, d.field) for d in workload_drops(project)}
    # a TCP server without a tcp route gets no chain (MD0805), so port 31400 has no listener (MD0806);
    # the child's /other cannot narrow the root's /reviews (mergeHTTPRoute, hasConflict): dropped (MD0807)
    assert drops == {("MD0805", "t/gw", "spec.servers[0]"), ("MD0806", "t/gw", "port 31400"),
                     ("MD0807", "c/child", "spec.http[0]")}
    result = simulate(project, "t/gw", Request("http://a.example.com/reviews/1"))
    assert result.destinations[0]["host"] == "reviews.c.svc.cluster.local"
    assert result.delegate == {"name": "child", "namespace": "c"}
    assert simulate(project, "t/gw", Request("http://a.example.com/other")).outcome == "no_route"


def test_mesh_tls_passthrough_through_the_egress_gateway():
    from meshdesigner.cli.common import open_design

    examples = pathlib.Path(__file__).resolve().parents[2] / "examples"
    project, _ = open_design(str(examples / "egress.mesh.yaml"))
    result = simulate_request(project, FromMesh("default"), Request("https://api.payments.example.com/"))
    # tls[0] (gateways: mesh) sends the stream to the egress gateway, whose tls[1] passes it to the API
    assert [h["gateway"] for h in result.hops] == ["mesh:default", "istio-system/istio-egressgateway"]
    assert (result.hops[0]["section"], result.hops[0]["rule_index"]) == ("tls", 0)
    assert (result.outcome, result.section, result.rule_index) == ("routed", "tls", 1)
    assert result.destinations[0]["cluster"] == "outbound|443||api.payments.example.com"


@pytest.mark.envoy
def test_sidecar_routes_render_as_an_envoy_config_envoy_accepts(tmp_path):
    import shutil
    import subprocess

    from meshdesigner.export.envoy import EnvoyOptions, bootstrap_from_plan
    from meshdesigner.io.yamlio import dump

    if shutil.which("envoy") is None:
        pytest.skip("envoy is not installed")
    project = sample("docs-egress-gateway-http.yaml")
    plan = compile_sidecar(project, "default", 80)
    bootstrap = bootstrap_from_plan(project, plan, EnvoyOptions(listen_address="127.0.0.1", admin_port=0))
    route_config = bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][-1][
        "typed_config"]["route_config"]
    assert route_config["name"] == "80"
    assert "edition.cnn.com" in route_config["virtual_hosts"][0]["domains"]
    path = tmp_path / "sidecar.yaml"
    path.write_text(dump(bootstrap))
    checked = subprocess.run(["envoy", "--mode", "validate", "-c", str(path), "-l", "error", "--disable-hot-restart"],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr[-2000:]
