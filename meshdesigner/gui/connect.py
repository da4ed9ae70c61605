"""What dragging from one node to another means, as model edits (Qt-free logic used by the canvas).

* gateway -> virtual service: the virtual service lists the gateway in ``gateways``;
* virtual service -> mesh service / external service / egress gateway: a new route rule to it;
* mesh service -> egress gateway: the Service selects the gateway's pods (it fronts the gateway);
* egress gateway -> external service: Istio's egress-task shape (:mod:`.egress`: TLS passthrough,
  TLS origination or plain HTTP, with the mesh hop); the canvas asks through the egress dialog first.

Anything else raises :class:`ConnectError` with a sentence for the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import (
    ExternalServiceNode,
    GatewayNode,
    MeshServiceNode,
    NodeBase,
    NodeKind,
    Project,
    VirtualServiceNode,
    expand_host,
    gateway_ref,
)
from .edits import node_data, rebuild
from .egress import EgressError, plan_egress


class ConnectError(ValueError):
    """A connection that makes no sense; the message says why."""


@dataclass
class ConnectResult:
    replaced: list[NodeBase] = field(default_factory=list)
    added: list[NodeBase] = field(default_factory=list)
    message: str = ""


def _gateway_entry(gw: GatewayNode, vs_namespace: str) -> str:
    return gw.name if gw.namespace == vs_namespace else f"{gw.namespace}/{gw.name}"


def _host_for(target: NodeBase, vs_namespace: str) -> tuple[str, int | None]:
    """The destination host (short when in the same namespace) and port for routing to ``target``."""
    if isinstance(target, MeshServiceNode):
        ports = target.service.spec.ports or []
        host = target.name if target.namespace == vs_namespace else target.fqdn
        return host, ports[0].port if ports else None
    if isinstance(target, ExternalServiceNode):
        hosts = target.service_entry.spec.hosts or []
        if not hosts:
            raise ConnectError(f"{target.name} has no hosts yet; add one in its properties first")
        ports = target.service_entry.spec.ports or []
        return hosts[0], ports[0].number if ports else None
    if isinstance(target, GatewayNode):
        if target.service is None:
            raise ConnectError(f"{target.name} has no Service to route to; give it one in its properties")
        ports = target.service.spec.ports or []
        return target.service.fqdn, ports[0].port if ports else None
    raise ConnectError("only services and gateways can be route destinations")


def _routes_to(vs: VirtualServiceNode, target_host: str) -> bool:
    ns = vs.namespace
    return any(expand_host(d.host, ns) == expand_host(target_host, ns)
               for _, d, _ in vs.virtual_service.all_destinations())


def _add_route(vs: VirtualServiceNode, target: NodeBase) -> NodeBase:
    host, port = _host_for(target, vs.namespace)
    spec = vs.virtual_service.spec
    section = "http"
    if not spec.http and (spec.tcp or spec.tls):
        section = "tcp" if spec.tcp else "tls"
    destination: dict = {"host": host}
    if port is not None:
        destination["port"] = {"number": port}
    rule: dict = {"route": [{"destination": destination}]}
    if section == "tls":
        rule.setdefault("match", [{}])[0]["sniHosts"] = list(spec.hosts or ["*"])
    data = node_data(vs)
    data["virtual_service"].setdefault("spec", {}).setdefault(section, []).append(rule)
    return rebuild(data)


def _bind(vs: VirtualServiceNode, gw: GatewayNode) -> NodeBase:
    data = node_data(vs)
    data["virtual_service"].setdefault("spec", {}).setdefault("gateways", []).append(
        _gateway_entry(gw, vs.namespace))
    return rebuild(data)


def _is_bound(vs: VirtualServiceNode, gw: GatewayNode) -> bool:
    qualified = gw.gateway.metadata.qualified
    return any(gateway_ref(e, vs.namespace) == qualified for e in vs.virtual_service.spec.gateways or [])


def connect(project: Project, source_id: str, target_id: str) -> ConnectResult:
    """The edits that connect ``source`` to ``target``; raises :class:`ConnectError` when it makes no sense."""
    if source_id == target_id:
        raise ConnectError("a node cannot connect to itself")
    source, target = project.node(source_id), project.node(target_id)
    if isinstance(source, GatewayNode) and isinstance(target, VirtualServiceNode):
        if _is_bound(target, source):
            raise ConnectError(f"{target.name} is already bound to {source.name}")
        return ConnectResult([_bind(target, source)], message=f"Bound {target.name} to gateway {source.name}")
    if isinstance(source, VirtualServiceNode) and (
            isinstance(target, MeshServiceNode | ExternalServiceNode)
            or target.kind == NodeKind.EGRESS_GATEWAY):
        host, _ = _host_for(target, source.namespace)
        if _routes_to(source, host):
            raise ConnectError(f"{source.name} already routes to {target.name}")
        return ConnectResult([_add_route(source, target)], message=f"{source.name} now routes to {target.name}")
    if isinstance(source, MeshServiceNode) and target.kind == NodeKind.EGRESS_GATEWAY:
        labels = target.gateway.spec.selector or {}
        if not labels:
            raise ConnectError(f"gateway {target.name} has no selector labels for a Service to select")
        data = node_data(source)
        data["service"].setdefault("spec", {})["selector"] = dict(labels)
        return ConnectResult([rebuild(data)], message=f"Service {source.name} now selects {target.name}'s pods")
    if source.kind == NodeKind.EGRESS_GATEWAY and isinstance(target, ExternalServiceNode):
        return _egress_to_external(project, source, target)
    raise ConnectError(_refusal(source, target))


def _egress_to_external(project: Project, gw: GatewayNode, ext: ExternalServiceNode) -> ConnectResult:
    """Istio's egress shape for the external service's ports (:mod:`.egress`), its default mode; the canvas
    shows the egress dialog first (:meth:`CanvasView.connect_nodes`)."""
    try:
        plan = plan_egress(project, gw.id, ext.id)
    except EgressError as exc:
        raise ConnectError(str(exc)) from None
    if not plan.replaced and not plan.added:
        raise ConnectError(f"{gw.name} already sends mesh traffic for {plan.host} to {ext.name}")
    return ConnectResult(plan.replaced, plan.added,
                         message=f"Mesh traffic for {plan.host} now goes through {gw.name} ({plan.mode})")


def _refusal(source: NodeBase, target: NodeBase) -> str:
    s, t = source.kind, target.kind
    if t == NodeKind.INGRESS_GATEWAY and s == NodeKind.VIRTUAL_SERVICE:
        return "drag from the gateway to the virtual service to bind them"
    if s in (NodeKind.MESH_SERVICE, NodeKind.EXTERNAL_SERVICE) and t == NodeKind.VIRTUAL_SERVICE:
        return "drag from the virtual service to the service to route to it"
    if s == NodeKind.INGRESS_GATEWAY:
        return "an ingress gateway connects only to virtual services (which then route to services)"
    if s == NodeKind.EXTERNAL_SERVICE:
        return "an external service is where traffic ends; it has no outgoing connections"
    return f"a {str(s).replace('-', ' ')} cannot connect to a {str(t).replace('-', ' ')}"
