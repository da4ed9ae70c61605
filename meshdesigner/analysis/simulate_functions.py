"""Gateway functions in the request simulator: firewall, JWT, rate limits and the cache.

Three steps join :mod:`meshdesigner.analysis.simulate`'s pipeline where Envoy runs the filters:

* ``functions_network`` (before ``connection``): network RBAC of TCP / TLS / passthrough servers;
  a denied connection is closed (outcome ``denied``, no status);
* ``functions_http`` (before ``virtual_host``: HTTP filters run before the router answers 404s and
  redirects): ``jwt_authn`` (401, or 403 for a disallowed audience), then RBAC DENY (firewall DENY
  rules, then the "require a principal" policy), then RBAC ALLOW; 403 ``RBAC: access denied``;
* ``functions_route`` (before ``action``): which rate-limit bucket and whether the cache applies.

A single request never exceeds a bucket; :func:`simulate_sequence` follows several requests sent
within one fill interval and answers the ones over the burst with the bucket's status, and marks
repeated cacheable GETs as cache hits. Results carry ``result.functions`` (a dict per function) and
one plain sentence per decision in ``result.explanation``.

Matching follows the same Istio semantics as the RBAC the Envoy export writes
(:mod:`meshdesigner.export.envoy.functions_rbac`), including istiod's handling of HTTP-only
conditions on TCP. The client address is ``request.client_address`` (127.0.0.1 when not given, a
local trial); with ``use_remote_address`` and no trusted proxies Envoy's ``remote_ip`` and
``direct_remote_ip`` are both the peer address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import replace

from ..compile.gateway_functions import jwks_text, rules_for_traffic
from ..model.functions import FirewallRule, GatewayFunctions, JwtAuthentication
from .simulate import Request, SimulationContext, SimulationResult, add_step, resolve_gateway, simulate
from .simulate_jwt import check_token

LOCAL_CLIENT = "127.0.0.1"
RBAC_DENIED = "RBAC: access denied"


def _functions(ctx: SimulationContext) -> GatewayFunctions | None:
    gateway = ctx.chain.gateway if ctx.chain is not None else ctx.gateway
    functions = getattr(gateway, "functions", None)
    if functions is None or functions.is_empty() or not gateway.gateway.spec.selector:
        return None
    return functions


# ----- Istio matching ------------------------------------------------------------------------------

def value_matches(pattern: str, value: str | None, ignore_case: bool = False) -> bool:
    """Istio's string pattern: ``*`` present, ``abc*`` prefix, ``*abc`` suffix, else exact."""
    if value is None:
        return False
    if pattern == "*":
        return True
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _in_blocks(address: str, blocks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for block in blocks:
        try:
            if ip in ipaddress.ip_network(block, strict=False):
                return True
        except ValueError:
            continue
    return False


class Facts:
    """What the firewall looks at in one request."""

    def __init__(self, ctx: SimulationContext, http: bool) -> None:
        self.client = ctx.request.client_address or LOCAL_CLIENT
        self.port = ctx.port
        self.http = http
        self.authority = ctx.authority if http else None
        self.method = ctx.http.headers.get(":method") if http else None
        self.path = ctx.path if http else None
        self.headers = ctx.http.headers if http else {}


def rule_matches(rule: FirewallRule, facts: Facts) -> bool:
    """Whether every condition of ``rule`` holds for the request (AND over fields, OR within one)."""
    checks = [
        (rule.remote_ip_blocks, lambda v: _in_blocks(facts.client, v), False),
        (rule.not_remote_ip_blocks, lambda v: _in_blocks(facts.client, v), True),
        (rule.ip_blocks, lambda v: _in_blocks(facts.client, v), False),
        (rule.not_ip_blocks, lambda v: _in_blocks(facts.client, v), True),
        (rule.ports, lambda v: facts.port in v, False),
        (rule.not_ports, lambda v: facts.port in v, True),
    ]
    if facts.http:
        checks += [
            (rule.hosts, lambda v: any(value_matches(p, facts.authority, True) for p in v), False),
            (rule.not_hosts, lambda v: any(value_matches(p, facts.authority, True) for p in v), True),
            (rule.methods, lambda v: any(value_matches(p, facts.method) for p in v), False),
            (rule.not_methods, lambda v: any(value_matches(p, facts.method) for p in v), True),
            (rule.paths, lambda v: any(value_matches(p, facts.path) for p in v), False),
            (rule.not_paths, lambda v: any(value_matches(p, facts.path) for p in v), True),
        ]
    for values, test, negate in checks:
        if values and test(values) == negate:
            return False
    if facts.http:
        for header in rule.headers or []:
            value = facts.headers.get(header.name.lower())
            if (header.values or not header.not_values) and not any(
                    value_matches(p, value) for p in header.values or ["*"]):
                return False
            if header.not_values and any(value_matches(p, value) for p in header.not_values):
                return False
    return True


def _rule_label(rule: FirewallRule, index: int) -> str:
    return f"{rule.action} rule {index + 1}" + (f" ({rule.name})" if rule.name else "") + f": {rule.summary()}"


def principal_matches(jwt: JwtAuthentication, principal: str | None) -> bool:
    """Whether a verified principal fits one of the required patterns (as the Envoy RBAC checks it)."""
    if principal is None:
        return False
    issuer, _, subject = principal.rpartition("/")
    for pattern in jwt.required_principals:
        if pattern == "*":
            return True
        want_issuer, _, want_subject = pattern.rpartition("/")
        if want_issuer not in ("", "*") and want_issuer != issuer:
            continue
        if want_subject in ("", "*") or value_matches(want_subject, subject):
            return True
    return False


# ----- the steps -----------------------------------------------------------------------------------

def _firewall(ctx: SimulationContext, functions: GatewayFunctions, facts: Facts, principal: str | None,
              closed: str) -> str | None:
    """RBAC DENY then ALLOW; ``closed`` says how a denial looks (a 403 or a closed connection)."""
    result = ctx.result.functions
    firewall = functions.firewall
    deny_rules = rules_for_traffic(firewall.rules_for("DENY"), "DENY", facts.http) if firewall else []
    allow_all = firewall.rules_for("ALLOW") if firewall else []
    allow_rules = rules_for_traffic(allow_all, "ALLOW", facts.http)
    stop = (lambda text: ctx.deny(403, text)) if facts.http else (lambda text: ctx.stop("denied", text))
    if not facts.http and firewall is not None:
        dropped = len(allow_all) - len(allow_rules)
        stripped = [r for r in firewall.rules_for("DENY") if r.http_only_fields]
        if dropped or stripped:
            ctx.explain("On TCP the firewall cannot see hosts, paths, methods or headers: as in Istio, "
                        f"{dropped} ALLOW rule(s) with such conditions never match and {len(stripped)} DENY "
                        "rule(s) are checked without them.")
    for i, rule in enumerate(deny_rules):
        if rule_matches(rule, facts):
            result["firewall"] = {"decision": "deny", "rule": rule.summary()}
            return stop(f"Firewall: {_rule_label(rule, i)} matches client {facts.client}; {closed}.")
    jwt = functions.jwt
    if jwt is not None and jwt.require_principal:
        if not facts.http:
            result["firewall"] = {"decision": "deny", "rule": "require a JWT principal"}
            return stop("A valid JWT is required, and a TCP connection carries none (Istio's DENY rule without "
                        f"its HTTP-only condition matches every connection); {closed}.")
        applies = not jwt.paths or any(value_matches(p, facts.path) for p in jwt.paths)
        if applies and not principal_matches(jwt, principal):
            result["firewall"] = {"decision": "deny", "rule": "require a JWT principal"}
            why = "the request has no valid token" if principal is None else f"principal {principal!r} is not allowed"
            return stop(f"A valid JWT from {', '.join(jwt.required_principals)} is required and {why}; {closed}.")
    if allow_all:
        for i, rule in enumerate(allow_rules):
            if rule_matches(rule, facts):
                result["firewall"] = {"decision": "allow", "rule": rule.summary()}
                ctx.explain(f"Firewall: allowed by {_rule_label(rule, i)}.")
                return None
        result["firewall"] = {"decision": "deny", "rule": "no ALLOW rule matches"}
        return stop(f"Firewall: the gateway has ALLOW rules and none matches client {facts.client} on port "
                    f"{facts.port}; {closed}.")
    if firewall is not None and firewall.rules:
        result["firewall"] = {"decision": "allow", "rule": None}
        ctx.explain("Firewall: no DENY rule matches.")
    return None


def step_functions_network(ctx: SimulationContext) -> str | None:
    functions = _functions(ctx)
    if functions is None or ctx.listener is None or any(c.is_http for c in ctx.listener.chains):
        return None
    return _firewall(ctx, functions, Facts(ctx, http=False), None, "Envoy closes the connection")


def step_functions_http(ctx: SimulationContext) -> str | None:
    functions = _functions(ctx)
    if functions is None or ctx.chain is None or not ctx.chain.is_http:
        return None
    principal = None
    jwt = functions.jwt
    if jwt is not None and jwt.rules:
        verdict = check_token(jwt, jwks_text, ctx.http.headers, ctx.http.query)
        info = {"token": verdict.state, "principal": verdict.principal}
        ctx.result.functions["jwt"] = info
        if verdict.state == "failed":
            info["message"] = verdict.message
            return ctx.deny(verdict.status, f"JWT: the token in the {verdict.source} is rejected: "
                            f"{verdict.message}; Envoy answers {verdict.status}.")
        if verdict.state == "verified":
            principal = verdict.principal
            note = f" ({verdict.message})" if verdict.message else ""
            ctx.explain(f"JWT: the token in the {verdict.source} is valid; principal {principal!r}{note}.")
        else:
            ctx.explain("JWT: the request carries no token (allowed through to the policies).")
    return _firewall(ctx, functions, Facts(ctx, http=True), principal, f"Envoy answers 403 ({RBAC_DENIED})")


def _route_ref_matches(plan, ref) -> bool:
    return plan.vs_ref == ref.virtual_service and plan.rule.name == ref.route


def step_functions_route(ctx: SimulationContext) -> str | None:
    functions = _functions(ctx)
    if functions is None or ctx.route is None:
        return None
    plan = ctx.route.plan
    route_limit = next((r for r in functions.route_rate_limits() if _route_ref_matches(plan, r.route)), None)
    limit = route_limit or functions.gateway_rate_limit()
    if limit is not None:
        scope = f"route {limit.route}" if route_limit else "gateway"
        ctx.result.functions["rate_limit"] = {
            "bucket": scope, "tokens_per_fill": limit.tokens_per_fill, "fill_interval": limit.fill_interval,
            "burst": limit.burst, "status": limit.status}
        ctx.explain(f"Rate limit ({scope} bucket): {limit.tokens_per_fill} per {limit.fill_interval}, bursts up to "
                    f"{limit.burst}; over that Envoy answers {limit.status}.")
    cache = functions.cache
    if cache is not None:
        covered = cache.routes is None or any(_route_ref_matches(plan, r) for r in cache.routes)
        method = ctx.http.headers.get(":method")
        cacheable = covered and method in ("GET", "HEAD")
        ctx.result.functions["cache"] = {"covered": covered, "lookup": cacheable}
        if cacheable:
            ctx.explain("Cache: Envoy looks the response up in its cache first and keeps it if the backend's "
                        "Cache-Control allows it.")
        elif covered:
            ctx.explain(f"Cache: {method} requests are not cached.")
        else:
            ctx.explain("Cache: this route is outside the gateway's route-scoped cache.")
    return None


add_step("functions_network", step_functions_network, before="connection")
add_step("functions_http", step_functions_http, before="virtual_host")
add_step("functions_route", step_functions_route, before="action")


# ----- several requests: buckets and cache hits ------------------------------------------------------

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
        if limit is not None and result.outcome not in ("denied", "no_listener", "tls_no_match"):
            key = limit["bucket"]
            used[key] = used.get(key, 0) + 1
            if used[key] > limit["burst"]:
                result = replace(result, outcome="denied", status=limit["status"],
                                 functions={**result.functions, "rate_limit": {**limit, "exceeded": True}},
                                 explanation=[*result.explanation,
                                              f"Request {used[key]} in this interval exceeds the {key} bucket's "
                                              f"burst of {limit['burst']}: Envoy answers {limit['status']} "
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
