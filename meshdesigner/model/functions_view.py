"""Gateway functions: a friendly view over the real Istio resources that apply to a gateway workload.

There is no separate "functions" model. A gateway's rate limit *is* an EnvoyFilter, its JWT check *is*
a RequestAuthentication, its IP deny list *is* an AuthorizationPolicy, whoever wrote them (imported
hand-written YAML, a migrated project, or the app). This module recognises resources by their SHAPE
(never by annotations or names) and builds or edits them from a few fields:

* :func:`functions_of` lists what applies to a gateway's workload (istiod's attachment rules, see
  :mod:`.policy_attach`), each as a :class:`GatewayFunction` with a ``kind`` (``KINDS``), a title and a
  one-line summary;
* ``new_*`` build a resource selecting the gateway's pods (names from :func:`free_name`);
* ``set_*`` return an edited copy of a resource: same name, namespace, apiVersion, every field they do
  not edit kept verbatim (unknown ones included), so a hand-written resource edited here is written
  back as the same resource.

Everything returns new frozen resources; the caller replaces the old one in the project
(``project.replace_policy(old.ref, new)``, one undo step in the GUI). Qt-free.

Shapes recognised (Istio's own documentation writes them this way):

* ``rate-limit``: an EnvoyFilter whose patches are all ``HTTP_FILTER`` inserts of
  ``envoy.filters.http.local_ratelimit`` or ``HTTP_ROUTE``/``VIRTUAL_HOST`` MERGEs of its
  ``typed_per_filter_config`` (Istio's "Enabling Rate Limits using Envoy" task, local rate limit;
  the config direct or wrapped in a ``TypedStruct``);
* ``cache``: the same with ``envoy.filters.http.cache`` (per-route ``FilterConfig`` switches it off);
* ``jwt``: a RequestAuthentication;
* ``require-jwt``: a DENY AuthorizationPolicy whose rules only say ``notRequestPrincipals`` (and
  optionally ``to.operation.paths``): "deny requests without a valid token" from Istio's JWT task;
* ``ip-deny`` / ``ip-allow``: a DENY / ALLOW AuthorizationPolicy whose rules only list ``ipBlocks`` or
  ``remoteIpBlocks`` (one field for every rule);
* ``deny`` / ``allow`` / ``audit`` / ``custom``: any other AuthorizationPolicy (edited rule by rule);
* ``access-log``: a Telemetry with ``accessLogging``; ``telemetry`` any other Telemetry;
* ``mtls``: a PeerAuthentication; ``envoy-filter``: any other EnvoyFilter (edited as YAML).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .function_targets import TargetIndex, workload_labels, workload_namespace
from .nodes import GatewayNode
from .policy_attach import attachment_scope, policies_for_workload
from .security import (
    AuthorizationPolicy,
    EnvoyFilter,
    JWTRule,
    PeerAuthentication,
    PolicyResource,
    RequestAuthentication,
    Telemetry,
    policy_from_manifest,
)

RATE_LIMIT, CACHE, JWT, REQUIRE_JWT = "rate-limit", "cache", "jwt", "require-jwt"
IP_DENY, IP_ALLOW, DENY, ALLOW, AUDIT, CUSTOM = "ip-deny", "ip-allow", "deny", "allow", "audit", "custom"
ACCESS_LOG, TELEMETRY, MTLS, ENVOY_FILTER = "access-log", "telemetry", "mtls", "envoy-filter"
KINDS = (IP_DENY, IP_ALLOW, DENY, ALLOW, AUDIT, CUSTOM, JWT, REQUIRE_JWT, RATE_LIMIT, CACHE, ACCESS_LOG,
         TELEMETRY, MTLS, ENVOY_FILTER)
TITLES = {
    RATE_LIMIT: "Rate limit", CACHE: "Response cache", JWT: "JWT authentication",
    REQUIRE_JWT: "Require a valid token", IP_DENY: "IP deny list", IP_ALLOW: "IP allow list",
    DENY: "Deny rules", ALLOW: "Allow rules", AUDIT: "Audit rules", CUSTOM: "External authorization",
    ACCESS_LOG: "Access log", TELEMETRY: "Telemetry", MTLS: "Peer authentication (mTLS)",
    ENVOY_FILTER: "EnvoyFilter",
}
# The name suffix of a new resource of each kind (``<gateway>-<suffix>``).
NAME_SUFFIXES = {RATE_LIMIT: "ratelimit", CACHE: "cache", JWT: "jwt", REQUIRE_JWT: "require-jwt",
                 IP_DENY: "deny", IP_ALLOW: "allow", DENY: "deny", ALLOW: "allow", ACCESS_LOG: "access-log"}

HCM = "envoy.filters.network.http_connection_manager"
ROUTER = "envoy.filters.http.router"
RATELIMIT_FILTER = "envoy.filters.http.local_ratelimit"
CACHE_FILTER = "envoy.filters.http.cache"
RATELIMIT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
CACHE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cache.v3.CacheConfig"
SIMPLE_CACHE_TYPE = "type.googleapis.com/envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig"
FILTER_CONFIG_TYPE = "type.googleapis.com/envoy.config.route.v3.FilterConfig"
TYPED_STRUCT_TYPES = ("type.googleapis.com/udpa.type.v1.TypedStruct", "type.googleapis.com/xds.type.v3.TypedStruct")
RATELIMIT_STAT_PREFIX = "http_local_rate_limiter"
GATEWAY_CONTEXTS = (None, "ANY", "GATEWAY")
# EnvoyFilter priorities of new filters: the rate limit is inserted before the router first, the cache
# after it, so the chain reads [..., local_ratelimit, cache, router] (a cached answer still counts).
RATELIMIT_PRIORITY, CACHE_PRIORITY = 10, 20

# HTTP error status -> Envoy's HttpStatus enum name (envoy.type.v3.StatusCode, checked against Envoy
# 1.40 with ``envoy --mode validate``): the local rate limit's ``status.code``.
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
_STATUS_CODES = {name: code for code, name in ENVOY_STATUS_NAMES.items()}
DEFAULT_LIMIT_STATUS = 429  # Envoy's local rate limit answers 429 when ``status`` is unset


@dataclass(frozen=True)
class GatewayFunction:
    """One resource applying to a gateway's workload, as the Functions section shows it."""

    kind: str
    resource: PolicyResource
    scope: str          # how it attaches: "selector", "namespace-wide", "mesh-wide", "targetRef"

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def summary(self) -> str:
        return summary(self.kind, self.resource)


