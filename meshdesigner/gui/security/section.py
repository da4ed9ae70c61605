"""The gateway's "Policies" property section and its card tag (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QToolButton,
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
from ..style import icon
from .fields import PolicyHost
from .forms import build_form
from .new_policy import KIND_KEYS, MENU_TEXTS, new_policy

TAG_COLOUR = "#7a5cc2"
ROW_HEIGHT = 38  # px: a policy row has two lines


def origin(policy, root_namespace: str) -> str:
    """Where a policy's hold on the gateway comes from: ``selector istio=ingressgateway``, ``mesh-wide (root
    namespace istio-system)``, ``namespace-wide (shop)`` or ``targetRef Gateway/web``."""
    scope = attachment_scope(policy, root_namespace)
    if scope == "selector":
        labels = policy.selector_labels or {}
        return "selector " + ",".join(f"{k}={v}" for k, v in labels.items())
    if scope == "mesh-wide":
        return f"mesh-wide (root namespace {policy.namespace})"
    if scope == "namespace-wide":
        return f"namespace-wide ({policy.namespace})"
    return "targetRef " + ", ".join(f"{ref.kind}/{ref.name}" for ref in policy.target_refs)


def list_text(policy) -> str:
    """The first line of a policy's row in the list: ``AuthorizationPolicy (DENY) istio-system/deny-peer``."""
    what = policy.KIND
    if isinstance(policy, AuthorizationPolicy):
        what += f" ({policy.spec.effective_action})"
    return f"{what} {policy.metadata.qualified}"


def describe(policy, root_namespace: str) -> str:
    """``AuthorizationPolicy (DENY) istio-system/deny-peer: selector istio=ingressgateway`` (what it is and
    where it comes from)."""
    return f"{list_text(policy)}: {origin(policy, root_namespace)}"


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


def list_shape(value: Any, path: tuple = ()) -> list[tuple[tuple, int]]:
    """The lengths of the lists of mappings inside a policy (rules, sources, JWT rules...): the form has a
    picker per such list, so when one changes length the form is built anew; any other edit (a value
    typed, a label added) refreshes the editors in place and keeps the focus where the user types."""
    out: list[tuple[tuple, int]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += list_shape(item, (*path, key))
    elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
        out.append((path, len(value)))
        for i, item in enumerate(value):
            out += list_shape(item, (*path, i))
    return out


class YamlTab(QWidget):
    """The policy as YAML, checked and applied as one undo step; follows the fields while not being edited."""

    def __init__(self, editor: PolicyEditor) -> None:
        super().__init__()
        self.editor = editor
        self.text = QPlainTextEdit()
        self.text.setObjectName("PolicyYaml")
        self.text.setMinimumHeight(260)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.apply = QPushButton("Apply")
        self.apply.setObjectName("PolicyYamlApply")
        self.apply.clicked.connect(self.apply_text)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.apply)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 0)
        column.addWidget(self.text)
        column.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        """Show the policy as it is now, unless the user has typed something not yet applied."""
        policy = self.editor.host.policy
        if policy is None or self.text.document().isModified():
            return
        self.text.setPlainText(dump(policy.manifest()))
        self.text.document().setModified(False)

    def apply_text(self) -> None:
        current = self.editor.host.policy
        if current is None:
            return
        policy, problems = check_policy_text(self.text.toPlainText(), current)
        if policy is None:
            self.status.setText("Not applied: " + "; ".join(problems))
            return
        self.text.document().setModified(False)
        try:
            self.editor.panel.document.set_policy(current, policy)
        except ValueError as exc:  # ProjectError: another resource has that name
            self.status.setText(f"Not applied: {exc}")
            return
        self.status.setText("Applied." + (" Istio would reject: " + "; ".join(problems) if problems else ""))


