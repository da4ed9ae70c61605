"""Project format 2 -> 3: the gateway ``functions:`` of format 2 become the Istio resources they stood for.

Format 2 gave a gateway node a ``functions:`` block (firewall, JWT, rate limits, cache, access log)
that MeshDesigner turned into AuthorizationPolicy, RequestAuthentication, EnvoyFilter and Telemetry
resources at export time. Format 3 has no such block: those resources are the design
(``policies:``), exactly like hand-written ones, and the Functions section of the app is a view over
them (:mod:`meshdesigner.model.functions_view`).

The resources written here are the ones format 2 exported for the same design (same names
``<gateway>-deny``, ``-allow``, ``-jwt``, ``-require-jwt``, ``-ratelimit``, ``-cache``, ``-access-log``;
same namespace: the gateway's workload namespace; same selector: the Gateway's ``selector`` labels;
same specs), without the ``meshdesigner.io/*`` annotations: nothing depends on them any more.
A name already taken by a resource of the file gets ``-2``, ``-3``...

What format 2 could hold that the resources cannot:

* ``functions.workloadNamespace`` moves to the gateway node (``workload_namespace``);
* ``jwt.rules[].jwksFile``: the file's content is inlined as ``jwks`` (as format 2's Istio export did);
  an unreadable file without a ``jwksUri`` is an error naming the field, never a silent drop;
* a firewall rule's ``name`` (AuthorizationPolicy rules have no name) and ``accessLog.path`` (Istio's
  ``envoy`` provider always writes to /dev/stdout) are dropped, as format 2's Istio export did;
* functions on a gateway without a ``selector`` had no effect (format 2 generated nothing for them:
  a policy without a selector would apply to the whole namespace) and are dropped.

The format-2 schema of ``functions:`` lives here (``Legacy*``) for reading old files only.
"""

from __future__ import annotations

import pathlib

from pydantic import StrictBool, StrictInt, StrictStr, ValidationError

from ..model import GatewayNode, node_from_dict
from ..model import functions_view as fv
from ..model.base import WireModel
from ..model.function_targets import TargetIndex, bound_http_routes, workload_labels, workload_namespace
from ..model.security import policy_type
from .errors import InputError
from .manifests import format_loc

# ----- the format-2 schema of ``functions:`` -------------------------------------------------------


class LegacyHeaderCondition(WireModel):
    name: StrictStr
    values: list[StrictStr] | None = None
    not_values: list[StrictStr] | None = None


class LegacyFirewallRule(WireModel):
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
    headers: list[LegacyHeaderCondition] | None = None


class LegacyFirewall(WireModel):
    rules: list[LegacyFirewallRule] = []


class LegacyJwtHeader(WireModel):
    name: StrictStr
    prefix: StrictStr | None = None


class LegacyJwtRule(WireModel):
    issuer: StrictStr
    audiences: list[StrictStr] | None = None
    jwks: StrictStr | None = None
    jwks_file: StrictStr | None = None
    jwks_uri: StrictStr | None = None
    from_headers: list[LegacyJwtHeader] | None = None
    from_params: list[StrictStr] | None = None
    forward_original_token: StrictBool | None = None
    output_payload_to_header: StrictStr | None = None


class LegacyJwt(WireModel):
    rules: list[LegacyJwtRule] = []
    require_principal: StrictBool = False
    principals: list[StrictStr] | None = None
    paths: list[StrictStr] | None = None


class LegacyRouteRef(WireModel):
    virtual_service: StrictStr
    route: StrictStr


class LegacyCache(WireModel):
    routes: list[LegacyRouteRef] | None = None
    max_body_bytes: StrictInt | None = None
    allowed_vary_headers: list[StrictStr] | None = None
    ignore_request_cache_control: StrictBool | None = None


class LegacyRateLimit(WireModel):
    tokens_per_fill: StrictInt
    fill_interval: StrictStr = "1s"
    max_tokens: StrictInt | None = None
    status: StrictInt = 429
    route: LegacyRouteRef | None = None


class LegacyAccessLog(WireModel):
    provider: StrictStr = "envoy"
    path: StrictStr = "/dev/stdout"
    filter: StrictStr | None = None
    disabled: StrictBool | None = None


class LegacyFunctions(WireModel):
    workload_namespace: StrictStr | None = None
    firewall: LegacyFirewall | None = None
    jwt: LegacyJwt | None = None
    cache: LegacyCache | None = None
    rate_limits: list[LegacyRateLimit] | None = None
    access_log: LegacyAccessLog | None = None


# ----- the resources they stood for ----------------------------------------------------------------

