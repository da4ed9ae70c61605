"""The request flow of a design: how traffic enters, crosses and leaves the mesh (Qt-free).

The flow reads left to right in lanes, as the canvas does::

    Clients -> Ingress (servers: port, protocol, TLS mode, SNI hosts) -> Routing (virtual service
    rules in order) -> Services (destinations, weights, subsets) -> Egress (gateway, then its rules)
    -> External (service entries)

A virtual service appears once in the Routing lane for the traffic of ingress gateways and of the
mesh's own workloads, and once more beside each egress gateway it is bound to (the second hop of an
egress route). Every flow node names the project node it stands for (``model_id``), so a path in
the flow can be lit up on the canvas too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..model import (
    ExternalServiceNode,
    GatewayNode,
    MeshServiceNode,
    NodeKind,
    Project,
    ReferenceIndex,
    ResourceRef,
    VirtualServiceNode,
)
from ..model.gateway import HTTP_PROTOCOLS, TCP_PROTOCOLS, Server
from ..model.hosts import (
    expand_host,
    gateway_ref,
    hosts_intersect,
    namespace_selector_allows,
    split_gateway_host,
)
from .rule_order import SECTIONS, shadowed_rules

if TYPE_CHECKING:
    import networkx as nx

# Lanes left to right; a column is a lane's sub-column (the egress lane has the gateway, then its rules).
LANES = ("Clients", "Ingress", "Routing", "Services", "Egress", "External")
COLUMN_LANE = {0: "Clients", 1: "Ingress", 2: "Routing", 3: "Services", 4: "Egress", 5: "Egress", 6: "External"}

INTERNET = "client:internet"
MESH_CLIENTS = "client:mesh"
MESH_CONTEXT = "mesh"


@dataclass(frozen=True)
class FlowRow:
    """One line of a flow node (a gateway server, a rule, a port); edges start at rows."""

    key: str
    text: str
    facts: dict[str, Any] = field(default_factory=dict)
    marks: tuple[str, ...] = ()   # "shadowed", "inactive", "tls", "redirect", "direct-response", ...
    note: str = ""                # why it is marked, in plain words


@dataclass(frozen=True)
class FlowNode:
    id: str
    kind: str          # client | ingress-gateway | egress-gateway | router | mesh-service | external-service | missing
    column: int
    title: str
    subtitle: str = ""
    model_id: str | None = None
    rows: tuple[FlowRow, ...] = ()

    @property
    def lane(self) -> str:
        return COLUMN_LANE[self.column]

    def row(self, key: str) -> FlowRow | None:
        return self._rows_by_key.get(key)

    @cached_property
    def _rows_by_key(self) -> dict[str, FlowRow]:
        return {r.key: r for r in self.rows}


@dataclass(frozen=True)
class FlowEdge:
    """Traffic from ``source`` (row ``source_row``) to ``target``; ``share`` is its percentage (0-100)."""

    key: str
    source: str
    target: str
    kind: str          # enters | binds | sends | routes | mirrors | fronts | direct
    share: float = 100.0
    label: str = ""
    source_row: str | None = None
    target_row: str | None = None
    subset: str | None = None
    port: int | None = None
    model_path: str | None = None   # field path in the virtual service, e.g. spec.http[1].route[0]
    # The design's own edge this one draws, as model.references names it: (source id, target id, kind, path).
    model_edge: tuple[str, str, str, str] | None = None


@dataclass
class FlowGraph:
    """Nodes and edges of the flow, in a deterministic order."""

    scope: str
    nodes: list[FlowNode]
    edges: list[FlowEdge]

    def node(self, node_id: str) -> FlowNode:
        """The node with ``node_id`` (KeyError if none); the graph is not changed after it is built."""
        return self._nodes_by_id[node_id]

    @cached_property
    def _nodes_by_id(self) -> dict[str, FlowNode]:
        return {n.id: n for n in self.nodes}

    def edge(self, key: str) -> FlowEdge:
        return next(e for e in self.edges if e.key == key)

    def nodes_for_model(self, model_id: str) -> list[FlowNode]:
        return [n for n in self.nodes if n.model_id == model_id]

    def columns(self) -> dict[int, list[FlowNode]]:
        """Nodes per column, ordered to keep edges short: each sits by the mean position of its feeders
        (the feeding node's place plus the row the edge starts at), one sweep left to right."""
        by_column: dict[int, list[FlowNode]] = defaultdict(list)
        for node in self.nodes:
            by_column[node.column].append(node)
        position: dict[str, float] = {}
        feeders: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for edge in self.edges:
            source = self.node(edge.source) if edge.source_row else None
            row = next((i for i, r in enumerate(source.rows) if r.key == edge.source_row), 0) if source else 0
            feeders[edge.target].append((edge.source, row / 100.0))
        for column in sorted(by_column):
            nodes = by_column[column]
            keys = {n.id: _rank(n, i, feeders, position) for i, n in enumerate(nodes)}
            nodes.sort(key=lambda n: keys[n.id])
            for i, n in enumerate(nodes):
                position[n.id] = i
        return dict(sorted(by_column.items()))

    def to_networkx(self) -> nx.MultiDiGraph:
        import networkx as nx  # ~0.2 s to import: not for the commands that never need a graph

        graph = nx.MultiDiGraph()
        for node in self.nodes:
            graph.add_node(node.id, kind=node.kind, lane=node.lane, title=node.title, model_id=node.model_id)
        for edge in self.edges:
            graph.add_edge(edge.source, edge.target, key=edge.key, kind=edge.kind, share=edge.share,
                           label=edge.label)
        return graph

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "lanes": list(LANES),
                "nodes": [{**asdict(n), "lane": n.lane} for n in self.nodes],
                "edges": [asdict(e) for e in self.edges]}

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    def to_dot(self) -> str:
        """Graphviz text: one cluster per lane, record nodes with one port per row."""
        lines = [f'digraph "{_dot_escape(self.scope)}" {{', "  rankdir=LR;",
                 '  node [shape=record, fontname="Helvetica", fontsize=10];', "  edge [fontsize=9];"]
        columns = self.columns()
        for lane in LANES:
            members = [n for c, nodes in columns.items() if COLUMN_LANE[c] == lane for n in nodes]
            if not members:
                continue
            lines.append(f'  subgraph "cluster_{lane}" {{ label="{lane}"; style=dashed; color=gray;')
            for n in members:
                fields = [f"<head> {_dot_escape(n.title)}"] + [
                    f"<{_dot_port(r.key)}> {_dot_escape(r.text)}" for r in n.rows]
                lines.append(f'    "{n.id}" [label="{{{" | ".join(fields)}}}"];')
            lines.append("  }")
        for e in self.edges:
            tail = f'"{e.source}":{_dot_port(e.source_row) if e.source_row else "head"}'
            style = "dashed" if e.kind in ("binds", "mirrors", "direct", "sends") else "solid"
            width = 0.5 + 4.0 * e.share / 100.0
            lines.append(f'  {tail} -> "{e.target}" [label="{_dot_escape(e.label)}", style={style}, '
                         f'penwidth={width:.2f}];')
        lines.append("}")
        return "\n".join(lines) + "\n"


