"""Gateway functions as Istio resources, and back.

For a gateway with ``functions`` this writes, in this order, into the gateway's workload namespace
(see :func:`~meshdesigner.model.function_targets.workload_namespace`), selecting its pods by the
Gateway's ``selector`` labels:

* ``<gw>-deny`` / ``<gw>-allow``: AuthorizationPolicy DENY / ALLOW with the firewall's rules;
* ``<gw>-jwt``: RequestAuthentication with the JWT rules;
* ``<gw>-require-jwt``: AuthorizationPolicy DENY for requests without a valid principal;
* ``<gw>-ratelimit``: EnvoyFilter inserting ``envoy.filters.http.local_ratelimit`` before the router
  (gateway bucket) and merging per-route buckets into the named routes;
* ``<gw>-cache``: EnvoyFilter inserting ``envoy.filters.http.cache`` (in-memory store) before the
  router; a route-scoped cache disables it on the gateway's other named routes;
* ``<gw>-access-log``: Telemetry with ``accessLogging``.

Every manifest carries the annotations ``meshdesigner.io/gateway`` (``namespace/name``),
``meshdesigner.io/function`` and ``meshdesigner.io/design`` (the function as saved in a project
file, compact JSON). :func:`absorb_functions` uses them on import: a group of manifests becomes the
gateway's function again only when regenerating it gives exactly the imported manifests; anything
else (hand-written, edited in the cluster, gateway missing) stays a verbatim resource.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable

from ..model import GatewayNode, Project
from ..model.function_targets import TargetIndex, bound_http_routes, workload_labels, workload_namespace
from ..model.functions import (
    FirewallRule,
    GatewayFunctions,
    JwtRule,
    LocalRateLimit,
    ResponseCache,
)
from ..model.nodes import NodeBase

ANNOTATION_GATEWAY = "meshdesigner.io/gateway"
ANNOTATION_FUNCTION = "meshdesigner.io/function"
ANNOTATION_DESIGN = "meshdesigner.io/design"

SECURITY_API = "security.istio.io/v1"
ENVOYFILTER_API = "networking.istio.io/v1alpha3"
TELEMETRY_API = "telemetry.istio.io/v1"

# EnvoyFilter priorities: the rate limit is inserted before the router first, the cache after it,
# so the chain reads [..., local_ratelimit, cache, router] (a cached answer still counts).
RATELIMIT_PRIORITY = 10
CACHE_PRIORITY = 20

HCM = "envoy.filters.network.http_connection_manager"
ROUTER = "envoy.filters.http.router"
RATELIMIT_FILTER = "envoy.filters.http.local_ratelimit"
CACHE_FILTER = "envoy.filters.http.cache"
RATELIMIT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
CACHE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cache.v3.CacheConfig"
SIMPLE_CACHE_TYPE = "type.googleapis.com/envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig"
FILTER_CONFIG_TYPE = "type.googleapis.com/envoy.config.route.v3.FilterConfig"

# HTTP error status -> Envoy's HttpStatus enum name (envoy.type.v3.StatusCode: the 4xx/5xx values it defines,
# checked against Envoy 1.40 with ``envoy --mode validate``); the local rate limit's ``status.code``.
ENVOY_STATUS_NAMES = {
    400: "BadRequest", 401: "Unauthorized", 402: "PaymentRequired", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 407: "ProxyAuthenticationRequired", 408: "RequestTimeout",
    409: "Conflict", 410: "Gone", 411: "LengthRequired", 412: "PreconditionFailed", 413: "PayloadTooLarge",
    414: "URITooLong", 415: "UnsupportedMediaType", 416: "RangeNotSatisfiable", 417: "ExpectationFailed",
    421: "MisdirectedRequest", 422: "UnprocessableEntity", 423: "Locked", 424: "FailedDependency",
    426: "UpgradeRequired", 428: "PreconditionRequired", 429: "TooManyRequests", 431: "RequestHeaderFieldsTooLarge",
    500: "InternalServerError", 501: "NotImplemented", 502: "BadGateway", 503: "ServiceUnavailable",
    504: "GatewayTimeout", 505: "HTTPVersionNotSupported", 506: "VariantAlsoNegotiates", 507: "InsufficientStorage",
    508: "LoopDetected", 510: "NotExtended", 511: "NetworkAuthenticationRequired",
}

FUNCTION_NAMES = ("firewall", "jwt", "rate-limit", "cache", "access-log")


# ----- pieces shared with the Envoy export -------------------------------------------------------

def jwks_text(rule: JwtRule) -> str | None:
    """The JWKS document of a rule: inline, or read from ``jwks_file`` (None if unreadable)."""
    if rule.jwks is not None:
        return rule.jwks
    if rule.jwks_file:
        try:
            return pathlib.Path(rule.jwks_file).read_text(encoding="utf-8")
        except OSError:
            return None
    return None


def rules_for_traffic(rules: list[FirewallRule], action: str, http: bool) -> list[FirewallRule]:
    """The rules that take part for this traffic: TCP drops ALLOW rules with HTTP-only conditions
    and strips those conditions from DENY rules."""
    if http:
        return rules
    out = []
    for rule in rules:
        http_only = rule.http_only_fields
        if not http_only:
            out.append(rule)
        elif action == "DENY":
            out.append(rule.model_copy(update={f: None for f in http_only}))
    return out


def envoy_status(code: int) -> str | int:
    """Envoy's HttpStatus enum name for ``code`` (429 -> ``TooManyRequests``); a status Envoy does not
    define stays a number (Envoy rejects it, and check MD0730 says so before any export)."""
    return ENVOY_STATUS_NAMES.get(code, code)


def ratelimit_config(limit: LocalRateLimit | None, stat_prefix: str) -> dict:
    """An Envoy LocalRateLimit config (without ``@type``); ``None`` gives the pass-through filter
    that per-route buckets need."""
    config: dict = {"stat_prefix": stat_prefix}
    if limit is None:
        return config
    config["token_bucket"] = {"max_tokens": limit.burst, "tokens_per_fill": limit.tokens_per_fill,
                              "fill_interval": limit.fill_interval}
    full = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}
    config["filter_enabled"] = {"runtime_key": "local_rate_limit_enabled", **full}
    config["filter_enforced"] = {"runtime_key": "local_rate_limit_enforced", **full}
    config["status"] = {"code": envoy_status(limit.status)}
    return config


def cache_config(cache: ResponseCache) -> dict:
    """An Envoy CacheConfig (without the outer ``@type``)."""
    config: dict = {"typed_config": {"@type": SIMPLE_CACHE_TYPE}}
    if cache.allowed_vary_headers:
        config["allowed_vary_headers"] = [{"exact": h.lower()} for h in cache.allowed_vary_headers]
    if cache.max_body_bytes is not None:
        config["max_body_bytes"] = cache.max_body_bytes
    if cache.ignore_request_cache_control:
        config["ignore_request_cache_control_header"] = True
    return config


def uncached_route_names(nodes: Iterable[NodeBase] | TargetIndex, node: GatewayNode, cache: ResponseCache) -> list[str]:
    """Envoy route names of the gateway's routes a route-scoped cache must switch off."""
    if cache.routes is None:
        return []
    chosen = set(cache.routes)
    names = set()
    for bound in bound_http_routes(nodes, node):
        if bound.ref not in chosen:
            names.update(bound.envoy_names)
    return sorted(names)


