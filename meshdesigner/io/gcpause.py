"""Pause the cyclic garbage collector while building many objects at once.

Building thousands of small pydantic objects triggers a full collection pass again and again;
none of them are cyclic garbage, so pausing it halves the load time of a large design.

The collector is one switch for the whole process, and the GUI pauses it on several threads at once (a
design read on one worker, checked on another, its canvas built on the GUI thread): the pauses are
counted, and the collector is switched back on only when the last one ends. (Each block switching it
back on by itself let the GUI thread's short pauses re-enable it in the middle of a worker's long one:
the next young collection then walked every object the worker had built so far, ~300 ms on the bench
mesh with the interpreter lock held.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """The pauses open now in any thread, and whether the collector was on when the first began."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.resume = False


_PAUSES = _Pauses()  # process-wide, as the collector it guards


@contextmanager
def gc_paused() -> Iterator[None]:
    pauses = _PAUSES
    with pauses.lock:
        if pauses.open == 0:
            pauses.resume = gc.isenabled()
            gc.disable()
        pauses.open += 1
    try:
        yield
    finally:
        with pauses.lock:
            pauses.open -= 1
            if pauses.open == 0 and pauses.resume:
                gc.enable()
