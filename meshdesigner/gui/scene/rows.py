"""What a node card shows: a subtitle and one row per server, rule or port (Qt-free text)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode

SECTIONS = ("http", "tcp", "tls")


@dataclass(frozen=True)
class Row:
    text: str
    lock: bool = False          # a TLS-terminating (or originating) row
    number: str = ""            # the rule number shown in a small circle
    chips: tuple[str, ...] = field(default_factory=tuple)
    muted: bool = False


def _more(items: list[str], limit: int = 1) -> str:
    if not items:
        return ""
    text = ", ".join(items[:limit])
    return text + (f" +{len(items) - limit}" if len(items) > limit else "")


def subtitle(node: NodeBase) -> str:
    parts = [node.namespace]
    if isinstance(node, VirtualServiceNode):
        parts.append(_more(list(node.virtual_service.spec.hosts or [])))
    elif isinstance(node, ExternalServiceNode):
        parts.append(_more(list(node.service_entry.spec.hosts or [])))
    elif isinstance(node, MeshServiceNode) and not node.managed:
        parts.append("in cluster, not exported")
    elif isinstance(node, GatewayNode):
        labels = node.gateway.spec.selector or {}
        parts.append(_more([f"{k}={v}" for k, v in sorted(labels.items())]))
    return " · ".join(p for p in parts if p)


def _dest_text(dests, total: int) -> str:
    out = []
    previous = None
    for d in dests:
        host = d.destination.host.split(".")[0]
        # "reviews v1 80% · v3 20%": the host is named once while it repeats
        text = "" if host == previous and d.destination.subset else host
        previous = host
        if d.destination.subset:
            text = f"{text} {d.destination.subset}".strip()
        if total > 1 and d.weight is not None:
            text += f" {d.weight}%"
        out.append(text)
    return " · ".join(out)


def _gateways_text(matches) -> str:
    """``mesh: `` when every match restricts the rule to gateways (the hop a rule belongs to): first, so a
    narrow card still shows it."""
    if not matches or not all(m.gateways for m in matches):
        return ""
    names = sorted({g.split("/")[-1] for m in matches for g in m.gateways})
    return f"{_more(names)}: "


def _http_row(i: int, rule) -> Row:
    return Row(http_rule_text(rule), number=str(i + 1))


def http_rule_text(rule) -> str:
    """One HTTP rule as the card and the properties list both show it: ``mesh: /api/*  →  reviews v1``."""
    matches = rule.match or []
    match = matches[0].summary() if matches else "/*"
    if len(matches) > 1:
        match += f" +{len(matches) - 1}"
    match = _gateways_text(matches) + match
    if rule.redirect:
        action = f"redirect {rule.redirect.uri or rule.redirect.authority or ''}".strip()
    elif rule.direct_response:
        action = f"respond {rule.direct_response.status}"
    elif rule.delegate:
        action = f"delegate {rule.delegate.name or ''}"
    else:
        action = _dest_text(rule.route or [], len(rule.route or [])) or "no destination"
    return f"{match}  →  {action}"


def tcp_rule_text(rule) -> str:
    port = next((m.port for m in rule.match or [] if m.port), None)
    return (f"{_gateways_text(rule.match)}TCP{f' :{port}' if port else ''}  →  "
            f"{_dest_text(rule.route or [], len(rule.route or []))}")


def tls_rule_text(rule) -> str:
    snis = [h for m in rule.match or [] for h in m.sni_hosts or []]
    return (f"{_gateways_text(rule.match)}SNI {_more(snis) or '*'}  →  "
            f"{_dest_text(rule.route or [], len(rule.route or []))}")


def server_text(server) -> str:
    """One gateway server as the card and the properties list both show it: ``443 HTTPS · SIMPLE · a.com``."""
    text = f"{server.port.number} {server.protocol}"
    if server.tls is not None and server.protocol in ("HTTPS", "TLS"):
        text += f" · {server.tls.effective_mode}"
    elif server.tls is not None and server.tls.https_redirect:
        text += " · redirect to HTTPS"
    return text + f" · {_more(list(server.hosts))}"


def rows(node: NodeBase) -> list[Row]:
    """The card's rows, in order; the i-th rule of a virtual service is row i (http, then tcp, then tls)."""
    out: list[Row] = []
    if isinstance(node, GatewayNode):
        for server in node.gateway.spec.servers or []:
            out.append(Row(server_text(server), lock=server.terminates_tls))
        if not out:
            out.append(Row("no servers yet", muted=True))
    elif isinstance(node, VirtualServiceNode):
        spec = node.virtual_service.spec
        n = 0
        for i, rule in enumerate(spec.http or []):
            out.append(_http_row(i, rule))
        n = len(out)
        for i, rule in enumerate(spec.tcp or []):
            out.append(Row(tcp_rule_text(rule), number=str(n + i + 1)))
        n = len(out)
        for i, rule in enumerate(spec.tls or []):
            out.append(Row(tls_rule_text(rule), number=str(n + i + 1)))
        if not out:
            out.append(Row("no routes yet: drag to a service", muted=True))
    elif isinstance(node, MeshServiceNode):
        for port in node.service.spec.ports or []:
            text = f"{port.port} {port.name or port.protocol or ''}".rstrip()
            if port.target_port is not None and port.target_port != port.port:
                text += f" → {port.target_port}"
            out.append(Row(text))
        if node.destination_rule is not None:
            spec = node.destination_rule.spec
            chips = tuple(s.name for s in spec.subsets or [])
            tls = spec.traffic_policy.tls if spec.traffic_policy else None
            if tls is not None and tls.mode:
                chips = (*chips, f"TLS {tls.mode}")
            out.append(Row("" if chips else "destination rule", chips=chips, lock=bool(tls and tls.mode),
                           muted=not chips))
        if not out:
            out.append(Row("no ports yet", muted=True))
    elif isinstance(node, ExternalServiceNode):
        spec = node.service_entry.spec
        tls_origination = bool(node.destination_rule and node.destination_rule.spec.traffic_policy
                               and node.destination_rule.spec.traffic_policy.tls)
        for port in spec.ports or []:
            out.append(Row(f"{port.number} {port.protocol or ''} · {spec.resolution or 'NONE'}".replace("  ", " "),
                           lock=tls_origination))
        if not out:
            out.append(Row("no ports yet", muted=True))
    return out


def row_count(node: NodeBase) -> int:
    """How many rows ``rows(node)`` gives (at least 1), without making them: a card's height."""
    if isinstance(node, GatewayNode):
        count = len(node.gateway.spec.servers or [])
    elif isinstance(node, VirtualServiceNode):
        spec = node.virtual_service.spec
        count = len(spec.http or []) + len(spec.tcp or []) + len(spec.tls or [])
    elif isinstance(node, MeshServiceNode):
        count = len(node.service.spec.ports or []) + (node.destination_rule is not None)
    elif isinstance(node, ExternalServiceNode):
        count = len(node.service_entry.spec.ports or [])
    else:
        count = len(rows(node))
    return max(1, count)


def rule_row(node: NodeBase, section: str | None, rule_index: int | None) -> int | None:
    """The row a route edge starts from."""
    if not isinstance(node, VirtualServiceNode) or section is None or rule_index is None:
        return None
    spec = node.virtual_service.spec
    offset = 0
    for name in SECTIONS:
        if name == section:
            return offset + rule_index
        offset += len(getattr(spec, name) or [])
    return None