def _rank(node: FlowNode, original: int, feeders, position: dict[str, float]) -> tuple[float, int]:
    known = [position[s] + offset for s, offset in feeders[node.id] if s in position]
    return (sum(known) / len(known) if known else 1e6, original)


def _dot_escape(text: str) -> str:
    out = text
    for ch in '\\"{}|<>':
        out = out.replace(ch, "\\" + ch)
    return out


def _dot_port(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key)


# ----- facts shown on rows -----------------------------------------------------------------------
def server_sections(server: Server) -> tuple[str, ...]:
    """Which virtual service sections route a gateway server's traffic."""
    protocol = server.protocol
    if protocol in HTTP_PROTOCOLS:
        return ("http",)
    if protocol == "HTTPS":
        return ("tls",) if server.is_passthrough else ("http",)
    if protocol == "TLS":
        return ("tls",) if server.is_passthrough else ("tcp",)
    if protocol in TCP_PROTOCOLS:
        return ("tcp",)
    return ()


def server_facts(server: Server) -> dict[str, Any]:
    tls = server.tls
    mode = tls.effective_mode if tls is not None and server.protocol in ("HTTPS", "TLS") else None
    credential = None
    if tls is not None:
        credential = tls.credential_name or tls.server_certificate or (
            ", ".join(tls.credential_names) if tls.credential_names else None)
    return {
        "port": server.port.number, "protocol": server.protocol, "port_name": server.port.name,
        "tls_mode": mode, "terminates_tls": server.terminates_tls, "passthrough": server.is_passthrough,
        "https_redirect": bool(tls and tls.https_redirect), "hosts": list(server.hosts),
        "credential": credential, "sections": list(server_sections(server)),
    }


