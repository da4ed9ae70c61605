"""Persistent preferences through QSettings: recent files, theme, window layout, recovery location."""

from __future__ import annotations

import contextlib
import os
import stat

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8


def settings() -> QSettings:
    """The preferences; their file is kept 0600 (recent files name the user's projects)."""
    store = QSettings("MeshDesigner", "MeshDesigner")
    _keep_private(store.fileName())
    return store


def _keep_private(path: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isfile(path) and stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            os.chmod(path, 0o600)


def _save(key: str, value) -> None:
    store = settings()
    store.setValue(key, value)
    store.sync()
    _keep_private(store.fileName())


def recent_files() -> list[str]:
    value = settings().value("recentFiles", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if os.path.exists(p)]


def add_recent_file(path: str) -> list[str]:
    path = os.path.abspath(path)
    files = [path] + [p for p in recent_files() if p != path]
    _save("recentFiles", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def theme() -> str:
    return str(settings().value("theme", "system"))


def set_theme(name: str) -> None:
    _save("theme", name)


def recovery_dir() -> str:
    base = os.environ.get("MESHDESIGNER_RECOVERY_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or os.path.expanduser("~/.meshdesigner")
    os.makedirs(base, mode=0o700, exist_ok=True)
    return base
