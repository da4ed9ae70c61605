"""MD0730-MD0735: local rate limits and the response cache (route references, bucket values)."""

from __future__ import annotations

from ...compile.gateway_functions import ENVOY_STATUS_NAMES
from ...compile.units import duration_seconds
from ...model.function_targets import binds, envoy_route_names
from ..registry import GATEWAY_KINDS, rule
from . import functions_messages as fm
from .functions_addresses import http_servers
from .functions_firewall import HEADER_TOKEN

MIN_FILL_INTERVAL = 0.05  # Envoy's local_ratelimit rejects fill intervals under 50ms


def _bound_routes(ctx, node):
    """(vs node, index, rule) of the HTTP rules of virtual services bound to the gateway (tracked look-up)."""
    out = []
    for vs_node in sorted(ctx.binders(node), key=lambda n: (n.namespace, n.name, n.id)):
        if binds(vs_node, node):
            for i, rule_ in enumerate(vs_node.virtual_service.spec.http or []):
                out.append((vs_node, i, rule_))
    return out


def _known_refs(routes) -> set[tuple[str, str]]:
    return {(vs.virtual_service.metadata.qualified, r.name) for vs, _i, r in routes if r.name}


@rule("functions.rate_limits", codes=("MD0730", "MD0731", "MD0732"), kinds=GATEWAY_KINDS)
def rate_limits(ctx, node):
    limits = node.functions.rate_limits if node.functions is not None else None
    if not limits:
        return
    ref = node.gateway.ref
    known = _known_refs(_bound_routes(ctx, node))
    scopes: set = set()
    for i, limit in enumerate(limits):
        base = f"functions.rateLimits[{i}]"
        if limit.tokens_per_fill < 1:
            yield fm.RATE_LIMIT_INVALID.at(ref, f"{base}.tokensPerFill", field="tokensPerFill",
                                           reason=f"{limit.tokens_per_fill} is less than 1")
        if limit.max_tokens is not None and limit.max_tokens < 1:
            yield fm.RATE_LIMIT_INVALID.at(ref, f"{base}.maxTokens", field="maxTokens",
                                           reason=f"{limit.max_tokens} is less than 1")
        seconds = duration_seconds(limit.fill_interval)
        if seconds is None:
            yield fm.RATE_LIMIT_INVALID.at(ref, f"{base}.fillInterval", field="fillInterval",
                                           reason=f"{limit.fill_interval!r} is not a duration such as 1s or 500ms")
        elif seconds < MIN_FILL_INTERVAL:
            yield fm.RATE_LIMIT_INVALID.at(ref, f"{base}.fillInterval", field="fillInterval",
                                           reason=f"{limit.fill_interval} is shorter than Envoy's minimum of 50ms")
        if limit.status not in ENVOY_STATUS_NAMES:
            yield fm.RATE_LIMIT_INVALID.at(ref, f"{base}.status", field="status",
                                           reason=f"{limit.status} is not an HTTP error status Envoy defines "
                                                  "(400-417, 421-424, 426, 428, 429, 431, 500-508, 510, 511)")
        scope = None if limit.route is None else (limit.route.virtual_service, limit.route.route)
        if scope is not None and scope not in known:
            yield fm.FUNCTION_ROUTE_UNKNOWN.at(ref, f"{base}.route", function="rate limit", route=str(limit.route))
        if scope in scopes:
            yield fm.RATE_LIMIT_DUPLICATE.at(ref, base, scope="the gateway" if scope is None else str(limit.route))
        scopes.add(scope)


@rule("functions.cache", codes=("MD0731", "MD0733", "MD0734"), kinds=GATEWAY_KINDS)
def cache(ctx, node):
    cache_ = node.functions.cache if node.functions is not None else None
    if cache_ is None:
        return
    ref = node.gateway.ref
    if cache_.max_body_bytes is not None and cache_.max_body_bytes < 1:
        yield fm.CACHE_INVALID.at(ref, "functions.cache.maxBodyBytes", field="maxBodyBytes",
                                  reason=f"{cache_.max_body_bytes} is not a positive number of bytes")
    for j, header in enumerate(cache_.allowed_vary_headers or []):
        if not HEADER_TOKEN.match(header):
            yield fm.CACHE_INVALID.at(ref, f"functions.cache.allowedVaryHeaders[{j}]", field="allowedVaryHeaders",
                                      reason=f"{header!r} is not a header name")
    if cache_.routes is None:
        return
    routes = _bound_routes(ctx, node)
    known = _known_refs(routes)
    for j, route in enumerate(cache_.routes):
        if (route.virtual_service, route.route) not in known:
            yield fm.FUNCTION_ROUTE_UNKNOWN.at(ref, f"functions.cache.routes[{j}]", function="cache", route=str(route))
    unnamed = [f"{vs.virtual_service.metadata.qualified} spec.http[{i}]" for vs, i, r in routes
               if not envoy_route_names(r)]
    if unnamed:
        yield fm.CACHE_UNNAMED_ROUTES.at(ref, "functions.cache.routes", count=len(unnamed),
                                         routes=", ".join(unnamed[:3]) + (" ..." if len(unnamed) > 3 else ""))


@rule("functions.http_only", codes=("MD0735",), kinds=GATEWAY_KINDS)
def http_functions_without_http(ctx, node):
    functions = node.functions
    if functions is None or http_servers(node) or not node.gateway.spec.servers:
        return
    if functions.cache is not None:
        yield fm.HTTP_FUNCTION_ON_TCP_ONLY.at(node.gateway.ref, "functions.cache", function="the cache")
    if functions.rate_limits:
        yield fm.HTTP_FUNCTION_ON_TCP_ONLY.at(node.gateway.ref, "functions.rateLimits", function="the rate limit")
