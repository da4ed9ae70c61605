"""MD07xx: every address check and the rate-limit bucket check have a design that triggers them and a close
one that stays silent (designs with functions come from old project files, migrated to resources)."""

from __future__ import annotations

import json

import pytest

from meshdesigner.analysis import analyze
from meshdesigner.analysis.messages import CATALOGUE
from meshdesigner.analysis.registry import registered_rules
from meshdesigner.model import ExternalServiceNode, KubeService, MeshServiceNode, ServiceEntry
from meshdesigner.model.project import ProjectSettings
from meshdesigner.model.security import policy_from_manifest

from .designs import GATEWAY_ID, SELECTOR, edge_design
from .e2e_support import SigningKey

JWKS = SigningKey().jwks()


def with_service(project, **spec):
    node = project.node(GATEWAY_ID)
    wire = node.service.to_wire()
    wire["spec"].update(spec)
    project.replace_node(node.model_copy(update={"service": KubeService.from_wire(wire)}))
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
    ("MD0730", lambda: edge_design(rl(fillInterval="10ms")), lambda: edge_design(rl(fillInterval="100ms"))),
    ("MD0730", lambda: edge_design(rl(status=420)), lambda: edge_design(rl(status=503))),  # 420: no Envoy name
    ("MD0730", lambda: _hand_written_limit(status={"code": 420}), lambda: _hand_written_limit()),
    ("MD0730", lambda: _hand_written_limit(token_bucket={"max_tokens": 0, "tokens_per_fill": 1, "fill_interval": "1s"}),
     lambda: _hand_written_limit(token_bucket={"max_tokens": 1, "tokens_per_fill": 1, "fill_interval": "1s"})),
]


def _hand_written_limit(**config):
    """The edge design with a hand-written local rate limit EnvoyFilter (Istio's task's shape)."""
    project = edge_design()
    value = {"stat_prefix": "http_local_rate_limiter",
             "token_bucket": {"max_tokens": 4, "tokens_per_fill": 4, "fill_interval": "60s"},
             "filter_enabled": {"default_value": {"numerator": 100}},
             "filter_enforced": {"default_value": {"numerator": 100}}, **config}
    project.add_policy(policy_from_manifest({
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": "local-limit", "namespace": "istio-system"},
        "spec": {"workloadSelector": {"labels": SELECTOR}, "configPatches": [{
            "applyTo": "HTTP_FILTER",
            "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
                "name": "envoy.filters.network.http_connection_manager"}}}},
            "patch": {"operation": "INSERT_BEFORE", "value": {"name": "envoy.filters.http.local_ratelimit", "typed_config": {
                "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
                "type_url": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                "value": value}}}}]}}))
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
