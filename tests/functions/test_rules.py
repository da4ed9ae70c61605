"""MD07xx: every gateway-function check has a design that triggers it and a close one that stays silent."""

from __future__ import annotations

import json

import pytest

from meshdesigner.analysis import analyze
from meshdesigner.analysis.messages import CATALOGUE
from meshdesigner.analysis.registry import registered_rules
from meshdesigner.model import ExternalServiceNode, KubeService, MeshServiceNode, ServiceEntry
from meshdesigner.model.project import ProjectSettings

from .designs import GATEWAY_ID, SELECTOR, edge_design
from .e2e_support import SigningKey

JWKS = SigningKey().jwks()


def with_service(project, **spec):
    node = project.node(GATEWAY_ID)
    wire = node.service.to_wire()
    wire["spec"].update(spec)
    project.replace_node(node.model_copy(update={"service": KubeService.from_wire(wire)}))
    return project


def with_servers(project, *servers):
    node = project.node(GATEWAY_ID)
    wire = node.gateway.to_wire()
    wire["spec"]["servers"] = list(servers)
    project.replace_node(node.model_copy(update={"gateway": type(node.gateway).from_wire(wire)}))
    return project


def with_settings(project, **settings):
    project.set_settings(ProjectSettings(**settings))
    return project


def add_entry(project, name, addresses, port=443):
    se = ServiceEntry.from_wire({"metadata": {"name": name, "namespace": "default"},
                                 "spec": {"hosts": [f"{name}.example.com"], "addresses": addresses,
                                          "ports": [{"number": port, "name": "tls", "protocol": "TLS"}],
                                          "resolution": "STATIC", "location": "MESH_EXTERNAL",
                                          "endpoints": [{"address": "192.0.2.10"}]}})
    project.add_node(ExternalServiceNode(id=f"external-service:default/{name}", service_entry=se))
    return project


def add_lb_service(project, name, ip):
    svc = KubeService.from_wire({"metadata": {"name": name, "namespace": "default"},
                                 "spec": {"type": "LoadBalancer", "loadBalancerIP": ip, "selector": {"app": name},
                                          "ports": [{"name": "http", "port": 80}]}})
    project.add_node(MeshServiceNode(id=f"mesh-service:default/{name}", service=svc))
    return project


def fw(*rules):
    return {"firewall": {"rules": list(rules)}}


def jwt(**kw):
    return {"jwt": {"rules": [{"issuer": "me", "jwks": JWKS}], **kw}}


def rl(**kw):
    return {"rateLimits": [{"tokensPerFill": 10, **kw}]}


LIMITED = {"virtualService": "default/shop", "route": "limited"}
TCP_SERVER = {"port": {"number": 31400, "protocol": "TCP", "name": "tcp"}, "hosts": ["*"]}
HTTP_SERVER = {"port": {"number": 80, "protocol": "HTTP", "name": "http"}, "hosts": ["shop.example.com"]}