def server_text(facts: dict[str, Any]) -> str:
    """``443 HTTPS · SIMPLE 🔒 · ext-host.example.com`` (the card row the design card shows)."""
    parts = [f"{facts['port']} {facts['protocol']}"]
    if facts["tls_mode"]:
        parts.append(facts["tls_mode"] + (" 🔒" if facts["terminates_tls"] else ""))
    if facts["https_redirect"]:
        parts.append("→ HTTPS redirect")
    hosts = facts["hosts"]
    shown = ", ".join(hosts[:2]) + (f" +{len(hosts) - 2}" if len(hosts) > 2 else "")
    parts.append(("SNI " if facts["tls_mode"] else "") + shown)
    return " · ".join(parts)


def certificate_text(facts: dict[str, Any]) -> str | None:
    """The second line of a TLS-terminating server: which certificate, and whether clients need one."""
    if not facts["terminates_tls"]:
        return None
    cert = facts["credential"] or "no certificate set"
    text = f"cert {cert.rsplit('/', 1)[-1]}"
    if facts["tls_mode"] in ("MUTUAL", "OPTIONAL_MUTUAL"):
        text += " · client cert " + ("required" if facts["tls_mode"] == "MUTUAL" else "optional")
    return text


def route_shares(weights: list[int | None]) -> list[float]:
    """Configured percentages: one destination takes all; unset weights count 0 (Istio), all-zero splits evenly."""
    if len(weights) == 1:
        return [100.0]
    values = [max(w or 0, 0) for w in weights]
    total = sum(values)
    if total == 0:
        return [100.0 / len(weights)] * len(weights) if weights else []
    return [100.0 * v / total for v in values]


def _short_host(host: str) -> str:
    return host.split(".")[0] if host.endswith(".svc.cluster.local") or "." not in host else host


def rule_match_text(section: str, rule) -> str:
    matches = rule.match or []
    if not matches:
        return "everything"
    if section == "http":
        texts = [m.summary() for m in matches]
    elif section == "tls":
        texts = ["sni " + ",".join(m.sni_hosts or ["*"]) + (f" :{m.port}" if m.port else "") for m in matches]
    else:
        texts = [(f":{m.port}" if m.port else "any") + (" " + ",".join(m.destination_subnets)
                                                           if m.destination_subnets else "") for m in matches]
    return " | ".join(texts[:2]) + (f" +{len(texts) - 2}" if len(texts) > 2 else "")


def rule_action(section: str, rule) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """(action text, facts, marks) for a rule."""
    facts: dict[str, Any] = {}
    marks: list[str] = []
    if section == "http" and rule.redirect is not None:
        r = rule.redirect
        target = "".join([f"{r.scheme}://" if r.scheme else "", r.authority or "", f":{r.port}" if r.port else "",
                          r.uri or ""]) or "same URL"
        facts["redirect"] = {"to": target, "code": r.redirect_code or 301}
        marks.append("redirect")
        return f"redirect {r.redirect_code or 301} → {target}", facts, tuple(marks)
    if section == "http" and rule.direct_response is not None:
        facts["direct_response"] = rule.direct_response.status
        marks.append("direct-response")
        return f"respond {rule.direct_response.status}", facts, tuple(marks)
    if section == "http" and rule.delegate is not None:
        facts["delegate"] = f"{rule.delegate.namespace or ''}/{rule.delegate.name}"
        return f"delegate → {rule.delegate.name}", facts, ("delegate",)
    routes = rule.route or []
    shares = route_shares([d.weight for d in routes])
    texts = []
    one_host = len({d.destination.host for d in routes}) == 1
    for n, (dest, share) in enumerate(zip(routes, shares, strict=True)):
        # "productpage v1 90% · v2 10%": the host once when every destination shares it.
        text = _short_host(dest.destination.host) if n == 0 or not one_host or not dest.destination.subset else ""
        if dest.destination.subset:
            text += f" {dest.destination.subset}"
        if len(routes) > 1:
            text += f" {share:.0f}%"
        texts.append(text.strip())
    if section == "http" and rule.rewrite is not None:
        rw = rule.rewrite
        facts["rewrite"] = {k: v for k, v in (("uri", rw.uri), ("authority", rw.authority)) if v}
        if rw.uri is not None:
            marks.append("rewrite")
            texts.append(f"(rewrite {rw.uri})")
    return "→ " + " · ".join(texts) if texts else "→ nothing", facts, tuple(marks)


