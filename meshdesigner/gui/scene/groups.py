"""Namespace groups on a large canvas: a box with lanes inside, or (collapsed) a summary card, and the
bundled edges between them.

A collapsed group's card says what the namespace holds (a count per kind), its worst diagnostic and the
gateways requests come in through. Its title is drawn large so it stays legible in the overview. A click
on a collapsed card, or on an open box's title bar, collapses or opens it (view state, never undoable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..style import ACCENT, KIND_COLOURS, KIND_LABELS, SEVERITY_COLOURS, current_theme, icon_pixmap

SUMMARY_W, SUMMARY_H = 340.0, 176.0
PAD_X, PAD_BOTTOM = 84.0, 28.0   # room for the internet marks left of the ingress lane
TITLE_PX = 30             # title text height in scene pixels (the overview keeps it >= 9 px on screen)
LINE_PX = 19
FADED_OPACITY = 0.4


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font




def title_size(width: float, height: float, aspect: float) -> int:
    """The title's pixel size for a box of this size: large boxes get large titles, so a box fitted to
    a viewport of ``aspect`` shows its title at about the same screen size as the overview does."""
    return max(TITLE_PX, round(max(width / aspect, height) / 34))


def title_bar(title_px: int) -> float:
    return 2.0 * title_px + 4


@lru_cache(maxsize=64)
def title_font(title_px: int) -> QFont:
    return _font(title_px, bold=True)
LINE_FONT = _font(LINE_PX)
COUNT_FONT = _font(LINE_PX, bold=True)


@dataclass
class GroupSummary:
    """What a collapsed group's card shows."""

    counts: dict[str, int] = field(default_factory=dict)        # kind -> number of nodes
    severity_counts: dict[str, int] = field(default_factory=dict)
    worst: str | None = None                                     # worst severity
    worst_code: str = ""                                         # its most frequent code
    gateways_in: list[str] = field(default_factory=list)         # "namespace/name" of gateways leading in
    matches: int | None = None                                   # nodes matching the outline filter


