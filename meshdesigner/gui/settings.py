"""Persistent preferences through QSettings: recent files, theme, window layout, recovery location."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings("MeshDesigner", "MeshDesigner")


def recent_files() -> list[str]:
    value = settings().value("recentFiles", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if os.path.exists(p)]


def add_recent_file(path: str) -> list[str]:
    path = os.path.abspath(path)
    files = [path] + [p for p in recent_files() if p != path]
    settings().setValue("recentFiles", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def theme() -> str:
    return str(settings().value("theme", "system"))


def set_theme(name: str) -> None:
    settings().setValue("theme", name)


def recovery_dir() -> str:
    base = os.environ.get("MESHDESIGNER_RECOVERY_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or os.path.expanduser("~/.meshdesigner")
    os.makedirs(base, exist_ok=True)
    return base