CASES = [
    ("MD0701", lambda: with_service(edge_design(), ports=[{"name": "http", "port": 8080, "targetPort": 8081}]),
     lambda: with_service(edge_design(), ports=[{"name": "http", "port": 8080, "targetPort": 80}])),
    ("MD0702", lambda: with_service(edge_design(), loadBalancerIP="10.0.0.300"),
     lambda: with_service(edge_design(), loadBalancerIP="10.0.0.30")),
    ("MD0703", lambda: with_settings(with_service(edge_design(), loadBalancerIP="192.0.2.7"),
                                     address_ranges=("10.0.0.0/8",)),
     lambda: with_settings(with_service(edge_design(), loadBalancerIP="10.2.0.7"), address_ranges=("10.0.0.0/8",))),
    ("MD0704", lambda: add_lb_service(with_service(edge_design(), loadBalancerIP="10.0.0.5"), "other", "10.0.0.5"),
     lambda: add_lb_service(with_service(edge_design(), loadBalancerIP="10.0.0.5"), "other", "10.0.0.6")),
    ("MD0705", lambda: with_service(edge_design(), loadBalancerSourceRanges=["10.0.0.0/8", "10.1.0.0/16"]),
     lambda: with_service(edge_design(), loadBalancerSourceRanges=["10.0.0.0/8", "192.168.0.0/16"])),
    ("MD0706", lambda: with_service(edge_design(fw({"remoteIpBlocks": ["10.0.0.0/8"]})), externalTrafficPolicy="Cluster"),
     lambda: edge_design(fw({"remoteIpBlocks": ["10.0.0.0/8"]}))),
    ("MD0707", lambda: with_service(edge_design(), type="ClusterIP", externalTrafficPolicy=None,
                                    loadBalancerSourceRanges=["10.0.0.0/8"]),
     lambda: with_service(edge_design(), loadBalancerSourceRanges=["10.0.0.0/8"])),
    ("MD0708", lambda: with_service(edge_design(), ports=[{"name": "http", "port": 80, "nodePort": 8080}]),
     lambda: with_service(edge_design(), ports=[{"name": "http", "port": 80, "nodePort": 30080}])),
    ("MD0710", lambda: edge_design(fw({"action": "REJECT", "paths": ["/x"]})),
     lambda: edge_design(fw({"action": "DENY", "paths": ["/x"]}))),
    ("MD0711", lambda: edge_design(fw({"action": "DENY"})), lambda: edge_design(fw({"action": "DENY", "ports": [80]}))),
    ("MD0712", lambda: with_servers(edge_design(fw({"action": "ALLOW", "methods": ["GET"]})), HTTP_SERVER, TCP_SERVER),
     lambda: edge_design(fw({"action": "ALLOW", "methods": ["GET"]}))),
    ("MD0713", lambda: edge_design(fw({"ports": [8443]})), lambda: edge_design(fw({"ports": [80]}))),
    ("MD0714", lambda: edge_design(fw({"methods": ["get"]})), lambda: edge_design(fw({"methods": ["GET"]}))),
    ("MD0715", lambda: _no_selector(edge_design(fw({"paths": ["/x"]}))), lambda: _no_selector(edge_design())),
    ("MD0716", lambda: _twin(edge_design(fw({"paths": ["/x"]})), "istio-system"),
     lambda: _twin(edge_design(fw({"paths": ["/x"]})), "edge")),
    ("MD0717", lambda: edge_design(fw({"paths": ["/x"], "pathz": ["/y"]})), lambda: edge_design(fw({"paths": ["/x"]}))),
    ("MD0720", lambda: edge_design({"jwt": {"rules": [{"issuer": "me"}]}}), lambda: edge_design(jwt())),
    ("MD0721", lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwks": '{"keys": []}'}]}}),
     lambda: edge_design(jwt())),
    ("MD0722", lambda: edge_design({"jwt": {"requirePrincipal": True}}), lambda: edge_design(jwt(requirePrincipal=True))),
    ("MD0723", lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwksUri": "https://k.example.com/jwks"}]}}),
     lambda: edge_design(jwt())),
    ("MD0724", lambda: with_servers(edge_design(jwt(requirePrincipal=True)), HTTP_SERVER, TCP_SERVER),
     lambda: with_servers(edge_design(jwt()), HTTP_SERVER, TCP_SERVER)),
    ("MD0725", lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwks": JWKS}, {"issuer": "me", "jwks": JWKS}]}}),
     lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwks": JWKS}, {"issuer": "you", "jwks": JWKS}]}})),
    ("MD0726", lambda: edge_design(jwt(principals=["me/a*b"])), lambda: edge_design(jwt(principals=["me/a*"]))),
    ("MD0727", lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwks": JWKS,
                                                       "outputPayloadToHeader": "x payload"}]}}),
     lambda: edge_design({"jwt": {"rules": [{"issuer": "me", "jwks": JWKS, "outputPayloadToHeader": "x-payload"}]}})),
    ("MD0730", lambda: edge_design(rl(fillInterval="10ms")), lambda: edge_design(rl(fillInterval="100ms"))),
    ("MD0730", lambda: edge_design(rl(status=420)), lambda: edge_design(rl(status=503))),  # 420: no Envoy name
    ("MD0731", lambda: edge_design(rl(route={"virtualService": "default/shop", "route": "nope"})),
     lambda: edge_design(rl(route=LIMITED))),
    ("MD0732", lambda: edge_design({"rateLimits": [{"tokensPerFill": 1}, {"tokensPerFill": 2}]}),
     lambda: edge_design({"rateLimits": [{"tokensPerFill": 1}, {"tokensPerFill": 2, "route": LIMITED}]})),
    ("MD0733", lambda: _unnamed_route(edge_design({"cache": {"routes": [LIMITED]}})),
     lambda: _unnamed_route(edge_design({"cache": {}}))),
    ("MD0734", lambda: edge_design({"cache": {"maxBodyBytes": 0}}), lambda: edge_design({"cache": {"maxBodyBytes": 1}})),
    ("MD0735", lambda: edge_design({"cache": {}}, protocol="TCP"), lambda: edge_design({"cache": {}})),
]


