"""Focus on one node: its neighbourhood, and the history Back and Forward walk (plain Python, view state).

The neighbourhood of a node is everything a request through it can touch: every node upstream of it
(the gateways and virtual services that lead to it, the Services that front a gateway) and every node
downstream (the virtual services a gateway binds, their destinations, an egress gateway's routes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def neighbourhood(node_id: str, downstream: Mapping[str, Iterable[str]],
                  upstream: Mapping[str, Iterable[str]]) -> set[str]:
    """``node_id`` with everything reachable from it along ``downstream`` and along ``upstream``."""
    found = {node_id}
    for links in (downstream, upstream):
        stack = [node_id]
        seen = {node_id}
        while stack:
            for other in links.get(stack.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        found |= seen
    return found


class FocusHistory:
    """The nodes focused in turn (None = the overview), like a browser's history: a new focus after
    going back drops the entries ahead of it."""

    def __init__(self) -> None:
        self.entries: list[str | None] = [None]
        self.index = 0

    @property
    def current(self) -> str | None:
        return self.entries[self.index]

    def push(self, entry: str | None) -> None:
        if entry == self.current:
            return
        del self.entries[self.index + 1:]
        self.entries.append(entry)
        self.index += 1

    def can_go_back(self) -> bool:
        return self.index > 0

    def can_go_forward(self) -> bool:
        return self.index < len(self.entries) - 1

    def back(self) -> str | None:
        if self.can_go_back():
            self.index -= 1
        return self.current

    def forward(self) -> str | None:
        if self.can_go_forward():
            self.index += 1
        return self.current

    def forget(self, keep) -> None:
        """Drop entries of nodes that no longer exist (``keep(entry)`` is False); the overview stays."""
        current = self.current
        self.entries = [e for e in self.entries if e is None or keep(e)]
        self.index = self.entries.index(current) if current in self.entries else len(self.entries) - 1
