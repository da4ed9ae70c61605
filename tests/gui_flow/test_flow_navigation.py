"""The request-flow view (issue 14): Fit shows every lane (External included), the wheel zooms about the
pointer, and a drag pans."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


def _shown_flow(make_window, qtbot, example="egress.mesh.yaml"):
    window = make_window(example)
    flow = window.flow_panels.flow
    window.flow_panels.show("flow")
    qtbot.waitUntil(lambda: flow.graph is not None, timeout=3000)
    return window, flow


def _visible(view):
    return view.mapToScene(view.viewport().rect()).boundingRect()


def _wheel(view, steps: int) -> None:
    pos = QPointF(view.viewport().rect().center())
    event = QWheelEvent(pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_fit_shows_every_lane_including_external(make_window, qtbot):
    window, flow = _shown_flow(make_window, qtbot, "gateway-functions.mesh.yaml")
    view = flow.view
    view.resetTransform()
    view.scale(2.0, 2.0)
    flow.buttons["fit"].click()
    visible = _visible(view)
    for item in flow.scene.node_items.values():
        assert visible.contains(item.sceneBoundingRect()), item.node.title
    lanes = [lane for lane, _, _ in flow.scene.lane_spans]
    assert "external" in [lane.lower() for lane in lanes]
    _lane, left, right = flow.scene.lane_spans[-1]
    assert visible.left() <= left and right <= visible.right()


def test_wheel_zooms_and_drag_pans(make_window, qtbot):
    window, flow = _shown_flow(make_window, qtbot)
    view = flow.view
    flow.buttons["fit"].click()
    before = view.zoom()
    _wheel(view, 2)
    assert view.zoom() > before * 1.1
    for _ in range(2):
        _wheel(view, -1)
    assert view.zoom() < before
    view.resetTransform()
    view.scale(2.5, 2.5)
    bar = view.horizontalScrollBar()
    assert bar.maximum() > 0
    start = bar.value()
    centre = view.viewport().rect().center()
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, centre, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, centre + QPoint(-60, 0), Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, centre + QPoint(-120, 0), Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, centre + QPoint(-120, 0), Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), Qt.MouseButton.LeftButton,
                            buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view.viewport(), event)
    assert bar.value() != start
