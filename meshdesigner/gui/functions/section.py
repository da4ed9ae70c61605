"""The gateway's "Functions" property section: a friendly editor over the real resources.

Lists what applies to the gateway's workload as :func:`meshdesigner.model.functions_view.functions_of`
recognises it (rate limit, IP lists, JWT, "require a token", cache, access log; other policies are named
and edited as YAML in the Policies section). The few fields of each recognised kind are edited in place
through the view's ``set_*`` functions, so a hand-written resource is written back as the same resource;
"Add" creates a resource selecting the gateway's pods; "Remove" deletes it. Every edit is one undo step
(``Document.set_policy``); the panel rebuilds from the model's policy events.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...model import functions_view as fv
from ...model.nodes import GatewayNode
from ..panels.properties import Section

ADDABLE = (fv.RATE_LIMIT, fv.IP_DENY, fv.IP_ALLOW, fv.JWT, fv.REQUIRE_JWT, fv.CACHE, fv.ACCESS_LOG)


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _whole(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip() or 'nothing'} is not a whole number") from None


def new_function(project, node: GatewayNode, kind: str):
    """A new resource of ``kind`` for the gateway, with starting values the user then edits."""
    namespace, labels = fv.gateway_workload(project, node)
    name = fv.default_name(project, node, kind, namespace)
    build: dict[str, Callable] = {
        fv.RATE_LIMIT: lambda: fv.new_rate_limit(name, namespace, labels, 100, "1s"),
        fv.IP_DENY: lambda: fv.new_ip_policy(name, namespace, labels, "DENY", ["192.0.2.0/24"]),
        fv.IP_ALLOW: lambda: fv.new_ip_policy(name, namespace, labels, "ALLOW", ["10.0.0.0/8"]),
        fv.JWT: lambda: fv.new_request_authentication(name, namespace, labels, [
            {"issuer": "https://issuer.example.com", "jwks": '{"keys":[]}'}]),
        fv.REQUIRE_JWT: lambda: fv.new_require_jwt(name, namespace, labels),
        fv.CACHE: lambda: fv.new_cache(name, namespace, labels),
        fv.ACCESS_LOG: lambda: fv.new_access_log(name, namespace, labels),
    }
    return build[kind]()


class FunctionBox(QWidget):
    """One function: what it is, where it comes from, its fields, and Remove."""

    def __init__(self, panel, function: fv.GatewayFunction) -> None:
        super().__init__()
        self.panel, self.function = panel, function
        resource = function.resource
        self.setObjectName(f"function:{resource.KIND}:{resource.namespace}/{resource.name}")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 2, 0, 6)
        head = QHBoxLayout()
        title = QLabel(f"<b>{function.title}</b> · {resource.KIND} {resource.namespace}/{resource.name} "
                       f"({function.scope})")
        title.setWordWrap(True)
        head.addWidget(title, 1)
        remove = QPushButton("Remove")
        remove.setObjectName("remove:" + resource.name)
        remove.clicked.connect(lambda: self.commit(lambda: None, f"Remove {function.title.lower()}"))
        head.addWidget(remove)
        column.addLayout(head)
        summary = QLabel(function.summary)
        summary.setObjectName("Muted")
        summary.setWordWrap(True)
        column.addWidget(summary)
        self.form = QFormLayout()
        column.addLayout(self.form)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        {fv.RATE_LIMIT: self._rate_limit, fv.IP_DENY: self._ip_list, fv.IP_ALLOW: self._ip_list,
         fv.REQUIRE_JWT: self._require_jwt, fv.JWT: self._jwt, fv.CACHE: self._cache,
         fv.ACCESS_LOG: self._access_log}.get(function.kind, self._elsewhere)()

    # ----- editing -------------------------------------------------------------------------------

    def commit(self, build: Callable, text: str) -> None:
        """Apply ``build()`` (the new resource, or None to remove it) as one undo step; refusals are shown."""
        try:
            new = build()
        except (ValueError, ValidationError) as exc:
            message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            self.status.setText(f"Not applied: {message}")
            return
        if new != self.function.resource:
            self.panel.document.set_policy(self.function.resource, new, text)

    def field(self, label: str, key: str, value: str, build: Callable[[str], object]) -> QLineEdit:
        line = QLineEdit(value)
        line.setObjectName(f"function:{self.function.resource.name}:{key}")
        line.editingFinished.connect(
            lambda: self.commit(lambda: build(line.text()), f"Edit {self.function.title.lower()}"))
        self.form.addRow(label, line)
        return line

    # ----- one editor per kind -----------------------------------------------------------------

    def _rate_limit(self) -> None:
        ef = self.function.resource
        for bucket in fv.rate_limit_buckets(ef) or []:
            i, scope = bucket.patch_index, bucket.scope
            self.form.addRow(QLabel(f"Bucket for the {scope}"))
            self.field("Requests per fill", f"{i}.tokens", str(bucket.tokens_per_fill),
                       lambda t, i=i: fv.set_rate_limit(ef, i, tokens_per_fill=_whole(t)))
            self.field("Fill interval", f"{i}.interval", bucket.fill_interval,
                       lambda t, i=i: fv.set_rate_limit(ef, i, fill_interval=t.strip()))
            self.field("Burst (max tokens)", f"{i}.burst", str(bucket.max_tokens),
                       lambda t, i=i: fv.set_rate_limit(ef, i, max_tokens=_whole(t)))
            self.field("Status over the limit", f"{i}.status", str(bucket.status),
                       lambda t, i=i: fv.set_rate_limit(ef, i, status=_whole(t)))

    def _ip_list(self) -> None:
        policy = self.function.resource
        field, blocks = fv.ip_blocks(policy)
        label = "Client ranges (remoteIpBlocks)" if field == "remoteIpBlocks" else "Peer ranges (ipBlocks)"
        self.field(label, "blocks", ", ".join(blocks), lambda t: fv.set_ip_blocks(policy, _items(t)))

    def _require_jwt(self) -> None:
        policy = self.function.resource
        principals, paths = fv.required_principals(policy)
        self.field("From principals", "principals", ", ".join(principals),
                   lambda t: fv.set_required_principals(policy, principals=_items(t) or ["*"]))
        self.field("On paths (empty: all)", "paths", ", ".join(paths),
                   lambda t: fv.set_required_principals(policy, paths=_items(t)))

    def _jwt(self) -> None:
        ra = self.function.resource
        for i, rule in enumerate(ra.spec.jwt_rules or []):
            self.field(f"Issuer {i + 1}", f"{i}.issuer", rule.issuer,
                       lambda t, i=i: fv.set_jwt_rule(ra, i, issuer=t.strip()))
            self.field("Audiences", f"{i}.audiences", ", ".join(rule.audiences or []),
                       lambda t, i=i: fv.set_jwt_rule(ra, i, audiences=_items(t) or None))
            self.field("Keys (JWKS)", f"{i}.jwks", rule.jwks or "",
                       lambda t, i=i: fv.set_jwt_rule(ra, i, jwks=t.strip() or None))

    def _cache(self) -> None:
        ef = self.function.resource
        settings = fv.cache_settings(ef)
        self.field("Max body bytes (empty: no cap)", "maxBodyBytes",
                   "" if settings.max_body_bytes is None else str(settings.max_body_bytes),
                   lambda t: fv.set_cache(ef, max_body_bytes=_whole(t) if t.strip() else 0))
        self.field("Vary on headers", "vary", ", ".join(settings.allowed_vary_headers),
                   lambda t: fv.set_cache(ef, allowed_vary_headers=_items(t)))

    def _access_log(self) -> None:
        telemetry = self.function.resource
        log = (telemetry.spec.access_logging or [None])[0]
        provider = ", ".join(p.name for p in log.providers or []) if log is not None else ""
        expression = log.filter.expression if log is not None and log.filter and log.filter.expression else ""
        self.field("Provider", "provider", provider or "envoy",
                   lambda t: fv.set_access_log(telemetry, provider=t.strip() or "envoy"))
        self.field("Only when (CEL)", "filter", expression,
                   lambda t: fv.set_access_log(telemetry, filter_expression=t.strip()))

    def _elsewhere(self) -> None:
        note = QLabel("Edit it in the Policies section.")
        note.setObjectName("Muted")
        note.setWordWrap(True)
        self.form.addRow(note)


class AddBar(QWidget):
    """Pick a function kind and add a resource of it for this gateway (one undo step)."""

    def __init__(self, panel, node: GatewayNode) -> None:
        super().__init__()
        self.panel, self.node = panel, node
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.kinds = QComboBox()
        self.kinds.setObjectName("AddFunctionKind")
        for kind in ADDABLE:
            self.kinds.addItem(fv.TITLES[kind], kind)
        self.add = QPushButton("Add")
        self.add.setObjectName("AddFunction")
        self.add.clicked.connect(self.add_function)
        row.addWidget(self.kinds, 1)
        row.addWidget(self.add)
        if not node.gateway.spec.selector:
            self.add.setEnabled(False)
            self.add.setToolTip("The Gateway has no selector: a policy for its pods cannot select them.")

    def add_function(self) -> None:
        kind = self.kinds.currentData()
        project = self.panel.document.project
        self.panel.document.set_policy(None, new_function(project, self.node, kind), f"Add {fv.TITLES[kind].lower()}")


def functions_section(panel, node) -> Section | None:
    """The gateway's functions over the real resources (None for other kinds)."""
    if not isinstance(node, GatewayNode) or panel.document is None:
        return None
    functions = fv.functions_of(panel.document.project, node)
    section = Section("Functions", "gateway.functions", expanded=bool(functions))
    intro = QLabel("What the gateway does besides routing. Each function is the Istio resource that does it "
                   "(AuthorizationPolicy, RequestAuthentication, EnvoyFilter, Telemetry), hand-written ones included.")
    intro.setObjectName("Muted")
    intro.setWordWrap(True)
    section.add(intro)
    for function in functions:
        section.add(FunctionBox(panel, function))
    section.add(AddBar(panel, node))
    return section
