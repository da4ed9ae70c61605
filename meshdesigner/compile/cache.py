"""What istiod drops, for successive versions of one design: a workload an edit leaves alone is not compiled again.

The live checks (``analysis/rules/compile_drops.py``) ask for every workload's drops after each edit. Nodes
are immutable and an edit replaces the node it changes, so a :class:`CompileCache` finds the changed nodes
by identity, keeps its look-ups up to date node by node (Gateways; VirtualServices by the Gateway they
bind and by name; mesh Services by selector label) and compiles a workload again only when one of its
inputs is no longer the same:

* the options;
* the Gateways merged into it, in merge order (node id and Gateway resource);
* the workload namespace (``workload_namespace``: the first Gateway's functions, its Service, the mesh
  Services selecting its pods);
* per Gateway, the bound VirtualServices (in istiod's order) that have ``delegate`` rules, and the
  VirtualServices those name;
* per Gateway with a TCP, TLS or passthrough server, all its bound VirtualServices in istiod's order.

Each workload is kept port by port (servers on different ports never interact), and only the ports of the
Gateways an edit touched are looked at again.

That is everything a checks-only compile (``WorkloadBuilder(with_http_routes=False)``) reads: it builds
no HTTP routes and no clusters, so DestinationRules, ServiceEntries and route destinations are not inputs,
and an HTTP or HTTPS server reads only what merging delegates drops. So editing a VirtualService bound to
HTTP(S) servers only, and without delegates, compiles nothing again.
Between compiles, delegate merges are kept per VirtualService (the ``DelegateIndex`` memo), so a workload
compiled again re-merges only the VirtualServices that changed.

:func:`meshdesigner.compile.workload_drops` is this cache used once, so a one-shot run and the live checks
share one code path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..model.function_targets import workload_namespace
from ..model.hosts import gateway_ref
from ..model.nodes import GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from ..model.virtualservice import VirtualService
from .builder import WorkloadBuilder
from .delegates import DelegateIndex, has_delegates
from .options import CompileOptions
from .plan import PASSTHROUGH, TCP, TLS_TERMINATED, Drop, server_class
from .workloads import Workload, workloads_of

# Server classes whose filter chains read the tcp/tls routes of the VirtualServices bound to their Gateway.
_ROUTED_CLASSES = frozenset({TCP, TLS_TERMINATED, PASSTHROUGH})


class _VirtualServicesByName:
    """``namespace/name`` -> the VirtualService that name means: with duplicates, the last in the design's
    node order (as a ``DelegateIndex`` built from the design's nodes sees them)."""

    def __init__(self, cache: CompileCache) -> None:
        self._cache = cache

    def get(self, ref: str, default=None) -> VirtualService | None:
        holders = self._cache._named.get(ref)
        if not holders:
            return default
        if len(holders) == 1:
            return next(iter(holders.values()))
        position = self._cache._position
        return holders[max(holders, key=position.__getitem__)]


class CompileCache:
    """The drops of each gateway workload of a design, kept between calls of :meth:`drops` with the inputs
    they were computed from (see the module docstring). ``compiled_workloads`` names the workloads the
    last call compiled (the others were reused)."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeBase] = {}
        self._position: dict[str, int] = {}     # node id -> place in the design's node order (breaks ties)
        self._gateways: dict[str, GatewayNode] = {}
        self._gateway_labels: dict[tuple[str, str], int] = defaultdict(int)   # selector label -> Gateways using it
        self._routing_gateways: set[str] = set()   # node ids of Gateways whose servers read bound tcp/tls routes
        self._binders: dict[str, dict[str, VirtualService]] = defaultdict(dict)   # gateway ref -> node id -> VS
        self._named: dict[str, dict[str, VirtualService]] = defaultdict(dict)     # "ns/name" -> node id -> VS
        self._by_label: dict[tuple[str, str], dict[str, MeshServiceNode]] = defaultdict(dict)
        self._bound: dict[str, _Bound] = {}     # gateway ref -> its VirtualServices (kept until a binder changes)
        self._workloads: list[Workload] | None = None
        self._ports: dict[tuple, tuple] = {}    # workload labels -> (its Gateways, [(port, Gateways on it, refs)])
        self._gateway_parts: dict[tuple[str, int], tuple] = {}   # (node id, port) -> (node, _Bound, inputs part)
        self._results: dict[tuple, tuple[tuple, list[Drop]]] = {}  # (workload labels, port) -> (inputs, drops)
        self._merged: dict[str, tuple] = {}                         # the DelegateIndex memo
        self.compiled_workloads: list[str] = []
        # what changed since the last call: the Gateways whose bound VirtualServices did, or everything
        self._dirty_refs: set[str] = set()
        self._all_dirty = True
        self._delegate_targets: dict[str, int] = defaultdict(int)   # "ns/name" -> delegate entries naming it
        self._last: tuple[CompileOptions, list[Drop]] | None = None

    # ----- public ----------------------------------------------------------------------------------------
    def drops(self, project, options: CompileOptions | None = None) -> list[Drop]:
        """What istiod would drop in every workload of ``project`` (what compiling every workload afresh with
        ``with_http_routes=False`` drops), workload by workload and port by port, without duplicates."""
        options = options or CompileOptions.for_project(project)
        self._sync(project.nodes)
        if self._last is None or self._last[0] != options:
            self._all_dirty = True
        elif not self._all_dirty and not self._dirty_refs:
            self.compiled_workloads = []
            return list(self._last[1])
        if self._workloads is None:
            self._workloads = workloads_of(self._gateways.values())
            self._ports = {}
        if self._all_dirty:
            self._gateway_parts = {}     # delegate children and routing Gateways may have changed
        results: dict[tuple, tuple[tuple, list[Drop]]] = {}
        compiled: dict[str, None] = {}
        out: dict[Drop, None] = {}
        for workload in self._workloads:
            namespace = None
            for port, on_port, refs in self._ports_of(workload):
                known = self._results.get((workload.labels, port))
                if known is None or self._all_dirty or not refs.isdisjoint(self._dirty_refs):
                    if namespace is None:
                        namespace = self._namespace_of(workload)
                    inputs = self._inputs(workload, options, namespace, port, on_port)
                    if known is None or known[0] != inputs:
                        known = (inputs, self._compile(project, workload, inputs, port))
                        compiled[workload.key] = None
                results[(workload.labels, port)] = known
                out.update(dict.fromkeys(known[1]))
        self._results = results
        self.compiled_workloads = list(compiled)
        self._last = (options, list(out))
        self._all_dirty, self._dirty_refs = False, set()
        return list(out)

    # ----- keeping the look-ups up to date -----------------------------------------------------------------
    def _sync(self, current: dict[str, NodeBase]) -> None:
        """Apply every node added, removed or replaced since the last call."""
        seen = self._nodes
        reordered = current.keys() != seen.keys()
        if reordered:
            for node_id in [i for i in seen if i not in current]:
                self._remove(seen.pop(node_id))
        for node_id, node in current.items():
            old = seen.get(node_id)
            if old is node:
                continue
            if old is not None:
                self._remove(old)
            self._add(node)
            seen[node_id] = node
        if reordered:
            # added or renamed nodes: the others keep their relative order, but positions shift
            self._position = {node_id: i for i, node_id in enumerate(current)}
            self._bound.clear()
            self._all_dirty = True

    def _add(self, node: NodeBase) -> None:
        node_id = node.id
        if isinstance(node, GatewayNode):
            self._gateways[node_id] = node
            self._workloads = None
            self._all_dirty = True
            for pair in (node.gateway.spec.selector or {}).items():
                self._gateway_labels[pair] += 1
            if any(server_class(server) in _ROUTED_CLASSES for server in node.gateway.spec.servers or []):
                self._routing_gateways.add(node_id)
        elif isinstance(node, VirtualServiceNode):
            vs = node.virtual_service
            self._changed_virtual_service(vs, +1)
            for ref in _bound_refs(vs):
                self._binders[ref][node_id] = vs
            self._named[vs.metadata.qualified][node_id] = vs
        elif isinstance(node, MeshServiceNode):
            for pair in (node.service.spec.selector or {}).items():
                self._by_label[pair][node_id] = node
                if pair in self._gateway_labels:
                    self._all_dirty = True     # it may front a gateway workload (its namespace)

    def _remove(self, node: NodeBase) -> None:
        node_id = node.id
        if isinstance(node, GatewayNode):
            self._gateways.pop(node_id, None)
            self._routing_gateways.discard(node_id)
            self._workloads = None
            self._all_dirty = True
            for pair in (node.gateway.spec.selector or {}).items():
                self._gateway_labels[pair] -= 1
                if not self._gateway_labels[pair]:
                    del self._gateway_labels[pair]
        elif isinstance(node, VirtualServiceNode):
            vs = node.virtual_service
            self._changed_virtual_service(vs, -1)
            for ref in _bound_refs(vs):
                _discard(self._binders, ref, node_id)
            qualified = vs.metadata.qualified
            _discard(self._named, qualified, node_id)
            if qualified not in self._named:      # forget what was derived from a name no longer there
                self._merged.pop(qualified, None)
        elif isinstance(node, MeshServiceNode):
            for pair in (node.service.spec.selector or {}).items():
                _discard(self._by_label, pair, node_id)
                if pair in self._gateway_labels:
                    self._all_dirty = True

    def _changed_virtual_service(self, vs: VirtualService, sign: int) -> None:
        """A VirtualService comes (+1) or goes (-1): the Gateways it binds are dirty, and everything when a
        delegate names it (which workloads read a delegate child is not tracked: rare)."""
        for ref in _bound_refs(vs):
            self._dirty_refs.add(ref)
            self._bound.pop(ref, None)
        qualified = vs.metadata.qualified
        if qualified in self._delegate_targets:
            self._all_dirty = True
        for rule in vs.spec.http or []:
            if rule.delegate is not None:
                target = f"{rule.delegate.namespace or vs.namespace}/{rule.delegate.name}"
                self._delegate_targets[target] += sign
                if not self._delegate_targets[target]:
                    del self._delegate_targets[target]

    # ----- one workload ------------------------------------------------------------------------------------
    def _namespace_of(self, workload: Workload) -> str:
        first = workload.gateways[0]
        selector = first.gateway.spec.selector or {}
        candidates = {n.id: n for pair in selector.items() for n in self._by_label.get(pair, {}).values()}
        return workload_namespace(first, candidates.values())

    def _ports_of(self, workload: Workload) -> list[tuple[int, tuple[GatewayNode, ...], frozenset[str]]]:
        """Each port of the workload's servers with the Gateways (in merge order) that have a server on it,
        and their ``ns/name``: mergeGateways and the listeners after it never let servers on different ports
        interact, so each port is compiled, and kept, on its own."""
        known = self._ports.get(workload.labels)
        if known is None or known[0] is not workload.gateways:
            ports: dict[int, list[GatewayNode]] = {}
            for gateway in workload.gateways:
                for number in dict.fromkeys(s.port.number for s in gateway.gateway.spec.servers or []):
                    ports.setdefault(number, []).append(gateway)
            known = self._ports[workload.labels] = (workload.gateways, [
                (number, tuple(ports[number]), frozenset(g.gateway.metadata.qualified for g in ports[number]))
                for number in sorted(ports)])
        return known[1]

    def _inputs(self, workload: Workload, options: CompileOptions, namespace: str, port: int,
                on_port: tuple[GatewayNode, ...]) -> tuple:
        """Everything one port of the workload is compiled from (compared with ``==``: identical objects first)."""
        first = workload.gateways[0].gateway.metadata.qualified    # a port left empty is reported on it
        return (options, workload.labels, namespace, first, tuple(self._gateway_inputs(g, port) for g in on_port))

    def _gateway_inputs(self, gateway: GatewayNode, port: int) -> tuple:
        """One Gateway's part of a port's inputs: its servers on the port and the bound VirtualServices they
        read (kept while the Gateway node and its bound VirtualServices are the same objects)."""
        ref = gateway.gateway.metadata.qualified
        bound = self._bound_to(ref)
        known = self._gateway_parts.get((gateway.id, port))
        if known is not None and known[0] is gateway and known[1] is bound:
            return known[2]
        servers = tuple((i, server) for i, server in enumerate(gateway.gateway.spec.servers or [])
                        if server.port.number == port)
        routed = bound.virtual_services if gateway.id in self._routing_gateways else ()
        by_name = _VirtualServicesByName(self)
        children = tuple(by_name.get(name) for name in bound.delegate_refs)
        part = (gateway.id, ref, servers, bound.delegating, routed, children)
        self._gateway_parts[(gateway.id, port)] = (gateway, bound, part)
        return part

    def _bound_to(self, ref: str) -> _Bound:
        found = self._bound.get(ref)
        if found is None:
            found = self._bound[ref] = _Bound.of(self._binders.get(ref, {}), self._position)
        return found

    def _compile(self, project, workload: Workload, inputs: tuple, port: int) -> list[Drop]:
        options, namespace = inputs[0], inputs[2]
        gateways = list(workload.gateways)
        bound = {g.gateway.metadata.qualified: self._bound_to(g.gateway.metadata.qualified) for g in gateways}
        # (made per compile, not kept: a cache holding it would be a reference cycle)
        delegates = DelegateIndex(by_ref=_VirtualServicesByName(self), memo=self._merged)   # type: ignore[arg-type]
        builder = WorkloadBuilder(project, workload.label_dict, gateways, namespace, None, None, delegates,
                                  options, with_http_routes=False,
                                  bound={ref: b.virtual_services for ref, b in bound.items()},
                                  delegating={ref: b.delegating for ref, b in bound.items()})
        builder.listeners(ports={port})
        return list(dict.fromkeys(builder.drops))


@dataclass(frozen=True)
class _Bound:
    """The VirtualServices bound to one Gateway in ``VirtualServicesForGateway`` order (name, then namespace,
    then the design's node order), those of them with delegates, and the names their delegates give."""

    virtual_services: tuple[VirtualService, ...]
    delegating: tuple[VirtualService, ...]
    delegate_refs: tuple[str, ...]

    @classmethod
    def of(cls, holders: dict[str, VirtualService], position: dict[str, int]) -> _Bound:
        ordered = sorted(holders, key=lambda i: (holders[i].name, holders[i].namespace, position.get(i, 0)))
        virtual_services = tuple(holders[i] for i in ordered)
        delegating = tuple(vs for vs in virtual_services if has_delegates(vs))
        refs = tuple(f"{rule.delegate.namespace or vs.namespace}/{rule.delegate.name}"
                     for vs in delegating for rule in vs.spec.http or [] if rule.delegate is not None)
        return cls(virtual_services, delegating, refs)


def _bound_refs(vs: VirtualService) -> list[str]:
    """The Gateways (``ns/name``, or ``mesh``) a VirtualService's ``gateways`` names, once each."""
    return list(dict.fromkeys(gateway_ref(entry, vs.namespace) for entry in vs.spec.gateways or []))


def _discard(table: dict, key, node_id: str) -> None:
    holders = table.get(key)
    if holders is not None:
        holders.pop(node_id, None)
        if not holders:
            del table[key]
