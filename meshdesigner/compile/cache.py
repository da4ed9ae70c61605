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
Gateways an edit touched are looked at again. A Gateway edited in place (same name, namespace, selector
and workload namespace) keeps the workloads and merge order: only the ports its servers were or are on
are looked at. A port whose servers are all HTTP or HTTPS (the shared ingress port) is merged from each
server's facts (:func:`~meshdesigner.compile.builder.http_port_drops`, kept per server object) without
building listeners; other ports go through the :class:`WorkloadBuilder`. When such a port had nothing to
drop and one Gateway is edited in place, a count of the port's TLS hosts and route names (``_PortIndex``)
shows whether the Gateway's servers, before or after, can meet any other server: if not, and they are
kept when merged alone, the port still drops nothing and is not merged again (``_still_clean``).

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

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..model.function_targets import workload_namespace
from ..model.hosts import gateway_ref
from ..model.nodes import GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from ..model.virtualservice import VirtualService
from .builder import MergeState, ServerFacts, WorkloadBuilder, http_port_drops
from .delegates import DelegateIndex, has_delegates
from .options import CompileOptions
from .plan import HTTP, HTTPS, PASSTHROUGH, TCP, TLS_TERMINATED, Drop, server_class
from .workloads import Workload, workloads_of

# Server classes whose filter chains read the tcp/tls routes of the VirtualServices bound to their Gateway.
_ROUTED_CLASSES = frozenset({TCP, TLS_TERMINATED, PASSTHROUGH})
# Server classes (None: no Envoy equivalent, dropped) whose ports are merged without building listeners.
_HTTP_CLASSES = frozenset({HTTP, HTTPS, None})


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
        # (workload labels, port) -> (inputs, drops, the Gateways on the port when they were compiled)
        self._results: dict[tuple, tuple[tuple, list[Drop], tuple]] = {}
        self._merged: dict[str, tuple] = {}                         # the DelegateIndex memo
        self._facts: dict[tuple[str, int], tuple] = {}   # (node id, server index) -> (server, gateway ref, facts)
        self._port_index: dict[tuple, _PortIndex] = {}    # (workload labels, all-HTTP(S) port) -> how servers meet
        self._edited: dict[str, GatewayNode] = {}         # node id -> the Gateway it was before in-place edits
        self.compiled_workloads: list[str] = []
        # what changed since the last call: the Gateways whose bound VirtualServices did, or everything
        self._dirty_refs: set[str] = set()
        self._dirty_ports: set[tuple] = set()   # (workload labels, port) of Gateways edited in place
        self._all_dirty = True
        self._delegate_targets: dict[str, int] = defaultdict(int)   # "ns/name" -> delegate entries naming it
        self._last: tuple[CompileOptions, list[Drop]] | None = None
        self._synced: int | None = None      # the NodeChanges generation the nodes above are at, if known

    # ----- public ----------------------------------------------------------------------------------------
    def drops(self, project, options: CompileOptions | None = None, changes: NodeChanges | None = None
              ) -> list[Drop]:
        """What istiod would drop in every workload of ``project`` (what compiling every workload afresh with
        ``with_http_routes=False`` drops), workload by workload and port by port, without duplicates.
        ``changes``: the nodes a caller already found changed (see :class:`NodeChanges`); without, or when
        they do not start from what this cache saw last, every node is compared."""
        options = options or CompileOptions.for_project(project)
        if changes is None or self._synced not in (changes.base, changes.generation) \
                or (self._synced == changes.base and not self._apply(changes.pairs, project)):
            self._sync(project.nodes)
        self._synced = changes.generation if changes is not None else None
        if self._last is None or self._last[0] != options:
            self._all_dirty = True
        elif not self._all_dirty and not self._dirty_refs and not self._dirty_ports:
            self.compiled_workloads = []
            self._edited = {}
            return list(self._last[1])
        if self._workloads is None:
            self._workloads = workloads_of(self._gateways.values())
            self._ports = {}
        if self._all_dirty:
            self._gateway_parts = {}     # delegate children and routing Gateways may have changed
        results: dict[tuple, tuple[tuple, list[Drop], tuple]] = {}
        compiled: dict[str, None] = {}
        out: dict[Drop, None] = {}
        for workload in self._workloads:
            namespace = None
            for port, on_port, refs in self._ports_of(workload):
                known = self._results.get((workload.labels, port))
                if known is None or self._all_dirty or (workload.labels, port) in self._dirty_ports \
                        or not refs.isdisjoint(self._dirty_refs):
                    if known is not None and known[1] == [] and not self._all_dirty \
                            and refs.isdisjoint(self._dirty_refs) \
                            and (kept := self._still_clean(workload, port, on_port, known)) is not None:
                        results[(workload.labels, port)] = kept
                        continue
                    if namespace is None:
                        namespace = self._namespace_of(workload)
                    inputs = self._inputs(workload, options, namespace, port, on_port, known)
                    if known is None or known[0] != inputs:
                        known = (inputs, self._compile(project, workload, inputs, port), on_port)
                        compiled[workload.key] = None
                    elif known[2] is not on_port:
                        known = (known[0], known[1], on_port)
                results[(workload.labels, port)] = known
                out.update(dict.fromkeys(known[1]))
        self._results = results
        self.compiled_workloads = list(compiled)
        self._last = (options, list(out))
        self._all_dirty, self._dirty_refs, self._dirty_ports = False, set(), set()
        self._edited = {}
        return list(out)

    def _still_clean(self, workload: Workload, port: int, on_port: tuple[GatewayNode, ...], known: tuple
                     ) -> tuple | None:
        """The port's new (inputs, drops) when one Gateway edited in place leaves a port without drops
        still without drops, found from that Gateway's servers alone; None when the port must be merged again.

        Every server on the port was kept, so nothing was dropped while merging. The edited Gateway's
        servers, before and after, meet no other server when no other server names one of their TLS hosts
        (``CheckDuplicates``) or route names, and when neither side has a plain HTTP server on the port while
        the other has an HTTPS server (the port's plain-text server blocks later HTTPS servers on its bind).
        Then the other servers are merged exactly as before, and the edited Gateway's servers as if alone on
        the port: if those are all kept and the Gateway has no delegating VirtualServices, the port has
        still nothing to drop."""
        index = self._port_index.get((workload.labels, port))
        if index is None:
            return None
        edited = [g for g in on_port if g.id in self._edited]
        if len(edited) != 1:
            return None
        new = edited[0]
        parts = known[0][4]
        position = next((i for i, part in enumerate(parts) if part[0] == new.id), None)
        if position is None:
            return None
        old = self._edited[new.id]
        old_facts = [ServerFacts.of(s, old) for s in old.gateway.spec.servers or [] if s.port.number == port]
        new_facts = [ServerFacts.of(s, new) for s in new.gateway.spec.servers or [] if s.port.number == port]
        if not all(facts.cls in _HTTP_CLASSES for facts in new_facts):
            return None
        before, after = _PortIndex.of(old_facts), _PortIndex.of(new_facts)
        if not index.meets_nobody(before, after):
            return None
        alone = MergeState()
        if any(alone.admit(facts) is not None for facts in new_facts):
            return None
        part = self._gateway_inputs(new, port)
        if part[3]:        # delegating VirtualServices: merging them may drop rules
            return None
        index.replace(before, after)
        return (known[0][:4] + (parts[:position] + (part,) + parts[position + 1:],), [], on_port)

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
            if old is not None and not reordered and _same_place(old, node):
                self._replace_gateway(old, node)
            else:
                if old is not None:
                    self._remove(old)
                self._add(node)
            seen[node_id] = node
        if reordered:
            # added or renamed nodes: the others keep their relative order, but positions shift
            self._position = {node_id: i for i, node_id in enumerate(current)}
            self._bound.clear()
            self._all_dirty = True

    def _apply(self, pairs: tuple, project) -> bool:
        """Apply the (old, new) node pairs of :class:`NodeChanges`; False (nothing applied) when an old node
        is not the one this cache holds."""
        seen = self._nodes
        if any(old is not None and seen.get(old.id) is not old for old, _new in pairs):
            return False
        reordered = any(old is None or new is None or old.id != new.id for old, new in pairs)
        for old, new in pairs:
            if old is not None and (new is None or new.id != old.id):
                self._remove(seen.pop(old.id))
        for old, new in pairs:
            if new is None:
                continue
            if old is not None and old.id == new.id and not reordered and _same_place(old, new):
                self._replace_gateway(old, new)
            else:
                if old is not None and old.id == new.id:
                    self._remove(old)
                self._add(new)
            seen[new.id] = new
        if reordered:
            current = project.nodes
            self._nodes = {node_id: seen[node_id] for node_id in current}    # the design's order
            self._position = {node_id: i for i, node_id in enumerate(current)}
            self._bound.clear()
            self._all_dirty = True
        return True

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
            refs = _bound_refs(vs)
            self._changed_virtual_service(vs, +1, refs)
            for ref in refs:
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
            refs = _bound_refs(vs)
            self._changed_virtual_service(vs, -1, refs)
            for ref in refs:
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

    def _replace_gateway(self, old: GatewayNode, new: GatewayNode) -> None:
        """A Gateway edited in place (same name, namespace and selector: same workloads, same merge order):
        the workloads hold the new node, and only the ports its servers were or are on are looked at again."""
        node_id = new.id
        self._gateways[node_id] = new
        self._edited.setdefault(node_id, old)
        self._routing_gateways.discard(node_id)
        if any(server_class(server) in _ROUTED_CLASSES for server in new.gateway.spec.servers or []):
            self._routing_gateways.add(node_id)
        old_ports = _ports(old)
        new_ports = _ports(new)
        if self._workloads is None:     # (only before a first call, or after a change that dirties all)
            self._all_dirty = True
            return
        patched = []
        for workload in self._workloads:
            if not any(g is old for g in workload.gateways):
                patched.append(workload)
                continue
            self._dirty_ports.update((workload.labels, port) for port in old_ports | new_ports)
            gateways = tuple(new if g is old else g for g in workload.gateways)
            known = self._ports.get(workload.labels)
            if known is not None and known[0] is workload.gateways and old_ports == new_ports:
                # the same ports: each port's Gateways, with the new node in the old one's place
                self._ports[workload.labels] = (gateways, [
                    (number, tuple(new if g is old else g for g in on_port), refs) if number in new_ports
                    else (number, on_port, refs) for number, on_port, refs in known[1]])
            patched.append(Workload(workload.labels, gateways))
        self._workloads = patched

    def _changed_virtual_service(self, vs: VirtualService, sign: int, refs: list[str]) -> None:
        """A VirtualService comes (+1) or goes (-1): the Gateways it binds are dirty, and everything when a
        delegate names it (which workloads read a delegate child is not tracked: rare)."""
        for ref in refs:     # (the Gateways it binds: _bound_refs)
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
                on_port: tuple[GatewayNode, ...], known: tuple | None = None) -> tuple:
        """Everything one port of the workload is compiled from (compared with ``==``: identical objects first).
        ``known``: the port's last (inputs, drops, Gateways on it); when the same Gateways are on it and
        nothing else but the bound VirtualServices of some (``_dirty_refs``) changed, only their parts are
        made again."""
        first = workload.gateways[0].gateway.metadata.qualified    # a port left empty is reported on it
        if known is not None and known[2] is on_port and not self._all_dirty \
                and known[0][:4] == (options, workload.labels, namespace, first):
            dirty = self._dirty_refs
            return known[0][:4] + (tuple(self._gateway_inputs(g, port) if part[1] in dirty else part
                                         for g, part in zip(on_port, known[0][4], strict=True)),)
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

    def _facts_of(self, gateway_id: str, ref: str, index: int, server) -> ServerFacts:
        """What merging reads of one server, kept while the server object and its Gateway's name are the same."""
        known = self._facts.get((gateway_id, index))
        if known is not None and known[0] is server and known[1] == ref:
            return known[2]
        facts = ServerFacts.of(server, self._gateways[gateway_id])
        self._facts[(gateway_id, index)] = (server, ref, facts)
        return facts

    def _bound_to(self, ref: str) -> _Bound:
        found = self._bound.get(ref)
        if found is None:
            found = self._bound[ref] = _Bound.of(self._binders.get(ref, {}), self._position)
        return found

    def _compile(self, project, workload: Workload, inputs: tuple, port: int) -> list[Drop]:
        options, namespace = inputs[0], inputs[2]
        servers = [(ref, index, self._facts_of(gateway_id, ref, index, server))
                   for gateway_id, ref, on_port, *_ in inputs[4] for index, server in on_port]
        self._port_index.pop((workload.labels, port), None)
        if all(facts.cls in _HTTP_CLASSES for _, _, facts in servers):
            # the usual shared ingress port: a merge over each server's facts, no listeners built
            self._port_index[(workload.labels, port)] = _PortIndex.of(facts for _, _, facts in servers)
            delegates = DelegateIndex(by_ref=_VirtualServicesByName(self), memo=self._merged)  # type: ignore[arg-type]
            return http_port_drops(servers, {part[1]: part[3] for part in inputs[4]}, delegates)
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
class NodeChanges:
    """What changed between two versions of a design's nodes, as a caller that compares them anyway (the
    Analyzer) found it: ``pairs`` of (old or None, new or None) for every node id whose node is not the very
    same object any more (added, removed, replaced, moved), taking generation ``base`` to ``generation``.
    A cache that last saw ``base`` applies them instead of comparing every node again."""

    base: int
    generation: int
    pairs: tuple[tuple[NodeBase | None, NodeBase | None], ...]


