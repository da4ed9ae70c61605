"""Reordering rules by drag: one undoable step; rules that can never match are marked."""

from __future__ import annotations

import warnings

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from meshdesigner.gui.flow.commands import MoveRuleCommand
from meshdesigner.gui.flow.rule_order import RuleOrderWidget
from meshdesigner.io.project_file import dump_project


def rule_order_widget(window, node_id: str) -> RuleOrderWidget:
    window.scene.select_only([node_id])
    QApplication.processEvents()
    widgets = window.properties.findChildren(RuleOrderWidget)
    assert len(widgets) == 1, "the Rule order section shows for a selected virtual service"
    return widgets[0]


def drop_rule(rule_list, source: int, target_row: int, below: bool = False) -> None:
    """Drag rule ``source`` and drop it on the upper (or lower) half of row ``target_row``: real drop event."""
    rule_list.setCurrentRow(source)
    data = rule_list.mimeData([rule_list.item(source)])
    rect = rule_list.visualItemRect(rule_list.item(target_row))
    pos = QPoint(rect.center().x(), rect.bottom() - 2 if below else rect.top() + 2)
    # Qt delivers a drop only to a widget that accepted the drag's DragEnter (PySide offers only the
    # QPoint constructor for it, marked deprecated).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, Qt.DropAction.MoveAction, data, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(rule_list.viewport(), enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(pos), Qt.DropAction.MoveAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(rule_list.viewport(), event)


def rule_names(window, node_id: str, section: str = "http") -> list[str]:
    return [r.name for r in getattr(window.document.project.node(node_id).virtual_service.spec, section)]


def test_dragging_a_rule_is_one_undo_step(make_window, qtbot):
    window = make_window("bookinfo.mesh.yaml")
    vs_id = "virtual-service:bookinfo/bookinfo"
    original = rule_names(window, vs_id)
    before_dump = dump_project(window.document.project)
    stack = window.document.undo_stack
    steps = stack.count()
    widget = rule_order_widget(window, vs_id)
    drop_rule(widget.lists["http"], source=3, target_row=0)   # "health" to the top
    moved = ["health", "tester-gets-v2", "productpage-canary", "products-api"]
    assert rule_names(window, vs_id) == moved
    assert stack.count() == steps + 1 and isinstance(stack.command(stack.index() - 1), MoveRuleCommand)
    assert stack.undoText() == 'Move rule "health" of bookinfo to place 1'
    # The list and the flow view follow the model.
    widget = rule_order_widget(window, vs_id)
    assert widget.lists["http"].item(0).text().startswith("1  /healthz")
    window.flow_panels.show("flow")
    flow = window.flow_panels.flow
    qtbot.waitUntil(lambda: flow.graph is not None, timeout=3000)
    qtbot.waitUntil(lambda: flow.graph.node("router:virtual-service:bookinfo/bookinfo@routing")
                    .rows[0].facts["name"] == "health", timeout=3000)
    stack.undo()
    assert rule_names(window, vs_id) == original
    assert dump_project(window.document.project) == before_dump, "undo restores the design exactly"
    stack.redo()
    assert rule_names(window, vs_id) == moved
    stack.undo()


def test_dropping_below_a_row_and_on_itself(make_window):
    window = make_window("bookinfo.mesh.yaml")
    vs_id = "virtual-service:bookinfo/bookinfo"
    stack = window.document.undo_stack
    steps = stack.count()
    widget = rule_order_widget(window, vs_id)
    drop_rule(widget.lists["http"], source=0, target_row=0, below=True)   # onto itself: nothing happens
    assert stack.count() == steps
    drop_rule(widget.lists["http"], source=0, target_row=2, below=True)   # below rule 3
    assert rule_names(window, vs_id) == ["productpage-canary", "products-api", "tester-gets-v2", "health"]
    assert stack.count() == steps + 1


def test_a_rule_moved_behind_a_catch_all_is_marked_and_the_mark_goes_with_undo(make_window, qtbot):
    window = make_window("public-private.mesh.yaml")
    vs_id = "virtual-service:edge/shop"
    widget = rule_order_widget(window, vs_id)
    assert widget.shadowed_rows("http") == []
    drop_rule(widget.lists["http"], source=1, target_row=0)   # the catch-all "web" first
    assert rule_names(window, vs_id) == ["web", "api"]
    widget = rule_order_widget(window, vs_id)
    assert widget.shadowed_rows("http") == [1]
    tip = widget.lists["http"].item(1).toolTip()
    assert "never match" in tip and "IST0130" in tip and '"web"' in tip
    window.flow_panels.show("flow")
    flow = window.flow_panels.flow
    qtbot.waitUntil(lambda: flow.graph is not None, timeout=3000)
    router = "router:virtual-service:edge/shop@routing"
    qtbot.waitUntil(lambda: "shadowed" in flow.graph.node(router).row("rule:http:1").marks, timeout=3000)
    window.document.undo_stack.undo()
    widget = rule_order_widget(window, vs_id)
    assert widget.shadowed_rows("http") == []
    qtbot.waitUntil(lambda: "shadowed" not in flow.graph.node(router).row("rule:http:1").marks, timeout=3000)


def test_an_edit_that_changes_no_rule_line_keeps_the_lists_and_one_that_does_redraws_them(make_window):
    """Typing a timeout must not tear down and rebuild the rule lists on every key (a stall while editing);
    a change that shows in a rule's line (its name) redraws them."""
    window = make_window("bookinfo.mesh.yaml")
    vs_id = "virtual-service:bookinfo/bookinfo"
    widget = rule_order_widget(window, vs_id)
    before = widget.lists["http"]
    window.document.set_field(vs_id, ("virtual_service", "spec", "http", 0, "timeout"), "7s")
    QApplication.processEvents()
    assert widget.lists["http"] is before
    window.document.set_field(vs_id, ("virtual_service", "spec", "http", 0, "name"), "renamed-rule")
    QApplication.processEvents()
    rows = widget.lists["http"]
    assert rows is not before and "renamed-rule" in rows.item(0).text()
