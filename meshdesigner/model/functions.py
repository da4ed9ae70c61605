"""Gateway functions: what a gateway does besides routing.

A :class:`GatewayFunctions` hangs off a :class:`~meshdesigner.model.nodes.GatewayNode` (field
``functions``) and holds, each optional:

* ``firewall`` - allow/deny rules (Istio AuthorizationPolicy semantics: DENY rules are checked
  first; as soon as one ALLOW rule exists, a request that matches no ALLOW rule is denied);
* ``jwt`` - JWT validation (Istio RequestAuthentication) and, with ``require_principal``, the
  DENY policy that rejects requests without a valid token;
* ``cache`` - an HTTP response cache for the whole gateway or chosen routes;
* ``rate_limits`` - local token-bucket rate limits for the whole gateway or chosen routes;
* ``access_log`` - per-gateway access logging (Istio Telemetry).

Address translation is not here: it is the gateway's own Kubernetes Service (``GatewayNode.service``:
type, port -> targetPort, nodePort, loadBalancerIP, loadBalancerSourceRanges,
externalTrafficPolicy), server ``bind`` addresses and ServiceEntry ``addresses``.

Like the rest of the model these are frozen wire models (camelCase in project files, unknown fields
kept); enum-like fields are plain strings so a bad value becomes a diagnostic, not a load error.
String patterns in firewall fields follow Istio: ``"abc"`` exact, ``"abc*"`` prefix, ``"*abc"``
suffix, ``"*"`` any (present).
"""

from __future__ import annotations

from pydantic import StrictBool, StrictInt, StrictStr

from .base import WireModel

FIREWALL_ACTIONS = ("ALLOW", "DENY")
# Firewall fields that only an HTTP request has (a TCP server cannot check them).
HTTP_ONLY_FIELDS = ("hosts", "not_hosts", "paths", "not_paths", "methods", "not_methods", "headers")
ADDRESS_FIELDS = ("remote_ip_blocks", "not_remote_ip_blocks", "ip_blocks", "not_ip_blocks")
DEFAULT_JWT_HEADER = "Authorization"
DEFAULT_JWT_PREFIX = "Bearer "


class HeaderCondition(WireModel):
    """A request header condition (Istio ``when: key: request.headers[<name>]``)."""

    name: StrictStr
    values: list[StrictStr] | None = None
    not_values: list[StrictStr] | None = None


class FirewallRule(WireModel):
    """One allow or deny rule. Every condition that is set must hold (AND); the values inside one
    list are alternatives (OR); ``not_*`` lists exclude. A rule with no condition matches every request."""

    action: StrictStr = "DENY"
    name: StrictStr | None = None
    remote_ip_blocks: list[StrictStr] | None = None
    not_remote_ip_blocks: list[StrictStr] | None = None
    ip_blocks: list[StrictStr] | None = None
    not_ip_blocks: list[StrictStr] | None = None
    hosts: list[StrictStr] | None = None
    not_hosts: list[StrictStr] | None = None
    paths: list[StrictStr] | None = None
    not_paths: list[StrictStr] | None = None
    methods: list[StrictStr] | None = None
    not_methods: list[StrictStr] | None = None
    ports: list[StrictInt] | None = None
    not_ports: list[StrictInt] | None = None
    headers: list[HeaderCondition] | None = None

    @property
    def http_only_fields(self) -> list[str]:
        """The conditions set on this rule that only an HTTP request can satisfy."""
        return [f for f in HTTP_ONLY_FIELDS if getattr(self, f)]

    def summary(self) -> str:
        """A short line for panels and tooltips, e.g. ``DENY from 10.0.0.0/8 GET /admin*``."""
        parts = [self.action]
        for label, field in (("from", "remote_ip_blocks"), ("not from", "not_remote_ip_blocks"),
                             ("peer", "ip_blocks"), ("not peer", "not_ip_blocks"), ("host", "hosts"),
                             ("not host", "not_hosts"), ("method", "methods"), ("not method", "not_methods"),
                             ("path", "paths"), ("not path", "not_paths"), ("port", "ports"),
                             ("not port", "not_ports")):
            values = getattr(self, field)
            if values:
                parts.append(f"{label} {','.join(str(v) for v in values)}")
        for header in self.headers or []:
            parts.append(f"{header.name}={','.join(header.values or ['*'])}")
        if len(parts) == 1:
            parts.append("everything")
        return " ".join(parts)


class Firewall(WireModel):
    rules: list[FirewallRule] = []

    def rules_for(self, action: str) -> list[FirewallRule]:
        return [r for r in self.rules if r.action == action]


class JwtHeader(WireModel):
    """Where a token is read from: a header and the prefix before the token (``Bearer ``)."""

    name: StrictStr
    prefix: StrictStr | None = None


