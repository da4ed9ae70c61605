"""Trying a request lights up, on the canvas and in the flow view, the path the simulator reports."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from meshdesigner.analysis.simulate import Request, resolve_gateway, simulate
from meshdesigner.model import ReferenceIndex, ResourceRef

CASES = [
    ("seed.mesh.yaml", "default/ext-host-gwy", Request("https://ext-host.example.com/index.html")),
    ("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway",
     Request("http://bookinfo.example.com/productpage", headers={"end-user": "jason"})),
    ("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/static/app.js")),
    ("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/api/v1/products/1")),
    ("egress.mesh.yaml", "istio-system/istio-egressgateway",
     Request("tls://api.payments.example.com:443", sni="api.payments.example.com")),
    ("public-private.mesh.yaml", "edge/public-gateway", Request("https://shop.example.com/api/cart")),
    ("tcp.mesh.yaml", "default/tcp-echo-gateway", Request("tcp://tcp-echo.example.com:31400")),
]


def expected_canvas_path(project, gateway: str, result):
    """The path written out from the simulator's own answer, independently of the flow module."""
    gw = resolve_gateway(project, gateway)
    nodes, edges = {gw.id}, set()
    if result.virtual_service is None:
        return nodes, edges
    namespace, _, name = result.virtual_service.partition("/")
    vs = project.find(ResourceRef("VirtualService", namespace, name))
    nodes.add(vs.id)
    entry = next(i for i, e in enumerate(vs.virtual_service.spec.gateways)
                 if e in (gateway, gw.name) or e.endswith("/" + gw.name))
    edges.add((gw.id, vs.id, "binds", f"spec.gateways[{entry}]"))
    rule = getattr(vs.virtual_service.spec, result.section)[result.rule_index]
    index = ReferenceIndex(project)
    for dest in result.destinations:
        target = index.destination(dest["host"], namespace)
        nodes.add(target.id)
        j = next(j for j, r in enumerate(rule.route) if r.destination.subset == dest["subset"]
                 and index.destination(r.destination.host, namespace) is target)
        edges.add((vs.id, target.id, "routes", f"spec.{result.section}[{result.rule_index}].route[{j}].destination"))
    return nodes, edges


@pytest.mark.parametrize(("example", "gateway", "request_"), CASES, ids=[f"{c[0]}:{c[2].url}" for c in CASES])
def test_trying_a_request_highlights_the_path_the_simulator_reports(make_window, qtbot, example, gateway, request_):
    window = make_window(example)
    panels = window.flow_panels
    panel = panels.try_request
    panel.set_request(gateway, request_)
    with qtbot.waitSignal(panel.sig_path, timeout=5000):
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    result = simulate(window.document.project, gateway, request_)
    assert result.outcome == "routed" and panel.result.to_dict() == result.to_dict()
    nodes, edges = expected_canvas_path(window.document.project, gateway, result)
    scene = window.scene
    assert scene.highlight_nodes == nodes
    assert scene.highlight_edges == edges
    assert {i for i, item in scene.items_by_id.items() if item.highlighted} == nodes
    assert {k for k, e in scene.edges.items() if e.highlighted} == edges, "every lit edge is drawn on the canvas"
    # The flow view (drawn when its tab comes forward) lights the same design nodes, plus the client.
    panels.show("flow")
    qtbot.waitUntil(lambda: panels.flow.graph is not None and not panels.flow.stale, timeout=3000)
    flow = panels.flow.scene
    lit = flow.highlighted_nodes()
    assert {flow.node_items[n].node.model_id for n in lit} - {None} == nodes
    lit_edges = {flow.edge_items[k].edge.model_edge for k in flow.highlighted_edges()} - {None}
    assert lit_edges == edges
    rule_row = f"rule:{result.section}:{result.rule_index}"
    assert any(rule_row in item.lit_rows for item in flow.node_items.values())
    # Rules tried before the match are marked, with the simulator's reason in the card's tooltip.
    passed_over = {f"rule:http:{s['rule_index']}" for s in result.skipped}
    marked = {row for item in flow.node_items.values() for row in item.skipped_rows}
    assert marked == passed_over
    for item in flow.node_items.values():
        for reason in item.skipped_rows.values():
            assert reason in item.toolTip()
    # The explanation is the simulator's, step by step.
    shown = panel.explanation.toPlainText()
    for step in result.explanation:
        assert step in shown


def test_a_failing_request_is_explained_and_lights_only_the_gateway(make_window, qtbot, send):
    window = make_window("seed.mesh.yaml")
    panel = window.flow_panels.try_request
    panel.set_request("default/ext-host-gwy", Request("http://ext-host.example.com:8080/"))
    send(panel)
    assert panel.result.outcome == "no_listener"
    assert "Refused" in panel.outcome.text()
    assert window.scene.highlight_nodes == {"ingress-gateway:default/ext-host-gwy"}
    assert window.scene.highlight_edges == set()
    assert panel.explanation.toPlainText().strip() != ""
    panel.clear()
    assert window.scene.highlight_nodes == set() and window.flow_panels.flow.scene.highlighted_nodes() == set()


def test_bad_headers_are_reported_under_the_field_and_nothing_is_simulated(make_window):
    window = make_window("bookinfo.mesh.yaml")
    panel = window.flow_panels.try_request
    panel.set_request("bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/"))
    panel.headers.setPlainText("end-user jason")
    assert panel.send() is None
    assert not panel.headers_error.isHidden() and "name: value" in panel.headers_error.text()
    assert panel.result is None and window.scene.highlight_nodes == set()


def test_after_an_edit_the_request_is_simulated_again(make_window, qtbot, send):
    window = make_window("bookinfo.mesh.yaml")
    panel = window.flow_panels.try_request
    panel.set_request("bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/api/v1/products"))
    send(panel)
    assert panel.result.rule_index == 2
    # Point the products rule at productpage: the lit path follows without pressing Send again.
    window.document.set_field("virtual-service:bookinfo/bookinfo",
                              ("virtual_service", "spec", "http", 2, "route", 0, "destination", "host"), "productpage")
    qtbot.waitUntil(lambda: "mesh-service:bookinfo/productpage" in window.scene.highlight_nodes, timeout=5000)
    assert "mesh-service:bookinfo/details" not in window.scene.highlight_nodes


def test_suggest_fills_a_request_that_routes(make_window, send):
    window = make_window("tcp.mesh.yaml")
    panel = window.flow_panels.try_request
    panel.gateway.setCurrentText("default/tcp-echo-gateway")
    panel.suggest()
    assert panel.url.text().startswith("tcp://")
    assert send(panel).outcome == "routed"
