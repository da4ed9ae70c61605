"""The gateway's "Policies" property section and its card tag (see the package docstring)."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...analysis.rules.security_resources import webhook_problems
from ...compile.security import security_plan
from ...io.errors import InputError
from ...io.yamlio import dump, load_documents
from ...model.nodes import GatewayNode
from ...model.policy_attach import attachment_scope
from ...model.security import AuthorizationPolicy, policy_from_manifest
from ..panels.properties import Section

TAG_COLOUR = "#7a5cc2"


def describe(policy, root_namespace: str) -> str:
    """``AuthorizationPolicy istio-system/deny-peer: DENY, mesh-wide`` (what it is and where it comes from)."""
    what = policy.KIND
    if isinstance(policy, AuthorizationPolicy):
        what += f" ({policy.spec.effective_action})"
    return f"{what} {policy.metadata.qualified}: {attachment_scope(policy, root_namespace)}"


def policy_tags(project, node) -> list[tuple[str, str, str]]:
    if not isinstance(node, GatewayNode) or not project.policies:
        return []
    plan = security_plan(project, node)
    if plan.empty:
        return []
    root = project.settings.root_namespace
    count = len(plan.policies)
    text = f"{count} polic{'ies' if count != 1 else 'y'}"
    return [(text, TAG_COLOUR, "; ".join(describe(p, root) for p in plan.policies))]


def check_policy_text(text: str, current):
    """(the edited resource or None, problems): a YAML manifest of the same kind, parsed and checked with
    Istio's webhook rules. Problems of the webhook do not stop the edit (the checks list them too)."""
    try:
        docs = [d for d in load_documents(text, "policy.yaml") if d.data is not None]
    except InputError as exc:
        return None, [str(exc)]
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        return None, ["write exactly one resource (a YAML mapping)"]
    data = dict(docs[0].data)
    data.setdefault("apiVersion", current.manifest()["apiVersion"])
    data.setdefault("kind", current.KIND)
    if data.get("kind") != current.KIND:
        return None, [f"the resource must stay a {current.KIND}"]
    try:
        policy = policy_from_manifest(data)
    except (ValidationError, ValueError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        return None, [message]
    return policy, [f"{path}: {message}" for path, message in webhook_problems(policy)]


class PolicyEditor(QWidget):
    """The selected policy as YAML, applied as one undo step."""

    def __init__(self, panel, policies: list) -> None:
        super().__init__()
        self.panel, self.policies = panel, policies
        layout = QHBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("PolicyList")
        root = panel.document.project.settings.root_namespace if panel.document else "istio-system"
        self.list.addItems([describe(p, root) for p in policies])
        self.list.setMaximumHeight(110)
        self.text = QPlainTextEdit()
        self.text.setObjectName("PolicyYaml")
        self.text.setMinimumHeight(180)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.apply = QPushButton("Apply")
        self.apply.clicked.connect(self.apply_text)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.list)
        column.addWidget(self.text)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.apply)
        column.addLayout(layout)
        self.list.currentRowChanged.connect(self.show_policy)
        if policies:
            self.list.setCurrentRow(0)

    @property
    def current(self):
        row = self.list.currentRow()
        return self.policies[row] if 0 <= row < len(self.policies) else None

    def show_policy(self, _row: int) -> None:
        policy = self.current
        self.text.setPlainText(dump(policy.manifest()) if policy is not None else "")
        self.status.setText("")

    def apply_text(self) -> None:
        current = self.current
        if current is None or self.panel.document is None:
            return
        policy, problems = check_policy_text(self.text.toPlainText(), current)
        if policy is None:
            self.status.setText("Not applied: " + "; ".join(problems))
            return
        try:
            self.panel.document.set_policy(current, policy)
        except ValueError as exc:  # ProjectError: another resource has that name
            self.status.setText(f"Not applied: {exc}")
            return
        self.status.setText("Applied." + (" Istio would reject: " + "; ".join(problems) if problems else ""))


def policies_section(panel, node) -> Section | None:
    """The resources applying to the gateway, where each comes from, and a YAML editor (None for other kinds)."""
    if not isinstance(node, GatewayNode) or panel.document is None:
        return None
    project = panel.document.project
    plan = security_plan(project, node)
    section = Section("Policies", "gateway.policies", expanded=not plan.empty)
    if plan.empty:
        label = QLabel(f"No AuthorizationPolicy, RequestAuthentication, Telemetry or EnvoyFilter applies to this "
                       f"gateway's pods (namespace {plan.namespace}, root namespace {plan.root_namespace}).")
        label.setObjectName("Muted")
        label.setWordWrap(True)
        section.add(label)
        return section
    section.add(PolicyEditor(panel, list(plan.policies)))
    return section