# ----- the view ------------------------------------------------------------------------------------

def gateway_workload(project, node: GatewayNode, index: TargetIndex | None = None) -> tuple[str, dict[str, str]]:
    """(namespace, labels) of the gateway's pods: where its policies go and what they select."""
    return workload_namespace(node, index or TargetIndex(project)), workload_labels(node)


def functions_of(project, node: GatewayNode) -> list[GatewayFunction]:
    """Every security, telemetry and EnvoyFilter resource applying to the gateway's workload, recognised,
    in istiod's order (root namespace first, then the workload's, each by kind and name). Scans the
    design; callers that already hold the workload's policies use :func:`as_functions`."""
    if not project.policies:
        return []
    namespace, labels = gateway_workload(project, node)
    root = project.settings.root_namespace
    return as_functions(policies_for_workload(project.policies, labels, namespace, root), root)


def as_functions(policies: Iterable[PolicyResource], root_namespace: str) -> list[GatewayFunction]:
    """The resources (applying to one workload, in order) as functions."""
    return [GatewayFunction(recognise(p), p, attachment_scope(p, root_namespace)) for p in policies]


def recognise(resource: PolicyResource) -> str:
    """The function kind of a resource, from its shape alone."""
    if isinstance(resource, EnvoyFilter):
        if rate_limit_buckets(resource) is not None:
            return RATE_LIMIT
        if cache_settings(resource) is not None:
            return CACHE
        return ENVOY_FILTER
    if isinstance(resource, RequestAuthentication):
        return JWT
    if isinstance(resource, Telemetry):
        return ACCESS_LOG if resource.spec.access_logging else TELEMETRY
    if isinstance(resource, PeerAuthentication):
        return MTLS
    action = resource.spec.effective_action
    if action == "DENY" and required_principals(resource) is not None:
        return REQUIRE_JWT
    if action in ("DENY", "ALLOW") and ip_blocks(resource) is not None:
        return IP_DENY if action == "DENY" else IP_ALLOW
    return {"DENY": DENY, "ALLOW": ALLOW, "AUDIT": AUDIT, "CUSTOM": CUSTOM}.get(action, DENY)


