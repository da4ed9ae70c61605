"""The security part of a gateway workload's plan: which policies apply, and what istiod makes of them.

istiod builds a proxy's authentication and authorization once, when it starts building that proxy's
listeners (``NewListenerBuilder`` in ``pilot/pkg/networking/core/listener_builder.go`` creates
``authn.NewBuilder(push, node)`` and ``authz.NewBuilder(authz.Local, push, node, ...)``), and every
HTTP connection manager of the proxy gets the same filters (``authz.Builder.BuildHTTP`` builds them
lazily once, ``httpBuilt``; ``BuildTCP`` likewise for network filters). Policies select the proxy by
its pod labels in its namespace, so one gateway workload (one Envoy) has one :class:`SecurityPlan`,
whichever of its Gateways a filter chain comes from. :func:`workload_security` builds it (the compiler
stores it in :attr:`meshdesigner.compile.WorkloadPlan.security`); :func:`security_plan` answers for
one Gateway with the plan of the workload that serves it.

A :class:`SecurityPlan` holds:

* the resources attaching to the workload (:mod:`meshdesigner.model.policy_attach`);
* AuthorizationPolicy rules by action in istiod's filter order, AUDIT (an RBAC ``LOG`` filter: never
  denies), DENY, ALLOW (``builder.build``: ``pilot/pkg/security/authz/builder/builder.go``); with at
  least one ALLOW policy, a request no ALLOW rule matches is denied; CUSTOM policies need an external
  authorizer the design cannot run (MD0902);
* the JWT rules of every RequestAuthentication, sorted by issuer (``newPolicyApplier`` in
  ``pilot/pkg/security/authn/policy_applier.go``), providers ``origins-<i>``;
* the access logs the Telemetry resources leave on (``Telemetries.applicableTelemetries`` and
  ``mergeLogs``, ``pilot/pkg/model/telemetry.go``: root namespace-wide, then the workload namespace's,
  then those selecting the workload; a later level overrides);
* the EnvoyFilters, in istiod's order (root namespace first, then priority, then name:
  ``PushContext.initEnvoyFilters`` sorts by priority and creation time);
* ``problems``: what cannot be applied locally, each a MD09xx code (never a silent skip).

The Envoy exporter renders this plan once per workload (:mod:`meshdesigner.export.envoy.security`)
and the simulator evaluates it (:mod:`meshdesigner.analysis.simulate_security`).
"""

from __future__ import annotations

import base64
import weakref
from dataclasses import dataclass, field

from ..model.function_targets import TargetIndex, workload_labels
from ..model.nodes import GatewayNode
from ..model.policy_attach import policies_for_workload
from ..model.security import (
    AuthorizationPolicy,
    EnvoyFilter,
    JWTRule,
    PolicyResource,
    RequestAuthentication,
    Telemetry,
)
from .security_rules import RulePlan, for_traffic, policy_rules
from .workloads import Workload, gateway_workloads, own_workload, pods_namespace

# Istio's built-in access log provider (``meshConfig.extensionProviders`` ``envoy``: file /dev/stdout).
BUILTIN_LOG_PROVIDERS = {"envoy": "/dev/stdout"}


@dataclass(frozen=True)
class SecurityProblem:
    """Something istiod would apply that the local export/simulation cannot (an MD09xx diagnostic)."""

    code: str
    policy: PolicyResource
    field: str
    message: str


@dataclass(frozen=True)
class AccessLogPlan:
    provider: str
    path: str | None            # None: a provider the design does not define
    filter: str | None
    telemetry: Telemetry