# ----- export ------------------------------------------------------------------------------------

def _metadata(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, suffix: str, function: str,
              design: GatewayFunctions) -> dict:
    body = design.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {
        "name": f"{node.gateway.name}-{suffix}",
        "namespace": workload_namespace(node, nodes),
        "annotations": {
            ANNOTATION_DESIGN: json.dumps(body, sort_keys=True, separators=(",", ":")),
            ANNOTATION_FUNCTION: function,
            ANNOTATION_GATEWAY: node.gateway.metadata.qualified,
        },
    }


def _design(functions: GatewayFunctions, **part) -> GatewayFunctions:
    """The slice of ``functions`` one group of manifests stands for (recorded in its annotation)."""
    return GatewayFunctions(workload_namespace=functions.workload_namespace, **part)


def _rule(rule: FirewallRule) -> dict:
    source = {}
    for field, key in (("remote_ip_blocks", "remoteIpBlocks"), ("not_remote_ip_blocks", "notRemoteIpBlocks"),
                       ("ip_blocks", "ipBlocks"), ("not_ip_blocks", "notIpBlocks")):
        if getattr(rule, field):
            source[key] = list(getattr(rule, field))
    operation = {}
    for field, key in (("hosts", "hosts"), ("not_hosts", "notHosts"), ("methods", "methods"),
                       ("not_methods", "notMethods"), ("paths", "paths"), ("not_paths", "notPaths")):
        if getattr(rule, field):
            operation[key] = list(getattr(rule, field))
    for field, key in (("ports", "ports"), ("not_ports", "notPorts")):
        if getattr(rule, field):
            operation[key] = [str(p) for p in getattr(rule, field)]
    out: dict = {}
    if source:
        out["from"] = [{"source": source}]
    if operation:
        out["to"] = [{"operation": operation}]
    when = []
    for header in rule.headers or []:
        condition: dict = {"key": f"request.headers[{header.name}]"}
        if header.values:
            condition["values"] = list(header.values)
        if header.not_values:
            condition["notValues"] = list(header.not_values)
        if "values" not in condition and "notValues" not in condition:
            condition["values"] = ["*"]  # Istio needs one of them; "*" = the header is present
        when.append(condition)
    if when:
        out["when"] = when
    return out


