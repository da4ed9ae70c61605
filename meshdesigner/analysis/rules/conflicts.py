"""Gateways that share pods: conflicting servers (MD0413, IST0145: ported from istio/istio
pkg/config/analysis/analyzers/gateway/conflictinggateway.go, ConflictingGatewayAnalyzer.analyzeGateway and
isGWConflict -> model.CheckDuplicates: the same selector, port number, bind and a host *string* in common,
whatever the protocols), protocols that cannot share a port (MD0418), duplicate SNI routes (MD0420).
(IST0162, the gateway's Service ports, is MD0701 in functions_*.)"""

from __future__ import annotations

from ...model.hosts import gateway_ref
from .. import messages as m
from ..index import protocol_category
from ..registry import DESIGN, GATEWAY_KINDS, rule

CATEGORIES = ("plain-text HTTP", "TLS", "TCP")


def _selector_text(selector) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items())) or "(none)"


@rule("conflicts.gateway_servers", codes=("MD0413", "MD0418"), kinds=GATEWAY_KINDS)
def gateway_servers(ctx, node):
    gw = node.gateway
    selector = gw.spec.selector
    if not selector:
        return  # no selector: the gateway applies to no pods of its own; nothing to compare
    for i, server in enumerate(gw.spec.servers or []):
        path = f"spec.servers[{i}]"
        port, bind, category = server.port.number, server.bind or "", protocol_category(server.protocol)
        clash = None
        for other_category in CATEGORIES:
            if other_category != category:
                for other in ctx.gateways_on_port(selector, port, bind, other_category):
                    clash = clash or (other, other_category)
        if clash is not None:
            other, other_category = clash
            protocol = next(s.port.protocol for s in other.gateway.spec.servers or []
                            if s.port.number == port and (s.bind or "") == bind
                            and protocol_category(s.protocol) == other_category)
            yield m.GATEWAY_PORT_PROTOCOL_CONFLICT.at(gw.ref, f"{path}.port", port=port,
                                                      other=other.gateway.metadata.qualified,
                                                      protocol=server.port.protocol, other_protocol=protocol,
                                                      category=category, other_category=other_category)
        others = sorted({other.gateway.metadata.qualified
                         for entry in server.hosts
                         for other in ctx.gateways_serving(selector, port, bind, entry) if other.id != node.id})
        if others:
            yield conflicting_gateways(gw, i, others, selector)


def conflicting_gateways(gw, index: int, others: list[str], selector) -> object:
    """IST0145 as ConflictingGatewayAnalyzer.analyzeGateway words it: every other gateway (sorted, joined by
    ',') on the same selector and port with a host written the same way and the same bind; hosts joined."""
    server = gw.spec.servers[index]
    return m.CONFLICTING_GATEWAYS.at(gw.ref, f"spec.servers[{index}].hosts", other=",".join(others),
                                     selector=_selector_text(selector), port=server.port.number,
                                     hosts=",".join(server.hosts))


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


@rule("conflicts.gateways_sharing_pods", codes=("MD0413",), scope=DESIGN, kinds=GATEWAY_KINDS)
def gateways_sharing_pods(ctx):
    """The pod half of ConflictingGatewayAnalyzer: selectors that differ as strings but contain one another,
    and a Pod both select. (Identical selectors are compared by conflicts.gateway_servers.)"""
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    gateways = [(n, _selector_text(n.gateway.spec.selector)) for n in ctx.nodes_of_kind(*GATEWAY_KINDS)
                if n.gateway.spec.selector]
    for node, mine in gateways:
        gw = node.gateway
        sharing = [(other, theirs) for other, theirs in gateways
                   if theirs != mine and (mine in theirs or theirs in mine)
                   and any(p in cluster.pods_selected_by(other.gateway.spec.selector)
                           for p in cluster.pods_selected_by(gw.spec.selector))]
        for i, server in enumerate(gw.spec.servers or []):
            others = sorted({
                other.gateway.metadata.qualified for other, _ in sharing
                for s in other.gateway.spec.servers or []
                if s.port.number == server.port.number and (s.bind or "") == (server.bind or "")
                and set(s.hosts) & set(server.hosts)})
            if others:
                yield conflicting_gateways(gw, i, others, gw.spec.selector)
