"""Long work off the GUI thread, on an immutable snapshot of the design; only the newest answer shows.

Every panel that computes from the whole design (the checks, the route tests, the request flow, a tried
request, the traffic split, the export preview) uses one :class:`SnapshotWorker`:

* ``worker.start(project, compute, show)`` takes a snapshot (``Project.copy()``: the same frozen nodes,
  no subscribers, cheap) on the GUI thread, runs ``compute(snapshot)`` on the worker's own thread and
  calls ``show(answer)`` back on the GUI thread (a queued signal). An exception raised by ``compute`` is
  handed to ``show`` as the answer: a failing rule or exporter never takes the editor down.
* An answer is dropped when a newer ``start`` came after it, or when the design was edited after its
  snapshot was taken (``follow(document)`` connects the document's ``sig_edited`` to :meth:`drop`): what
  shows is always about the design as it is now.
* ``busy`` says whether an answer is still expected; ``sig_idle`` is emitted once it came (or was dropped
  with nothing newer running), which tests and benchmarks wait on.

One thread per worker keeps runs of one kind in order (an incremental analyzer sees them one at a time);
different kinds do not wait for each other.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from ..model import Project


class _Relay(QObject):
    """Carries a finished run from the worker thread to the GUI thread (a queued signal)."""

    sig_done = Signal(int, object)   # generation, the answer or the exception raised


class SnapshotWorker(QObject):
    """Runs ``compute(snapshot)`` off the GUI thread and shows the answer if the design has not moved on."""

    sig_idle = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.generation = 0          # bumped by every start and every edit: an answer carries the one it began with
        self.started = 0             # runs started (tests)
        self.dropped = 0             # answers dropped because the design moved on (tests)
        self.threads: list[str] = []  # the thread names the runs went to (tests)
        self._show: Callable[[Any], None] | None = None
        self._running = 0
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._relay = _Relay(self)
        self._relay.sig_done.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        executor = self._executor  # not self: the lambda must not keep the wrapper alive
        self.destroyed.connect(lambda *_: executor.shutdown(wait=False, cancel_futures=True))

    @property
    def busy(self) -> bool:
        """An answer for the current generation is still to come."""
        return self._show is not None

    def follow(self, document) -> None:
        """Drop answers about the design as it was before each edit of ``document``."""
        document.sig_edited.connect(self.drop)

    def drop(self) -> None:
        """The design moved on: an answer being computed now is about the old design and will not show."""
        self.generation += 1
        if self._show is not None:
            self._show = None
            self.dropped += 1
            if not self._running:
                self.sig_idle.emit()

    def start(self, project: Project, compute: Callable[[Project], Any], show: Callable[[Any], None]) -> int:
        """Compute on a snapshot of ``project`` off this thread; ``show(answer)`` here if still current.
        Returns the run's generation."""
        return self.start_on(project.copy(), compute, show)

    def start_on(self, snapshot: Any, compute: Callable[[Any], Any], show: Callable[[Any], None]) -> int:
        """As :meth:`start`, for a caller that made its own immutable snapshot (or needs none)."""
        if self._show is not None:
            self.dropped += 1
        self.generation += 1
        self.started += 1
        self._running += 1
        generation, relay, threads = self.generation, self._relay, self.threads
        self._show = show

        def work() -> None:
            threads.append(threading.current_thread().name)
            try:
                answer = compute(snapshot)
            except Exception as exc:  # shown as the answer: a failing rule must not take the editor down
                answer = exc
            with contextlib.suppress(RuntimeError):  # the window (and this worker) is gone
                relay.sig_done.emit(generation, answer)

        self._executor.submit(work)
        return generation

    def _finished(self, generation: int, answer: Any) -> None:
        self._running -= 1
        if generation != self.generation or self._show is None:
            if not self._running and self._show is None:
                self.sig_idle.emit()
            return
        show, self._show = self._show, None
        show(answer)
        self.sig_idle.emit()