def _authorization_policy(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, suffix: str, function: str, design: GatewayFunctions,
                          action: str, rules: list[dict]) -> dict:
    return {
        "apiVersion": SECURITY_API, "kind": "AuthorizationPolicy",
        "metadata": _metadata(nodes, node, suffix, function, design),
        "spec": {"selector": {"matchLabels": workload_labels(node)}, "action": action, "rules": rules},
    }


def firewall_manifests(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, functions: GatewayFunctions) -> list[dict]:
    firewall = functions.firewall
    if firewall is None or not firewall.rules:
        return []
    design = _design(functions, firewall=firewall)
    out = []
    for action, suffix in (("DENY", "deny"), ("ALLOW", "allow")):
        rules = [_rule(r) for r in firewall.rules_for(action)]
        if rules:
            out.append(_authorization_policy(nodes, node, suffix, "firewall", design, action, rules))
    return out


def _jwt_rule(rule: JwtRule) -> dict:
    out: dict = {"issuer": rule.issuer}
    if rule.audiences:
        out["audiences"] = list(rule.audiences)
    jwks = jwks_text(rule)
    if jwks is not None:
        out["jwks"] = jwks
    elif rule.jwks_uri:
        out["jwksUri"] = rule.jwks_uri
    if rule.from_headers:
        out["fromHeaders"] = [{"name": h.name, **({"prefix": h.prefix} if h.prefix is not None else {})}
                              for h in rule.from_headers]
    if rule.from_params:
        out["fromParams"] = list(rule.from_params)
    if rule.forward_original_token is not None:
        out["forwardOriginalToken"] = rule.forward_original_token
    if rule.output_payload_to_header:
        out["outputPayloadToHeader"] = rule.output_payload_to_header
    return out


def jwt_manifests(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, functions: GatewayFunctions) -> list[dict]:
    jwt = functions.jwt
    if jwt is None or not (jwt.rules or jwt.require_principal):
        return []
    design = _design(functions, jwt=jwt)
    out = []
    if jwt.rules:
        out.append({
            "apiVersion": SECURITY_API, "kind": "RequestAuthentication",
            "metadata": _metadata(nodes, node, "jwt", "jwt", design),
            "spec": {"selector": {"matchLabels": workload_labels(node)},
                     "jwtRules": [_jwt_rule(r) for r in jwt.rules]},
        })
    if jwt.require_principal:
        rule: dict = {"from": [{"source": {"notRequestPrincipals": jwt.required_principals}}]}
        if jwt.paths:
            rule["to"] = [{"operation": {"paths": list(jwt.paths)}}]
        rules = [rule]
        out.append(_authorization_policy(nodes, node, "require-jwt", "jwt", design, "DENY", rules))
    return out


def _http_filter_patch(name: str, typed_config: dict) -> dict:
    return {
        "applyTo": "HTTP_FILTER",
        "match": {"context": "GATEWAY",
                  "listener": {"filterChain": {"filter": {"name": HCM, "subFilter": {"name": ROUTER}}}}},
        "patch": {"operation": "INSERT_BEFORE", "value": {"name": name, "typed_config": typed_config}},
    }


