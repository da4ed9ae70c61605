"""Drawing a :class:`~meshdesigner.analysis.flow.FlowGraph`: lanes, node cards with rows, weighted edges.

Everything is painted by two small QGraphicsItem classes (cards and edges); the scene lays the
columns out left to right, and a tried request is lit up with :meth:`FlowScene.set_highlight`.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from ...analysis.flow import COLUMN_LANE, LANES, FlowEdge, FlowGraph, FlowNode
from ..style import ACCENT, KIND_COLOURS, SEVERITY_COLOURS, current_theme, icon_pixmap

HEADER = 44.0
ROW = 21.0
BOTTOM = 8.0
GAP_Y = 28.0
GAP_X = 150.0
TOP = 64.0            # room for the lane titles
LEFT = 24.0
WIDTHS = {"client": 180.0, "router": 420.0, "ingress-gateway": 380.0, "egress-gateway": 380.0}
DEFAULT_WIDTH = 240.0
MAX_EDGE_WIDTH = 14.0
MIN_EDGE_WIDTH = 1.6

EGRESS = "#E69F00"
KIND_ICONS = {"ingress-gateway": "ingress-gateway", "egress-gateway": "egress-gateway", "router": "virtual-service",
              "mesh-service": "mesh-service", "external-service": "external-service", "missing": "warning"}
NODE_COLOURS = {"client": "#56B4E9", "router": KIND_COLOURS["virtual-service"], "missing": SEVERITY_COLOURS["error"],
                **{k: v for k, v in KIND_COLOURS.items()}}
EDGE_COLOURS = {"enters": KIND_COLOURS["ingress-gateway"], "binds": KIND_COLOURS["ingress-gateway"],
                "sends": "#56B4E9", "routes": None, "mirrors": KIND_COLOURS["virtual-service"],
                "fronts": EGRESS, "direct": "#999999"}

_FONTS: dict[str, QFont] = {}


def font(kind: str) -> QFont:
    if kind not in _FONTS:
        f = QFont()
        f.setPointSizeF({"title": 10.0, "small": 8.0, "lane": 10.5, "label": 8.2}.get(kind, 8.8))
        f.setBold(kind in ("title", "lane", "label"))
        if kind == "mono":
            f.setFamily("monospace")
        _FONTS[kind] = f
    return _FONTS[kind]


def node_width(node: FlowNode) -> float:
    return WIDTHS.get(node.kind, DEFAULT_WIDTH)


def node_height(node: FlowNode) -> float:
    return HEADER + ROW * len(node.rows) + (BOTTOM if node.rows else 0.0)


LINK_WIDTH = 3.0      # gateway entries, bindings: structure, not a share of traffic


def edge_width(edge: FlowEdge) -> float:
    """Rule destinations: proportional to the configured share (a tiny share stays visible)."""
    if edge.kind not in ("routes", "mirrors"):
        return LINK_WIDTH
    return max(MIN_EDGE_WIDTH, MAX_EDGE_WIDTH * edge.share / 100.0)


def row_text(text: str) -> str:
    # Fonts without emoji would draw a box: the lock is painted as an icon instead.
    return text.replace(" 🔒", "")


class FlowNodeItem(QGraphicsItem):
    """One card: coloured header strip, icon, bold title, grey subtitle, one line per row."""

    def __init__(self, node: FlowNode) -> None:
        super().__init__()
        self.node = node
        self.width = node_width(node)
        self.height = node_height(node)
        self.highlighted = False
        self.lit_rows: set[str] = set()
        self.skipped_rows: dict[str, str] = {}
        self.dimmed = False
        self.setToolTip(self._tooltip())
        self.setAcceptHoverEvents(True)

    def _tooltip(self) -> str:
        lines = [f"{self.node.title} ({self.node.lane})", self.node.subtitle]
        for r in self.node.rows:
            line = f"• {row_text(r.text)}" + (f" — {r.note}" if r.note else "")
            if r.key in self.skipped_rows:
                line += f" — tried first, did not match: {self.skipped_rows[r.key]}"
            lines.append(line)
        return "\n".join(x for x in lines if x)

    def set_path_rows(self, lit: set[str], skipped: dict[str, str]) -> None:
        self.lit_rows, self.skipped_rows = set(lit), dict(skipped)
        self.setToolTip(self._tooltip())

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, self.width + 6, self.height + 6)

    def row_y(self, key: str | None) -> float:
        """Scene-relative y of a row's middle (the header's middle for ``None``)."""
        for i, row in enumerate(self.node.rows):
            if row.key == key:
                return HEADER + ROW * i + ROW / 2
        return HEADER / 2

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        theme = current_theme()
        node = self.node
        colour = QColor(NODE_COLOURS.get(node.kind, "#999999"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(0.35 if self.dimmed else 1.0)
        rect = QRectF(0, 0, self.width, self.height)
        border = QPen(QColor(ACCENT) if self.highlighted else theme.qcolor("card_border"),
                      2.6 if self.highlighted else 1.0)
        if node.kind in ("external-service", "missing"):
            border.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(border)
        painter.setBrush(theme.qcolor("card"))
        painter.drawRoundedRect(rect, 7, 7)
        # Header strip in the kind's colour.
        strip = QPainterPath()
        strip.addRoundedRect(QRectF(0, 0, self.width, 5), 2.5, 2.5)
        painter.fillPath(strip, colour)
        x = 10.0
        icon = KIND_ICONS.get(node.kind)
        if icon:
            painter.drawPixmap(QRectF(x, 13, 20, 20), icon_pixmap(icon, colour.name(), 40), QRectF(0, 0, 40, 40))
            x += 26
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(x + 9, 23), 8, 8)
            x += 26
        painter.setPen(theme.qcolor("text"))
        painter.setFont(font("title"))
        fm = QFontMetricsF(font("title"))
        painter.drawText(QRectF(x, 8, self.width - x - 8, 18), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(node.title, Qt.TextElideMode.ElideRight, self.width - x - 8))
        painter.setPen(theme.qcolor("muted"))
        painter.setFont(font("small"))
        fm_small = QFontMetricsF(font("small"))
        painter.drawText(QRectF(x, 25, self.width - x - 8, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm_small.elidedText(node.subtitle, Qt.TextElideMode.ElideRight, self.width - x - 8))
        for i, row in enumerate(node.rows):
            self._paint_row(painter, row, HEADER + ROW * i, theme)

    def _paint_row(self, painter: QPainter, row, top: float, theme) -> None:
        lit = row.key in self.lit_rows
        if lit:
            painter.fillRect(QRectF(2, top, self.width - 4, ROW), QColor(37, 99, 235, 40))
        elif row.key in self.skipped_rows:   # tried before the matching rule, and passed over
            painter.fillRect(QRectF(2, top, self.width - 4, ROW), QColor(107, 114, 128, 28))
            pen = QPen(QColor(SEVERITY_COLOURS["error"]), 1.4)
            painter.setPen(pen)
            painter.drawLine(QPointF(2.5, top + 7.5), QPointF(7.5, top + ROW - 7.5))
            painter.drawLine(QPointF(7.5, top + 7.5), QPointF(2.5, top + ROW - 7.5))
        elif self.node.rows.index(row) % 2:
            painter.fillRect(QRectF(2, top, self.width - 4, ROW), theme.qcolor("alt_base"))
        x = 10.0
        f = QFont(font("row"))
        colour = theme.qcolor("text")
        if "shadowed" in row.marks:
            f.setStrikeOut(True)
            colour = QColor(SEVERITY_COLOURS["error"])
        elif "inactive" in row.marks:
            f.setItalic(True)
            colour = theme.qcolor("muted")
        elif {"service", "detail"} & set(row.marks) or row.key in ("subsets", "hosts"):
            colour = theme.qcolor("muted")
        if "tls" in row.marks:
            painter.drawPixmap(QRectF(x, top + 4, 13, 13), icon_pixmap("lock", "#009E73", 26), QRectF(0, 0, 26, 26))
            x += 17
        if "shadowed" in row.marks or "missing" in row.marks:
            painter.drawPixmap(QRectF(x, top + 4, 13, 13), icon_pixmap("warning", SEVERITY_COLOURS["error"], 26),
                               QRectF(0, 0, 26, 26))
            x += 17
        painter.setFont(f)
        painter.setPen(colour)
        fm = QFontMetricsF(f)
        width = self.width - x - 8
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if row.key.startswith("rule:"):
            self._paint_rule(painter, row, f, QRectF(x, top, width, ROW))
            return
        painter.drawText(QRectF(x, top, width, ROW), left,
                         fm.elidedText(row_text(row.text), Qt.TextElideMode.ElideRight, width))

    def _paint_rule(self, painter: QPainter, row, f: QFont, rect: QRectF) -> None:
        """``n  name: match ........ → destinations``: the destinations always readable, the match elided."""
        facts = row.facts
        fm = QFontMetricsF(f)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        number = f"{facts.get('number', '')}"
        painter.drawText(QRectF(rect.left(), rect.top(), 18, ROW), left, number)
        action = facts.get("action", "")
        bold = QFont(f)
        bold.setBold(True)
        fm_bold = QFontMetricsF(bold)
        action_width = min(fm_bold.horizontalAdvance(action) + 4, rect.width() * 0.6)
        match_rect = QRectF(rect.left() + 18, rect.top(), rect.width() - 18 - action_width - 8, ROW)
        match = facts.get("match", "")
        painter.drawText(match_rect, left, fm.elidedText(match, Qt.TextElideMode.ElideRight, match_rect.width()))
        room = match_rect.width() - fm.horizontalAdvance(match) - 8
        if facts.get("name") and room > 30:  # the rule's name, quieter, where it fits
            small = font("small")
            painter.setFont(small)
            painter.setPen(current_theme().qcolor("muted"))
            painter.drawText(QRectF(match_rect.right() - room, rect.top(), room, ROW), left,
                             QFontMetricsF(small).elidedText(facts["name"], Qt.TextElideMode.ElideRight, room))
            painter.setPen(QColor(ACCENT) if row.key in self.lit_rows else
                           (QColor(SEVERITY_COLOURS["error"]) if "shadowed" in row.marks else
                            current_theme().qcolor("muted" if "inactive" in row.marks else "text")))
        painter.setFont(bold)
        painter.drawText(QRectF(rect.right() - action_width, rect.top(), action_width, ROW),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         fm_bold.elidedText(action, Qt.TextElideMode.ElideRight, action_width))


class FlowEdgeItem(QGraphicsItem):
    """A curve from a row of one card to another card; its width is the configured share."""

    def __init__(self, edge: FlowEdge, start: QPointF, end: QPointF, colour: str, faded: bool) -> None:
        super().__init__()
        self.edge = edge
        self.colour = colour
        self.faded = faded
        self.highlighted = False
        self.dimmed = False
        self.label_at: QPointF | None = None   # set by the scene, which keeps labels apart
        self.path = QPainterPath(start)
        dx = max(40.0, (end.x() - start.x()) * 0.5)
        self.path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
        self.width = edge_width(edge)
        self.setZValue(-1)
        tip = f"{edge.kind}: {edge.label}" if edge.label else edge.kind
        self.setToolTip(tip + (f" ({edge.share:.0f}% of this rule's traffic)" if edge.kind == "routes" else ""))

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect().adjusted(-MAX_EDGE_WIDTH, -MAX_EDGE_WIDTH - 16, 60, MAX_EDGE_WIDTH + 16)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(max(8.0, self.width))
        return stroker.createStroke(self.path)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(ACCENT if self.highlighted else self.colour)
        colour.setAlpha(235 if self.highlighted else (70 if self.faded or self.dimmed else 150))
        pen = QPen(colour, self.width + (1.5 if self.highlighted else 0.0))
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        if self.edge.kind in ("binds", "mirrors") or self.faded:
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.edge.kind == "direct":
            pen.setStyle(Qt.PenStyle.DotLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        self._paint_arrow(painter, colour)
        if self.edge.label:
            self._paint_label(painter)

    def _paint_arrow(self, painter: QPainter, colour: QColor) -> None:
        end = self.path.pointAtPercent(1.0)
        size = 5.0 + min(self.width, 8.0) * 0.4
        head = QPainterPath(end)
        head.lineTo(end.x() - size * 1.6, end.y() - size)
        head.lineTo(end.x() - size * 1.6, end.y() + size)
        head.closeSubpath()
        painter.fillPath(head, colour)

    def label_rect(self) -> QRectF:
        at = self.label_at or self.path.pointAtPercent(0.5)
        fm = QFontMetricsF(font("label"))
        w, h = fm.horizontalAdvance(self.edge.label) + 10, fm.height() + 3
        return QRectF(at.x() - w / 2, at.y() - h / 2, w, h)

    def _paint_label(self, painter: QPainter) -> None:
        theme = current_theme()
        text = self.edge.label
        h = QFontMetricsF(font("label")).height() + 3
        box = self.label_rect()
        painter.setOpacity(0.35 if self.dimmed and not self.highlighted else 1.0)
        painter.setPen(QPen(QColor(ACCENT) if self.highlighted else theme.qcolor("card_border"), 1))
        painter.setBrush(theme.qcolor("card"))
        painter.drawRoundedRect(box, h / 2, h / 2)
        painter.setPen(QColor(ACCENT) if self.highlighted else theme.qcolor("text"))
        painter.setFont(font("label"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.setOpacity(1.0)


class FlowScene(QGraphicsScene):
    """The whole flow drawing; ``set_graph`` redraws it, ``set_highlight`` lights a path."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.graph: FlowGraph | None = None
        self.node_items: dict[str, FlowNodeItem] = {}
        self.edge_items: dict[str, FlowEdgeItem] = {}
        self.lane_spans: list[tuple[str, float, float]] = []
        self.highlight: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    # ----- building ----------------------------------------------------------------------------
    def set_graph(self, graph: FlowGraph) -> None:
        self.clear()
        self.graph = graph
        self.node_items, self.edge_items = {}, {}
        columns = graph.columns()
        x = LEFT
        column_x: dict[int, float] = {}
        lane_extent: dict[str, list[float]] = {}
        for column, nodes in columns.items():
            column_x[column] = x
            width = max(node_width(n) for n in nodes)
            lane = COLUMN_LANE[column]
            span = lane_extent.setdefault(lane, [x, x + width])
            span[1] = x + width
            y = TOP
            for node in nodes:
                item = FlowNodeItem(node)
                item.setPos(x + (width - item.width) / 2, y)
                self.addItem(item)
                self.node_items[node.id] = item
                y += item.height + GAP_Y
            x += width + GAP_X
        self.lane_spans = [(lane, *lane_extent[lane]) for lane in LANES if lane in lane_extent]
        self._add_edges(graph)
        bottom = max((i.y() + i.height for i in self.node_items.values()), default=TOP + 40)
        self.setSceneRect(QRectF(0, 0, max(x - GAP_X + LEFT, 400), bottom + 30))
        self._apply_highlight()

    def _add_edges(self, graph: FlowGraph) -> None:
        # Spread the ends of edges meeting at one point, so parallel edges (v1 90 %, v2 10 %) stay apart.
        starts: dict[tuple[str, str | None], list[FlowEdge]] = {}
        ends: dict[tuple[str, str | None], list[FlowEdge]] = {}
        for edge in graph.edges:
            starts.setdefault((edge.source, edge.source_row), []).append(edge)
            ends.setdefault((edge.target, edge.target_row), []).append(edge)
        offsets: dict[tuple[str, str], float] = {}
        for group, side in ((starts, "start"), (ends, "end")):
            for (node_id, row), edges in group.items():
                item = self.node_items[node_id]
                room = (ROW - 4) if row else max(item.height - 16, HEADER - 8)
                total = sum(edge_width(e) for e in edges) + 2 * (len(edges) - 1)
                scale = min(1.0, room / total) if total else 1.0
                cursor = -min(total, room) / 2
                edges = sorted(edges, key=lambda e: self._other_y(e, side))
                for e in edges:
                    w = edge_width(e) * scale
                    offsets[(e.key, side)] = cursor + w / 2
                    cursor += w + 2 * scale
        for edge in graph.edges:
            source, target = self.node_items[edge.source], self.node_items[edge.target]
            base_start = source.row_y(edge.source_row) if edge.source_row else source.height / 2
            base_end = target.row_y(edge.target_row) if edge.target_row else target.height / 2
            start = QPointF(source.x() + source.width, source.y() + base_start + offsets[(edge.key, "start")])
            end = QPointF(target.x() - 2, target.y() + base_end + offsets[(edge.key, "end")])
            row = source.node.row(edge.source_row) if edge.source_row else None
            faded = row is not None and bool({"shadowed", "inactive"} & set(row.marks))
            colour = EDGE_COLOURS.get(edge.kind) or self._route_colour(edge)
            if edge.kind == "binds" and source.node.kind == "egress-gateway":
                colour = EGRESS
            item = FlowEdgeItem(edge, start, end, colour, faded)
            self.addItem(item)
            self.edge_items[edge.key] = item
        self._place_labels()

    def _place_labels(self) -> None:
        """Labels at the middle of their edge, pushed down when they would cover another label.

        Labels are placed per column gap, top to bottom, each checked only against the placed labels
        that reach its height (kept sorted by top), so 4,000 labels take milliseconds, not seconds.
        """
        by_gap: dict[int, list[FlowEdgeItem]] = {}
        for item in self.edge_items.values():
            if item.edge.label:
                by_gap.setdefault(self.node_items[item.edge.source].node.column, []).append(item)
        for items in by_gap.values():
            tops: list[float] = []
            placed: list[QRectF] = []
            tallest = 0.0
            for item in sorted(items, key=lambda i: i.path.pointAtPercent(0.5).y()):
                item.label_at = item.path.pointAtPercent(0.5)
                rect = item.label_rect()
                tallest = max(tallest, rect.height())
                i = bisect.bisect_left(tops, rect.top() - tallest)
                while i < len(placed) and placed[i].top() <= rect.bottom():
                    if rect.intersects(placed[i]):
                        rect.moveTop(placed[i].bottom() + 2)
                    i += 1
                item.label_at = rect.center()
                at = bisect.bisect_right(tops, rect.top())
                tops.insert(at, rect.top())
                placed.insert(at, rect)

    def _other_y(self, edge: FlowEdge, side: str) -> float:
        other = self.node_items[edge.target if side == "start" else edge.source]
        row = edge.target_row if side == "start" else edge.source_row
        return other.y() + other.row_y(row)

    def _route_colour(self, edge: FlowEdge) -> str:
        target = self.node_items[edge.target].node.kind
        if target in ("egress-gateway", "external-service"):
            return EGRESS
        if target == "missing":
            return SEVERITY_COLOURS["error"]
        return current_theme().edge

    # ----- highlighting ------------------------------------------------------------------------
    def set_highlight(self, node_ids, edge_keys, rows: dict[str, set[str]] | None = None,
                      skipped: dict[str, dict[str, str]] | None = None) -> None:
        """Light up ``node_ids`` and ``edge_keys`` (flow ids) and dim the rest; empty clears. ``rows``
        are the lit rows per node, ``skipped`` the rules tried before the match (row -> reason)."""
        self.highlight = (frozenset(node_ids), frozenset(edge_keys))
        self._lit_rows = rows or {}
        self._skipped_rows = skipped or {}
        self._apply_highlight()

    def _apply_highlight(self) -> None:
        nodes, edges = self.highlight
        active = bool(nodes or edges)
        rows = getattr(self, "_lit_rows", {})
        skipped = getattr(self, "_skipped_rows", {})
        for node_id, item in self.node_items.items():
            item.highlighted = node_id in nodes
            item.dimmed = active and node_id not in nodes
            item.set_path_rows(rows.get(node_id, set()), skipped.get(node_id, {}))
            item.update()
        for key, item in self.edge_items.items():
            item.highlighted = key in edges
            item.dimmed = active and key not in edges
            item.setZValue(0 if item.highlighted else -1)
            item.update()

    def highlighted_nodes(self) -> set[str]:
        return {i for i, item in self.node_items.items() if item.highlighted}

    def highlighted_edges(self) -> set[str]:
        return {k for k, item in self.edge_items.items() if item.highlighted}

    # ----- background: the lanes ---------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = current_theme()
        painter.fillRect(rect, theme.qcolor("canvas"))
        bottom = self.sceneRect().bottom()
        painter.setFont(font("lane"))
        for i, (lane, left, right) in enumerate(self.lane_spans):
            band = QRectF(left - GAP_X / 2 + 8, 8, right - left + GAP_X - 16, bottom - 8)
            if i % 2 == 0:
                painter.fillRect(band, theme.qcolor("lane"))
            painter.setPen(theme.qcolor("lane_text"))
            painter.drawText(QRectF(band.left(), 16, band.width(), 26), Qt.AlignmentFlag.AlignCenter, lane.upper())
        painter.setBrush(QBrush())