@dataclass
class _PortIndex:
    """How the servers of an all-HTTP(S) port can meet while merging: how many servers name each TLS host
    (hosts of servers with a ``tls`` block, as written) and each HTTPS route name, and how many are plain
    HTTP or HTTPS servers."""

    hosts: Counter
    routes: Counter
    plain: int = 0
    https: int = 0

    @classmethod
    def of(cls, servers: Iterable[ServerFacts]) -> _PortIndex:
        out = cls(Counter(), Counter())
        for facts in servers:
            if facts.has_tls:
                out.hosts.update(set(facts.hosts))
            if facts.cls == HTTPS:
                out.routes[facts.route_name] += 1
                out.https += 1
            elif facts.cls == HTTP and not facts.tls_server:
                out.plain += 1
        return out

    def meets_nobody(self, before: _PortIndex, after: _PortIndex) -> bool:
        """Whether one Gateway's servers (``before`` and ``after`` an edit; counted in self as ``before``)
        share no TLS host and no route name with the port's other servers, and no plain HTTP server of one
        side can block an HTTPS server of the other."""
        if any(self.hosts[h] != before.hosts[h] for h in (*before.hosts, *after.hosts)):
            return False
        if any(self.routes[r] != before.routes[r] for r in (*before.routes, *after.routes)):
            return False
        other_plain, other_https = self.plain - before.plain, self.https - before.https
        return not ((other_plain and (before.https or after.https)) or (other_https and (before.plain or after.plain)))

    def replace(self, before: _PortIndex, after: _PortIndex) -> None:
        for table, old, new in ((self.hosts, before.hosts, after.hosts), (self.routes, before.routes, after.routes)):
            table.subtract(old)
            table.update(new)
            for key in old:
                if table[key] <= 0:
                    del table[key]
        self.plain += after.plain - before.plain
        self.https += after.https - before.https


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
    entries = vs.spec.gateways
    if not entries:
        return []
    namespace = vs.metadata.namespace
    if len(entries) == 1:
        return [gateway_ref(entries[0], namespace)]
    return list(dict.fromkeys(gateway_ref(entry, namespace) for entry in entries))


def _discard(table: dict, key, node_id: str) -> None:
    holders = table.get(key)
    if holders is not None:
        holders.pop(node_id, None)
        if not holders:
            del table[key]


def _same_place(old: NodeBase, new: NodeBase) -> bool:
    """Whether ``new`` is the Gateway ``old`` edited without changing what places it: its name and namespace
    (merge order), its selector (workloads) and what its workload namespace is read from."""
    return (isinstance(old, GatewayNode) and isinstance(new, GatewayNode)
            and old.gateway.metadata.qualified == new.gateway.metadata.qualified
            and (old.gateway.spec.selector or {}) == (new.gateway.spec.selector or {})
            and old.workload_namespace == new.workload_namespace
            and _service_namespace(old) == _service_namespace(new))


def _service_namespace(gateway: GatewayNode) -> str | None:
    return gateway.service.namespace if gateway.service is not None else None


def _ports(gateway: GatewayNode) -> frozenset[int]:
    return frozenset(server.port.number for server in gateway.gateway.spec.servers or [])
