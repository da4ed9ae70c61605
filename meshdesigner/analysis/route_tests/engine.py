"""The one place route tests call the request simulator: a request in, an :class:`Observation` out.

Everything else in :mod:`meshdesigner.analysis.route_tests` reads observations only, so when the
simulator's API changes only this module follows.

Entry points (an entry is a string: a gateway ``ns/name``, or ``mesh:NAMESPACE``):

* ``{gateway: NS/NAME}``: :func:`meshdesigner.analysis.simulate_mesh.simulate_request` at that gateway
  (its workload: every Gateway selecting the same pods).
* ``{sidecar: NS}``: ``simulate_request`` with :class:`~meshdesigner.analysis.simulate_mesh.FromMesh`:
  a sidecar's outbound routes in that namespace (and on through an egress gateway when they lead there).
* none: every gateway that binds a VirtualService naming the host, and a sidecar in the VirtualService's
  namespace when it binds ``mesh``, as istio-config-validator looks through every VirtualService naming the
  host.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from ...model.hosts import expand_host, gateway_ref, host_matches
from ...model.nodes import GatewayNode, VirtualServiceNode
from ...model.route_tests import ConcreteRequest, Entry
from ...model.virtualservice import HTTPRoute
from ..simulate import Request, SimulationResult, resolve_gateway
from ..simulate_mesh import FromMesh, simulate_request

MESH = "mesh"
MESH_PREFIX = "mesh:"

# the simulator's outcomes -> the outcomes a test states (what the client experiences)
OUTCOME_NAMES = {"no_virtual_host": "no_route", "tls_no_match": "tls_refused"}


@dataclass
class Observation:
    """What happened to one request at one entry point: what the client and the backend saw."""

    entry: str                               # "gateway ns/name" | "a sidecar in namespace ns" | "nowhere"
    outcome: str
    status: int | None = None                # the client's status (200 when a backend answers)
    destinations: list[dict] = field(default_factory=list)   # host, port, subset, weight, cluster
    virtual_service: str | None = None       # ns/name of the VirtualService whose rule answered
    rule: object | None = None               # that rule (model HTTPRoute), Istio's form
    delegate: dict | None = None             # {"name", "namespace"} when the rule came from a delegate
    location: str | None = None              # a redirect's Location
    upstream: dict | None = None             # {"path", "authority", "headers"} the backend receives
    response_headers: dict = field(default_factory=dict)     # header changes on the response
    response_removed: list = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    backend: str | None = None               # Envoy runs: the echo backend (cluster) that answered
    source: str = "simulator"                # "simulator" | "envoy"
    result: SimulationResult | None = None   # the simulator's own answer (the editor lights its path)
    gateway: str | None = None               # the gateway it entered (ns/name), None from a sidecar
    entry_ref: str | None = None             # "ns/name" | "mesh:NS" (None: nowhere, or Envoy's)


def simulator_request(concrete: ConcreteRequest) -> Request:
    headers = dict(concrete.request.headers)
    jwt = concrete.request.jwt
    if jwt is not None:
        headers.setdefault("authorization", "Bearer " + (jwt.token or unsigned_token(jwt.claims or {})))
    return Request(concrete.url, concrete.method, headers, concrete.request.sni, concrete.request.source_address)


def unsigned_token(claims: dict) -> str:
    """A JWT with ``alg: none`` carrying ``claims``: a gateway that verifies signatures refuses it."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# ----- which entries a case runs at -------------------------------------------------------------------
def vs_gateways(vs_node: VirtualServiceNode) -> list[str]:
    vs = vs_node.virtual_service
    return [gateway_ref(g, vs.namespace) for g in (vs.spec.gateways or [MESH])]


