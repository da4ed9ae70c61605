"""Firewall rules and the JWT principal requirement as Envoy RBAC, the way istiod builds them.

Istio's order: one RBAC filter with every DENY policy, then one with every ALLOW policy (only when
an ALLOW rule exists: then a request matching none is denied). Conditions map as istiod maps
them: ``remoteIpBlocks`` -> ``remote_ip`` (the client address after X-Forwarded-For / proxy
protocol), ``ipBlocks`` -> ``direct_remote_ip`` (the peer), hosts -> ``:authority`` (case-insensitive),
paths -> ``url_path``, methods -> ``:method``, ports -> ``destination_port`` (the local listener port),
headers -> the header. For TCP (network RBAC) the HTTP-only conditions cannot be checked: an ALLOW
rule that has any is dropped (it never matches), a DENY rule loses them (it matches more), as istiod
does.

Request principals come from the jwt_authn filter: each provider writes the verified payload into
its dynamic metadata under the issuer (``payload_in_metadata``), and a principal pattern
``<iss>/<sub>`` is checked against it (``*`` = any verified token).
"""

from __future__ import annotations

import ipaddress

from ...compile.gateway_functions import rules_for_traffic
from ...model.functions import FirewallRule, GatewayFunctions, JwtAuthentication

JWT_FILTER = "envoy.filters.http.jwt_authn"
HTTP_RBAC_FILTER = "envoy.filters.http.rbac"
NETWORK_RBAC_FILTER = "envoy.filters.network.rbac"
HTTP_RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
NETWORK_RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"


def istio_string_match(value: str, ignore_case: bool = False) -> dict:
    """Istio's pattern: ``*`` any, ``abc*`` prefix, ``*abc`` suffix, else exact."""
    if value == "*":
        return {"safe_regex": {"regex": ".*"}}
    out: dict
    if value.endswith("*"):
        out = {"prefix": value[:-1]}
    elif value.startswith("*"):
        out = {"suffix": value[1:]}
    else:
        out = {"exact": value}
    if ignore_case:
        out["ignore_case"] = True
    return out


def _header(name: str, value: str, ignore_case: bool = False) -> dict:
    if value == "*":
        return {"header": {"name": name, "present_match": True}}
    return {"header": {"name": name, "string_match": istio_string_match(value, ignore_case)}}


def _cidr(block: str) -> dict:
    try:
        net = ipaddress.ip_network(block, strict=False)
    except ValueError:
        net = ipaddress.ip_network("255.255.255.255/32")  # unparseable: a prefix nobody has (a check reports it)
    return {"address_prefix": str(net.network_address), "prefix_len": net.prefixlen}


def _or(items: list[dict], kind: str) -> dict:
    """``or_rules`` (permissions) or ``or_ids`` (principals) of ``items``; a single item as is."""
    if len(items) == 1:
        return items[0]
    return {"or_rules": {"rules": items}} if kind == "permission" else {"or_ids": {"ids": items}}


def _and(items: list[dict], kind: str) -> dict:
    if not items:
        return {"any": True}
    if len(items) == 1:
        return items[0]
    return {"and_rules": {"rules": items}} if kind == "permission" else {"and_ids": {"ids": items}}


def _not(item: dict, kind: str) -> dict:
    return {"not_rule": item} if kind == "permission" else {"not_id": item}


def _permission(rule: FirewallRule, http: bool, local_port) -> dict:
    parts: list[dict] = []
    if http:
        for field, negate in (("hosts", False), ("not_hosts", True)):
            values = getattr(rule, field)
            if values:
                item = _or([_header(":authority", v, ignore_case=True) for v in values], "permission")
                parts.append(_not(item, "permission") if negate else item)
        for field, negate in (("methods", False), ("not_methods", True)):
            values = getattr(rule, field)
            if values:
                item = _or([_header(":method", v) for v in values], "permission")
                parts.append(_not(item, "permission") if negate else item)
        for field, negate in (("paths", False), ("not_paths", True)):
            values = getattr(rule, field)
            if values:
                item = _or([{"any": True} if v == "*" else {"url_path": {"path": istio_string_match(v)}}
                            for v in values], "permission")
                parts.append(_not(item, "permission") if negate else item)
        for header in rule.headers or []:
            if header.values or not header.not_values:
                parts.append(_or([_header(header.name, v) for v in header.values or ["*"]], "permission"))
            if header.not_values:
                parts.append(_not(_or([_header(header.name, v) for v in header.not_values], "permission"),
                                  "permission"))
    for field, negate in (("ports", False), ("not_ports", True)):
        values = getattr(rule, field)
        if values:
            item = _or([{"destination_port": local_port(p)} for p in values], "permission")
            parts.append(_not(item, "permission") if negate else item)
    return _and(parts, "permission")


