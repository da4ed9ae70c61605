"""Gateway functions on the canvas: a tag per function on gateway cards (firewall, JWT, cache, rate limit,
access log, and client certificates through MUTUAL TLS), through the canvas's ``PROJECT_CARD_TAGS`` hook.
The functions are the design's real resources, seen through :mod:`meshdesigner.model.functions_view`.

:func:`install` is called by the main window; importing this package registers everything (idempotent).
"""

from __future__ import annotations

from ..scene.items import PROJECT_CARD_TAGS
from .tags import function_tags


def register() -> None:
    if function_tags not in PROJECT_CARD_TAGS:
        PROJECT_CARD_TAGS.append(function_tags)


def install(window=None) -> None:
    """Register the card tags (the window argument is accepted for symmetry)."""
    register()


register()

__all__ = ["function_tags", "install", "register"]
