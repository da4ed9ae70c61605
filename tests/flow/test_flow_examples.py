"""The request flow of every bundled example: nodes in their lanes, edges, weights and the TLS facts shown."""

from __future__ import annotations

import json
import pathlib

import pytest

from meshdesigner.analysis.flow import (
    INTERNET,
    LANES,
    MESH_CLIENTS,
    FlowGraph,
    compute_flow,
    route_shares,
)
from meshdesigner.io.project_file import load_project

# The bundled examples (repository files; the oracle is reached through tests/conftest.py).
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def example_files() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.mesh.yaml"))


EXAMPLE_NAMES = [p.name for p in example_files()]


def flow_of(name: str, gateway: str | None = None) -> FlowGraph:
    return compute_flow(load_project(EXAMPLES / name), gateway)


def routes(graph: FlowGraph, router: str) -> list[tuple[str, str, str | None, float]]:
    return sorted((e.source_row, e.target, e.subset, e.share) for e in graph.edges
                  if e.source == router and e.kind == "routes")


# ----- invariants on every example ----------------------------------------------------------------
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_has_a_consistent_flow(name):
    graph = flow_of(name)
    ids = [n.id for n in graph.nodes]
    assert len(ids) == len(set(ids)), "flow node ids are unique"
    assert len({e.key for e in graph.edges}) == len(graph.edges), "edge keys are unique"
    for edge in graph.edges:
        source, target = graph.node(edge.source), graph.node(edge.target)
        if edge.source_row:
            assert source.row(edge.source_row) is not None, edge.key
        if edge.target_row:
            assert target.row(edge.target_row) is not None, edge.key
        # Traffic flows left to right through the lanes.
        assert source.column < target.column, edge.key
    project = load_project(EXAMPLES / name)
    for node in project:  # every designed node is drawn (services behind an ingress gateway fold into it)
        assert graph.nodes_for_model(node.id) or node.kind == "mesh-service", node.id
    assert all(n.lane in LANES for n in graph.nodes)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_weights_of_each_rule_add_up_to_100(name):
    graph = flow_of(name)
    per_rule: dict[tuple[str, str], float] = {}
    for edge in graph.edges:
        if edge.kind == "routes":
            key = (edge.source, edge.source_row)
            per_rule[key] = per_rule.get(key, 0.0) + edge.share
    assert per_rule, "every example routes somewhere"
    for key, total in per_rule.items():
        assert total == pytest.approx(100.0), key


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_json_and_dot_outputs_describe_the_same_graph(name):
    graph = flow_of(name)
    data = json.loads(graph.to_json_text())
    assert [n["id"] for n in data["nodes"]] == [n.id for n in graph.nodes]
    assert len(data["edges"]) == len(graph.edges)
    dot = graph.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(graph.edges)
    assert graph.to_json_text() == flow_of(name).to_json_text(), "deterministic"


# ----- the seed ---------------------------------------------------------------------------------
def test_seed_flow_reads_client_gateway_rule_service():
    graph = flow_of("seed.mesh.yaml")
    assert [(n.lane, n.title) for c in graph.columns().values() for n in c] == [
        ("Clients", "Internet clients"), ("Ingress", "ext-host-gwy"), ("Routing", "virtual-svc"),
        ("Services", "my-svc")]
    gateway = graph.node("node:ingress-gateway:default/ext-host-gwy")
    server = gateway.row("server:0")
    assert server.facts["port"] == 443 and server.facts["protocol"] == "HTTPS"
    assert server.facts["tls_mode"] == "SIMPLE" and server.facts["terminates_tls"] is True
    assert server.facts["hosts"] == ["ext-host.example.com"]
    assert server.facts["credential"] == "/etc/certs/servercert.pem"
    assert server.text == "443 HTTPS · SIMPLE 🔒 · SNI ext-host.example.com"
    assert gateway.row("server:0:cert").text == "cert servercert.pem"
    enters = [e for e in graph.edges if e.source == INTERNET]
    assert [(e.target_row, e.label) for e in enters] == [("server:0", "HTTPS :443")]
    binds = [e for e in graph.edges if e.kind == "binds"]
    assert [(e.source_row, e.target, e.label) for e in binds] == [
        ("server:0", "router:virtual-service:default/virtual-svc@routing", ":443")]
    router = "router:virtual-service:default/virtual-svc@routing"
    assert routes(graph, router) == [("rule:http:0", "node:mesh-service:default/my-svc", None, 100.0)]
    assert graph.node(router).rows[0].text == "1  to-my-svc: everything  → my-svc"
    assert MESH_CLIENTS not in [n.id for n in graph.nodes], "nothing is bound to the mesh"