# ----- building ---------------------------------------------------------------------------------
class _Builder:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.index = ReferenceIndex(list(project))
        self.nodes: dict[str, FlowNode] = {}
        self.edges: list[FlowEdge] = []
        self.fed_externals: set[str] = set()

    # gateways and the contexts (gateway or mesh) a virtual service takes traffic from
    def vs_contexts(self, vs_node: VirtualServiceNode) -> list[str]:
        """Context refs: ``ns/name`` of bound gateways the design has, and ``mesh``."""
        vs = vs_node.virtual_service
        entries = vs.spec.gateways or [MESH_CONTEXT]
        return [gateway_ref(e, vs.namespace) for e in entries]

    def server_binds(self, gw: GatewayNode, server: Server, vs_node: VirtualServiceNode) -> bool:
        vs = vs_node.virtual_service
        if server.tls is not None and server.tls.https_redirect and server.protocol in HTTP_PROTOCOLS:
            return False
        if not any(getattr(vs.spec, s) for s in server_sections(server)):
            return False
        for entry in server.hosts:
            selector, host = split_gateway_host(entry)
            if not namespace_selector_allows(selector, gw.namespace, vs.namespace):
                continue
            if any(hosts_intersect(host, expand_host(h, vs.namespace)) for h in vs.spec.hosts or []):
                return True
        return False

    def build(self) -> FlowGraph:
        gateways = sorted(self.project.gateways(), key=lambda n: n.id)
        vs_nodes = sorted(self.project.virtual_services(), key=lambda n: n.id)
        fronting = self._fronting_services()
        for gw in gateways:
            self._add_gateway(gw, fronting)
        # Routers: per virtual service, one in the Routing lane (ingress + mesh) and one per egress hop.
        for vs_node in vs_nodes:
            contexts = self.vs_contexts(vs_node)
            ingress_ctx, egress_ctx = [], []
            for ref in contexts:
                gw = self.index.gateways.get(ref)
                if ref == MESH_CONTEXT or gw is None or gw.kind == NodeKind.INGRESS_GATEWAY:
                    ingress_ctx.append(ref)
                else:
                    egress_ctx.append(ref)
            if ingress_ctx or not egress_ctx:
                self._add_router(vs_node, 2, ingress_ctx)
            if egress_ctx:
                self._add_router(vs_node, 5, egress_ctx)
        for svc in sorted(self.project.mesh_services(), key=lambda n: n.id):
            if svc.id not in fronting or fronting[svc.id][1]:
                self._ensure_service(svc)
        for ext in sorted(self.project.external_services(), key=lambda n: n.id):
            self._ensure_external(ext)
            if ext.id not in self.fed_externals:
                self._ensure_mesh_clients()
                self.edges.append(FlowEdge(f"{MESH_CLIENTS}->{ext.id}", MESH_CLIENTS, f"node:{ext.id}", "direct",
                                           100.0, "direct from sidecars"))
        for svc_id, (gws, _egress) in fronting.items():
            for gw in gws:
                if gw.kind == NodeKind.EGRESS_GATEWAY:
                    self.edges.append(FlowEdge(f"node:{svc_id}->node:{gw.id}", f"node:{svc_id}", f"node:{gw.id}",
                                               "fronts", 100.0, "selects pods",
                                               model_edge=(svc_id, gw.id, "fronts", "spec.selector")))
        nodes = sorted(self.nodes.values(), key=lambda n: (n.column, n.id))
        return FlowGraph("project", nodes, self.edges)

    def _fronting_services(self) -> dict[str, tuple[list[GatewayNode], bool]]:
        """Mesh services that select gateway pods: ``{id: (gateways, fronts an egress gateway)}``."""
        out = {}
        for svc in self.project.mesh_services():
            gws = self.index.fronted_gateways(svc)
            if gws:
                out[svc.id] = (gws, any(g.kind == NodeKind.EGRESS_GATEWAY for g in gws))
        return out

    def _add_gateway(self, gw: GatewayNode, fronting) -> None:
        egress = gw.kind == NodeKind.EGRESS_GATEWAY
        rows = []
        for i, server in enumerate(gw.gateway.spec.servers or []):
            facts = server_facts(server)
            marks = tuple(m for m, on in (("tls", facts["terminates_tls"]), ("passthrough", facts["passthrough"]),
                                          ("redirect", facts["https_redirect"])) if on)
            rows.append(FlowRow(f"server:{i}", server_text(facts), facts, marks,
                                "redirects every request to HTTPS" if facts["https_redirect"] else ""))
            cert = certificate_text(facts)
            if cert:
                rows.append(FlowRow(f"server:{i}:cert", cert, {"credential": facts["credential"]}, ("detail",)))
        # Services in front of an ingress gateway are folded into it (they are its entry, not a hop).
        services: list = [] if egress else sorted(
            (s for s in self.project.mesh_services() if s.id in fronting and gw in fronting[s.id][0]),
            key=lambda s: s.id)
        if gw.service is not None:
            services.insert(0, gw.service)
        for svc in services:
            service = svc.service if isinstance(svc, MeshServiceNode) else svc
            ports = ", ".join(str(p.port) for p in service.spec.ports or [])
            rows.append(FlowRow(f"service:{service.namespace}/{service.name}",
                                f"Service {service.name} ({service.spec.type or 'ClusterIP'}) {ports}".strip(),
                                {"service": f"{service.namespace}/{service.name}"}, ("service",)))
        node_id = f"node:{gw.id}"
        self.nodes[node_id] = FlowNode(node_id, str(gw.kind), 4 if egress else 1, gw.name, gw.namespace, gw.id,
                                       tuple(rows))
        if not egress:
            self._ensure_internet()
            for row in rows:
                if row.key.startswith("server:") and not row.key.endswith(":cert"):
                    f = row.facts
                    label = f"{f['protocol']} :{f['port']}"
                    self.edges.append(FlowEdge(f"{INTERNET}->{node_id}[{row.key}]", INTERNET, node_id, "enters",
                                               100.0, label, target_row=row.key, port=f["port"]))

    def _ensure_internet(self) -> None:
        self.nodes.setdefault(INTERNET, FlowNode(INTERNET, "client", 0, "Internet clients", "outside the mesh"))

    def _ensure_mesh_clients(self) -> None:
        self.nodes.setdefault(MESH_CLIENTS, FlowNode(MESH_CLIENTS, "client", 0, "Mesh workloads",
                                                     "sidecars in the mesh"))

    def _rule_applies(self, rule, contexts: list[str], vs_namespace: str) -> list[str]:
        """The contexts among ``contexts`` a rule takes traffic from (``match.gateways`` narrows them)."""
        matches = rule.match or []
        if not matches or any(not m.gateways for m in matches):
            return contexts
        named = {gateway_ref(g, vs_namespace) for m in matches for g in m.gateways or []}
        return [c for c in contexts if c in named]

    def _add_router(self, vs_node: VirtualServiceNode, column: int, contexts: list[str]) -> None:
        vs = vs_node.virtual_service
        router_id = f"router:{vs_node.id}@{'egress' if column == 5 else 'routing'}"
        shadowed = {(r.section, r.index): r for r in shadowed_rules(vs)[0]}
        rows: list[FlowRow] = []
        numbered = 0
        for section in SECTIONS:
            for i, rule in enumerate(getattr(vs.spec, section) or []):
                numbered += 1
                applies = self._rule_applies(rule, contexts, vs.namespace)
                action, facts, marks = rule_action(section, rule)
                name = getattr(rule, "name", None)
                facts.update(section=section, index=i, number=numbered, name=name,
                             match=rule_match_text(section, rule), action=action, contexts=applies)
                note = ""
                if (section, i) in shadowed:
                    marks += ("shadowed",)
                    note = "never matches: " + shadowed[(section, i)].reason
                    facts["shadowed_by"] = shadowed[(section, i)].by
                elif not applies and contexts:
                    marks += ("inactive",)
                    note = "not used here: its match names other gateways"
                label = f"{name}: " if name else ""
                rows.append(FlowRow(f"rule:{section}:{i}", f"{numbered}  {label}{facts['match']}  {action}", facts,
                                    marks, note))
                if "inactive" not in marks:
                    self._add_destinations(vs_node, router_id, section, i, rule)
        hosts = ", ".join(vs.spec.hosts or [])
        missing = [c for c in contexts if c != MESH_CONTEXT and c not in self.index.gateways]
        subtitle = f"{vs.namespace} · {hosts}" + (f" · unknown gateway {', '.join(missing)}" if missing else "")
        self.nodes[router_id] = FlowNode(router_id, "router", column, vs.name, subtitle, vs_node.id, tuple(rows))
        self._bind_router(vs_node, router_id, contexts)

    def _bind_router(self, vs_node: VirtualServiceNode, router_id: str, contexts: list[str]) -> None:
        vs = vs_node.virtual_service
        for ctx in contexts:
            if ctx == MESH_CONTEXT:
                self._ensure_mesh_clients()
                self.edges.append(FlowEdge(f"{MESH_CLIENTS}->{router_id}", MESH_CLIENTS, router_id, "sends", 100.0, ""))
                continue
            gw = self.index.gateways.get(ctx)
            if gw is None:
                continue
            entry = next(k for k, e in enumerate(vs.spec.gateways or []) if gateway_ref(e, vs.namespace) == ctx)
            model_edge = (gw.id, vs_node.id, "binds", f"spec.gateways[{entry}]")
            for i, server in enumerate(gw.gateway.spec.servers or []):
                if self.server_binds(gw, server, vs_node):
                    self.edges.append(FlowEdge(f"node:{gw.id}[server:{i}]->{router_id}", f"node:{gw.id}", router_id,
                                               "binds", 100.0, f":{server.port.number}", source_row=f"server:{i}",
                                               port=server.port.number, model_edge=model_edge))

    def _add_destinations(self, vs_node: VirtualServiceNode, router_id: str, section: str, i: int, rule) -> None:
        vs = vs_node.virtual_service
        routes = rule.route or []
        shares = route_shares([d.weight for d in routes])
        row = f"rule:{section}:{i}"
        for j, (dest, share) in enumerate(zip(routes, shares, strict=True)):
            target = self._target(dest.destination.host, vs.namespace)
            d = dest.destination
            label = " ".join(p for p in (d.subset or "", f"{share:.0f}%" if len(routes) > 1 else "") if p)
            path = f"spec.{section}[{i}].route[{j}]"
            target_model = self.nodes[target].model_id
            self.edges.append(FlowEdge(f"{router_id}[{row}]->{target}#{j}", router_id, target, "routes", share,
                                       label, source_row=row, subset=d.subset, port=d.port_number, model_path=path,
                                       model_edge=(vs_node.id, target_model, "routes", f"{path}.destination")
                                       if target_model else None))
        if section == "http":
            mirrors = ([(rule.mirror, rule.mirror_percentage.value if rule.mirror_percentage else None,
                         "mirror")] if rule.mirror else [])
            mirrors += [(m.destination, m.percentage.value if m.percentage else None, f"mirrors[{k}]")
                        for k, m in enumerate(rule.mirrors or [])]
            for dest, percent, path in mirrors:
                target = self._target(dest.host, vs.namespace)
                share = 100.0 if percent is None else float(percent)
                self.edges.append(FlowEdge(f"{router_id}[{row}]->{target}~{path}", router_id, target, "mirrors",
                                           share, f"mirror {share:.0f}%", source_row=row, subset=dest.subset,
                                           model_path=f"spec.http[{i}].{path}"))

    def _target(self, host: str, namespace: str) -> str:
        """The flow node a destination host lands on (added when first needed)."""
        node = self.index.destination(host, namespace)
        if isinstance(node, GatewayNode):
            return f"node:{node.id}"
        if isinstance(node, MeshServiceNode):
            return self._ensure_service(node)
        if isinstance(node, ExternalServiceNode):
            self.fed_externals.add(node.id)
            return self._ensure_external(node)
        fqdn = expand_host(host, namespace)
        node_id = f"missing:{fqdn}"
        self.nodes.setdefault(node_id, FlowNode(
            node_id, "missing", 3, _short_host(fqdn), "not in this design",
            rows=(FlowRow("host", fqdn, {"host": fqdn}, ("missing",), "no service or service entry has this host"),)))
        return node_id

    def _ensure_service(self, svc: MeshServiceNode) -> str:
        node_id = f"node:{svc.id}"
        if node_id not in self.nodes:
            rows = [FlowRow(f"port:{p.port}", f"port {p.port} {p.name or p.protocol or ''}".strip()
                            + (f" → {p.target_port}" if p.target_port not in (None, p.port) else ""),
                            {"port": p.port, "name": p.name, "target_port": p.target_port})
                    for p in svc.service.spec.ports or []]
            dr = svc.destination_rule
            if dr is not None:
                subsets = [s.name for s in dr.spec.subsets or []]
                if subsets:
                    rows.append(FlowRow("subsets", "subsets: " + " · ".join(subsets), {"subsets": subsets}))
                tls = dr.spec.tls_for(None)
                if tls is not None and tls.mode:
                    rows.append(FlowRow("upstream-tls", f"upstream TLS {tls.mode}", {"tls_mode": tls.mode}, ("tls",)))
            subtitle = svc.namespace + ("" if svc.managed else " · exists in cluster")
            self.nodes[node_id] = FlowNode(node_id, str(svc.kind), 3, svc.name, subtitle, svc.id, tuple(rows))
        return node_id

    def _ensure_external(self, ext: ExternalServiceNode) -> str:
        node_id = f"node:{ext.id}"
        if node_id not in self.nodes:
            spec = ext.service_entry.spec
            rows = [FlowRow("hosts", ", ".join(spec.hosts or []), {"hosts": list(spec.hosts or [])})]
            for p in spec.ports or []:
                rows.append(FlowRow(f"port:{p.number}", f"{p.number} {p.protocol or ''}".strip(),
                                    {"port": p.number, "protocol": p.protocol}))
            dr = ext.destination_rule
            tls = dr.spec.tls_for(None) if dr is not None else None
            if tls is not None and tls.mode:
                rows.append(FlowRow("upstream-tls", f"TLS origination {tls.mode}" + (f" SNI {tls.sni}" if tls.sni else ""),
                                    {"tls_mode": tls.mode, "sni": tls.sni}, ("tls",)))
            subtitle = " · ".join(x for x in (ext.namespace, spec.location or "", spec.resolution or "") if x)
            self.nodes[node_id] = FlowNode(node_id, str(ext.kind), 6, ext.name, subtitle, ext.id, tuple(rows))
        return node_id


