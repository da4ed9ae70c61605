"""The "Functions" property section of a gateway: firewall rules, JWT, cache, rate limits, access log,
the workload namespace, and the MUTUAL TLS servers (client certificates) as part of the same picture.

Every field edits ``functions.*`` of the gateway node through the panel (one undo step per edit; the
model validates, so a bad value shows its reason under the field)."""

from __future__ import annotations

import ipaddress

from PySide6.QtWidgets import QCheckBox, QLabel

from ...model.nodes import GatewayNode
from .. import validators as v
from ..edits import Path, get_in, node_data
from ..panels.fields import BoolField, ChoiceField, Column, TableField, TextField, to_int
from ..panels.node_sections import FileField, comma_list, list_section, list_text
from ..panels.properties import PropertiesPanel, Section
from .tags import function_tags

ROOT: Path = ("functions",)


def cidr(text: str) -> str | None:
    """Validator: an IP address or a CIDR range."""
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return "an IP address (10.0.0.1) or a CIDR range (10.0.0.0/8)"
    return None


def positive(text: str) -> str | None:
    return None if text.isdigit() and int(text) > 0 else "a whole number above 0"


def status_code(text: str) -> str | None:
    from ...compile.gateway_functions import ENVOY_STATUS_NAMES

    return None if text.isdigit() and int(text) in ENVOY_STATUS_NAMES else "an HTTP error status Envoy knows (e.g. 429)"


def pattern(text: str) -> str | None:
    inner = text.strip("*")
    return "'*' may only begin or end a pattern" if "*" in inner else None


def _scalar_table(panel, path: Path, label: str, title: str, validator=None, convert=str, example: str = "",
                  hint: str = "") -> TableField:
    return TableField(panel, path, label, [Column("value", title, validator, convert)], scalar=True,
                      new_row=lambda rows: {"value": convert(example) if example else ""}, hint=hint)


class EnableBox(QCheckBox):
    """A check box that adds a function with its defaults (``{}``) or removes it."""

    def __init__(self, panel: PropertiesPanel, path: Path, label: str, present: bool, default: dict | None = None):
        super().__init__(label)
        self.setObjectName("enable:" + ".".join(map(str, path)))
        self.setChecked(present)
        self.toggled.connect(lambda on: self._toggle(panel, path, on, default or {}))

    @staticmethod
    def _toggle(panel: PropertiesPanel, path: Path, on: bool, default: dict) -> None:
        message = panel.edit(path, dict(default) if on else None, f"{'Add' if on else 'Remove'} {path[-1]}")
        if message:
            panel.sig_message.emit(message)


# ----- firewall ------------------------------------------------------------------------------------
def rule_summary(i: int, rule: dict) -> str:
    parts = [rule.get("action", "DENY")]
    for key, label in (("remoteIpBlocks", "from"), ("ipBlocks", "peer"), ("hosts", "host"), ("methods", ""),
                       ("paths", ""), ("ports", "port")):
        if rule.get(key):
            parts.append(f"{label} {','.join(map(str, rule[key]))}".strip())
    if rule.get("name"):
        parts.append(f"({rule['name']})")
    return f"{i + 1}. " + " ".join(parts if len(parts) > 1 else parts + ["everything"])


MORE_CONDITIONS = ("notRemoteIpBlocks", "ipBlocks", "notIpBlocks", "hosts", "notPaths", "ports", "headers")


def rule_detail(panel: PropertiesPanel, section: Section, path: Path) -> None:
    section.add(ChoiceField(panel, (*path, "action"), "Action", ("DENY", "ALLOW"),
                            hint="DENY rules are checked first; once any ALLOW rule exists, requests no ALLOW rule "
                                 "matches are denied"))
    section.add(TextField(panel, (*path, "name"), "Note", placeholder="what this rule is for"))
    section.add(_scalar_table(panel, (*path, "remoteIpBlocks"), "Client addresses (remoteIpBlocks)", "Address or CIDR",
                              cidr, example="10.0.0.0/8"))
    section.add(_scalar_table(panel, (*path, "paths"), "Paths", "Path (/api*, *.js, exact)", pattern, example="/admin*"))
    section.add(_scalar_table(panel, (*path, "methods"), "Methods", "Method",
                              lambda t: None if t == t.upper() else "upper case (GET, POST)", example="GET"))
    rule = get_in(node_data(panel.node), path) or {} if panel.node is not None else {}
    more = Section("More conditions", "functions.firewall.more",
                   expanded=any(rule.get(key) for key in MORE_CONDITIONS))
    for key, label in (("notRemoteIpBlocks", "Except client addresses"), ("ipBlocks", "Peer addresses (ipBlocks)"),
                       ("notIpBlocks", "Except peer addresses")):
        more.add(_scalar_table(panel, (*path, key), label, "Address or CIDR", cidr, example="10.0.0.0/8"))
    more.add(_scalar_table(panel, (*path, "hosts"), "Hosts", "Host", pattern, example="shop.example.com"))
    more.add(_scalar_table(panel, (*path, "notPaths"), "Except paths", "Path", pattern, example="/healthz"))
    more.add(_scalar_table(panel, (*path, "ports"), "Ports", "Port", v.port, to_int, example="443"))
    more.add(TableField(panel, (*path, "headers"), "Headers", [
        Column("name", "Header", lambda t: None if t else "a header name is required"),
        Column("values", "Values (comma separated; a*, *b, *)", convert=comma_list, display=list_text),
        Column("notValues", "Not values", convert=comma_list, display=list_text),
    ], new_row=lambda rows: {"name": "x-tenant", "values": ["*"]}))
    section.add(more)


