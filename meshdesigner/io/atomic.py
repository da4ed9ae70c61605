"""Atomic file and folder writes: a crash or an error never leaves a half-written file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile

from .errors import InputError

# No .json/.yaml/.yml suffix: `kubectl apply -f DIR` reads every such file in a folder.
EXPORT_INDEX = ".meshdesigner-export"
LEGACY_EXPORT_INDEX = ".meshdesigner-export.json"  # read once for migration, then removed


def write_atomic(path: str, text: str, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync, rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_files(folder: str, paths: list[str]) -> None:
    """Make the written ``paths`` durable: one ``syncfs`` of ``folder``'s file system where Linux has it,
    else one fsync per file."""
    if _syncfs(folder):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs(folder: str) -> bool:
    """``syncfs(2)`` on the file system holding ``folder`` (flushes its files' data and metadata and
    waits); False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), folder)
    finally:
        os.close(fd)
    return True


def write_tree(root: str, files: dict[str, str], owner: str = "export", modes: dict[str, int] | None = None
               ) -> list[str]:
    """Write a set of files (relative path -> text) under ``root`` as one step.

    Everything is first written to a staging folder inside ``root``; only when all of it is on disk
    are the files renamed into place. Files this tool wrote under the same ``owner`` last time and
    no longer produces are removed; other files in ``root`` are never touched.
    Returns the written paths.
    """
    modes = modes or {}
    _check_paths(files)
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".meshdesigner-staging-", dir=root)
    try:
        encoded: dict[str, bytes] = {}  # Gateways sharing a workload share one text of megabytes: encode it once
        for rel, text in files.items():
            target = os.path.join(staging, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            data = encoded.get(text)
            if data is None:
                data = encoded[text] = text.encode("utf-8")
            with open(target, "wb") as fh:
                fh.write(data)
            os.chmod(target, modes.get(rel, 0o644))
        # Every staged file is on disk before the first rename, so a crash leaves each final path with its
        # old or its new content, never a partial one: one sync of the staging folder's file system does
        # for thousands of files what one fsync per file did (2,500 fsyncs took seconds; issue 16).
        _sync_files(staging, [os.path.join(staging, rel) for rel in files])
        index_path = os.path.join(root, EXPORT_INDEX)
        legacy_path = os.path.join(root, LEGACY_EXPORT_INDEX)
        index = _read_index(index_path) if os.path.exists(index_path) else _read_index(legacy_path)
        previous = set(index.get(owner, []))
        written = []
        for rel in sorted(files):
            final = os.path.join(root, rel)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(os.path.join(staging, rel), final)
            written.append(final)
        for sub in sorted({os.path.dirname(rel) for rel in files} - {""}):
            _fsync_dir(os.path.join(root, sub))  # the renames (the root's is made durable with the index below)
        for stale in sorted(previous - set(files)):
            if _path_problem(stale) is None:  # an index edited by hand never removes files outside
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(root, stale))
        index[owner] = sorted(files)
        write_atomic(index_path, json.dumps(index, indent=1, sort_keys=True) + "\n")
        with contextlib.suppress(OSError):
            os.unlink(legacy_path)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# A path part the export writes: letters, digits, '.', '_' and '-' (names Kubernetes accepts fit),
# never '..' or a hidden file, and never a device name where Windows reserves one.
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                              *(f"lpt{i}" for i in range(1, 10))})


def _path_problem(rel: str) -> str | None:
    parts = rel.split("/")
    for part in parts:
        if not _PART.fullmatch(part) or part in (".", ".."):
            return "a path part is empty, '..' or holds characters other than letters, digits, '.', '_', '-'"
        if os.name == "nt" and part.split(".")[0].lower() in _WINDOWS_DEVICES:
            return f"{part!r} is a device name on Windows"
    return None


def _check_paths(files: dict[str, str]) -> None:
    """Every relative path is safe, and no two are the same file on a case-insensitive disk."""
    seen: dict[str, str] = {}
    for rel in files:
        problem = _path_problem(rel)
        if problem:
            raise InputError(f"refusing to write {rel!r}: {problem}; nothing was written")
        other = seen.setdefault(rel.lower(), rel)
        if other != rel:
            raise InputError(f"refusing to write both {other!r} and {rel!r} (one file on a case-insensitive "
                             "disk); nothing was written")


def _read_index(path: str) -> dict[str, list[str]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return {k: list(v) for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