# ----- bookinfo: weights and subsets -------------------------------------------------------------
def test_bookinfo_canary_weights_and_subsets():
    graph = flow_of("bookinfo.mesh.yaml")
    router = "router:virtual-service:bookinfo/bookinfo@routing"
    productpage = "node:mesh-service:bookinfo/productpage"
    assert routes(graph, router) == [
        ("rule:http:0", productpage, "v2", 100.0),
        ("rule:http:1", productpage, "v1", 90.0),
        ("rule:http:1", productpage, "v2", 10.0),
        ("rule:http:2", "node:mesh-service:bookinfo/details", None, 100.0),
    ]
    rows = graph.node(router).rows
    assert [r.key for r in rows] == ["rule:http:0", "rule:http:1", "rule:http:2", "rule:http:3"]
    assert "→ productpage v1 90% · v2 10%" in rows[1].text
    assert rows[3].facts["direct_response"] == 200 and "direct-response" in rows[3].marks
    labels = sorted(e.label for e in graph.edges if e.source == router and e.source_row == "rule:http:1")
    assert labels == ["v1 90%", "v2 10%"]
    # The mesh-internal reviews shift is fed by the mesh's workloads, not by the gateway.
    reviews = "router:virtual-service:bookinfo/reviews@routing"
    assert [e.source for e in graph.edges if e.target == reviews] == [MESH_CLIENTS]
    assert routes(graph, reviews) == [("rule:http:0", "node:mesh-service:bookinfo/reviews", "v1", 80.0),
                                      ("rule:http:0", "node:mesh-service:bookinfo/reviews", "v3", 20.0)]
    subsets = graph.node("node:mesh-service:bookinfo/reviews").row("subsets")
    assert subsets.facts["subsets"] == ["v1", "v2", "v3"]


def test_bookinfo_gateway_scope_leaves_out_the_mesh_only_route():
    graph = flow_of("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway")
    ids = {n.id for n in graph.nodes}
    assert "router:virtual-service:bookinfo/reviews@routing" not in ids
    assert MESH_CLIENTS not in ids and "node:mesh-service:bookinfo/ratings" not in ids
    assert {"node:mesh-service:bookinfo/productpage", "node:mesh-service:bookinfo/details"} <= ids
    assert graph.scope == "bookinfo/bookinfo-gateway"


def test_unknown_gateway_scope_names_the_gateways():
    with pytest.raises(KeyError, match="bookinfo/bookinfo-gateway"):
        flow_of("bookinfo.mesh.yaml", "bookinfo/nope")


# ----- egress: two hops ----------------------------------------------------------------------------
def test_egress_flow_crosses_the_egress_gateway_to_the_external_service():
    graph = flow_of("egress.mesh.yaml")
    order = [(n.lane, n.id) for c in graph.columns().values() for n in c]
    assert order == [
        ("Clients", MESH_CLIENTS),
        ("Routing", "router:virtual-service:default/payments-via-egress@routing"),
        ("Services", "node:mesh-service:istio-system/istio-egressgateway"),
        ("Egress", "node:egress-gateway:istio-system/istio-egressgateway"),
        ("Egress", "router:virtual-service:default/payments-via-egress@egress"),
        ("External", "node:external-service:default/payments-api"),
    ]
    hops = [(e.kind, e.source, e.target) for e in graph.edges]
    assert ("fronts", "node:mesh-service:istio-system/istio-egressgateway",
            "node:egress-gateway:istio-system/istio-egressgateway") in hops
    assert ("binds", "node:egress-gateway:istio-system/istio-egressgateway",
            "router:virtual-service:default/payments-via-egress@egress") in hops
    # Each hop uses only the rule whose match names its gateway; the other is shown as not used there.
    first = graph.node("router:virtual-service:default/payments-via-egress@routing")
    second = graph.node("router:virtual-service:default/payments-via-egress@egress")
    assert "inactive" not in first.row("rule:tls:0").marks and "inactive" in first.row("rule:tls:1").marks
    assert "inactive" in second.row("rule:tls:0").marks and "inactive" not in second.row("rule:tls:1").marks
    assert routes(graph, second.id) == [("rule:tls:1", "node:external-service:default/payments-api", None, 100.0)]
    server = graph.node("node:egress-gateway:istio-system/istio-egressgateway").row("server:0")
    assert server.facts["tls_mode"] == "PASSTHROUGH" and server.facts["passthrough"] is True
    assert server.facts["terminates_tls"] is False and server.facts["sections"] == ["tls"]
    assert "passthrough" in server.marks and "🔒" not in server.text
    assert first.row("rule:tls:0").facts["match"] == "sni api.payments.example.com :443"


