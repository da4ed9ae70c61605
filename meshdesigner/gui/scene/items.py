"""Node cards and edges: plain QGraphicsItems painted directly (no child text items: cheap and safe)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontInfo,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QStyle,
    QStyleOptionGraphicsItem,
)

from ...model import NodeBase, NodeKind, Reference
from ..style import (
    ACCENT,
    KIND_COLOURS,
    KIND_LABELS,
    SEVERITY_COLOURS,
    SEVERITY_RANK,
    current_theme,
    icon_pixmap,
)
from .rows import Row, row_count, rows, subtitle

CARD_WIDTH = 264.0
DETOUR_MARGIN = 18.0  # how far a long edge keeps from the cards it goes around
DETOUR_MAX_NODES = 300  # larger designs skip the detours (a scan of every card per long edge)
LABEL_GAP = 2.0      # between the right edge of the card a route leaves and its label
HEADER = 46.0
ROW = 22.0
BOTTOM = 6.0
GRID = 20.0
LOW_DETAIL = 0.4   # below this zoom the cards of a crowded canvas are drawn as coloured blocks
BLOCK_BELOW = 0.15  # below this zoom every card is a coloured block (its name could not be read)
READABLE_PX = 9.0   # text smaller than this on screen is not readable: the card draws its compact form
COMPACT_NAME_PX = 30  # the compact form's name, in scene pixels (readable down to a zoom of 0.3)
EGRESS_COLOUR = "#E69F00"

_FONTS: dict[str, QFont] = {}


def font(kind: str) -> QFont:
    if kind not in _FONTS:
        f = QFont()
        if kind == "compact":
            f.setPixelSize(COMPACT_NAME_PX)
            f.setBold(True)
        elif kind == "compact-small":
            f.setPixelSize(20)
        elif kind == "name":
            f.setPointSizeF(10.0)
            f.setBold(True)
        elif kind == "small":
            f.setPointSizeF(8.0)
        elif kind == "badge":
            f.setPointSizeF(7.5)
            f.setBold(True)
        else:
            f.setPointSizeF(8.8)
        _FONTS[kind] = f
    return _FONTS[kind]


# Small tags in a card's header, e.g. the gateway functions (firewall, JWT, cache ...): each contributor is
# ``fn(node) -> [(text, colour, description)]``; the text is drawn, the description joins the tooltip.
CARD_TAGS: list = []
# Tags that need the design (e.g. the policies applying to a gateway): ``fn(project, node) -> [...]``.
PROJECT_CARD_TAGS: list = []


def card_tags(node: NodeBase, project=None) -> list[tuple[str, str, str]]:
    tags = [tag for contributor in CARD_TAGS for tag in contributor(node) or []]
    if project is not None:
        tags += [tag for contributor in PROJECT_CARD_TAGS for tag in contributor(project, node) or []]
    return tags


def is_compact(lod: float) -> bool:
    """Whether a card drawn at zoom ``lod`` takes its compact form (its name would be too small)."""
    return lod * QFontInfo(font("name")).pixelSize() < READABLE_PX


def name_height_on_screen(lod: float) -> float:
    """How high, in screen pixels, a card's name is drawn at zoom ``lod`` (0 when it is a block)."""
    if lod < BLOCK_BELOW:
        return 0.0
    if is_compact(lod):
        return lod * COMPACT_NAME_PX
    return lod * QFontInfo(font("name")).pixelSize()


def card_height(node: NodeBase) -> float:
    return HEADER + ROW * max(1, len(rows(node))) + BOTTOM


_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange
_POSITION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_SELECTED_CHANGED = QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged


