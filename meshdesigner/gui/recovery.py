"""Crash recovery: a journal per window, written within a second of every change.

Each window that has unsaved changes owns a folder ``<recovery dir>/<id>/`` (mode 0700) holding
``design.mesh.yaml`` (the design as it is now) and ``meta.json`` (the file it came from, the time),
both 0600, and ``lock``, locked (``flock``) for as long as the window's process lives. The kernel drops
the lock when the process dies, even by ``kill -9``, so a journal whose lock is free belongs to a window
that is gone: only those are offered at the next start, and a journal is deleted only by its own
window (after a save or a close the user chose) or when the user declines or has restored it.

Writing runs on a worker thread on a snapshot (nodes are frozen, so a copied project is immutable for
it), with a short throttle, not a debounce: steady editing never postpones it. Qt-free.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass

from ..io.atomic import write_atomic
from ..io.project_file import dump_project, load_project
from ..model import Project

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: liveness from the process id instead
    fcntl = None  # type: ignore[assignment]

DESIGN_FILE, META_FILE, LOCK_FILE = "design.mesh.yaml", "meta.json", "lock"
# The pause between two writes: with a snapshot every 0.3 s from the window, a change is on disk
# after at most 0.3 s + two writes + this.
WRITE_PAUSE_S = 0.1


def _private_folder(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def _try_lock(path: str) -> int | None:
    """An open, exclusively locked descriptor of ``path``, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Journal:
    """The recovery journal of one window. :meth:`record` is cheap (hand over a snapshot); a worker
    thread writes the newest snapshot atomically."""

    def __init__(self, base: str, journal_id: str | None = None) -> None:
        _private_folder(base)
        self.folder = os.path.join(base, journal_id or uuid.uuid4().hex)
        _private_folder(self.folder)
        self._lock_fd = _try_lock(os.path.join(self.folder, LOCK_FILE))
        if self._lock_fd is None:
            raise OSError(f"the recovery journal {self.folder} is in use")
        self._cond = threading.Condition()
        self._pending: tuple[Project, str | None] | None = None
        self._busy = False
        self._closed = False
        self._memo: dict = {}  # each node's text as last written (see dump_project): only edited nodes are dumped again
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="recovery-journal", daemon=True)
        self._thread.start()

    def record(self, snapshot: Project, original_path: str | None) -> None:
        """Write ``snapshot`` (a project no one edits any more) soon; a newer one replaces an unwritten one."""
        with self._cond:
            if not self._closed:
                self._pending = (snapshot, original_path)
                self._cond.notify_all()

    def wait_written(self, timeout: float = 10.0) -> bool:
        """Block until everything recorded is on disk (tests, and before a restore is adopted)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def discard(self) -> None:
        """The user saved or closed: stop writing and remove this journal."""
        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def close(self) -> None:
        """Stop writing but keep the journal (it is then offered at the next start)."""
        self._stop()

    def _stop(self) -> None:
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
        self._thread.join(timeout=30)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                snapshot, original_path = self._pending  # type: ignore[misc]
                self._pending = None
                self._busy = True
            try:
                self._write(snapshot, original_path)
                self.error = None
            except OSError as exc:
                self.error = exc
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
            time.sleep(WRITE_PAUSE_S)

    def _write(self, snapshot: Project, original_path: str | None) -> None:
        write_atomic(os.path.join(self.folder, DESIGN_FILE), dump_project(snapshot, self._memo), mode=0o600)
        meta = {"path": original_path, "time": time.time(), "pid": os.getpid()}
        write_atomic(os.path.join(self.folder, META_FILE), json.dumps(meta) + "\n", mode=0o600)


@dataclass
class Orphan:
    """A journal whose window is gone, held locked while it is offered."""

    folder: str
    meta: dict
    _lock_fd: int | None

    @property
    def design_file(self) -> str:
        return os.path.join(self.folder, DESIGN_FILE)

    def load(self) -> Project:
        return load_project(self.design_file)

    def discard(self) -> None:
        """The user declined it, or restored it (and the restored window journals it anew)."""
        self.release()
        shutil.rmtree(self.folder, ignore_errors=True)

    def release(self) -> None:
        """Leave it for later (still offered at the next start)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def orphans(base: str) -> list[Orphan]:
    """Journals of windows that are gone (their lock is free), newest first; each is returned locked."""
    found: list[Orphan] = []
    with contextlib.suppress(FileNotFoundError):
        for name in sorted(os.listdir(base)):
            folder = os.path.join(base, name)
            if not os.path.isfile(os.path.join(folder, DESIGN_FILE)):
                continue
            fd = _try_lock(os.path.join(folder, LOCK_FILE))
            if fd is None:
                continue  # a live window's journal
            try:
                with open(os.path.join(folder, META_FILE), encoding="utf-8") as handle:
                    meta = json.load(handle)
                if not isinstance(meta, dict):
                    raise ValueError("not a mapping")
            except (OSError, ValueError):
                meta = {"path": None, "time": os.path.getmtime(os.path.join(folder, DESIGN_FILE))}
            if fcntl is None and _alive(meta.get("pid")):  # pragma: no cover
                os.close(fd)
                continue
            found.append(Orphan(folder, meta, fd))
    found.sort(key=lambda o: -float(o.meta.get("time") or 0))
    return found


def _alive(pid) -> bool:  # pragma: no cover - only without flock
    if not isinstance(pid, int) or pid == os.getpid():
        return isinstance(pid, int)
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
