"""Batch drawing for large designs, so a 2,000-node canvas repaints in a few milliseconds.

* :class:`EdgeLayer`: when the design has many edges, they are drawn as a handful of combined
  paths (one per colour and line style) with hairline pens instead of one item each; highlighted
  edges still draw themselves, on top, at full width.
* :class:`NodeOverviewLayer`: below the low-detail zoom the cards are drawn as filled blocks, one
  combined path per kind colour.

Items stay in the scene (selection, hit tests, tooltips); only their painting is switched off
with ``ItemHasNoContents`` while a layer draws for them.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..style import ACCENT, KIND_COLOURS
from .items import LOW_DETAIL, draw_label, resolve_role

LINE_STYLES = {"binds": Qt.PenStyle.DashLine, "fronts": Qt.PenStyle.DotLine}
BATCH_EDGES = 400       # more edges than this: batch them
MAX_LABELS = 80         # labels drawn per repaint in batch mode


class _Layer(QGraphicsItem):
    def __init__(self, scene, z: float) -> None:
        super().__init__()
        self.canvas = scene
        self.setZValue(z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def boundingRect(self) -> QRectF:
        return self.canvas.sceneRect()


class EdgeLayer(_Layer):
    """Edges drawn as combined paths, kept in buckets (by the node that writes the reference) so an
    edit rebuilds only the buckets it touched."""

    BUCKETS = 64

    def __init__(self, scene) -> None:
        super().__init__(scene, -2)
        self._buckets: dict[int, tuple[dict, list]] = {}
        self._dirty: set[int] = set(range(self.BUCKETS))

    @classmethod
    def bucket_of(cls, key: tuple) -> int:
        writer = key[1] if key[2] == "binds" else key[0]
        return hash(writer) % cls.BUCKETS

    def invalidate(self, key: tuple | None = None) -> None:
        if key is None:
            self._dirty = set(range(self.BUCKETS))
        else:
            self._dirty.add(self.bucket_of(key))
        self.update()

    def _build(self) -> None:
        dirty = self._dirty
        fresh: dict[int, tuple[dict, list]] = {b: ({}, []) for b in dirty}
        highlighted = self.canvas.highlight_edges
        bucket_of = self.bucket_of
        shown = self.canvas.navigator.shown  # None: every card shows
        for key, (role, kind, path, head, label_at, text) in self.canvas.edge_drawing.items():
            bucket = fresh.get(bucket_of(key))
            if bucket is None or key in highlighted:
                continue
            if shown is not None and (key[0] not in shown or key[1] not in shown or key in self.canvas.stale_edges):
                continue
            batches, labels = bucket
            batch = batches.get((role, kind))
            if batch is None:
                batch = batches[(role, kind)] = (QPainterPath(), QPainterPath())
            batch[0].addPath(path)
            batch[1].addPath(head)
            if text:
                labels.append((label_at, text, role))
        self._buckets.update(fresh)
        self._dirty = set()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if not self.canvas.batched:
            return
        if self._dirty:
            self._build()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        detailed = lod >= LOW_DETAIL
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, detailed)
        exposed = option.exposedRect
        pens: dict[tuple[str, str], QPen] = {}
        for batches, _labels in self._buckets.values():
            for (role, kind), (lines, heads) in batches.items():
                pen = pens.get((role, kind))
                if pen is None:
                    # hairline: wider cosmetic pens are hundreds of times slower here
                    pen = pens[(role, kind)] = QPen(QColor(resolve_role(role)), 0,
                                                    LINE_STYLES.get(kind, Qt.PenStyle.SolidLine))
                    pen.setCosmetic(True)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(lines)
                if detailed:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(pen.color())
                    painter.drawPath(heads)
        if lod >= 0.8:
            shown = 0
            for _batches, labels in self._buckets.values():
                for point, text, role in labels:
                    if exposed.contains(point):
                        draw_label(painter, point, text, QColor(resolve_role(role)))
                        shown += 1
                        if shown >= MAX_LABELS:
                            return


class NodeOverviewLayer(_Layer):
    def __init__(self, scene) -> None:
        super().__init__(scene, 2)
        self._blocks: dict[str, QPainterPath] | None = None

    def invalidate(self) -> None:
        self._blocks = None
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if not self.canvas.overview:
            return
        if self._blocks is None:
            blocks: dict[str, QPainterPath] = {}
            for item in self.canvas.items_by_id.values():
                if not item.isVisible():
                    continue
                path = blocks.setdefault(KIND_COLOURS[item.node.kind], QPainterPath())
                path.addRect(item.sceneBoundingRect().adjusted(4, 12, -12, -4))
            self._blocks = blocks
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, path in self._blocks.items():
            painter.fillPath(path, QColor(colour))
        pen = QPen(QColor(ACCENT), 3)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for node_id in set(self.canvas.selected_ids()) | self.canvas.highlight_nodes:
            item = self.canvas.items_by_id.get(node_id)
            if item is not None:
                painter.drawRect(item.sceneBoundingRect().adjusted(4, 12, -12, -4))