class GroupItem(QGraphicsItem):
    """One namespace: a summary card when collapsed, a titled box around its lanes when open."""

    TYPE = QGraphicsItem.UserType + 5

    def __init__(self, canvas, namespace: str) -> None:
        super().__init__()
        self.canvas = canvas
        self.namespace = namespace
        self.collapsed = True
        self.faded = False
        self.size = (SUMMARY_W, SUMMARY_H)
        self.lanes: tuple[tuple[str, float, float], ...] = ()
        self.title_px = TITLE_PX
        self.setZValue(-3)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def type(self) -> int:
        return self.TYPE

    def set_state(self, collapsed: bool, size: tuple[float, float], lanes=(), faded: bool = False,
                  title_px: int = TITLE_PX) -> None:
        state = (collapsed, size, tuple(lanes), faded, title_px)
        if state != (self.collapsed, self.size, self.lanes, self.faded, self.title_px):
            self.prepareGeometryChange()
            self.collapsed, self.size, self.lanes, self.faded, self.title_px = state
        self.update()

    def rect(self) -> QRectF:
        return QRectF(0, 0, *self.size)

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-3, -3, 3, 5)

    def title_rect(self) -> QRectF:
        return QRectF(0, 0, self.size[0], title_bar(self.title_px) if not self.collapsed else 56)

    def shape(self) -> QPainterPath:
        """A collapsed card is clickable all over; an open box only on its title bar (its inside
        belongs to the cards and the rubber band)."""
        path = QPainterPath()
        path.addRect(self.rect() if self.collapsed else self.title_rect())
        return path

    def title_pixel_size(self) -> int:
        return self.title_px

    def summary(self) -> GroupSummary:
        return self.canvas.group_summary(self.namespace)

    # ----- interaction ------------------------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:
        self.setToolTip(self.tooltip_text())
        self.canvas.navigator.set_hovered(self.namespace)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.canvas.navigator.set_hovered(None)
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event) -> None:
        event.accept() if event.button() == Qt.MouseButton.LeftButton else event.ignore()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.shape().contains(event.pos()):
            self.canvas.toggle_group(self.namespace)

    def tooltip_text(self) -> str:
        s = self.summary()
        state = "click to open" if self.collapsed else "click the title to collapse"
        lines = [f"<b>{self.namespace}</b> ({state})"]
        lines += [f"{n} {KIND_LABELS[k].lower()}{'s' if n != 1 else ''}" for k, n in s.counts.items()]
        if s.gateways_in:
            lines.append("requests come in through " + ", ".join(s.gateways_in[:8])
                         + (f" and {len(s.gateways_in) - 8} more" if len(s.gateways_in) > 8 else ""))
        return "<br>".join(lines)

    # ----- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = current_theme()
        summary = self.summary()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.faded or summary.matches == 0:
            painter.setOpacity(FADED_OPACITY)
        rect = self.rect()
        border = QColor(SEVERITY_COLOURS.get(summary.worst, theme.card_border)) if summary.worst in (
            "error", "warning") else QColor(theme.card_border)
        if self.collapsed:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 28 if theme.name == "light" else 80))
            painter.drawRoundedRect(rect.translated(0, 3), 10, 10)
            painter.setBrush(QColor(theme.card))
            painter.setPen(QPen(border, 2.0))
            painter.drawRoundedRect(rect, 10, 10)
        else:
            fill = QColor(theme.lane)
            fill.setAlpha(120)
            painter.setBrush(fill)
            painter.setPen(QPen(border, 2.0))
            painter.drawRoundedRect(rect, 12, 12)
            self._paint_lanes(painter, theme)
            bar = QColor(theme.card)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bar)
            painter.drawRoundedRect(self.title_rect().adjusted(1, 1, -1, 0), 11, 11)
        self._paint_title(painter, theme, summary)
        if self.collapsed:
            self._paint_summary(painter, theme, summary)

    def _paint_title(self, painter: QPainter, theme, summary: GroupSummary) -> None:
        chevron = "▸" if self.collapsed else "▾"
        px = self.title_px
        font = title_font(px)
        painter.setPen(QColor(theme.muted))
        painter.setFont(font)
        line = QRectF(14, px / 3, px, px * 4 / 3)
        painter.drawText(line, Qt.AlignmentFlag.AlignVCenter, chevron)
        painter.setPen(QColor(theme.text))
        metrics = QFontMetricsF(font)
        room = self.size[0] - 30 - 1.5 * px - (0 if self.collapsed else 320)
        painter.drawText(QRectF(14 + 1.5 * px, px / 3, room, px * 4 / 3), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(self.namespace, Qt.TextElideMode.ElideRight, room))
        if not self.collapsed:  # an open box repeats the counts on its title bar
            painter.setFont(LINE_FONT)
            painter.setPen(QColor(theme.muted))
            text = " · ".join(f"{n} {KIND_LABELS[k].lower()}{'s' if n != 1 else ''}"
                              for k, n in summary.counts.items())
            text = QFontMetricsF(LINE_FONT).elidedText(text, Qt.TextElideMode.ElideRight, 310)
            painter.drawText(QRectF(self.size[0] - 330, px / 3, 310, px * 4 / 3),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, text)

    def _paint_summary(self, painter: QPainter, theme, summary: GroupSummary) -> None:
        # A count per kind, with the kind's icon, in flow order.
        x, y = 18.0, 64.0
        painter.setFont(COUNT_FONT)
        metrics = QFontMetricsF(COUNT_FONT)
        for kind, count in summary.counts.items():
            colour = KIND_COLOURS[kind]
            painter.drawPixmap(QRectF(x, y, 26, 26), icon_pixmap(str(kind), colour, 52), QRectF(0, 0, 52, 52))
            painter.setPen(QColor(theme.text))
            text = str(count)
            painter.drawText(QRectF(x + 30, y, 80, 26), Qt.AlignmentFlag.AlignVCenter, text)
            x += 30 + metrics.horizontalAdvance(text) + 18
        # The worst diagnostic (or a green tick).
        y = 100.0
        painter.setFont(LINE_FONT)
        if summary.worst is None:
            painter.setPen(QColor("#009E73"))
            painter.drawText(QRectF(18, y, SUMMARY_W - 36, 28), Qt.AlignmentFlag.AlignVCenter, "✔ no problems")
        else:
            colour = QColor(SEVERITY_COLOURS.get(summary.worst, "#888"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QRectF(20, y + 7, 14, 14))
            count = summary.severity_counts.get(summary.worst, 0)
            noun = summary.worst + ("s" if count != 1 and summary.worst != "info" else "")
            painter.setPen(QColor(theme.text))
            painter.drawText(QRectF(42, y, SUMMARY_W - 60, 28), Qt.AlignmentFlag.AlignVCenter,
                             f"{count} {noun} · {summary.worst_code}")
        # The gateways requests come in through.
        y = 134.0
        if summary.gateways_in:
            names = [g.split("/")[-1] for g in summary.gateways_in]
            text = "via " + ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
            painter.setPen(QColor(theme.muted))
            small = QFontMetricsF(LINE_FONT)
            painter.drawText(QRectF(18, y, SUMMARY_W - 36, 28), Qt.AlignmentFlag.AlignVCenter,
                             small.elidedText(text, Qt.TextElideMode.ElideRight, SUMMARY_W - 36))
        if summary.matches:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(ACCENT))
            badge = QRectF(SUMMARY_W - 110, 14, 96, 30)
            painter.drawRoundedRect(badge, 15, 15)
            painter.setPen(QColor("#FFFFFF"))
            painter.setFont(COUNT_FONT)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"{summary.matches} found")

    def _paint_lanes(self, painter: QPainter, theme) -> None:
        lane = QColor(theme.lane)
        painter.setPen(Qt.PenStyle.NoPen)
        for _kind, left, right in self.lanes:
            painter.setBrush(lane)
            bar = title_bar(self.title_px)
            painter.drawRoundedRect(QRectF(PAD_X + left - 16, bar + 4, right - left + 32,
                                           self.size[1] - bar - 12), 8, 8)