def summary(kind: str, resource: PolicyResource) -> str:
    """One line for lists and tooltips, e.g. ``4 requests per 60s (burst 4), then 429``."""
    if kind == RATE_LIMIT:
        buckets = rate_limit_buckets(resource) or []
        return "; ".join(b.summary for b in buckets) or "no bucket"
    if kind == CACHE:
        settings = cache_settings(resource)
        off = f", off on {', '.join(settings.uncached_routes)}" if settings.uncached_routes else ""
        size = f", up to {settings.max_body_bytes} bytes" if settings.max_body_bytes else ""
        return f"in-memory cache{size}{off}"
    if kind == JWT:
        return ", ".join(r.issuer for r in resource.spec.jwt_rules or []) or "no issuer"
    if kind == REQUIRE_JWT:
        principals, paths = required_principals(resource)
        who = "any valid token" if principals == ["*"] else ", ".join(principals)
        return who + (f" on {', '.join(paths)}" if paths else "")
    if kind in (IP_DENY, IP_ALLOW):
        field, blocks = ip_blocks(resource)
        verb = "deny" if kind == IP_DENY else "allow only"
        return f"{verb} {', '.join(blocks)}" + (" (peer address)" if field == "ipBlocks" else "")
    if kind == ACCESS_LOG:
        logs = resource.spec.access_logging or []
        return "; ".join(_log_summary(log) for log in logs)
    if isinstance(resource, AuthorizationPolicy):
        return f"{len(resource.spec.rules or [])} rule(s)"
    if isinstance(resource, EnvoyFilter):
        return f"{len(resource.spec.config_patches or [])} patch(es)"
    return resource.KIND


def _log_summary(log) -> str:
    providers = ", ".join(p.name for p in log.providers or []) or "default provider"
    if log.disabled:
        return f"{providers} off"
    return providers + (f" when {log.filter.expression}" if log.filter and log.filter.expression else "")