def test_egress_gateway_scope_keeps_what_reaches_it():
    graph = flow_of("egress.mesh.yaml", "istio-system/istio-egressgateway")
    assert {n.id for n in graph.nodes} == {n.id for n in flow_of("egress.mesh.yaml").nodes}


# ----- public + private: TLS modes and the HTTPS redirect ----------------------------------------
def test_public_private_tls_facts_and_https_redirect():
    graph = flow_of("public-private.mesh.yaml")
    private = graph.node("node:ingress-gateway:edge/private-gateway").row("server:0")
    assert (private.facts["tls_mode"], private.facts["credential"]) == ("MUTUAL", "admin-corp-example-com-cert")
    cert = graph.node("node:ingress-gateway:edge/private-gateway").row("server:0:cert")
    assert cert.text == "cert admin-corp-example-com-cert · client cert required"
    public = graph.node("node:ingress-gateway:edge/public-gateway")
    https, http = public.row("server:0"), public.row("server:1")
    assert https.facts["tls_mode"] == "SIMPLE" and "tls" in https.marks
    assert http.facts["https_redirect"] is True and "redirect" in http.marks
    assert http.text == "80 HTTP · → HTTPS redirect · shop.example.com"
    # The redirecting server passes nothing on to the routes.
    bound_rows = [e.source_row for e in graph.edges if e.source == public.id and e.kind == "binds"]
    assert bound_rows == ["server:0"]
    shop = graph.node("router:virtual-service:edge/shop@routing")
    assert shop.row("rule:http:0").facts["rewrite"] == {"uri": "/"}
    assert routes(graph, shop.id) == [("rule:http:0", "node:mesh-service:shop/api", None, 100.0),
                                      ("rule:http:1", "node:mesh-service:shop/web", None, 100.0)]


# ----- tcp ----------------------------------------------------------------------------------------------
def test_tcp_flow_weights_and_port():
    graph = flow_of("tcp.mesh.yaml")
    server = graph.node("node:ingress-gateway:default/tcp-echo-gateway").row("server:0")
    assert server.facts["protocol"] == "TCP" and server.facts["tls_mode"] is None
    assert server.facts["sections"] == ["tcp"]
    router = "router:virtual-service:default/tcp-echo@routing"
    assert routes(graph, router) == [("rule:tcp:0", "node:mesh-service:default/tcp-echo", "v1", 80.0),
                                     ("rule:tcp:0", "node:mesh-service:default/tcp-echo", "v2", 20.0)]
    widths = {e.subset: e.share for e in graph.edges if e.source == router}
    assert widths["v1"] == 4 * widths["v2"]


# ----- the flow follows edits -------------------------------------------------------------------
def test_flow_follows_an_edit_of_the_weights():
    project = load_project(EXAMPLES / "tcp.mesh.yaml")
    vs_node = project.node("virtual-service:default/tcp-echo")
    data = vs_node.virtual_service.to_wire()
    data["spec"]["tcp"][0]["route"][0]["weight"] = 50
    data["spec"]["tcp"][0]["route"][1]["weight"] = 50
    from meshdesigner.model.virtualservice import VirtualService
    project.replace_node(vs_node.model_copy(update={"virtual_service": VirtualService.from_wire(data)}))
    shares = [e.share for e in compute_flow(project).edges if e.kind == "routes"]
    assert shares == [50.0, 50.0]


