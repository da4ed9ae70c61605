"""Headless rendering for ``meshdesigner flow --format png|svg`` (a QApplication made on demand)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ...analysis.flow import FlowGraph
from ..style import THEMES, _current
from .export import render_graph


def render_headless(graph: FlowGraph, path: str, fmt: str, theme: str = "light") -> None:
    app = QApplication.instance() or QApplication(["meshdesigner-flow"])
    previous = _current[0]
    _current[0] = THEMES[theme]
    try:
        render_graph(graph, path, fmt)
    finally:
        _current[0] = previous
    del app
