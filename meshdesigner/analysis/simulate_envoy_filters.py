"""The local rate limit and response cache EnvoyFilters of a gateway in the request simulator.

Whoever wrote them (hand-written YAML, a migrated project, the app's Functions section), the
EnvoyFilters applying to the gateway's workload (``WorkloadPlan.security``, compiled once per workload,
in istiod's order) are read by shape through :mod:`meshdesigner.model.functions_view`:

* ``envoy_filters_route`` (before ``action``): the rate-limit bucket in force on the matched route
  (a per-route ``typed_per_filter_config`` replaces the filter's own bucket, as Envoy's
  ``local_ratelimit`` does) and whether the cache filter looks the response up (GET/HEAD, not switched
  off on the route by ``FilterConfig{disabled}``). A single request never exceeds a bucket.

:func:`simulate_sequence` follows several requests sent within one fill interval: each bucket lets
``max_tokens`` requests through and answers the rest with its status; a repeated cacheable GET of the
same host and path is a cache hit. Results carry ``result.functions`` (``rate_limit``, ``cache``).

EnvoyFilters of other shapes still change the exported Envoy config (:mod:`meshdesigner.export.envoy.
envoyfilter`); the simulator does not follow them (MD0905 reports a patch that places nowhere).
"""

from __future__ import annotations

from dataclasses import replace

from ..model.functions_view import Bucket, cache_settings, rate_limit_buckets
from .simulate import Request, SimulationContext, SimulationResult, add_step, resolve_gateway, simulate


def _bucket_in_force(buckets: list[Bucket], route: str | None, vhost: str | None) -> Bucket | None:
    """The route's own bucket, else its virtual host's, else the filter's (Envoy's per-route config)."""
    for wanted in (lambda b: route is not None and b.route == route,
                   lambda b: vhost is not None and b.vhost == vhost and b.route is None,
                   lambda b: b.route is None and b.vhost is None):
        found = next((b for b in buckets if wanted(b)), None)
        if found is not None:
            return found
    return None


def step_envoy_filters_route(ctx: SimulationContext) -> str | None:
    project = getattr(ctx, "project", None)
    plan = getattr(ctx.plan, "security", None)
    if project is None or plan is None or not plan.envoy_filters or ctx.route is None:
        return None
    route = ctx.route.plan.name
    vhost = ctx.vhost.plan.name if ctx.vhost is not None else None
    method = ctx.http.headers.get(":method")
    for ef in plan.envoy_filters:
        buckets = rate_limit_buckets(ef)
        bucket = _bucket_in_force(buckets, route, vhost) if buckets else None
        if bucket is not None and "rate_limit" not in ctx.result.functions:
            scope = f"{ef.ref} ({bucket.scope})"
            ctx.result.functions["rate_limit"] = {
                "bucket": scope, "tokens_per_fill": bucket.tokens_per_fill, "fill_interval": bucket.fill_interval,
                "burst": bucket.max_tokens, "status": bucket.status, "enforced_percent": bucket.enforced_percent}
            enforced = "" if bucket.enforced_percent >= 100 else \
                f" It is enforced on {bucket.enforced_percent:g}% of requests only (filter_enforced)."
            ctx.explain(f"Rate limit of EnvoyFilter {ef.namespace}/{ef.name} ({bucket.scope} bucket): "
                        f"{bucket.tokens_per_fill} per {bucket.fill_interval}, bursts up to {bucket.max_tokens}; "
                        f"over that Envoy answers {bucket.status}.{enforced}")
        cache = cache_settings(ef)
        if cache is not None and "cache" not in ctx.result.functions:
            covered = route not in cache.uncached_routes
            lookup = covered and method in ("GET", "HEAD")
            ctx.result.functions["cache"] = {"covered": covered, "lookup": lookup, "filter": str(ef.ref)}
            if lookup:
                ctx.explain(f"Cache (EnvoyFilter {ef.namespace}/{ef.name}): Envoy looks the response up first and "
                            "keeps it if the backend's Cache-Control allows it.")
            elif covered:
                ctx.explain(f"Cache: {method} requests are not cached.")
            else:
                ctx.explain(f"Cache: switched off on route {route} by EnvoyFilter {ef.namespace}/{ef.name}.")
    return None


add_step("envoy_filters_route", step_envoy_filters_route, before="action")


def simulate_sequence(project, gateway_ref, requests: list[Request]) -> list[SimulationResult]:
    """Simulate requests sent one after another within one fill interval: each rate-limit bucket lets
    ``burst`` requests through and answers the rest with its status; a repeated cacheable GET of the
    same host and path is a cache hit when the first answer was cacheable (the design cannot know the
    backend's Cache-Control, so ``cache.hit`` is "if the backend allowed caching")."""
    gateway = resolve_gateway(project, gateway_ref)
    used: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    out = []
    for request in requests:
        result = simulate(project, gateway, request)
        limit = result.functions.get("rate_limit")
        if limit is not None and limit["enforced_percent"] >= 100 and result.outcome not in (
                "denied", "no_listener", "tls_no_match"):
            key = limit["bucket"]
            used[key] = used.get(key, 0) + 1
            if used[key] > limit["burst"]:
                result = replace(result, outcome="denied", status=limit["status"],
                                 functions={**result.functions, "rate_limit": {**limit, "exceeded": True}},
                                 explanation=[*result.explanation,
                                              f"Request {used[key]} in this interval exceeds the burst of "
                                              f"{limit['burst']} of {key}: Envoy answers {limit['status']} "
                                              "(local_rate_limited)."])
                out.append(result)
                continue
        cache = result.functions.get("cache")
        if cache is not None and cache["lookup"] and result.outcome == "routed":
            key = (request.headers.get("Host") or request.headers.get("host") or "", request.url.split("://")[-1])
            hit = key in seen
            seen.add(key)
            result = replace(result, functions={**result.functions, "cache": {**cache, "hit": hit}})
            if hit:
                result.explanation.append("Cache: the same GET was answered before; Envoy serves the stored "
                                          "response (if the backend allowed caching) without asking the backend.")
        out.append(result)
    return out
