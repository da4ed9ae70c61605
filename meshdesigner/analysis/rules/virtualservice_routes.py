"""VirtualService route structure: rule reachability, route/redirect/delegate conflicts, weights,
destinations, tls and tcp routes (MD0210–MD0217, MD0235, MD0236, MD0238–MD0242, MD0513).

The checks of one rule's shape are small functions (``_http_actions``, ``_weights``, ``_tls_route``,
``_subnets``) called by the one rule ``virtualservice.routes`` in a single pass over a virtual service's rules."""

from __future__ import annotations

from ...model.hosts import host_matches
from .. import messages as m
from ..checks import dns1123_label, is_cidr_or_ip, is_ip, wildcard_domain
from ..istio_reachability import istio_unreachable
from ..memo import destinations_of
from ..registry import rule
from ..rule_order import shadowed_rules

VS = ("virtual-service",)


def _rule_name(route, index: int) -> str:
    return repr(route.name) if getattr(route, "name", None) else str(index)


def _match_name(match, index: int) -> str:
    return repr(match.name) if getattr(match, "name", None) else str(index)


@rule("virtualservice.reachability", codes=("MD0210", "MD0211", "MD0513"), kinds=VS)
def reachability(ctx, node):
    """IST0130/IST0131 exactly as Istio's webhook decides them (istio_reachability.py), and, as our own MD0513,
    the rules the wider shadowing analysis (rule_order, shared with the flow view and the rule list) finds
    unreachable beyond Istio's cases (an earlier match covering every match of the rule)."""
    vs = node.virtual_service
    unreachable, ineffective = istio_unreachable(vs)
    reported = {(r.section, r.index) for r in unreachable}
    for found in unreachable:
        rules = getattr(vs.spec, found.section)
        yield m.UNREACHABLE_RULE.at(vs.ref, f"spec.{found.section}[{found.index}]",
                                    rule=_rule_name(rules[found.index], found.index), reason=found.reason)
    for found in ineffective:
        rules = getattr(vs.spec, found.section)
        match = rules[found.index].match[found.match_index]
        yield m.INEFFECTIVE_MATCH.at(vs.ref, f"spec.{found.section}[{found.index}].match[{found.match_index}]",
                                     rule=_rule_name(rules[found.index], found.index),
                                     match=_match_name(match, found.match_index),
                                     earlier=_rule_name(rules[found.by], found.by))
    for found in shadowed_rules(vs)[0]:
        if (found.section, found.index) not in reported:
            rules = getattr(vs.spec, found.section)
            yield m.RULE_SHADOWED.at(vs.ref, found.path, rule=_rule_name(rules[found.index], found.index),
                                     reason=found.reason)


def _http_actions(vs, i: int, route, is_delegate: bool):
    """MD0212–MD0217: what one HTTP rule does (delegate, redirect, direct response, route) and their conflicts."""
    path = f"spec.http[{i}]"
    if route.delegate is not None:
        if is_delegate:
            yield m.NESTED_DELEGATE.at(vs.ref, f"{path}.delegate")
        for field in ("route", "redirect"):
            if getattr(route, field):
                yield m.ROOT_DELEGATE_CONFLICT.at(vs.ref, f"{path}.{field}", rule=_rule_name(route, i), what=field)
    if route.redirect is not None:
        for field, wire in (("route", "route"), ("fault", "fault"), ("rewrite", "rewrite"),
                            ("direct_response", "directResponse")):
            if getattr(route, field):
                yield m.REDIRECT_CONFLICT.at(vs.ref, f"{path}.{wire}", what=wire)
    if route.direct_response is not None:
        for field in ("route", "fault", "rewrite"):
            if getattr(route, field):
                yield m.DIRECT_RESPONSE_CONFLICT.at(vs.ref, f"{path}.{field}", what=field)
    if not (route.route or route.redirect or route.direct_response or route.delegate):
        yield m.HTTP_ROUTE_NO_ACTION.at(vs.ref, path)
    if route.mirror is not None and route.mirrors:
        yield m.MIRROR_AND_MIRRORS.at(vs.ref, f"{path}.mirrors")


def _plain_http_route(route) -> bool:
    """The usual HTTP rule: routes only, nothing for :func:`_http_actions` to report."""
    return route.delegate is None and route.redirect is None and route.direct_response is None \
        and bool(route.route) and not (route.mirror is not None and route.mirrors)


def _weights(vs, section: str, index: int, destinations):
    path = f"spec.{section}[{index}].route"
    total = 0
    for j, dest in enumerate(destinations):
        weight = dest.weight or 0
        if weight < 0:
            yield m.WEIGHTS_INVALID.at(vs.ref, f"{path}[{j}].weight", reason=f"weight {weight} < 0")
        total += max(weight, 0)
    if len(destinations) > 1 and total == 0:
        yield m.WEIGHTS_INVALID.at(vs.ref, path, reason="total destination weight = 0 (with several destinations "
                                                       "set a weight > 0 on at least one)")


