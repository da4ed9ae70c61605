"""Loading the Qt Designer forms in ``ui/`` at run time (QUiLoader)."""

from __future__ import annotations

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from .style import UI_DIR


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    """The widget tree of ``ui/<name>.ui``; children are reachable with ``findChild(Type, "objectName")``."""
    handle = QFile(str(UI_DIR / f"{name}.ui"))
    if not handle.open(QIODevice.OpenModeFlag.ReadOnly):
        raise OSError(f"cannot open form {name}.ui: {handle.errorString()}")
    try:
        widget = QUiLoader().load(handle, parent)
    finally:
        handle.close()
    if widget is None:
        raise OSError(f"cannot load form {name}.ui")
    return widget