def _route_patch(route_name: str, filter_name: str, config: dict) -> dict:
    return {
        "applyTo": "HTTP_ROUTE",
        "match": {"context": "GATEWAY", "routeConfiguration": {"vhost": {"route": {"name": route_name}}}},
        "patch": {"operation": "MERGE", "value": {"typed_per_filter_config": {filter_name: config}}},
    }


def _envoy_filter(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, suffix: str, function: str, design: GatewayFunctions, priority: int,
                  patches: list[dict]) -> dict:
    return {
        "apiVersion": ENVOYFILTER_API, "kind": "EnvoyFilter",
        "metadata": _metadata(nodes, node, suffix, function, design),
        "spec": {"workloadSelector": {"labels": workload_labels(node)}, "priority": priority,
                 "configPatches": patches},
    }


def ratelimit_manifests(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, functions: GatewayFunctions) -> list[dict]:
    if not functions.rate_limits:
        return []
    design = _design(functions, rate_limits=functions.rate_limits)
    prefix = "http_local_rate_limiter"
    patches = [_http_filter_patch(RATELIMIT_FILTER, {"@type": RATELIMIT_TYPE,
                                                     **ratelimit_config(functions.gateway_rate_limit(), prefix)})]
    routes = {bound.ref: bound for bound in bound_http_routes(nodes, node) if bound.ref is not None}
    for limit in functions.route_rate_limits():
        bound = routes.get(limit.route)
        for name in bound.envoy_names if bound else [limit.route.route]:
            patches.append(_route_patch(name, RATELIMIT_FILTER,
                                        {"@type": RATELIMIT_TYPE, **ratelimit_config(limit, prefix)}))
    return [_envoy_filter(nodes, node, "ratelimit", "rate-limit", design, RATELIMIT_PRIORITY, patches)]


def cache_manifests(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, functions: GatewayFunctions) -> list[dict]:
    cache = functions.cache
    if cache is None:
        return []
    design = _design(functions, cache=cache)
    patches = [_http_filter_patch(CACHE_FILTER, {"@type": CACHE_TYPE, **cache_config(cache)})]
    for name in uncached_route_names(nodes, node, cache):
        patches.append(_route_patch(name, CACHE_FILTER, {"@type": FILTER_CONFIG_TYPE, "disabled": True}))
    return [_envoy_filter(nodes, node, "cache", "cache", design, CACHE_PRIORITY, patches)]


def access_log_manifests(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, functions: GatewayFunctions) -> list[dict]:
    log = functions.access_log
    if log is None:
        return []
    design = _design(functions, access_log=log)
    logging: dict = {"providers": [{"name": log.provider}]}
    if log.filter:
        logging["filter"] = {"expression": log.filter}
    if log.disabled:
        logging["disabled"] = True
    return [{
        "apiVersion": TELEMETRY_API, "kind": "Telemetry",
        "metadata": _metadata(nodes, node, "access-log", "access-log", design),
        "spec": {"selector": {"matchLabels": workload_labels(node)}, "accessLogging": [logging]},
    }]


def gateway_function_manifests(nodes: Iterable[NodeBase] | TargetIndex, node: GatewayNode) -> list[dict]:
    """The Istio resources for one gateway's functions (none if it has none or no selector:
    a policy without a selector would apply to every workload of the namespace)."""
    functions = node.functions
    if functions is None or not workload_labels(node):
        return []
    index = nodes if isinstance(nodes, TargetIndex) else TargetIndex(nodes)
    return (firewall_manifests(index, node, functions) + jwt_manifests(index, node, functions)
            + ratelimit_manifests(index, node, functions) + cache_manifests(index, node, functions)
            + access_log_manifests(index, node, functions))


