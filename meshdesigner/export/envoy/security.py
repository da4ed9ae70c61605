"""The design's security, telemetry and EnvoyFilter resources in the standalone Envoy config.

Renders :func:`meshdesigner.compile.security.security_plan` through the exporter's hooks, as istiod
writes a gateway's config:

* HTTP filters (``buildGatewayHTTPFilters``: authn before authz): ``jwt_authn`` in Istio's
  provider/requirement layout (``convertToEnvoyJwtConfig``: a present token must be valid -> 401, a
  missing one passes), then the RBAC filters AUDIT (action ``LOG``), DENY, ALLOW (``Builder.BuildHTTP``);
* network RBAC (stat prefix ``tcp.``) on TCP, TLS-terminated and passthrough chains
  (``Builder.BuildTCP``);
* ``access_log`` from Telemetry (the built-in ``envoy`` provider: a file log to /dev/stdout in Istio's
  default text format);
* ``xff_num_trusted_hops`` from ``num_trusted_proxies`` (meshConfig ``gatewayTopology``), which is
  what ``remote.ip``/``remoteIpBlocks`` see;
* EnvoyFilter patches: :mod:`.envoyfilter` after the whole bootstrap is built.
"""

from __future__ import annotations

from ...compile.security import security_plan
from ...compile.security import unusable_jwks as _unusable_jwks
from .common import CEL_FILTER_TYPE, FILE_LOG_TYPE, ISTIO_LOG_FORMAT, is_http_server
from .hooks import (
    bootstrap_patcher,
    http_filter_contributor,
    network_filter_contributor,
    terminal_config_contributor,
)
from .security_rbac import JWT_FILTER, JWT_PAYLOAD_KEY, rbac_policy

JWT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
HTTP_RBAC = ("envoy.filters.http.rbac", "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC")
NETWORK_RBAC = ("envoy.filters.network.rbac", "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC")
RBAC_ACTIONS = (("AUDIT", "LOG"), ("DENY", "DENY"), ("ALLOW", "ALLOW"))


def jwt_filter(plan) -> dict | None:
    providers: dict[str, dict] = {}
    inner: list[dict] = []
    outer: list[dict] = []
    for name, _ra, rule in plan.jwt_providers:
        provider: dict = {"issuer": rule.issuer}
        if rule.audiences:
            provider["audiences"] = list(rule.audiences)
        provider["local_jwks"] = {"inline_string": rule.jwks if rule.jwks is not None else _unusable_jwks()}
        if rule.forward_original_token:
            provider["forward"] = True
        if rule.output_payload_to_header:
            provider["forward_payload_header"] = rule.output_payload_to_header
        for header in rule.from_headers or []:
            provider.setdefault("from_headers", []).append(
                {"name": header.name, **({"value_prefix": header.prefix} if header.prefix else {})})
        if rule.from_params:
            provider["from_params"] = list(rule.from_params)
        if rule.from_cookies:
            provider["from_cookies"] = list(rule.from_cookies)
        for claim in rule.output_claim_to_headers or []:
            provider.setdefault("claim_to_headers", []).append({"header_name": claim.header,
                                                                "claim_name": claim.claim})
        provider["payload_in_metadata"] = JWT_PAYLOAD_KEY
        providers[name] = provider
        inner.append({"requires_any": {"requirements": [{"provider_name": name}, {"allow_missing": {}}]}})
        outer.append({"provider_name": name})
    if not providers:
        return None
    if len(inner) == 1:
        requires = inner[0]
    else:
        requires = {"requires_any": {"requirements": [*outer, {"requires_all": {"requirements": inner}}]}}
    return {"name": JWT_FILTER, "typed_config": {
        "@type": JWT_TYPE, "providers": providers, "bypass_cors_preflight": True,
        "rules": [{"match": {"prefix": "/"}, "requires": requires}]}}


def rbac_filters(plan, tcp: bool, local_port) -> list[dict]:
    name, type_url = NETWORK_RBAC if tcp else HTTP_RBAC
    out = []
    for action, envoy_action in RBAC_ACTIONS:
        if not plan.has(action):
            continue
        policies = {rule.name: rbac_policy(rule, local_port) for rule in plan.rules(action, tcp)}
        config: dict = {"@type": type_url, "rules": {"action": envoy_action, "policies": policies}}
        if tcp:
            config["stat_prefix"] = "tcp."
        out.append({"name": name, "typed_config": config})
    return out


@http_filter_contributor
def security_http_filters(project, gateway, server, options) -> list[dict]:
    plan = security_plan(project, gateway)
    if plan.empty:
        return []
    out = []
    authn = jwt_filter(plan)
    if authn is not None:
        out.append(authn)
    return out + rbac_filters(plan, False, options.local_port)


@network_filter_contributor
def security_network_filters(project, gateway, server, options) -> list[dict]:
    if is_http_server(server):
        return []
    plan = security_plan(project, gateway)
    return [] if plan.empty else rbac_filters(plan, True, options.local_port)


@terminal_config_contributor
def security_terminal_config(project, gateway, server, options) -> dict:
    """Access logs from Telemetry; ``xff_num_trusted_hops`` on connection managers."""
    out: dict = {}
    if is_http_server(server) and project.settings.num_trusted_proxies:
        out["xff_num_trusted_hops"] = project.settings.num_trusted_proxies
    if not project.policies:
        return out
    plan = security_plan(project, gateway)
    loggers = []
    for log in plan.access_logs:
        if log.path is None:
            continue
        logger: dict = {"name": "envoy.access_loggers.file", "typed_config": {
            "@type": FILE_LOG_TYPE, "path": log.path,
            "log_format": {"text_format_source": {"inline_string": ISTIO_LOG_FORMAT}}}}
        if log.filter:
            logger["filter"] = {"extension_filter": {"name": "envoy.access_loggers.extension_filters.cel",
                                                     "typed_config": {"@type": CEL_FILTER_TYPE,
                                                                      "expression": log.filter}}}
        loggers.append(logger)
    if loggers:
        out["access_log"] = loggers
    return out


@bootstrap_patcher
def apply_envoy_filters(project, gateway, bootstrap: dict, options) -> None:
    if not project.policies:
        return
    from .envoyfilter import apply_patches

    plan = security_plan(project, gateway)
    if plan.envoy_filters:
        apply_patches(plan, bootstrap, options)
