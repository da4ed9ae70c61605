"""Adding and finding nodes (issue 14): an Insert menu with shortcuts for every kind, the palette only with a
design, an empty canvas that shows the Ingress lane, a hint that leaves with the first node, and badges
that count what the Diagnostics panel lists."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

from conftest import EXAMPLES_DIR
from meshdesigner.model import LANE_ORDER, NodeKind
from meshdesigner.model.layout import LANE_MARGIN, LANE_WIDTH

pytestmark = pytest.mark.gui


def _park_cursor_off_canvas(window):
    QCursor.setPos(window.mapToGlobal(window.rect().topLeft()) - window.rect().bottomRight())


def test_insert_menu_has_every_kind_with_a_shortcut(make_editor):
    window = make_editor()
    window.new_file()
    titles = [a.text() for a in window.insert_menu.actions()]
    assert len(titles) == len(LANE_ORDER)
    shortcuts = [a.shortcut().toString() for a in window.insert_menu.actions()]
    assert shortcuts == [f"Ctrl+{i}" for i in range(1, 6)]
    assert window.menuBar().actions()[2].text() == "&Insert"


def test_insert_places_each_kind_in_its_lane_one_undo_step_each(make_editor):
    window = make_editor()
    window.new_file()
    _park_cursor_off_canvas(window)
    stack = window.document.undo_stack
    for i, kind in enumerate(LANE_ORDER):
        before = stack.count()
        window.insert_actions[kind].trigger()
        assert stack.count() == before + 1
        (node,) = [n for n in window.document.project if n.kind == kind]
        assert node.position[0] == LANE_MARGIN + i * LANE_WIDTH
        assert window.scene.selected_ids() == [node.id]
    window.insert_actions[NodeKind.MESH_SERVICE].trigger()  # a second one goes below the first
    first, second = sorted((n for n in window.document.project if n.kind == NodeKind.MESH_SERVICE),
                           key=lambda n: n.position[1])
    assert second.position[0] == first.position[0] and second.position[1] > first.position[1] + 40


def test_insert_at_the_cursor_when_it_is_over_the_canvas(make_editor):
    window = make_editor()
    window.new_file()
    view = window.view
    target = view.viewport().rect().center()
    QCursor.setPos(view.viewport().mapToGlobal(target))
    if view.viewport().mapFromGlobal(QCursor.pos()) != target:
        pytest.skip("this platform plugin cannot move the cursor")
    node_id = __import__("meshdesigner.gui.insert", fromlist=["insert_node"]).insert_node(window, "virtual-service")
    item = window.scene.items_by_id[node_id]
    assert item.sceneBoundingRect().contains(view.mapToScene(target))


def test_shortcut_inserts(make_editor, qtbot):
    window = make_editor()
    window.new_file()
    _park_cursor_off_canvas(window)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert [n.kind for n in window.document.project] == [NodeKind.INGRESS_GATEWAY]


def test_palette_and_insert_disabled_without_a_design(make_editor):
    window = make_editor()
    window.show_start_page()
    assert not window.palette.isEnabled()
    assert not any(a.isEnabled() for a in window.insert_actions.values())
    window.new_file()
    assert window.palette.isEnabled()
    assert all(a.isEnabled() for a in window.insert_actions.values())


def test_empty_canvas_shows_the_ingress_lane_and_a_hint_that_leaves(make_editor):
    from meshdesigner.gui.scene.canvas import lane_rect

    window = make_editor()
    window.new_file()
    QApplication.processEvents()
    view = window.view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    ingress = lane_rect(1, visible.top(), visible.top() + 10)
    assert visible.left() <= ingress.left() and ingress.right() <= visible.right()
    assert view.empty_hint.isVisible()
    window.document.create_node(NodeKind.INGRESS_GATEWAY, (40.0, 80.0))
    assert not view.empty_hint.isVisible()
    window.document.undo_stack.undo()
    assert view.empty_hint.isVisible()


def test_badge_counts_every_finding_the_panel_lists(make_editor, qtbot):
    window = make_editor(str(EXAMPLES_DIR / "bookinfo.mesh.yaml"))
    window.diagnostics.recheck()
    listed: dict[str, int] = {}
    for d in window.diagnostics.diagnostics:
        if d.node_id:
            listed[d.node_id] = listed.get(d.node_id, 0) + 1
    assert listed
    for node_id, count in listed.items():
        assert len(window.scene.items_by_id[node_id].diagnostics) == count


def test_badge_text_is_the_total(make_editor):
    from meshdesigner.analysis.diagnostic import Diagnostic
    from meshdesigner.model.resource import ResourceRef

    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    ref = ResourceRef("Gateway", "default", "ext-host-gwy")
    item = window.scene.items_by_id[gw_id]
    item.set_diagnostics([Diagnostic("MD0601", None, "warning", ref, gw_id, "spec", "w"),
                          Diagnostic("MD0602", None, "info", ref, gw_id, "spec", "i")])
    assert item.badge_text() == "2"
