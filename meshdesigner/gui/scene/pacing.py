"""Painting a few heavy items per turn of the event loop, so one paint never blocks the window.

A design built off-screen in slices (``opening.SlicedBuild``) is shown in one swap; its first paint then
draws and caches every namespace box at once (45-60 ms for the 2,000-resource design on a 2-core machine,
beyond the 50 ms the window may be unresponsive). The pacer keeps the boxes transparent (Qt skips painting
a fully transparent item and fills no cache for it) and makes them opaque a few per turn, each turn's paint
covering only the boxes just revealed. After a check the boxes' summaries change and all of them would be
redrawn in one paint again (25-35 ms): the pacer redraws them a few per turn as well.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QGraphicsItem

ITEMS_PER_TURN = 4   # about 0.5-2 ms of painting and caching each on the bench's machine


class PaintPacer(QObject):
    """Reveals items a few per turn of the event loop (see the module docstring)."""

    def __init__(self, parent: QObject, per_turn: int = ITEMS_PER_TURN) -> None:
        super().__init__(parent)
        self.per_turn = per_turn
        self._pending: list[list[QGraphicsItem]] = []       # to reveal, in order, a batch per turn
        self._stale: dict[QGraphicsItem, None] = {}         # to redraw, in order (a dict: each once)
        self.last_turn_at = 0.0   # perf_counter() of the last turn that showed or redrew something
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._turn)

    @property
    def busy(self) -> bool:
        return bool(self._pending or self._stale)

    def reveal(self, items: Iterable[QGraphicsItem]) -> None:
        """Hide ``items`` now (transparent) and show them ``per_turn`` at a time, in the given order, after
        what earlier calls asked to reveal (each call starts a turn of its own: a heavy item can go alone)."""
        items = [item for item in items if item.opacity() > 0.0]
        for item in items:
            item.setOpacity(0.0)
        self._pending += [items[i:i + self.per_turn] for i in range(0, len(items), self.per_turn)]
        if self._pending:
            self._timer.start()

    def refresh(self, items: Iterable[QGraphicsItem]) -> None:
        """Redraw ``items`` ``per_turn`` at a time (each shows its last drawing until its turn)."""
        for item in items:
            self._stale[item] = None
        if self._stale:
            self._timer.start()

    def finish(self) -> None:
        """Show and redraw everything still pending now."""
        self._timer.stop()
        while self.busy:
            self._turn(everything=True)

    def _turn(self, everything: bool = False) -> None:
        batches = len(self._pending) if everything else 1
        reveal = [item for batch in self._pending[:batches] for item in batch]
        del self._pending[:batches]
        stale = list(self._stale) if everything else list(self._stale)[:max(0, self.per_turn - len(reveal))]
        for item in stale:
            del self._stale[item]
        # (an item removed and deleted meanwhile, by another layout or design, has nothing left to show)
        for item in reveal:
            with contextlib.suppress(RuntimeError):
                item.setOpacity(1.0)
        for item in stale:
            with contextlib.suppress(RuntimeError):
                item.update()
        self.last_turn_at = time.perf_counter()
        if self.busy and not everything:
            self._timer.start()
