"""Gateways that share pods: conflicting servers (MD0413, IST0145), protocols that cannot share a port
(MD0418), the gateway's Service ports (MD0414, IST0162), duplicate SNI routes (MD0420)."""

from __future__ import annotations

from ...model.gateway import HTTP_PROTOCOLS, TLS_PROTOCOLS
from ...model.hosts import gateway_ref, split_gateway_host
from .. import messages as m
from ..registry import GATEWAY_KINDS, rule


def _category(protocol: str) -> str:
    if protocol in HTTP_PROTOCOLS:
        return "plain-text HTTP"
    if protocol in TLS_PROTOCOLS:
        return "TLS"
    return "TCP"


def _selector_text(selector) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items())) or "(none)"


@rule("conflicts.gateway_servers", codes=("MD0413", "MD0418"), kinds=GATEWAY_KINDS)
def gateway_servers(ctx, node):
    gw = node.gateway
    if not gw.spec.selector:
        return  # no selector: the gateway applies to no pods of its own; nothing to compare
    others = [o for o in ctx.gateways_with_selector(gw.spec.selector)]
    for i, server in enumerate(gw.spec.servers or []):
        path = f"spec.servers[{i}]"
        hosts = {split_gateway_host(h)[1].lower() for h in server.hosts}
        reported_protocol = False
        for other in others:
            for k, o_server in enumerate(other.gateway.spec.servers or []):
                if other.id == node.id and k == i:
                    continue
                if o_server.port.number != server.port.number or (o_server.bind or "") != (server.bind or ""):
                    continue
                name = other.gateway.metadata.qualified
                if not reported_protocol and _category(o_server.protocol) != _category(server.protocol):
                    reported_protocol = True
                    yield m.GATEWAY_PORT_PROTOCOL_CONFLICT.at(gw.ref, f"{path}.port", port=server.port.number,
                                                              other=name, other_protocol=o_server.protocol)
                    continue
                if other.id == node.id:
                    continue
                shared = sorted(hosts & {split_gateway_host(h)[1].lower() for h in o_server.hosts})
                if shared:
                    yield m.CONFLICTING_GATEWAYS.at(gw.ref, f"{path}.hosts", other=name,
                                                    selector=_selector_text(gw.spec.selector),
                                                    port=server.port.number, hosts=shared)


@rule("conflicts.gateway_service_ports", codes=("MD0414",), kinds=GATEWAY_KINDS)
def gateway_service_ports(ctx, node):
    gw = node.gateway
    services = [node.service] if node.service is not None else \
        [s.service for s in ctx.services_selecting(gw.spec.selector)]
    services = [s for s in services if s.spec.ports]
    if not services:
        return  # the Service is not modeled: nothing to check
    exposed: set[int] = set()
    for svc in services:
        for port in svc.spec.ports or []:
            if (port.protocol or "TCP").upper() == "TCP":
                exposed.add(port.port)
                if isinstance(port.target_port, int):
                    exposed.add(port.target_port)
    names = ", ".join(s.metadata.qualified for s in services)
    for i, server in enumerate(gw.spec.servers or []):
        if server.port.number not in exposed:
            yield m.GATEWAY_PORT_NOT_ON_SERVICE.at(gw.ref, f"spec.servers[{i}].port.number", port=server.port.number,
                                                   service=names, ports=sorted(exposed))


def _sni_routes(vs, gateway_qualified: str):
    ns = vs.namespace
    for i, route in enumerate(vs.spec.tls or []):
        for j, match in enumerate(route.match or []):
            if match.gateways and gateway_qualified not in {gateway_ref(g, ns) for g in match.gateways}:
                continue
            for k, sni in enumerate(match.sni_hosts or []):
                yield f"spec.tls[{i}].match[{j}].sniHosts[{k}]", sni.lower(), match.port


@rule("conflicts.duplicate_sni", codes=("MD0420",), kinds=("virtual-service",))
def duplicate_sni(ctx, node):
    """Istio keeps the first tls route for an SNI host on a gateway port; later ones are skipped."""
    vs = node.virtual_service
    if not vs.spec.tls:
        return
    mine = vs.metadata.qualified
    for _i, _entry, gw in ctx.gateways_named_in(node):
        if gw is None:
            continue
        q = gw.gateway.metadata.qualified
        earlier = [b for b in ctx.binders(gw) if b.virtual_service.metadata.qualified < mine]
        taken = {}
        for other in earlier:
            for _path, sni, port in _sni_routes(other.virtual_service, q):
                taken.setdefault((sni, port), other.virtual_service.metadata.qualified)
        for path, sni, port in _sni_routes(vs, q):
            owner = taken.get((sni, port)) or (taken.get((sni, None)) if port is not None else None)
            if owner:
                yield m.DUPLICATE_SNI_ROUTE.at(vs.ref, path, sni=sni, gateway=q, port=port or "any", other=owner)
