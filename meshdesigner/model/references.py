"""Edges of a design, derived from the references inside its resources.

* ``binds``:  gateway -> virtual service (the VirtualService lists the gateway in ``gateways``)
* ``routes``: virtual service -> mesh service / external service / gateway (a route destination)
* ``fronts``: mesh service -> gateway (the Service's selector picks the gateway's pods)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .hosts import expand_host, gateway_ref, host_matches
from .nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode

if TYPE_CHECKING:  # networkx takes ~0.2 s to import: only what draws a graph loads it
    import networkx as nx


@dataclass(frozen=True)
class Reference:
    """One edge: ``source`` -> ``target`` node ids, what it means, and where it is written."""

    source: str
    target: str
    kind: str            # "binds" | "routes" | "fronts"
    path: str            # field path in the referring resource, e.g. spec.http[0].route[1].destination
    label: str = ""
    weight: int | None = None
    rule_index: int | None = None
    section: str | None = None  # "http" | "tcp" | "tls" for routes


class ReferenceIndex:
    """Look-ups from names and hosts to nodes, built once from a set of nodes."""

    def __init__(self, nodes: Iterable[NodeBase]) -> None:
        self.gateways: dict[str, GatewayNode] = {}
        self.services_by_fqdn: dict[str, MeshServiceNode] = {}
        self.gateway_services: dict[str, GatewayNode] = {}
        self.external_exact: dict[str, list[ExternalServiceNode]] = defaultdict(list)
        self.external_wildcard: list[tuple[str, ExternalServiceNode]] = []
        self.virtual_services: list[VirtualServiceNode] = []
        # gateway "ns/name" (or "mesh") -> the VirtualServices whose ``gateways`` name it: built once, so a
        # compiler asking for every gateway's VirtualServices does not scan the design per gateway
        self.virtual_services_by_gateway: dict[str, list[VirtualServiceNode]] = defaultdict(list)
        self._by_label: dict[tuple[str, str], list[GatewayNode]] | None = None
        for node in nodes:
            if isinstance(node, GatewayNode):
                self.gateways[node.gateway.metadata.qualified] = node
                if node.service is not None:
                    self.gateway_services[node.service.fqdn] = node
            elif isinstance(node, MeshServiceNode):
                self.services_by_fqdn.setdefault(node.fqdn, node)
            elif isinstance(node, ExternalServiceNode):
                for host in node.service_entry.spec.hosts or []:
                    if host.startswith("*"):
                        self.external_wildcard.append((host.lower(), node))
                    else:
                        self.external_exact[host.lower()].append(node)
            elif isinstance(node, VirtualServiceNode):
                self.virtual_services.append(node)
                vs = node.virtual_service
                for ref in dict.fromkeys(gateway_ref(e, vs.namespace) for e in vs.spec.gateways or []):
                    self.virtual_services_by_gateway[ref].append(node)

    def gateway(self, entry: str, vs_namespace: str) -> GatewayNode | None:
        """The gateway a VirtualService ``gateways`` entry names, if the design has it."""
        ref = gateway_ref(entry, vs_namespace)
        return None if ref == "mesh" else self.gateways.get(ref)

    def destination(self, host: str, namespace: str) -> NodeBase | None:
        """The node a destination host (as written in namespace ``namespace``) resolves to."""
        fqdn = expand_host(host, namespace).lower()
        node = self.gateway_services.get(fqdn) or self.services_by_fqdn.get(fqdn)
        if node is not None:
            return node
        exact = self.external_exact.get(fqdn)
        if exact:
            return exact[0]
        for pattern, ext in self.external_wildcard:
            if host_matches(pattern, fqdn):
                return ext
        return None

    def fronted_gateways(self, service: MeshServiceNode) -> list[GatewayNode]:
        """Gateways whose pods the Service selects (its selector is a subset of the gateway's), in the
        order of :attr:`gateways`."""
        selector = service.service.spec.selector or {}
        if not selector:
            return []
        # Only gateways that carry one of the selector's labels can match: found through an index of the
        # gateways by label, instead of testing every gateway for every Service (import derived 1,001 x 100
        # pairs on the bench mesh; issue 16).
        by_label = self._gateways_by_label()
        candidates = min((by_label.get(item, ()) for item in selector.items()), key=len)
        return [gw for gw in candidates
                if all((gw.gateway.spec.selector or {}).get(k) == v for k, v in selector.items())]

    def _gateways_by_label(self) -> dict[tuple[str, str], list[GatewayNode]]:
        """``(label, value)`` -> the gateways whose selector holds it, in the order of :attr:`gateways`
        (built on first use: most users of the index never ask)."""
        if self._by_label is None:
            self._by_label = defaultdict(list)
            for gw in self.gateways.values():
                for item in (gw.gateway.spec.selector or {}).items():
                    self._by_label[item].append(gw)
        return self._by_label


def virtual_service_references(vs_node: VirtualServiceNode, index: ReferenceIndex) -> list[Reference]:
    """The edges written in one VirtualService: its gateway bindings and route destinations."""
    vs = vs_node.virtual_service
    ns = vs.namespace
    refs: list[Reference] = []
    for i, entry in enumerate(vs.spec.gateways or []):
        gw = index.gateway(entry, ns)
        if gw is not None:
            ports = sorted({s.port.number for s in gw.gateway.spec.servers or []})
            refs.append(Reference(gw.id, vs_node.id, "binds", f"spec.gateways[{i}]",
                                  label=", ".join(map(str, ports))))
    for section in ("http", "tcp", "tls"):
        for i, rule in enumerate(getattr(vs.spec, section) or []):
            routes = rule.route or []
            for j, dest in enumerate(routes):
                target = index.destination(dest.destination.host, ns)
                if target is None:
                    continue
                label = f"{dest.weight}%" if len(routes) > 1 and dest.weight is not None else ""
                if dest.destination.subset:
                    label = f"{dest.destination.subset} {label}".strip()
                refs.append(Reference(vs_node.id, target.id, "routes",
                                      f"spec.{section}[{i}].route[{j}].destination", label=label,
                                      weight=dest.weight, rule_index=i, section=section))
    return refs


def service_references(svc: MeshServiceNode, index: ReferenceIndex) -> list[Reference]:
    """The ``fronts`` edges of one mesh service (gateways whose pods it selects)."""
    return [Reference(svc.id, gw.id, "fronts", "spec.selector") for gw in index.fronted_gateways(svc)]


def derive_references(nodes: Iterable[NodeBase]) -> list[Reference]:
    """Every edge of the design, in a deterministic order."""
    index = ReferenceIndex(list(nodes))
    refs: list[Reference] = []
    for vs_node in sorted(index.virtual_services, key=lambda n: n.id):
        refs.extend(virtual_service_references(vs_node, index))
    for svc in sorted(index.services_by_fqdn.values(), key=lambda n: n.id):
        refs.extend(service_references(svc, index))
    return refs


def build_graph(project) -> nx.MultiDiGraph:
    """A networkx MultiDiGraph of the design: nodes by id (attribute ``kind``), edges from references."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for node in project:
        graph.add_node(node.id, kind=str(node.kind), name=node.name, namespace=node.namespace)
    for ref in derive_references(project):
        graph.add_edge(ref.source, ref.target, kind=ref.kind, path=ref.path, label=ref.label,
                       weight=ref.weight, rule_index=ref.rule_index)
    return graph