class DesignIndex:
    """Look-ups one run of many cases needs, built once per design (snapshot): gateways by ``ns/name``,
    VirtualServices by ``ns/name``, and the entries binding each VirtualService host."""

    def __init__(self, project) -> None:
        self.project = project
        self.gateways: dict[str, GatewayNode] = {}
        names: dict[str, list[GatewayNode]] = {}
        for node in project.gateways():
            self.gateways.setdefault(node.gateway.metadata.qualified, node)
            names.setdefault(node.gateway.name, []).append(node)
        self.unique_names = {name: nodes[0] for name, nodes in names.items() if len(nodes) == 1}
        self.virtual_services: dict[str, VirtualServiceNode] = {}
        self.exact_hosts: dict[str, list[str]] = {}
        self.wildcard_hosts: list[tuple[str, list[str]]] = []
        for node in project.virtual_services():
            vs = node.virtual_service
            self.virtual_services.setdefault(vs.metadata.qualified, node)
            refs = [MESH_PREFIX + vs.namespace if r == MESH else r for r in vs_gateways(node)
                    if r == MESH or r in self.gateways]
            for host in vs.spec.hosts or []:
                name = expand_host(host, vs.namespace).lower()
                if name.startswith("*"):
                    self.wildcard_hosts.append((name, refs))
                else:
                    self.exact_hosts.setdefault(name, []).extend(refs)

    def gateway(self, ref: str) -> GatewayNode:
        """A gateway by ``ns/name`` or unique name (LookupError as :func:`resolve_gateway` says it)."""
        found = self.gateways.get(ref) or (self.unique_names.get(ref) if "/" not in ref else None)
        return found if found is not None else resolve_gateway(self.project, ref)

    def entries_for_host(self, host: str) -> list[str]:
        """Gateway refs (``ns/name``) and/or ``mesh:NS`` binding a VirtualService that names ``host``."""
        host = (host.rpartition(":")[0] if host.count(":") == 1 else host).lower()
        found = list(self.exact_hosts.get(host, []))
        for pattern, refs in self.wildcard_hosts:
            if host_matches(pattern, host):
                found.extend(refs)
        return sorted(set(found), key=lambda r: (r.startswith(MESH_PREFIX), r))




# ----- running one request ---------------------------------------------------------------------------
def entry_label(entry: str) -> str:
    if entry.startswith(MESH_PREFIX):
        return f"a sidecar in namespace {entry.removeprefix(MESH_PREFIX)}"
    return f"gateway {entry}"


def observe(index: DesignIndex, entry: str, concrete: ConcreteRequest) -> Observation:
    """Simulate ``concrete`` entering at ``entry`` (a gateway ``ns/name`` or ``mesh:NAMESPACE``)."""
    request = simulator_request(concrete)
    if entry.startswith(MESH_PREFIX):
        result = simulate_request(index.project, FromMesh(entry.removeprefix(MESH_PREFIX)), request)
        return observation_from_result(index, entry, concrete, result)
    gateway = index.gateway(entry)
    result = simulate_request(index.project, gateway, request)
    return observation_from_result(index, gateway.gateway.metadata.qualified, concrete, result)


def observe_case_entry(index: DesignIndex, entry: Entry | None, concrete: ConcreteRequest) -> list[Observation]:
    """Observations of one request: at the case's entry, or at every entry binding its host."""
    if entry is not None and entry.gateway is not None:
        return [observe(index, entry.gateway, concrete)]
    if entry is not None:
        return [observe(index, MESH_PREFIX + entry.sidecar, concrete)]
    refs = index.entries_for_host(concrete.authority)
    if not refs:
        return [Observation("nowhere", "no_route", 404, explanation=[
            f"No gateway and no mesh VirtualService names the host {concrete.authority!r}."])]
    return [observe(index, ref, concrete) for ref in refs]


def check_entry(index: DesignIndex, entry: Entry | None) -> str | None:
    """Why the case's entry does not exist in the design, or None."""
    if entry is None or entry.gateway is None:
        return None
    try:
        index.gateway(entry.gateway)
    except LookupError as exc:
        return str(exc)
    return None


def _rule_of(index: DesignIndex, result: SimulationResult):
    """The Istio rule that answered: the simulator's (merged with its delegate's) when it reports one, else
    the VirtualService's rule it names."""
    reported = getattr(result, "rule", None)
    if isinstance(reported, dict):
        try:
            return HTTPRoute.model_validate(reported)
        except ValueError:
            pass
    if result.virtual_service is None or result.rule_index is None or result.section != "http":
        return None
    node = index.virtual_services.get(result.virtual_service)
    rules = (node.virtual_service.spec.http or []) if node is not None else []
    return rules[result.rule_index] if result.rule_index < len(rules) else None


