"""The design's security, telemetry and EnvoyFilter resources in the window.

* gateway cards carry a tag with the number of resources applying to the gateway (hand-written and
  imported ones included), listed in the tooltip with their action (``PROJECT_CARD_TAGS`` hook);
* a "Policies" property section for gateways lists them with where each comes from (its namespace and
  how it attaches: mesh-wide, namespace-wide, selector), edits the selected one field by field or as
  YAML, deletes it, and makes new ones for the gateway's pods (:mod:`.new_policy`); each edit is one
  undo step (:meth:`Document.set_policy`) and the resource is written back as the same resource;
* the outline lists every policy, those applying to no gateway included (:mod:`.outline`); a row, or
  "Go to field" on a diagnostic about a policy, opens it in the Properties panel (:mod:`.policy_view`)
  with the field named focused (:mod:`.focus`).

:func:`install` is called by the main window; importing this package registers everything (idempotent).
"""

from __future__ import annotations

from ...model import NodeKind
from ..panels.properties import register_policy_view, register_section
from ..scene.items import PROJECT_CARD_TAGS
from .outline import fill_policies
from .policy_view import policy_view
from .section import policies_section, policy_tags

GATEWAYS = (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY)


def register() -> None:
    register_section(GATEWAYS, policies_section)
    register_policy_view(policy_view)
    if policy_tags not in PROJECT_CARD_TAGS:
        PROJECT_CARD_TAGS.append(policy_tags)


def install(window=None) -> None:
    register()
    if window is not None and fill_policies not in window.outline.groups:
        window.outline.groups.append(fill_policies)
        window.outline.sig_policy_activated.connect(window.show_policy)
        window.outline.rebuild()


register()

__all__ = ["install", "policies_section", "policy_tags", "register"]
