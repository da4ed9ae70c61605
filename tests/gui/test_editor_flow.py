"""The issue's end-to-end flow, driven through the widgets: create every kind from the palette, connect
them by dragging, edit properties in the panel, undo to the start and redo to the end, save and
reopen to an equal project, and export the same bytes as the command line."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QLineEdit

from conftest import accept_egress, connect_by_drag, drop_from_palette
from meshdesigner.cli import main as cli_main
from meshdesigner.io.project_file import dump_project, load_project
from meshdesigner.model import NodeKind, derive_references

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


def type_into(window, path: tuple, text: str) -> None:
    """Type ``text`` into the properties field bound to ``path`` (as a user would: textEdited)."""
    name = "field:" + ".".join(map(str, path))
    line = window.properties.findChild(QLineEdit, name)
    assert line is not None, f"no field {name}"
    line.setFocus()
    line.setText(text)
    line.textEdited.emit(text)


def build_design(window):
    kinds = [NodeKind.INGRESS_GATEWAY, NodeKind.VIRTUAL_SERVICE, NodeKind.MESH_SERVICE,
             NodeKind.EGRESS_GATEWAY, NodeKind.EXTERNAL_SERVICE]
    nodes = {}
    for i, kind in enumerate(kinds):
        nodes[kind] = drop_from_palette(window, str(kind), QPointF(40 + 340 * i, 80 + (i % 2) * 40))
    window.view.fit_all()
    ids = {k: n.id for k, n in nodes.items()}
    connect_by_drag(window, ids[NodeKind.INGRESS_GATEWAY], ids[NodeKind.VIRTUAL_SERVICE])
    connect_by_drag(window, ids[NodeKind.VIRTUAL_SERVICE], ids[NodeKind.MESH_SERVICE])
    connect_by_drag(window, ids[NodeKind.EGRESS_GATEWAY], ids[NodeKind.EXTERNAL_SERVICE])
    return ids


def test_build_edit_undo_redo_save_export(make_editor, no_dialogs, tmp_path, qtbot):
    window = make_editor()
    no_dialogs["confirm_egress"] = accept_egress()
    start = dump_project(window.document.project)
    ids = build_design(window)
    project = window.document.project
    kinds_present = {n.kind for n in project}
    assert kinds_present == set(NodeKind)
    refs = {(r.source, r.target, r.kind) for r in derive_references(project)}
    assert (ids[NodeKind.INGRESS_GATEWAY], ids[NodeKind.VIRTUAL_SERVICE], "binds") in refs
    assert (ids[NodeKind.VIRTUAL_SERVICE], ids[NodeKind.MESH_SERVICE], "routes") in refs
    # egress gateway -> external (the egress dialog accepted): a new virtual service bound to mesh and the
    # egress gateway routes there
    assert any(t == ids[NodeKind.EXTERNAL_SERVICE] and k == "routes" for _, t, k in refs)
    assert len(project) == 6
    # the canvas shows every reference as an edge
    assert {k[:3] for k in window.scene.edges} == refs

    # Edit properties through the panel: select the virtual service, type a timeout and a host.
    vs_id = ids[NodeKind.VIRTUAL_SERVICE]
    window.view.focus_node(vs_id)
    assert window.properties.node_id == vs_id
    type_into(window, ("virtual_service", "spec", "http", 0, "timeout"), "5")
    assert project.node(vs_id).virtual_service.spec.http[0].timeout is None  # "5" is refused...
    errors = [w for w in window.properties.fields if not w.error.isHidden()]
    assert errors and "duration" in errors[0].error.text()           # ...with the reason shown
    type_into(window, ("virtual_service", "spec", "http", 0, "timeout"), "5s")
    assert project.node(vs_id).virtual_service.spec.http[0].timeout == "5s"
    gw_id = ids[NodeKind.INGRESS_GATEWAY]
    window.view.focus_node(gw_id)
    type_into(window, ("gateway", "spec", "servers", 0, "port", "number"), "70000")
    assert project.node(gw_id).gateway.spec.servers[0].port.number == 80
    type_into(window, ("gateway", "spec", "servers", 0, "port", "number"), "8080")
    assert project.node(gw_id).gateway.spec.servers[0].port.number == 8080
    # scene follows: the card shows the new port
    assert window.scene.items_by_id[gw_id].rows[0].text.startswith("8080 HTTP")
    end = dump_project(project)

    # Undo everything back to the start, then redo to the end.
    stack = window.document.undo_stack
    steps = stack.count()
    assert steps >= 10
    while stack.canUndo():
        stack.undo()
    assert dump_project(project) == start
    assert not window.scene.items_by_id and not window.scene.edges
    while stack.canRedo():
        stack.redo()
    assert dump_project(project) == end
    assert set(window.scene.items_by_id) == set(project.nodes)

    # Save (through the patched dialog) and reopen: an equal project; the title loses its mark.
    assert window.windowTitle().startswith("*")
    path = str(tmp_path / "built.mesh.yaml")
    no_dialogs["save_project_as"] = path
    window.act_save.trigger()
    assert not window.document.dirty and not window.windowTitle().startswith("*")
    assert load_project(path) == project

    # Export from the GUI (the dialog, with its Export button) and from the CLI: the same files.
    from meshdesigner.gui.export_dialog import ExportDialog

    gui_out, cli_out = tmp_path / "gui-out", tmp_path / "cli-out"
    dialog = ExportDialog(project, window.diagnostics.diagnostics, str(gui_out), window)
    dialog.override.setChecked(True)
    dialog.envoy.setChecked(True)
    qtbot.waitUntil(dialog.export_button.isEnabled, timeout=20000)  # the preview is made off the GUI thread
    dialog.export_button.click()
    assert dialog.written
    assert cli_main(["export", path, "-o", str(cli_out), "--envoy", "--force"]) == 0
    assert tree(gui_out) == tree(cli_out)
    assert "istio.yaml" in tree(gui_out)


def tree(root) -> dict[str, bytes]:
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(folder, name)
            with open(full, "rb") as handle:
                out[os.path.relpath(full, root)] = handle.read()
    return out


def test_nonsense_connection_is_refused_with_a_message(make_editor):
    window = make_editor()
    svc = drop_from_palette(window, str(NodeKind.MESH_SERVICE), QPointF(720, 80))
    gw = drop_from_palette(window, str(NodeKind.INGRESS_GATEWAY), QPointF(40, 80))
    before = dump_project(window.document.project)
    count = window.document.undo_stack.count()
    connect_by_drag(window, svc.id, gw.id)
    assert dump_project(window.document.project) == before
    assert window.document.undo_stack.count() == count
    assert "Cannot connect" in window.statusBar().currentMessage()


def test_drag_move_is_one_undo_step(make_editor):
    from conftest import drag, view_point
    from meshdesigner.gui.scene.items import CARD_WIDTH

    window = make_editor()
    node = drop_from_palette(window, str(NodeKind.MESH_SERVICE), QPointF(400, 200))
    window.view.set_zoom(1.0)
    window.view.centerOn(500, 300)
    count = window.document.undo_stack.count()
    item = window.scene.items_by_id[node.id]
    start = view_point(window.view, item.pos() + QPointF(CARD_WIDTH / 2, 30))
    end = start + (start - start) + type(start)(120, 80)
    drag(window.view, start, end, steps=8)
    assert window.document.undo_stack.count() == count + 1
    moved = window.document.project.node(node.id).position
    assert moved != node.position and moved[0] % 20 == 0 and moved[1] % 20 == 0  # snapped to the grid
    window.document.undo_stack.undo()
    assert window.document.project.node(node.id).position == node.position
    assert (item.pos().x(), item.pos().y()) == node.position


def test_zoom_and_pan(make_editor):
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from conftest import EXAMPLES_DIR, send_mouse

    window = make_editor(str(EXAMPLES_DIR / "bookinfo.mesh.yaml"))
    view = window.view
    view.set_zoom(1.0)
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(centre, view.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() == pytest.approx(1.15)
    assert window.zoom_label.text() == "115%"
    # middle-button drag pans
    before = view.mapToScene(view.viewport().rect().center())
    start = view.viewport().rect().center()
    send_mouse(view, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.MiddleButton, Qt.MouseButton.MiddleButton)
    send_mouse(view, QEvent.Type.MouseMove, start + QPoint(-120, -60), Qt.MouseButton.NoButton,
               Qt.MouseButton.MiddleButton)
    send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPoint(-120, -60), Qt.MouseButton.MiddleButton,
               Qt.MouseButton.NoButton)
    after = view.mapToScene(view.viewport().rect().center())
    assert after.x() > before.x() + 50 and after.y() > before.y() + 20
    assert window.document.undo_stack.count() == 0  # panning is not an edit
    window.act_fit.trigger()
    assert view.zoom() <= 1.0
