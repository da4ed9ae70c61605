"""Rules that can never match (shadowed by an earlier rule), and how the flow marks them."""

from __future__ import annotations

import pytest

from meshdesigner.analysis.flow import compute_flow
from meshdesigner.analysis.rule_order import shadowed_rule_indices, shadowed_rules
from meshdesigner.model import Project, VirtualService, VirtualServiceNode


def vs(http=None, tls=None, tcp=None, gateways=None) -> VirtualService:
    spec = {"hosts": ["shop.example.com"]}
    for key, value in (("http", http), ("tls", tls), ("tcp", tcp), ("gateways", gateways)):
        if value is not None:
            spec[key] = value
    return VirtualService.from_wire({"metadata": {"name": "shop", "namespace": "edge"}, "spec": spec})


def route(host="web"):
    return [{"destination": {"host": host}}]


def uri(kind, value, **extra):
    return {"uri": {kind: value}, **extra}


@pytest.mark.parametrize(("matches", "shadowed"), [
    # a rule after a catch-all never matches
    ([None, [uri("prefix", "/api")]], {1: 0}),
    # prefix /api covers prefix /api/v1 and exact /api/x
    ([[uri("prefix", "/api")], [uri("prefix", "/api/v1")], [uri("exact", "/api/x")]], {1: 0, 2: 0}),
    # prefix / covers everything: the rule is a catch-all even though it has a match
    ([[uri("prefix", "/")], [{"headers": {"x": {"exact": "1"}}}]], {1: 0}),
    # a later rule with an extra condition is still covered
    ([[uri("prefix", "/api")], [uri("prefix", "/api", headers={"end-user": {"exact": "jason"}})]], {1: 0}),
    # the other way round is fine: the narrower rule first
    ([[uri("prefix", "/api", headers={"end-user": {"exact": "jason"}})], [uri("prefix", "/api")]], {}),
    # a rule is only unreachable when all its matches are covered
    ([[uri("prefix", "/api")], [uri("prefix", "/api/v1"), uri("prefix", "/web")]], {}),
    # regexes are never assumed to cover anything else
    ([[uri("regex", "/api.*")], [uri("prefix", "/api")]], {}),
    # different methods do not cover each other
    ([[uri("prefix", "/api", method={"exact": "GET"})], [uri("prefix", "/api", method={"exact": "POST"})]], {}),
    # a case-insensitive later match is wider than a case-sensitive earlier one
    ([[uri("prefix", "/api")], [uri("prefix", "/api", ignoreUriCase=True)]], {}),
    # a match for one gateway does not cover a match for all of them
    ([[uri("prefix", "/api", gateways=["mesh"])], [uri("prefix", "/api")]], {}),
    # two rules without matches: the second never matches (Istio's "only the last rule can have no matches")
    ([None, None], {1: 0}),
])
def test_shadowed_http_rules(matches, shadowed):
    rules = [({"match": m} if m is not None else {}) | {"route": route()} for m in matches]
    found = shadowed_rule_indices(vs(http=rules), "http")
    assert {i: r.by for i, r in found.items()} == shadowed
    for r in found.values():
        assert r.istio_code == "IST0130" and r.path == f"spec.http[{r.index}]" and r.reason


def test_ineffective_single_match_is_reported():
    rules = [{"match": [uri("prefix", "/api")], "route": route()},
             {"match": [uri("prefix", "/api/v1"), uri("prefix", "/web")], "route": route()}]
    shadowed, ineffective = shadowed_rules(vs(http=rules))
    assert shadowed == []
    assert [(m.index, m.match_index, m.by, m.path) for m in ineffective] == [(1, 0, 0, "spec.http[1].match[0]")]


def test_shadowed_tls_rules_use_sni_wildcards():
    rules = [{"match": [{"sniHosts": ["*.example.com"]}], "route": route()},
             {"match": [{"sniHosts": ["api.example.com"], "port": 443}], "route": route()},
             {"match": [{"sniHosts": ["api.other.org"]}], "route": route()}]
    assert set(shadowed_rule_indices(vs(tls=rules), "tls")) == {1}


def test_shadowed_tcp_rules_by_port():
    rules = [{"match": [{"port": 31400}], "route": route()},
             {"match": [{"port": 31400}], "route": route()},
             {"match": [{"port": 9000}], "route": route()}]
    assert set(shadowed_rule_indices(vs(tcp=rules), "tcp")) == {1}


def test_the_flow_marks_a_shadowed_rule_and_says_why():
    project = Project("shadow")
    rules = [{"name": "all", "route": route("web")},
             {"name": "api", "match": [uri("prefix", "/api")], "route": route("api")}]
    project.add_node(VirtualServiceNode(id="virtual-service:edge/shop", virtual_service=vs(http=rules)))
    graph = compute_flow(project)
    router = graph.node("router:virtual-service:edge/shop@routing")
    api = router.row("rule:http:1")
    assert "shadowed" in api.marks and api.facts["shadowed_by"] == 0
    assert api.note.startswith("never matches: rule 1 \"all\" has no match condition")
    assert "shadowed" not in router.row("rule:http:0").marks
    # Destinations no design node holds are drawn as missing, not dropped.
    assert {e.target for e in graph.edges if e.kind == "routes"} == {
        "missing:web.edge.svc.cluster.local", "missing:api.edge.svc.cluster.local"}
