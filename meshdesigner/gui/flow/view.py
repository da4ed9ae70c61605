"""The "Request flow" panel: the flow of the whole design or of one gateway, redrawn as the design
changes, with PNG/SVG export and a lit path for a tried request.

The flow is computed off the GUI thread on a snapshot of the design
(:class:`~meshdesigner.gui.background.SnapshotWorker`: a flow of a design edited meanwhile is dropped);
only drawing it happens here."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...analysis.flow import FlowGraph, FlowPath, compute_flow
from ..background import SnapshotWorker
from ..document import Document
from ..style import icon
from .export import save_png, save_svg
from .scene import FlowNodeItem, FlowScene

REDRAW_DELAY_MS = 200
MIN_ZOOM, MAX_ZOOM, ZOOM_STEP = 0.1, 3.0, 1.15
FIT_MARGIN = 12.0
WHOLE_DESIGN = ""


def flow_of(project, gateway: str | None) -> FlowGraph:
    """The flow of one gateway (``namespace/name``), or of the whole design when it is gone or ``None``."""
    try:
        return compute_flow(project, gateway)
    except KeyError:
        return compute_flow(project)


def ask_image_path(parent: QWidget | None, fmt: str, suggested: str) -> str | None:
    """The native save dialog for an image (patched in tests)."""
    label = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}[fmt]
    path, _ = QFileDialog.getSaveFileName(parent, f"Save the request flow as {fmt.upper()}", suggested, label)
    if path and not path.lower().endswith("." + fmt):
        path += "." + fmt
    return path or None


class FlowGraphicsView(QGraphicsView):
    """The drawing: the wheel zooms about the pointer, a drag pans, Fit shows every lane."""

    def __init__(self, scene: FlowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom() * factor))
        self.scale(target / self.zoom(), target / self.zoom())

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The wheel zooms (as on the canvas); Shift+wheel scrolls."""
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or not event.angleDelta().y():
            super().wheelEvent(event)
            return
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        event.accept()

    def fit(self) -> None:
        """Every lane in view, from Clients to External (never enlarged past 100%)."""
        rect = self.scene().sceneRect().adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        if not rect.isValid():
            return
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
        self.centerOn(rect.center())


