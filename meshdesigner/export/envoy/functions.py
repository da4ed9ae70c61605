"""Gateway functions in the standalone Envoy config, through the exporter's hooks.

Registered when :mod:`meshdesigner.export.envoy` is imported:

* HTTP filters, in this order before CORS, fault and the router: ``jwt_authn`` (inline JWKS or a
  local file; a present but invalid token is answered 401, a missing one passes on), RBAC DENY
  (firewall DENY rules and the "require a principal" policy, answered 403), RBAC ALLOW (when the
  firewall has ALLOW rules), ``local_ratelimit`` (the gateway bucket, or a pass-through filter when
  only routes have buckets), ``cache`` (in-memory store);
* network RBAC before the tcp_proxy of TCP, TLS-terminated and passthrough servers;
* per route: the route's own rate limit bucket, and ``FilterConfig{disabled}`` for the cache on the
  routes a route-scoped cache does not cover;
* ``access_log`` on the connection manager (and tcp_proxy) when the gateway has an access log.

Istio's equivalents are in :mod:`meshdesigner.compile.gateway_functions`; both read the same model.
"""

from __future__ import annotations

from ...compile.gateway_functions import (
    CACHE_FILTER,
    CACHE_TYPE,
    FILTER_CONFIG_TYPE,
    RATELIMIT_FILTER,
    RATELIMIT_TYPE,
    cache_config,
    ratelimit_config,
)
from ...model.function_targets import workload_namespace
from ...model.functions import GatewayFunctions, JwtAuthentication, JwtRule
from ...model.gateway import HTTP_PROTOCOLS, Server
from ...model.nodes import GatewayNode
from .functions_rbac import JWT_FILTER, rbac_filters
from .hooks import (
    http_filter_contributor,
    network_filter_contributor,
    route_config_contributor,
    terminal_config_contributor,
)

JWT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
FILE_LOG_TYPE = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"
CEL_FILTER_TYPE = "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"
RATELIMIT_STAT_PREFIX = "http_local_rate_limiter"

# Istio's default text access log format (meshConfig accessLogFormat unset).
ISTIO_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    "%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% '
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"
)


def is_http_server(server: Server) -> bool:
    """Whether the gateway answers this server with an HTTP connection manager."""
    return server.protocol in HTTP_PROTOCOLS or (server.protocol == "HTTPS" and server.terminates_tls)


def _functions(gateway: GatewayNode) -> GatewayFunctions | None:
    functions = getattr(gateway, "functions", None)
    return functions if functions is not None and not functions.is_empty() else None


def provider_name(index: int) -> str:
    """jwt_authn provider names follow the rule's position (``origins-0``...)."""
    return f"origins-{index}"


def jwt_provider(rule: JwtRule, options) -> dict | None:
    """One jwt_authn provider; None when its keys are only at a URL (not fetched standalone)."""
    provider: dict = {"issuer": rule.issuer}
    if rule.audiences:
        provider["audiences"] = list(rule.audiences)
    if rule.jwks is not None:
        provider["local_jwks"] = {"inline_string": rule.jwks}
    elif rule.jwks_file:
        provider["local_jwks"] = {"filename": options.file_path(rule.jwks_file) if options else rule.jwks_file}
    else:
        return None
    if rule.from_headers:
        provider["from_headers"] = [{"name": h.name, **({"value_prefix": h.prefix} if h.prefix else {})}
                                    for h in rule.from_headers]
    if rule.from_params:
        provider["from_params"] = list(rule.from_params)
    provider["forward"] = bool(rule.forward_original_token)
    if rule.output_payload_to_header:
        provider["forward_payload_header"] = rule.output_payload_to_header
    provider["payload_in_metadata"] = rule.issuer
    return provider


