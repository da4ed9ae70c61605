"""What a gateway's policies apply to: the gateway's workload and the HTTP routes bound to it.

Shared by the security compiler, the simulator, the checks and the Functions view so they all agree
on which workload namespace a policy attaches in and which Envoy route names a route patch can name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .hosts import gateway_ref
from .nodes import GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from .virtualservice import HTTPRoute


def workload_namespace(node: GatewayNode, nodes: Iterable[NodeBase] | TargetIndex = ()) -> str:
    """Where the gateway's pods run, so where its policies attach: the node's explicit
    ``workload_namespace``, else the namespace of the gateway's own Service (``service``, or a mesh
    service among ``nodes`` whose selector picks the gateway's pods), else the Gateway's."""
    if node.workload_namespace:
        return node.workload_namespace
    if node.service is not None:
        return node.service.namespace
    fronting = fronting_services(nodes, node)
    if fronting:
        return fronting[0].namespace
    return node.gateway.namespace


def _selects(service: MeshServiceNode, labels: dict[str, str]) -> bool:
    selector = service.service.spec.selector or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def fronting_services(nodes: Iterable[NodeBase] | TargetIndex, node: GatewayNode) -> list[MeshServiceNode]:
    """Mesh services whose selector picks the gateway's pods (how an imported gateway Service
    appears), ordered by namespace and name."""
    labels = node.gateway.spec.selector or {}
    if not labels:
        return []
    if isinstance(nodes, TargetIndex):
        candidates = {s.id: s for pair in labels.items() for s in nodes.services_by_label.get(pair, [])}
        out = [s for s in candidates.values() if _selects(s, labels)]
    else:
        out = [s for s in nodes if isinstance(s, MeshServiceNode) and _selects(s, labels)]
    return sorted(out, key=lambda n: (n.namespace, n.name, n.id))


class TargetIndex:
    """Look-ups built once for many gateways: the virtual services binding each gateway and the mesh
    services by selector label (so exporting 100 gateways does not scan the design 100 times)."""

    def __init__(self, nodes: Iterable[NodeBase]) -> None:
        self.nodes = list(nodes)
        self.binders: dict[str, list[VirtualServiceNode]] = {}
        self.services_by_label: dict[tuple[str, str], list[MeshServiceNode]] = {}
        for node in self.nodes:
            if isinstance(node, VirtualServiceNode):
                vs = node.virtual_service
                for ref in {gateway_ref(e, vs.namespace) for e in vs.spec.gateways or []}:
                    self.binders.setdefault(ref, []).append(node)
            elif isinstance(node, MeshServiceNode):
                for pair in (node.service.spec.selector or {}).items():
                    self.services_by_label.setdefault(pair, []).append(node)

    def __iter__(self):
        return iter(self.nodes)


def workload_labels(node: GatewayNode) -> dict[str, str]:
    """The labels that select the gateway's pods (the Gateway's ``selector``)."""
    return dict(node.gateway.spec.selector or {})


@dataclass(frozen=True)
class BoundRoute:
    """One HTTP rule of a virtual service bound to the gateway."""

    virtual_service: VirtualServiceNode
    index: int
    rule: HTTPRoute

    @property
    def envoy_names(self) -> list[str]:
        return envoy_route_names(self.rule)


def envoy_route_names(rule: HTTPRoute) -> list[str]:
    """The Envoy route names Istio gives one HTTP rule: ``name`` (+ ``.`` + match ``name`` for each named match)."""
    if not rule.name:
        return []
    names = []
    for match in rule.match or [None]:
        names.append(f"{rule.name}.{match.name}" if match is not None and match.name else rule.name)
    return sorted(set(names))


def binds(vs_node: VirtualServiceNode, gateway: GatewayNode) -> bool:
    vs = vs_node.virtual_service
    target = gateway.gateway.metadata.qualified
    return any(gateway_ref(entry, vs.namespace) == target for entry in vs.spec.gateways or [])


def bound_http_routes(nodes: Iterable[NodeBase] | TargetIndex, gateway: GatewayNode) -> list[BoundRoute]:
    """HTTP rules of the virtual services bound to ``gateway``, ordered by namespace, name, index."""
    if isinstance(nodes, TargetIndex):
        vs_nodes = list(nodes.binders.get(gateway.gateway.metadata.qualified, []))
    else:
        vs_nodes = [n for n in nodes if isinstance(n, VirtualServiceNode) and binds(n, gateway)]
    vs_nodes.sort(key=lambda n: (n.namespace, n.name, n.id))
    return [BoundRoute(vs_node, i, rule) for vs_node in vs_nodes
            for i, rule in enumerate(vs_node.virtual_service.spec.http or [])]
