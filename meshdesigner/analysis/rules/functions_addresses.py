"""MD0701-MD0708: address translation and addresses. The gateway's Service (its own ``service``, or the
mesh services whose selector picks its pods): ports and targetPorts (IST0162), loadBalancerIP,
loadBalancerSourceRanges, externalTrafficPolicy, nodePorts; server ``bind`` addresses; ServiceEntry
``addresses``; the project's declared ``settings.address_ranges``; duplicates across the design."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ...compile.security import security_plan
from ...model.gateway import HTTP_PROTOCOLS
from ...model.kube import KubeService
from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode
from ..registry import DESIGN, GATEWAY_KINDS, rule
from . import functions_messages as fm

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NODE_PORT_RANGE = (30000, 32767)
ADDRESS_FIELDS = ("remote_ip_blocks", "not_remote_ip_blocks", "ip_blocks", "not_ip_blocks")
LB_TYPES = ("LoadBalancer",)
EXTERNAL_TYPES = ("LoadBalancer", "NodePort")


def parse_network(text: str) -> Network | None:
    """An IP address or CIDR range as a network (an address is a /32 or /128); None if invalid."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def declared_ranges(settings) -> list[Network]:
    return [n for n in (parse_network(r) for r in settings.address_ranges) if n is not None]


def inside(net: Network, ranges: list[Network]) -> bool:
    return any(net.version == r.version and net.subnet_of(r) for r in ranges)


