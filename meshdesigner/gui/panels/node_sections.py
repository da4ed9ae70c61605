"""The built-in property sections for every node kind (registered into PROPERTY_SECTIONS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ...model import NodeBase, NodeKind
from ...model.gateway import GATEWAY_PROTOCOLS, TLS_MODES, Server
from ...model.virtualservice import HTTPRoute, TCPRoute, TLSRoute
from .. import validators as v
from ..edits import Path, get_in, node_data
from ..scene.rows import http_rule_text, server_text, tcp_rule_text, tls_rule_text
from ..validators import Validator
from .fields import (
    BoolField,
    ChoiceField,
    Column,
    ListPicker,
    TableField,
    TextField,
    to_int,
    to_number,
    weights_check,
)
from .properties import PropertiesPanel, Section, register_section

GATEWAYS = (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY)
CLIENT_TLS_MODES = ("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")
PRIMARY = {NodeKind.INGRESS_GATEWAY: "gateway", NodeKind.EGRESS_GATEWAY: "gateway",
           NodeKind.VIRTUAL_SERVICE: "virtual_service", NodeKind.MESH_SERVICE: "service",
           NodeKind.EXTERNAL_SERVICE: "service_entry"}


# ----- string matches as one compact text: exact, "prefix*", "~regex" ---------------------------
def match_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if "prefix" in value:
        return f"{value['prefix']}*"
    if "regex" in value:
        return f"~{value['regex']}"
    return str(value.get("exact", ""))


def parse_match(text: str) -> dict:
    if text.startswith("~"):
        return {"regex": text[1:]}
    if text.endswith("*"):
        return {"prefix": text[:-1]}
    return {"exact": text}


def headers_text(value: Any) -> str:
    return "; ".join(f"{k}={match_text(m)}" for k, m in (value or {}).items())


def parse_headers(text: str) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, rest = part.partition("=")
        if not sep or not key.strip():
            raise ValueError("write headers as name=value; name2=prefix*")
        out[key.strip()] = parse_match(rest.strip())
    return out


def comma_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def list_text(value: Any) -> str:
    return ", ".join(value or [])


def labels_text(value: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in (value or {}).items())


def parse_labels(text: str) -> dict:
    out = {}
    for part in comma_list(text):
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError("write labels as key=value, key2=value2")
        out[key.strip()] = val.strip()
    return out


MATCH_HINT = ("exact text, a prefix ending in * (/api/*), or ~ followed by a regular expression; Gateways: "
              "the gateways (mesh for sidecars) a match applies on, comma-separated")


# ----- building blocks ---------------------------------------------------------------------------
def general(panel: PropertiesPanel, node: NodeBase, section: Section) -> None:
    attr = PRIMARY[node.kind]
    section.add(TextField(panel, (attr, "metadata", "name"), "Name", v.resource_name, required=True))
    section.add(TextField(panel, (attr, "metadata", "namespace"), "Namespace", v.resource_name, required=True))


def list_section(panel: PropertiesPanel, node: NodeBase, title: str, key: str, list_path: Path,
                 summary: Callable[[int, dict], str], new_item: Callable[[list], dict],
                 detail: Callable[[PropertiesPanel, Section, Path], None], what: str,
                 expanded: bool = True) -> Section:
    """An ordered list (servers, rules): pick one, add, remove, reorder; the picked one's fields below."""
    section = Section(title, key, expanded)
    items = list(get_in(node_data(node), list_path) or [])
    current = min(panel.selected_index.get(key, 0), max(0, len(items) - 1))

    def write(new_items: list, select: int) -> None:
        panel.selected_index[key] = select
        message = panel.edit(list_path, new_items or None, f"Edit {what}s")
        if message:
            panel.sig_message.emit(message)

    def add() -> None:
        write(items + [new_item(items)], len(items))

    def remove() -> None:
        if items:
            index = panel.selected_index.get(key, current)
            write(items[:index] + items[index + 1:], max(0, index - 1))

    def move(step: int) -> None:
        index = panel.selected_index.get(key, current)
        other = index + step
        if 0 <= index < len(items) and 0 <= other < len(items):
            moved = list(items)
            moved[index], moved[other] = moved[other], moved[index]
            write(moved, other)

    picker = ListPicker(add, remove, move, what)
    picker.set_items([summary(i, item) for i, item in enumerate(items)], current)
    # Edits that keep the list's length (a port, a host) refresh the labels in place.
    picker.labels_of = lambda changed: [summary(i, item) for i, item in
                                        enumerate(get_in(node_data(changed), list_path) or [])]
    section.add(picker)

    def select(index: int) -> None:
        if index >= 0 and panel.selected_index.get(key, current) != index:
            panel.selected_index[key] = index
            panel.rebuild()

    picker.sig_selected.connect(select)
    if items:
        detail(panel, section, (*list_path, current))
    return section