class JwtRule(WireModel):
    """One accepted token issuer (Istio ``RequestAuthentication.spec.jwtRules[]``).

    The keys are given inline (``jwks``, a JWKS JSON document), as a local file (``jwks_file``: the
    standalone Envoy config reads it; the Istio export inlines its content), or as a URL
    (``jwks_uri``; Istio only)."""

    issuer: StrictStr
    audiences: list[StrictStr] | None = None
    jwks: StrictStr | None = None
    jwks_file: StrictStr | None = None
    jwks_uri: StrictStr | None = None
    from_headers: list[JwtHeader] | None = None
    from_params: list[StrictStr] | None = None
    forward_original_token: StrictBool | None = None
    output_payload_to_header: StrictStr | None = None


class JwtAuthentication(WireModel):
    """JWT validation on a gateway. A present but invalid token is rejected (401); a missing token is
    let through unless ``require_principal`` is set, which denies (403) requests without a valid token
    from one of ``principals`` (``<issuer>/<subject>`` patterns; default any) on ``paths`` (Istio
    path patterns; default every path)."""

    rules: list[JwtRule] = []
    require_principal: StrictBool = False
    principals: list[StrictStr] | None = None
    paths: list[StrictStr] | None = None

    @property
    def required_principals(self) -> list[str]:
        return list(self.principals or ["*"])


class RouteRef(WireModel):
    """An HTTP route of a virtual service bound to the gateway: ``namespace/name`` and the route's
    ``name`` (routes are found by name, as Istio's EnvoyFilter does)."""

    virtual_service: StrictStr
    route: StrictStr

    def __str__(self) -> str:
        return f"{self.virtual_service}#{self.route}"


class ResponseCache(WireModel):
    """An HTTP response cache (Envoy's cache filter with its in-memory store).

    Which responses: those HTTP caching rules allow (``Cache-Control``/``Expires`` of the response,
    GET/HEAD), on every route of the gateway or only ``routes``, up to ``max_body_bytes`` each, varying
    only on ``allowed_vary_headers``."""

    routes: list[RouteRef] | None = None
    max_body_bytes: StrictInt | None = None
    allowed_vary_headers: list[StrictStr] | None = None
    ignore_request_cache_control: StrictBool | None = None


class LocalRateLimit(WireModel):
    """A token bucket: ``tokens_per_fill`` requests every ``fill_interval``, bursts up to
    ``max_tokens`` (default ``tokens_per_fill``); over the limit the answer is ``status``.
    Without ``route`` it covers the whole gateway; a route's own limit replaces the gateway's."""

    tokens_per_fill: StrictInt
    fill_interval: StrictStr = "1s"
    max_tokens: StrictInt | None = None
    status: StrictInt = 429
    route: RouteRef | None = None

    @property
    def burst(self) -> int:
        return self.max_tokens if self.max_tokens is not None else self.tokens_per_fill


class AccessLog(WireModel):
    """Access logging for this gateway. ``provider`` is the Istio extension provider (``envoy`` is
    the built-in stdout log); ``path`` is where the standalone Envoy config writes; ``filter`` is an
    Istio CEL expression, e.g. ``response.code >= 400`` (empty: every request)."""

    provider: StrictStr = "envoy"
    path: StrictStr = "/dev/stdout"
    filter: StrictStr | None = None
    disabled: StrictBool | None = None


class GatewayFunctions(WireModel):
    """Everything a gateway does besides routing; every part optional."""

    workload_namespace: StrictStr | None = None
    firewall: Firewall | None = None
    jwt: JwtAuthentication | None = None
    cache: ResponseCache | None = None
    rate_limits: list[LocalRateLimit] | None = None
    access_log: AccessLog | None = None

    def is_empty(self) -> bool:
        return not any((self.firewall and self.firewall.rules, self.jwt and (self.jwt.rules or self.jwt.require_principal),
                        self.cache, self.rate_limits, self.access_log))

    def badges(self) -> list[str]:
        """Short names of the functions present, in a fixed order (canvas badges, summaries)."""
        out = []
        if self.firewall and self.firewall.rules:
            out.append("firewall")
        if self.jwt and (self.jwt.rules or self.jwt.require_principal):
            out.append("jwt")
        if self.cache is not None:
            out.append("cache")
        if self.rate_limits:
            out.append("rate-limit")
        if self.access_log is not None and not self.access_log.disabled:
            out.append("access-log")
        return out

    def gateway_rate_limit(self) -> LocalRateLimit | None:
        return next((r for r in self.rate_limits or [] if r.route is None), None)

    def route_rate_limits(self) -> list[LocalRateLimit]:
        return [r for r in self.rate_limits or [] if r.route is not None]
