"""Themes (light and dark from one palette), kind colours and SVG icons from ``resources/``."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from ..assets import asset_dir
from ..model import NodeKind

RESOURCES = asset_dir("resources") or pathlib.Path(__file__).resolve().parents[2] / "resources"
UI_DIR = asset_dir("ui") or pathlib.Path(__file__).resolve().parents[2] / "ui"

# Okabe-Ito hues: safe for colour-blind users; every kind also has its own icon and shape.
KIND_COLOURS: dict[str, str] = {
    NodeKind.INGRESS_GATEWAY: "#0072B2",
    NodeKind.VIRTUAL_SERVICE: "#CC79A7",
    NodeKind.MESH_SERVICE: "#009E73",
    NodeKind.EGRESS_GATEWAY: "#E69F00",
    NodeKind.EXTERNAL_SERVICE: "#999999",
}
KIND_LABELS: dict[str, str] = {
    NodeKind.INGRESS_GATEWAY: "Ingress gateway",
    NodeKind.VIRTUAL_SERVICE: "Virtual service",
    NodeKind.MESH_SERVICE: "Mesh service",
    NodeKind.EGRESS_GATEWAY: "Egress gateway",
    NodeKind.EXTERNAL_SERVICE: "External service",
}
KIND_BLURBS: dict[str, str] = {
    NodeKind.INGRESS_GATEWAY: "Where traffic enters the mesh",
    NodeKind.VIRTUAL_SERVICE: "Routes requests by host and path",
    NodeKind.MESH_SERVICE: "A workload inside the mesh",
    NodeKind.EGRESS_GATEWAY: "Where traffic leaves the mesh",
    NodeKind.EXTERNAL_SERVICE: "A host outside the mesh",
}
SEVERITY_COLOURS = {"error": "#D55E00", "warning": "#E0A100", "info": "#3B82F6"}
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
ACCENT = "#2563EB"


@dataclass(frozen=True)
class Theme:
    """Colours the canvas and the widgets share."""

    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    canvas: str
    grid: str
    lane: str
    lane_text: str
    card: str
    card_border: str
    edge: str
    selection: str = ACCENT

    def qcolor(self, field: str) -> QColor:
        return QColor(getattr(self, field))


LIGHT = Theme("light", window="#F3F4F6", base="#FFFFFF", alt_base="#F9FAFB", text="#111827", muted="#6B7280",
              border="#D1D5DB", canvas="#FAFAFB", grid="#D9DCE1", lane="#F0F1F4", lane_text="#9CA3AF",
              card="#FFFFFF", card_border="#D1D5DB", edge="#6B7280")
DARK = Theme("dark", window="#1E2127", base="#16181D", alt_base="#1B1E24", text="#E5E7EB", muted="#9CA3AF",
             border="#3A3F4B", canvas="#121418", grid="#2A2E36", lane="#181B20", lane_text="#5B6270",
             card="#22262E", card_border="#3A3F4B", edge="#9CA3AF")
THEMES = {"light": LIGHT, "dark": DARK}

_current: list[Theme] = [LIGHT]


def current_theme() -> Theme:
    return _current[0]


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    try:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # pragma: no cover - older Qt
        return False


def apply_theme(app: QApplication, name: str) -> Theme:
    """Set the palette and style sheet for ``light``, ``dark`` or ``system``."""
    if name == "system":
        name = "dark" if system_prefers_dark() else "light"
    theme = THEMES[name]
    _current[0] = theme
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window, QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base, QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.text, QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.text, QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text, QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#FFFFFF", QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Mid: theme.border, QPalette.ColorRole.Midlight: theme.border,
        QPalette.ColorRole.Light: theme.alt_base, QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(theme.muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(theme.muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(theme.muted))
    app.setPalette(palette)
    qss = (RESOURCES / "themes" / f"{name}.qss").read_text(encoding="utf-8")
    app.setStyleSheet(qss.replace("@ICONS@", (RESOURCES / "icons").as_posix()))  # qss urls need full paths
    icon.cache_clear()
    return theme


def svg_text(name: str) -> str:
    return (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8")


def render_svg(text: str, size: int) -> QPixmap:
    """An SVG rendered at ``size`` device pixels (sharp on high-DPI screens)."""
    renderer = QSvgRenderer(QByteArray(text.encode()))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@lru_cache(maxsize=256)
def icon(name: str, colour: str | None = None) -> QIcon:
    """A themed icon: ``currentColor`` in the SVG becomes ``colour`` (default: the theme's text colour)."""
    text = svg_text(name).replace("currentColor", colour or current_theme().text)
    result = QIcon()
    for size in (16, 24, 32, 48, 64):
        result.addPixmap(render_svg(text, size))
    return result


@lru_cache(maxsize=64)
def icon_pixmap(name: str, colour: str, size: int) -> QPixmap:
    return render_svg(svg_text(name).replace("currentColor", colour), size)


def app_icon() -> QIcon:
    text = svg_text("meshdesigner")
    result = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        result.addPixmap(render_svg(text, size))
    return result
