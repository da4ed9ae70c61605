"""MD09xx: the design's AuthorizationPolicy, RequestAuthentication, PeerAuthentication, Telemetry and
EnvoyFilter resources (:mod:`meshdesigner.model.security`).

* MD0901: what Istio's admission webhook rejects (``ValidateAuthorizationPolicy``,
  ``ValidateRequestAuthentication``, ``ValidateEnvoyFilter`` in ``pkg/config/validation``), with
  Istio's own message;
* MD0902-MD0905: what istiod applies but the local Envoy config and the simulator cannot (a CUSTOM
  external authorizer, keys only at a ``jwksUri``, an access log provider the design does not define,
  an EnvoyFilter patch that applies to nothing at any gateway);
* MD0906-MD0908: cross-resource findings (a selector that matches no gateway of the design, a
  namespace referenced but absent, claim-based conditions without a RequestAuthentication);
* MD0909: an apiVersion the kind's CRD does not serve (the API server refuses it).

Istio's authorization analyzers (``pkg/config/analysis/analyzers/authz``) are ported in MD10xx.
"""

from __future__ import annotations

import ipaddress

from ...compile.security import missing_log_providers, security_plan
from ...compile.security_rules import REQUEST_CLAIMS, known_when_key
from ...model.policy_attach import selected
from ...model.security import AUTHZ_ACTIONS, AuthorizationPolicy, EnvoyFilter, RequestAuthentication
from ..catalogue import MessageType
from ..diagnostic import ERROR, INFO, WARNING
from ..messages import register
from ..registry import DESIGN, rule


def _m(code: str, name: str, severity: str, template: str, explain: str, istio: str | None = None) -> MessageType:
    return register(MessageType(code, name, severity, template, " ".join(explain.split()), istio))


WEBHOOK_REJECTS = _m(
    "MD0901", "SecurityResourceInvalid", ERROR, "{message}",
    """Istio's admission webhook rejects this resource (the message is Istio's): kubectl apply fails and
    nothing of it takes effect. Fix the field named.""")
CUSTOM_NOT_LOCAL = _m(
    "MD0902", "CustomAuthorizationNotLocal", WARNING, "{message}",
    """A CUSTOM AuthorizationPolicy delegates the decision to an external authorizer (an
    extensionProviders entry of the mesh config). The design does not hold that service, so the standalone
    Envoy config and the simulator leave this policy out; in the cluster it applies.""")
JWKS_NOT_LOCAL = _m(
    "MD0903", "JwksUriNotFetchedLocally", WARNING, "{message}",
    """istiod fetches the keys at jwksUri and inlines them into the gateway's config. A design works
    offline, so the standalone Envoy config cannot have them: there every token of this issuer fails (401),
    as in Istio when the keys cannot be fetched. Paste the JWKS into jwks to try tokens locally.""")
LOG_PROVIDER_UNKNOWN = _m(
    "MD0904", "AccessLogProviderUnknown", WARNING, "{message}",
    """Telemetry names access log providers defined in the mesh config's extensionProviders; only Istio's
    built-in 'envoy' provider (a text log to /dev/stdout) is known to a design. The local config writes no
    log for the others.""")
PATCH_APPLIES_NOWHERE = _m(
    "MD0905", "EnvoyFilterPatchUnplaced", WARNING, "configPatches[{index}] ({apply_to} {operation}): {reason}",
    """An EnvoyFilter patch that matches nothing in the config of any gateway it selects is silently ignored
    by istiod. The reason names what did not match (context, listener port, filter name, route name...).""")
SELECTOR_MATCHES_NO_GATEWAY = _m(
    "MD0906", "PolicySelectsNoGateway", INFO, "{what} {labels} selects no gateway of this design",
    """The resource's workload selector matches none of the design's gateway workloads (the pods a Gateway
    selector picks). It may select sidecars or gateways outside the design; if it was meant for a gateway,
    fix the labels.""")
NAMESPACE_ABSENT = _m(
    "MD0907", "PolicyNamespaceAbsent", INFO,
    "namespace {namespace} holds no workload of this design and is not the root namespace {root}",
    """A policy applies only to workloads of its own namespace (or to every workload from the mesh root
    namespace). No gateway of this design runs in this namespace, so the policy applies to none of them.""")
CLAIMS_WITHOUT_AUTHN = _m(
    "MD0908", "ClaimConditionWithoutRequestAuthentication", WARNING,
    "{where} uses {key}, but no RequestAuthentication applies to gateway {gateway}: no request has claims there",
    """JWT claims and request principals come from a RequestAuthentication that validates the token. Without
    one applying to the same workload no request has a principal or claims: an ALLOW rule on them never
    matches and a DENY rule on notValues/notRequestPrincipals matches every request.""")

