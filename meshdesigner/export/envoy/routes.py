"""RouteConfiguration, virtual hosts and routes (pilot's TranslateRoute), inline in the HCM."""

from __future__ import annotations

from .common import (
    CORS_FILTER,
    CORS_POLICY_TYPE,
    FAULT_FILTER,
    FAULT_TYPE,
    GRPC_STATUS,
    PREVIOUS_HOSTS_TYPE,
    envoy_duration,
    fraction_hundred,
    fraction_million,
)
from .hooks import ROUTE_CONFIG_CONTRIBUTORS
from .plan import RouteConfigPlan, RoutePlan, VirtualHostPlan

DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
REDIRECT_CODES = {301: "MOVED_PERMANENTLY", 302: "FOUND", 303: "SEE_OTHER", 307: "TEMPORARY_REDIRECT",
                  308: "PERMANENT_REDIRECT"}


def string_matcher(match) -> dict | None:
    """An Istio StringMatch as Envoy's StringMatcher; None means "present" (empty match or regex ``*``)."""
    kind, value = match.kind, match.value
    if kind is None or value in ("", None) or (kind == "regex" and value == "*"):
        return None
    if kind == "regex":
        return {"safe_regex": {"regex": value}}
    return {kind: value}


def header_matcher(name: str, match, invert: bool = False) -> dict:
    out: dict = {"name": name}
    matcher = string_matcher(match)
    if matcher is None:
        out["present_match"] = True
    else:
        out["string_match"] = matcher
    if invert:
        out["invert_match"] = True
    return out


def route_match(match) -> dict:
    """Envoy RouteMatch of one Istio HTTPMatchRequest (None: the rule has no match -> prefix /)."""
    out: dict = {}
    uri = match.uri if match is not None else None
    kind = uri.kind if uri is not None else None
    if kind == "exact":
        out["path"] = uri.exact
    elif kind == "prefix":
        out["prefix"] = uri.prefix
    elif kind == "regex" and uri.regex != "*":
        out["safe_regex"] = {"regex": uri.regex}
    else:
        out["prefix"] = "/"
    if match is None:
        return out
    if match.ignore_uri_case:
        out["case_sensitive"] = False
    headers = [header_matcher(name.lower(), m) for name, m in sorted((match.headers or {}).items())]
    for pseudo, m in ((":method", match.method), (":authority", match.authority), (":scheme", match.scheme)):
        if m is not None:
            headers.append(header_matcher(pseudo, m))
    headers += [header_matcher(name.lower(), m, invert=True)
                for name, m in sorted((match.without_headers or {}).items())]
    if headers:
        out["headers"] = headers
    params = []
    for name, m in sorted((match.query_params or {}).items()):
        matcher = string_matcher(m)
        params.append({"name": name, **({"string_match": matcher} if matcher else {"present_match": True})})
    if params:
        out["query_parameters"] = params
    return out


def header_changes(ops, prefix: str) -> dict:
    """``set``/``add``/``remove`` as ``<prefix>_headers_to_add`` / ``_to_remove`` (pseudo headers dropped)."""
    out: dict = {}
    if ops is None:
        return out
    to_add = []
    for action, values in (("OVERWRITE_IF_EXISTS_OR_ADD", ops.set), ("APPEND_IF_EXISTS_OR_ADD", ops.add)):
        for key, value in sorted((values or {}).items()):
            if key.startswith(":") or key.lower() == "host":
                continue
            to_add.append({"header": {"key": key, "value": value}, "append_action": action})
    if to_add:
        out[f"{prefix}_headers_to_add"] = to_add
    remove = [k for k in ops.remove or [] if not k.startswith(":") and k.lower() != "host"]
    if remove:
        out[f"{prefix}_headers_to_remove"] = remove
    return out


def _merge_headers(out: dict, headers) -> None:
    if headers is None:
        return
    for part, ops in (("request", headers.request), ("response", headers.response)):
        for key, value in header_changes(ops, part).items():
            out.setdefault(key, []).extend(value)


def _host_from_headers(headers) -> str | None:
    ops = headers.request if headers is not None else None
    for values in ((ops.set if ops else None), (ops.add if ops else None)):
        for key, value in (values or {}).items():
            if key.lower() in ("host", ":authority"):
                return value
    return None


