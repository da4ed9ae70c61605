"""The design's security, telemetry and EnvoyFilter resources in the standalone Envoy config.

Renders a workload's :class:`~meshdesigner.compile.security.SecurityPlan` (``WorkloadPlan.security``)
once per workload, as istiod's ``authz.Builder.BuildHTTP``/``BuildTCP`` build a proxy's filters once
(``httpBuilt``/``tcpBuilt`` in ``pilot/pkg/networking/plugin/authz/authorization.go``) and
``buildHTTPConnectionManager`` (``pilot/pkg/networking/core/listener_builder.go``) puts the same
filters into every connection manager of the proxy. :class:`WorkloadSecurity` holds the rendered
filters; every filter chain gets the same objects, and the YAML writer names each one once (an anchor)
and refers to it from the other chains (an alias), so 200 policies cost one copy per Envoy config,
not one per filter chain. What it renders:

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

A sidecar's outbound plan has no security (``authz.Builder.BuildHTTP`` returns nothing for
``ListenerClassSidecarOutbound``).
"""

from __future__ import annotations

from ...compile.security import unusable_jwks as _unusable_jwks
from .common import CEL_FILTER_TYPE, FILE_LOG_TYPE, ISTIO_LOG_FORMAT
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


class WorkloadSecurity:
    """The security filters of one workload's Envoy config, rendered once and shared by its chains.

    ``shared`` maps ``id()`` of each shared filter to the YAML anchor it is written under (see
    :func:`meshdesigner.io.yamlio.dump_canonical`)."""

    def __init__(self, project, plan, options) -> None:
        self.plan = plan if plan is not None and not plan.empty else None
        self.trusted_hops = project.settings.num_trusted_proxies
        self.shared: dict[int, str] = {}
        self.http: list[dict] = []
        self.network: list[dict] = []
        self.access_log: list[dict] = []
        if self.plan is None:
            return
        authn = jwt_filter(self.plan)
        self.http = self._share(([authn] if authn is not None else []) + rbac_filters(self.plan, False,
                                                                                    options.local_port))
        self.network = self._share(rbac_filters(self.plan, True, options.local_port))
        self.access_log = self._share(access_loggers(self.plan))

    def _share(self, filters: list[dict]) -> list[dict]:
        for flt in filters:
            self.shared[id(flt)] = _anchor_name(flt, set(self.shared.values()))
        return filters

    def http_filters(self) -> list[dict]:
        """Filters before CORS, fault and the router of every HTTP connection manager (a fresh list)."""
        return list(self.http)

    def network_filters(self) -> list[dict]:
        """Network filters before the tcp_proxy of every TCP, TLS or passthrough chain (a fresh list)."""
        return list(self.network)

    def connection_manager_fields(self) -> dict:
        """``access_log`` and ``xff_num_trusted_hops`` of every HTTP connection manager."""
        out: dict = {}
        if self.trusted_hops:
            out["xff_num_trusted_hops"] = self.trusted_hops
        if self.access_log:
            out["access_log"] = list(self.access_log)
        return out

    def tcp_proxy_fields(self) -> dict:
        return {"access_log": list(self.access_log)} if self.access_log else {}

    def patch(self, bootstrap: dict, options) -> None:
        """The workload's EnvoyFilters, applied last to the finished config as istiod applies them."""
        if self.plan is not None and self.plan.envoy_filters:
            from .envoyfilter import apply_patches

            apply_patches(self.plan, bootstrap, options, self.shared)


def _anchor_name(flt: dict, taken: set[str]) -> str:
    """``rbac-http-deny``, ``jwt-authn``, ``access-log``...: readable, unique within the config."""
    name = flt.get("name", "filter").rsplit(".", 1)[-1].replace("_", "-")
    config = flt.get("typed_config") or {}
    rules = config.get("rules")
    if isinstance(rules, dict) and "action" in rules:
        name = f"{name}-{'tcp' if 'stat_prefix' in config else 'http'}-{rules['action'].lower()}"
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def access_loggers(plan) -> list[dict]:
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
    return loggers