def project_flow(project: Project) -> FlowGraph:
    """The request flow of the whole design."""
    return _Builder(project).build()


def gateway_flow(project: Project, gateway: str) -> FlowGraph:
    """The flow through one gateway (``namespace/name`` or node id): what reaches it and where it leads."""
    full = project_flow(project)
    gw = next((g for g in project.gateways() if gateway in (g.id, g.gateway.metadata.qualified)), None)
    if gw is None:
        known = ", ".join(sorted(g.gateway.metadata.qualified for g in project.gateways())) or "none"
        raise KeyError(f"no gateway {gateway!r} in this design (gateways: {known})")
    import networkx as nx

    graph = full.to_networkx()
    start = f"node:{gw.id}"
    keep = {start} | nx.descendants(graph, start) | nx.ancestors(graph, start)
    nodes = [n for n in full.nodes if n.id in keep]
    edges = [e for e in full.edges if e.source in keep and e.target in keep
             and not (e.kind == "direct" and gw.kind == NodeKind.EGRESS_GATEWAY)]
    return FlowGraph(gw.gateway.metadata.qualified, nodes, edges)


def compute_flow(project: Project, gateway: str | None = None) -> FlowGraph:
    """The flow of the whole project, or of one gateway when ``gateway`` is given."""
    return project_flow(project) if gateway is None else gateway_flow(project, gateway)


