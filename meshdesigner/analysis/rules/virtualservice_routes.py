"""VirtualService route structure: rule reachability, route/redirect/delegate conflicts, weights,
destinations, tls and tcp routes (MD0210–MD0217, MD0235, MD0236, MD0238–MD0242)."""

from __future__ import annotations

import json

from ...model.hosts import host_matches
from .. import messages as m
from ..checks import dns1123_label, is_cidr_or_ip, is_ip, wildcard_domain
from ..memo import destinations_of
from ..registry import rule

VS = ("virtual-service",)
_STRING_MATCH_FIELDS = ("uri", "scheme", "method", "authority")
_MAP_FIELDS = ("headers", "query_params", "without_headers")


def _rule_name(route, index: int) -> str:
    return repr(route.name) if getattr(route, "name", None) else str(index)


def _match_name(match, index: int) -> str:
    return repr(match.name) if getattr(match, "name", None) else str(index)


def _string_covers(earlier, later) -> bool:
    """Whether StringMatch ``earlier`` matches every value ``later`` matches."""
    if earlier.kind is None:  # present-match
        return True
    if later.kind is None:
        return False
    if earlier.kind == "prefix":
        return later.kind in ("exact", "prefix") and later.value.startswith(earlier.value)
    return earlier.kind == later.kind and earlier.value == later.value


def _conditions(match) -> frozenset[str]:
    """The condition fields a match sets (its name is no condition)."""
    fields = set(match.model_fields_set)
    fields.discard("name")
    fields = {f for f in fields if getattr(match, f) is not None}
    if match.__pydantic_extra__:
        fields |= set(match.__pydantic_extra__)
    return frozenset(fields)


def _http_match_covers(earlier, later) -> bool:
    """``earlier`` catches every request ``later`` catches: each condition of ``earlier`` is implied by one
    of ``later`` (a prefix covers longer prefixes and exact values); anything unusual is compared exactly."""
    later_fields = _conditions(later)
    for field in _conditions(earlier):
        if field not in later_fields:
            return False
        e_value, l_value = getattr(earlier, field), getattr(later, field)
        if field in _STRING_MATCH_FIELDS:
            if not _string_covers(e_value, l_value):
                return False
        elif field in _MAP_FIELDS:
            for key, match in e_value.items():
                if key not in l_value:
                    return False
                if field == "without_headers":
                    if match != l_value[key]:
                        return False
                elif not _string_covers(match, l_value[key]):
                    return False
        elif e_value != l_value:
            return False
    return True


def _reachability(vs, section: str, rules, covers):
    matchless_seen: int | None = None
    earlier_matches: list[tuple[int, object]] = []
    for i, route in enumerate(rules or []):
        name = _rule_name(route, i)
        path = f"spec.{section}[{i}]"
        if matchless_seen is not None:
            reason = "only the last rule can have no matches" if not route.match else \
                f"rule {_rule_name(rules[matchless_seen], matchless_seen)} before it has no match and catches " \
                "every request"
            yield m.UNREACHABLE_RULE.at(vs.ref, path, rule=name, reason=reason)
            continue
        matches = route.match or []
        if not matches or any(not _conditions(match) for match in matches):
            matchless_seen = i
            continue
        duplicated = 0
        for j, match in enumerate(matches):
            earlier = next((k for k, prior in earlier_matches if covers(prior, match)), None)
            if earlier is not None:
                duplicated += 1
                if len(matches) > 1:
                    yield m.INEFFECTIVE_MATCH.at(vs.ref, f"{path}.match[{j}]", rule=name,
                                                 match=_match_name(match, j),
                                                 earlier=_rule_name(rules[earlier], earlier))
        if duplicated == len(matches):
            yield m.UNREACHABLE_RULE.at(vs.ref, path, rule=name, reason="all matches used by prior rules")
        earlier_matches.extend((i, match) for match in matches)


def _l4_covers(earlier, later) -> bool:
    return json.dumps(earlier.to_wire(), sort_keys=True) == json.dumps(later.to_wire(), sort_keys=True)


@rule("virtualservice.reachability", codes=("MD0210", "MD0211"), kinds=VS)
def reachability(ctx, node):
    vs = node.virtual_service
    yield from _reachability(vs, "http", vs.spec.http, _http_match_covers)
    yield from _reachability(vs, "tcp", vs.spec.tcp, _l4_covers)
    yield from _reachability(vs, "tls", vs.spec.tls, _l4_covers)


@rule("virtualservice.http_actions", codes=("MD0212", "MD0213", "MD0214", "MD0215", "MD0216", "MD0217"), kinds=VS)
def http_actions(ctx, node):
    vs = node.virtual_service
    is_delegate = not vs.spec.hosts
    for i, route in enumerate(vs.spec.http or []):
        path = f"spec.http[{i}]"
        name = _rule_name(route, i)
        if route.delegate is not None:
            if is_delegate:
                yield m.NESTED_DELEGATE.at(vs.ref, f"{path}.delegate")
            for field in ("route", "redirect"):
                if getattr(route, field):
                    yield m.ROOT_DELEGATE_CONFLICT.at(vs.ref, f"{path}.{field}", rule=name, what=field)
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


@rule("virtualservice.weights", codes=("MD0235",), kinds=VS)
def weights(ctx, node):
    vs = node.virtual_service
    for section in ("http", "tcp", "tls"):
        for i, route in enumerate(getattr(vs.spec, section) or []):
            yield from _weights(vs, section, i, route.route or [])


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
    for path, dest, _weight in destinations_of(vs):
        reason = destination_problem(dest)
        if reason:
            yield m.DESTINATION_INVALID.at(vs.ref, path, reason=reason)


@rule("virtualservice.tls_routes", codes=("MD0238", "MD0239", "MD0240"), kinds=VS)
def tls_routes(ctx, node):
    vs = node.virtual_service
    hosts = vs.spec.hosts or []
    for i, route in enumerate(vs.spec.tls or []):
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


@rule("virtualservice.subnets", codes=("MD0241",), kinds=VS)
def subnets(ctx, node):
    vs = node.virtual_service
    for section in ("tcp", "tls"):
        for i, route in enumerate(getattr(vs.spec, section) or []):
            for j, match in enumerate(route.match or []):
                for k, subnet in enumerate(match.destination_subnets or []):
                    if not is_cidr_or_ip(subnet):
                        yield m.SUBNET_INVALID.at(vs.ref, f"spec.{section}[{i}].match[{j}].destinationSubnets[{k}]",
                                                  subnet=subnet)


@rule("virtualservice.tcp_routes", codes=("MD0242",), kinds=VS)
def tcp_routes(ctx, node):
    vs = node.virtual_service
    for i, route in enumerate(vs.spec.tcp or []):
        if not route.route:
            yield m.TCP_ROUTE_INVALID.at(vs.ref, f"spec.tcp[{i}].route", reason="TCP route is required")
