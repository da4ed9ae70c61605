"""AuthorizationPolicy rules in the normal form istiod builds before it writes Envoy RBAC.

istiod's ``authzmodel.New`` (``pilot/pkg/security/authz/model/model.go``) turns one rule into
clauses ``(key, values, notValues)``: each ``from.source`` is an AND of its fields' clauses and the
sources are ORed; the same for ``to.operation``; every ``when`` condition is ANDed to both. A clause
matches when any of its ``values`` matches and none of its ``notValues`` does. The keys are Istio's
attribute names (``source.ip``, ``remote.ip``, ``request.auth.claims[...]``...) plus istiod's
internal names for the operation fields (``:authority``, ``:method``, ``path-matcher``).

For a TCP filter chain (``Model.Generate(forTCP=true)``) HTTP-only keys cannot be checked: in an
ALLOW policy the whole rule is skipped (a smaller allow), in DENY and AUDIT policies those clauses
are dropped (a wider deny) -- ``rule.checkError``. :func:`for_traffic` applies that.

Both the Envoy renderer (:mod:`meshdesigner.export.envoy.security_rbac`) and the simulator
(:mod:`meshdesigner.analysis.simulate_security`) read these clauses, so they cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.security import AuthorizationPolicy, AuthorizationRule

HOST, METHOD, PATH = ":authority", ":method", "path-matcher"
SOURCE_IP, REMOTE_IP, DEST_IP, DEST_PORT, SNI = "source.ip", "remote.ip", "destination.ip", "destination.port", \
    "connection.sni"
SOURCE_NAMESPACE, SOURCE_PRINCIPAL, SOURCE_SA = "source.namespace", "source.principal", "source.serviceAccount"
REQUEST_PRINCIPAL, REQUEST_AUDIENCES, REQUEST_PRESENTER = "request.auth.principal", "request.auth.audiences", \
    "request.auth.presenter"
REQUEST_HEADERS, REQUEST_CLAIMS = "request.headers", "request.auth.claims"
ENVOY_FILTER_ATTR = "experimental.envoy.filters."

# The attributes istiod accepts in ``when`` (model.go's switch); anything else makes the rule invalid.
WHEN_KEYS = (DEST_IP, DEST_PORT, SNI, SOURCE_IP, REMOTE_IP, SOURCE_NAMESPACE, "source.trustDomain", SOURCE_SA,
             SOURCE_PRINCIPAL, REQUEST_PRINCIPAL, REQUEST_AUDIENCES, REQUEST_PRESENTER)

SOURCE_FIELDS = (("ip_blocks", SOURCE_IP), ("remote_ip_blocks", REMOTE_IP), ("namespaces", SOURCE_NAMESPACE),
                 ("service_accounts", SOURCE_SA), ("request_principals", REQUEST_PRINCIPAL),
                 ("principals", SOURCE_PRINCIPAL))
OPERATION_FIELDS = (("hosts", HOST), ("ports", DEST_PORT), ("methods", METHOD), ("paths", PATH))

_BRACKETS = re.compile(r"\[([^\[\]]+)\]")


def is_http_only(key: str) -> bool:
    """Keys a TCP chain cannot see (the generators that error ``"%q is HTTP only"`` for TCP)."""
    return key in (HOST, METHOD, PATH, REQUEST_PRINCIPAL, REQUEST_AUDIENCES, REQUEST_PRESENTER) or \
        key.startswith(REQUEST_HEADERS) or key.startswith(REQUEST_CLAIMS)


def bracket_names(key: str, prefix: str) -> list[str] | None:
    """``request.auth.claims[a][b]`` -> ``["a", "b"]`` (istiod's ``extractNameInNestedBrackets``); None if malformed."""
    rest = key[len(prefix):]
    names = _BRACKETS.findall(rest)
    if not names or "".join(f"[{n}]" for n in names) != rest:
        return None
    return names


def known_when_key(key: str) -> bool:
    if key in WHEN_KEYS or key.startswith(ENVOY_FILTER_ATTR):
        return True
    if key.startswith(REQUEST_HEADERS):
        names = bracket_names(key, REQUEST_HEADERS)
        return names is not None and len(names) == 1
    if key.startswith(REQUEST_CLAIMS):
        return bracket_names(key, REQUEST_CLAIMS) is not None
    return False


@dataclass(frozen=True)
class Clause:
    key: str
    values: tuple[str, ...] = ()
    not_values: tuple[str, ...] = ()

    @property
    def http_only(self) -> bool:
        return is_http_only(self.key)


@dataclass(frozen=True)
class RulePlan:
    """One rule of one policy: ``sources`` (ORed, each an AND), ``operations`` (likewise), ``conditions``
    (ANDed). ``never`` is istiod's ``rbacPolicyMatchNever`` for a policy without rules."""

    policy: AuthorizationPolicy
    index: int
    sources: tuple[tuple[Clause, ...], ...] = ()
    operations: tuple[tuple[Clause, ...], ...] = ()
    conditions: tuple[Clause, ...] = ()
    never: bool = False

    @property
    def action(self) -> str:
        return self.policy.spec.effective_action

    @property
    def name(self) -> str:
        """istiod's ``policyName``: ``ns[<ns>]-policy[<name>]-rule[<i>]``."""
        return f"ns[{self.policy.namespace}]-policy[{self.policy.name}]-rule[{self.index}]"

    @property
    def where(self) -> str:
        return f"AuthorizationPolicy {self.policy.metadata.qualified} spec.rules[{self.index}]"

    def clauses(self) -> list[Clause]:
        return [c for group in (*self.sources, *self.operations) for c in group] + list(self.conditions)


def _clause(key: str, values, not_values) -> Clause | None:
    values, not_values = tuple(values or ()), tuple(not_values or ())
    if not values and not not_values:
        return None
    return Clause(key, values, not_values)


def _group(obj, fields) -> tuple[Clause, ...]:
    out = []
    for field, key in fields:
        clause = _clause(key, getattr(obj, field, None), getattr(obj, "not_" + field, None))
        if clause is not None:
            out.append(clause)
    return tuple(out)


def rule_plan(policy: AuthorizationPolicy, index: int, rule: AuthorizationRule) -> RulePlan:
    sources = tuple(_group(f.source, SOURCE_FIELDS) for f in rule.from_ or [] if f.source is not None)
    operations = tuple(_group(t.operation, OPERATION_FIELDS) for t in rule.to or [] if t.operation is not None)
    conditions = tuple(c for c in (_clause(w.key, w.values, w.not_values) for w in rule.when or []) if c)
    return RulePlan(policy, index, sources, operations, conditions)


def policy_rules(policy: AuthorizationPolicy) -> list[RulePlan]:
    """The rules of a policy; a policy without rules gives one rule that never matches."""
    rules = policy.spec.rules or []
    if not rules:
        return [RulePlan(policy, 0, never=True)]
    return [rule_plan(policy, i, rule) for i, rule in enumerate(rules)]


def for_traffic(rule: RulePlan, tcp: bool) -> RulePlan | None:
    """The rule as istiod generates it for an HTTP (unchanged) or a TCP chain (see the module doc)."""
    if not tcp or rule.never:
        return rule
    if not any(c.http_only for c in rule.clauses()):
        return rule
    if rule.action == "ALLOW":
        return None

    def strip(group: tuple[Clause, ...]) -> tuple[Clause, ...]:
        return tuple(c for c in group if not c.http_only)

    return RulePlan(rule.policy, rule.index, tuple(strip(s) for s in rule.sources),
                    tuple(strip(o) for o in rule.operations), strip(rule.conditions))


def request_principal_parts(value: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """How istiod matches a request principal pattern (``requestPrincipalGenerator.extendedPrincipal``):
    ((kind, text) for ``iss``, (kind, text) for ``sub``), kind one of any/exact/prefix/suffix. The issuer
    is everything before the last ``/``."""
    idx = value.rfind("/")
    found = idx >= 0
    iss, sub = (value[:idx], value[idx + 1:]) if found else (value, "")
    any_ = ("any", "")
    if value == "*":
        return any_, any_
    if value.startswith("*"):
        if found:
            return (any_ if iss == "*" else ("suffix", iss[1:])), ("exact", sub)
        return any_, ("suffix", value[1:])
    if value.endswith("*"):
        if found:
            return ("exact", iss), (any_ if sub == "*" else ("prefix", sub[:-1]))
        return ("prefix", value[:-1]), any_
    return ("exact", iss), ("exact", sub)
