"""Where routes go: destination hosts, ports and subsets (MD0402–MD0405, MD0407), subset routing that
gateway traffic ignores (MD0412), egress bypass (MD0506), services no gateway reaches (MD0507)."""

from __future__ import annotations

from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeKind
from .. import messages as m
from ..catalogue import MessageType
from ..index import is_mesh_bound
from ..memo import destinations_of, fqdn_of
from ..registry import rule
from .binding import servers_for_host

VS = ("virtual-service",)


def target_ports(node) -> list[int] | None:
    """The ports a destination node exposes, or None when the design does not know them."""
    if isinstance(node, MeshServiceNode):
        ports = node.service.spec.ports
        return [p.port for p in ports] if ports else None
    if isinstance(node, ExternalServiceNode):
        ports = node.service_entry.spec.ports
        return [p.number for p in ports] if ports else None
    if isinstance(node, GatewayNode) and node.service is not None:
        ports = node.service.spec.ports
        return [p.port for p in ports] if ports else None
    return None


def _subsets_defined(ctx, fqdn: str) -> list[str] | None:
    """The subset names the destination rules of a host define, sorted; None when no rule is for the host."""
    holders = ctx.destination_rules(fqdn)
    if not holders:
        return None
    return sorted({s.name for h in holders for s in h.destination_rule.spec.subsets or []})


@rule("destinations.resolve", codes=("MD0402", "MD0403", "MD0404", "MD0405", "MD0407"), kinds=VS)
def resolve(ctx, node):
    vs = node.virtual_service
    ns = vs.namespace
    # a virtual service names the same destination (host, port, subset) in several routes: judged once
    problems: dict[tuple, list[tuple[MessageType, str, dict]]] = {}
    for path, dest, _weight in destinations_of(vs):
        host = dest.host
        if not host or "*" in host:
            continue
        port = dest.port.number if dest.port is not None else None
        key = (host, port, dest.subset)
        found = problems.get(key)
        if found is None:
            found = problems[key] = _destination_problems(ctx, host, ns, port, dest.subset)
        for message, suffix, args in found:
            yield message.at(vs.ref, path + suffix, **args)


def _destination_problems(ctx, host: str, ns: str, port: int | None, subset: str | None
                          ) -> list[tuple[MessageType, str, dict]]:
    """(message, path below the destination, template arguments) of what is wrong with one destination."""
    out: list[tuple[MessageType, str, dict]] = []
    target = ctx.destination(host, ns)
    if target is None:
        if not ctx.closed_world:  # else MD1003 (istio_destinations.py) reports it as Istio does
            out.append((m.DESTINATION_HOST_UNKNOWN, ".host", {"host": host}))
    else:
        ports = target_ports(target)
        if ports is not None:
            if port is not None and port not in ports:
                out.append((m.DESTINATION_PORT_NOT_FOUND, ".port.number",
                            {"host": host, "port": port, "ports": sorted(ports)}))
            elif port is None and len(set(ports)) > 1:
                out.append((m.PORT_SELECTOR_REQUIRED, "", {"host": host, "ports": sorted(set(ports))}))
    if subset:
        fqdn = fqdn_of(host, ns)
        defined = ctx.derived(("subsets-defined", fqdn), lambda: _subsets_defined(ctx, fqdn))
        if defined is None:
            if target is not None:   # (else MD0402 already says the host, so its subsets, could not be checked)
                out.append((m.SUBSET_UNCHECKED, ".subset", {"subset": subset, "host": host}))
        elif subset not in defined:
            out.append((m.SUBSET_NOT_FOUND, ".subset",
                        {"host": host, "subset": subset, "subsets": ", ".join(defined) or "none"}))
    return out


@rule("destinations.subsets_on_gateway", codes=("MD0412",), kinds=VS)
def subsets_on_gateway(ctx, node):
    """IST0140: a gateway's route ignores the subset split another virtual service makes for the host."""
    vs = node.virtual_service
    if not any(g != "mesh" for g in vs.spec.gateways or []):
        return
    ns = vs.namespace
    gateways = [g for g in vs.spec.gateways or [] if g != "mesh"]
    for path, dest, _weight in destinations_of(vs):
        if dest.subset or ".route[" not in path:
            continue
        fqdn = fqdn_of(dest.host, ns)
        for other in ctx.virtual_services_for_host(fqdn):
            if other.id == node.id:
                continue
            o = other.virtual_service
            uses_subsets = any(d.subset and fqdn_of(d.host, o.namespace) == fqdn
                               for _p, d, _w in destinations_of(o))
            if uses_subsets:
                yield m.SUBSET_NO_EFFECT_ON_GATEWAY.at(vs.ref, path, host=dest.host, other=o.metadata.qualified,
                                                       gateway=", ".join(gateways))
                break


def _applies_to_mesh(route_matches, vs_gateways) -> bool:
    if not is_mesh_bound(vs_gateways):
        return False
    if not route_matches:
        return True
    return any(not match.gateways or "mesh" in match.gateways for match in route_matches)


@rule("destinations.egress_bypass", codes=("MD0506",), kinds=VS)
def egress_bypass(ctx, node):
    vs = node.virtual_service
    spec = vs.spec
    if not is_mesh_bound(spec.gateways):
        return
    ns = vs.namespace
    for section in ("http", "tcp", "tls"):
        for i, route in enumerate(getattr(spec, section) or []):
            if not _applies_to_mesh(route.match, spec.gateways):
                continue
            for j, dest in enumerate(route.route or []):
                target = ctx.destination(dest.destination.host, ns)
                if not isinstance(target, ExternalServiceNode):
                    continue
                fqdn = fqdn_of(dest.destination.host, ns)
                gateway = _egress_gateway_for(ctx, fqdn)
                if gateway is not None:
                    yield m.EGRESS_BYPASS.at(vs.ref, f"spec.{section}[{i}].route[{j}].destination.host",
                                             host=dest.destination.host, gateway=gateway)


def _egress_gateway_for(ctx, fqdn: str) -> str | None:
    """An egress gateway of the design that a virtual service routes this host through."""
    for other in ctx.virtual_services_for_host(fqdn):
        o = other.virtual_service
        for entry in o.spec.gateways or []:
            if entry == "mesh":
                continue
            gw = ctx.gateway(entry, o.namespace)
            if gw is not None and gw.kind == NodeKind.EGRESS_GATEWAY and servers_for_host(gw, fqdn, o.namespace):
                return gw.gateway.metadata.qualified
    return None


@rule("destinations.reachable_from_gateway", codes=("MD0507",), kinds=("mesh-service",))
def reachable_from_gateway(ctx, node):
    if not node.managed or not ctx.any_of_kind(str(NodeKind.INGRESS_GATEWAY)):
        return
    if ctx.gateways_selecting_like(node.service.spec.selector):
        return  # the Service of a gateway: reached from outside, not through routes
    fqdn = node.fqdn.lower()
    for router in ctx.routers(fqdn):
        if _bound_to_gateway(ctx, router):
            return
        v = router.virtual_service
        if not v.spec.hosts and any(_bound_to_gateway(ctx, root)
                                    for root in ctx.delegators(v.metadata.qualified)):
            return
    yield m.SERVICE_UNREACHABLE.at(node.service.ref, "metadata.name", host=node.fqdn)


def _bound_to_gateway(ctx, vs_node) -> bool:
    vs = vs_node.virtual_service
    return any(ctx.gateway_exists(entry, vs.namespace) for entry in vs.spec.gateways or [])