def _no_selector(project):
    node = project.node(GATEWAY_ID)
    wire = node.gateway.to_wire()
    wire["spec"].pop("selector")
    project.replace_node(node.model_copy(update={"gateway": type(node.gateway).from_wire(wire)}))
    return project


def _twin(project, twin_namespace):
    """A second gateway named edge-gw in namespace prod whose policies go to ``twin_namespace``."""
    node = project.node(GATEWAY_ID)
    wire = node.gateway.to_wire()
    wire["metadata"]["namespace"] = "prod"
    functions = node.functions.model_copy(update={"workload_namespace": twin_namespace})
    project.add_node(node.model_copy(update={"id": "ingress-gateway:prod/edge-gw", "service": None,
                                             "functions": functions,
                                             "gateway": type(node.gateway).from_wire(wire)}))
    return project


def _unnamed_route(project):
    vs_node = project.node("virtual-service:default/shop")
    wire = vs_node.virtual_service.to_wire()
    wire["spec"]["http"][2].pop("name")
    project.replace_node(vs_node.model_copy(update={"virtual_service": type(vs_node.virtual_service).from_wire(wire)}))
    return project


def codes(project) -> dict[str, list]:
    out: dict[str, list] = {}
    for diag in analyze(project):
        out.setdefault(diag.code, []).append(diag)
    return out


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_triggers(code, trigger, silent):
    found = codes(trigger())
    assert code in found, f"{code} not reported; got {sorted(found)}"
    for diag in found[code]:
        assert diag.message and "{" not in diag.message


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_stays_silent(code, trigger, silent):
    found = codes(silent())
    assert code not in found, [d.format() for d in found[code]]


def test_every_md07_code_has_a_case_and_an_explanation():
    registered_rules()
    md07 = {m.code: m for m in CATALOGUE if m.code.startswith("MD07")}
    assert sorted(md07) == sorted({c[0] for c in CASES})
    assert all(len(m.explain) > 60 for m in md07.values())
    assert md07["MD0701"].istio == "IST0162"


def test_a_clean_function_design_has_no_md07_findings(tmp_path):
    project = edge_design({**fw({"remoteIpBlocks": ["10.0.0.0/8"], "ports": [80]}), **jwt(requirePrincipal=True),
                           "cache": {"routes": [{"virtualService": "default/shop", "route": "cached"}]},
                           "rateLimits": [{"tokensPerFill": 5, "route": LIMITED}], "accessLog": {}})
    found = codes(project)
    assert not [c for c in found if c.startswith("MD07")], json.dumps({c: [d.message for d in found[c]] for c in found})


def test_jwks_file_problems_are_reported(tmp_path):
    missing = edge_design({"jwt": {"rules": [{"issuer": "me", "jwksFile": str(tmp_path / "nope.json")}]}})
    assert "cannot read the file" in codes(missing)["MD0721"][0].message
    good = tmp_path / "jwks.json"
    good.write_text(JWKS)
    assert "MD0721" not in codes(edge_design({"jwt": {"rules": [{"issuer": "me", "jwksFile": str(good)}]}}))


def test_fronting_mesh_service_counts_as_the_gateway_service():
    project = edge_design(with_service=False)
    svc = KubeService.from_wire({"metadata": {"name": "ingress", "namespace": "istio-system"},
                                 "spec": {"selector": SELECTOR, "ports": [{"name": "http", "port": 8080}]}})
    project.add_node(MeshServiceNode(id="mesh-service:istio-system/ingress", service=svc))
    assert "port 80" in codes(project)["MD0701"][0].message


def test_service_entry_addresses_outside_ranges_and_duplicates():
    project = with_settings(add_entry(add_entry(edge_design(), "a", ["240.0.0.1"]), "b", ["240.0.0.0/24"]),
                            address_ranges=("10.0.0.0/8",))
    found = codes(project)
    assert len(found["MD0703"]) == 2 and len(found["MD0704"]) == 2