def observation_from_result(index: DesignIndex, entry: str, concrete: ConcreteRequest,
                            result: SimulationResult) -> Observation:
    outcome = OUTCOME_NAMES.get(result.outcome, result.outcome)
    obs = Observation(entry_label(entry), outcome, result.status, list(result.destinations),
                      result.virtual_service, explanation=list(result.explanation), result=result,
                      gateway=None if entry.startswith(MESH_PREFIX) else entry, entry_ref=entry)
    rule = _rule_of(index, result)
    obs.rule = rule
    delegate = getattr(result, "delegate", None)
    obs.delegate = dict(delegate) if delegate else None
    if result.redirect:
        obs.location = result.redirect.get("location")
    if outcome == "routed" and obs.status is None:
        obs.status = 200  # the backend answers (the echo backends of `test --envoy` answer 200)
    upstream = getattr(result, "upstream", None)
    if outcome == "routed":
        obs.upstream = dict(upstream) if upstream else _upstream_from_rule(concrete, rule)
    _response_headers(obs, result)
    return obs


def _response_headers(obs: Observation, result: SimulationResult) -> None:
    """Header changes on the response: the simulator's ``response_headers`` {set, add, remove} when it
    reports them, else its Envoy-form ``headers``."""
    reported = getattr(result, "response_headers", None)
    if isinstance(reported, dict) and set(reported) <= {"set", "add", "remove"}:
        for key, value in (reported.get("add") or {}).items():
            obs.response_headers[key.lower()] = value
        for key, value in (reported.get("set") or {}).items():
            obs.response_headers[key.lower()] = value
        obs.response_removed = [h.lower() for h in reported.get("remove") or []]
        return
    headers = result.headers or {}
    for item in headers.get("response_headers_to_add", []):
        obs.response_headers[item["header"]["key"].lower()] = item["header"]["value"]
    obs.response_removed = [h.lower() for h in headers.get("response_headers_to_remove", [])]


def _upstream_from_rule(concrete: ConcreteRequest, rule) -> dict:
    """What the backend receives, read from the rule until the simulator reports it (``result.upstream``,
    asked for in findings-11): the rewritten path and authority and the request header operations of the
    rule and of its single destination (Istio route.go translateRoute / TranslateHeadersOperations)."""
    path = concrete.uri
    authority = concrete.authority
    headers = {k.lower(): v for k, v in concrete.request.headers.items()}
    # the connection manager sets it from the downstream connection (it is the edge: use_remote_address)
    headers["x-forwarded-proto"] = "https" if concrete.request.scheme in ("https", "tls") else "http"
    if rule is None:
        return {"path": path, "authority": authority, "headers": headers}
    rewrite = rule.rewrite
    if rewrite is not None and rewrite.uri is not None:
        path = _rewritten(path, rule, rewrite.uri)
    if rewrite is not None and rewrite.authority:
        authority = rewrite.authority
    operations = [rule.headers.request if rule.headers else None]
    if rule.route and len(rule.route) == 1 and rule.route[0].headers is not None:
        operations.append(rule.route[0].headers.request)
    for ops in operations:
        if ops is None:
            continue
        for key, value in (ops.set or {}).items():
            if key.lower() in ("host", ":authority"):
                authority = value
            else:
                headers[key.lower()] = value
        for key, value in (ops.add or {}).items():
            headers[key.lower()] = f"{headers[key.lower()]},{value}" if key.lower() in headers else value
        for key in ops.remove or []:
            headers.pop(key.lower(), None)
    return {"path": path, "authority": authority, "headers": headers}


def _rewritten(path: str, rule, new: str) -> str:
    """Envoy's prefix_rewrite for the prefix (or exact) URI match that matched; regex: the whole path."""
    query = ""
    if "?" in path:
        path, _, query = path.partition("?")
        query = "?" + query
    for match in rule.match or [None]:
        uri = match.uri if match is not None else None
        if uri is None:
            return new + path[1:] + query  # Istio matches prefix "/" and rewrites it
        if uri.prefix is not None and path.startswith(uri.prefix):
            return new + path[len(uri.prefix):] + query
        if uri.exact is not None and path == uri.exact:
            return new + query
    return new + query
