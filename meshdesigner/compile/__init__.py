"""The compiler of gateway workloads: a design in, one plan per Envoy proxy out, as istiod builds them.

Qt-free, below ``analysis``, ``export``, ``io`` and ``tls`` (it imports only ``model``). Binding,
matching, merging and Istio's defaults are decided here, once; the Envoy exporter
(:mod:`meshdesigner.export.envoy`) serializes a :class:`WorkloadPlan` and the simulator
(:mod:`meshdesigner.analysis.simulate`) interprets the same plan.

Public API (pure; the same design and options give equal plans)::

    compile_workloads(project, options=None) -> list[WorkloadPlan]   # every gateway workload
    compile_workload(project, workload, options=None) -> WorkloadPlan
    workload_for_gateway(project, gateway, options=None) -> WorkloadPlan   # the plan serving one Gateway
    resolve_gateway(project, ref) -> GatewayNode     # node, node id, "ns/name" or a unique "name"
    gateway_workloads(project) -> list[Workload]     # which Gateways share which pods
    workload_drops(project, options=None, cache=None) -> list[Drop]   # what istiod drops (no HTTP routes built)
    CompileCache()                                   # keeps each workload's drops between edits of one design
    security_plan(project, gateway) -> SecurityPlan   # the policies of the workload serving a Gateway
    compile_sidecar(project, namespace, port, options=None) -> WorkloadPlan   # a sidecar's outbound routes
    CompileOptions(istio_version="1.30")             # CompileOptions.for_project(project) reads settings

What a :class:`WorkloadPlan` holds (see :mod:`.plan`): the merged ``gateways`` (istiod's merge order),
``listeners`` -> filter chains -> route configurations -> virtual hosts -> routes (each route with
Istio's semantics resolved by :mod:`.http`: Envoy match, timeout, retry policy, fault, CORS,
redirect, header operations, hash policy), ``clusters`` (with the DestinationRule that applies by
host, the merged traffic policy and the upstream TLS with its defaults, :mod:`.destinations`),
``drops`` (what istiod skips, each an MD08xx code, :mod:`.drops`), ``istio_version`` and
``security`` (:class:`~.security.SecurityPlan`, built once per workload by :func:`.security.workload_security`
as istiod's ``NewListenerBuilder`` builds a proxy's authn/authz once: the AuthorizationPolicies,
RequestAuthentications, Telemetry access logs and EnvoyFilters selecting the workload's pods;
``None`` for a sidecar's outbound plan, where istiod applies no authorization).

Rules and the istiod functions they follow:

* workloads: ``PushContext.mergeGateways`` (:mod:`.workloads`);
* ports, filter chains, route names, conflicts: ``model.mergeGateways``, ``gatewayRDSRouteName``,
  ``CheckDuplicates``, ``canMergeProtocols`` (:mod:`.builder`);
* virtual hosts: ``buildGatewayHTTPRouteConfig``; routes: ``BuildHTTPRoutesForVirtualService``,
  ``TranslateRoute``, ``SortVHostRoutes`` (:mod:`.builder`, :mod:`.http`);
* delegates: ``MergeHTTPRoutes`` (:mod:`.delegates`);
* version-dependent defaults: :mod:`.options`.
"""

from __future__ import annotations

from ..model.nodes import GatewayNode
from ..model.references import ReferenceIndex
from .builder import WorkloadBuilder
from .cache import CompileCache, NodeChanges
from .delegates import DelegateIndex
from .destinations import DestinationRules
from .options import DEFAULT_ISTIO_VERSION, SUPPORTED_ISTIO_VERSIONS, CompileOptions
from .plan import (
    ClusterPlan,
    DestinationPlan,
    Drop,
    FilterChainPlan,
    ListenerPlan,
    MirrorPlan,
    RouteConfigPlan,
    RoutePlan,
    ServerPlan,
    TcpRoutePlan,
    VirtualHostPlan,
    WorkloadPlan,
)
from .security import SecurityPlan, security_plan, workload_security
from .workloads import Workload, gateway_workloads, own_workload, pods_namespace