def test_route_shares():
    assert route_shares([None]) == [100.0]
    assert route_shares([90, 10]) == [90.0, 10.0]
    assert route_shares([None, None]) == [50.0, 50.0]
    assert route_shares([30, None]) == [100.0, 0.0]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_flow_edges_name_the_designs_own_edges(name):
    """``model_edge`` is how the canvas lights the same path: it must be one of the design's references."""
    from meshdesigner.model import derive_references

    project = load_project(EXAMPLES / name)
    design = {(r.source, r.target, r.kind, r.path) for r in derive_references(project)}
    graph = compute_flow(project)
    named = [e.model_edge for e in graph.edges if e.model_edge is not None]
    assert named and set(named) <= design
    routed = {(r.source, r.target, r.path) for r in derive_references(project) if r.kind == "routes"}
    drawn = {(e.model_edge[0], e.model_edge[1], e.model_edge[3]) for e in graph.edges
             if e.kind == "routes" and e.model_edge}
    assert routed == drawn, "every route of the design is drawn once"


# ----- designs the examples do not cover ----------------------------------------------------------
def _design(*nodes):
    from meshdesigner.model import Project, node_from_dict

    project = Project("t")
    for data in nodes:
        project.add_node(node_from_dict(data))
    return project


def _vs(name, spec):
    return {"id": f"virtual-service:shop/{name}", "kind": "virtual-service",
            "virtual_service": {"metadata": {"name": name, "namespace": "shop"}, "spec": spec}}


def test_external_service_without_routes_is_reached_directly_by_sidecars():
    project = _design({"id": "external-service:shop/maps", "kind": "external-service",
                       "service_entry": {"metadata": {"name": "maps", "namespace": "shop"},
                                         "spec": {"hosts": ["maps.example.org"], "location": "MESH_EXTERNAL",
                                                  "ports": [{"number": 443, "protocol": "TLS", "name": "tls"}]}}})
    graph = compute_flow(project)
    assert [(e.kind, e.source, e.target) for e in graph.edges] == [
        ("direct", MESH_CLIENTS, "node:external-service:shop/maps")]
    assert graph.node("node:external-service:shop/maps").lane == "External"


def test_mirrors_redirects_and_unknown_gateways_are_shown():
    project = _design(
        {"id": "mesh-service:shop/web", "kind": "mesh-service",
         "service": {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}}},
        _vs("web", {"hosts": ["shop.example.com"], "gateways": ["edge/nowhere"], "http": [
            {"name": "old", "match": [{"uri": {"prefix": "/old"}}], "redirect": {"uri": "/new", "redirectCode": 308}},
            {"name": "main", "route": [{"destination": {"host": "web"}}],
             "mirror": {"host": "web"}, "mirrorPercentage": {"value": 5.0}}]}))
    graph = compute_flow(project)
    router = graph.node("router:virtual-service:shop/web@routing")
    assert "unknown gateway edge/nowhere" in router.subtitle
    old = router.row("rule:http:0")
    assert old.facts["redirect"] == {"to": "/new", "code": 308} and "redirect" in old.marks
    assert old.text.endswith("redirect 308 → /new")
    mirror = next(e for e in graph.edges if e.kind == "mirrors")
    assert (mirror.share, mirror.label, mirror.model_path) == (5.0, "mirror 5%", "spec.http[1].mirror")
    assert [e.source for e in graph.edges if e.target == router.id] == [], "nothing feeds an unknown gateway"


def test_a_virtual_service_on_an_ingress_and_the_mesh_is_one_router_fed_by_both():
    project = _design(
        {"id": "ingress-gateway:shop/gw", "kind": "ingress-gateway",
         "gateway": {"metadata": {"name": "gw", "namespace": "shop"},
                     "spec": {"servers": [{"port": {"number": 80, "protocol": "HTTP", "name": "http"},
                                           "hosts": ["*"]}]}}},
        _vs("web", {"hosts": ["web"], "gateways": ["gw", "mesh"], "http": [
            {"match": [{"gateways": ["mesh"]}], "route": [{"destination": {"host": "web"}}]},
            {"route": [{"destination": {"host": "web"}}]}]}))
    graph = compute_flow(project)
    router = "router:virtual-service:shop/web@routing"
    feeders = sorted((e.kind, e.source) for e in graph.edges if e.target == router)
    assert feeders == [("binds", "node:ingress-gateway:shop/gw"), ("sends", MESH_CLIENTS)]
    assert graph.node(router).row("rule:http:0").facts["contexts"] == ["mesh"]
    assert graph.node(router).row("rule:http:1").facts["contexts"] == ["shop/gw", "mesh"]