def generated_names(node: GatewayNode) -> list[tuple[str, str]]:
    """(kind, name) of the resources :func:`gateway_function_manifests` writes for ``node``, cheaply."""
    functions = node.functions
    if functions is None or not workload_labels(node):
        return []
    gw = node.gateway.name
    out = []
    if functions.firewall is not None:
        out += [("AuthorizationPolicy", f"{gw}-{suffix}") for action, suffix in (("DENY", "deny"), ("ALLOW", "allow"))
                if functions.firewall.rules_for(action)]
    if functions.jwt is not None:
        if functions.jwt.rules:
            out.append(("RequestAuthentication", f"{gw}-jwt"))
        if functions.jwt.require_principal:
            out.append(("AuthorizationPolicy", f"{gw}-require-jwt"))
    if functions.rate_limits:
        out.append(("EnvoyFilter", f"{gw}-ratelimit"))
    if functions.cache is not None:
        out.append(("EnvoyFilter", f"{gw}-cache"))
    if functions.access_log is not None:
        out.append(("Telemetry", f"{gw}-access-log"))
    return out


def function_manifests(project: Project) -> list[dict]:
    """Every gateway function manifest of the project, gateways ordered by namespace and name."""
    gateways = [g for g in project.gateways() if g.functions is not None]
    if not gateways:
        return []
    index = TargetIndex(project)
    gateways.sort(key=lambda n: (n.gateway.namespace, n.gateway.name, n.id))
    return [m for gw in gateways for m in gateway_function_manifests(index, gw)]


# ----- import ------------------------------------------------------------------------------------

def _canonical(manifest: dict) -> str:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"))


def _generated_group(nodes: list[NodeBase] | TargetIndex, node: GatewayNode, function: str) -> list[dict]:
    functions = node.functions or GatewayFunctions()
    if function == "firewall":
        return firewall_manifests(nodes, node, functions)
    if function == "jwt":
        return jwt_manifests(nodes, node, functions)
    if function == "rate-limit":
        return ratelimit_manifests(nodes, node, functions)
    if function == "cache":
        return cache_manifests(nodes, node, functions)
    return access_log_manifests(nodes, node, functions)


def _merge(base: GatewayFunctions | None, part: GatewayFunctions, function: str) -> GatewayFunctions:
    field = {"firewall": "firewall", "jwt": "jwt", "rate-limit": "rate_limits", "cache": "cache",
             "access-log": "access_log"}[function]
    base = base or GatewayFunctions()
    update = {field: getattr(part, field)}
    if part.workload_namespace is not None:
        update["workload_namespace"] = part.workload_namespace
    return base.model_copy(update=update)


def absorb_functions(project: Project) -> list[str]:
    """Turn the verbatim resources this module generated back into gateway functions.

    A group (one gateway, one function) is absorbed only if regenerating it from its recorded design
    gives back exactly the imported manifests; otherwise it stays verbatim. Returns the absorbed
    resources as ``Kind namespace/name``."""
    extras = project.extra_resources
    groups: dict[tuple[str, str], list[int]] = {}
    for i, manifest in enumerate(extras):
        annotations = (manifest.get("metadata") or {}).get("annotations") or {}
        gateway, function = annotations.get(ANNOTATION_GATEWAY), annotations.get(ANNOTATION_FUNCTION)
        if isinstance(gateway, str) and function in FUNCTION_NAMES and ANNOTATION_DESIGN in annotations:
            groups.setdefault((gateway, function), []).append(i)
    if not groups:
        return []
    by_ref = {gw.gateway.metadata.qualified: gw for gw in project.gateways()}
    nodes = TargetIndex(project)  # absorbing changes gateways only; the routes and services it indexes stay
    absorbed: set[int] = set()
    for (gateway, function), indexes in sorted(groups.items()):
        node = by_ref.get(gateway)
        if node is None:
            continue
        node = project.node(node.id)  # the latest version: earlier groups may have replaced it
        designs = {extras[i]["metadata"]["annotations"][ANNOTATION_DESIGN] for i in indexes}
        if len(designs) != 1:
            continue
        try:
            part = GatewayFunctions.model_validate(json.loads(designs.pop()))
        except ValueError:
            continue
        imported = sorted(_canonical(extras[i]) for i in indexes)
        candidate = node.model_copy(update={"functions": _merge(node.functions, part, function)})
        if sorted(_canonical(m) for m in _generated_group(nodes, candidate, function)) == imported:
            project.replace_node(candidate)
            absorbed.update(indexes)
    if absorbed:
        project.set_extra_resources([m for i, m in enumerate(extras) if i not in absorbed])
    return [f"{extras[i]['kind']} {extras[i]['metadata'].get('namespace')}/{extras[i]['metadata']['name']}"
            for i in sorted(absorbed)]