@dataclass
class SecurityPlan:
    """One gateway workload's policies (pods labelled ``labels`` in ``namespace``); ``gateways`` are the
    Gateways merged into it, in merge order."""

    gateways: list[GatewayNode]
    labels: dict[str, str]
    namespace: str
    root_namespace: str
    num_trusted_proxies: int
    policies: list[PolicyResource] = field(default_factory=list)
    authorization: dict[str, list[AuthorizationPolicy]] = field(default_factory=dict)
    jwt_rules: list[tuple[RequestAuthentication, JWTRule]] = field(default_factory=list)
    access_logs: list[AccessLogPlan] = field(default_factory=list)
    envoy_filters: list[EnvoyFilter] = field(default_factory=list)
    problems: list[SecurityProblem] = field(default_factory=list)
    _rules: dict[tuple[str, bool], list[RulePlan]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def gateway(self) -> GatewayNode:
        """The workload's primary Gateway (first in merge order)."""
        return self.gateways[0]

    @property
    def empty(self) -> bool:
        return not self.policies

    def rules(self, action: str, tcp: bool = False) -> list[RulePlan]:
        """The rules of every policy with ``action``, as istiod generates them for HTTP or TCP (built once
        per plan: the simulator asks on every request)."""
        found = self._rules.get((action, tcp))
        if found is None:
            found = self._rules[(action, tcp)] = [
                kept for policy in self.authorization.get(action, []) for rule in policy_rules(policy)
                if (kept := for_traffic(rule, tcp)) is not None]
        return list(found)

    def has(self, action: str) -> bool:
        return bool(self.authorization.get(action))

    @property
    def jwt_providers(self) -> list[tuple[str, RequestAuthentication, JWTRule]]:
        return [(f"origins-{i}", ra, rule) for i, (ra, rule) in enumerate(self.jwt_rules)]


class _Memo:
    """Plans of one project state, by workload: the compiler, the checks and the GUI ask for the same
    workloads many times (once per Gateway)."""

    def __init__(self, key: tuple, revision: int) -> None:
        self.key = key
        self.revision = revision  # the project's revision when ``key`` was last found equal
        self.index: TargetIndex | None = None
        self.workloads: list[Workload] | None = None
        self.plans: dict[tuple, SecurityPlan] = {}


# id(project) -> (weak reference, memo). A cache of pure results, dropped with the project and whenever
# its nodes, policies or settings are other objects (the same scheme as the simulator's compiled gateways).
_MEMO: dict[int, tuple[weakref.ref, _Memo]] = {}


def _memo(project) -> _Memo:
    entry = _MEMO.get(id(project))
    same_project = entry is not None and entry[0]() is project
    revision = getattr(project, "revision", None)
    # Every change of nodes, policies or settings bumps the project's revision (Project announces each): an
    # unchanged revision skips building and comparing the key (the checks ask once per Gateway: 300 key
    # builds of 2,500 nodes were most of the analysis cost of 200 policies).
    if same_project and revision is not None and entry[1].revision == revision \
            and entry[1].key[2] is project.settings:
        return entry[1]
    key = (tuple(project.nodes.values()), tuple(project.policies), project.settings)
    if same_project and entry[1].key == key:
        entry[1].revision = revision
        return entry[1]
    memo = _Memo(key, revision)
    pid = id(project)
    _MEMO[pid] = (weakref.ref(project, lambda _ref, pid=pid: _MEMO.pop(pid, None)), memo)
    return memo


def workload_security(project, workload: Workload, namespace: str) -> SecurityPlan:
    """What the design's policies make of one gateway workload whose pods run in ``namespace`` (pure;
    memoized per project state): istiod's per-proxy ``authn.NewBuilder`` / ``authz.NewBuilder``."""
    settings = project.settings
    if not project.policies:
        return SecurityPlan(list(workload.gateways), workload.label_dict, namespace, settings.root_namespace,
                            settings.num_trusted_proxies)
    memo = _memo(project)
    key = (workload.labels, namespace, tuple(g.id for g in workload.gateways))
    plan = memo.plans.get(key)
    if plan is None:
        plan = memo.plans[key] = _build(project, workload, namespace)
    return plan


def security_plan(project, gateway: GatewayNode) -> SecurityPlan:
    """The security of the workload that serves ``gateway`` (its own workload: the pods labelled exactly
    with its selector), the plan the Envoy config and the simulator of that Gateway use."""
    if not project.policies:
        workload = Workload(tuple(sorted(workload_labels(gateway).items())), (gateway,))
        return workload_security(project, workload, gateway.gateway.namespace)
    memo = _memo(project)
    if memo.workloads is None:
        memo.index = TargetIndex(project.nodes.values())
        memo.workloads = gateway_workloads(project)
    workload = own_workload(memo.workloads, gateway)
    return workload_security(project, workload, pods_namespace(workload, memo.index))


def _build(project, workload: Workload, namespace: str) -> SecurityPlan:
    settings = project.settings
    plan = SecurityPlan(list(workload.gateways), workload.label_dict, namespace, settings.root_namespace,
                        settings.num_trusted_proxies)
    plan.policies = policies_for_workload(project.policies, plan.labels, namespace, settings.root_namespace)
    for policy in plan.policies:
        if isinstance(policy, AuthorizationPolicy):
            action = policy.spec.effective_action
            plan.authorization.setdefault(action, []).append(policy)
            if action == "CUSTOM":
                provider = policy.spec.provider.name if policy.spec.provider else None
                plan.problems.append(SecurityProblem(
                    "MD0902", policy, "spec.provider",
                    f"CUSTOM action with provider {provider!r}: the external authorizer is not part of the design, "
                    "so the local Envoy config and the simulator cannot apply this policy"))
        elif isinstance(policy, RequestAuthentication):
            plan.jwt_rules += [(policy, rule) for rule in policy.spec.jwt_rules or []]
        elif isinstance(policy, EnvoyFilter):
            plan.envoy_filters.append(policy)
        # Telemetry: see _access_logs; PeerAuthentication: a gateway's downstream TLS comes from its
        # Gateway servers, not from PeerAuthentication (istiod applies it to inbound sidecar listeners).
    plan.jwt_rules.sort(key=lambda pair: pair[1].issuer)
    for ra, rule in plan.jwt_rules:
        if rule.jwks is None and rule.jwks_uri:
            plan.problems.append(SecurityProblem(
                "MD0903", ra, f"spec.jwtRules[{(ra.spec.jwt_rules or []).index(rule)}].jwksUri",
                f"issuer {rule.issuer!r}: the keys are at {rule.jwks_uri}, which istiod fetches; the local Envoy "
                "config cannot, so every token of this issuer is rejected there (give the keys inline as jwks)"))
    plan.access_logs = _access_logs(plan)
    root = plan.root_namespace
    plan.envoy_filters.sort(key=lambda ef: (ef.namespace != root, ef.spec.priority or 0, ef.name))
    return plan


def _access_logs(plan: SecurityPlan) -> list[AccessLogPlan]:
    """istiod's ``mergeLogs`` (no mesh default providers): each level's providers replace the ones before;
    ``disabled`` switches a provider off."""
    telemetries = [p for p in plan.policies if isinstance(p, Telemetry)]
    levels = ([t for t in telemetries if t.namespace == plan.root_namespace and t.selector_labels is None]
              + [t for t in telemetries if t.namespace != plan.root_namespace and t.selector_labels is None]
              + [t for t in telemetries if t.selector_labels is not None])
    providers: dict[str, tuple[str | None, Telemetry] | None] = {}
    in_scope: list[str] = []
    for telemetry in levels:
        names: list[str] = []
        for logging in telemetry.spec.access_logging or []:
            mode = (logging.match or {}).get("mode")
            if mode not in (None, "CLIENT_AND_SERVER", "SERVER"):
                continue
            subproviders = [p.name for p in logging.providers or []] or list(in_scope)
            names += [n for n in subproviders if n not in names]
            for name in subproviders:
                if logging.disabled:
                    providers[name] = None
                else:
                    providers[name] = (logging.filter.expression if logging.filter else None, telemetry)
        if names:
            in_scope = names
    out = []
    for name in in_scope:
        entry = providers.get(name)
        if entry is None:
            continue
        expression, telemetry = entry
        out.append(AccessLogPlan(name, BUILTIN_LOG_PROVIDERS.get(name), expression, telemetry))
    return out


def missing_log_providers(plan: SecurityPlan) -> list[SecurityProblem]:
    return [SecurityProblem("MD0904", log.telemetry, "spec.accessLogging",
                            f"access log provider {log.provider!r} is not defined in the design (only Istio's "
                            "built-in 'envoy' provider is); the local Envoy config writes no log for it")
            for log in plan.access_logs if log.path is None]


def unusable_jwks() -> str:
    """istiod's answer when it cannot fetch a ``jwksUri``: a key nobody holds, so every token fails."""
    n = base64.urlsafe_b64encode((2 ** 2047 + 1).to_bytes(256, "big")).rstrip(b"=").decode()
    return '{"keys":[{"kty":"RSA","alg":"RS256","kid":"unfetched","e":"AQAB","n":"' + n + '"}]}'
