"""Opening a design without blocking the window.

File > Open (and Open Recent, the start page, a dropped file) reads the design on a worker thread with
:func:`read_design`; the window builds the new canvas in short slices on the event loop with a
:class:`SlicedBuild` and only then swaps it in. Until the new design is complete the old one stays shown
and usable. ``MainWindow.open_path`` still reads and builds in one go, for tests and ``--screenshot``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ..io.gcpause import gc_paused
from ..io.project_file import PROJECT_SUFFIX, load_project
from ..model import Project
from .give_way import GiveWay

SLICE_MS = 8.0  # at most about this long on the GUI thread per tick of a sliced build


@dataclass(frozen=True)
class ReadDesign:
    """A design read from a file, ready to be shown."""

    project: Project
    path: str | None        # the project file; None for manifests imported as a new unsaved design
    source: str             # what was opened (a project file, or the manifests' file or folder)
    message: str = ""       # for the status bar ("Imported ...")
    snapshot: Project | None = None  # a copy for work off the GUI thread (the first check), made on the reader's


def read_design(path: str) -> ReadDesign:
    """Read a project file, or import manifests (a file or folder) as a new unsaved design.

    Runs on a worker thread: nothing here touches Qt. Raises InputError/OSError/ValueError with a
    message for the user."""
    with gc_paused():
        if path.endswith(PROJECT_SUFFIX):
            read = ReadDesign(load_project(path), os.path.abspath(path), path)
        else:
            from ..io.importer import import_manifests

            result = import_manifests([path], name=os.path.basename(path.rstrip("/")).split(".")[0])
            read = ReadDesign(result.project, None, path, f"Imported {result.summary()}")
        # A copy for the first check, made here, off the GUI thread, while no one else holds the design yet
        # (the window edits ``project``).
        read = dataclasses.replace(read, snapshot=read.project.copy())
        # The design lives as long as the window shows it: keep its objects out of the cyclic
        # collector's passes now (the window does it too), so that the first full pass after the
        # load, which would walk them all while holding the interpreter lock, never comes.
        gc.freeze()
    return read


class SlicedBuild(QObject):
    """Runs ``steps`` (a generator of small pieces of work) on the event loop, a slice of about
    ``slice_ms`` per timer tick, so the window keeps reacting; ``sig_done`` when all have run."""

    sig_done = Signal()
    sig_progress = Signal(int)   # steps run so far

    def __init__(self, steps: Iterator[None], parent: QObject | None = None, slice_ms: float = SLICE_MS,
                 give_way: GiveWay | None = None) -> None:
        super().__init__(parent)
        self.steps = steps
        self.give_way = give_way   # checks workers wait while a slice runs
        self.slice_ms = slice_ms
        self.ticks = 0      # timer ticks that ran a slice (tests)
        self.done = 0       # steps run
        self.finished = False
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        """Stop before the end (another design is being opened, or the window closes)."""
        self._timer.stop()
        self.steps.close()

    def _tick(self) -> None:
        self.ticks += 1
        if self.finished:  # the steps ran out last tick: what the caller does then gets a tick of its own
            self.sig_done.emit()
            return
        deadline = time.perf_counter() + self.slice_ms / 1000
        turn = self.give_way.window_turn() if self.give_way is not None else contextlib.nullcontext()
        with turn, gc_paused():  # the pieces make objects, never cyclic garbage
            for _ in self.steps:
                self.done += 1
                if time.perf_counter() >= deadline:
                    break
            else:
                self.finished = True
        self.sig_progress.emit(self.done)
        self._timer.start()
