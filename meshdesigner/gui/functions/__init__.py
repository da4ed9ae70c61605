"""Gateway functions in the window: a "Functions" property section for gateways and a tag per function on
gateway cards (firewall, JWT, cache, rate limit, access log, and client certificates through MUTUAL TLS),
through the properties registry and the canvas's ``PROJECT_CARD_TAGS`` hook. The functions are the design's
real resources, seen through :mod:`meshdesigner.model.functions_view`.

:func:`install` is called by the main window; importing this package registers everything (idempotent).
"""

from __future__ import annotations

from ...model import NodeKind
from ..panels.properties import register_section
from ..scene.items import PROJECT_CARD_TAGS
from .section import functions_section
from .tags import function_tags

GATEWAYS = (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY)


def register() -> None:
    register_section(GATEWAYS, functions_section)
    if function_tags not in PROJECT_CARD_TAGS:
        PROJECT_CARD_TAGS.append(function_tags)


def install(window=None) -> None:
    """Register the section and the card tags (the window argument is accepted for symmetry)."""
    register()


register()

__all__ = ["function_tags", "functions_section", "install", "register"]