def free_name(project, namespace: str, kind_name: str, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... so no resource of that kind and namespace has it yet."""
    candidate, n = base, 2
    while project.policy((kind_name, namespace, candidate)) is not None:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def default_name(project, node: GatewayNode, kind: str, namespace: str) -> str:
    """The name of a new ``kind`` resource for the gateway: ``<gateway>-<suffix>``, made unique."""
    kind_name = {RATE_LIMIT: "EnvoyFilter", CACHE: "EnvoyFilter", JWT: "RequestAuthentication",
                 ACCESS_LOG: "Telemetry"}.get(kind, "AuthorizationPolicy")
    return free_name(project, namespace, kind_name, f"{node.gateway.name}-{NAME_SUFFIXES[kind]}")


# ----- editing helpers -----------------------------------------------------------------------------

def _edited(resource: PolicyResource, edit) -> PolicyResource:
    """A copy of ``resource`` with ``edit(manifest)`` applied to its manifest (everything else kept)."""
    manifest = copy.deepcopy(resource.manifest())
    edit(manifest)
    return policy_from_manifest(manifest)


def _metadata(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace}


# ----- rate limit ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """One token bucket of a local rate limit EnvoyFilter: ``tokens_per_fill`` requests every
    ``fill_interval``, bursts up to ``max_tokens``; over the limit Envoy answers ``status``.
    ``route`` is the Envoy route name of an ``HTTP_ROUTE`` patch (``vhost`` the virtual host name of a
    ``VIRTUAL_HOST`` one); both None: the whole gateway. ``enforced_percent`` is Envoy's
    ``filter_enforced`` fraction (unset: 0, the filter then only counts)."""

    patch_index: int
    tokens_per_fill: int
    fill_interval: str
    max_tokens: int
    status: int
    route: str | None = None
    vhost: str | None = None
    enforced_percent: float = 100.0

    @property
    def scope(self) -> str:
        if self.route is not None:
            return f"route {self.route}"
        if self.vhost is not None:
            return f"virtual host {self.vhost}"
        return "gateway"

    @property
    def summary(self) -> str:
        text = (f"{self.tokens_per_fill} requests per {self.fill_interval} (burst {self.max_tokens}), "
                f"then {self.status}")
        if self.scope != "gateway":
            text = f"{self.scope}: {text}"
        if self.enforced_percent < 100:
            text += f" [enforced on {self.enforced_percent:g}%]"
        return text


def _filter_config(typed_config: Any, type_url: str) -> dict | None:
    """The filter's config if ``typed_config`` is ``type_url``, direct or in a TypedStruct (else None)."""
    if not isinstance(typed_config, dict):
        return None
    if typed_config.get("@type") == type_url:
        return typed_config
    if typed_config.get("@type") in TYPED_STRUCT_TYPES and typed_config.get("type_url") == type_url:
        value = typed_config.get("value")
        return value if isinstance(value, dict) else {}
    return None


def _whole_number(value: Any, default: Any) -> Any:
    """An integer field of a hand-written filter config: an int, or digits in a string (proto JSON writes
    64-bit integers as strings); anything else is ``default``. The config is the user's free-form YAML, so
    it can hold any type: reading it must never fail (Envoy itself refuses a bad one; the checks say so)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def _percent(fraction: Any) -> float:
    """A ``RuntimeFractionalPercent`` as a percentage (Envoy: unset means 0 for the rate limit's flags)."""
    if not isinstance(fraction, dict):
        return 0.0
    value = fraction.get("default_value")
    if not isinstance(value, dict):
        return 0.0
    numerator = _whole_number(value.get("numerator"), 0)
    denominator = value.get("denominator", "HUNDRED")
    scale = {"HUNDRED": 100, "TEN_THOUSAND": 10_000, "MILLION": 1_000_000}.get(
        denominator if isinstance(denominator, str) else "HUNDRED", 100)
    return 100.0 * numerator / scale


def _status_code(config: dict) -> int:
    status = config.get("status")
    code = status.get("code") if isinstance(status, dict) else None
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return _STATUS_CODES.get(code, DEFAULT_LIMIT_STATUS) if isinstance(code, str) else DEFAULT_LIMIT_STATUS


def _bucket(index: int, config: dict, route: str | None, vhost: str | None) -> Bucket | None:
    bucket = config.get("token_bucket")
    if not isinstance(bucket, dict):
        return None  # a pass-through filter (per-route buckets need one in the chain)
    tokens = _whole_number(bucket.get("tokens_per_fill"), 1)
    enforced = min(_percent(config.get("filter_enabled")), _percent(config.get("filter_enforced")))
    return Bucket(index, tokens, str(bucket.get("fill_interval", "")),
                  _whole_number(bucket.get("max_tokens"), tokens), _status_code(config), route, vhost, enforced)


def _http_filter_value(patch, filter_name: str) -> Any:
    """The inserted filter's ``typed_config`` if ``patch`` inserts ``filter_name`` at the gateway."""
    if patch.apply_to != "HTTP_FILTER" or patch.patch is None or (patch.match and patch.match.context) not in GATEWAY_CONTEXTS:
        return None
    if patch.patch.operation not in ("INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "ADD"):
        return None
    value = patch.patch.value
    if not isinstance(value, dict) or value.get("name") != filter_name:
        return None
    return value.get("typed_config") or value.get("typedConfig") or {}


def _per_route_value(patch, filter_name: str) -> tuple[Any, str | None, str | None] | None:
    """(per-filter config, route name, vhost name) if ``patch`` merges ``filter_name``'s per-route config."""
    if patch.apply_to not in ("HTTP_ROUTE", "VIRTUAL_HOST") or patch.patch is None or patch.patch.operation != "MERGE":
        return None
    if (patch.match and patch.match.context) not in GATEWAY_CONTEXTS:
        return None
    value = patch.patch.value
    if not isinstance(value, dict):
        return None
    per_filter = value.get("typed_per_filter_config") or value.get("typedPerFilterConfig")
    if not isinstance(per_filter, dict) or set(per_filter) != {filter_name}:
        return None
    rc = patch.match.route_configuration if patch.match else None
    vhost = _mapping(_mapping(rc).get("vhost"))
    route = _mapping(vhost.get("route")).get("name") if patch.apply_to == "HTTP_ROUTE" else None
    return per_filter[filter_name], route, vhost.get("name")


def _mapping(value: Any) -> dict:
    """``value`` if it is a mapping, else empty (hand-written match fields can hold anything)."""
    return value if isinstance(value, dict) else {}


def rate_limit_buckets(ef: PolicyResource) -> list[Bucket] | None:
    """The buckets of a local rate limit EnvoyFilter, or None if the filter is not one (by shape)."""
    if not isinstance(ef, EnvoyFilter) or not ef.spec.config_patches:
        return None
    buckets = []
    for i, patch in enumerate(ef.spec.config_patches):
        inserted = _http_filter_value(patch, RATELIMIT_FILTER)
        if inserted is not None:
            config = _filter_config(inserted, RATELIMIT_TYPE)
            if config is None:
                return None
            found = _bucket(i, config, None, None)
        else:
            per_route = _per_route_value(patch, RATELIMIT_FILTER)
            config = _filter_config(per_route[0], RATELIMIT_TYPE) if per_route else None
            if config is None:
                return None
            found = _bucket(i, config, per_route[1], per_route[2] if per_route[1] is None else None)
        if found is not None:
            buckets.append(found)
    return buckets


def ratelimit_config(tokens_per_fill: int | None, fill_interval: str = "1s", max_tokens: int | None = None,
                     status: int = DEFAULT_LIMIT_STATUS) -> dict:
    """An Envoy LocalRateLimit config (with ``@type``) enforced on every request; ``tokens_per_fill``
    None gives the pass-through filter that per-route buckets need in the chain."""
    config: dict = {"@type": RATELIMIT_TYPE, "stat_prefix": RATELIMIT_STAT_PREFIX}
    if tokens_per_fill is None:
        return config
    config["token_bucket"] = {"max_tokens": max_tokens if max_tokens is not None else tokens_per_fill,
                              "tokens_per_fill": tokens_per_fill, "fill_interval": fill_interval}
    full = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}
    config["filter_enabled"] = {"runtime_key": "local_rate_limit_enabled", **full}
    config["filter_enforced"] = {"runtime_key": "local_rate_limit_enforced", **full}
    config["status"] = {"code": ENVOY_STATUS_NAMES.get(status, status)}
    return config


def http_filter_patch(name: str, typed_config: dict) -> dict:
    """Insert an HTTP filter before the router on every HTTP chain of the gateway."""
    return {
        "applyTo": "HTTP_FILTER",
        "match": {"context": "GATEWAY",
                  "listener": {"filterChain": {"filter": {"name": HCM, "subFilter": {"name": ROUTER}}}}},
        "patch": {"operation": "INSERT_BEFORE", "value": {"name": name, "typed_config": typed_config}},
    }


def route_patch(route_name: str, filter_name: str, config: dict) -> dict:
    """Merge a per-route filter config into the gateway's Envoy route ``route_name``."""
    return {
        "applyTo": "HTTP_ROUTE",
        "match": {"context": "GATEWAY", "routeConfiguration": {"vhost": {"route": {"name": route_name}}}},
        "patch": {"operation": "MERGE", "value": {"typed_per_filter_config": {filter_name: config}}},
    }


def _envoy_filter(name: str, namespace: str, labels: dict[str, str], priority: int, patches: list[dict]) -> EnvoyFilter:
    return policy_from_manifest({
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter", "metadata": _metadata(name, namespace),
        "spec": {"workloadSelector": {"labels": dict(labels)}, "priority": priority, "configPatches": patches},
    })


def new_rate_limit(name: str, namespace: str, labels: dict[str, str], tokens_per_fill: int | None,
                   fill_interval: str = "1s", max_tokens: int | None = None, status: int = DEFAULT_LIMIT_STATUS,
                   routes: Iterable[tuple[str, int, str, int | None, int]] = ()) -> EnvoyFilter:
    """A local rate limit EnvoyFilter for the workload ``labels``: a gateway bucket (``tokens_per_fill``
    None: none, only the pass-through filter) and per-route buckets ``(envoy route name, tokens_per_fill,
    fill_interval, max_tokens, status)``, each replacing the gateway's bucket on its route."""
    patches = [http_filter_patch(RATELIMIT_FILTER, ratelimit_config(tokens_per_fill, fill_interval, max_tokens, status))]
    for route, tokens, interval, burst, code in routes:
        patches.append(route_patch(route, RATELIMIT_FILTER, ratelimit_config(tokens, interval, burst, code)))
    return _envoy_filter(name, namespace, labels, RATELIMIT_PRIORITY, patches)


def set_rate_limit(ef: EnvoyFilter, patch_index: int, *, tokens_per_fill: int | None = None,
                   fill_interval: str | None = None, max_tokens: int | None = None,
                   status: int | None = None) -> EnvoyFilter:
    """``ef`` with the bucket of patch ``patch_index`` changed (only the fields given; everything else,
    TypedStruct wrapping and extra settings such as ``response_headers_to_add`` included, kept)."""
    def edit(manifest: dict) -> None:
        value = manifest["spec"]["configPatches"][patch_index]["patch"]["value"]
        if "name" in value and value.get("name") == RATELIMIT_FILTER:
            typed = value.get("typed_config") if "typed_config" in value else value.get("typedConfig")
        else:
            per_filter = value.get("typed_per_filter_config") or value.get("typedPerFilterConfig")
            typed = per_filter[RATELIMIT_FILTER]
        config = typed.setdefault("value", {}) if typed.get("@type") in TYPED_STRUCT_TYPES else typed
        bucket = config.setdefault("token_bucket", {})
        if tokens_per_fill is not None:
            if "max_tokens" not in bucket and max_tokens is None:
                bucket["max_tokens"] = tokens_per_fill  # Envoy requires it; keep the burst equal to the fill
            bucket["tokens_per_fill"] = tokens_per_fill
        if fill_interval is not None:
            bucket["fill_interval"] = fill_interval
        if max_tokens is not None:
            bucket["max_tokens"] = max_tokens
        if status is not None:
            config["status"] = {**(config.get("status") or {}), "code": ENVOY_STATUS_NAMES.get(status, status)}
        full = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}
        config.setdefault("filter_enabled", {"runtime_key": "local_rate_limit_enabled", **full})
        config.setdefault("filter_enforced", {"runtime_key": "local_rate_limit_enforced", **full})
    return _edited(ef, edit)


# ----- response cache ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CacheSettings:
    """The response cache an EnvoyFilter inserts: ``uncached_routes`` are the Envoy routes it is off on."""

    patch_index: int
    max_body_bytes: int | None
    allowed_vary_headers: list[str]
    ignore_request_cache_control: bool
    uncached_routes: list[str]


def cache_settings(ef: PolicyResource) -> CacheSettings | None:
    """The cache of an EnvoyFilter inserting Envoy's cache filter, or None if it is not one (by shape)."""
    if not isinstance(ef, EnvoyFilter) or not ef.spec.config_patches:
        return None
    found, uncached = None, []
    for i, patch in enumerate(ef.spec.config_patches):
        inserted = _http_filter_value(patch, CACHE_FILTER)
        if inserted is not None and found is None:
            config = _filter_config(inserted, CACHE_TYPE)
            if config is None:
                return None
            headers = config.get("allowed_vary_headers")
            vary = [str(m.get("exact") or m.get("prefix") or "") for m in
                    (headers if isinstance(headers, list) else []) if isinstance(m, dict)]
            found = (i, _whole_number(config.get("max_body_bytes"), None), vary,
                     bool(config.get("ignore_request_cache_control_header")))
            continue
        per_route = _per_route_value(patch, CACHE_FILTER)
        if per_route is None or _filter_config(per_route[0], FILTER_CONFIG_TYPE) is None or per_route[1] is None:
            return None
        if (_filter_config(per_route[0], FILTER_CONFIG_TYPE) or {}).get("disabled"):
            uncached.append(per_route[1])
    if found is None:
        return None
    return CacheSettings(found[0], found[1], found[2], found[3], uncached)


def cache_config(max_body_bytes: int | None = None, allowed_vary_headers: Iterable[str] = (),
                 ignore_request_cache_control: bool = False) -> dict:
    """An Envoy CacheConfig (with ``@type``) with the in-memory store."""
    config: dict = {"@type": CACHE_TYPE, "typed_config": {"@type": SIMPLE_CACHE_TYPE}}
    vary = [{"exact": h.lower()} for h in allowed_vary_headers]
    if vary:
        config["allowed_vary_headers"] = vary
    if max_body_bytes is not None:
        config["max_body_bytes"] = max_body_bytes
    if ignore_request_cache_control:
        config["ignore_request_cache_control_header"] = True
    return config


def new_cache(name: str, namespace: str, labels: dict[str, str], max_body_bytes: int | None = None,
              allowed_vary_headers: Iterable[str] = (), ignore_request_cache_control: bool = False,
              uncached_routes: Iterable[str] = ()) -> EnvoyFilter:
    """An EnvoyFilter inserting Envoy's in-memory response cache, switched off on ``uncached_routes``."""
    patches = [http_filter_patch(CACHE_FILTER, cache_config(max_body_bytes, allowed_vary_headers,
                                                            ignore_request_cache_control))]
    patches += [route_patch(r, CACHE_FILTER, {"@type": FILTER_CONFIG_TYPE, "disabled": True})
                for r in sorted(set(uncached_routes))]
    return _envoy_filter(name, namespace, labels, CACHE_PRIORITY, patches)


def set_cache(ef: EnvoyFilter, *, max_body_bytes: int | None = None, allowed_vary_headers: list[str] | None = None,
              ignore_request_cache_control: bool | None = None) -> EnvoyFilter:
    """``ef`` with the cache filter's settings changed (only those given; ``max_body_bytes=0`` removes the cap)."""
    settings = cache_settings(ef)
    if settings is None:
        raise ValueError(f"{ef.ref} is not a response cache EnvoyFilter")

    def edit(manifest: dict) -> None:
        value = manifest["spec"]["configPatches"][settings.patch_index]["patch"]["value"]
        typed = value["typed_config"] if "typed_config" in value else value["typedConfig"]
        config = typed.setdefault("value", {}) if typed.get("@type") in TYPED_STRUCT_TYPES else typed
        if max_body_bytes is not None:
            if max_body_bytes:
                config["max_body_bytes"] = max_body_bytes
            else:
                config.pop("max_body_bytes", None)
        if allowed_vary_headers is not None:
            config["allowed_vary_headers"] = [{"exact": h.lower()} for h in allowed_vary_headers]
            if not allowed_vary_headers:
                config.pop("allowed_vary_headers")
        if ignore_request_cache_control is not None:
            if ignore_request_cache_control:
                config["ignore_request_cache_control_header"] = True
            else:
                config.pop("ignore_request_cache_control_header", None)
    return _edited(ef, edit)


# ----- authorization: IP lists and "require a token" -------------------------------------------------

_SOURCE_IP_FIELDS = {"remote_ip_blocks": "remoteIpBlocks", "ip_blocks": "ipBlocks"}


def _present(model) -> dict[str, Any]:
    """The fields of a wire model that are set (Python names; unknown fields under their own name).
    Cheaper than ``to_wire``: cards ask for every policy's kind whenever they repaint."""
    return {name: value for name, value in model if value is not None} if model is not None else {}


def ip_blocks(policy: PolicyResource) -> tuple[str, list[str]] | None:
    """(``remoteIpBlocks`` or ``ipBlocks``, the blocks of every rule) if every rule of a DENY/ALLOW
    policy only lists addresses in that one field; else None."""
    if not isinstance(policy, AuthorizationPolicy) or not policy.spec.rules:
        return None
    field, blocks = None, []
    for rule in policy.spec.rules:
        if rule.to or rule.when or not rule.from_ or rule.unknown_fields():
            return None
        for entry in rule.from_:
            source = _present(entry.source)
            if len(source) != 1 or next(iter(source)) not in _SOURCE_IP_FIELDS or entry.unknown_fields():
                return None
            name = next(iter(source))
            if field not in (None, _SOURCE_IP_FIELDS[name]):
                return None
            field = _SOURCE_IP_FIELDS[name]
            blocks += [b for b in source[name] if b not in blocks]
    return (field, blocks) if field else None


def new_authorization_policy(name: str, namespace: str, labels: dict[str, str], action: str,
                             rules: list[dict]) -> AuthorizationPolicy:
    """An AuthorizationPolicy for the workload ``labels`` with ``rules`` (wire mappings: from/to/when)."""
    return policy_from_manifest({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": _metadata(name, namespace),
        "spec": {"selector": {"matchLabels": dict(labels)}, "action": action, "rules": rules},
    })


def new_ip_policy(name: str, namespace: str, labels: dict[str, str], action: str, blocks: Iterable[str],
                  field: str = "remoteIpBlocks") -> AuthorizationPolicy:
    """A DENY or ALLOW AuthorizationPolicy on client addresses (``remoteIpBlocks``: the client as the
    X-Forwarded-For header and trusted proxies tell; ``ipBlocks``: the peer address of the connection)."""
    return new_authorization_policy(name, namespace, labels, action, [{"from": [{"source": {field: list(blocks)}}]}])


def set_ip_blocks(policy: AuthorizationPolicy, blocks: Iterable[str], field: str | None = None) -> AuthorizationPolicy:
    """``policy`` with its address list replaced (one rule; metadata, selector and action kept)."""
    current = ip_blocks(policy)
    key = field or (current[0] if current else "remoteIpBlocks")

    def edit(manifest: dict) -> None:
        manifest["spec"]["rules"] = [{"from": [{"source": {key: list(blocks)}}]}]
    return _edited(policy, edit)


def required_principals(policy: PolicyResource) -> tuple[list[str], list[str]] | None:
    """(principals, paths) of a DENY policy whose one rule denies requests without a valid token
    (``from.source.notRequestPrincipals``, optionally only on ``to.operation.paths``); else None."""
    if not isinstance(policy, AuthorizationPolicy) or policy.spec.effective_action != "DENY":
        return None
    rules = policy.spec.rules or []
    if len(rules) != 1 or rules[0].when or rules[0].unknown_fields() or not rules[0].from_ or len(rules[0].from_) != 1:
        return None
    rule = rules[0]
    source = _present(rule.from_[0].source)
    if set(source) != {"not_request_principals"} or rule.from_[0].unknown_fields():
        return None
    paths: list[str] = []
    if rule.to:
        operation = _present(rule.to[0].operation) if len(rule.to) == 1 else {}
        if set(operation) != {"paths"} or rule.to[0].unknown_fields():
            return None
        paths = list(operation["paths"])
    return list(source["not_request_principals"]), paths


def new_require_jwt(name: str, namespace: str, labels: dict[str, str], principals: Iterable[str] = ("*",),
                    paths: Iterable[str] = ()) -> AuthorizationPolicy:
    """The DENY policy of Istio's JWT task: requests without a valid token (from ``principals``,
    ``<issuer>/<subject>`` patterns) are denied, on ``paths`` (every path when empty)."""
    rule: dict = {"from": [{"source": {"notRequestPrincipals": list(principals)}}]}
    if paths:
        rule["to"] = [{"operation": {"paths": list(paths)}}]
    return new_authorization_policy(name, namespace, labels, "DENY", [rule])


def set_required_principals(policy: AuthorizationPolicy, principals: Iterable[str] | None = None,
                            paths: Iterable[str] | None = None) -> AuthorizationPolicy:
    """``policy`` (a :func:`required_principals` shape) with its principals and/or paths replaced."""
    current = required_principals(policy)
    if current is None:
        raise ValueError(f"{policy.ref} is not a 'require a valid token' policy")
    new_principals = list(principals) if principals is not None else current[0]
    new_paths = list(paths) if paths is not None else current[1]

    def edit(manifest: dict) -> None:
        rule = manifest["spec"]["rules"][0]
        rule["from"][0]["source"]["notRequestPrincipals"] = new_principals
        if new_paths:
            rule["to"] = [{"operation": {"paths": new_paths}}]
        else:
            rule.pop("to", None)
    return _edited(policy, edit)


# ----- JWT -----------------------------------------------------------------------------------------

def new_request_authentication(name: str, namespace: str, labels: dict[str, str],
                               rules: Iterable[JWTRule | dict]) -> RequestAuthentication:
    """A RequestAuthentication for the workload with ``rules`` (each a JWTRule or its wire mapping)."""
    wire = [r.to_wire() if isinstance(r, JWTRule) else dict(r) for r in rules]
    return policy_from_manifest({
        "apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": _metadata(name, namespace),
        "spec": {"selector": {"matchLabels": dict(labels)}, "jwtRules": wire},
    })


def set_jwt_rule(ra: RequestAuthentication, index: int, **fields: Any) -> RequestAuthentication:
    """``ra`` with rule ``index`` changed: ``fields`` by their Python names (``issuer``, ``audiences``,
    ``jwks``, ``jwks_uri``, ``from_headers``...); a None value removes the field; ``index`` equal to
    the number of rules appends a rule. Other fields and rules are kept."""
    rules = [r.to_wire() for r in ra.spec.jwt_rules or []]
    current = rules[index] if index < len(rules) else {}
    merged = JWTRule.model_validate({**current, **{JWTRule.model_fields[k].alias or k: v for k, v in fields.items()}})
    wire = merged.to_wire()

    def edit(manifest: dict) -> None:
        out = manifest["spec"].setdefault("jwtRules", [])
        if index < len(out):
            out[index] = wire
        else:
            out.append(wire)
    return _edited(ra, edit)


def remove_jwt_rule(ra: RequestAuthentication, index: int) -> RequestAuthentication:
    def edit(manifest: dict) -> None:
        del manifest["spec"]["jwtRules"][index]
    return _edited(ra, edit)


# ----- access log ----------------------------------------------------------------------------------

def new_access_log(name: str, namespace: str, labels: dict[str, str], provider: str = "envoy",
                   filter_expression: str | None = None, disabled: bool = False) -> Telemetry:
    """A Telemetry turning on access logs of ``provider`` (``envoy``: Istio's built-in stdout log) for the
    workload, only for requests where the CEL ``filter_expression`` holds (every request when None)."""
    logging: dict = {"providers": [{"name": provider}]}
    if filter_expression:
        logging["filter"] = {"expression": filter_expression}
    if disabled:
        logging["disabled"] = True
    return policy_from_manifest({
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": _metadata(name, namespace),
        "spec": {"selector": {"matchLabels": dict(labels)}, "accessLogging": [logging]},
    })


def set_access_log(telemetry: Telemetry, index: int = 0, *, provider: str | None = None,
                   filter_expression: str | None = None, disabled: bool | None = None) -> Telemetry:
    """``telemetry`` with ``accessLogging[index]`` changed (``filter_expression=""`` removes the filter)."""
    def edit(manifest: dict) -> None:
        logs = manifest["spec"].setdefault("accessLogging", [])
        while len(logs) <= index:
            logs.append({})
        log = logs[index]
        if provider is not None:
            log["providers"] = [{"name": provider}]
        if filter_expression is not None:
            if filter_expression:
                log["filter"] = {**(log.get("filter") or {}), "expression": filter_expression}
            else:
                log.pop("filter", None)
        if disabled is not None:
            if disabled:
                log["disabled"] = True
            else:
                log.pop("disabled", None)
    return _edited(telemetry, edit)


def with_fields(resource: PolicyResource, **fields: Any) -> PolicyResource:
    """A copy with top-level spec fields set (by wire name; None removes), for editors of other kinds."""
    def edit(manifest: dict) -> None:
        spec = manifest.setdefault("spec", {})
        for key, value in fields.items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
    return _edited(resource, edit)

