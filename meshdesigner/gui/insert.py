"""Adding nodes without the palette: the Insert menu and its shortcuts (Ctrl+1 … Ctrl+5, in lane order).

A new node goes where the mouse is when the cursor is over the canvas (as a drop would), else into its own
lane below the nodes already there. Each insert is one undo step and selects the new node.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from ..model import LANE_ORDER, NodeKind, Project
from ..model.layout import LANE_MARGIN, LANE_WIDTH, ROW_GAP
from .scene.items import CARD_WIDTH, GRID, HEADER, card_height
from .style import KIND_COLOURS, KIND_LABELS, icon

FIRST_ROW_Y = LANE_MARGIN + 40.0


def shortcut_for(kind: NodeKind) -> str:
    return f"Ctrl+{LANE_ORDER.index(kind) + 1}"


def lane_position(project: Project, kind: NodeKind) -> tuple[float, float]:
    """Below the last node of ``kind``'s lane (the first row when the lane is empty), on the grid."""
    x = LANE_MARGIN + LANE_ORDER.index(kind) * LANE_WIDTH
    in_lane = [n for n in project if n.kind == kind]
    y = max((n.position[1] + card_height(n) + ROW_GAP for n in in_lane), default=FIRST_ROW_Y)
    return x, round(y / GRID) * GRID


def insert_node(window, kind: NodeKind | str, at_cursor: bool | None = None) -> str | None:
    """Add a node of ``kind`` (at the cursor when it is over the canvas, else in its lane); its id."""
    kind = NodeKind(kind)
    if window.centre.currentWidget() is not window.view:
        return None  # no design open: the start page is showing
    view = window.view
    viewport_pos = view.viewport().mapFromGlobal(QCursor.pos())
    over_canvas = view.viewport().rect().contains(viewport_pos)
    if at_cursor if at_cursor is not None else over_canvas:
        pos = view.mapToScene(viewport_pos) - QPointF(CARD_WIDTH / 2, HEADER / 2)
        position = (round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)
    else:
        position = lane_position(window.document.project, kind)
    node = window.document.create_node(kind, position)
    window.scene.select_only([node.id])
    item = window.scene.items_by_id.get(node.id)
    if item is not None:
        view.ensureVisible(item, 60, 60)
    window.show_message(f"Added {KIND_LABELS[kind].lower()} {node.name}", 3000)
    return node.id


def build_insert_menu(window: QMainWindow) -> tuple[QMenu, dict[NodeKind, QAction]]:
    """The Insert menu: one action per node kind, in lane order, with its shortcut."""
    menu = QMenu("&Insert", window)
    actions: dict[NodeKind, QAction] = {}
    for kind in LANE_ORDER:
        action = QAction(icon(str(kind), KIND_COLOURS[kind]), KIND_LABELS[kind], window)
        action.setObjectName(f"act_insert_{kind.value}")
        action.setShortcut(QKeySequence(shortcut_for(kind)))
        action.setStatusTip(f"Add a {KIND_LABELS[kind].lower()} at the mouse pointer, or in its lane")
        action.triggered.connect(lambda _checked=False, k=kind: insert_node(window, k))
        menu.addAction(action)
        window.addAction(action)
        actions[kind] = action
    return menu, actions