def firewall_part(panel: PropertiesPanel, node: GatewayNode) -> Section:
    return list_section(panel, node, "Firewall", "functions.firewall", (*ROOT, "firewall", "rules"), rule_summary,
                        lambda rules: {"action": "DENY", "remoteIpBlocks": ["203.0.113.0/24"]}, rule_detail,
                        "rule", expanded=bool(node.functions and node.functions.firewall))


# ----- JWT -----------------------------------------------------------------------------------------
def jwt_summary(i: int, rule: dict) -> str:
    keys = "inline keys" if rule.get("jwks") else rule.get("jwksFile") or rule.get("jwksUri") or "no keys"
    return f"{i + 1}. {rule.get('issuer', '?')} · {keys}"


def jwt_detail(panel: PropertiesPanel, section: Section, path: Path) -> None:
    section.add(TextField(panel, (*path, "issuer"), "Issuer (iss)", required=True))
    section.add(_scalar_table(panel, (*path, "audiences"), "Audiences (aud)", "Audience", example="my-api"))
    section.add(TextField(panel, (*path, "jwks"), "JWKS (inline JSON)", placeholder='{"keys": [...]}'))
    section.add(FileField(panel, (*path, "jwksFile"), "JWKS file"))
    section.add(TextField(panel, (*path, "jwksUri"), "JWKS URL (Istio fetches it)", placeholder="https://…/jwks.json"))
    section.add(TableField(panel, (*path, "fromHeaders"), "Token headers (default Authorization: Bearer)", [
        Column("name", "Header", lambda t: None if t else "a header name is required"),
        Column("prefix", "Prefix"),
    ], new_row=lambda rows: {"name": "Authorization", "prefix": "Bearer "}))
    section.add(_scalar_table(panel, (*path, "fromParams"), "Token query parameters", "Parameter",
                              example="access_token"))
    section.add(BoolField(panel, (*path, "forwardOriginalToken"), "Forward the token to the backend",
                          remove_when=False))
    section.add(TextField(panel, (*path, "outputPayloadToHeader"), "Payload to header", placeholder="x-jwt-payload"))


def jwt_part(panel: PropertiesPanel, node: GatewayNode) -> Section:
    jwt = node.functions.jwt if node.functions else None
    section = list_section(panel, node, "Authentication (JWT)", "functions.jwt", (*ROOT, "jwt", "rules"), jwt_summary,
                           lambda rules: {"issuer": "https://issuer.example.com", "jwks": '{"keys": []}'}, jwt_detail,
                           "issuer", expanded=jwt is not None)
    section.add(BoolField(panel, (*ROOT, "jwt", "requirePrincipal"), "Require a valid token (403 without one)",
                          remove_when=False))
    section.add(_scalar_table(panel, (*ROOT, "jwt", "principals"), "Allowed principals (default: any valid token)",
                              "issuer/subject, issuer/*, */subject", example="https://issuer.example.com/*"))
    section.add(_scalar_table(panel, (*ROOT, "jwt", "paths"), "Require it on paths (default: every path)",
                              "Path (/api*, exact)", pattern, example="/api*"))
    return section


# ----- cache, rate limits, access log --------------------------------------------------------------------
ROUTE_COLUMNS = [Column("virtualService", "Virtual service (ns/name)",
                        lambda t: None if "/" in t else "write namespace/name"),
                 Column("route", "Route name", lambda t: None if t else "the HTTP route's name")]