def _mix(colour: QColor, background: QColor, share: float) -> QColor:
    """``share`` of ``colour`` over ``background``, as an opaque colour."""
    return QColor(*(round(share * c + (1 - share) * b) for c, b in zip(
        (colour.red(), colour.green(), colour.blue()), (background.red(), background.green(), background.blue()),
        strict=True)))


class BundleLayer(QGraphicsItem):
    """Edges between a collapsed group and anything else, one line per pair with the number of references
    it stands for (computed by the navigator, drawn here in one pass). Faint under the cards, so a
    hundred of them do not hide the groups; the bundles of the group under the mouse stand out with
    their counts."""

    def __init__(self, canvas) -> None:
        super().__init__()
        self.canvas = canvas
        self.setZValue(-4)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # redrawn only when bundles change
        self._rect = QRectF()

    def refresh(self) -> None:
        """The bundles or the groups changed: new bounds, a fresh drawing."""
        rect = self.canvas.navigator.content_rect().adjusted(-40, -40, 40, 40)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        bundles = self.canvas.bundles()
        if not bundles:
            return
        theme = current_theme()
        strong = QColor(ACCENT)
        # Opaque, mixed with the canvas colour: blending hundreds of translucent lines is slow.
        faint = _mix(QColor(theme.edge), QColor(theme.canvas), 0.3 if len(bundles) > 40 else 0.6)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(COUNT_FONT)
        metrics = QFontMetricsF(COUNT_FONT)
        hovered = self.canvas.navigator.hovered
        labelled = []
        # Straight lines in thin cosmetic pens (1-3 screen pixels by the number of references), one
        # batch per width: a hundred wide antialiased curves would take far longer than a frame.
        lines: dict[tuple[bool, int], list[QLineF]] = {}
        for start, end, count, ends in bundles:
            lit = hovered is not None and hovered in ends
            lines.setdefault((lit, 1 if count < 4 else 2 if count < 16 else 3), []).append(QLineF(start, end))
            if lit or len(bundles) <= 40:
                labelled.append((start, end, count, strong if lit else faint))
        for (lit, width), batch in sorted(lines.items()):
            pen = QPen(strong if lit else faint, width + (1 if lit else 0))
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, lit)  # faint ones: 10x cheaper without
            painter.drawLines(batch)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for start, end, count, colour in labelled:
            text = str(count)
            middle = (start + end) / 2
            box = QRectF(middle.x() - metrics.horizontalAdvance(text) / 2 - 9, middle.y() - 14,
                         metrics.horizontalAdvance(text) + 18, 28)
            painter.setPen(QPen(colour, 1.5))
            painter.setBrush(QColor(theme.card))
            painter.drawRoundedRect(box, 14, 14)
            painter.setPen(QColor(theme.text))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class FocusFrame(QGraphicsItem):
    """The box around a focused node's neighbourhood: its title names the node; a click on the title
    bar goes back to the overview."""

    def __init__(self, canvas) -> None:
        super().__init__()
        self.canvas = canvas
        self.title = ""
        self.size = (0.0, 0.0)
        self.lanes: tuple[tuple[str, float, float], ...] = ()
        self.title_px = TITLE_PX
        self.setZValue(-3)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click the title to go back to the overview (Alt+Left goes back one step)")

    def set_state(self, title: str, size: tuple[float, float], lanes, title_px: int = TITLE_PX) -> None:
        self.prepareGeometryChange()
        self.title, self.size, self.lanes, self.title_px = title, size, tuple(lanes), title_px
        self.update()

    def title_pixel_size(self) -> int:
        return self.title_px

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, self.size[0] + 6, self.size[1] + 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(0, 0, self.size[0], title_bar(self.title_px)))
        return path

    def mousePressEvent(self, event) -> None:
        event.accept() if event.button() == Qt.MouseButton.LeftButton else event.ignore()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.shape().contains(event.pos()):
            self.canvas.navigator.focus(None)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = current_theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, *self.size)
        painter.setPen(QPen(QColor(ACCENT), 3.0))
        painter.setBrush(QColor(theme.canvas))
        painter.drawRoundedRect(rect, 14, 14)
        lane = QColor(theme.lane)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(lane)
        bar = title_bar(self.title_px)
        for _kind, left, right in self.lanes:
            painter.drawRoundedRect(QRectF(PAD_X + left - 16, bar - 20, right - left + 32, self.size[1] - bar), 8, 8)
        painter.setPen(QColor(ACCENT))
        font = title_font(self.title_px)
        painter.setFont(font)
        painter.drawText(QRectF(20, self.title_px / 5, self.size[0] - 40, self.title_px * 1.5),
                         Qt.AlignmentFlag.AlignVCenter,
                         QFontMetricsF(font).elidedText(self.title, Qt.TextElideMode.ElideRight, self.size[0] - 40))
