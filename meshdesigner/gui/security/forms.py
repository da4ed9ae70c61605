"""The field-by-field forms of the five policy kinds (the "Fields" tab of the policy editor).

Each form adds editors to a layout for one policy, all bound to the editor's :class:`PolicyHost`:

* AuthorizationPolicy: action and CUSTOM provider, what it applies to, and its rules, each with its
  ``from`` sources, ``to`` operations and ``when`` conditions (every field Istio accepts at a gateway);
* RequestAuthentication: what it applies to and its JWT rules (issuer, audiences, JWKS, token
  locations, output headers);
* Telemetry: what it applies to, access logging (providers, disabled, filter, match mode), and tracing
  and metrics as YAML;
* PeerAuthentication: selector, mTLS mode and per-port modes;
* EnvoyFilter: workload selector, targetRefs, priority and the config patches as checked YAML.

Ordered lists (rules, sources, JWT rules...) are picked in a :class:`ListPicker` (add, remove, move);
their selection lives in the panel's ``selected_index`` so it survives the rebuilds that a change of a
list's length causes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from ...analysis.rules.security_resources import webhook_problems
from ...compile.security_rules import known_when_key
from ...model.security import (
    AUTHZ_ACTIONS,
    AuthorizationPolicy,
    EnvoyFilter,
    PeerAuthentication,
    RequestAuthentication,
    Telemetry,
)
from .. import validators as v
from ..edits import Path, get_in
from ..panels.fields import BoolField, ChoiceField, Column, Field, ListPicker, TableField, TextField, to_int
from .fields import MultiLineField, StringListField, YamlField, ip_or_cidr, join_values, port_number

# ``from.source`` and ``to.operation`` fields, in Istio's order (security/v1beta1/authorization.proto).
SOURCE_FIELDS = (
    ("principals", "Peer identities (mTLS), e.g. cluster.local/ns/default/sa/sleep", None),
    ("notPrincipals", "", None),
    ("requestPrincipals", "JWT principals <iss>/<sub>; * means any valid token", None),
    ("notRequestPrincipals", "", None),
    ("namespaces", "Namespaces of the peer workload (mTLS)", None),
    ("notNamespaces", "", None),
    ("ipBlocks", "Addresses of the peer as the gateway sees it (the TCP connection), IP or CIDR", ip_or_cidr),
    ("notIpBlocks", "", ip_or_cidr),
    ("remoteIpBlocks", "The client's original address (X-Forwarded-For, with numTrustedProxies)", ip_or_cidr),
    ("notRemoteIpBlocks", "", ip_or_cidr),
)
OPERATION_FIELDS = (
    ("hosts", "Host header values; prefix or suffix * allowed", None),
    ("notHosts", "", None),
    ("ports", "Destination ports (the gateway's listener ports)", port_number),
    ("notPorts", "", port_number),
    ("methods", "HTTP methods (GET, POST...)", None),
    ("notMethods", "", None),
    ("paths", "Request paths; prefix or suffix *, or Istio's {*}/{**} templates", None),
    ("notPaths", "", None),
)
# The condition keys Istio accepts in ``when`` at a gateway (istiod's authz model, model.go); the
# bracketed ones take a name: request.headers[x-user], request.auth.claims[groups].
WHEN_KEYS = (
    "request.headers[]", "source.ip", "remote.ip", "source.namespace", "source.principal",
    "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "request.auth.claims[]",
    "destination.ip", "destination.port", "connection.sni", "experimental.envoy.filters.",
)
PEER_MODES = ("UNSET", "DISABLE", "PERMISSIVE", "STRICT")
LOG_MATCH_MODES = ("CLIENT_AND_SERVER", "CLIENT", "SERVER")


def heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setObjectName("PolicyHeading")
    return label


def note(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


def nested() -> tuple[QFrame, QVBoxLayout]:
    """An indented block for the fields of the item picked in a list."""
    frame = QFrame()
    frame.setObjectName("PolicyNested")
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(6, 4, 4, 4)
    layout.setSpacing(2)
    return frame, layout


def short(values: Any, limit: int = 2) -> str:
    """A list as a few values (``a, b +3``); anything else as its text."""
    if not isinstance(values, list):
        return str(values)
    values = list(values)
    text = join_values(values[:limit])
    return text + (f" +{len(values) - limit}" if len(values) > limit else "")


class PolicyForm:
    """Builds one policy's form into ``layout``; ``editor`` gives the panel, the host and the pickers."""

    def __init__(self, editor, layout: QVBoxLayout) -> None:
        self.editor, self.layout = editor, layout
        self.host = editor.host
        self.panel = editor.panel
        self.key = f"policy:{editor.host.ref}"

    @property
    def data(self) -> dict:
        return self.host.policy.to_wire()

    def add(self, widget: QWidget, layout: QVBoxLayout | None = None) -> QWidget:
        (layout or self.layout).addWidget(widget)
        return widget

    # ----- ordered lists -------------------------------------------------------------------------
    def picked_list(self, layout: QVBoxLayout, list_path: Path, what: str, summary: Callable[[int, dict], str],
                    new_item: Callable[[list], Any], detail: Callable[[QVBoxLayout, Path], None]) -> None:
        """A picker over the list at ``list_path`` (add, remove, move) and the picked item's fields below."""
        key = f"{self.key}:{'.'.join(map(str, list_path))}"
        items = list(get_in(self.data, list_path) or [])
        current = min(self.panel.selected_index.get(key, 0), max(0, len(items) - 1))

        def now() -> list:
            """The list as it is when a button is pressed (fields edited since the form was built included)."""
            return list(get_in(self.data, list_path) or [])

        def write(new_items: list, select: int) -> None:
            self.panel.selected_index[key] = select
            message = self.host.edit_once(list_path, new_items or None, f"Edit {what}s")
            if message:
                self.panel.sig_message.emit(message)

        def add() -> None:
            listed = now()
            write(listed + [new_item(listed)], len(listed))

        def remove() -> None:
            listed = now()
            if 0 <= current < len(listed):
                write(listed[:current] + listed[current + 1:], max(0, current - 1))

        def move(step: int) -> None:
            listed, other = now(), current + step
            if 0 <= current < len(listed) and 0 <= other < len(listed):
                listed[current], listed[other] = listed[other], listed[current]
                write(listed, other)

        picker = ListPicker(add, remove, move, what)
        picker.setObjectName(f"picker:{'.'.join(map(str, list_path))}")  # not the panel's node refresher
        for widget in (picker.list, *picker.findChildren(QToolButton)):  # apart from other sections' pickers
            widget.setObjectName("policy-" + widget.objectName())
        picker.set_items([summary(i, item) for i, item in enumerate(items)], current)
        self.editor.relabelers.append(lambda policy: _relabel(picker, [
            summary(i, item) for i, item in enumerate(get_in(policy.to_wire(), list_path) or [])]))

        def select(index: int) -> None:
            if index >= 0 and self.panel.selected_index.get(key, current) != index:
                self.panel.selected_index[key] = index
                self.panel.rebuild()

        picker.sig_selected.connect(select)
        layout.addWidget(picker)
        if items:
            frame, inner = nested()
            layout.addWidget(frame)
            detail(inner, (*list_path, current))

    # ----- what a policy applies to ----------------------------------------------------------------
    def applies_to(self, selector_path: Path = ("spec", "selector", "matchLabels"), target_refs: bool = True) -> None:
        self.add(heading("Applies to"))
        self.add(TableField(self.host, selector_path, "Selector labels (pods in the policy's namespace)",
                            [Column("key", "Label", v.label_key), Column("value", "Value")], mapping=True,
                            new_row=lambda rows: {"key": "istio", "value": "ingressgateway"},
                            hint="No labels: every workload of the namespace (of the mesh, in the root namespace)"))
        if not target_refs:
            return
        if get_in(self.data, ("spec", "targetRef")) is not None:
            for name in ("group", "kind", "name"):
                self.add(TextField(self.host, ("spec", "targetRef", name), f"targetRef {name}"))
        self.add(TableField(self.host, ("spec", "targetRefs"), "targetRefs (Gateway API gateways)", [
            Column("group", "Group"), Column("kind", "Kind", width=70), Column("name", "Name")],
            new_row=lambda rows: {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gateway"},
            hint="Only Gateway API gateways take targetRefs; a policy with targetRefs ignores Istio Gateways"))

    def string_lists(self, layout: QVBoxLayout, base: Path, fields) -> None:
        for name, hint, check in fields:
            layout.addWidget(StringListField(self.host, (*base, name), name, hint or f"The opposite of {name[3:]}",
                                             item_check=check))


def _relabel(picker: ListPicker, texts: list[str]) -> None:
    for i, text in enumerate(texts[:picker.list.count()]):
        picker.list.item(i).setText(text)
        picker.list.item(i).setToolTip(text)


# ----- AuthorizationPolicy -----------------------------------------------------------------------
def rule_summary(i: int, rule: dict) -> str:
    parts = []
    for entry in rule.get("from") or []:
        source = entry.get("source") or {}
        parts += [f"{k} {short(val, 1)}" for k, val in source.items()][:1]
    for entry in rule.get("to") or []:
        operation = entry.get("operation") or {}
        parts += [f"{k} {short(val, 1)}" for k, val in operation.items()][:1]
    if rule.get("when"):
        parts.append(f"when ×{len(rule['when'])}")
    return f"Rule {i + 1}: " + ("; ".join(parts) if parts else "every request")


def entry_summary(kind: str):
    def summary(i: int, entry: dict) -> str:
        fields = entry.get(kind) or {}
        text = "; ".join(f"{k} {short(val)}" for k, val in fields.items())
        return f"{kind.capitalize()} {i + 1}: {text or '(empty)'}"
    return summary


def condition_summary(i: int, condition: dict) -> str:
    text = condition.get("key") or "(no key)"
    if condition.get("values"):
        text += f" in {short(condition['values'])}"
    if condition.get("notValues"):
        text += f" not in {short(condition['notValues'])}"
    return text


class WhenKeyField(Field):
    """A ``when`` key: one of Istio's attributes (picked or typed; bracketed names filled in)."""

    def __init__(self, host, path: Path) -> None:
        super().__init__(host, path, "Key", "An attribute Istio accepts in `when` at a gateway")
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setObjectName("field:" + ".".join(map(str, path)))
        self.combo.addItems(WHEN_KEYS)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.body.addWidget(self.combo, 1)
        self.combo.lineEdit().textEdited.connect(self._typed)
        self.combo.activated.connect(lambda _i: self._typed(self.combo.currentText()))

    def _typed(self, text: str) -> None:
        text = text.strip()
        if not text or not known_when_key(text):
            hint = " (fill in the name between the brackets)" if text.endswith("[]") else ""
            self.error.show_error(f"not an attribute Istio accepts: {text!r}{hint}" if text else "required")
            return
        self.commit(text)

    def refresh(self, node) -> None:
        value = get_in(node.to_wire(), self.path) or ""
        if self.combo.lineEdit().hasFocus() and self.error.isVisible():
            return
        if self.combo.currentText() != value:
            self.combo.setEditText(value)
        self.error.show_error(None)

    def focus_editor(self) -> None:
        self.combo.setFocus()


class AuthorizationForm(PolicyForm):
    def build(self) -> None:
        self.add(ChoiceField(self.host, ("spec", "action"), "Action", AUTHZ_ACTIONS, empty="(unset: ALLOW)",
                             hint="DENY is checked before ALLOW; any ALLOW policy denies what no ALLOW rule allows; "
                                  "AUDIT only marks requests; CUSTOM asks an external authorizer"))
        self.add(TextField(self.host, ("spec", "provider", "name"), "CUSTOM provider (extension provider name)",
                           placeholder="only with action CUSTOM"))
        self.applies_to()
        self.add(heading("Rules"))
        self.add(note("A request matches a rule when it matches one of its sources, one of its operations and "
                      "every condition. No rules: ALLOW allows nothing, DENY denies nothing."))
        self.picked_list(self.layout, ("spec", "rules"), "rule", rule_summary, lambda items: {}, self.rule)

    def rule(self, layout: QVBoxLayout, path: Path) -> None:
        layout.addWidget(heading("From (sources, any of)"))
        self.picked_list(layout, (*path, "from"), "source", entry_summary("source"),
                         lambda items: {"source": {"ipBlocks": ["0.0.0.0/0"]}},
                         lambda inner, p: self.string_lists(inner, (*p, "source"), SOURCE_FIELDS))
        layout.addWidget(heading("To (operations, any of)"))
        self.picked_list(layout, (*path, "to"), "operation", entry_summary("operation"),
                         lambda items: {"operation": {"methods": ["GET"]}},
                         lambda inner, p: self.string_lists(inner, (*p, "operation"), OPERATION_FIELDS))
        layout.addWidget(heading("When (conditions, all of)"))
        self.picked_list(layout, (*path, "when"), "condition", condition_summary,
                         lambda items: {"key": "request.headers[x-user]", "values": ["*"]}, self.condition)

    def condition(self, layout: QVBoxLayout, path: Path) -> None:
        layout.addWidget(WhenKeyField(self.host, (*path, "key")))
        layout.addWidget(StringListField(self.host, (*path, "values"), "values", "Any of these values matches"))
        layout.addWidget(StringListField(self.host, (*path, "notValues"), "notValues", "None of these may match"))


# ----- RequestAuthentication ---------------------------------------------------------------------
class AuthenticationForm(PolicyForm):
    def build(self) -> None:
        self.applies_to()
        self.add(heading("JWT rules"))
        self.add(note("A token from one of these issuers is checked wherever it is sent: an invalid one is "
                      "rejected (401); a request without a token passes unless an AuthorizationPolicy requires "
                      "a requestPrincipal."))
        self.picked_list(self.layout, ("spec", "jwtRules"), "JWT rule",
                         lambda i, rule: f"{i + 1}: {rule.get('issuer') or '(no issuer)'}",
                         lambda items: {"issuer": "https://issuer.example.com"}, self.jwt_rule)

    def jwt_rule(self, layout: QVBoxLayout, path: Path) -> None:
        host = self.host
        layout.addWidget(TextField(host, (*path, "issuer"), "Issuer", required=True))
        layout.addWidget(StringListField(host, (*path, "audiences"), "audiences",
                                         "Accepted `aud` values (none: any audience)"))
        layout.addWidget(TextField(host, (*path, "jwksUri"), "JWKS URI", placeholder="https://.../jwks.json"))
        layout.addWidget(MultiLineField(host, (*path, "jwks"), "JWKS (inline JSON Web Key Set)",
                                        "Either jwks or jwksUri"))
        layout.addWidget(TableField(host, (*path, "fromHeaders"), "Token from headers",
                                    [Column("name", "Header", v.required), Column("prefix", "Prefix")],
                                    new_row=lambda rows: {"name": "Authorization", "prefix": "Bearer "},
                                    hint="Default: Authorization: Bearer <token>"))
        layout.addWidget(StringListField(host, (*path, "fromParams"), "fromParams", "Query parameters with the token"))
        layout.addWidget(StringListField(host, (*path, "fromCookies"), "fromCookies", "Cookies with the token"))
        layout.addWidget(TextField(host, (*path, "outputPayloadToHeader"), "Output payload to header",
                                   placeholder="header name (base64url payload)"))
        layout.addWidget(BoolField(host, (*path, "forwardOriginalToken"), "Forward the original token upstream"))
        layout.addWidget(TableField(host, (*path, "outputClaimToHeaders"), "Claims to headers",
                                    [Column("header", "Header", v.required), Column("claim", "Claim", v.required)],
                                    new_row=lambda rows: {"header": "x-jwt-sub", "claim": "sub"}))
        layout.addWidget(TextField(host, (*path, "timeout"), "JWKS fetch timeout", v.duration, placeholder="5s"))


# ----- Telemetry ---------------------------------------------------------------------------------
class ProviderNamesField(StringListField):
    """``providers: [{name: ...}]`` as a line of names (a provider's other fields are kept)."""

    def commit(self, value: Any) -> bool:
        old = {p.get("name"): p for p in get_in(self.host.policy.to_wire(), self.path) or []}
        return super().commit([old.get(name, {"name": name}) for name in value] if value else None)

    def refresh(self, node) -> None:
        providers = get_in(node.to_wire(), self.path) or []
        names = [p.get("name", "") for p in providers]
        from .fields import split_values

        if self.line.hasFocus() and (self.error.isVisible() or split_values(self.line.text()) == names):
            return
        self.line.setText(join_values(names))
        self.error.show_error(None)


class TelemetryForm(PolicyForm):
    def build(self) -> None:
        self.applies_to()
        self.add(heading("Access logging"))
        self.picked_list(self.layout, ("spec", "accessLogging"), "access log",
                         lambda i, entry: f"{i + 1}: " + (
                             "disabled" if entry.get("disabled") else
                             short([p.get("name") for p in entry.get("providers") or []]) or "default provider"),
                         lambda items: {"providers": [{"name": "envoy"}]}, self.access_log)
        self.add(heading("Tracing and metrics"))
        self.add(YamlField(self.host, ("spec", "tracing"), "tracing (YAML list)", kind=list, height=90))
        self.add(YamlField(self.host, ("spec", "metrics"), "metrics (YAML list)", kind=list, height=90))

    def access_log(self, layout: QVBoxLayout, path: Path) -> None:
        layout.addWidget(ProviderNamesField(self.host, (*path, "providers"), "providers",
                                            "Extension providers by name (meshConfig); none: the default"))
        layout.addWidget(BoolField(self.host, (*path, "disabled"), "Disabled (no access log)"))
        layout.addWidget(TextField(self.host, (*path, "filter", "expression"), "Filter (CEL expression)",
                                   placeholder="response.code >= 400"))
        layout.addWidget(ChoiceField(self.host, (*path, "match", "mode"), "Match mode", LOG_MATCH_MODES,
                                     empty="(unset: CLIENT_AND_SERVER)"))


# ----- PeerAuthentication ------------------------------------------------------------------------
class PortModesTable(TableField):
    """``portLevelMtls: {8080: {mode: STRICT}}`` as rows of port and mode."""

    def _value_rows(self, value: Any) -> list[dict]:
        return [{"port": port, **dict(settings or {})} for port, settings in (value or {}).items()]

    def _stored(self, rows: list[dict]) -> Any:
        out = {}
        for row in rows:
            if row.get("port"):
                out[str(row["port"])] = {k: val for k, val in row.items() if k != "port"}
        return out or None


class PeerForm(PolicyForm):
    def build(self) -> None:
        self.add(note("PeerAuthentication sets the mTLS a workload's sidecar accepts; a gateway's own TLS comes "
                      "from its Gateway servers, so this does not change what the gateway accepts."))
        self.applies_to(target_refs=False)
        self.add(ChoiceField(self.host, ("spec", "mtls", "mode"), "mTLS mode", PEER_MODES,
                             empty="(unset: inherit)"))
        self.add(PortModesTable(self.host, ("spec", "portLevelMtls"), "Per-port mTLS",
                                [Column("port", "Port", v.port, width=70), Column("mode", "Mode")],
                                new_row=lambda rows: {"port": "8080", "mode": "PERMISSIVE"}))


# ----- EnvoyFilter -------------------------------------------------------------------------------
class PatchesField(YamlField):
    """``configPatches`` as YAML; after an apply, what Istio's webhook says about them is shown."""

    def apply_text(self) -> None:
        super().apply_text()
        policy = self.host.policy
        if not self.error.isVisible() and policy is not None:
            problems = [f"{p}: {m}" for p, m in webhook_problems(policy) if p.startswith("spec.configPatches")]
            if problems:
                self.error.show_error("Applied; Istio would reject: " + "; ".join(problems))


class EnvoyFilterForm(PolicyForm):
    def build(self) -> None:
        self.applies_to(("spec", "workloadSelector", "labels"))
        self.add(TextField(self.host, ("spec", "priority"), "Priority (lower first)", v.integer(-2**31, 2**31 - 1),
                           convert=to_int))
        self.add(PatchesField(self.host, ("spec", "configPatches"), "configPatches (YAML list)", kind=list,
                              height=220))


FORMS: dict[type, type[PolicyForm]] = {
    AuthorizationPolicy: AuthorizationForm, RequestAuthentication: AuthenticationForm, Telemetry: TelemetryForm,
    PeerAuthentication: PeerForm, EnvoyFilter: EnvoyFilterForm,
}


def build_form(editor, layout: QVBoxLayout) -> None:
    """The form of the editor's policy into ``layout``."""
    FORMS[type(editor.host.policy)](editor, layout).build()