def destinations_table(panel: PropertiesPanel, path: Path, label: str = "Destinations") -> TableField:
    return TableField(panel, path, label, [
        Column("destination.host", "Host", lambda t: v.dns_name(t) if t else "a host is required"),
        Column("destination.subset", "Subset", width=70),
        Column("destination.port.number", "Port", v.port, to_int, width=56),
        Column("weight", "Weight", v.weight, to_int, width=58),
    ], new_row=lambda rows: {"destination": {"host": "service"}}, check_rows=weights_check,
        hint="Where matching requests go; with several, weights split the traffic and add up to 100")


# ----- gateways ----------------------------------------------------------------------------------
def gateway_general(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("General", "general")
    general(panel, node, section)
    section.add(TableField(panel, ("gateway", "spec", "selector"), "Selector labels (which gateway pods)",
                           [Column("key", "Label", v.label_key), Column("value", "Value")], mapping=True,
                           new_row=lambda rows: {"key": "istio", "value": "ingressgateway"}))
    return section


def server_summary(_i: int, server: dict) -> str:
    """The server as its row on the card reads (one text for both)."""
    try:
        return server_text(Server.from_wire(server))
    except ValidationError:
        return "(incomplete server)"


def new_server(servers: list) -> dict:
    used = {s.get("port", {}).get("number") for s in servers}
    number = next(p for p in (443, 80, 8443, 8080, 9443, 15443, 10000) if p not in used) if len(used) < 7 else 10001
    if number in (443, 8443, 9443):
        return {"port": {"number": number, "protocol": "HTTPS", "name": f"https-{number}"}, "hosts": ["*"],
                "tls": {"mode": "SIMPLE", "credentialName": "my-credential"}}
    return {"port": {"number": number, "protocol": "HTTP", "name": f"http-{number}"}, "hosts": ["*"]}


def server_detail(panel: PropertiesPanel, section: Section, path: Path) -> None:
    section.add(TextField(panel, (*path, "port", "number"), "Port", v.port, convert=to_int, required=True))
    section.add(ChoiceField(panel, (*path, "port", "protocol"), "Protocol", sorted(GATEWAY_PROTOCOLS)))
    section.add(TextField(panel, (*path, "port", "name"), "Port name", required=True))
    section.add(TableField(panel, (*path, "hosts"), "Hosts", [Column("value", "Host", v.dns_name)], scalar=True,
                           new_row=lambda rows: {"value": "example.com"},
                           hint="Hosts this server answers for: a DNS name, *.suffix, or namespace/host"))
    tls = Section("TLS", "tls")
    tls.add(ChoiceField(panel, (*path, "tls", "mode"), "Mode", TLS_MODES, empty="(not set: PASSTHROUGH)"))
    tls.add(BoolField(panel, (*path, "tls", "httpsRedirect"), "Redirect HTTP to HTTPS"))
    tls.add(TextField(panel, (*path, "tls", "credentialName"), "Credential (Kubernetes secret)",
                      placeholder="e.g. my-tls-secret"))
    for key, label in (("serverCertificate", "Server certificate"), ("privateKey", "Private key"),
                       ("caCertificates", "CA certificates (for MUTUAL)")):
        tls.add(FileField(panel, (*path, "tls", key), label))
    for extra in TLS_EXTRAS:
        extra(panel, tls, (*path, "tls"))
    section.add(tls)


def gateway_servers(panel: PropertiesPanel, node: NodeBase) -> Section:
    return list_section(panel, node, "Servers", "gateway.servers", ("gateway", "spec", "servers"),
                        server_summary, new_server, server_detail, "server")


def gateway_service(panel: PropertiesPanel, node: NodeBase) -> Section | None:
    if node.kind != NodeKind.EGRESS_GATEWAY and node.service is None:  # type: ignore[attr-defined]
        return None
    section = Section("Gateway's Service", "gateway.service", expanded=False)
    section.add(TextField(panel, ("service", "metadata", "name"), "Service name", v.resource_name))
    section.add(TextField(panel, ("service", "metadata", "namespace"), "Service namespace", v.resource_name))
    section.add(service_ports_table(panel, ("service", "spec", "ports")))
    if node.service is not None:  # type: ignore[attr-defined]
        section.add(BoolField(panel, ("service_managed",), "Exported by this design (unchecked: Istio installed it)",
                              default=node.exports_service, remove_when=None))  # type: ignore[attr-defined]
    return section


# TLS pickers: features (certificate tools) append callables ``(panel, section, tls_path)``.
TLS_EXTRAS: list[Callable[[PropertiesPanel, Section, Path], None]] = []


class FileField(TextField):
    """A path with a Browse… button (through gui.dialogs, so tests can patch it)."""

    def __init__(self, panel: PropertiesPanel, path: Path, label: str) -> None:
        super().__init__(panel, path, label, placeholder="/etc/istio/certs/…")
        from PySide6.QtWidgets import QToolButton

        from ..style import icon

        browse = QToolButton(icon=icon("open"), toolTip="Choose a file…")
        browse.clicked.connect(self._browse)
        self.body.addWidget(browse)

    def _browse(self) -> None:
        from .. import dialogs

        chosen = dialogs.open_file(self, f"Choose {self.label_text.lower()}", "PEM files (*.pem *.crt *.key);;All files (*)")
        if chosen:
            self.line.setText(chosen)
            self._typed(chosen)


# ----- virtual services --------------------------------------------------------------------------
def vs_general(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("General", "general")
    general(panel, node, section)
    section.add(TableField(panel, ("virtual_service", "spec", "hosts"), "Hosts",
                           [Column("value", "Host", v.dns_name)], scalar=True,
                           new_row=lambda rows: {"value": "example.com"},
                           hint="Hosts whose requests these rules route"))
    section.add(TableField(panel, ("virtual_service", "spec", "gateways"), "Gateways",
                           [Column("value", "Gateway (name, namespace/name, or mesh)")], scalar=True,
                           new_row=lambda rows: {"value": "mesh"},
                           hint="Gateways (and 'mesh' for sidecars) that apply these rules"))
    return section


def http_summary(i: int, rule: dict) -> str:
    """``1. name: /api/*  →  reviews``: the rule as its row on the card reads, after its number and name."""
    try:
        text = http_rule_text(HTTPRoute.from_wire(rule))
    except ValidationError:
        text = "(incomplete rule)"
    return f"{i + 1}. {rule['name'] + ': ' if rule.get('name') else ''}{text}"


def http_detail(panel: PropertiesPanel, section: Section, path: Path) -> None:
    section.add(TextField(panel, (*path, "name"), "Rule name", placeholder="optional"))
    section.add(TableField(panel, (*path, "match"), "Matches (any one)", [
        Column("uri", "Path", convert=parse_match, display=match_text),
        Column("method", "Method", convert=parse_match, display=match_text, width=64),
        Column("headers", "Headers", convert=parse_headers, display=headers_text),
        Column("port", "Port", v.port, to_int, width=50),
        Column("gateways", "Gateways", convert=comma_list, display=list_text),
    ], new_row=lambda rows: {"uri": {"prefix": "/"}}, hint=MATCH_HINT))
    section.add(destinations_table(panel, (*path, "route")))
    more = Section("Rewrite and redirect", "http.rewrite", expanded=False)
    more.add(TextField(panel, (*path, "rewrite", "uri"), "Rewrite path to", v.path))
    more.add(TextField(panel, (*path, "rewrite", "authority"), "Rewrite host to"))
    more.add(TextField(panel, (*path, "redirect", "uri"), "Redirect to path", v.path))
    more.add(TextField(panel, (*path, "redirect", "authority"), "Redirect to host"))
    more.add(TextField(panel, (*path, "redirect", "redirectCode"), "Redirect status", v.integer(300, 399, "a status"),
                       convert=to_int, placeholder="301"))
    section.add(more)
    respond = Section("Direct response", "http.directResponse", expanded=False)
    respond.add(TextField(panel, (*path, "directResponse", "status"), "Respond with status",
                          action_check(panel, path, v.integer(200, 599, "a status")), convert=to_int,
                          placeholder="e.g. 404"))
    respond.add(TextField(panel, (*path, "directResponse", "body", "string"), "Response body",
                          action_check(panel, path), placeholder="optional text"))
    section.add(respond)
    mirror = Section("Mirror", "http.mirror", expanded=False)
    mirror.add(TextField(panel, (*path, "mirror", "host"), "Mirror to host",
                         lambda text: v.dns_name(text) if text else None, placeholder="e.g. reviews-shadow"))
    mirror.add(TextField(panel, (*path, "mirror", "subset"), "Mirror subset", placeholder="optional"))
    mirror.add(TextField(panel, (*path, "mirror", "port", "number"), "Mirror port", v.port, convert=to_int,
                         placeholder="optional"))
    mirror.add(TextField(panel, (*path, "mirrorPercentage", "value"), "Mirror percentage", v.percentage,
                         convert=to_number, placeholder="100"))
    section.add(mirror)
    resilience = Section("Timeout and retries", "http.retries", expanded=False)
    resilience.add(TextField(panel, (*path, "timeout"), "Timeout", v.duration, placeholder="e.g. 10s"))
    resilience.add(TextField(panel, (*path, "retries", "attempts"), "Retry attempts", v.integer(0, 100, "a count"),
                             convert=to_int))
    resilience.add(TextField(panel, (*path, "retries", "perTryTimeout"), "Per-try timeout", v.duration))
    resilience.add(TextField(panel, (*path, "retries", "retryOn"), "Retry on", placeholder="5xx,reset"))
    section.add(resilience)
    fault = Section("Fault injection", "http.fault", expanded=False)
    fault.add(TextField(panel, (*path, "fault", "delay", "fixedDelay"), "Delay", v.duration, placeholder="5s"))
    fault.add(TextField(panel, (*path, "fault", "delay", "percentage", "value"), "Delay percentage",
                        v.percentage, convert=to_number))
    fault.add(TextField(panel, (*path, "fault", "abort", "httpStatus"), "Abort with status", v.http_status, convert=to_int))
    fault.add(TextField(panel, (*path, "fault", "abort", "percentage", "value"), "Abort percentage",
                        v.percentage, convert=to_number))
    section.add(fault)
    headers = Section("Headers", "http.headers", expanded=False)
    for side in ("request", "response"):
        headers.add(TableField(panel, (*path, "headers", side, "set"), f"Set on the {side}",
                               [Column("key", "Header"), Column("value", "Value")], mapping=True,
                               new_row=lambda rows: {"key": "x-header", "value": "value"}))
        headers.add(TableField(panel, (*path, "headers", side, "remove"), f"Remove from the {side}",
                               [Column("value", "Header")], scalar=True,
                               new_row=lambda rows: {"value": "x-header"}))
    section.add(headers)


ACTION_CONFLICT = "a rule has either destinations, a redirect or a direct response"


def action_check(panel: PropertiesPanel, rule_path: Path, check: Validator | None = None) -> Validator:
    """Checks ``check`` plus that the rule at ``rule_path`` has no destinations or redirect: a direct
    response cannot be added beside them (Istio rejects the rule)."""
    def validate(text: str) -> str | None:
        message = check(text) if check else None
        if message or not text:
            return message
        rule = get_in(node_data(panel.node), rule_path, {}) if panel.node is not None else {}
        if rule.get("route"):
            return f"{ACTION_CONFLICT}: remove the destinations first"
        if rule.get("redirect"):
            return f"{ACTION_CONFLICT}: remove the redirect first"
        return None
    return validate


def new_http(_rules: list) -> dict:
    return {"match": [{"uri": {"prefix": "/"}}], "route": [{"destination": {"host": "service"}}]}


def l4_summary(kind: str) -> Callable[[int, dict], str]:
    model, text = (TLSRoute, tls_rule_text) if kind == "tls" else (TCPRoute, tcp_rule_text)

    def summary(i: int, rule: dict) -> str:
        try:
            return f"{i + 1}. {text(model.from_wire(rule))}"
        except ValidationError:
            return f"{i + 1}. (incomplete rule)"
    return summary


def l4_detail(kind: str) -> Callable[[PropertiesPanel, Section, Path], None]:
    def detail(panel: PropertiesPanel, section: Section, path: Path) -> None:
        columns = [Column("port", "Port", v.port, to_int, width=60)]
        if kind == "tls":
            columns.insert(0, Column("sniHosts", "SNI hosts", convert=comma_list, display=list_text))
        columns.append(Column("gateways", "Gateways", convert=comma_list, display=list_text))
        section.add(TableField(panel, (*path, "match"), "Matches", columns,
                               new_row=lambda rows: {"port": 443} if kind == "tls" else {"port": 31400}))
        section.add(destinations_table(panel, (*path, "route")))
    return detail


def vs_rules(kind: str, title: str) -> Callable[[PropertiesPanel, NodeBase], Section | None]:
    def factory(panel: PropertiesPanel, node: NodeBase) -> Section | None:
        spec = node.virtual_service.spec  # type: ignore[attr-defined]
        if kind != "http" and not getattr(spec, kind):
            section = Section(title, f"virtual_service.{kind}", expanded=False)
            from .fields import button

            section.add(button(f"Add a {kind.upper()} rule", lambda: panel.edit(
                ("virtual_service", "spec", kind), [{"route": [{"destination": {"host": "service"}}],
                                                    **({"match": [{"sniHosts": list(spec.hosts or ['*'])}]}
                                                       if kind == "tls" else {})}])))
            return section
        if kind == "http":
            return list_section(panel, node, title, "virtual_service.http", ("virtual_service", "spec", "http"),
                                http_summary, new_http, http_detail, "rule")
        return list_section(panel, node, title, f"virtual_service.{kind}", ("virtual_service", "spec", kind),
                            l4_summary(kind), lambda r: {"route": [{"destination": {"host": "service"}}]},
                            l4_detail(kind), f"{kind} rule")
    return factory


# ----- mesh services -----------------------------------------------------------------------------
def service_ports_table(panel: PropertiesPanel, path: Path) -> TableField:
    return TableField(panel, path, "Ports", [
        Column("port", "Port", v.port, to_int, width=60),
        Column("name", "Name"),
        Column("protocol", "Protocol", width=70),
        Column("targetPort", "Target", v.port, to_int, width=60),
    ], new_row=lambda rows: {"port": 8080 + len(rows), "name": f"http-{len(rows)}"})


def mesh_general(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("General", "general")
    general(panel, node, section)
    section.add(BoolField(panel, ("managed",), "Exported by this design (uncheck: it already exists)",
                          default=True, remove_when=None))
    section.add(TableField(panel, ("service", "spec", "selector"), "Selector labels (which pods)",
                           [Column("key", "Label", v.label_key), Column("value", "Value")], mapping=True,
                           new_row=lambda rows: {"key": "app", "value": node.name}))
    return section


def mesh_ports(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("Ports", "ports")
    section.add(service_ports_table(panel, ("service", "spec", "ports")))
    return section


def mesh_subsets(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("Subsets and traffic policy", "subsets")
    if node.destination_rule is None:  # type: ignore[attr-defined]
        from .fields import button

        section.add(button("Add a destination rule (subsets, TLS)", lambda: panel.edit(
            ("destination_rule",), {"metadata": {"name": node.name, "namespace": node.namespace},
                                    "spec": {"host": node.name, "subsets": [
                                        {"name": "v1", "labels": {"version": "v1"}}]}})))
        return section
    section.add(TableField(panel, ("destination_rule", "spec", "subsets"), "Subsets", [
        Column("name", "Name", v.resource_name, width=80),
        Column("labels", "Labels", convert=parse_labels, display=labels_text),
    ], new_row=lambda rows: {"name": f"v{len(rows) + 1}", "labels": {"version": f"v{len(rows) + 1}"}}))
    client_tls(panel, section, ("destination_rule", "spec", "trafficPolicy", "tls"))
    return section


def client_tls(panel: PropertiesPanel, section: Section, path: Path) -> None:
    section.add(ChoiceField(panel, (*path, "mode"), "Upstream TLS", CLIENT_TLS_MODES, empty="(not set)"))
    section.add(TextField(panel, (*path, "sni"), "SNI", placeholder="optional"))
    section.add(TextField(panel, (*path, "credentialName"), "Client credential (secret)", placeholder="optional"))


# ----- external services -------------------------------------------------------------------------
def external_general(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("General", "general")
    general(panel, node, section)
    section.add(TableField(panel, ("service_entry", "spec", "hosts"), "Hosts",
                           [Column("value", "Host", v.dns_name)], scalar=True,
                           new_row=lambda rows: {"value": "api.example.org"}))
    section.add(ChoiceField(panel, ("service_entry", "spec", "location"), "Location",
                            ("MESH_EXTERNAL", "MESH_INTERNAL"), empty="(not set)"))
    section.add(ChoiceField(panel, ("service_entry", "spec", "resolution"), "Resolution",
                            ("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"), empty="(not set)"))
    return section


def external_ports(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("Ports and endpoints", "ports")
    section.add(TableField(panel, ("service_entry", "spec", "ports"), "Ports", [
        Column("number", "Port", v.port, to_int, width=60), Column("name", "Name"),
        Column("protocol", "Protocol", width=80),
    ], new_row=lambda rows: {"number": 443, "name": f"tls-{len(rows)}", "protocol": "TLS"}))
    section.add(TableField(panel, ("service_entry", "spec", "endpoints"), "Endpoints (STATIC resolution)", [
        Column("address", "Address"), Column("network", "Network", width=80)],
        new_row=lambda rows: {"address": "192.0.2.10"}))
    return section


def external_tls(panel: PropertiesPanel, node: NodeBase) -> Section:
    section = Section("TLS origination", "tls", expanded=node.destination_rule is not None)  # type: ignore[attr-defined]
    if node.destination_rule is None:  # type: ignore[attr-defined]
        from .fields import button

        hosts = node.service_entry.spec.hosts or [node.name]  # type: ignore[attr-defined]
        section.add(button("Originate TLS to this service", lambda: panel.edit(
            ("destination_rule",), {"metadata": {"name": node.name, "namespace": node.namespace},
                                    "spec": {"host": hosts[0], "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}})))
        return section
    client_tls(panel, section, ("destination_rule", "spec", "trafficPolicy", "tls"))
    return section


register_section(GATEWAYS, gateway_general)
register_section(GATEWAYS, gateway_servers)
register_section(GATEWAYS, gateway_service)
register_section(NodeKind.VIRTUAL_SERVICE, vs_general)
register_section(NodeKind.VIRTUAL_SERVICE, vs_rules("http", "HTTP rules"))
register_section(NodeKind.VIRTUAL_SERVICE, vs_rules("tcp", "TCP rules"))
register_section(NodeKind.VIRTUAL_SERVICE, vs_rules("tls", "TLS rules"))
register_section(NodeKind.MESH_SERVICE, mesh_general)
register_section(NodeKind.MESH_SERVICE, mesh_ports)
register_section(NodeKind.MESH_SERVICE, mesh_subsets)
register_section(NodeKind.EXTERNAL_SERVICE, external_general)
register_section(NodeKind.EXTERNAL_SERVICE, external_ports)
register_section(NodeKind.EXTERNAL_SERVICE, external_tls)
