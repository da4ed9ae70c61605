"""A small overview of the whole design in the canvas corner; click or drag in it to move the view.

On a grouped canvas it shows the groups (tinted by their worst diagnostic), the focus box and the
focused neighbourhood's cards in the accent colour.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from ..style import ACCENT, KIND_COLOURS, SEVERITY_COLOURS, current_theme

WIDTH, HEIGHT, MARGIN = 200, 130, 12


class Minimap(QWidget):
    def __init__(self, view) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.setFixedSize(WIDTH, HEIGHT)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._pixmap: QPixmap | None = None
        self._bounds = QRectF()
        self._scale = 1.0

    def place(self) -> None:
        parent = self.parentWidget()
        self.move(parent.width() - WIDTH - MARGIN, parent.height() - HEIGHT - MARGIN)
        self.raise_()

    def refresh(self) -> None:
        """Redraw the overview picture (after edits; cheap rectangles, once per burst)."""
        scene = self.view.canvas
        navigator = scene.navigator
        if navigator.shown is None:
            shown = list(scene.items_by_id.values())
        else:  # grouped: only the cards of open groups and the focus box (none in the overview)
            visible = navigator.shown
            shown = [item for node_id, item in scene.items_by_id.items() if node_id in visible]
        bounds = navigator.content_rect() if navigator.enabled else QRectF()
        for item in shown:
            bounds = bounds.united(item.sceneBoundingRect())
        self.setVisible(bool(scene.items_by_id))
        bounds = bounds if not bounds.isNull() else QRectF()
        if bounds.isEmpty():
            self._pixmap = None
            return
        bounds.adjust(-40, -40, 40, 40)
        scale = min((WIDTH - 8) / bounds.width(), (HEIGHT - 8) / bounds.height())
        self._bounds, self._scale = bounds, scale
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(WIDTH * ratio), int(HEIGHT * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        theme = current_theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.border), 1))
        painter.setBrush(QColor(theme.base))
        painter.drawRoundedRect(QRectF(0.5, 0.5, WIDTH - 1, HEIGHT - 1), 6, 6)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for group in navigator.groups.values() if navigator.enabled else ():
            if not group.isVisible():
                continue
            worst = group.summary().worst
            fill = QColor(SEVERITY_COLOURS[worst] if worst in ("error", "warning") else theme.muted)
            fill.setAlpha(90 if group.collapsed else 40)
            painter.setBrush(fill)
            painter.drawRect(self._to_map(navigator.group_rect(group.namespace)))
        if navigator.focus_rect is not None:
            painter.setPen(QPen(QColor(ACCENT), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._to_map(navigator.focus_rect))
            painter.setPen(Qt.PenStyle.NoPen)
        for item in shown:
            in_focus = item.node_id in navigator.focus_ids
            painter.setBrush(QColor(ACCENT if in_focus else KIND_COLOURS[item.node.kind]))
            painter.drawRect(self._to_map(item.sceneBoundingRect()))
        painter.end()
        self._pixmap = pixmap
        self.place()
        self.update()

    def _to_map(self, rect: QRectF) -> QRectF:
        s = self._scale
        return QRectF(4 + (rect.x() - self._bounds.x()) * s, 4 + (rect.y() - self._bounds.y()) * s,
                      max(1.5, rect.width() * s), max(1.0, rect.height() * s))

    def everything_visible(self) -> bool:
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        return visible.contains(self._bounds.adjusted(40, 40, -40, -40))

    def paintEvent(self, _event) -> None:
        if self._pixmap is None or self.everything_visible():
            return  # nothing to navigate
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        painter.setPen(QPen(QColor(ACCENT), 1.5))
        fill = QColor(ACCENT)
        fill.setAlpha(30)
        painter.setBrush(fill)
        painter.drawRect(self._to_map(visible).intersected(QRectF(1, 1, WIDTH - 2, HEIGHT - 2)))

    def _go(self, pos: QPointF) -> None:
        x = self._bounds.x() + (pos.x() - 4) / self._scale
        y = self._bounds.y() + (pos.y() - 4) / self._scale
        self.view.centerOn(QPointF(x, y))
        self.update()

    def mousePressEvent(self, event) -> None:
        if self._pixmap is not None:
            self._go(event.position())

    def mouseMoveEvent(self, event) -> None:
        if self._pixmap is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())