def _weights_wrong(destinations) -> bool:
    """Whether :func:`_weights` reports something: a negative weight, or several destinations weighing 0."""
    total = 0
    for dest in destinations:
        weight = dest.weight
        if weight:
            if weight < 0:
                return True
            total += weight
    return len(destinations) > 1 and total == 0


def destination_problem(dest) -> str | None:
    host = dest.host
    if not host or host == "*":
        return f"invalid destination host {host!r}"
    if not is_ip(host):
        reason = wildcard_domain(host)
        if reason:
            return reason
    if dest.subset is not None:
        if not dest.subset:
            return "subset name cannot be empty"
        if dns1123_label(dest.subset):
            return f"subset name is invalid: {dest.subset}"
    port = dest.port_number
    if port is not None and not 1 <= port <= 65535:
        return f"port number {port} must be in the range 1..65535"
    return None


@rule("virtualservice.destinations", codes=("MD0236",), kinds=VS)
def destinations(ctx, node):
    vs = node.virtual_service
    reasons: dict[tuple, str | None] = {}    # (a virtual service names the same destination in several routes)
    for path, dest, _weight in destinations_of(vs):
        key = (dest.host, dest.subset, dest.port.number if dest.port is not None else None)
        reason = reasons[key] if key in reasons else reasons.setdefault(key, destination_problem(dest))
        if reason:
            yield m.DESTINATION_INVALID.at(vs.ref, path, reason=reason)


def _tls_route(vs, i: int, route):
    """MD0238–MD0240: one TLS rule needs matches with SNI hosts among the virtual service's hosts, and routes."""
    hosts = vs.spec.hosts or []
    path = f"spec.tls[{i}]"
    if not route.match:
        yield m.TLS_ROUTE_INVALID.at(vs.ref, f"{path}.match", reason="TLS route must have at least one match "
                                                                  "condition")
    if not route.route:
        yield m.TLS_ROUTE_INVALID.at(vs.ref, f"{path}.route", reason="TLS route is required")
    for j, match in enumerate(route.match or []):
        if not match.sni_hosts:
            yield m.TLS_ROUTE_INVALID.at(vs.ref, f"{path}.match[{j}].sniHosts",
                                         reason="TLS match must have at least one SNI host")
        for k, sni in enumerate(match.sni_hosts or []):
            spath = f"{path}.match[{j}].sniHosts[{k}]"
            if is_ip(sni):
                yield m.SNI_HOST_IP.at(vs.ref, spath, sni=sni)
            elif hosts and not any(host_matches(h, sni) for h in hosts):
                yield m.SNI_HOST_NOT_IN_HOSTS.at(vs.ref, spath, sni=sni, hosts=", ".join(hosts))


def _subnets(vs, section: str, i: int, route):
    """MD0241: the destination subnets of a TCP or TLS rule's matches."""
    for j, match in enumerate(route.match or []):
        for k, subnet in enumerate(match.destination_subnets or []):
            if not is_cidr_or_ip(subnet):
                yield m.SUBNET_INVALID.at(vs.ref, f"spec.{section}[{i}].match[{j}].destinationSubnets[{k}]",
                                          subnet=subnet)


@rule("virtualservice.routes", codes=("MD0212", "MD0213", "MD0214", "MD0215", "MD0216", "MD0217", "MD0235",
                                      "MD0238", "MD0239", "MD0240", "MD0241", "MD0242"), kinds=VS)
def routes(ctx, node):
    """The shape of each rule of a virtual service (actions and their conflicts, weights, TLS matches, subnets,
    TCP routes) in one pass over its rules; each check is called only for the rules it can apply to."""
    vs = node.virtual_service
    spec = vs.spec
    is_delegate = not spec.hosts
    for i, route in enumerate(spec.http or []):
        if not _plain_http_route(route):
            yield from _http_actions(vs, i, route, is_delegate)
        if route.route and _weights_wrong(route.route):
            yield from _weights(vs, "http", i, route.route)
    for i, route in enumerate(spec.tcp or []):
        if not route.route:
            yield m.TCP_ROUTE_INVALID.at(vs.ref, f"spec.tcp[{i}].route", reason="TCP route is required")
        elif _weights_wrong(route.route):
            yield from _weights(vs, "tcp", i, route.route)
        yield from _subnets(vs, "tcp", i, route)
    for i, route in enumerate(spec.tls or []):
        yield from _tls_route(vs, i, route)
        if route.route and _weights_wrong(route.route):
            yield from _weights(vs, "tls", i, route.route)
        yield from _subnets(vs, "tls", i, route)