class _Names:
    """Resource names already used in the file, so a migrated resource never replaces one."""

    def __init__(self, policies: list) -> None:
        self.used = {(p.get("kind"), (p.get("metadata") or {}).get("namespace", "default"),
                      (p.get("metadata") or {}).get("name")) for p in policies if isinstance(p, dict)}

    def take(self, kind: str, namespace: str, base: str) -> str:
        name, n = base, 2
        while (kind, namespace, name) in self.used:
            name, n = f"{base}-{n}", n + 1
        self.used.add((kind, namespace, name))
        return name


def _authorization_rule(rule: LegacyFirewallRule) -> dict:
    """A firewall rule as the AuthorizationPolicy rule format 2 exported for it."""
    source = {key: list(getattr(rule, field)) for field, key in (
        ("remote_ip_blocks", "remoteIpBlocks"), ("not_remote_ip_blocks", "notRemoteIpBlocks"),
        ("ip_blocks", "ipBlocks"), ("not_ip_blocks", "notIpBlocks")) if getattr(rule, field)}
    operation = {key: list(getattr(rule, field)) for field, key in (
        ("hosts", "hosts"), ("not_hosts", "notHosts"), ("methods", "methods"), ("not_methods", "notMethods"),
        ("paths", "paths"), ("not_paths", "notPaths")) if getattr(rule, field)}
    for field, key in (("ports", "ports"), ("not_ports", "notPorts")):
        if getattr(rule, field):
            operation[key] = [str(p) for p in getattr(rule, field)]
    out: dict = {}
    if source:
        out["from"] = [{"source": source}]
    if operation:
        out["to"] = [{"operation": operation}]
    when = []
    for header in rule.headers or []:
        condition: dict = {"key": f"request.headers[{header.name}]"}
        if header.values:
            condition["values"] = list(header.values)
        if header.not_values:
            condition["notValues"] = list(header.not_values)
        if "values" not in condition and "notValues" not in condition:
            condition["values"] = ["*"]  # Istio needs one of them; "*" = the header is present
        when.append(condition)
    if when:
        out["when"] = when
    return out


def _jwt_rule(rule: LegacyJwtRule, field: str, base_dir: pathlib.Path | None) -> dict:
    out: dict = {"issuer": rule.issuer}
    if rule.audiences:
        out["audiences"] = list(rule.audiences)
    jwks = rule.jwks
    if jwks is None and rule.jwks_file:
        path = pathlib.Path(rule.jwks_file)
        if not path.is_absolute() and base_dir is not None and not path.exists():
            path = base_dir / path
        try:
            jwks = path.read_text(encoding="utf-8")
        except OSError as exc:
            if not rule.jwks_uri:
                raise InputError(f"cannot read the JWKS file {rule.jwks_file!r} to move its keys into the "
                                 f"RequestAuthentication ({exc.strerror or exc})", field=field) from None
    if jwks is not None:
        out["jwks"] = jwks
    elif rule.jwks_uri:
        out["jwksUri"] = rule.jwks_uri
    if rule.from_headers:
        out["fromHeaders"] = [{"name": h.name, **({"prefix": h.prefix} if h.prefix is not None else {})}
                              for h in rule.from_headers]
    if rule.from_params:
        out["fromParams"] = list(rule.from_params)
    if rule.forward_original_token is not None:
        out["forwardOriginalToken"] = rule.forward_original_token
    if rule.output_payload_to_header:
        out["outputPayloadToHeader"] = rule.output_payload_to_header
    return out


def function_resources(functions: LegacyFunctions, node: GatewayNode, index: TargetIndex, names: _Names,
                       where: str = "functions", base_dir: pathlib.Path | None = None) -> list[dict]:
    """The manifests format 2 exported for one gateway's ``functions`` (in its order), unannotated."""
    labels = workload_labels(node)
    if not labels:
        return []
    namespace = workload_namespace(node, index)
    gw = node.gateway.name
    out = []
    firewall = functions.firewall
    for action, suffix in (("DENY", "deny"), ("ALLOW", "allow")):
        rules = [_authorization_rule(r) for r in (firewall.rules if firewall else []) if r.action == action]
        if rules:
            name = names.take("AuthorizationPolicy", namespace, f"{gw}-{suffix}")
            out.append(fv.new_authorization_policy(name, namespace, labels, action, rules).manifest())
    jwt = functions.jwt
    if jwt is not None and jwt.rules:
        rules = [_jwt_rule(r, f"{where}.jwt.rules[{i}].jwksFile", base_dir) for i, r in enumerate(jwt.rules)]
        out.append(fv.new_request_authentication(names.take("RequestAuthentication", namespace, f"{gw}-jwt"),
                                                 namespace, labels, rules).manifest())
    if jwt is not None and jwt.require_principal:
        out.append(fv.new_require_jwt(names.take("AuthorizationPolicy", namespace, f"{gw}-require-jwt"), namespace,
                                      labels, jwt.principals or ["*"], jwt.paths or []).manifest())
    if functions.rate_limits:
        out.append(_rate_limit(functions.rate_limits, node, index, names.take("EnvoyFilter", namespace,
                                                                             f"{gw}-ratelimit"), namespace))
    if functions.cache is not None:
        cache = functions.cache
        out.append(fv.new_cache(names.take("EnvoyFilter", namespace, f"{gw}-cache"), namespace, labels,
                                cache.max_body_bytes, cache.allowed_vary_headers or [],
                                bool(cache.ignore_request_cache_control),
                                _uncached_routes(cache, node, index)).manifest())
    log = functions.access_log
    if log is not None:
        out.append(fv.new_access_log(names.take("Telemetry", namespace, f"{gw}-access-log"), namespace, labels,
                                     log.provider, log.filter, bool(log.disabled)).manifest())
    return out


