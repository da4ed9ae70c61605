"""The start page shown when no design is open: new, open, import, the examples (with a picture of
each) and recent files."""

from __future__ import annotations

import os

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..assets import bundled_examples
from ..io.project_file import load_project
from .style import app_icon, current_theme, icon

THUMB = QSize(280, 150)


def thumbnail(path: str) -> QPixmap:
    """A picture of a design's canvas (rendered offscreen from a throw-away scene)."""
    from .document import Document
    from .scene.canvas import CanvasScene

    document = Document(load_project(path))
    scene = CanvasScene(document)
    pixmap = QPixmap(THUMB * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(QColor(current_theme().canvas))
    bounds = QRectF()
    for item in scene.items_by_id.values():
        bounds = bounds.united(item.sceneBoundingRect())
    bounds.adjust(-30, -30, 30, 30)
    painter = QPainter(pixmap)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, THUMB.width(), THUMB.height()), bounds,
                 Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    document.close()
    scene.deleteLater()
    return pixmap


class Card(QFrame):
    sig_clicked = Signal()

    def __init__(self, title: str, text: str, pixmap: QPixmap | None = None, icon_name: str | None = None) -> None:
        super().__init__()
        self.setObjectName("StartCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        if pixmap is not None:
            picture = QLabel()
            picture.setPixmap(pixmap)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(picture)
        head = QHBoxLayout()
        if icon_name:
            glyph = QLabel()
            glyph.setPixmap(icon(icon_name).pixmap(24, 24))
            head.addWidget(glyph)
        name = QLabel(title)
        name.setObjectName("SectionTitle")
        head.addWidget(name, 1)
        layout.addLayout(head)
        blurb = QLabel(text)
        blurb.setObjectName("Muted")
        blurb.setWordWrap(True)
        layout.addWidget(blurb)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit()


def _describe(path: str) -> str:
    try:
        project = load_project(path)
    except Exception:  # noqa: BLE001 - a broken example still gets a card
        return "cannot be read"
    counts: dict[str, int] = {}
    for node in project:
        counts[str(node.kind).replace("-", " ")] = counts.get(str(node.kind).replace("-", " "), 0) + 1
    return ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(counts.items()))


class StartPage(QScrollArea):
    sig_new = Signal()
    sig_open = Signal()
    sig_import = Signal()
    sig_open_path = Signal(str)

    def __init__(self, recent: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        inner = QWidget()
        self.setWidget(inner)
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(48, 36, 48, 36)
        outer.setSpacing(18)
        title_row = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(56, 56))
        title_row.addWidget(logo)
        titles = QVBoxLayout()
        title = QLabel("MeshDesigner")
        title.setStyleSheet("font-size: 26px; font-weight: 700;")
        subtitle = QLabel("Draw the edge of your Istio mesh — gateways, routes, services — check it offline, "
                          "and export Istio manifests and Envoy configs.")
        subtitle.setObjectName("Muted")
        subtitle.setWordWrap(True)
        titles.addWidget(title)
        titles.addWidget(subtitle)
        title_row.addLayout(titles, 1)
        outer.addLayout(title_row)
        actions = QHBoxLayout()
        for text, blurb, icon_name, signal in (
                ("New design", "Start from an empty canvas", "new", self.sig_new),
                ("Open…", "A .mesh.yaml design", "open", self.sig_open),
                ("Import manifests…", "Gateways, VirtualServices, Services… from YAML", "import", self.sig_import)):
            card = Card(text, blurb, icon_name=icon_name)
            card.sig_clicked.connect(signal.emit)
            actions.addWidget(card)
        outer.addLayout(actions)
        examples = bundled_examples()
        if examples:
            heading = QLabel("Examples")
            heading.setStyleSheet("font-size: 16px; font-weight: 600;")
            outer.addWidget(heading)
            grid = QGridLayout()
            grid.setSpacing(14)
            for i, path in enumerate(examples):
                try:
                    picture = thumbnail(str(path))
                except Exception:  # noqa: BLE001 - a broken example still gets a card
                    picture = None
                card = Card(path.name.removesuffix(".mesh.yaml"), _describe(str(path)), picture)
                card.sig_clicked.connect(lambda p=str(path): self.sig_open_path.emit(p))
                grid.addWidget(card, i // 3, i % 3)
            outer.addLayout(grid)
        if recent:
            heading = QLabel("Recent")
            heading.setStyleSheet("font-size: 16px; font-weight: 600;")
            outer.addWidget(heading)
            for path in recent:
                button = QPushButton(f"{os.path.basename(path)}   —   {os.path.dirname(path)}")
                button.setStyleSheet("text-align: left; padding: 6px 10px;")
                button.clicked.connect(lambda _c=False, p=path: self.sig_open_path.emit(p))
                outer.addWidget(button)
        outer.addStretch(1)
