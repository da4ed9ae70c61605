"""RouteConfiguration, virtual hosts and routes, inline in the HCM: the plan's routes written out."""

from __future__ import annotations

from ...compile.http import split_header_changes
from ...compile.plan import RouteConfigPlan, RoutePlan, VirtualHostPlan
from ...compile.units import fraction_million
from .common import CORS_FILTER, CORS_POLICY_TYPE, FAULT_FILTER, FAULT_TYPE, PREVIOUS_HOSTS_TYPE


def _retry_policy(policy: dict | None) -> dict | None:
    """The plan's retry policy with Envoy's previous_hosts predicate spelled out."""
    if policy is None:
        return None
    out = {k: v for k, v in policy.items() if k != "previous_hosts"}
    if policy.get("previous_hosts"):
        out["retry_host_predicate"] = [{"name": "envoy.retry_host_predicates.previous_hosts",
                                        "typed_config": {"@type": PREVIOUS_HOSTS_TYPE}}]
        out["host_selection_retry_max_attempts"] = out.pop("host_selection_retry_max_attempts", 5)
    return out


def _destination_headers(out: dict, headers) -> None:
    """Per-destination header operations (``processDestination``) onto a route or weighted cluster."""
    for changes in split_header_changes(headers):
        for key, value in changes.items():
            out.setdefault(key, []).extend(value)


def _route_action(route: RoutePlan, out: dict, mirror_suffix: bool) -> dict:
    """``applyHTTPRouteDestination``: cluster(s), rewrite, timeout, retries, mirrors, hash policy."""
    dests = route.destinations
    action: dict = {}
    if len(dests) == 1:
        action["cluster"] = dests[0].cluster
        _destination_headers(out, dests[0].rule_headers)
    else:
        clusters = []
        for d in dests:
            entry: dict = {"name": d.cluster, "weight": d.weight}
            _destination_headers(entry, d.rule_headers)
            clusters.append(entry)
        action["weighted_clusters"] = {"clusters": clusters}
    action.update(route.rewrite or {})
    # setTimeout: the route timeout (0s: none). istiod also sets the deprecated max_grpc_timeout so a gRPC
    # client's grpc-timeout header may shorten it; Envoy 1.40 warns about that field, so a gRPC request here
    # times out like any other. (A max_stream_duration block would switch Envoy to "new timeouts" and
    # ignore the route timeout: the bug this replaces.)
    action["timeout"] = route.timeout
    retry = _retry_policy(route.retry_policy)
    if retry is not None:
        action["retry_policy"] = retry
    if route.hash_policy:
        action["hash_policy"] = list(route.hash_policy)
    if route.mirrors:
        action["request_mirror_policies"] = [
            {"cluster": m.destination.cluster, "runtime_fraction": {"default_value": fraction_million(m.percent)},
             "trace_sampled": False, **({} if mirror_suffix else {"disable_shadow_host_suffix_append": True})}
            for m in route.mirrors]
    return action


def render_route(route: RoutePlan, listener_port: int, project=None, gateway=None, options=None,
                 mirror_suffix: bool = False) -> dict:
    out: dict = {}
    if route.name:
        out["name"] = route.name
    out["match"] = dict(route.envoy_match)
    # TranslateRoute: the rule's header operations first, then a single destination's (processDestination).
    for changes in (route.request_headers, route.response_headers):
        for key, value in changes.items():
            out.setdefault(key, []).extend(value)
    if route.redirect is not None:
        out["redirect"] = dict(route.redirect)
    elif route.direct_response is not None:
        out["direct_response"] = dict(route.direct_response)
    else:
        out["route"] = _route_action(route, out, mirror_suffix)
        first = route.destinations[0]
        out["decorator"] = {"operation": f"{first.host}:{first.port}/*"}
    per_filter: dict = {}
    if route.fault is not None:
        per_filter[FAULT_FILTER] = {"@type": FAULT_TYPE, **route.fault}
    if route.cors is not None:
        per_filter[CORS_FILTER] = {"@type": CORS_POLICY_TYPE, **route.cors}
    if per_filter:
        out["typed_per_filter_config"] = dict(sorted(per_filter.items()))
    return out


def render_virtual_host(vhost: VirtualHostPlan, listener_port: int, project=None, gateway=None,
                        options=None, mirror_suffix: bool = False) -> dict:
    out: dict = {"name": vhost.name, "domains": list(vhost.domains)}
    if vhost.require_tls:
        out["require_tls"] = "ALL"
    out["include_request_attempt_count"] = True
    out["routes"] = [render_route(r, listener_port, project, gateway, options, mirror_suffix) for r in vhost.routes]
    return out


def render_route_config(plan: RouteConfigPlan, listener_port: int, project=None, gateway=None,
                        options=None, mirror_suffix: bool = False) -> dict:
    return {
        "name": plan.name,
        "validate_clusters": False,
        "ignore_port_in_host_matching": True,
        "virtual_hosts": [render_virtual_host(v, listener_port, project, gateway, options, mirror_suffix)
                          for v in plan.virtual_hosts],
    }