class _Shared:
    """Look-ups built once per compile of a design (references, DestinationRules, delegates)."""

    def __init__(self, project) -> None:
        self.index = ReferenceIndex(project)
        self.rules = DestinationRules(project.nodes.values())
        self.delegates = DelegateIndex(n.virtual_service for n in self.index.virtual_services)


def _build(project, workload: Workload, options: CompileOptions, shared: _Shared) -> WorkloadPlan:
    gateways = list(workload.gateways)
    namespace = pods_namespace(workload, project.nodes.values())
    builder = WorkloadBuilder(project, workload.label_dict, gateways, namespace, shared.index, shared.rules,
                              shared.delegates, options)
    listeners = builder.listeners()
    drops = list(dict.fromkeys(builder.drops))
    security = workload_security(project, workload, namespace)
    return WorkloadPlan(workload.label_dict, gateways, listeners, builder.clusters, drops,
                        builder.virtual_services, options.istio_version, security)


def compile_workloads(project, options: CompileOptions | None = None) -> list[WorkloadPlan]:
    """One plan per gateway workload of the design, ordered by workload labels."""
    options = options or CompileOptions.for_project(project)
    shared = _Shared(project)
    return [_build(project, w, options, shared) for w in gateway_workloads(project)]


def workload_drops(project, options: CompileOptions | None = None, cache: CompileCache | None = None,
                   changes: NodeChanges | None = None) -> list[Drop]:
    """What istiod would drop in every workload, without building HTTP routes or clusters. Pass the same
    ``cache`` for successive versions of one design (live checks): only the workloads an edit touches are
    compiled again (:mod:`.cache`); ``changes``, the nodes the caller found changed, spares comparing them."""
    return (cache if cache is not None else CompileCache()).drops(project, options, changes)


def compile_sidecar(project, namespace: str, port: int, options: CompileOptions | None = None,
                    tls: bool = False) -> WorkloadPlan:
    """The outbound HTTP (or, with ``tls``, TLS) routes of a sidecar in ``namespace`` for ``port`` (:mod:`.mesh`)."""
    from .mesh import compile_mesh

    return compile_mesh(project, namespace, port, options, _Shared(project), tls)


def compile_workload(project, workload: Workload, options: CompileOptions | None = None) -> WorkloadPlan:
    options = options or CompileOptions.for_project(project)
    return _build(project, workload, options, _Shared(project))


def workload_for_gateway(project, gateway, options: CompileOptions | None = None) -> WorkloadPlan:
    """The plan of the workload that serves ``gateway`` (a node or a reference, see :func:`resolve_gateway`)."""
    node = resolve_gateway(project, gateway)
    return compile_workload(project, own_workload(gateway_workloads(project), node), options)


def resolve_gateway(project, ref) -> GatewayNode:
    """A gateway by node, node id, ``namespace/name`` or unique ``name``; LookupError says why not."""
    if isinstance(ref, GatewayNode):
        return ref
    if ref in project and isinstance(project.node(ref), GatewayNode):
        return project.node(ref)
    namespace, _, name = str(ref).rpartition("/")
    found = [g for g in project.gateways()
             if g.gateway.name == name and (not namespace or g.gateway.namespace == namespace)]
    if len(found) == 1:
        return found[0]
    names = ", ".join(sorted(g.gateway.metadata.qualified for g in project.gateways())) or "none"
    if not found:
        raise LookupError(f"no gateway {ref!r} in the design (gateways: {names})")
    raise LookupError(f"gateway name {name!r} is ambiguous; write NAMESPACE/NAME (gateways: {names})")


__all__ = [
    "DEFAULT_ISTIO_VERSION", "SUPPORTED_ISTIO_VERSIONS", "ClusterPlan", "CompileCache", "CompileOptions",
    "DestinationPlan", "Drop", "NodeChanges", "FilterChainPlan", "ListenerPlan", "MirrorPlan", "RouteConfigPlan", "RoutePlan",
    "SecurityPlan", "ServerPlan", "TcpRoutePlan", "VirtualHostPlan", "Workload", "WorkloadPlan", "compile_workload",
    "compile_workloads", "gateway_workloads", "compile_sidecar", "own_workload", "resolve_gateway", "security_plan",
    "workload_drops", "workload_for_gateway", "workload_security",
]
