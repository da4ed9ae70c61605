"""Services and service entries across the design: mesh hosts claimed twice (MD0406, IST0109), destination
rules for hosts the design lacks (MD0415, IST0174), conflicting service entry protocols (MD0416, IST0177),
Service port naming (MD0417, IST0118)."""

from __future__ import annotations

from ...model.hosts import hosts_intersect
from ...model.nodes import ExternalServiceNode
from .. import messages as m
from ..cluster import ISTIOCTL_IGNORED_NAMESPACES
from ..index import is_mesh_bound
from ..memo import fqdn_of
from ..registry import DESIGN, rule

# pkg/config/protocol/instance.go Parse: the names Istio reads a protocol from (lower-cased).
KNOWN_PROTOCOLS = ("tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo",
                   "redis", "mysql")
# pkg/config/kube/conversion.go wellKnownPorts: TCP without a name (SMTP, DNS, MySQL, MongoDB).
WELL_KNOWN_TCP_PORTS = (25, 53, 3306, 27017)
KUBERNETES_APP_PROTOCOLS = ("kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss")
# Labels of Services the analyzers leave alone: util/config.go IsIstioControlPlane (an "istio" label, or
# release=istio) and, for PortNameAnalyzer, Services a gateway controller manages (gateway.istio.io/managed).
GATEWAY_MANAGED_LABEL = "gateway.istio.io/managed"
GATEWAY_CONTROLLERS = ("istio.io-gateway-controller", "istio.io-mesh-controller", "istio.io-eastwest-controller")


def port_name_unsupported(port) -> bool:
    """conversion.go ConvertProtocol(...).IsUnsupported(): UDP is UDP; else appProtocol (when set) or the port
    name, up to its first '-', must name a protocol Istio knows ('grpc-web' as a prefix too); a nameless port on a
    well-known TCP port counts as TCP."""
    if (port.protocol or "").upper() == "UDP":
        return False
    name = port.app_protocol if port.app_protocol is not None else (port.name or "")
    if name in KUBERNETES_APP_PROTOCOLS or name[:8].lower() == "grpc-web":
        return False
    if name.split("-", 1)[0].lower() in KNOWN_PROTOCOLS:
        return False
    return port.port not in WELL_KNOWN_TCP_PORTS




def skipped_by_port_name_analyzer(service) -> bool:
    """service/portname.go: the Istio control plane's Services and those a gateway controller manages; and
    Services of the namespaces istioctl analyze does not read."""
    labels = service.metadata.labels or {}
    return (service.namespace in ISTIOCTL_IGNORED_NAMESPACES or "istio" in labels or labels.get("release") == "istio"
            or labels.get(GATEWAY_MANAGED_LABEL) in GATEWAY_CONTROLLERS)


def _visible_in(resource) -> set[str] | None:
    """Namespaces a resource is exported to (None: all)."""
    values = resource.spec.export_to
    if not values or "*" in values:
        return None
    return {resource.namespace if v == "." else v for v in values}


def _overlap(a: set[str] | None, b: set[str] | None) -> bool:
    return a is None or b is None or bool(a & b)


@rule("services.mesh_host_conflicts", codes=("MD0406",), kinds=("virtual-service",))
def mesh_host_conflicts(ctx, node):
    vs = node.virtual_service
    if not is_mesh_bound(vs.spec.gateways):
        return
    mine = _visible_in(vs)
    for j, host in enumerate(vs.spec.hosts or []):
        fqdn = fqdn_of(host, vs.namespace)
        rivals = [o for o in ctx.mesh_virtual_services(fqdn)
                  if o.id != node.id and _overlap(mine, _visible_in(o.virtual_service))]
        if rivals:
            names = sorted([vs.metadata.qualified] + [o.virtual_service.metadata.qualified for o in rivals])
            yield m.MESH_HOST_CONFLICT.at(vs.ref, f"spec.hosts[{j}]", virtual_services=", ".join(names), host=fqdn)


