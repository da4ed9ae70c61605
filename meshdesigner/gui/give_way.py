"""The checks worker gives way to the window.

A first check of a large design (the one started while its canvas is built, see
``DiagnosticsPanel.check_ahead``) runs Python on a worker thread for ~0.5 s. Sharing the interpreter lock
with it, the GUI thread could wait 100-200 ms for the lock before it could run a timer or paint (measured:
the heartbeat of tests/perf/bench_gui.py stalled while the worker ran rules). The worker therefore calls
:meth:`GiveWay.between_nodes` after each node: it waits while the window is in the middle of a turn of its
own (a slice of the canvas build, the swap to the new design: :meth:`GiveWay.window_turn`), and otherwise
sleeps a fraction of a millisecond every few milliseconds, which hands the lock to the GUI thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

WORK_SLICE_S = 0.003        # the worker runs this long between two pauses ...
PAUSE_S = 0.0005            # ... and pauses this long (the worker keeps ~85% of a core)
LONGEST_WAIT_S = 0.2        # a window turn never holds the worker back longer than this


class GiveWay:
    """One per window, shared by its GUI thread and its checks workers; thread-safe."""

    def __init__(self) -> None:
        self._window_free = threading.Event()
        self._window_free.set()
        self._worked_since = time.perf_counter()

    @contextmanager
    def window_turn(self) -> Iterator[None]:
        """The GUI thread is doing a turn of its own: workers wait at their next node."""
        self._window_free.clear()
        try:
            yield
        finally:
            self._window_free.set()

    def between_nodes(self) -> None:
        """Called by a worker between two nodes' checks (on the GUI thread itself: nothing)."""
        if threading.current_thread() is threading.main_thread():
            return
        if not self._window_free.is_set():
            self._window_free.wait(LONGEST_WAIT_S)
            self._worked_since = time.perf_counter()
            return
        now = time.perf_counter()
        if now - self._worked_since >= WORK_SLICE_S:
            time.sleep(PAUSE_S)
            self._worked_since = time.perf_counter()
