"""The design's AuthorizationPolicies and RequestAuthentications in the request simulator.

Two steps join :mod:`meshdesigner.analysis.simulate`'s pipeline where Envoy runs the filters the
export writes (:mod:`meshdesigner.export.envoy.security`), reading the same plan
(``WorkloadPlan.security``, :func:`meshdesigner.compile.security.workload_security`) and the same rule clauses
(:mod:`meshdesigner.compile.security_rules`):

* ``security_network`` (before ``connection``): network RBAC of TCP / TLS / passthrough chains (HTTP-only
  clauses handled as istiod does for TCP); a denied connection is closed;
* ``security_http`` (before ``virtual_host``): ``jwt_authn`` (a present token must verify: missing,
  bad signature, expired, unknown issuer and disallowed audience explained; 401, or 403 for the
  audience), then RBAC AUDIT (logs only), DENY, ALLOW; a denial names the policy and the rule.

Addresses: the peer is ``request.client_address`` (127.0.0.1 when not given); ``remote.ip`` is the
client Envoy derives with ``use_remote_address`` and ``xff_num_trusted_hops`` = the project's
``num_trusted_proxies``: with N > 0 the N-th address from the right of X-Forwarded-For (the peer when
the header has fewer), else the peer.
"""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

from ..compile.security import SecurityPlan, unusable_jwks
from ..compile.security_rules import (
    DEST_IP,
    DEST_PORT,
    HOST,
    METHOD,
    PATH,
    REMOTE_IP,
    REQUEST_AUDIENCES,
    REQUEST_CLAIMS,
    REQUEST_HEADERS,
    REQUEST_PRESENTER,
    REQUEST_PRINCIPAL,
    SNI,
    SOURCE_IP,
    Clause,
    RulePlan,
    bracket_names,
    request_principal_parts,
)
from .istio_match import LOCAL_CLIENT, RBAC_DENIED, value_matches
from .simulate import SimulationContext, add_step
from .simulate_jwt import check_token


def _plan(ctx: SimulationContext) -> SecurityPlan | None:
    """The workload plan's security (``WorkloadPlan.security``, compiled once per workload, what the
    Envoy export renders); a sidecar's outbound plan has none."""
    plan = getattr(ctx.plan, "security", None)
    return None if plan is None or plan.empty else plan


def remote_address(peer: str, xff: str | None, trusted_hops: int) -> str:
    """Envoy's trusted client address with ``use_remote_address: true`` and ``xff_num_trusted_hops``."""
    if trusted_hops <= 0 or not xff:
        return peer
    entries = [e.strip() for e in xff.split(",") if e.strip()]
    if len(entries) < trusted_hops:
        return peer
    return entries[-trusted_hops]


def _in_block(address: str | None, block: str) -> bool:
    if address is None:
        return False
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(block, strict=False)
    except ValueError:
        return False


def _string_part(kind_text: tuple[str, str], value) -> bool:
    kind, text = kind_text
    if not isinstance(value, str):
        return False
    if kind == "any":
        return value != ""
    if kind == "prefix":
        return value.startswith(text)
    if kind == "suffix":
        return value.endswith(text)
    return value == text


class Facts:
    """What RBAC sees in one request or connection."""

    def __init__(self, ctx: SimulationContext, plan: SecurityPlan, http: bool, claims: dict | None) -> None:
        self.http = http
        self.peer = ctx.request.client_address or LOCAL_CLIENT
        headers = ctx.http.headers if http else {}
        self.remote = remote_address(self.peer, headers.get("x-forwarded-for"), plan.num_trusted_proxies) \
            if http else self.peer
        self.port = ctx.port
        self.headers = headers
        self.path = ctx.path if http else None
        self.sni = ctx.request.sni or (ctx.host if ctx.scheme in ("https", "tls") else None)
        self.claims = claims

    def claim(self, names: list[str]):
        value = self.claims
        for name in names:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        return value

    def matches_value(self, key: str, value: str) -> bool:
        if key == SOURCE_IP:
            return _in_block(self.peer, value)
        if key == REMOTE_IP:
            return _in_block(self.remote, value)
        if key == DEST_PORT:
            return str(self.port) == value.strip()
        if key == DEST_IP:
            return False  # the gateway pod's address is not part of a design
        if key == SNI:
            return value_matches(value, self.sni)
        if key == HOST:
            return value_matches(value, self.headers.get(":authority"), ignore_case=True)
        if key == METHOD:
            return value_matches(value, self.headers.get(":method"))
        if key == PATH:
            return value == "*" or value_matches(value, self.path)
        if key.startswith(REQUEST_HEADERS):
            names = bracket_names(key, REQUEST_HEADERS)
            return bool(names) and value_matches(value, self.headers.get(names[0].lower()))
        if key == REQUEST_PRINCIPAL:
            if self.claims is None:
                return False
            iss, sub = request_principal_parts(value)
            return _string_part(iss, self.claims.get("iss")) and _string_part(sub, self.claims.get("sub"))
        if key in (REQUEST_AUDIENCES, REQUEST_PRESENTER) or key.startswith(REQUEST_CLAIMS):
            names = ["aud"] if key == REQUEST_AUDIENCES else ["azp"] if key == REQUEST_PRESENTER else \
                bracket_names(key, REQUEST_CLAIMS)
            found = self.claim(names or [])
            candidates = found if isinstance(found, list) else [found]
            return any(value_matches(value, c) for c in candidates if isinstance(c, str))
        return False  # source.principal / namespace / serviceAccount: a client outside the mesh has no identity

    def clause(self, clause: Clause) -> bool:
        if clause.values and not any(self.matches_value(clause.key, v) for v in clause.values):
            return False
        return not any(self.matches_value(clause.key, v) for v in clause.not_values)


