"""The outline's "Security policies" group: every policy of the design by kind, then namespace/name.

A row says when the policy applies to no gateway of the design (a selector matching nothing, another
namespace, a mesh-wide policy in a design without gateways): such a policy has no card to reach it
from, and picking its row opens it in the Properties panel like any other (``sig_policy_activated``).
Hand-written policies imported from YAML are listed like the ones made in the app.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from ...compile.security import security_plan
from ...model.security import AuthorizationPolicy
from ..panels.palette import POLICY_ROLE
from ..style import icon
from .section import TAG_COLOUR, describe

EXPANDED_UP_TO = 30  # policies: more than this and the group starts folded (type in the filter to find one)
NO_GATEWAY = "applies to no gateway"
MUTED = "#8a8a8a"


def applied_refs(project) -> set:
    """The policies that apply to at least one gateway of the design (as the compiler attaches them)."""
    return {p.ref for g in project.gateways() for p in security_plan(project, g).policies}


def row_text(policy, applies: bool) -> str:
    """``istio-system/deny-peer (DENY)``, with `` — applies to no gateway`` when it applies to none."""
    text = policy.metadata.qualified
    if isinstance(policy, AuthorizationPolicy):
        text += f" ({policy.spec.effective_action})"
    return text if applies else f"{text} — {NO_GATEWAY}"


def fill_policies(tree: QTreeWidget, project, text: str) -> None:
    """Add the group to ``tree``: kind (count) -> rows, filtered by ``text`` (kind, namespace, name)."""
    policies = [p for p in project.policies
                if not text or text in f"{p.KIND} {p.metadata.qualified}".lower()]
    if not policies:
        return
    applied = applied_refs(project)
    root = project.settings.root_namespace
    top = QTreeWidgetItem([f"Security policies ({len(policies)})"])
    top.setToolTip(0, "AuthorizationPolicy, RequestAuthentication, PeerAuthentication, Telemetry and EnvoyFilter "
                      "resources of the design; pick one to edit it")
    top.setIcon(0, icon("lock", TAG_COLOUR))
    tree.addTopLevelItem(top)
    by_kind: dict[str, list] = {}
    for policy in policies:
        by_kind.setdefault(policy.KIND, []).append(policy)
    unplaced = 0
    for kind in sorted(by_kind):
        group = QTreeWidgetItem([f"{kind} ({len(by_kind[kind])})"])
        top.addChild(group)
        for policy in by_kind[kind]:
            applies = policy.ref in applied
            unplaced += not applies
            leaf = QTreeWidgetItem([row_text(policy, applies)])
            leaf.setData(0, POLICY_ROLE, tuple(policy.ref))
            leaf.setToolTip(0, describe(policy, root) + ("" if applies else f" ({NO_GATEWAY} in the design)"))
            leaf.setIcon(0, icon("lock", TAG_COLOUR) if applies else icon("info", MUTED))
            if not applies:  # greyed: seen at a glance even where the row's end is cut off
                leaf.setForeground(0, QBrush(QColor(MUTED)))
            group.addChild(leaf)
        group.setExpanded(bool(text) or len(policies) <= EXPANDED_UP_TO)
    if unplaced:
        top.setToolTip(0, top.toolTip(0) + f". {unplaced} of them apply to no gateway of the design (greyed).")
    top.setExpanded(bool(text) or len(policies) <= EXPANDED_UP_TO)