def cache_part(panel: PropertiesPanel, node: GatewayNode) -> Section:
    cache = node.functions.cache if node.functions else None
    section = Section("Response cache", "functions.cache", expanded=cache is not None)
    section.add(EnableBox(panel, (*ROOT, "cache"), "Cache responses (Envoy's in-memory cache)", cache is not None))
    if cache is None:
        return section
    section.add(TableField(panel, (*ROOT, "cache", "routes"), "Only these routes (empty: every route)",
                           [Column(c.key, c.title, c.validator) for c in ROUTE_COLUMNS],
                           new_row=lambda rows: {"virtualService": f"{node.namespace}/vs", "route": "static"}))
    section.add(TextField(panel, (*ROOT, "cache", "maxBodyBytes"), "Largest cached body (bytes)", convert=to_int,
                          placeholder="no limit"))
    section.add(_scalar_table(panel, (*ROOT, "cache", "allowedVaryHeaders"), "Vary headers allowed", "Header",
                              example="accept-encoding"))
    section.add(BoolField(panel, (*ROOT, "cache", "ignoreRequestCacheControl"),
                          "Ignore the client's Cache-Control", remove_when=False))
    return section


def rate_limit_part(panel: PropertiesPanel, node: GatewayNode) -> Section:
    limits = node.functions.rate_limits if node.functions else None
    section = Section("Rate limits", "functions.rateLimits", expanded=bool(limits))
    section.add(TableField(panel, (*ROOT, "rateLimits"), "Token buckets (no route: the whole gateway)", [
        Column("tokensPerFill", "Requests", positive, to_int, width=64),
        Column("fillInterval", "Per", lambda t: None if t and t[-1] in "smh" else "a duration: 1s, 1m", width=48),
        Column("maxTokens", "Burst", positive, to_int, width=52),
        Column("status", "Status", status_code, to_int, width=52),
        Column("route.virtualService", "Virtual service"),
        Column("route.route", "Route"),
    ], new_row=lambda rows: {"tokensPerFill": 100, "fillInterval": "1s"},
        hint="A route's own bucket replaces the gateway's for that route; over the limit Envoy answers the status "
             "(429 by default)"))
    return section


def access_log_part(panel: PropertiesPanel, node: GatewayNode) -> Section:
    log = node.functions.access_log if node.functions else None
    section = Section("Access log", "functions.accessLog", expanded=log is not None)
    section.add(EnableBox(panel, (*ROOT, "accessLog"), "Log every request of this gateway", log is not None))
    if log is None:
        return section
    section.add(TextField(panel, (*ROOT, "accessLog", "provider"), "Istio provider", placeholder="envoy"))
    section.add(TextField(panel, (*ROOT, "accessLog", "filter"), "Only when (CEL)",
                          placeholder="response.code >= 400"))
    section.add(TextField(panel, (*ROOT, "accessLog", "path"), "File (standalone Envoy)", placeholder="/dev/stdout"))
    return section


def mutual_tls_note(node: GatewayNode) -> QLabel | None:
    servers = [s for s in node.gateway.spec.servers or [] if s.tls is not None and s.tls.mode in ("MUTUAL", "OPTIONAL_MUTUAL")]
    if not servers:
        return None
    text = "; ".join(f"port {s.port.number} ({s.tls.mode}, CA {s.tls.ca_certificates or s.tls.credential_name or '?'})"
                     for s in servers)
    label = QLabel(f"Client certificates: {text}. Edit them under Servers ▸ TLS.")
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


def functions_section(panel: PropertiesPanel, node) -> Section | None:
    """The gateway's Functions section (None for other kinds)."""
    if not isinstance(node, GatewayNode):
        return None
    section = Section("Functions", "gateway.functions", expanded=node.functions is not None)
    tags = function_tags(node)
    summary = QLabel("; ".join(description for _t, _c, description in tags) if tags else
                     "No functions yet: add firewall rules, JWT authentication, a cache, rate limits or an access log.")
    summary.setObjectName("Muted")
    summary.setWordWrap(True)
    section.add(summary)
    note = mutual_tls_note(node)
    if note is not None:
        section.add(note)
    section.add(firewall_part(panel, node))
    section.add(jwt_part(panel, node))
    section.add(cache_part(panel, node))
    section.add(rate_limit_part(panel, node))
    section.add(access_log_part(panel, node))
    section.add(TextField(panel, (*ROOT, "workloadNamespace"), "Policies' namespace (the gateway pods')",
                          v.resource_name, placeholder="the gateway Service's namespace"))
    _alias_for_diagnostics(panel)
    return section


def _alias_for_diagnostics(panel: PropertiesPanel) -> None:
    """Diagnostics name these fields ``functions.…`` on the Gateway; the panel keys fields without their
    first path element. Add ``functions.``-prefixed keys (and one per part, e.g. ``functions.jwt``) so
    clicking an MD07xx diagnostic focuses the field."""
    for key, field in list(panel.fields_by_path.items()):
        if field.path and field.path[0] == ROOT[0]:
            panel.fields_by_path.setdefault(f"{ROOT[0]}.{key}", field)
            part = f"{ROOT[0]}.{key.split('.')[0].split('[')[0]}"
            panel.fields_by_path.setdefault(part, field)