def _tinted(colour: str, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class NodeItem(QGraphicsRectItem):
    """One node card. ``set_node`` swaps the model node in and repaints only this item.

    A QGraphicsRectItem so that Qt computes the bounding rectangle in C++: on a 2,000-node canvas
    a Python ``boundingRect`` would be called tens of thousands of times per repaint.
    """

    TYPE = QGraphicsItem.UserType + 1

    FLAGS = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
             | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
             | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)

    def __init__(self, node: NodeBase, no_contents: bool = False) -> None:
        super().__init__()
        self.node = node
        self._rows: list[Row] | None = None
        self._subtitle: str | None = None
        self.height = HEADER
        self.diagnostics: list = []
        self.highlighted = False
        self.hovered = False
        self._tooltip_stale = True
        self.setAcceptHoverEvents(True)
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.set_node(node)
        # Flags last, in one call: every flag or position change is a Python itemChange call.
        self.setFlags(self.FLAGS | QGraphicsItem.GraphicsItemFlag.ItemHasNoContents if no_contents
                      else self.FLAGS)

    def type(self) -> int:
        return self.TYPE

    @property
    def node_id(self) -> str:
        return self.node.id

    def _project(self):
        """The design this card belongs to (for tags that depend on other resources), if any."""
        document = getattr(self.scene(), "document", None)
        return getattr(document, "project", None)

    def set_node(self, node: NodeBase, place: bool = True) -> None:
        """Show ``node``; ``place``: move the card to the node's position (not when the grouped canvas
        decides where cards go)."""
        self.prepareGeometryChange()
        self.node = node
        self.namespace = node.namespace  # read for every card by the grouped canvas's loops (a property chain)
        self._rows = self._subtitle = None  # made when first drawn (most cards of a large design are not)
        self.height = HEADER + ROW * max(1, row_count(node)) + BOTTOM
        self.setRect(QRectF(-4, -12, CARD_WIDTH + 16, self.height + 16))  # room for the badge
        if place:
            self.setPos(QPointF(*node.position))
        self._tooltip_stale = True
        self.update()

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = rows(self.node)
        return self._rows

    @property
    def subtitle(self) -> str:
        if self._subtitle is None:
            self._subtitle = subtitle(self.node)
        return self._subtitle

    def set_diagnostics(self, diagnostics: list) -> None:
        self.diagnostics = list(diagnostics)
        self._tooltip_stale = True
        self.update()

    def toolTip(self) -> str:  # noqa: N802 - Qt's name
        self._update_tooltip()
        return super().toolTip()

    def _update_tooltip(self) -> None:
        """Tooltips are built when first needed (hover), not for every card of a large design."""
        if not self._tooltip_stale:
            return
        self._tooltip_stale = False
        lines = [f"<b>{self.node.name}</b> — {KIND_LABELS[self.node.kind]} in {self.node.namespace}"]
        for d in self.diagnostics[:12]:
            colour = SEVERITY_COLOURS.get(d.severity, "#888")
            lines.append(f"<span style='color:{colour}'>●</span> {d.code} {d.message}")
        if len(self.diagnostics) > 12:
            lines.append(f"… and {len(self.diagnostics) - 12} more")
        lines += [f"<b>{text}</b> {description}" for text, _colour, description in card_tags(self.node, self._project())]
        self.setToolTip("<br>".join(lines))

    # ----- geometry ------------------------------------------------------------------------
    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(0, 0, CARD_WIDTH + 6, self.height))
        return path

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, CARD_WIDTH, self.height)

    def out_anchor(self, row: int | None = None) -> QPointF:
        """Where edges leave: the right edge, at a rule's row or at the header."""
        y = HEADER / 2 if row is None or row >= row_count(self.node) else HEADER + ROW * row + ROW / 2
        return self.pos() + QPointF(CARD_WIDTH, y)

    def in_anchor(self) -> QPointF:
        return self.pos() + QPointF(0, HEADER / 2)

    def worst_severity(self) -> str | None:
        if not self.diagnostics:
            return None
        return max((d.severity for d in self.diagnostics), key=lambda s: SEVERITY_RANK.get(s, 0))

    # ----- interaction -----------------------------------------------------------------------
    def itemChange(self, change, value):
        # Module constants, not enum attribute look-ups: this runs for every flag, position and
        # visibility change of thousands of cards.
        if change == _POSITION_CHANGE and self.scene() is not None:
            scene = self.scene()
            if getattr(scene, "snap_to_grid", False) and not getattr(scene, "applying_model", False):
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        elif change == _POSITION_CHANGED and self.scene() is not None:
            self.scene().node_item_moved(self)
        elif change == _SELECTED_CHANGED:
            self.update()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:
        self._update_tooltip()
        self.hovered = True
        if self.scene() is not None:
            self.scene().set_hover(self.node_id)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        if self.scene() is not None:
            self.scene().set_hover(None)
        super().hoverLeaveEvent(event)

    # ----- painting ------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = current_theme()
        kind = self.node.kind
        colour = KIND_COLOURS[kind]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = self.card_rect()
        radius = 3.0 if kind in (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY) else 8.0
        if lod < BLOCK_BELOW:
            painter.fillRect(rect, QColor(colour))
            if selected or self.highlighted:
                painter.setPen(QPen(QColor(ACCENT), 6))
                painter.drawRect(rect)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dims = getattr(self.scene(), "dimmed", None)
        navigator = getattr(self.scene(), "navigator", None)
        if (dims is not None and self.node_id not in dims) or (
                navigator is not None and navigator.focus_id is not None and self.node_id not in navigator.focus_ids):
            painter.setOpacity(0.35)  # not hovered, or outside the focus
        if is_compact(lod):
            self._paint_compact(painter, theme, colour, selected or self.highlighted or self.hasFocus())
            return
        # Card body, with a faint shadow.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 28 if theme.name == "light" else 80))
        painter.drawRoundedRect(rect.translated(0, 2), radius, radius)
        painter.setBrush(QColor(theme.card))
        border = QPen(QColor(theme.card_border), 1.0)
        if kind == NodeKind.EXTERNAL_SERVICE:
            border = QPen(QColor(colour), 1.4, Qt.PenStyle.DashLine)
        painter.setPen(border)
        painter.drawRoundedRect(rect, radius, radius)
        # Header: tinted band, a solid strip on top; gateways carry a bar on their traffic side.
        header = QPainterPath()
        header.addRoundedRect(QRectF(0.5, 0.5, CARD_WIDTH - 1, HEADER), radius, radius)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, CARD_WIDTH, HEADER))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_tinted(colour, 34 if theme.name == "light" else 60))
        painter.drawPath(header.intersected(clip))
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(QRectF(0, 0, CARD_WIDTH, 4), 2, 2)
        if kind == NodeKind.INGRESS_GATEWAY:
            painter.drawRect(QRectF(0, 0, 4, self.height))
        elif kind == NodeKind.EGRESS_GATEWAY:
            painter.drawRect(QRectF(CARD_WIDTH - 4, 0, 4, self.height))
        painter.setPen(QPen(QColor(theme.card_border), 0.8))
        painter.drawLine(QPointF(1, HEADER), QPointF(CARD_WIDTH - 1, HEADER))
        # Icon, name, namespace.
        painter.drawPixmap(QRectF(12, 11, 22, 22), icon_pixmap(str(kind), colour, 44), QRectF(0, 0, 44, 44))
        painter.setPen(QColor(theme.text))
        painter.setFont(font("name"))
        metrics = QFontMetricsF(font("name"))
        painter.drawText(QRectF(42, 6, CARD_WIDTH - 70, 18), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(self.node.name, Qt.TextElideMode.ElideRight, CARD_WIDTH - 72))
        tags_width = self._paint_tags(painter)
        painter.setPen(QColor(theme.muted))
        painter.setFont(font("small"))
        small = QFontMetricsF(font("small"))
        room = CARD_WIDTH - 54 - tags_width
        painter.drawText(QRectF(42, 24, room, 16), Qt.AlignmentFlag.AlignVCenter,
                         small.elidedText(self.subtitle, Qt.TextElideMode.ElideRight, room))
        self._paint_rows(painter, theme, colour)
        # Selection / highlight outline.
        if selected or self.highlighted or self.hasFocus():
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(ACCENT), 2.2))
            painter.drawRoundedRect(rect.adjusted(-2, -2, 2, 2), radius + 2, radius + 2)
        # The connect handle: a small circle on the right edge of the header.
        painter.setPen(QPen(QColor(colour), 1.4))
        painter.setBrush(QColor(theme.card))
        painter.drawEllipse(QPointF(CARD_WIDTH, HEADER / 2), 4.5, 4.5)
        self._paint_badge(painter)

    def _paint_compact(self, painter: QPainter, theme, colour: str, outlined: bool) -> None:
        """Zoomed out: a large name, the kind's icon, a coloured mark for the worst diagnostic and a
        coloured dot per tag, so a card still says what it is where its details cannot be read."""
        rect = self.card_rect()
        # Square corners: a few screen pixels at this zoom, and rounded ones cost ten times as much.
        painter.fillRect(rect, QColor(theme.card))
        painter.fillRect(rect, _tinted(colour, 40 if theme.name == "light" else 70))
        painter.setPen(QPen(QColor(colour), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        painter.fillRect(QRectF(0, 0, CARD_WIDTH, 6), QColor(colour))
        painter.drawPixmap(QRectF(10, 14, 34, 34), icon_pixmap(str(self.node.kind), colour, 68), QRectF(0, 0, 68, 68))
        severity = self.worst_severity()
        room = CARD_WIDTH - 62 - (34 if severity else 0)
        painter.setPen(QColor(theme.text))
        painter.setFont(font("compact"))
        painter.drawText(QRectF(52, 10, room, 42), Qt.AlignmentFlag.AlignVCenter,
                         QFontMetricsF(font("compact")).elidedText(self.node.name, Qt.TextElideMode.ElideRight, room))
        if self.height >= 84:  # the namespace, and a virtual service's host
            painter.setPen(QColor(theme.muted))
            painter.setFont(font("compact-small"))
            small = QFontMetricsF(font("compact-small"))
            lines = self.subtitle.split(" · ", 1)
            for i, text in enumerate(lines[: 1 + (self.height >= 110)]):
                painter.drawText(QRectF(12 if i else 52, 50 + 26 * i, CARD_WIDTH - (24 if i else 62), 26),
                                 Qt.AlignmentFlag.AlignVCenter,
                                 small.elidedText(text, Qt.TextElideMode.ElideRight, CARD_WIDTH - (24 if i else 62)))
        if severity:
            painter.setPen(QPen(QColor(theme.card), 2))
            painter.setBrush(QColor(SEVERITY_COLOURS.get(severity, "#888")))
            painter.drawEllipse(QRectF(CARD_WIDTH - 38, 16, 28, 28))
        x = CARD_WIDTH - 20
        painter.setPen(Qt.PenStyle.NoPen)
        for _text, tag_colour, _description in reversed(card_tags(self.node, self._project())):
            painter.setBrush(QColor(tag_colour))
            painter.drawEllipse(QRectF(x - 8, self.height - 24, 16, 16))
            x -= 22
        if outlined:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(ACCENT), 5))
            painter.drawRect(rect.adjusted(-4, -4, 4, 4))

    def _paint_rows(self, painter: QPainter, theme, colour: str) -> None:
        painter.setFont(font("row"))
        metrics = QFontMetricsF(font("row"))
        for i, row in enumerate(self.rows):
            top = HEADER + i * ROW + 1
            x = 12.0
            if i % 2 == 1:
                painter.fillRect(QRectF(1, top - 1, CARD_WIDTH - 2, ROW), QColor(theme.alt_base))
            if row.number:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(_tinted(colour, 60))
                painter.drawEllipse(QRectF(x, top + 3.5, 15, 15))
                painter.setPen(QColor(theme.text))
                painter.setFont(font("small"))
                painter.drawText(QRectF(x, top + 3.5, 15, 15), Qt.AlignmentFlag.AlignCenter, row.number)
                painter.setFont(font("row"))
                x += 22
            if row.lock:
                painter.drawPixmap(QRectF(CARD_WIDTH - 26, top + 4, 13, 13),
                                   icon_pixmap("lock", "#009E73", 26), QRectF(0, 0, 26, 26))
            right = CARD_WIDTH - (30 if row.lock else 12)
            for chip in row.chips:
                width = metrics.horizontalAdvance(chip) + 12
                if x + width > right:
                    break
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(_tinted(colour, 50))
                painter.drawRoundedRect(QRectF(x, top + 3, width, 16), 8, 8)
                painter.setPen(QColor(theme.text))
                painter.drawText(QRectF(x, top + 3, width, 16), Qt.AlignmentFlag.AlignCenter, chip)
                x += width + 4
            if row.text:
                painter.setPen(QColor(theme.muted if row.muted else theme.text))
                painter.drawText(QRectF(x, top, right - x, ROW - 2), Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(row.text, Qt.TextElideMode.ElideRight, right - x))

    def _paint_tags(self, painter: QPainter) -> float:
        """The CARD_TAGS chips, right-aligned on the namespace line; returns the width they take."""
        tags = card_tags(self.node, self._project())
        if not tags:
            return 0.0
        metrics = QFontMetricsF(font("badge"))
        x = CARD_WIDTH - 12
        painter.setFont(font("badge"))
        for text, colour, _description in reversed(tags):
            width = metrics.horizontalAdvance(text) + 8
            x -= width
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(x, 26, width, 13), 6.5, 6.5)
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(QRectF(x, 26, width, 13), Qt.AlignmentFlag.AlignCenter, text)
            x -= 3
        return CARD_WIDTH - 12 - x

    def badge_text(self) -> str:
        """How many findings the Diagnostics panel lists for this node (the colour is the worst one's)."""
        count = len(self.diagnostics)
        return str(count) if count < 100 else "99+"

    def _paint_badge(self, painter: QPainter) -> None:
        severity = self.worst_severity()
        if severity is None:
            return
        text = self.badge_text()
        width = max(18.0, 8 + QFontMetricsF(font("badge")).horizontalAdvance(text))
        badge = QRectF(CARD_WIDTH - width / 2 - 2, -9, width, 18)
        painter.setPen(QPen(QColor(current_theme().card), 2))
        painter.setBrush(QColor(SEVERITY_COLOURS.get(severity, "#888")))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("#FFFFFF"))
        painter.setFont(font("badge"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class EdgeItem(QGraphicsPathItem):
    """One reference: binding (dashed, port label), route (solid, width by weight), egress (orange).

    A QGraphicsPathItem so bounding rectangles come from C++ (its invisible wide pen leaves room
    for the arrow head and the label).
    """

    TYPE = QGraphicsItem.UserType + 2

    def __init__(self, ref: Reference, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.ref = ref
        self.source, self.target = source, target
        self.highlighted = False
        self.ordinal = 0
        self.path = QPainterPath()
        self.head = QPainterPath()
        self.group_label = ref.label
        self.label_at = QPointF()
        self.role = "edge"
        self.setPen(QPen(Qt.GlobalColor.transparent, 30))
        self.setZValue(-1)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        # Geometry is computed once the scene holds the edge (it fans out edges between the same nodes).

    def type(self) -> int:
        return self.TYPE

    @property
    def key(self) -> tuple[str, str, str, str]:
        return edge_key(self.ref)

    def set_ref(self, ref: Reference) -> None:
        self.ref = ref
        self.update_geometry()

    def describe(self) -> str:
        """What the edge means, for its tooltip."""
        ref = self.ref
        source, target = self.source.node.name, self.target.node.name
        if ref.kind == "binds":
            return f"{target} is bound to gateway {source} ({ref.path}); ports {ref.label}"
        if ref.kind == "fronts":
            return f"Service {source} selects the pods of gateway {target}"
        weight = f", weight {ref.weight}%" if ref.weight is not None else ""
        return f"{source} {ref.section} rule {(ref.rule_index or 0) + 1} → {target} {ref.label}{weight} ({ref.path})"


    def _role(self) -> str:
        """The edge's colour role (resolved against the theme when drawn)."""
        if self.ref.kind == "binds":
            return KIND_COLOURS[self.source.node.kind]
        if self.ref.kind == "fronts":
            return "muted"
        kinds = (self.source.node.kind, self.target.node.kind)
        if NodeKind.EGRESS_GATEWAY in kinds or kinds[1] == NodeKind.EXTERNAL_SERVICE:
            return EGRESS_COLOUR
        return "edge"

    def colour(self) -> str:
        if self.highlighted:
            return ACCENT
        return resolve_role(self.role)

    def width(self) -> float:
        if self.ref.kind != "routes":
            return 1.4
        weight = 100 if self.ref.weight is None else self.ref.weight
        return 1.2 + 3.0 * max(0, min(weight, 100)) / 100

    def update_geometry(self) -> None:
        row = None
        if self.ref.kind == "routes":
            from .rows import rule_row
            row = rule_row(self.source.node, self.ref.section, self.ref.rule_index)
        scene = self.scene()
        ordinal = scene.edge_ordinal(self) if scene is not None else 0
        self.ordinal = ordinal
        self.group_label = scene.rule_group_label(self) if scene is not None else self.ref.label
        start = self.source.out_anchor(row)
        end = self.target.in_anchor() + QPointF(0, 6.0 * ordinal)
        if end.x() >= start.x() + 30:
            dx = max(40.0, (end.x() - start.x()) / 2)
            path = QPainterPath(start)
            path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
            if (scene is not None and end.x() - start.x() > CARD_WIDTH  # skips a lane: may cross its cards
                    and len(getattr(scene, "items_by_id", ())) <= DETOUR_MAX_NODES
                    and not getattr(getattr(scene, "navigator", None), "enabled", False)):  # grouped: no lanes
                path = self._around_cards(path, start, end, 6.0 * ((row or 0) + ordinal)) or path
        else:
            # A backward reference (e.g. an egress gateway bound to a virtual service on its left):
            # an arc under both cards instead of a line through them.
            start = self.source.pos() + QPointF(CARD_WIDTH / 2 + 12 * ordinal, self.source.height)
            end = self.target.pos() + QPointF(CARD_WIDTH / 2 + 12 * ordinal, self.target.height)
            drop = 50.0 + 14 * ordinal
            bottom = max(start.y(), end.y()) + drop
            path = QPainterPath(start)
            path.cubicTo(QPointF(start.x(), bottom), QPointF(end.x(), bottom), end)
        self.path = path
        self.setPath(path)
        # What batch drawing needs, computed once per geometry change (not once per repaint).
        self.head = self.arrow_head(7.0)
        self.label_at = self.label_point()
        self.role = self._role()
        scene = self.scene()
        if scene is not None:
            scene.edge_geometry_changed(self)
        self.update()

    def _card_rects(self, band: QRectF) -> list[QRectF]:
        """The cards (other than this edge's two ends) that meet ``band``. A plain scan, not
        ``scene.items(band)``: that re-indexes the scene, whose layers' bounding rectangle is the scene
        rectangle, from inside a geometry update (infinite recursion)."""
        rects = []
        for item in self.scene().items_by_id.values():
            if item is self.source or item is self.target:
                continue
            rect = item.sceneBoundingRect()
            if rect.intersects(band):
                rects.append(rect)
        return rects

    def _around_cards(self, path: QPainterPath, start: QPointF, end: QPointF,
                      spread: float = 0.0) -> QPainterPath | None:
        """A long edge whose curve would run through cards of the lanes it skips goes below them instead:
        down in the gap before them, across under them, up in the gap after them. None when the curve is
        clear. ``spread`` lowers the run a little so detours of different rules do not overlap.
        (Recomputed when this edge's ends move; a card moved into its way later is not avoided.)"""
        samples = [path.pointAtPercent(i / 32) for i in range(33)]
        hit = [r for r in self._card_rects(path.boundingRect())
               if any(r.contains(p) for p in samples)]
        if not hit:
            return None
        left = min(r.left() for r in hit) - DETOUR_MARGIN
        right = max(r.right() for r in hit) + DETOUR_MARGIN
        if left <= start.x() or right >= end.x():
            return None  # no gap to turn in
        y = max(r.bottom() for r in hit) + DETOUR_MARGIN
        for _ in range(50):  # below every card the horizontal run would meet
            lower = [r.bottom() for r in self._card_rects(QRectF(left, y - DETOUR_MARGIN / 2, right - left,
                                                                 DETOUR_MARGIN))]
            if not lower:
                break
            y = max(lower) + DETOUR_MARGIN
        y += spread
        detour = QPainterPath(start)
        first, last = (start.x() + left) / 2, (right + end.x()) / 2
        detour.cubicTo(QPointF(first, start.y()), QPointF(first, y), QPointF(left, y))
        detour.lineTo(right, y)
        detour.cubicTo(QPointF(last, y), QPointF(last, end.y()), end)
        return detour

    def pen_style(self) -> Qt.PenStyle:
        if self.ref.kind == "binds":
            return Qt.PenStyle.DashLine
        return Qt.PenStyle.DotLine if self.ref.kind == "fronts" else Qt.PenStyle.SolidLine

    def arrow_head(self, size: float) -> QPainterPath:
        end = self.path.pointAtPercent(1.0)
        back = self.path.pointAtPercent(0.97)
        direction = end - back
        length = (direction.x() ** 2 + direction.y() ** 2) ** 0.5 or 1.0
        ux, uy = direction.x() / length, direction.y() / length
        head = QPainterPath(end)
        head.lineTo(end - QPointF(ux * size - uy * size * 0.5, uy * size + ux * size * 0.5))
        head.lineTo(end - QPointF(ux * size + uy * size * 0.5, uy * size - ux * size * 0.5))
        head.closeSubpath()
        return head

    def label_text(self) -> str:
        """The label; the destinations of one rule that reach the same node share one pill."""
        if self.ref.kind == "binds":
            return f":{self.ref.label}" if self.ref.label else ""
        return self.group_label

    def label_point(self) -> QPointF:
        """The centre of the label's pill. A forward route's label sits on its own rule's row, just right
        of the card it leaves (mid-way, a curve may already be at another rule's height or at the target
        card); other labels mid-way."""
        text = self.label_text()
        start = self.path.pointAtPercent(0.0)
        if self.ref.kind != "routes" or not text or self.path.pointAtPercent(1.0).x() < start.x():
            return self.path.pointAtPercent(0.5)
        return start + QPointF(LABEL_GAP + label_width(text) / 2, 0)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        colour = QColor(self.colour())
        dims = getattr(self.scene(), "dimmed", None)
        if dims is not None and not self.highlighted and (
                self.source.node_id not in dims or self.target.node_id not in dims):
            colour.setAlpha(50)
        if lod < LOW_DETAIL:
            painter.setPen(QPen(colour, 0))
            painter.drawPath(self.path)
            return
        width = self.width() + (1.0 if self.highlighted else 0.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, width, self.pen_style(), Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPath(self.arrow_head(7.0 + width))
        if lod >= 0.6:
            draw_label(painter, self.label_point(), self.label_text(), colour)


def label_width(label: str) -> float:
    """The width of an edge label's pill (a few distinct texts, measured once each)."""
    return _text_width(label, font("small").toString()) + 10


@lru_cache(maxsize=512)
def _text_width(label: str, font_key: str) -> float:
    return QFontMetricsF(font("small")).horizontalAdvance(label)


def draw_label(painter: QPainter, middle: QPointF, label: str, colour: QColor) -> None:
    """An edge's label in a small pill (weight, subset, port)."""
    if not label:
        return
    painter.setFont(font("small"))
    width_px = label_width(label)
    box = QRectF(middle.x() - width_px / 2, middle.y() - 8, width_px, 16)
    theme = current_theme()
    painter.setPen(QPen(colour, 1))
    painter.setBrush(QColor(theme.card))
    painter.drawRoundedRect(box, 8, 8)
    painter.setPen(QColor(theme.text))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


def resolve_role(role: str) -> str:
    if role == "edge":
        return current_theme().edge
    if role == "muted":
        return current_theme().muted
    return role


def edge_key(ref: Reference) -> tuple[str, str, str, str]:
    return (ref.source, ref.target, ref.kind, ref.path)


def brush(colour: str) -> QBrush:
    return QBrush(QColor(colour))