VERSION_NOT_SERVED = _m(
    "MD0909", "PolicyApiVersionNotServed", ERROR,
    "apiVersion {api_version} is not served for {kind}: Istio serves {served}",
    """Istio's CRD for this kind serves only the versions named (crd-all.gen.yaml: security.istio.io v1 and
    v1beta1, telemetry.istio.io v1 and v1alpha1, networking.istio.io v1alpha3 for EnvoyFilter). The API
    server refuses any other version (kubectl apply: no matches for kind in version), so the resource is
    never created. Write one of the served versions.""")

PATCH_OPERATIONS = {
    "LISTENER": ("MERGE", "ADD", "REMOVE"),
    "FILTER_CHAIN": ("MERGE", "ADD", "REMOVE"),
    "NETWORK_FILTER": ("MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "REPLACE"),
    "HTTP_FILTER": ("MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "REPLACE"),
    "ROUTE_CONFIGURATION": ("MERGE",),
    "VIRTUAL_HOST": ("MERGE", "ADD", "REMOVE"),
    "HTTP_ROUTE": ("MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"),
    "CLUSTER": ("MERGE", "ADD", "REMOVE"),
    "EXTENSION_CONFIG": ("ADD",),
    "BOOTSTRAP": ("MERGE",),
    "LISTENER_FILTER": ("ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"),
}
CONTEXTS = ("ANY", "SIDECAR_INBOUND", "SIDECAR_OUTBOUND", "GATEWAY", "WAYPOINT")


def _ip_problem(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"invalid IP address or CIDR range: {value}"
    return None


def _authz_problems(policy: AuthorizationPolicy):
    """``ValidateAuthorizationPolicy`` (pkg/config/validation/validation.go), the checks that matter here."""
    spec = policy.spec
    action = spec.effective_action
    if action not in AUTHZ_ACTIONS:
        yield "spec.action", f"unknown action {action!r} (ALLOW, DENY, AUDIT or CUSTOM)"
        return
    if action == "CUSTOM":
        if not spec.rules:  # protobuf has no empty-vs-absent list: `rules: []` is nil to the webhook
            yield "spec.rules", ("CUSTOM action without `rules` is meaningless as it will never be triggered, add an "
                                 "empty rule `{}` if you want it be triggered for every request")
        if spec.provider is None or not spec.provider.name:
            yield "spec.provider.name", "`provider.name` must not be empty"
    elif spec.provider is not None:
        yield "spec.provider", f"`provider` must not be with non CUSTOM action, found {action}"
    if action == "DENY" and not spec.rules:
        yield "spec.rules", ("DENY action without `rules` is meaningless as it will never be triggered, add an "
                             "empty rule `{}` if you want it be triggered for every request")
    if spec.selector is not None and (spec.target_ref is not None or spec.target_refs):
        yield "spec.selector", "only one of targetRefs or workloadSelector can be set"
    for i, r in enumerate(spec.rules or []):
        base = f"spec.rules[{i}]"
        if r.from_ is not None and not r.from_:
            yield f"{base}.from", f"`from` must not be empty, found at rule {i}"
        for j, f in enumerate(r.from_ or []):
            if f.source is None:
                yield f"{base}.from[{j}]", f"`from.source` must not be nil, found at rule {i}"
                continue
            if not f.source.to_wire():
                yield f"{base}.from[{j}].source", f"`from.source` must not be empty, found at rule {i}"
            for field in ("ip_blocks", "not_ip_blocks", "remote_ip_blocks", "not_remote_ip_blocks"):
                for value in getattr(f.source, field) or []:
                    problem = _ip_problem(value)
                    if problem:
                        yield f"{base}.from[{j}].source", problem
        if r.to is not None and not r.to:
            yield f"{base}.to", f"`to` must not be empty, found at rule {i}"
        for j, t in enumerate(r.to or []):
            if t.operation is None:
                yield f"{base}.to[{j}]", f"`to.operation` must not be nil, found at rule {i}"
                continue
            if not t.operation.to_wire():
                yield f"{base}.to[{j}].operation", f"`to.operation` must not be empty, found at rule {i}"
            for port in [*(t.operation.ports or []), *(t.operation.not_ports or [])]:
                if not port.isdigit() or not 0 < int(port) < 65536:
                    yield f"{base}.to[{j}].operation", f"port must be in the range [0, 65535], found {port}"
        for k, condition in enumerate(r.when or []):
            path = f"{base}.when[{k}]"
            if not condition.key:
                yield path, "`key` must not be empty"
            elif not known_when_key(condition.key):
                yield f"{path}.key", f"unknown attribute ({condition.key})"
            if not condition.values and not condition.not_values:
                yield path, f"at least one of `values` or `notValues` must be set for key {condition.key}"


def _authn_problems(policy: RequestAuthentication):
    """``ValidateRequestAuthentication``: every JWT rule needs an issuer; jwks and jwksUri not both."""
    for i, jwt_rule in enumerate(policy.spec.jwt_rules or []):
        if not jwt_rule.issuer:
            yield f"spec.jwtRules[{i}].issuer", "issuer must be set"
        if jwt_rule.jwks and jwt_rule.jwks_uri:
            yield f"spec.jwtRules[{i}]", "only one of jwks or jwksUri can be set"


def _envoyfilter_problems(policy: EnvoyFilter):
    """``ValidateEnvoyFilter``: a known applyTo, an operation it allows, a known context."""
    for i, patch in enumerate(policy.spec.config_patches or []):
        base = f"spec.configPatches[{i}]"
        if patch.patch is None:
            yield base, "Envoy filter: missing patch"
            continue
        if patch.apply_to not in PATCH_OPERATIONS:
            yield f"{base}.applyTo", f"Envoy filter: unknown applyTo {patch.apply_to!r}"
            continue
        operation = patch.patch.operation
        if operation not in PATCH_OPERATIONS[patch.apply_to]:
            yield f"{base}.patch.operation", (f"Envoy filter: {operation} is not a supported operation for "
                                              f"{patch.apply_to}")
        if operation not in ("REMOVE",) and patch.patch.value is None:
            yield f"{base}.patch.value", "Envoy filter: missing value for patch"
        context = patch.match.context if patch.match else None
        if context is not None and context not in CONTEXTS:
            yield f"{base}.match.context", f"Envoy filter: unknown context {context!r}"


def webhook_problems(policy) -> list[tuple[str, str]]:
    """(field path, Istio's message) for everything the admission webhook rejects in ``policy``."""
    check = {AuthorizationPolicy: _authz_problems, RequestAuthentication: _authn_problems,
             EnvoyFilter: _envoyfilter_problems}.get(type(policy))
    return list(check(policy)) if check is not None else []


@rule("security.served_version", codes=("MD0909",), scope=DESIGN)
def served_version(ctx):
    for policy in ctx.project.policies:
        version = policy.api_version
        if version is not None and version.rpartition("/")[2] not in policy.API_VERSIONS:
            served = ", ".join(f"{policy.API_GROUP}/{v}" for v in policy.API_VERSIONS)
            yield VERSION_NOT_SERVED.at(policy.ref, "apiVersion", api_version=version, kind=policy.KIND,
                                        served=served)


@rule("security.webhook", codes=("MD0901",), scope=DESIGN)
def webhook(ctx):
    for policy in ctx.project.policies:
        for path, message in webhook_problems(policy):
            yield WEBHOOK_REJECTS.at(policy.ref, path, message=message)


@rule("security.local", codes=("MD0902", "MD0903", "MD0904", "MD0906", "MD0907", "MD0908"), scope=DESIGN)
def local_effects(ctx):
    project = ctx.project
    if not project.policies:
        return
    # One plan per gateway workload (the Gateways sharing pods share it), in the order of their Gateways.
    plans = list({id(plan): plan for plan in (security_plan(project, g) for g in project.gateways())}.values())
    workloads = [(plan.labels, plan.namespace) for plan in plans]
    namespaces = {ns for _labels, ns in workloads}
    root = project.settings.root_namespace
    seen: set[tuple] = set()
    for plan in plans:
        gateway = plan.gateway
        for problem in [*plan.problems, *missing_log_providers(plan)]:
            key = (problem.code, problem.policy.ref, problem.field)
            if key in seen:
                continue
            seen.add(key)
            message = {"MD0902": CUSTOM_NOT_LOCAL, "MD0903": JWKS_NOT_LOCAL, "MD0904": LOG_PROVIDER_UNKNOWN}
            yield message[problem.code].at(problem.policy.ref, problem.field, message=problem.message)
        if not plan.jwt_rules:
            for action, policies in plan.authorization.items():
                for policy in policies:
                    for i, r in enumerate(policy.spec.rules or []):
                        keys = [c.key for c in r.when or [] if c.key.startswith(REQUEST_CLAIMS)
                                or c.key.startswith("request.auth.")]
                        if any(f.source and (f.source.request_principals or f.source.not_request_principals)
                               for f in r.from_ or []):
                            keys.append("requestPrincipals")
                        key = ("MD0908", policy.ref, i, gateway.id)
                        if keys and key not in seen:
                            seen.add(key)
                            yield CLAIMS_WITHOUT_AUTHN.at(policy.ref, f"spec.rules[{i}]", where=f"{action} rule {i}",
                                                          key=keys[0], gateway=gateway.gateway.metadata.qualified)
    for policy in project.policies:
        if policy.namespace != root and policy.namespace not in namespaces:
            yield NAMESPACE_ABSENT.at(policy.ref, "metadata.namespace", namespace=policy.namespace, root=root)
            continue
        labels = policy.selector_labels
        if labels and not policy.target_refs and not any(
                selected(policy, wl) and (policy.namespace in (root, ns)) for wl, ns in workloads):
            path = "spec.workloadSelector" if isinstance(policy, EnvoyFilter) else "spec.selector"
            yield SELECTOR_MATCHES_NO_GATEWAY.at(policy.ref, path, what=policy.KIND,
                                                 labels=",".join(f"{k}={v}" for k, v in sorted(labels.items())))


@rule("security.envoyfilter_placement", codes=("MD0905",), scope=DESIGN)
def envoyfilter_placement(ctx):
    """Patches that can apply to none of the gateways their EnvoyFilter selects: a context other than
    GATEWAY/ANY (``patchContextMatch``), a listener or route configuration port no server of those gateways
    has (``listenerMatch``, ``routeConfigurationMatch``), a route name none of their routes has
    (``routeMatch``). Checked on the design, without building the configs."""
    project = ctx.project
    if not any(isinstance(p, EnvoyFilter) for p in project.policies):
        return
    ports: dict = {}
    routes: dict = {}
    # The route names of every VirtualService are gathered only when some patch matches a route by name.
    by_name = any(_route_name(patch) for p in project.policies if isinstance(p, EnvoyFilter)
                  for patch in p.spec.config_patches or [])
    names = _route_names_by_gateway(project) if by_name else {}
    for gateway in project.gateways():
        plan = security_plan(project, gateway)
        for ef in plan.envoy_filters:
            ports.setdefault(ef.ref, set()).update(s.port.number for s in gateway.gateway.spec.servers or []
                                                   if s.port is not None)
            routes.setdefault(ef.ref, set()).update(names.get(gateway.gateway.metadata.qualified, ()))
    for policy in project.policies:
        if not isinstance(policy, EnvoyFilter) or policy.ref not in ports:
            continue
        for i, patch in enumerate(policy.spec.config_patches or []):
            reason = _unplaceable(patch, ports[policy.ref], routes[policy.ref])
            if reason:
                operation = patch.patch.operation if patch.patch else None
                yield PATCH_APPLIES_NOWHERE.at(policy.ref, f"spec.configPatches[{i}]", index=i,
                                               apply_to=patch.apply_to, operation=operation, reason=reason)


def _route_names_by_gateway(project) -> dict[str, set[str]]:
    """Gateway ``ns/name`` -> the Envoy route names of the HTTP rules bound to it."""
    from ...model.function_targets import envoy_route_names
    from ...model.hosts import gateway_ref

    out: dict[str, set[str]] = {}
    for node in project.virtual_services():
        vs = node.virtual_service
        names = {name for rule in vs.spec.http or [] for name in envoy_route_names(rule)}
        for entry in vs.spec.gateways or []:
            out.setdefault(gateway_ref(entry, vs.namespace), set()).update(names)
    return out


def _route_name(patch) -> str | None:
    """The route name a patch's ``routeConfiguration.vhost.route`` match names, if any."""
    rc = (patch.match.route_configuration if patch.match else None) or {}
    return ((rc.get("vhost") or {}).get("route") or {}).get("name")


def _unplaceable(patch, ports: set[int], routes: set[str]) -> str | None:
    match = patch.match
    context = (match.context if match else None) or "ANY"
    if context not in ("ANY", "GATEWAY"):
        return f"context {context} never applies to a gateway"
    if match is None:
        return None
    listener_port = (match.listener or {}).get("portNumber")
    if listener_port and int(listener_port) not in ports:
        return f"no selected gateway has a server on port {listener_port}"
    rc = match.route_configuration or {}
    if rc.get("portNumber") and int(rc["portNumber"]) not in ports:
        return f"no selected gateway has a server on port {rc['portNumber']}"
    route = _route_name(patch)
    if route and route not in routes:
        return f"no HTTP route named {route!r} is bound to the selected gateways"
    return None
