"""Crash recovery: a copy of the unsaved design is written shortly after changes and removed on a
clean save or close; the next start offers to restore it."""

from __future__ import annotations

import contextlib
import json
import os
import time

from ..io.atomic import write_atomic
from ..io.project_file import dump_project, load_project
from ..model import Project
from . import settings

RECOVERY_FILE = "recovery.mesh.yaml"
META_FILE = "recovery.json"


def _paths() -> tuple[str, str]:
    base = settings.recovery_dir()
    return os.path.join(base, RECOVERY_FILE), os.path.join(base, META_FILE)


def write(project: Project, original_path: str | None) -> str:
    data_path, meta_path = _paths()
    write_atomic(data_path, dump_project(project))
    write_atomic(meta_path, json.dumps({"path": original_path, "time": time.time(), "pid": os.getpid()}))
    return data_path


def clear() -> None:
    for path in _paths():
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def pending() -> dict | None:
    """The recovery metadata if a recovered copy exists (from a session that did not close cleanly)."""
    data_path, meta_path = _paths()
    if not os.path.exists(data_path):
        return None
    try:
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        meta = {"path": None, "time": os.path.getmtime(data_path)}
    if meta.get("pid") == os.getpid():
        return None
    return meta


def load() -> Project:
    return load_project(_paths()[0])
