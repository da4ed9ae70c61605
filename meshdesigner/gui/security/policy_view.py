"""One policy in the Properties panel, reached without a gateway (the outline, a diagnostic).

Every security/telemetry/EnvoyFilter resource of the design can be opened here, those applying to no
gateway included (a selector matching nothing, another namespace, a mesh-wide one in a design without
gateways): the view says which gateways it applies to, or that it applies to none and why that may be,
and edits it with the same field editor and YAML tab as a gateway's Policies section.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ...compile.security import security_plan
from ...model.nodes import GatewayNode
from ..panels.properties import Section
from .section import PolicyEditor, origin


def gateways_applying(project, policy) -> list[GatewayNode]:
    """The Gateways whose workload ``policy`` applies to (as the compiler attaches it)."""
    return [g for g in project.gateways()
            if any(p.ref == policy.ref for p in security_plan(project, g).policies)]


def applies_text(project, policy) -> str:
    """``Applies to gateway istio-system/edge.`` (each a link to its card) or ``Applies to no gateway in the
    design ...``."""
    gateways = gateways_applying(project, policy)
    if gateways:
        names = ", ".join(f"<a href='{html.escape(g.id)}'>{html.escape(g.gateway.metadata.qualified)}</a>"
                          for g in gateways[:5])
        more = f" and {len(gateways) - 5} more" if len(gateways) > 5 else ""
        return f"Applies to gateway{'s' if len(gateways) > 1 else ''} {names}{more}."
    where = origin(policy, project.settings.root_namespace)
    return html.escape(f"Applies to no gateway in the design ({where}): no gateway's pods match it in namespace "
                       f"{policy.namespace}. Istio would apply it to other workloads only.")


def policy_view(panel, ref) -> Section | None:
    """The resource ``ref`` and its editor; a note when it is gone (deleted: Undo brings it back)."""
    if panel.document is None:
        return None
    project = panel.document.project
    policy = project.policy(ref)
    section = Section(ref[0], "policy.view")  # (the name is in the editor: a long one would widen the panel)
    if policy is None:
        gone = QLabel("This resource is no longer in the design (Undo brings it back).")
        gone.setObjectName("Muted")
        gone.setWordWrap(True)
        section.add(gone)
        return section
    applies = QLabel(applies_text(project, policy))
    applies.setObjectName("PolicyAppliesTo")
    applies.setWordWrap(True)
    applies.setTextFormat(Qt.TextFormat.RichText)
    applies.linkActivated.connect(panel.sig_node_requested.emit)
    section.add(applies)

    def listing() -> list:
        shown = project.policy(panel.policy_ref) if panel.policy_ref is not None else None
        return [shown] if shown is not None else []

    editor = PolicyEditor(panel, listing, show_list=False)
    editor.relabelers.append(lambda edited: applies.setText(applies_text(project, edited)))
    section.add(editor)
    return section
