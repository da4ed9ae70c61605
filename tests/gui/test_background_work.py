"""The request flow, a tried request and the export preview are computed off the GUI thread on a snapshot,
an answer about a design that was edited meanwhile is dropped, and the view shows the fresh one (#16).

Each test holds the first computation back on its worker until the design has been edited, then lets it
finish: the held-back answer must never show, and the answer for the edited design must."""

from __future__ import annotations

import pathlib
import threading

import pytest

from meshdesigner.analysis.simulate import Request

pytestmark = pytest.mark.gui
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
BOOKINFO_VS = "virtual-service:bookinfo/bookinfo"
PRODUCTS_HOST = ("virtual_service", "spec", "http", 2, "route", 0, "destination", "host")


class HeldBack:
    """Wraps a function so that its first call waits (on the worker) until ``release``; records threads."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls: list[tuple[bool, object]] = []   # (on the GUI thread?, first argument)
        self.gate = threading.Event()

    def __call__(self, *args, **kwargs):
        first = not self.calls
        self.calls.append((threading.current_thread() is threading.main_thread(), args[0]))
        if first:
            self.gate.wait(10)
        return self.real(*args, **kwargs)

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def bookinfo(make_editor, qtbot):
    window = make_editor(str(EXAMPLES / "bookinfo.mesh.yaml"))
    qtbot.waitUntil(lambda: not window.diagnostics.worker.busy, timeout=10000)
    return window


def _point_products_at_productpage(window) -> None:
    window.document.set_field(BOOKINFO_VS, PRODUCTS_HOST, "productpage")


def test_the_request_flow_is_computed_off_the_gui_thread_and_a_stale_flow_is_never_drawn(
        bookinfo, qtbot, monkeypatch):
    import meshdesigner.gui.flow.view as view_module

    held = HeldBack(view_module.flow_of)
    monkeypatch.setattr(view_module, "flow_of", held)
    flow = bookinfo.flow_panels.flow
    drawn = []
    flow.sig_graph_changed.connect(drawn.append)
    try:
        bookinfo.flow_panels.show("flow")
        qtbot.waitUntil(lambda: bool(held.calls), timeout=5000)
        on_gui_thread, snapshot = held.calls[0]
        assert not on_gui_thread and snapshot is not bookinfo.document.project
        assert flow.graph is None  # the GUI thread is free while the flow is computed
        _point_products_at_productpage(bookinfo)
    finally:
        held.release()
    qtbot.waitUntil(lambda: len(drawn) == 1 and not flow.worker.busy and not flow.timer.isActive(), timeout=10000)
    assert flow.worker.dropped >= 1
    [graph] = drawn
    assert graph is flow.graph
    targets = {e.target for e in graph.edges if e.kind == "routes"}
    assert "node:mesh-service:bookinfo/details" not in targets, "the drawn flow is the edited design's"

def test_a_tried_request_answered_for_an_old_design_is_dropped_and_sent_again(bookinfo, qtbot, monkeypatch):
    import meshdesigner.gui.flow.try_request as try_module

    held = HeldBack(try_module.try_on)
    monkeypatch.setattr(try_module, "try_on", held)
    panel = bookinfo.flow_panels.try_request
    results = []
    panel.sig_result.connect(results.append)
    panel.set_request("bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/api/v1/products"))
    try:
        panel.send()
        qtbot.waitUntil(lambda: bool(held.calls), timeout=5000)
        assert not held.calls[0][0], "simulated off the GUI thread"
        assert held.calls[0][1] is not bookinfo.document.project, "on a snapshot"
        assert panel.outcome.text() == "sending…"
        _point_products_at_productpage(bookinfo)
    finally:
        held.release()
    # The answer about the old design (details) never shows; the request is sent again by itself.
    qtbot.waitUntil(lambda: len(results) == 1 and not panel.worker.busy, timeout=10000)
    assert panel.worker.dropped >= 1 and len(held.calls) >= 2
    [result] = results
    assert [d["host"] for d in result.destinations] == ["productpage.bookinfo.svc.cluster.local"]
    assert "mesh-service:bookinfo/productpage" in bookinfo.scene.highlight_nodes
    assert "mesh-service:bookinfo/details" not in bookinfo.scene.highlight_nodes


def test_the_export_preview_is_made_off_the_gui_thread_and_the_newest_options_win(bookinfo, qtbot, monkeypatch):
    import meshdesigner.gui.export_dialog as export_dialog

    held = HeldBack(export_dialog.planned_files)
    monkeypatch.setattr(export_dialog, "planned_files", held)
    try:
        dialog = export_dialog.ExportDialog(bookinfo.document.project, [], "", bookinfo)
        qtbot.waitUntil(lambda: bool(held.calls), timeout=5000)
        assert not held.calls[0][0] and held.calls[0][1] is not bookinfo.document.project
        assert dialog.files.count() == 0 and not dialog.export_button.isEnabled()
        dialog.envoy.setChecked(True)  # new options while the first preview is still being made
    finally:
        held.release()
    qtbot.waitUntil(lambda: not dialog.worker.busy and dialog.files.count() > 0, timeout=20000)
    names = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert any(name.startswith("envoy/") for name in names), "the preview is the one with Envoy configs"
    assert dialog.worker.dropped == 1
    dialog.reject()


def test_the_envoy_preview_of_a_gateway_is_made_off_the_gui_thread(bookinfo, qtbot, monkeypatch):
    import meshdesigner.gui.panels.preview as preview_module

    held = HeldBack(preview_module.envoy_text)
    monkeypatch.setattr(preview_module, "envoy_text", held)
    held.release()
    bookinfo.view.focus_node("ingress-gateway:bookinfo/bookinfo-gateway")
    bookinfo.preview.which.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "static_resources" in bookinfo.preview.text.toPlainText(), timeout=10000)
    assert held.calls and not held.calls[-1][0]


def test_traffic_split_requests_run_off_the_gui_thread_and_a_run_about_an_old_design_is_dropped(
        bookinfo, qtbot, monkeypatch):
    import meshdesigner.gui.flow.split_chart as chart_module

    held = HeldBack(chart_module.send_requests)
    monkeypatch.setattr(chart_module, "send_requests", held)
    chart = bookinfo.flow_panels.split
    assert chart.select_rule("bookinfo/bookinfo", "http", 1)
    runs = []
    chart.sig_sent.connect(runs.append)
    try:
        chart.send()
        qtbot.waitUntil(lambda: bool(held.calls), timeout=5000)
        on_gui_thread, snapshot = held.calls[0]
        assert not on_gui_thread and snapshot is not bookinfo.document.project
        assert chart.run is None and chart.note.text().startswith("sending ")
        assert not chart.send_button.isEnabled(), "one run at a time"
        _point_products_at_productpage(bookinfo)
    finally:
        held.release()
    qtbot.waitUntil(lambda: not chart.worker.busy and chart.send_button.isEnabled(), timeout=10000)
    assert runs == [] and chart.run is None, "the run about the design before the edit never shows"
    assert "send them again" in chart.note.text()
    with qtbot.waitSignal(chart.sig_sent, timeout=10000):
        chart.send()
    assert runs and runs[0].total == chart.count.value()