def _route_key(bound) -> tuple[str, str] | None:
    if not bound.rule.name:
        return None
    return bound.virtual_service.virtual_service.metadata.qualified, bound.rule.name


def _rate_limit(limits: list[LegacyRateLimit], node: GatewayNode, index: TargetIndex, name: str,
                namespace: str) -> dict:
    gateway = next((r for r in limits if r.route is None), None)
    by_ref = {_route_key(b): b for b in bound_http_routes(index, node) if b.rule.name}
    routes = []
    for limit in (r for r in limits if r.route is not None):
        bound = by_ref.get((limit.route.virtual_service, limit.route.route))
        for envoy_name in bound.envoy_names if bound else [limit.route.route]:
            routes.append((envoy_name, limit.tokens_per_fill, limit.fill_interval, limit.max_tokens, limit.status))
    ef = fv.new_rate_limit(name, namespace, workload_labels(node), gateway.tokens_per_fill if gateway else None,
                           gateway.fill_interval if gateway else "1s", gateway.max_tokens if gateway else None,
                           gateway.status if gateway else fv.DEFAULT_LIMIT_STATUS, routes)
    return ef.manifest()


def _uncached_routes(cache: LegacyCache, node: GatewayNode, index: TargetIndex) -> list[str]:
    """Envoy route names of the gateway's routes a route-scoped cache switches off."""
    if cache.routes is None:
        return []
    chosen = {(r.virtual_service, r.route) for r in cache.routes}
    return sorted({n for b in bound_http_routes(index, node) if _route_key(b) not in chosen for n in b.envoy_names})


# ----- the migration -------------------------------------------------------------------------------

def migrate_2_to_3(data: dict, base_dir: pathlib.Path | None = None) -> dict:
    """Move every gateway's ``functions:`` into ``policies:`` (see the module docstring).

    Raises :class:`InputError` (with the field) for a ``functions:`` block format 2 could not have
    read either. Nodes that do not parse are left for the reader to report."""
    data = dict(data)
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not any(isinstance(n, dict) and "functions" in n for n in nodes):
        return data
    staged: list[tuple[int, LegacyFunctions]] = []
    new_nodes = list(nodes)
    for i, raw in enumerate(nodes):
        if not isinstance(raw, dict) or "functions" not in raw:
            continue
        body = dict(raw)
        found = body.pop("functions")
        if found is None:
            new_nodes[i] = body
            continue
        try:
            functions = LegacyFunctions.model_validate(found)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(err["msg"], field=format_loc(("nodes", i, "functions", *err["loc"]))) from None
        if functions.workload_namespace:
            body["workload_namespace"] = functions.workload_namespace
        new_nodes[i] = body
        staged.append((i, functions))
    data["nodes"] = new_nodes
    parsed = []
    for raw in new_nodes:
        try:
            parsed.append(node_from_dict(raw))
        except (ValidationError, ValueError, TypeError):
            continue  # the reader reports it with its line
    index = TargetIndex(parsed)
    by_id = {n.id: n for n in parsed}
    found_policies = data.get("policies") or []
    if not isinstance(found_policies, list):
        return data  # "policies must be a list", reported by the reader
    policies = list(found_policies)
    names = _Names([p for p in policies if isinstance(p, dict) and policy_type(p.get("apiVersion"), p.get("kind"))])
    for i, functions in staged:
        node = by_id.get(new_nodes[i].get("id"))
        if isinstance(node, GatewayNode):
            policies += function_resources(functions, node, index, names, f"nodes[{i}].functions", base_dir)
    data["policies"] = policies
    return data
