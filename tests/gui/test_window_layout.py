"""The dock layout saved when the window closes comes back on the next start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from meshdesigner.gui import settings

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


def test_dock_layout_is_restored_on_next_start(make_editor, qtbot):
    first = make_editor()
    properties = first._docks["properties"]
    assert first.dockWidgetArea(properties) == Qt.DockWidgetArea.RightDockWidgetArea  # the default
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, properties)
    first.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, first._docks["yaml"])
    first.resizeDocks([properties], [420], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(properties.width() - 420) <= 10, timeout=2000)
    assert first.close()
    assert settings.settings().value("windowState") is not None

    second = make_editor()
    assert second.dockWidgetArea(second._docks["properties"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert second.dockWidgetArea(second._docks["yaml"]) == Qt.DockWidgetArea.TopDockWidgetArea
    assert abs(second._docks["properties"].width() - 420) <= 10


def test_defaults_without_a_saved_layout(make_editor):
    window = make_editor()
    assert not window.restore_layout()
    assert window.dockWidgetArea(window._docks["properties"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_unreadable_saved_layout_keeps_the_defaults(make_editor):
    settings.settings().setValue("windowState", b"not a state")
    window = make_editor()
    assert window.dockWidgetArea(window._docks["properties"]) == Qt.DockWidgetArea.RightDockWidgetArea