# ----- a simulated request as a path through the flow --------------------------------------------
@dataclass
class FlowPath:
    """What a tried request lights up: flow nodes, flow edges and rows, and the same on the canvas."""

    nodes: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    rows: dict[str, set[str]] = field(default_factory=dict)
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)   # node -> row -> why it did not match
    model_nodes: list[str] = field(default_factory=list)
    model_edges: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add_node(self, graph: FlowGraph, node_id: str, row: str | None = None) -> None:
        if node_id not in self.nodes:
            self.nodes.append(node_id)
            model = graph.node(node_id).model_id
            if model and model not in self.model_nodes:
                self.model_nodes.append(model)
        if row:
            self.rows.setdefault(node_id, set()).add(row)

    def add_edge(self, edge: FlowEdge) -> None:
        if edge.key not in self.edges:
            self.edges.append(edge.key)
            if edge.model_edge and edge.model_edge not in self.model_edges:
                self.model_edges.append(edge.model_edge)


def trace(graph: FlowGraph, project: Project, result) -> FlowPath:
    """The path of a :class:`~meshdesigner.analysis.simulate.SimulationResult` through ``graph``.

    Client -> gateway server(s) -> the virtual service rule that matched -> the destinations the
    simulator reports. A request that stops early (no listener, no route, redirect) lights up as far
    as it got.
    """
    path = FlowPath()
    ids = {n.id for n in graph.nodes}
    gw = next((g for g in project.gateways() if g.gateway.metadata.qualified == result.gateway), None)
    if gw is None or f"node:{gw.id}" not in ids:
        return path
    gw_id = f"node:{gw.id}"
    server_rows = [f"server:{i}" for i in result.servers or []]
    for edge in graph.edges:
        if edge.target == gw_id and edge.kind == "enters" and edge.target_row in server_rows:
            path.add_node(graph, edge.source)
            path.add_edge(edge)
    path.add_node(graph, gw_id)
    for row in server_rows:
        path.add_node(graph, gw_id, row)
    if not result.virtual_service or result.rule_index is None:
        return path
    namespace, _, name = result.virtual_service.partition("/")
    vs_node = project.find(ResourceRef("VirtualService", namespace, name))
    hop = "egress" if gw.kind == NodeKind.EGRESS_GATEWAY else "routing"
    router = f"router:{vs_node.id}@{hop}" if vs_node is not None else None
    if router not in ids:
        return path
    rule_row = f"rule:{result.section or 'http'}:{result.rule_index}"
    for edge in graph.edges:
        if edge.source == gw_id and edge.target == router and edge.source_row in server_rows:
            path.add_edge(edge)
    path.add_node(graph, router, rule_row)
    for skipped in result.skipped or []:
        if skipped.get("virtual_service") == result.virtual_service:
            row = f"rule:http:{skipped['rule_index']}"
            reasons = path.skipped.setdefault(router, {})
            reasons[row] = "; ".join(filter(None, (reasons.get(row), skipped.get("reason"))))
    index = ReferenceIndex(list(project))
    wanted = []
    for d in result.destinations or []:
        node = index.destination(d["host"], namespace)
        wanted.append((f"node:{node.id}" if node is not None else f"missing:{d['host']}", d.get("subset"),
                       d.get("port")))
    for edge in graph.edges:
        if edge.source == router and edge.source_row == rule_row and edge.kind == "routes" and any(
                target == edge.target and subset == edge.subset and (port is None or edge.port in (None, port))
                for target, subset, port in wanted):
            path.add_edge(edge)
            path.add_node(graph, edge.target)
    return path


