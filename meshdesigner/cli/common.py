"""Helpers the subcommands share: opening a project or manifests, progress on stderr."""

from __future__ import annotations

import os
import sys

from ..io.errors import InputError
from ..io.importer import ImportResult, import_manifests
from ..io.project_file import PROJECT_SUFFIX, load_project
from ..model import Project
from ..tls.sources import set_certificate_location


def is_project_file(path: str) -> bool:
    return path.endswith(PROJECT_SUFFIX)


def stderr_progress(label: str):
    """A progress callback that prints ``label: i/n files`` on stderr for long runs (a terminal or not)."""
    state = {"last": -1}

    def report(done: int, total: int, _file: str) -> None:
        if total < 20:
            return
        percent = done * 100 // total
        if percent // 10 != state["last"] // 10 or done == total:
            state["last"] = percent
            print(f"{label}: {done}/{total} files ({percent}%)", file=sys.stderr, flush=True)

    return report


def open_design(path: str, keep_nodes: bool = False) -> tuple[Project, ImportResult | None]:
    """A project file, or manifest files/folders imported on the fly.

    Also tells the TLS checks where relative certificate paths and ``credentials/`` are: the project
    file's folder (or the manifest folder), since the project object does not know its own path.
    """
    if is_project_file(path):
        set_certificate_location(os.path.dirname(os.path.abspath(path)))
        return load_project(path), None
    if not os.path.exists(path):
        raise InputError("no such file or folder", file=path)
    absolute = os.path.abspath(path)
    set_certificate_location(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    result = import_manifests([path], name=os.path.basename(path.rstrip("/")) or "design",
                              progress=stderr_progress("reading"), keep_nodes=keep_nodes)
    return result.project, result
