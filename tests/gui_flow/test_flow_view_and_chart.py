"""The flow view (scope, redraw on edits, PNG/SVG export), the traffic split chart, and ``meshdesigner flow``."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from meshdesigner.cli import main as cli_main
from meshdesigner.gui.flow.scene import MAX_EDGE_WIDTH, MIN_EDGE_WIDTH, FlowScene

# The bundled examples (repository files; the oracle is reached through tests/conftest.py).
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_flow_view_scope_and_widths(make_window, qtbot):
    window = make_window("bookinfo.mesh.yaml")
    flow = window.flow_panels.flow
    assert flow.graph is None and flow.stale, "a hidden flow panel costs nothing when a design opens"
    window.flow_panels.show("flow")
    qtbot.waitUntil(lambda: flow.graph is not None, timeout=3000)
    assert flow.scope.itemText(0) == "Whole design" and flow.scope.findData("bookinfo/bookinfo-gateway") == 1
    router = "router:virtual-service:bookinfo/bookinfo@routing"
    items = flow.scene.edge_items
    v1 = items[f"{router}[rule:http:1]->node:mesh-service:bookinfo/productpage#0"]
    v2 = items[f"{router}[rule:http:1]->node:mesh-service:bookinfo/productpage#1"]
    # Widths follow the weights; a 10 % share is drawn thin but never invisible.
    assert v1.width == pytest.approx(MAX_EDGE_WIDTH * 0.9) and v2.width == MIN_EDGE_WIDTH
    assert v1.width > v2.width and v1.edge.label == "v1 90%" and v2.edge.label == "v2 10%"
    flow.set_scope("bookinfo/bookinfo-gateway")  # computed off the GUI thread, then drawn
    qtbot.waitUntil(lambda: "router:virtual-service:bookinfo/reviews@routing" not in flow.scene.node_items,
                    timeout=5000)
    flow.set_scope(None)
    qtbot.waitUntil(lambda: "router:virtual-service:bookinfo/reviews@routing" in flow.scene.node_items, timeout=5000)


def test_flow_view_redraws_after_an_edit_and_its_undo(make_window, qtbot):
    window = make_window("tcp.mesh.yaml")
    window.flow_panels.show("flow")
    flow = window.flow_panels.flow
    qtbot.waitUntil(lambda: flow.graph is not None, timeout=3000)
    vs = "virtual-service:default/tcp-echo"
    path = ("virtual_service", "spec", "tcp", 0, "route")
    route = [{"destination": {"host": "tcp-echo", "subset": "v1", "port": {"number": 9000}}, "weight": 50},
             {"destination": {"host": "tcp-echo", "subset": "v2", "port": {"number": 9000}}, "weight": 50}]
    window.document.set_field(vs, path, route)

    def shares():
        return sorted(e.share for e in flow.graph.edges if e.kind == "routes")

    qtbot.waitUntil(lambda: shares() == [50.0, 50.0], timeout=3000)
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: shares() == [20.0, 80.0], timeout=3000)


def test_a_hidden_flow_view_redraws_only_when_shown(make_window, qtbot):
    window = make_window("tcp.mesh.yaml")
    panels = window.flow_panels
    panels.show("try_request")
    qtbot.waitUntil(lambda: not panels.flow.on_screen(), timeout=3000)
    before = panels.flow.graph
    window.document.set_field("virtual-service:default/tcp-echo",
                              ("virtual_service", "spec", "tcp", 0, "route", 0, "weight"), 70)
    window.document.set_field("virtual-service:default/tcp-echo",
                              ("virtual_service", "spec", "tcp", 0, "route", 1, "weight"), 30)
    qtbot.waitUntil(lambda: panels.flow.stale, timeout=3000)
    assert panels.flow.graph is before
    panels.show("flow")
    qtbot.waitUntil(lambda: panels.flow.graph is not None and sorted(
        e.share for e in panels.flow.graph.edges if e.kind == "routes") == [30.0, 70.0], timeout=3000)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_export_from_the_panel(make_window, tmp_path, monkeypatch, fmt):
    from meshdesigner.gui.flow import view

    window = make_window("seed.mesh.yaml")
    target = tmp_path / f"flow.{fmt}"
    monkeypatch.setattr(view, "ask_image_path", lambda *_a: str(target))
    window.flow_panels.flow.buttons[fmt].click()
    assert target.exists() and not (tmp_path / f"flow.{fmt}.part").exists()
    if fmt == "png":
        image = QImage(str(target))
        assert image.width() > 1000 and image.height() > 200
    else:
        texts = "".join(ET.parse(target).getroot().itertext())
        for word in ("ext-host-gwy", "virtual-svc", "my-svc", "SIMPLE", "INGRESS"):
            assert word in texts


def test_export_cancelled_writes_nothing(make_window, tmp_path, monkeypatch):
    from meshdesigner.gui.flow import view

    window = make_window("seed.mesh.yaml")
    monkeypatch.setattr(view, "ask_image_path", lambda *_a: None)
    assert window.flow_panels.flow.export("png") is None
    assert list(tmp_path.glob("*.png")) == []


def _sent(qtbot, chart):
    """Press "Send N requests" and wait for the run (the requests go off the GUI thread)."""
    with qtbot.waitSignal(chart.sig_sent, timeout=20000) as done:
        chart.send()
    return done.args[0]


def test_split_chart_configured_and_observed(make_window, qtbot):
    window = make_window("bookinfo.mesh.yaml")
    chart = window.flow_panels.split
    assert chart.select_rule("bookinfo/bookinfo", "http", 1)
    chart.count.setValue(2000)
    chart.seed.setValue(11)
    run = _sent(qtbot, chart)
    assert run.total == 2000 and "simulated" in chart.note.text()
    observed = chart.observed()
    assert observed["productpage v1"] == pytest.approx(90, abs=3) and observed["productpage v2"] == pytest.approx(10, abs=3)
    assert _sent(qtbot, chart).counts == run.counts, "same seed, same counts"
    # The mesh-internal shift is sampled from its weights, and the panel says so.
    assert chart.select_rule("bookinfo/reviews", "http", 0)
    assert _sent(qtbot, chart).percentages()["reviews v1"] == pytest.approx(80, abs=3)
    assert "configured weights" in chart.note.text()


def test_a_tried_weighted_request_selects_its_rule_in_the_chart(make_window, send, qtbot):
    from meshdesigner.analysis.simulate import Request

    window = make_window("tcp.mesh.yaml")
    panels = window.flow_panels
    panels.try_request.set_request("default/tcp-echo-gateway", Request("tcp://echo.example.com:31400"))
    send(panels.try_request)
    assert panels.split.selected_rule().virtual_service == "default/tcp-echo"
    run = _sent(qtbot, panels.split)
    assert set(run.counts) == {"tcp-echo v1", "tcp-echo v2"}
    assert "tcp://echo.example.com:31400" in panels.split.note.text()


# ----- the CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "dot", "png", "svg"])
def test_cli_flow_formats(tmp_path, qapp, fmt):
    out = tmp_path / f"egress.{fmt}"
    assert cli_main(["flow", str(EXAMPLES / "egress.mesh.yaml"), "-o", str(out)]) == 0
    if fmt == "json":
        data = json.loads(out.read_text())
        assert [n["lane"] for n in data["nodes"]][-1] == "External"
    elif fmt == "dot":
        assert out.read_text().startswith('digraph "project"')
    elif fmt == "png":
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "payments-api" in "".join(ET.parse(out).getroot().itertext())


def test_cli_flow_gateway_scope_and_errors(tmp_path, capsys, qapp):
    assert cli_main(["flow", str(EXAMPLES / "bookinfo.mesh.yaml"), "--gateway", "bookinfo/bookinfo-gateway"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scope"] == "bookinfo/bookinfo-gateway"
    assert cli_main(["flow", str(EXAMPLES / "bookinfo.mesh.yaml"), "--gateway", "nope/nope"]) == 2
    assert "bookinfo/bookinfo-gateway" in capsys.readouterr().err
    assert cli_main(["flow", str(EXAMPLES / "seed.mesh.yaml"), "--format", "png"]) == 2
    assert "needs an output file" in capsys.readouterr().err
    assert cli_main(["flow", str(tmp_path / "missing.mesh.yaml")]) == 2


def test_scene_draws_every_node_and_edge_of_the_graph(qapp):
    from meshdesigner.analysis.flow import compute_flow
    from meshdesigner.io.project_file import load_project

    graph = compute_flow(load_project(EXAMPLES / "public-private.mesh.yaml"))
    scene = FlowScene()
    scene.set_graph(graph)
    assert set(scene.node_items) == {n.id for n in graph.nodes}
    assert set(scene.edge_items) == {e.key for e in graph.edges}
    # Cards do not overlap and columns run left to right by lane.
    rects = [i.sceneBoundingRect().adjusted(3, 3, -3, -3) for i in scene.node_items.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    by_column = sorted(scene.node_items.values(), key=lambda i: i.node.column)
    assert all(a.x() <= b.x() for a, b in zip(by_column, by_column[1:], strict=False))


def test_double_clicking_a_flow_card_selects_its_node_on_the_canvas(make_window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = make_window("seed.mesh.yaml")
    panels = window.flow_panels
    panels.show("flow")
    qtbot.waitUntil(lambda: panels.flow.graph is not None, timeout=3000)
    item = panels.flow.scene.node_items["router:virtual-service:default/virtual-svc@routing"]
    view = panels.flow.view
    view.ensureVisible(item)
    point = view.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert window.scene.selected_ids() == ["virtual-service:default/virtual-svc"]