def retry_policy(retries) -> dict | None:
    """Istio's retry policy; unset gives the mesh default, ``attempts: 0`` none."""
    policy: dict = {"retry_on": DEFAULT_RETRY_ON, "num_retries": 2}
    predicate = True
    if retries is not None:
        if retries.attempts is not None and retries.attempts <= 0:
            return None
        if retries.attempts is not None:
            policy["num_retries"] = retries.attempts
        if retries.retry_on:
            kinds, codes = [], []
            for item in (x.strip() for x in retries.retry_on.split(",")):
                if item.isdigit():
                    codes.append(int(item))
                elif item:
                    kinds.append(item)
            if codes and "retriable-status-codes" not in kinds:
                kinds.append("retriable-status-codes")
            policy["retry_on"] = ",".join(kinds)
            if codes:
                policy["retriable_status_codes"] = codes
        per_try = envoy_duration(retries.per_try_timeout)
        if per_try:
            policy["per_try_timeout"] = per_try
        if retries.retry_ignore_previous_hosts is False:
            predicate = False
        backoff = envoy_duration(retries.backoff)
        if backoff:
            policy["retry_back_off"] = {"base_interval": backoff}
    if predicate:
        policy["retry_host_predicate"] = [{"name": "envoy.retry_host_predicates.previous_hosts",
                                           "typed_config": {"@type": PREVIOUS_HOSTS_TYPE}}]
    policy["host_selection_retry_max_attempts"] = 5
    return policy


def _percentage(part) -> dict:
    if part.percentage is not None and part.percentage.value is not None:
        return fraction_million(part.percentage.value)
    if getattr(part, "percent", None) is not None:
        return fraction_hundred(part.percent)
    return fraction_million(100)


def fault_config(fault) -> dict | None:
    out: dict = {"@type": FAULT_TYPE}
    delay = fault.delay
    if delay is not None and envoy_duration(delay.fixed_delay):
        out["delay"] = {"fixed_delay": envoy_duration(delay.fixed_delay), "percentage": _percentage(delay)}
    abort = fault.abort
    if abort is not None:
        if abort.http_status is not None:
            out["abort"] = {"http_status": abort.http_status, "percentage": _percentage(abort)}
        elif abort.grpc_status is not None and abort.grpc_status.upper() in GRPC_STATUS:
            out["abort"] = {"grpc_status": GRPC_STATUS[abort.grpc_status.upper()], "percentage": _percentage(abort)}
    return out if len(out) > 1 else None


def cors_config(cors) -> dict:
    origins = [m for m in (string_matcher(o) for o in cors.allow_origins or []) if m]
    origins += [{"exact": o} for o in cors.allow_origin or []]
    out: dict = {"@type": CORS_POLICY_TYPE}
    if origins:
        out["allow_origin_string_match"] = origins
    for key, values in (("allow_methods", cors.allow_methods), ("allow_headers", cors.allow_headers),
                        ("expose_headers", cors.expose_headers)):
        if values:
            out[key] = ",".join(values)
    max_age = envoy_duration(cors.max_age)
    if max_age:
        out["max_age"] = str(int(float(max_age[:-1])))
    if cors.allow_credentials is not None:
        out["allow_credentials"] = cors.allow_credentials
    out["filter_enabled"] = {"default_value": fraction_hundred(100)}
    out["forward_not_matching_preflights"] = (cors.unmatched_preflights or "").upper() != "IGNORE"
    return out


def redirect_action(redirect, listener_port: int) -> dict:
    out: dict = {}
    if redirect.uri is not None:
        out["path_redirect"] = redirect.uri
    elif redirect.prefix_rewrite is not None:
        out["prefix_rewrite"] = redirect.prefix_rewrite
    if redirect.authority:
        out["host_redirect"] = redirect.authority
    if redirect.scheme:
        out["scheme_redirect"] = redirect.scheme
    if redirect.port:
        out["port_redirect"] = redirect.port
    elif (redirect.derive_port or "").upper() == "FROM_REQUEST_PORT":
        out["port_redirect"] = listener_port
    out["response_code"] = REDIRECT_CODES.get(redirect.redirect_code or 301, "MOVED_PERMANENTLY")
    return out