class FlowView(QWidget):
    """Scope picker, export buttons and the drawing. ``sig_node_activated(model id)`` on double-click."""

    sig_node_activated = Signal(str)
    sig_graph_changed = Signal(object)   # FlowGraph

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.graph: FlowGraph | None = None
        self.stale = False
        self.path: FlowPath | None = None
        self.worker = SnapshotWorker("flow", self)
        self.scene = FlowScene(self)
        self.view = FlowGraphicsView(self.scene)
        self.view.mouseDoubleClickEvent = self._double_click  # type: ignore[method-assign]
        self.scope = QComboBox()
        self.scope.setToolTip("Show the whole design, or only what passes through one gateway")
        self.scope.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scope.setMinimumContentsLength(28)
        self.scope.currentIndexChanged.connect(lambda _i: self.redraw(force=True))
        self.status = QLabel()
        self.status.setObjectName("Muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.scope)
        bar.addWidget(self.status, 1)
        self.buttons = {}
        for key, text, icon_name, slot in (("fit", "Fit", "fit", self.view.fit),
                                           ("png", "PNG…", "export", lambda: self.export("png")),
                                           ("svg", "SVG…", "export", lambda: self.export("svg"))):
            button = QToolButton(text=text, icon=icon(icon_name))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip({"fit": "Fit the whole flow in view", "png": "Save the flow as a PNG image",
                               "svg": "Save the flow as an SVG drawing"}[key])
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.timer = QTimer(self, singleShot=True, interval=REDRAW_DELAY_MS)
        self.timer.timeout.connect(self.redraw)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.shown()

    def shown(self) -> None:
        """The panel came on screen (shown, or its tab chosen): catch up with the edits it skipped."""
        if self.stale and self.on_screen():
            self.redraw(force=True)

    def set_document(self, document: Document) -> None:
        # The window closes the previous document, and its signals die with it.
        self.document = document
        self.worker.drop()
        self.worker.follow(document)
        document.sig_edited.connect(self.timer.start)
        self.path = None
        self.graph = None
        self.scene.set_graph(FlowGraph("project", [], []))
        # Drawn when it comes on screen: opening a large design does not wait for a hidden panel.
        self.stale = True
        if self.on_screen():
            self.redraw(force=True)

    # ----- drawing -----------------------------------------------------------------------------
    def _fill_scopes(self) -> None:
        current = self.scope.currentData()
        gateways = sorted(g.gateway.metadata.qualified for g in self.document.project.gateways())
        wanted = [("Whole design", WHOLE_DESIGN)] + [(f"Gateway {g}", g) for g in gateways]
        if [(self.scope.itemText(i), self.scope.itemData(i)) for i in range(self.scope.count())] == wanted:
            return
        self.scope.blockSignals(True)
        self.scope.clear()
        for text, data in wanted:
            self.scope.addItem(text, data)
        index = self.scope.findData(current)
        self.scope.setCurrentIndex(max(0, index))
        self.scope.blockSignals(False)

    def set_scope(self, gateway: str | None) -> None:
        """Show one gateway (``namespace/name``) or, with ``None``, the whole design."""
        self._fill_scopes()
        self.scope.setCurrentIndex(max(0, self.scope.findData(gateway or WHOLE_DESIGN)))
        self.redraw(force=True)

    def on_screen(self) -> bool:
        # A dock in a background tab stays "visible" to Qt; what is on screen has a visible region.
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def redraw(self, force: bool = False) -> None:
        """Recompute (off the GUI thread) and redraw; while the panel is off screen only remember to do it
        when it is shown (a 2,000-resource design takes about half a second to compute and to draw)."""
        if self.document is None:
            return
        if not force and not self.on_screen():
            self.stale = True
            return
        self.stale = False
        self._fill_scopes()
        gateway = self.scope.currentData() or None
        self.worker.start(self.document.project, lambda snapshot: flow_of(snapshot, gateway), self._draw)

    def redraw_now(self) -> None:
        """Recompute and redraw on this thread (saving an image needs the drawing at once)."""
        self.worker.drop()
        self.stale = False
        self._fill_scopes()
        self._draw(flow_of(self.document.project, self.scope.currentData() or None))

    def _draw(self, graph: FlowGraph | Exception) -> None:
        if isinstance(graph, Exception):  # a design the flow cannot follow yet: say so, keep the old drawing
            self.status.setText(f"The flow cannot be drawn: {graph}")
            return
        first = self.graph is None
        self.graph = graph
        self.scene.set_graph(graph)
        if self.path is not None:
            self._apply_path()
        routes = sum(1 for e in graph.edges if e.kind == "routes")
        self.status.setText(f"{len(graph.nodes)} steps · {routes} routes" if graph.nodes else
                            "Nothing to show yet: add a gateway or a virtual service.")
        if first:
            self.view.fit()
        self.sig_graph_changed.emit(graph)

    # ----- a tried request ---------------------------------------------------------------------
    def show_path(self, path: FlowPath | None) -> None:
        """Light up ``path`` (from :func:`meshdesigner.analysis.flow.trace`); ``None`` clears."""
        self.path = path
        self._apply_path()

    def _apply_path(self) -> None:
        if self.path is None:
            self.scene.set_highlight((), ())
            return
        self.scene.set_highlight(self.path.nodes, self.path.edges, self.path.rows, self.path.skipped)
        lit = [self.scene.node_items[n] for n in self.path.nodes if n in self.scene.node_items]
        if lit:
            self.view.ensureVisible(lit[-1], 40, 40)

    # ----- export ------------------------------------------------------------------------------
    def export(self, fmt: str, path: str | None = None) -> str | None:
        """Save the drawing as ``png`` or ``svg`` (asks where unless ``path`` is given)."""
        if self.document is None:
            return None
        if self.stale or self.graph is None or self.worker.busy:
            self.redraw_now()
        if path is None:
            folder = os.path.dirname(self.document.path) if self.document and self.document.path else ""
            name = "flow" if self.graph.scope == "project" else "flow-" + self.graph.scope.replace("/", "-")
            path = ask_image_path(self, fmt, os.path.join(folder, f"{name}.{fmt}"))
            if not path:
                return None
        if fmt == "png":
            save_png(self.scene, path)
        else:
            save_svg(self.scene, path, f"Request flow: {self.graph.scope}")
        self.status.setText(f"Saved {os.path.basename(path)}")
        return path

    def _double_click(self, event) -> None:
        item = self.view.itemAt(event.position().toPoint())
        while item is not None and not isinstance(item, FlowNodeItem):
            item = item.parentItem()
        if isinstance(item, FlowNodeItem) and item.node.model_id:
            self.sig_node_activated.emit(item.node.model_id)
        else:
            QGraphicsView.mouseDoubleClickEvent(self.view, event)
