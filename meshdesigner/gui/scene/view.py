"""The canvas view: zoom, pan, rubber-band selection, dragging to connect, dropping from the palette.

Tool modes (``select``, ``connect``, ``pan``) change what a left drag does; in select mode a drag
that starts on a card's connect handle (the circle on its right edge) connects too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QFrame, QGraphicsPathItem, QGraphicsView, QLabel, QWidget

from ...model import NodeKind
from .. import dialogs
from ..connect import ConnectError
from ..egress import is_egress_connection
from ..style import ACCENT
from .canvas import CanvasScene, lane_rect
from .items import CARD_WIDTH, GRID, HEADER, NodeItem

KIND_MIME = "application/x-meshdesigner-kind"
MIN_ZOOM, MAX_ZOOM = 0.02, 3.0


class CanvasView(QGraphicsView):
    sig_status = Signal(str, int)           # message, milliseconds (0 = until replaced)
    sig_zoom_changed = Signal(float)
    sig_mode_changed = Signal(str)

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mode = "select"
        self._connect_from: NodeItem | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._panning: QPointF | None = None
        self._space_held = False
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._after_paint: list = []
        from .minimap import Minimap

        self.empty_hint = QLabel("Drag a gateway, virtual service or service from the palette to start\n"
                                 "(or use the Insert menu: Ctrl+1 … Ctrl+5)", self.viewport())
        self.empty_hint.setObjectName("Muted")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.minimap = Minimap(self)
        self._minimap_timer = QTimer(self, singleShot=True, interval=300)
        self._minimap_timer.timeout.connect(self.minimap.refresh)
        self._reshape_timer = QTimer(self, singleShot=True, interval=200)  # regroup after a resize
        self._reshape_timer.timeout.connect(self._reshape)
        self._press_item: NodeItem | None = None
        self.set_scene(scene)

    def set_scene(self, scene: CanvasScene) -> None:
        self.setScene(scene)
        scene.set_zoom(self.zoom())
        scene.changed.connect(lambda _rects: self._minimap_timer.start())
        for signal in (scene.document.sig_node_added, scene.document.sig_node_removed):
            signal.connect(self._update_empty_hint)
        self._update_empty_hint()
        scene.navigator.sig_changed.connect(self._navigated)
        self._repack()
        self.minimap.refresh()

    def _update_empty_hint(self, *_args) -> None:
        """The "how to start" hint shows on an empty canvas only, and leaves with the first node."""
        self.empty_hint.setVisible(not self.canvas.document.project.nodes)

    def _aspects(self) -> tuple[float, float]:
        """The shapes groups are packed to, in the overview and while focused: the viewport, and the
        viewport above the minimap (the overview shows everything, so it has no minimap)."""
        from .minimap import HEIGHT, MARGIN

        size = self.viewport().size()
        return tuple(max(0.3, min(5.0, size.width() / max(1, size.height() - room)))
                     for room in (0, HEIGHT + MARGIN))

    # ----- groups and focus (large designs) ----------------------------------------------------
    def _navigated(self, what: str, subject) -> None:
        """Show what the user asked for: the focus box, an opened group, or the whole overview."""
        navigator = self.canvas.navigator
        if what == "focus" and navigator.focus_rect is not None:
            self.fit_rect(navigator.focus_rect)
            if subject in self.canvas.items_by_id:
                self.canvas.select_only([subject])
        elif what == "group" and subject not in navigator.collapsed and subject in navigator.groups:
            self.fit_rect(navigator.group_rect(subject))
        else:
            self.fit_all()
        self.minimap.refresh()

    def _reshape(self) -> None:
        """The window changed shape: groups re-pack to use its width and height."""
        if self._repack():
            navigator = self.canvas.navigator
            if navigator.focus_rect is not None:
                self.fit_rect(navigator.focus_rect)
            else:
                self.fit_all()

    def _repack(self) -> bool:
        navigator = self.canvas.navigator
        aspects = self._aspects()
        if navigator.enabled and max(abs(a - b) for a, b in zip(navigator.aspects, aspects, strict=True)) > 0.05:
            navigator.aspects = aspects
            navigator.relayout()
            return True
        return False

    def go_back(self) -> None:
        self.canvas.navigator.back()

    def go_forward(self) -> None:
        self.canvas.navigator.forward()

    def show_overview(self) -> None:
        """Leave focus (a step in the history) and show every group."""
        if self.canvas.navigator.focus_id is not None:
            self.canvas.navigator.focus(None)
        else:
            self.fit_all()

    @property
    def canvas(self) -> CanvasScene:
        return self.scene()  # type: ignore[return-value]

    # ----- zoom and fit -----------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.setTransform(self.transform().fromScale(factor, factor))
        self._zoom_changed()

    def _zoom_changed(self) -> None:
        factor = self.zoom()
        self.canvas.set_zoom(factor)
        self.sig_zoom_changed.emit(factor)
        self.minimap.update()

    def zoom_by(self, ratio: float) -> None:
        self.set_zoom(self.zoom() * ratio)

    def fit_rect(self, rect: QRectF, margin: float = 40.0, beside_minimap: bool = True) -> None:
        """Show ``rect`` as large as it fits, never above 100 %: beside the minimap (above it or left of
        it, whichever gives the larger zoom) when part of the design stays out of sight."""
        from .minimap import HEIGHT, MARGIN, WIDTH

        rect = rect.adjusted(-margin, -margin, margin, margin)
        vw, vh = self.viewport().width(), self.viewport().height()
        areas = [QRectF(0, 0, vw, max(1.0, vh - HEIGHT - MARGIN)), QRectF(0, 0, max(1.0, vw - WIDTH - MARGIN), vh)]
        if not beside_minimap:
            areas = [QRectF(0, 0, vw, vh)] * 2
        zooms = [min(a.width() / max(1.0, rect.width()), a.height() / max(1.0, rect.height())) for a in areas]
        best = max(range(2), key=lambda i: zooms[i])
        zoom = min(1.0, zooms[best])
        self.set_zoom(zoom)
        zoom = self.zoom()  # clamped to the view's limits
        area = areas[best]
        offset = QPointF((vw / 2 - area.center().x()) / zoom, (vh / 2 - area.center().y()) / zoom)
        self.centerOn(rect.center() + offset)
        self._zoom_changed()
        self.minimap.update()

    def fit_all(self) -> None:
        navigator = self.canvas.navigator
        if navigator.enabled and not navigator.content_rect().isEmpty():
            self._repack()
            if navigator.focus_rect is not None:
                self.fit_rect(navigator.focus_rect)
            else:
                self.fit_rect(navigator.content_rect(), 30.0, beside_minimap=False)
            return
        items = self.canvas.items_by_id.values()
        if not items:
            # An empty design starts at its left edge: the Clients and Ingress lanes in sight, titles on top.
            self.set_zoom(1.0)
            clients = lane_rect(0, 0.0, 1.0)
            self.centerOn(clients.left() - 20 + self.viewport().width() / 2,
                          self.canvas.lane_title_y - 30 + self.viewport().height() / 2)
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        rect.adjust(-60, -70, 60, 40)
        if self.canvas.ingress_items():
            rect.adjust(-40, 0, 0, 0)  # the internet marks left of the ingress gateways
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.set_zoom(1.0)
            self.centerOn(rect.center())
        self._zoom_changed()
        self.minimap.update()

    def focus_node(self, node_id: str) -> None:
        """Bring a node into view and select it; on a grouped canvas, focus on its neighbourhood."""
        item = self.canvas.items_by_id.get(node_id)
        if item is None:
            return
        if self.canvas.navigator.enabled:
            self.canvas.navigator.focus(node_id)
            item.setFocus()
            return
        self.canvas.select_only([node_id])
        item.setFocus()
        self.ensureVisible(item, 80, 80)

    def highlight_path(self, node_ids, edge_keys) -> None:
        """Light up a path (e.g. a tried request): nodes by id, edges by (source, target, kind, path).
        On a grouped canvas a path through collapsed groups is brought into view by focusing its first
        node (whose neighbourhood holds the whole path)."""
        node_ids = list(node_ids)
        navigator = self.canvas.navigator
        known = [i for i in node_ids if i in self.canvas.items_by_id]
        if navigator.enabled and known and not all(navigator.is_shown(i) for i in known):
            navigator.focus(known[0])
        self.canvas.set_highlight(node_ids, edge_keys)

    def clear_highlight(self) -> None:
        self.canvas.set_highlight((), ())

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag if mode == "select"
                         else QGraphicsView.DragMode.NoDrag)
        self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if mode == "pan"
                                  else Qt.CursorShape.CrossCursor if mode == "connect"
                                  else Qt.CursorShape.ArrowCursor)
        self.sig_mode_changed.emit(mode)

    # ----- events ----------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._nudge(event)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.set_mode(self.mode)
            return
        super().keyReleaseEvent(event)

    def _nudge(self, event: QKeyEvent) -> None:
        ids = self.canvas.selected_ids()
        if not ids or self.canvas.navigator.enabled:  # grouped: the navigator places the cards
            return
        step = GRID if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier else GRID * 5
        dx = {Qt.Key.Key_Left: -step, Qt.Key.Key_Right: step}.get(event.key(), 0)
        dy = {Qt.Key.Key_Up: -step, Qt.Key.Key_Down: step}.get(event.key(), 0)
        project = self.canvas.document.project
        self.canvas.document.move_nodes({i: (project.node(i).position[0] + dx, project.node(i).position[1] + dy)
                                         for i in ids})

    def focusNextPrevChild(self, forward: bool) -> bool:
        """Tab and Shift+Tab walk the nodes in canonical order (keyboard users reach every node)."""
        order = [n.id for n in self.canvas.document.project.sorted_nodes()]
        if not order:
            return super().focusNextPrevChild(forward)
        current = self.canvas.selected_ids()
        index = order.index(current[0]) if current and current[0] in order else -1
        index = (index + (1 if forward else -1)) % len(order)
        self.focus_node(order[index])
        return True

    def node_at(self, view_pos) -> NodeItem | None:
        for item in self.items(view_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def _on_handle(self, item: NodeItem, scene_pos: QPointF) -> bool:
        local = item.mapFromScene(scene_pos)
        return abs(local.x() - CARD_WIDTH) <= 9 and abs(local.y() - HEADER / 2) <= 9

    def mousePressEvent(self, event) -> None:
        pan = (event.button() == Qt.MouseButton.MiddleButton
               or (event.button() == Qt.MouseButton.LeftButton and (self._space_held or self.mode == "pan")))
        if pan:
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.node_at(event.position().toPoint())
            scene_pos = self.mapToScene(event.position().toPoint())
            if item is not None and (self.mode == "connect" or self._on_handle(item, scene_pos)):
                self._start_connect(item, scene_pos)
                event.accept()
                return
        super().mousePressEvent(event)
        self._press_item = self.node_at(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton \
            else None
        if self.canvas.navigator.enabled:
            self._press_positions = {}  # cards are placed by the navigator, never dragged
            return
        self._press_positions = {i: (it.pos().x(), it.pos().y()) for i, it in self.canvas.items_by_id.items()
                                 if it.isSelected()}

    def mouseMoveEvent(self, event) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            self.minimap.update()
            return
        if self._connect_from is not None:
            self._drag_connect(self.mapToScene(event.position().toPoint()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning is not None:
            self._panning = None
            self.set_mode(self.mode)
            return
        if self._connect_from is not None:
            self._finish_connect(self.node_at(event.position().toPoint()))
            return
        super().mouseReleaseEvent(event)
        self._commit_drag()
        pressed, self._press_item = self._press_item, None
        navigator = self.canvas.navigator
        if (pressed is not None and navigator.enabled and pressed.node_id not in navigator.focus_ids
                and self.node_at(event.position().toPoint()) is pressed):
            # A click on a card outside the focus focuses it (inside, it only selects: editing there
            # keeps the layout still).
            self.focus_node(pressed.node_id)

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.node_at(event.position().toPoint())
        if item is not None and self.canvas.navigator.enabled:
            self.focus_node(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _commit_drag(self) -> None:
        """A drag is one undo step, pushed when the mouse is released."""
        project = self.canvas.document.project
        moved = {}
        for node_id in self._press_positions:
            item = self.canvas.items_by_id.get(node_id)
            if item is not None and node_id in project:
                pos = (round(item.pos().x(), 1), round(item.pos().y(), 1))
                if pos != project.node(node_id).position:
                    moved[node_id] = pos
        self._press_positions = {}
        if moved:
            self.canvas.document.move_nodes(moved)

    # ----- connecting ------------------------------------------------------------------------
    def _start_connect(self, item: NodeItem, scene_pos: QPointF) -> None:
        self._connect_from = item
        self._rubber = QGraphicsPathItem()
        self._rubber.setPen(QPen(QColor(ACCENT), 2, Qt.PenStyle.DashLine))
        self._rubber.setZValue(10)
        self.canvas.addItem(self._rubber)
        self._drag_connect(scene_pos)

    def _drag_connect(self, scene_pos: QPointF) -> None:
        if self._rubber is None or self._connect_from is None:
            return
        start = self._connect_from.out_anchor()
        path = QPainterPath(start)
        dx = max(40.0, abs(scene_pos.x() - start.x()) / 2)
        path.cubicTo(start + QPointF(dx, 0), scene_pos - QPointF(dx, 0), scene_pos)
        self._rubber.setPath(path)

    def _finish_connect(self, target: NodeItem | None) -> None:
        source = self._connect_from
        self._connect_from = None
        if self._rubber is not None:
            self.canvas.removeItem(self._rubber)
            self._rubber = None
        if source is None or target is None or target is source:
            return
        self.connect_nodes(source.node_id, target.node_id)

    def connect_nodes(self, source_id: str, target_id: str) -> bool:
        """Connect two nodes through the document; a refusal goes to the status bar."""
        document = self.canvas.document
        egress = is_egress_connection(document.project, source_id, target_id)
        if egress is not None:
            return self._connect_through_egress(source_id, *egress)
        try:
            result = document.connect_nodes(source_id, target_id)
        except ConnectError as exc:
            self.sig_status.emit(f"Cannot connect: {exc}", 6000)
            return False
        self.sig_status.emit(result.message, 4000)
        return True

    def _connect_through_egress(self, source_id: str, gateway_id: str, external_id: str) -> bool:
        """Egress gateway -> external service (or a virtual service for an external host -> egress gateway):
        the egress dialog shows what will be created; OK applies it as one undo step."""
        document = self.canvas.document
        source = document.project.node(source_id)
        vs_id = source_id if source.kind == NodeKind.VIRTUAL_SERVICE else None
        plan = dialogs.confirm_egress(self.window(), document.project, gateway_id, external_id, vs_id)
        if plan is None:
            self.sig_status.emit("Egress path not created", 4000)
            return False
        gateway = document.project.node(gateway_id)
        document.apply_changes(plan.replaced, plan.added, f"Route {plan.host} through {gateway.name}")
        self.sig_status.emit(f"Mesh traffic for {plan.host} now goes through {gateway.name} ({plan.mode})", 5000)
        return True

    # ----- palette drops ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()  # files: let the main window take them

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if not data.hasFormat(KIND_MIME):
            event.ignore()
            return
        kind = NodeKind(bytes(data.data(KIND_MIME)).decode())
        pos = self.mapToScene(event.position().toPoint()) - QPointF(CARD_WIDTH / 2, HEADER / 2)
        snapped = (round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)
        node = self.canvas.document.create_node(kind, snapped)
        self.canvas.select_only([node.id])
        event.acceptProposedAction()

    def after_next_paint(self, callback, delay_ms: int = 50) -> None:
        """Run ``callback`` shortly after the canvas has next been painted (or after a second anyway)."""
        self._after_paint.append((callback, delay_ms))
        QTimer.singleShot(1000, self, self._run_after_paint)  # context: cancelled with the view

    def _run_after_paint(self) -> None:
        pending, self._after_paint = self._after_paint, []
        for callback, delay in pending:
            QTimer.singleShot(delay, self, callback)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._after_paint:
            self._run_after_paint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        self.empty_hint.setGeometry(self.viewport().rect().adjusted(40, 0, -40, 0))
        if self.canvas.navigator.enabled:
            self._reshape_timer.start()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.Resize:  # scroll bars coming and going resize only the viewport
            self.minimap.place()
        return super().viewportEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.update()