def rule_matches(rule: RulePlan, facts: Facts) -> bool:
    if rule.never:
        return False
    if rule.sources and not any(all(facts.clause(c) for c in src) for src in rule.sources):
        return False
    if rule.operations and not any(all(facts.clause(c) for c in op) for op in rule.operations):
        return False
    return all(facts.clause(c) for c in rule.conditions)


def _authorize(ctx: SimulationContext, plan: SecurityPlan, facts: Facts) -> str | None:
    tcp = not facts.http
    info: dict = {}
    ctx.result.functions["authorization"] = info
    closed = "Envoy closes the connection" if tcp else f"Envoy answers 403 ({RBAC_DENIED})"

    def stop(text: str) -> str:
        return ctx.stop("denied", text) if tcp else ctx.deny(403, text)

    client = f"client {facts.remote}" + (f" (peer {facts.peer})" if facts.remote != facts.peer else "")
    for rule in plan.rules("AUDIT", tcp):
        if rule_matches(rule, facts):
            info.setdefault("audited", []).append(rule.name)
            ctx.explain(f"Audit: {rule.where} matches; the request is logged, not denied.")
    for rule in plan.rules("DENY", tcp):
        if rule_matches(rule, facts):
            info.update(decision="deny", policy=rule.policy.metadata.qualified, rule=rule.index, name=rule.name)
            return stop(f"Authorization: DENY {rule.where} matches ({client}); {closed}.")
    if plan.has("ALLOW"):
        for rule in plan.rules("ALLOW", tcp):
            if rule_matches(rule, facts):
                info.update(decision="allow", policy=rule.policy.metadata.qualified, rule=rule.index, name=rule.name)
                ctx.explain(f"Authorization: allowed by ALLOW {rule.where}.")
                return None
        names = ", ".join(p.metadata.qualified for p in plan.authorization["ALLOW"])
        info.update(decision="deny", policy=None, rule=None, name=None)
        return stop(f"Authorization: ALLOW policies apply ({names}) and no rule of them matches ({client}); "
                    f"{closed}.")
    info["decision"] = "allow"
    if plan.has("DENY"):
        ctx.explain("Authorization: no DENY rule matches.")
    return None


def step_security_network(ctx: SimulationContext) -> str | None:
    if ctx.listener is None or any(c.is_http for c in ctx.listener.chains):
        return None
    plan = _plan(ctx)
    if plan is None:
        return None
    return _authorize(ctx, plan, Facts(ctx, plan, http=False, claims=None))


def step_security_http(ctx: SimulationContext) -> str | None:
    if ctx.chain is None or not ctx.chain.is_http:
        return None
    plan = _plan(ctx)
    if plan is None:
        return None
    claims = None
    if plan.jwt_rules:
        rules = [rule for _ra, rule in plan.jwt_rules]
        verdict = check_token(SimpleNamespace(rules=rules),
                              lambda r: r.jwks if r.jwks is not None else unusable_jwks(),
                              ctx.http.headers, ctx.http.query)
        info = {"token": verdict.state, "principal": verdict.principal}
        ctx.result.functions["jwt"] = info
        if verdict.state == "failed":
            info["message"] = verdict.message
            unfetched = [r.issuer for r in rules if r.jwks is None and r.jwks_uri]
            extra = f" (keys at jwksUri are not fetched locally for {', '.join(unfetched)})" if unfetched else ""
            return ctx.deny(verdict.status, f"JWT: the token in the {verdict.source} is rejected: "
                            f"{verdict.message}{extra}; Envoy answers {verdict.status}.")
        if verdict.state == "verified":
            claims = verdict.claims
            ctx.explain(f"JWT: the token in the {verdict.source} is valid; request principal {verdict.principal!r}.")
        else:
            ctx.explain("JWT: the request carries no token; RequestAuthentication lets it through to the "
                        "authorization policies (which may require a principal).")
    return _authorize(ctx, plan, Facts(ctx, plan, http=True, claims=claims))


add_step("security_network", step_security_network, before="connection")
add_step("security_http", step_security_http, before="virtual_host")