def jwt_authn_filter(jwt: JwtAuthentication, options) -> dict | None:
    """Istio's shape: any configured provider, or no token at all (``allow_missing``)."""
    providers = {}
    for i, rule in enumerate(jwt.rules):
        provider = jwt_provider(rule, options)
        if provider is not None:
            providers[provider_name(i)] = provider
    if not providers:
        return None
    requirements = [{"provider_name": name} for name in providers] + [{"allow_missing": {}}]
    return {"name": JWT_FILTER, "typed_config": {
        "@type": JWT_TYPE, "providers": providers,
        "rules": [{"match": {"prefix": "/"}, "requires": {"requires_any": {"requirements": requirements}}}],
    }}


@http_filter_contributor
def function_http_filters(project, gateway, server, options) -> list[dict]:
    """jwt_authn, RBAC DENY/ALLOW, local_ratelimit and cache for an HTTP chain of ``gateway``."""
    functions = _functions(gateway)
    if functions is None or not gateway.gateway.spec.selector:
        return []
    out: list[dict] = []
    if functions.jwt is not None:
        authn = jwt_authn_filter(functions.jwt, options)
        if authn is not None:
            out.append(authn)
    out += rbac_filters(functions, workload_namespace(gateway, project), gateway.gateway.name, True,
                        options.local_port, "")
    if functions.rate_limits:
        out.append({"name": RATELIMIT_FILTER, "typed_config": {
            "@type": RATELIMIT_TYPE, **ratelimit_config(functions.gateway_rate_limit(), RATELIMIT_STAT_PREFIX)}})
    if functions.cache is not None:
        out.append({"name": CACHE_FILTER, "typed_config": {"@type": CACHE_TYPE, **cache_config(functions.cache)}})
    return out


@network_filter_contributor
def function_network_filters(project, gateway, server, options) -> list[dict]:
    """Network RBAC for a chain that is not HTTP (TCP, TLS terminated, passthrough)."""
    functions = _functions(gateway)
    if functions is None or is_http_server(server) or not gateway.gateway.spec.selector:
        return []
    return rbac_filters(functions, workload_namespace(gateway, project), gateway.gateway.name, False,
                        options.local_port, f"tcp.{gateway.gateway.name}.")


def _route_matches(route_plan, ref) -> bool:
    return route_plan.vs_ref == ref.virtual_service and route_plan.rule.name == ref.route


@route_config_contributor
def function_route_config(project, gateway, route_plan, options) -> dict:
    """A route's own rate-limit bucket; the cache switched off outside a route-scoped cache."""
    functions = _functions(gateway)
    if functions is None or not gateway.gateway.spec.selector:
        return {}
    out: dict = {}
    for limit in functions.route_rate_limits():
        if _route_matches(route_plan, limit.route):
            out[RATELIMIT_FILTER] = {"@type": RATELIMIT_TYPE, **ratelimit_config(limit, RATELIMIT_STAT_PREFIX)}
            break
    cache = functions.cache
    if cache is not None and cache.routes is not None and not any(_route_matches(route_plan, r) for r in cache.routes):
        out[CACHE_FILTER] = {"@type": FILTER_CONFIG_TYPE, "disabled": True}
    return out


@terminal_config_contributor
def function_access_log(project, gateway, server, options) -> dict:
    """``access_log`` for the connection manager / tcp_proxy: a file log in Istio's default format."""
    functions = _functions(gateway)
    log = functions.access_log if functions is not None else None
    if log is None or log.disabled:
        return {}
    logger: dict = {"name": "envoy.access_loggers.file", "typed_config": {
        "@type": FILE_LOG_TYPE, "path": log.path,
        "log_format": {"text_format_source": {"inline_string": ISTIO_LOG_FORMAT}}}}
    if log.filter:
        logger["filter"] = {"extension_filter": {"name": "envoy.access_loggers.extension_filters.cel",
                                                 "typed_config": {"@type": CEL_FILTER_TYPE,
                                                                  "expression": log.filter}}}
    return {"access_log": [logger]}


__all__ = ["function_access_log", "function_http_filters", "function_network_filters", "function_route_config",
           "jwt_authn_filter"]
