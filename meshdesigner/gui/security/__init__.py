"""The design's security, telemetry and EnvoyFilter resources in the window.

* gateway cards carry a tag with the number of resources applying to the gateway (hand-written and
  imported ones included), listed in the tooltip with their action (``PROJECT_CARD_TAGS`` hook);
* a "Policies" property section for gateways lists them with where each comes from (its namespace and
  how it attaches: mesh-wide, namespace-wide, selector) and edits the selected one as YAML, checked
  before it is applied; each edit is one undo step (:meth:`Document.set_policy`) and the resource is
  written back as the same resource.

:func:`install` is called by the main window; importing this package registers everything (idempotent).
"""

from __future__ import annotations

from ...model import NodeKind
from ..panels.properties import register_section
from ..scene.items import PROJECT_CARD_TAGS
from .section import policies_section, policy_tags

GATEWAYS = (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY)


def register() -> None:
    register_section(GATEWAYS, policies_section)
    if policy_tags not in PROJECT_CARD_TAGS:
        PROJECT_CARD_TAGS.append(policy_tags)


def install(window=None) -> None:
    register()


register()

__all__ = ["install", "policies_section", "policy_tags", "register"]
