"""Saving the flow drawing as PNG or SVG, and rendering it headless for ``meshdesigner flow``.

SVG goes through QSvgGenerator + ``scene.render()`` (pyqtgraph's SVG exporter crashes on this scene).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from ...analysis.flow import FlowGraph
from ..style import current_theme
from .scene import FlowScene

MARGIN = 12.0


def _source_rect(scene: FlowScene) -> QRectF:
    return scene.sceneRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def scene_to_image(scene: FlowScene, scale: float = 2.0) -> QImage:
    """The whole scene as an image at ``scale`` device pixels per scene unit."""
    source = _source_rect(scene)
    image = QImage(int(source.width() * scale), int(source.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(QColor(current_theme().canvas))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    scene.render(painter, QRectF(0, 0, image.width(), image.height()), source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    return image


def save_png(scene: FlowScene, path: str, scale: float = 2.0) -> None:
    image = scene_to_image(scene, scale)
    tmp = path + ".part"
    if not image.save(tmp, "PNG"):
        raise OSError(f"could not write {path}")
    os.replace(tmp, path)


def save_svg(scene: FlowScene, path: str, title: str = "Request flow") -> None:
    source = _source_rect(scene)
    tmp = path + ".part"
    generator = QSvgGenerator()
    generator.setFileName(tmp)
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    generator.setDescription("MeshDesigner request flow")
    painter = QPainter(generator)
    painter.fillRect(QRectF(0, 0, source.width(), source.height()), QColor(current_theme().canvas))
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
        raise OSError(f"could not write {path}")
    os.replace(tmp, path)


def render_graph(graph: FlowGraph, path: str, fmt: str) -> None:
    """Draw ``graph`` to ``path`` as ``png`` or ``svg`` (a QApplication must exist)."""
    scene = FlowScene()
    scene.set_graph(graph)
    if fmt == "png":
        save_png(scene, path)
    elif fmt == "svg":
        save_svg(scene, path, f"Request flow: {graph.scope}")
    else:
        raise ValueError(f"unknown image format {fmt!r}")
