"""MD11xx (egress paths and editor checks): each code, a design that triggers it and a close one that must not.

The expected answers follow Istio's egress tasks (istio.io "Egress Gateways", "Egress Gateways with TLS
Origination"), written by hand.
"""

from __future__ import annotations

import pytest

from meshdesigner.analysis import analyze
from meshdesigner.analysis.messages import BY_CODE
from meshdesigner.analysis.registry import load_rules

from .builders import design, dr, gw, meta, se, server, svc, vs

API = "api.partner.io"
EGRESS_SELECTOR = {"istio": "egressgateway"}
EGW_SVC = "istio-egressgateway.istio-system.svc.cluster.local"


def egress_gw(*servers):
    return gw(*servers, name="egw", ns="istio-system", selector=EGRESS_SELECTOR)


def egress_service():
    return svc("istio-egressgateway", ns="istio-system", ports=((80, "http2"), (443, "https")),
               selector=EGRESS_SELECTOR)


def api_se(ports=((443, "tls", "TLS"),)):
    return se("api", hosts=(API,), ports=ports)


def passthrough_vs(mesh_hop=True, gateways=("mesh", "istio-system/egw")):
    rules = []
    if mesh_hop:
        rules.append({"match": [{"gateways": ["mesh"], "port": 443, "sniHosts": [API]}],
                      "route": [{"destination": {"host": EGW_SVC, "port": {"number": 443}}}]})
    rules.append({"match": [{"gateways": ["istio-system/egw"], "port": 443, "sniHosts": [API]}],
                  "route": [{"destination": {"host": API, "port": {"number": 443}}}]})
    return vs("api-egress", hosts=(API,), gateways=gateways, http=None, tls=rules)


PASSTHROUGH_GW = server(443, "TLS", hosts=(API,), tls={"mode": "PASSTHROUGH"})
OK_PASSTHROUGH = [egress_gw(PASSTHROUGH_GW), egress_service(), api_se(), passthrough_vs()]

# The first mistake: the egress gateway's default HTTP server and an http route to the TLS port 443.
HTTP_TO_443 = vs("api-egress", hosts=(API,), gateways=("mesh", "istio-system/egw"), http=[
    {"match": [{"gateways": ["mesh"], "port": 80}],
     "route": [{"destination": {"host": EGW_SVC, "port": {"number": 80}}}]},
    {"match": [{"gateways": ["istio-system/egw"], "port": 80}],
     "route": [{"destination": {"host": API, "port": {"number": 443}}}]}])
ORIGINATE = dr("originate-tls-for-api", host=API, subsets=(), trafficPolicy={
    "portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE", "sni": API}}]})
HTTP_GW = server(80, "HTTP", hosts=(API,))
API_BOTH = api_se(ports=((80, "http", "HTTP"), (443, "https", "HTTPS")))

# The second mistake: a virtual service bound only to an ingress gateway routes to the egress gateway.
INGRESS = gw(server(80, "HTTP", hosts=("shop.example.com",)), name="shop-gw")
VIA_EGRESS_NO_MESH = vs("shop", hosts=("shop.example.com",), gateways=("shop-gw",), http=[
    {"route": [{"destination": {"host": EGW_SVC, "port": {"number": 80}}}]}])

CASES = [
    ("MD1101", [egress_gw(HTTP_GW), egress_service(), API_BOTH, HTTP_TO_443],
     [egress_gw(HTTP_GW), egress_service(), API_BOTH, HTTP_TO_443, ORIGINATE]),
    ("MD1102", [INGRESS, egress_gw(HTTP_GW), egress_service(), VIA_EGRESS_NO_MESH],
     [INGRESS, egress_gw(HTTP_GW), egress_service(),
      {**VIA_EGRESS_NO_MESH, "spec": {**VIA_EGRESS_NO_MESH["spec"], "gateways": ["shop-gw", "mesh"]}}]),
    ("MD1103", [egress_gw(PASSTHROUGH_GW), egress_service(), api_se(), passthrough_vs(mesh_hop=False)],
     OK_PASSTHROUGH),
    ("MD1104", [gw(server(443, "TLS", hosts=(API,), tls={"mode": "SIMPLE", "credentialName": "c"})),
                vs(hosts=(API,)), svc()],
     [gw(server(443, "HTTPS", hosts=(API,), tls={"mode": "SIMPLE", "credentialName": "c"})),
      vs(hosts=(API,)), svc()]),
    ("MD1105", [gw(server(tls={"mode": "SIMPLE", "serverCertificate": "/home/me/shop/creds/tls.crt",
                               "privateKey": "/home/me/shop/creds/tls.key"})), vs(), svc()],
     [gw(server(tls={"mode": "SIMPLE", "serverCertificate": "/etc/istio/certs/tls.crt",
                     "privateKey": "/etc/istio/certs/tls.key"})), vs(), svc()]),
]


def codes(docs) -> dict[str, list]:
    out: dict[str, list] = {}
    for diag in analyze(design(*docs)):
        out.setdefault(diag.code, []).append(diag)
    return out


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_triggers(code, trigger, silent):
    found = codes(trigger)
    assert code in found, f"{code} not reported; got {sorted(found)}"
    assert all(d.node_id and "{" not in d.message for d in found[code])


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_stays_silent(code, trigger, silent):
    assert code not in codes(silent)


def test_every_md11_code_has_a_case_and_an_explanation():
    load_rules()
    own = sorted(c for c in BY_CODE if c.startswith("MD11"))
    assert own == sorted(c for c, _, _ in CASES)
    for code in own:
        assert len(BY_CODE[code].explain) > 80


def test_istio_docs_passthrough_design_is_clean_of_md11():
    assert not [c for c in codes(OK_PASSTHROUGH) if c.startswith("MD11")]


def test_local_certificate_path_names_the_field():
    docs = CASES[-1][1]
    found = codes(docs)["MD1105"]
    assert {d.path for d in found} == {"spec.servers[0].tls.serverCertificate", "spec.servers[0].tls.privateKey"}


def test_mesh_hop_through_a_mesh_service_fronting_the_gateway():
    """A mesh Service selecting the egress gateway's pods is the gateway too (the egress example's shape)."""
    front = svc("egress-front", ns="istio-system", ports=((443, "https"),), selector=EGRESS_SELECTOR)
    route = vs("shop", hosts=("shop.example.com",), gateways=("shop-gw",), http=[
        {"route": [{"destination": {"host": "egress-front.istio-system.svc.cluster.local"}}]}])
    assert "MD1102" in codes([INGRESS, egress_gw(HTTP_GW), front, route])


def test_meta_is_present():
    assert meta("x")["name"] == "x"