@rule("services.destination_rule_host", codes=("MD0415",), kinds=("mesh-service",), needs="destination_rule")
def destination_rule_host(ctx, node):
    dr = node.destination_rule
    if dr is None or node.managed:
        return
    if ctx.destination(dr.spec.host, dr.namespace) not in (None, node):
        return
    if ctx.is_external("Service", dr.spec.host, dr.namespace) or ctx.is_external("ServiceEntry", dr.spec.host,
                                                                                   dr.namespace):
        return
    yield m.DR_HOST_UNKNOWN.at(dr.ref, "spec.host", host=dr.spec.host)


@rule("services.service_entry_protocols", codes=("MD0416",), kinds=("external-service",))
def service_entry_protocols(ctx, node):
    se = node.service_entry
    mine = _visible_in(se)
    for i, host in enumerate(se.spec.hosts or []):
        if host.startswith("*"):
            continue
        for other in ctx.nodes_for_host(host):
            if other.id == node.id or not isinstance(other, ExternalServiceNode):
                continue
            o = other.service_entry
            if not _overlap(mine, _visible_in(o)):
                continue
            for port in se.spec.ports or []:
                for o_port in o.spec.ports or []:
                    a, b = (port.protocol or "").upper(), (o_port.protocol or "").upper()
                    if port.number == o_port.number and a != b:
                        names = ", ".join(sorted([se.metadata.qualified, o.metadata.qualified]))
                        yield m.SE_PROTOCOL_CONFLICT.at(se.ref, f"spec.hosts[{i}]", entries=names, host=host,
                                                        port=port.number, protocols=f"{a or 'unset'}, {b or 'unset'}")


@rule("services.port_names", codes=("MD0417",), kinds=("mesh-service",))
def port_names(ctx, node):
    if not node.managed:
        return
    svc = node.service
    if svc.spec.type == "ExternalName" or skipped_by_port_name_analyzer(svc):
        return  # ExternalName: PortNameAnalyzer reports IST0150 instead (MD1011, istio_services.py)
    for i, port in enumerate(svc.spec.ports or []):
        if port_name_unsupported(port):
            yield m.PORT_NAME_CONVENTION.at(svc.ref, f"spec.ports[{i}].name", port_name=port.name or "",
                                            port=port.port)


@rule("services.mesh_host_wildcard_conflicts", codes=("MD0406",), scope=DESIGN, kinds=("virtual-service",))
def mesh_host_wildcard_conflicts(ctx):
    """The wildcard half of ConflictingMeshGatewayHostsAnalyzer (getExportToAllNamespacesVSListForScopedHost):
    a mesh virtual service exported to some namespaces conflicts with every mesh virtual service exported to
    all whose host *overlaps* its host (host.Name.Matches: '*.productpage.d' within '*.d'). Exact equal hosts
    are reported by mesh_host_conflicts; each virtual service is reported once here."""
    restricted = [(n.virtual_service, [fqdn_of(h, n.virtual_service.namespace) for h in n.virtual_service.spec.hosts or []])
                  for n in ctx.index.get(("vs-export-to", "any"))   # only those with exportTo (index table)
                  if _visible_in(n.virtual_service) is not None
                  and is_mesh_bound(n.virtual_service.spec.gateways)]
    if not restricted:
        return  # the common case, checked without looking at every virtual service
    everywhere = [(n.virtual_service, [fqdn_of(h, n.virtual_service.namespace)
                                       for h in n.virtual_service.spec.hosts or []])
                  for n in ctx.index.get(("kind", "virtual-service"))
                  if _visible_in(n.virtual_service) is None and is_mesh_bound(n.virtual_service.spec.gateways)]
    reported: set = set()
    for vs, hosts in restricted:
        for host in hosts:
            group = [other for other, other_hosts in everywhere
                     if any(h != host and hosts_intersect(host, h) for h in other_hosts)]
            if not group:
                continue
            group = [vs, *group]
            names = ",".join(sorted(v.metadata.qualified for v in group))
            for member in group:
                if member.ref not in reported:
                    reported.add(member.ref)
                    yield m.MESH_HOST_CONFLICT.at(member.ref, "metadata.name", virtual_services=names, host=host)
