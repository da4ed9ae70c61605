"""A sidecar's outbound HTTP routes: what a pod in namespace N does with a request to ``host:port``.

istiod's sidecar route configuration for a port (``BuildSidecarOutboundVirtualHosts``,
``buildSidecarVirtualHostsForVirtualService``): every VirtualService bound to the mesh (``gateways``
empty or naming ``mesh``) gives a virtual host for its hosts with its rules translated for the port and
the ``mesh`` gateway name (``BuildHTTPRoutesForVirtualService``); every service of the design with the
port and no such VirtualService gives a virtual host with the default route to its cluster
(``BuildDefaultHTTPOutboundRoute``). The result is a :class:`WorkloadPlan` with one plain HTTP listener
(route configuration named after the port), so the simulator follows it like a gateway's; a request for
a host no virtual host serves leaves through the PassthroughCluster under Istio's default
``outboundTrafficPolicy: ALLOW_ANY``.
"""

from __future__ import annotations

from ..model.gateway import Gateway
from ..model.hosts import CLUSTER_SUFFIX
from ..model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeKind
from ..model.virtualservice import HTTPRoute, VirtualService
from .builder import WorkloadBuilder
from .options import CompileOptions
from .plan import (
    HTTP,
    PASSTHROUGH,
    FilterChainPlan,
    ListenerPlan,
    RouteConfigPlan,
    ServerPlan,
    VirtualHostPlan,
    WorkloadPlan,
)

MESH = "mesh"


class SidecarServer(ServerPlan):
    """The sidecar's outbound listener as a server: its routes are those bound to the ``mesh`` gateway."""

    @property
    def gateway_ref(self) -> str:
        return MESH

    @property
    def where(self) -> str:
        return f"the sidecar's outbound listener on port {self.server.port.number}"


def mesh_bound(vs: VirtualService) -> bool:
    """A VirtualService that applies to sidecars: no ``gateways``, or ``mesh`` among them."""
    return not vs.spec.gateways or MESH in vs.spec.gateways


def sidecar_stand_in(namespace: str, port: int) -> GatewayNode:
    """The sidecar's outbound listener, shaped as a one-server Gateway so plans and the simulator read it alike."""
    gateway = Gateway.model_validate({
        "metadata": {"name": "sidecar", "namespace": namespace},
        "spec": {"servers": [{"port": {"number": port, "name": f"http-{port}", "protocol": "HTTP"},
                              "hosts": ["*/*"]}]}})
    return GatewayNode(id=f"sidecar:{namespace}", kind=NodeKind.INGRESS_GATEWAY, gateway=gateway)


def _aliases(host: str, client_namespace: str) -> list[str]:
    """Names a pod may use for a Kubernetes service host (istiod adds the short forms to the domains)."""
    if not host.endswith("." + CLUSTER_SUFFIX):
        return [host]
    name, namespace = host.split(".")[:2]
    out = [host, f"{name}.{namespace}.svc", f"{name}.{namespace}"]
    if namespace == client_namespace:
        out.append(name)
    return out


def _service_hosts(project, port: int) -> list[tuple[str, str]]:
    """(host, namespace) of every service of the design listening on ``port``."""
    out = []
    for node in project.nodes.values():
        if isinstance(node, MeshServiceNode) and any(p.port == port for p in node.service.spec.ports or []):
            out.append((node.fqdn, node.service.namespace))
        elif isinstance(node, ExternalServiceNode) and any(
                p.number == port for p in node.service_entry.spec.ports or []):
            for host in node.service_entry.spec.hosts or []:
                out.append((host.lower(), node.service_entry.namespace))
    return out


def compile_mesh(project, namespace: str, port: int, options: CompileOptions | None, shared,
                 tls: bool = False) -> WorkloadPlan:
    """The outbound HTTP routes of a sidecar in ``namespace`` for ``port``; with ``tls``, its TLS routes
    instead (``buildSidecarOutboundTLSRouteConfig``: VirtualService ``tls`` rules by SNI, passed through)."""
    options = options or CompileOptions.for_project(project)
    stand_in = sidecar_stand_in(namespace, port)
    builder = WorkloadBuilder(project, {}, [], namespace, shared.index, shared.rules, shared.delegates, options)
    bound = [n.virtual_service for n in shared.index.virtual_services
             if mesh_bound(n.virtual_service) and n.virtual_service.spec.hosts]
    bound.sort(key=lambda vs: (vs.name, vs.namespace))
    builder.bound = {MESH: bound}
    server = SidecarServer(stand_in, 0, stand_in.gateway.spec.servers[0])
    if tls:
        chains = builder.passthrough_chains(server, port, set())
        listener = ListenerPlan(port, None, PASSTHROUGH, chains)
        return WorkloadPlan({}, [stand_in], [listener] if chains else [], builder.clusters,
                            list(dict.fromkeys(builder.drops)), bound, options.istio_version)
    vhosts: dict[str, VirtualHostPlan] = {}
    for vs in bound:
        if not vs.spec.http:
            continue
        routes = builder.http_routes(vs, MESH, port, False)
        for host in builder._vs_hosts(vs):
            vhost = vhosts.get(host)
            if vhost is None:
                vhost = vhosts[host] = VirtualHostPlan(f"{host}:{port}", _aliases(host, namespace))
            vhost.routes.extend(routes)
            vhost.virtual_services.append(vs.metadata.qualified)
    for host, svc_namespace in _service_hosts(project, port):
        if host in vhosts or host.startswith("*"):
            continue
        default = VirtualService.model_validate({
            "metadata": {"name": "default-route", "namespace": svc_namespace},
            "spec": {"hosts": [host], "http": [{"name": "default", "route": [{"destination": {"host": host}}]}]}})
        rule: HTTPRoute = default.spec.http[0]
        route = builder._route(default, 0, None, rule, None, port, False, True, None)
        vhosts[host] = VirtualHostPlan(f"{host}:{port}", _aliases(host, namespace), [route])
    for vhost in vhosts.values():
        vhost.routes = [r for r in vhost.routes if not r.catch_all] + [r for r in vhost.routes if r.catch_all]
    route_config = RouteConfigPlan(str(port), sorted(vhosts.values(), key=lambda v: v.name))
    listener = ListenerPlan(port, None, HTTP, [FilterChainPlan(HTTP, [server], [], route_config=route_config)])
    return WorkloadPlan({}, [stand_in], [listener], builder.clusters, list(dict.fromkeys(builder.drops)),
                        bound, options.istio_version)