def trace_mesh(graph: FlowGraph, project: Project, result) -> FlowPath:
    """The path of a request that starts at a sidecar (``result.gateway == "mesh:NS"``, every hop in
    ``result.hops``): mesh workloads -> the mesh-bound rule that matched -> its destination (an egress
    gateway's Service), then each gateway hop as :func:`trace` draws it."""
    path = FlowPath()
    hops = [_hop_result(h) for h in getattr(result, "hops", None) or []] or [result]
    first = hops[0]
    namespace, _, name = (first.virtual_service or "").partition("/")
    vs_node = project.find(ResourceRef("VirtualService", namespace, name)) if name else None
    router = f"router:{vs_node.id}@routing" if vs_node is not None else None
    ids = {n.id for n in graph.nodes}
    if router in ids and first.rule_index is not None:
        rule_row = f"rule:{first.section or 'http'}:{first.rule_index}"
        for edge in graph.edges:
            if edge.source == MESH_CLIENTS and edge.target == router:
                path.add_node(graph, MESH_CLIENTS)
                path.add_edge(edge)
        path.add_node(graph, router, rule_row)
        for edge in graph.edges:
            if edge.source == router and edge.source_row == rule_row and edge.kind == "routes":
                path.add_edge(edge)
                path.add_node(graph, edge.target)
                for onward in graph.edges:   # a Service fronting the egress gateway: on to the gateway
                    if onward.source == edge.target and onward.kind == "fronts":
                        path.add_edge(onward)
                        path.add_node(graph, onward.target)
    for hop in hops[1:]:
        part = trace(graph, project, hop)
        for node_id in part.nodes:
            for row in part.rows.get(node_id, {None}):
                path.add_node(graph, node_id, row)
        for edge in graph.edges:
            if edge.key in part.edges:
                path.add_edge(edge)
    return path


def _hop_result(hop):
    """One hop of a mesh request (a dict, as ``SimulationResult.hops`` keeps them) as a result object."""
    if not isinstance(hop, dict):
        return hop
    from types import SimpleNamespace

    return SimpleNamespace(**{"servers": [], "skipped": [], "destinations": [], **hop})