def direct_response_action(direct) -> dict:
    out: dict = {"status": direct.status}
    if direct.body is not None:
        if direct.body.string is not None:
            out["body"] = {"inline_string": direct.body.string}
        elif direct.body.bytes is not None:
            out["body"] = {"inline_bytes": direct.body.bytes}
    return out


def _route_action(route: RoutePlan, out: dict) -> dict:
    rule = route.rule
    dests = route.destinations
    action: dict = {}
    if len(dests) == 1:
        action["cluster"] = dests[0].cluster
        _merge_headers(out, dests[0].rule_headers)
    else:
        clusters = []
        for d in dests:
            entry: dict = {"name": d.cluster, "weight": d.weight}
            _merge_headers(entry, d.rule_headers)
            clusters.append(entry)
        action["weighted_clusters"] = {"clusters": clusters}
    rewrite = rule.rewrite
    host = None
    if rewrite is not None:
        if rewrite.uri_regex_rewrite is not None and rewrite.uri_regex_rewrite.match is not None:
            action["regex_rewrite"] = {"pattern": {"regex": rewrite.uri_regex_rewrite.match},
                                       "substitution": rewrite.uri_regex_rewrite.rewrite or ""}
        elif rewrite.uri is not None:
            uri = route.match.uri if route.match is not None else None
            if uri is not None and uri.kind == "regex":
                # prefix_rewrite needs a prefix or path match: rewrite the whole matched path instead.
                action["regex_rewrite"] = {"pattern": {"regex": uri.regex}, "substitution": rewrite.uri}
            else:
                action["prefix_rewrite"] = rewrite.uri
        host = rewrite.authority
    host = host or _host_from_headers(rule.headers)
    if host:
        action["host_rewrite_literal"] = host
    timeout = envoy_duration(rule.timeout) or "0s"
    action["timeout"] = timeout
    action["max_stream_duration"] = {"grpc_timeout_header_max": timeout}
    retry = retry_policy(rule.retries)
    if retry is not None:
        action["retry_policy"] = retry
    if route.mirrors:
        action["request_mirror_policies"] = [
            {"cluster": m.destination.cluster, "runtime_fraction": {"default_value": fraction_million(m.percent)}}
            for m in route.mirrors]
    return action


def render_route(route: RoutePlan, listener_port: int, project=None, gateway=None, options=None) -> dict:
    rule = route.rule
    out: dict = {}
    if route.name:
        out["name"] = route.name
    out["match"] = route_match(route.match)
    if rule.redirect is not None:
        out["redirect"] = redirect_action(rule.redirect, listener_port)
    elif rule.direct_response is not None:
        out["direct_response"] = direct_response_action(rule.direct_response)
    else:
        out["route"] = _route_action(route, out)
        first = route.destinations[0]
        out["decorator"] = {"operation": f"{first.host}:{first.port}/*"}
    _merge_headers(out, rule.headers)
    per_filter: dict = {}
    if rule.fault is not None and "route" in out:
        fault = fault_config(rule.fault)
        if fault:
            per_filter[FAULT_FILTER] = fault
    if rule.cors_policy is not None:
        per_filter[CORS_FILTER] = cors_config(rule.cors_policy)
    for contributor in ROUTE_CONFIG_CONTRIBUTORS:
        per_filter.update(contributor(project, gateway, route, options) or {})
    if per_filter:
        out["typed_per_filter_config"] = dict(sorted(per_filter.items()))
    return out


def render_virtual_host(vhost: VirtualHostPlan, listener_port: int, project=None, gateway=None,
                        options=None) -> dict:
    out: dict = {"name": vhost.name, "domains": list(vhost.domains)}
    if vhost.require_tls:
        out["require_tls"] = "ALL"
    out["include_request_attempt_count"] = True
    out["routes"] = [render_route(r, listener_port, project, gateway, options) for r in vhost.routes]
    return out


def render_route_config(plan: RouteConfigPlan, listener_port: int, project=None, gateway=None,
                        options=None) -> dict:
    return {
        "name": plan.name,
        "validate_clusters": False,
        "ignore_port_in_host_matching": True,
        "virtual_hosts": [render_virtual_host(v, listener_port, project, gateway, options)
                          for v in plan.virtual_hosts],
    }