class PolicyEditor(QWidget):
    """The picked policy's editor: its fields (:mod:`.forms`) and its YAML, two tabs over the same resource,
    and a button that deletes it. With ``show_list`` (a gateway's section) the policies ``listing()``
    gives are listed above it, with where each comes from, and a row picks the one edited.

    ``follow_policies`` is called by the panel when a policy changed: the editor refreshes in place when
    ``listing()`` gives the same policies and the picked one has the same lists, else asks for a rebuild."""

    def __init__(self, panel, listing: Callable[[], list], show_list: bool = True) -> None:
        super().__init__()
        self.setObjectName("follows-policies")
        self.panel, self.listing = panel, listing
        self.policies = policies = listing()
        self.refs = [p.ref for p in policies]
        self.root = panel.document.project.settings.root_namespace
        self.relabelers: list = []
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        index = min(panel.selected_index.get("policy", 0), len(policies) - 1)
        self.list = QListWidget()
        self.list.setObjectName("PolicyList")
        self.list.setAlternatingRowColors(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setToolTip("The policies that apply to this gateway's pods and where each comes from; "
                             "pick one to edit it")
        for policy in policies:
            self.list.addItem(self.row_text(policy))
        self.list.setFixedHeight(6 + ROW_HEIGHT * max(1, min(len(policies), 6)))
        self.list.setCurrentRow(index)
        self.list.currentRowChanged.connect(self.pick)
        column.addWidget(self.list)
        self.list.setHidden(not show_list)  # (after it has a parent: a shown parentless widget is a window)
        policy = policies[index]
        self.host = PolicyHost(panel.document, policy.ref)
        self.shape = list_shape(policy.to_wire())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("PolicyTabs")
        fields = QWidget()
        fields.setObjectName("PolicyFields")
        form = QVBoxLayout(fields)
        form.setContentsMargins(0, 4, 0, 0)
        form.setSpacing(3)
        title = QLabel(f"<b>{policy.KIND}</b> {policy.metadata.qualified} "
                       f"<span style='color:gray'>({policy.manifest()['apiVersion']})</span>")
        title.setWordWrap(True)
        title.setObjectName("PolicyTitle")
        delete = QPushButton("Delete policy")
        delete.setObjectName("DeletePolicy")
        delete.setToolTip(f"Delete {policy.KIND} {policy.metadata.qualified} from the design (Undo brings it back)")
        delete.clicked.connect(self.delete)
        heading = QHBoxLayout()
        heading.addWidget(title, 1)
        heading.addWidget(delete, 0, Qt.AlignmentFlag.AlignTop)
        form.addLayout(heading)
        build_form(self, form)
        form.addStretch(1)
        self.yaml = YamlTab(self)
        self.tabs.addTab(fields, "Fields")
        self.tabs.addTab(self.yaml, "YAML")
        self.tabs.setCurrentIndex(panel.selected_index.get("policy.tab", 0))
        self.tabs.currentChanged.connect(lambda i: panel.selected_index.__setitem__("policy.tab", i))
        column.addWidget(self.tabs)
        self.host.refresh()

    def delete(self) -> None:
        """Delete the picked policy: one undo step, which puts back exactly this resource."""
        policy = self.host.policy
        if policy is not None:
            self.panel.document.remove_policy(policy)
            self.panel.sig_message.emit(f"Deleted {policy.KIND} {policy.metadata.qualified} (Undo brings it back)")

    def row_text(self, policy) -> QListWidgetItem:
        """Two lines: what the policy is, then where its hold on the gateway comes from."""
        item = QListWidgetItem(f"{list_text(policy)}\n    ↳ {origin(policy, self.root)}")
        item.setToolTip(describe(policy, self.root))
        item.setSizeHint(QSize(0, ROW_HEIGHT))
        return item

    def pick(self, row: int) -> None:
        """Open another policy's editor."""
        if 0 <= row < len(self.policies) and row != self.panel.selected_index.get("policy", 0):
            self.panel.selected_index["policy"] = row
            self.panel.rebuild()

    def follow_policies(self) -> bool:
        """Refresh in place after a policy changed; False when the panel must rebuild the section."""
        policies = self.listing()
        policy = self.host.policy
        if [p.ref for p in policies] != self.refs or policy is None or list_shape(policy.to_wire()) != self.shape:
            return False
        self.policies = policies
        for i, each in enumerate(self.policies):
            self.list.item(i).setText(self.row_text(each).text())
        self.host.refresh()
        for relabel in self.relabelers:
            relabel(policy)
        self.yaml.refresh()
        return True


class NewPolicyButton(QToolButton):
    """"New policy": a menu of the kinds; the picked one is created for the gateway's pods (one undo step)
    and opened in the editor."""

    def __init__(self, panel, node: GatewayNode) -> None:
        super().__init__()
        self.panel = panel
        self.setObjectName("NewPolicy")
        self.setText("New policy")
        self.setIcon(icon("add"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        menu = QMenu(self)
        for key in KIND_KEYS:
            action = menu.addAction(MENU_TEXTS[key])
            action.setObjectName(f"new-policy:{key}")
            action.triggered.connect(lambda _checked=False, key=key: self.create(key))
        self.setMenu(menu)
        if not node.gateway.spec.selector:
            self.setEnabled(False)
            self.setToolTip("The Gateway has no selector: a policy for its pods cannot select them.")
        else:
            self.setToolTip("Add an Istio resource that applies to this gateway's pods (selector and namespace "
                            "of its workload)")

    def create(self, key: str) -> None:
        node = self.panel.node
        if not isinstance(node, GatewayNode):
            return
        policy = new_policy(self.panel.document.project, node, key)
        self.panel.document.add_policy(policy)
        refs = [p.ref for p in gateway_policies(self.panel)]
        if policy.ref in refs:  # show the new one in the editor, its fields first
            self.panel.selected_index.update({"policy": refs.index(policy.ref), "policy.tab": 0})
            self.panel.rebuild()


def gateway_policies(panel) -> list:
    """The policies applying to the gateway the panel shows now (none when it shows something else)."""
    node = panel.node
    return list(security_plan(panel.document.project, node).policies) if isinstance(node, GatewayNode) else []


def policies_section(panel, node) -> Section | None:
    """The resources applying to the gateway, where each comes from, the editor of the picked one and
    the New policy button (None for other kinds)."""
    if not isinstance(node, GatewayNode) or panel.document is None:
        return None
    project = panel.document.project
    plan = security_plan(project, node)
    section = Section("Policies", "gateway.policies")  # open when empty too: its New policy button
    section.add(NewPolicyButton(panel, node))
    if plan.empty:
        label = QLabel(f"No AuthorizationPolicy, RequestAuthentication, Telemetry or EnvoyFilter applies to this "
                       f"gateway's pods (namespace {plan.namespace}, root namespace {plan.root_namespace}).")
        label.setObjectName("Muted")
        label.setWordWrap(True)
        section.add(label)
    else:
        section.add(PolicyEditor(panel, lambda: gateway_policies(panel)))
    return section