def overlapping_pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of entries of one list whose ranges overlap (in list order)."""
    parsed = [(v, parse_network(v)) for v in values]
    parsed = [(v, n) for v, n in parsed if n is not None]
    out = []
    for i, (a, na) in enumerate(parsed):
        for b, nb in parsed[i + 1:]:
            if na.version == nb.version and na.overlaps(nb):
                out.append((a, b))
    return out


def gateway_services(ctx, node: GatewayNode) -> list[KubeService]:
    """The Services that front the gateway: its own, else mesh services selecting its pods."""
    if node.service is not None:
        return [node.service]
    labels = node.gateway.spec.selector or {}
    return [s.service for s in ctx.services_selecting(labels)] if labels else []


@rule("functions.gateway_port_on_service", codes=("MD0701",), kinds=GATEWAY_KINDS)
def gateway_port_on_service(ctx, node):
    """IST0162: every server port must be a port or a targetPort of a TCP port of a Service selecting the
    gateway's pods (Istio's IngressGatewayPortAnalyzer, istio-notes)."""
    services = gateway_services(ctx, node)
    if not services:
        return
    reachable: set[int] = set()
    for service in services:
        for port in service.spec.ports or []:
            if (port.protocol or "TCP").upper() != "TCP":
                continue
            reachable.add(port.port)
            if isinstance(port.target_port, int):
                reachable.add(port.target_port)
    names = ", ".join(s.metadata.qualified for s in services)
    for i, server in enumerate(node.gateway.spec.servers or []):
        number = server.port.number
        if number not in reachable and not str(server.bind or "").startswith("unix://"):
            yield fm.PORT_NOT_ON_SERVICE.at(node.gateway.ref, f"spec.servers[{i}].port.number", port=number,
                                            service=names)


@rule("functions.gateway_service_addresses", codes=("MD0702", "MD0703", "MD0705", "MD0707", "MD0708"),
      kinds=GATEWAY_KINDS)
def gateway_service_addresses(ctx, node):
    """The gateway's own Service: address syntax, declared ranges, overlapping source ranges, fields the
    Service type ignores, node ports."""
    service = node.service
    ranges = declared_ranges(ctx.settings)
    for i, server in enumerate(node.gateway.spec.servers or []):
        net = parse_network(server.bind) if server.bind and not server.bind.startswith("unix://") else None
        if net is not None and ranges and not inside(net, ranges):
            yield fm.ADDRESS_OUTSIDE_RANGES.at(node.gateway.ref, f"spec.servers[{i}].bind", what="bind address",
                                               value=server.bind, ranges=", ".join(ctx.settings.address_ranges))
    if service is None:
        return
    spec, ref = service.spec, service.ref
    kind = spec.type or "ClusterIP"
    if spec.load_balancer_ip:
        net = parse_network(spec.load_balancer_ip)
        if net is None or net.num_addresses != 1:
            yield fm.ADDRESS_INVALID.at(ref, "spec.loadBalancerIP", what="loadBalancerIP", value=spec.load_balancer_ip)
        elif ranges and not inside(net, ranges):
            yield fm.ADDRESS_OUTSIDE_RANGES.at(ref, "spec.loadBalancerIP", what="loadBalancerIP",
                                               value=spec.load_balancer_ip,
                                               ranges=", ".join(ctx.settings.address_ranges))
        if kind not in LB_TYPES:
            yield fm.LB_FIELD_IGNORED.at(ref, "spec.loadBalancerIP", field="loadBalancerIP", type=kind)
    sources = spec.load_balancer_source_ranges or []
    for j, value in enumerate(sources):
        if parse_network(value) is None:
            yield fm.ADDRESS_INVALID.at(ref, f"spec.loadBalancerSourceRanges[{j}]",
                                        what="loadBalancerSourceRanges entry", value=value)
    for first, second in overlapping_pairs(sources):
        yield fm.OVERLAPPING_RANGES.at(ref, "spec.loadBalancerSourceRanges", what="loadBalancerSourceRanges",
                                       first=first, second=second)
    if sources and kind not in LB_TYPES:
        yield fm.LB_FIELD_IGNORED.at(ref, "spec.loadBalancerSourceRanges", field="loadBalancerSourceRanges",
                                     type=kind)
    if spec.external_traffic_policy and kind not in EXTERNAL_TYPES:
        yield fm.LB_FIELD_IGNORED.at(ref, "spec.externalTrafficPolicy", field="externalTrafficPolicy", type=kind)
    for j, port in enumerate(spec.ports or []):
        if port.node_port is None:
            continue
        if kind not in EXTERNAL_TYPES:
            yield fm.NODE_PORT_INVALID.at(ref, f"spec.ports[{j}].nodePort", node_port=port.node_port,
                                          reason=f"a Service of type {kind} has no node ports")
        elif not NODE_PORT_RANGE[0] <= port.node_port <= NODE_PORT_RANGE[1]:
            yield fm.NODE_PORT_INVALID.at(ref, f"spec.ports[{j}].nodePort", node_port=port.node_port,
                                          reason="outside the default node port range 30000-32767")


@rule("functions.client_address_preserved", codes=("MD0706",), kinds=GATEWAY_KINDS)
def client_address_preserved(ctx, node):
    """AuthorizationPolicies on client addresses behind a Service that translates them (externalTrafficPolicy
    Cluster), whoever wrote them."""
    if not ctx.project.policies or not _filters_client_addresses(security_plan(ctx.project, node)):
        return
    for service in gateway_services(ctx, node):
        kind = service.spec.type or "ClusterIP"
        policy = service.spec.external_traffic_policy or "Cluster"
        if kind in EXTERNAL_TYPES and policy != "Local":
            yield fm.CLIENT_ADDRESS_LOST.at(service.ref, "spec.externalTrafficPolicy", service=service.metadata.qualified,
                                            type=kind, policy=policy)


def _filters_client_addresses(plan) -> bool:
    """Whether an AuthorizationPolicy applying to the workload has a rule on source addresses."""
    for policies in plan.authorization.values():
        for policy in policies:
            for r in policy.spec.rules or []:
                for entry in r.from_ or []:
                    source = entry.source
                    if source is not None and any(getattr(source, f) for f in ADDRESS_FIELDS):
                        return True
    return False


@rule("functions.service_entry_addresses", codes=("MD0703",), kinds=("external-service",))
def service_entry_addresses(ctx, node):
    ranges = declared_ranges(ctx.settings)
    if not ranges:
        return
    se = node.service_entry
    for j, value in enumerate(se.spec.addresses or []):
        net = parse_network(value)
        if net is not None and not inside(net, ranges):
            yield fm.ADDRESS_OUTSIDE_RANGES.at(se.ref, f"spec.addresses[{j}]", what="address", value=value,
                                               ranges=", ".join(ctx.settings.address_ranges))


def _services(nodes) -> list[tuple[KubeService, str]]:
    out = []
    for node in nodes:
        if isinstance(node, GatewayNode) and node.service is not None or isinstance(node, MeshServiceNode) and node.managed:
            out.append((node.service, node.id))
    return out


@rule("functions.duplicate_addresses", codes=("MD0704",), scope=DESIGN,
      kinds=(*GATEWAY_KINDS, "mesh-service", "external-service"))
def duplicate_addresses(ctx):
    """One loadBalancerIP on two Services; overlapping ServiceEntry addresses on a shared port."""
    # only the nodes with an address (index tables), in kind then id order: this re-runs after every edit
    rank = {kind: i for i, kind in enumerate((*GATEWAY_KINDS, "mesh-service"))}
    with_ip = sorted(ctx.index.get(("load-balancer-ip", "any")), key=lambda n: (rank[str(n.kind)], n.id))
    by_ip: dict[str, list[KubeService]] = {}
    for service, _node_id in _services(with_ip):
        ip = service.spec.load_balancer_ip
        net = parse_network(ip) if ip else None
        if net is not None:
            by_ip.setdefault(str(net.network_address), []).append(service)
    for ip, services in sorted(by_ip.items()):
        for i, service in enumerate(services):
            others = [s.metadata.qualified for k, s in enumerate(services) if k != i]
            if others:
                yield fm.DUPLICATE_ADDRESS.at(service.ref, "spec.loadBalancerIP", what="loadBalancerIP", value=ip,
                                              other=", ".join(others))
    entries = []
    for node in ctx.index.get(("se-addresses", "any")):
        if isinstance(node, ExternalServiceNode):
            se = node.service_entry
            ports = {p.number for p in se.spec.ports or []}
            for j, value in enumerate(se.spec.addresses or []):
                net = parse_network(value)
                if net is not None:
                    entries.append((se, j, value, net, ports))
    for a, (se, j, value, net, ports) in enumerate(entries):
        for b, (other, _k, other_value, other_net, other_ports) in enumerate(entries):
            if a == b or other.ref == se.ref or net.version != other_net.version:
                continue
            if set(se.spec.hosts or ()) & set(other.spec.hosts or ()):
                continue  # the same host declared twice: istiod merges the entries into one service
            if net.overlaps(other_net) and (ports & other_ports or not ports or not other_ports):
                yield fm.DUPLICATE_ADDRESS.at(se.ref, f"spec.addresses[{j}]", what="address", value=value,
                                              other=f"ServiceEntry {other.metadata.qualified} ({other_value})")
                break


def http_servers(node: GatewayNode) -> list[int]:
    """Indexes of the servers answered by an HTTP connection manager."""
    return [i for i, s in enumerate(node.gateway.spec.servers or [])
            if s.protocol in HTTP_PROTOCOLS or (s.protocol == "HTTPS" and s.terminates_tls)]
