"""The editor's route tests: save a tried request as a test, break it with an edit, see it fail in the panel."""

from __future__ import annotations

import pytest

from meshdesigner.analysis.simulate import Request

pytestmark = pytest.mark.gui


def _wait_for_run(panel, qtbot):
    qtbot.waitUntil(lambda: not panel.timer.isActive() and not panel.worker.busy, timeout=10000)


def test_save_as_test_then_an_edit_breaks_it_and_the_panel_says_which_and_why(make_window, qtbot, send):
    window = make_window("bookinfo.mesh.yaml")
    try_panel = window.flow_panels.try_request
    tests = window.tests_panel
    assert not try_panel.save_test_button.isEnabled()  # nothing tried yet
    try_panel.set_request("bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/api/v1/products"))
    send(try_panel)
    assert try_panel.result.outcome == "routed"
    try_panel.save_test_button.click()
    assert len(window.document.project.tests) == 1
    saved = window.document.project.tests[0]
    assert saved.entry.gateway == "bookinfo/bookinfo-gateway" and saved.outcome == "routed"
    assert saved.route[0].destination.host == "details.bookinfo.svc.cluster.local"
    _wait_for_run(tests, qtbot)
    assert tests.rows() == [("pass", saved.description, "")]

    # Point the products rule at productpage: the saved test now fails, and the panel says why.
    window.document.set_field("virtual-service:bookinfo/bookinfo",
                              ("virtual_service", "spec", "http", 2, "route", 0, "destination", "host"), "productpage")
    _wait_for_run(tests, qtbot)
    [(result, name, why)] = tests.rows()
    assert result == "FAIL" and name == saved.description
    assert "destination is productpage.bookinfo.svc.cluster.local" in why
    assert "not details.bookinfo.svc.cluster.local" in why
    assert "1 of 1 test(s) fail" in tests.summary.text()

    # Double-clicking lights the failing request's path on the canvas and in the flow view.
    item = tests.tree.topLevelItem(0)
    tests.tree.itemDoubleClicked.emit(item, 0)
    assert "mesh-service:bookinfo/productpage" in window.scene.highlight_nodes
    assert "ingress-gateway:bookinfo/bookinfo-gateway" in window.scene.highlight_nodes
    panels = window.flow_panels
    panels.show("flow")  # the flow view draws when its tab comes forward, with the path it was given
    qtbot.waitUntil(lambda: panels.flow.graph is not None and not panels.flow.stale, timeout=3000)
    flow = panels.flow.scene
    lit = {flow.node_items[n].node.model_id for n in flow.highlighted_nodes()}
    assert "mesh-service:bookinfo/productpage" in lit

    # Undo the edit: the test passes again; undo the save: the test is gone.
    window.document.undo_stack.undo()
    _wait_for_run(tests, qtbot)
    assert tests.rows()[0][0] == "pass"
    window.document.undo_stack.undo()
    assert window.document.project.tests == ()
    _wait_for_run(tests, qtbot)
    assert tests.rows() == []
    window.document.undo_stack.redo()
    assert len(window.document.project.tests) == 1


def test_tests_run_on_a_snapshot_off_the_gui_thread(make_window, qtbot, monkeypatch, send):
    import threading

    from meshdesigner.gui.route_tests import panel as panel_module

    threads = []
    real = panel_module.run_snapshot

    def spy(project):
        threads.append((threading.current_thread() is threading.main_thread(), project))
        return real(project)

    monkeypatch.setattr(panel_module, "run_snapshot", spy)
    window = make_window("bookinfo.mesh.yaml")
    try_panel = window.flow_panels.try_request
    try_panel.set_request("bookinfo/bookinfo-gateway", Request("http://bookinfo.example.com/productpage"))
    send(try_panel)
    try_panel.save_test_button.click()
    _wait_for_run(window.tests_panel, qtbot)
    on_main, snapshot = threads[-1]
    assert not on_main and snapshot is not window.document.project and snapshot == window.document.project