def _principal(rule: FirewallRule) -> dict:
    parts: list[dict] = []
    for field, key, negate in (("remote_ip_blocks", "remote_ip", False), ("not_remote_ip_blocks", "remote_ip", True),
                               ("ip_blocks", "direct_remote_ip", False), ("not_ip_blocks", "direct_remote_ip", True)):
        values = getattr(rule, field)
        if values:
            item = _or([{key: _cidr(v)} for v in values], "principal")
            parts.append(_not(item, "principal") if negate else item)
    return _and(parts, "principal")


def _jwt_present(issuer: str, claim: str, value: str | None = None) -> dict:
    matcher = {"present_match": True} if value is None else {"string_match": istio_string_match(value)}
    # sourced_metadata (dynamic metadata by default) replaces the deprecated Principal.metadata
    return {"sourced_metadata": {"metadata_matcher": {
        "filter": JWT_FILTER, "path": [{"key": issuer}, {"key": claim}], "value": matcher}}}


def principal_matcher(jwt: JwtAuthentication, pattern: str) -> dict:
    """Envoy principal for a request-principal pattern (``*``, ``<iss>/*``, ``<iss>/<sub>``, ``*/<sub>``)."""
    issuers = [r.issuer for r in jwt.rules]
    if not issuers:
        return {"not_id": {"any": True}}  # no provider: nobody has a principal
    if pattern == "*":
        return _or([_jwt_present(i, "iss") for i in issuers], "principal")
    issuer, _, subject = pattern.rpartition("/")
    candidates = issuers if issuer in ("", "*") else [i for i in issuers if i == issuer]
    if not candidates:
        return {"not_id": {"any": True}}
    return _or([_and([_jwt_present(i, "iss"), _jwt_present(i, "sub", None if subject in ("", "*") else subject)],
                     "principal") for i in candidates], "principal")


def policies(functions: GatewayFunctions, namespace: str, gateway_name: str, action: str, http: bool,
             local_port) -> dict[str, dict]:
    """Named RBAC policies for one action, named like istiod: ``ns[<ns>]-policy[<name>]-rule[<i>]``."""
    out: dict[str, dict] = {}
    firewall = functions.firewall
    if firewall is not None:
        suffix = "deny" if action == "DENY" else "allow"
        for i, rule in enumerate(rules_for_traffic(firewall.rules_for(action), action, http)):
            key = f"ns[{namespace}]-policy[{gateway_name}-{suffix}]-rule[{i}]"
            out[key] = {"permissions": [_permission(rule, http, local_port)], "principals": [_principal(rule)]}
    jwt = functions.jwt
    if action == "DENY" and jwt is not None and jwt.require_principal:
        # notRequestPrincipals is HTTP-only: on TCP the rule is left with no condition (denies all).
        principal: dict = {"any": True}
        permission: dict = {"any": True}
        if http:
            principal = _not(_or([principal_matcher(jwt, p) for p in jwt.required_principals], "principal"),
                             "principal")
            if jwt.paths:
                permission = _permission(FirewallRule(paths=jwt.paths), True, local_port)
        out[f"ns[{namespace}]-policy[{gateway_name}-require-jwt]-rule[0]"] = {
            "permissions": [permission], "principals": [principal]}
    return out


def rbac_filters(functions: GatewayFunctions, namespace: str, gateway_name: str, http: bool, local_port,
                 stat_prefix: str) -> list[dict]:
    """The DENY filter then the ALLOW filter (each only when it has policies; ALLOW also when the
    firewall has ALLOW rules that all dropped out, so TCP traffic is then denied as in Istio)."""
    out = []
    name, type_url = (HTTP_RBAC_FILTER, HTTP_RBAC_TYPE) if http else (NETWORK_RBAC_FILTER, NETWORK_RBAC_TYPE)
    has_allow = functions.firewall is not None and bool(functions.firewall.rules_for("ALLOW"))
    for action in ("DENY", "ALLOW"):
        named = policies(functions, namespace, gateway_name, action, http, local_port)
        if not named and not (action == "ALLOW" and has_allow):
            continue
        config: dict = {"@type": type_url, "rules": {"action": action, "policies": named}}
        if not http:
            config["stat_prefix"] = stat_prefix
        out.append({"name": name, "typed_config": config})
    return out
