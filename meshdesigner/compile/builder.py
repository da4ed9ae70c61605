"""pilot's rules applied to one gateway workload: the work behind :func:`meshdesigner.compile.compile_workload`.

Servers of every merged Gateway are grouped per port as ``model.mergeGateways`` does (which servers
share a filter chain and route configuration, which conflicts are dropped); each server gets the
VirtualServices bound to its own Gateway (``VirtualServicesForGateway``); server hosts intersect
VirtualService hosts into virtual hosts (``buildGatewayHTTPRouteConfig``); rules become routes
(``BuildHTTPRoutesForVirtualService``, ``TranslateRoute``); TCP and TLS routes become tcp_proxy
chains (``buildGatewayNetworkFiltersFromTCPRoutes`` / ``FromTLSRoutes``); destinations become
``outbound|port|subset|fqdn`` clusters with the DestinationRule that applies by host.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..model.gateway import HTTP_PROTOCOLS, Server
from ..model.hosts import expand_host, gateway_ref, namespace_selector_allows, split_gateway_host
from ..model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase
from ..model.references import ReferenceIndex
from ..model.virtualservice import HTTPRoute, VirtualService
from . import drops as codes
from .delegates import DelegateIndex, has_delegates
from .destinations import DestinationRules, consistent_hash_policy
from .http import (
    cors_config,
    direct_response_action,
    fault_config,
    mirror_percent,
    mirror_policy_percent,
    redirect_action,
    retry_policy,
    rewrite_action,
    route_match,
    route_timeout,
    split_header_changes,
)
from .options import CompileOptions
from .plan import (
    HTTP,
    HTTPS,
    PASSTHROUGH,
    PLAINTEXT_CLASSES,
    TCP,
    TLS_TERMINATED,
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
    cluster_name,
    intersect_hosts,
    is_catch_all,
    server_class,
    server_hosts,
    sni_names,
)

_MERGEABLE_HTTP = frozenset(HTTP_PROTOCOLS)


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What ``mergeGateways`` reads of one server (computed once per server object by the compile cache)."""

    port: int
    bind: str
    cls: str | None           # server_class(server)
    protocol: str             # upper-cased
    written_protocol: str     # as written (messages)
    has_tls: bool             # a ``tls`` block (CheckDuplicates looks at its hosts, even for plain HTTP)
    tls_server: bool          # gateway.IsTLSServer
    hosts: tuple[str, ...]    # as written
    route_name: str

    @classmethod
    def of(cls, server: Server, gateway: GatewayNode) -> ServerFacts:
        return cls(server.port.number, server.bind or "", server_class(server), server.protocol,
                   server.port.protocol, server.tls is not None, _is_tls_server(server), tuple(server.hosts or ()),
                   _route_name(server, gateway))


class MergeState:
    """What ``mergeGateways`` remembers per port while it merges servers."""

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.plain: dict[int, tuple[str, str]] = {}          # port -> (protocol, bind) of its plain-text server
        self.tls_hosts: dict[int, dict[str, str]] = {}       # port -> host -> bind (CheckDuplicates)
        self.https_routes: set[str] = set()

    def admit(self, facts: ServerFacts) -> tuple[str, str] | None:
        """One server into the merged gateway: None when it is kept (and remembered), else the drop's code
        and message saying why istiod skips it."""
        port, bind, protocol, route_name = facts.port, facts.bind, facts.protocol, facts.route_name
        cls = facts.cls
        if cls is None:
            return codes.SERVER_UNSUPPORTED, (f"protocol {facts.written_protocol} with this TLS setting has no Envoy "
                                              "equivalent; skipped")
        if facts.has_tls:
            # CheckDuplicates: a host served with TLS settings twice on one port and bind is skipped.
            known = self.tls_hosts.setdefault(port, {})
            duplicates = [h for h in facts.hosts if known.get(h) == bind]
            if duplicates:
                return codes.DUPLICATE_TLS_HOST, (f"host(s) {', '.join(duplicates)} already served with TLS on "
                                                  f"port {port}; skipped as istiod skips servers with duplicate "
                                                  "TLS hosts")
            known.update(dict.fromkeys(facts.hosts, bind))
        if port in self.ports:
            current = self.plain.get(port)
            if current is not None:
                if current[1] == bind and (not _can_merge(protocol, current[0]) or not route_name):
                    return codes.PORT_CONFLICT, (f"a {protocol} server cannot share port {port} with the "
                                                 f"{current[0]} server already there; skipped as istiod skips it")
            elif not facts.tls_server:
                self.plain[port] = (protocol, bind)
            elif cls == HTTPS and route_name in self.https_routes:
                return codes.DUPLICATE_ROUTE_NAME, f"route name {route_name} is already used on port {port}; skipped"
        else:
            self.ports.add(port)
            if not facts.tls_server:
                self.plain[port] = (protocol, bind)
        if cls == HTTPS:
            self.https_routes.add(route_name)
        return None


def http_port_drops(servers: Iterable[tuple[str, int, ServerFacts]],
                    delegating: Mapping[str, Sequence[VirtualService]], delegates: DelegateIndex) -> list[Drop]:
    """What ``WorkloadBuilder(with_http_routes=False).listeners(ports={port})`` drops, in the same order, for
    one port whose ``servers`` (``(gateway ns/name, index in its spec.servers, facts)`` in merge order) are all
    HTTP, HTTPS or of no class, without building listeners: the same merge (:meth:`MergeState.admit`),
    then what a checks-only route config drops (merging the delegates of the VirtualServices bound to each
    kept server's Gateway, ``delegating``): an HTTPS server's when it is merged, the plain HTTP servers'
    per listener (port and bind, in creation order) after the merge, as ``_finish`` does. Such a port
    always keeps a listener for each bind with a kept server, so it never has "nothing to serve"."""
    drops: list[Drop] = []
    merge = MergeState()
    http_servers: dict[str, list[str]] = {}     # bind -> Gateways of its kept HTTP servers (listener order)
    for ref, index, facts in servers:
        dropped = merge.admit(facts)
        if dropped is not None:
            drops.append(Drop(dropped[0], "Gateway", ref, f"spec.servers[{index}]", dropped[1]))
            continue
        on_listener = http_servers.setdefault(facts.bind, [])
        if facts.cls == HTTP:
            on_listener.append(ref)
        else:
            for vs in delegating.get(ref, ()):
                delegates.merged_rules(vs, drops)
    for refs in http_servers.values():
        for ref in refs:
            for vs in delegating.get(ref, ()):
                delegates.merged_rules(vs, drops)
    return list(dict.fromkeys(drops))


def _route_name(server: Server, gateway: GatewayNode) -> str:
    """``gatewayRDSRouteName``: ``http.<port>`` for HTTP, ``https.<port>.<portName>.<gw>.<ns>`` for a
    terminating HTTPS server, empty otherwise (a bind address is appended)."""
    bind = f".{server.bind}" if server.bind else ""
    if server.protocol in HTTP_PROTOCOLS:
        return f"http.{server.port.number}{bind}"
    if server.protocol == "HTTPS" and not server.is_passthrough:
        gw = gateway.gateway
        return f"https.{server.port.number}.{server.port.name}.{gw.name}.{gw.namespace}{bind}"
    return ""


def _is_tls_server(server: Server) -> bool:
    """``gateway.IsTLSServer``: a TLS block on a server that is not plain HTTP."""
    return server.tls is not None and server.protocol not in HTTP_PROTOCOLS


def _can_merge(new: str, current: str) -> bool:
    """``canMergeProtocols``: both HTTP, or the same protocol when the new one is HTTP."""
    return (current in _MERGEABLE_HTTP or current == new) and new in _MERGEABLE_HTTP


class WorkloadBuilder:
    """Builds one workload's listeners and clusters; ``drops`` collects what istiod would skip."""

    def __init__(self, project, labels: dict[str, str], gateways: list[GatewayNode], namespace: str,
                 index: ReferenceIndex | None, rules: DestinationRules | None, delegates: DelegateIndex,
                 options: CompileOptions, with_http_routes: bool = True,
                 bound: Mapping[str, Sequence[VirtualService]] | None = None,
                 delegating: Mapping[str, Sequence[VirtualService]] | None = None) -> None:
        """``with_http_routes=False`` builds what the checks need: servers, TCP/TLS routes and drops, without
        HTTP routes and without clusters (destinations are not resolved, so ``index`` and ``rules`` may be
        None). ``bound``: the VirtualServices bound to each Gateway (``ns/name``) in istiod's order, when
        the caller already has them; else they are read from ``index``. ``delegating``: those of them
        with a ``delegate`` rule, when the caller already knows."""
        self.project = project
        self.labels = labels
        self.gateways = gateways
        self.namespace = namespace             # the workload's namespace (sourceNamespace matches)
        self.index = index
        self.rules = rules
        self.delegates = delegates
        self.options = options
        self.with_http_routes = with_http_routes
        self.drops: list[Drop] = []
        self.clusters: dict[str, ClusterPlan] = {}
        self.bound: dict[str, list[VirtualService]] = {}
        for gw in gateways:
            ref = gw.gateway.metadata.qualified
            self.bound[ref] = list(bound[ref]) if bound is not None else self._bound_virtual_services(gw)
        self._http_routes: dict[tuple[str, str, int], list[RoutePlan]] = {}
        self._delegating = dict(delegating or {})    # checks only: bound VSs with delegates, by Gateway

    # ----- which VirtualServices apply ------------------------------------------------------
    def _bound_virtual_services(self, gateway: GatewayNode) -> list[VirtualService]:
        """``VirtualServicesForGateway``: VirtualServices naming the Gateway, in creation-time order
        (name, then namespace, for a design without times)."""
        ref = gateway.gateway.metadata.qualified
        out = [vs_node.virtual_service for vs_node in self.index.virtual_services_by_gateway.get(ref, ())]
        out.sort(key=lambda vs: (vs.name, vs.namespace))
        return out

    @property
    def virtual_services(self) -> list[VirtualService]:
        seen: dict[str, VirtualService] = {}
        for vss in self.bound.values():
            for vs in vss:
                seen.setdefault(vs.metadata.qualified, vs)
        return sorted(seen.values(), key=lambda vs: (vs.name, vs.namespace))

    def _vs_hosts(self, vs: VirtualService) -> list[str]:
        return [expand_host(h, vs.namespace).lower() for h in vs.spec.hosts or []]

    def _server_hosts_for(self, server: Server, gw_ns: str, vs: VirtualService) -> list[str]:
        """``host.NamesForNamespace``: server hosts whose ``ns/`` part admits the VirtualService's namespace."""
        out = []
        for entry in server.hosts or []:
            selector, host = split_gateway_host(entry)
            if namespace_selector_allows(selector, gw_ns, vs.namespace) and host.lower() not in out:
                out.append(host.lower())
        return out

    def _source_matches(self, match, vs: VirtualService, gw_ref: str) -> bool:
        """``sourceMatchHTTP``: ``gateways`` in the match, else source labels and namespace of the proxy."""
        if match is None:
            return True
        if match.gateways:
            return gw_ref in {gateway_ref(e, vs.namespace) for e in match.gateways}
        if match.source_labels and any(self.labels.get(k) != v for k, v in match.source_labels.items()):
            return False
        return not (match.source_namespace and match.source_namespace != self.namespace)

    # ----- destinations and clusters --------------------------------------------------------
    def _service_ports(self, node: NodeBase | None) -> list[int]:
        if isinstance(node, MeshServiceNode):
            return [p.port for p in node.service.spec.ports or []]
        if isinstance(node, ExternalServiceNode):
            return [p.number for p in node.service_entry.spec.ports or []]
        if isinstance(node, GatewayNode) and node.service is not None:
            return [p.port for p in node.service.spec.ports or []]
        return []

    def destination(self, dest, weight: int, vs: VirtualService, listener_port: int, headers=None
                    ) -> DestinationPlan:
        fqdn = expand_host(dest.host, vs.namespace).lower()
        if not self.with_http_routes:
            # checks only: that a route has destinations decides drops, the clusters they resolve to do not
            return DestinationPlan(fqdn, dest.subset, dest.port_number, weight, "", headers)
        target = self.index.destination(dest.host, vs.namespace)
        port = dest.port_number
        if port is None:
            ports = self._service_ports(target)
            port = ports[0] if len(ports) == 1 else listener_port
        name = cluster_name(port, dest.subset, fqdn)
        if name not in self.clusters:
            self.clusters[name] = self.rules.cluster(name, fqdn, port, dest.subset, target, vs.namespace,
                                                     self.namespace)
        return DestinationPlan(fqdn, dest.subset, port, weight, name, headers)

    def weighted(self, routes, vs: VirtualService, listener_port: int, http: bool) -> list[DestinationPlan]:
        """Route destinations with their weights; weight-0 entries dropped as istiod drops them."""
        routes = list(routes or [])
        if len(routes) == 1:
            weights = [100]                     # a single destination takes everything, whatever its weight
        elif all(r.weight is None for r in routes):
            weights = [1] * len(routes)         # invalid in Istio; share equally rather than fail in Envoy
        else:
            weights = [r.weight or 0 for r in routes]
        if not any(w > 0 for w in weights):
            weights = [1] * len(routes)         # all zero: Envoy needs a positive total
        return [self.destination(r.destination, w, vs, listener_port, r.headers if http else None)
                for r, w in zip(routes, weights, strict=True) if w > 0]

    # ----- HTTP routes ----------------------------------------------------------------------
    def http_routes(self, vs: VirtualService, gw_ref: str, listener_port: int, is_tls: bool) -> list[RoutePlan]:
        """``BuildHTTPRoutesForVirtualService`` for one Gateway and port (computed once per pair)."""
        key = (gw_ref, vs.metadata.qualified, listener_port, is_tls)
        cached = self._http_routes.get(key)
        if cached is None:
            rules = self.delegates.merged_rules(vs, self.drops)
            cached = self._http_routes[key] = self._translate(vs, rules, gw_ref, listener_port, is_tls)
        return cached

    def _translate(self, vs: VirtualService, rules, gw_ref: str, listener_port: int, is_tls: bool
                   ) -> list[RoutePlan]:
        out: list[RoutePlan] = []
        for origin, i, rule, root in rules:
            catch_all = False
            if not rule.route and rule.redirect is None and rule.direct_response is None:
                self.drops.append(Drop(codes.RULE_WITHOUT_ACTION, "VirtualService", origin.metadata.qualified,
                                       f"spec.http[{i}]", "has no route, redirect or direct response; skipped"))
                continue
            if not rule.match:
                out.append(self._route(origin, i, None, rule, None, listener_port, is_tls, True, root))
                catch_all = True
            else:
                for j, match in enumerate(rule.match):
                    if match.port is not None and match.port != listener_port:
                        continue
                    if not self._source_matches(match, vs, gw_ref):
                        continue
                    route = self._route(origin, i, j, rule, match, listener_port, is_tls, is_catch_all(match), root)
                    out.append(route)
                    if route.catch_all:
                        catch_all = True
                        break
            if catch_all:
                break
        return out

    def _route(self, vs, i, j, rule: HTTPRoute, match, listener_port: int, is_tls: bool, catch_all: bool,
               root) -> RoutePlan:
        """``TranslateRoute``: the route's match, action, headers and per-filter settings."""
        options = self.options
        destinations: list[DestinationPlan] = []
        mirrors: list[MirrorPlan] = []
        plan = RoutePlan(vs, i, j, rule, match, destinations, mirrors, catch_all, root,
                         envoy_match=route_match(match, options))
        plan.request_headers, plan.response_headers = split_header_changes(rule.headers)
        if rule.redirect is not None:
            plan.redirect = redirect_action(rule.redirect, listener_port, is_tls)
        elif rule.direct_response is not None:
            plan.direct_response = direct_response_action(rule.direct_response)
        else:
            destinations.extend(self.weighted(rule.route, vs, listener_port, http=True))
            if rule.mirror is not None and (pct := mirror_percent(rule)) is not None:
                mirrors.append(MirrorPlan(self.destination(rule.mirror, 0, vs, listener_port), pct))
            for m in rule.mirrors or []:
                if (pct := mirror_policy_percent(m)) is not None:
                    mirrors.append(MirrorPlan(self.destination(m.destination, 0, vs, listener_port), pct))
            plan.timeout = route_timeout(rule.timeout)
            plan.rewrite = rewrite_action(rule, match)
            hash_policy = consistent_hash_policy(self.clusters[destinations[0].cluster]) if len(
                destinations) == 1 else None
            plan.hash_policy = [hash_policy] if hash_policy else []
            plan.retry_policy = retry_policy(rule.retries, options, consistent_hash=bool(plan.hash_policy))
            plan.fault = fault_config(rule.fault)
        plan.cors = cors_config(rule.cors_policy)
        return plan

    def route_config(self, name: str, servers: list[ServerPlan], port: int) -> RouteConfigPlan:
        """``buildGatewayHTTPRouteConfig``: server hosts intersected with each server's Gateway's bound
        VirtualService hosts into virtual hosts (deduplicated by host, routes appended)."""
        vhosts: dict[str, VirtualHostPlan] = {}
        if not self.with_http_routes:
            # checks only: what merging the delegates drops (a VirtualService without delegates drops nothing)
            for entry in servers:
                for vs in self._delegating_virtual_services(entry.gateway_ref):
                    self.delegates.merged_rules(vs, self.drops)
            return RouteConfigPlan(name, [VirtualHostPlan(f"blackhole:{port}", ["*"])], blackhole=True)
        for entry in servers:
            server = entry.server
            gw_ns = entry.gateway.gateway.namespace
            redirect = bool(server.tls and server.tls.https_redirect)
            is_tls = server.tls is not None
            for vs in self.bound[entry.gateway_ref]:
                if not vs.spec.http:
                    continue
                hosts = intersect_hosts(self._server_hosts_for(server, gw_ns, vs), self._vs_hosts(vs))
                if not hosts:
                    continue
                routes = self.http_routes(vs, entry.gateway_ref, port, is_tls)
                for host in hosts:
                    vhost = vhosts.get(host)
                    if vhost is None:
                        vhost = vhosts[host] = VirtualHostPlan(f"{host}:{port}", [host])
                    vhost.routes.extend(routes)
                    if vs.metadata.qualified not in vhost.virtual_services:
                        vhost.virtual_services.append(vs.metadata.qualified)
                    vhost.require_tls = vhost.require_tls or redirect
            if redirect:
                for host in server_hosts(server):
                    vhost = vhosts.get(host)
                    if vhost is None:
                        vhost = vhosts[host] = VirtualHostPlan(f"{host}:{port}", [host])
                    vhost.require_tls = True
        for vhost in vhosts.values():
            # SortVHostRoutes: catch-all routes of earlier VirtualServices must not hide later ones.
            vhost.routes = [r for r in vhost.routes if not r.catch_all] + [r for r in vhost.routes if r.catch_all]
        if not vhosts:
            return RouteConfigPlan(name, [VirtualHostPlan(f"blackhole:{port}", ["*"])], blackhole=True)
        return RouteConfigPlan(name, sorted(vhosts.values(), key=lambda v: v.name))

    def _delegating_virtual_services(self, gateway_ref: str) -> Sequence[VirtualService]:
        found = self._delegating.get(gateway_ref)
        if found is None:
            found = self._delegating[gateway_ref] = [vs for vs in self.bound[gateway_ref] if has_delegates(vs)]
        return found

    # ----- TCP / TLS routes -----------------------------------------------------------------
    def tcp_route(self, entry: ServerPlan, port: int) -> TcpRoutePlan | None:
        """``buildGatewayNetworkFiltersFromTCPRoutes``: the first ``tcp`` rule of a bound VirtualService
        whose match fits this server."""
        server = entry.server
        gw_ns = entry.gateway.gateway.namespace
        for vs in self.bound[entry.gateway_ref]:
            if not vs.spec.tcp:
                continue
            if not intersect_hosts(self._server_hosts_for(server, gw_ns, vs), self._vs_hosts(vs) or ["*"]):
                continue
            for i, rule in enumerate(vs.spec.tcp):
                matches = list(enumerate(rule.match)) if rule.match else [(None, None)]
                for j, match in matches:
                    if match is not None and (
                            (match.port is not None and match.port != port)
                            or not self._source_matches(match, vs, entry.gateway_ref)):
                        continue
                    dests = self.weighted(rule.route, vs, port, http=False)
                    if dests:
                        return TcpRoutePlan(vs, "tcp", i, j, dests)
        return None

    def passthrough_chains(self, entry: ServerPlan, port: int, taken: set[str]) -> list[FilterChainPlan]:
        """``buildGatewayNetworkFiltersFromTLSRoutes``: one chain per VirtualService ``tls[].match[]``
        whose sniHosts fall under the server hosts; SNI names already routed on the port are skipped."""
        chains = []
        server = entry.server
        gw_ns = entry.gateway.gateway.namespace
        for vs in self.bound[entry.gateway_ref]:
            allowed = self._server_hosts_for(server, gw_ns, vs)
            for i, rule in enumerate(vs.spec.tls or []):
                for j, match in enumerate(rule.match or []):
                    if (match.port is not None and match.port != port) or not self._source_matches(
                            match, vs, entry.gateway_ref):
                        continue
                    names = intersect_hosts(allowed, [h.lower() for h in match.sni_hosts or []])
                    fresh = [n for n in names if n not in taken]
                    if len(fresh) < len(names):
                        self.drops.append(Drop(
                            codes.DUPLICATE_SNI_ROUTE, "VirtualService", vs.metadata.qualified,
                            f"spec.tls[{i}].match[{j}]",
                            f"SNI host(s) {', '.join(sorted(set(names) - set(fresh)))} already routed on port "
                            f"{port}; skipped as istiod skips duplicates"))
                    if not fresh:
                        continue
                    dests = self.weighted(rule.route, vs, port, http=False)
                    if not dests:
                        continue
                    taken.update(fresh)
                    chains.append(FilterChainPlan(PASSTHROUGH, [entry], sni_names(fresh),
                                                  tcp_route=TcpRoutePlan(vs, "tls", i, j, dests)))
        return chains

    # ----- listeners: mergeGateways ---------------------------------------------------------
    def _drop_server(self, entry: ServerPlan, code: str, message: str) -> None:
        self.drops.append(Drop(code, "Gateway", entry.gateway_ref, f"spec.servers[{entry.index}]", message))

    def listeners(self, ports: Collection[int] | None = None) -> list[ListenerPlan]:
        """``mergeGateways`` then ``buildGatewayListeners``: servers of all Gateways, port by port (``ports``:
        only the servers on these; servers on different ports never interact while merging)."""
        by_key: dict[tuple[int, str], ListenerPlan] = {}
        merge = MergeState()
        for gateway in self.gateways:
            for index, server in enumerate(gateway.gateway.spec.servers or []):
                if ports is None or server.port.number in ports:
                    self._merge_server(ServerPlan(gateway, index, server), by_key, merge)
        return self._finish(by_key)

    def _merge_server(self, entry: ServerPlan, by_key: dict[tuple[int, str], ListenerPlan], merge: MergeState
                      ) -> None:
        """One server into the merged gateway, or a drop saying why istiod skips it."""
        facts = ServerFacts.of(entry.server, entry.gateway)
        dropped = merge.admit(facts)
        if dropped is not None:
            self._drop_server(entry, *dropped)
            return
        listener = by_key.get((facts.port, facts.bind))
        if listener is None:
            listener = by_key[(facts.port, facts.bind)] = ListenerPlan(facts.port, entry.server.bind, facts.cls)
        self._add_chain(listener, entry, facts.cls, facts.route_name)

    def _add_chain(self, listener: ListenerPlan, entry: ServerPlan, cls: str, route_name: str) -> None:
        if cls == HTTP:
            http_chain = next((c for c in listener.chains if c.server_class == HTTP), None)
            if http_chain is None:
                listener.chains.append(FilterChainPlan(HTTP, [entry], []))
            else:
                http_chain.servers.append(entry)
            return
        if cls == TCP:
            listener.chains.append(FilterChainPlan(TCP, [entry], []))
            return
        if cls == PASSTHROUGH:
            listener.chains.append(FilterChainPlan(PASSTHROUGH, [entry], []))   # expanded in _finish
            return
        # checks only: the SNI names a chain matches decide no drop
        sni = sni_names(server_hosts(entry.server)) if self.with_http_routes else []
        chain = FilterChainPlan(cls, [entry], sni)
        if cls == HTTPS:
            chain.route_config = self.route_config(route_name, [entry], listener.port)
        listener.chains.append(chain)

    def _finish(self, by_key: dict[tuple[int, str], ListenerPlan]) -> list[ListenerPlan]:
        """Route configs for plain HTTP chains, routes for TCP/TLS chains; chains without a route dropped."""
        for listener in by_key.values():
            chains: list[FilterChainPlan] = []
            taken: set[str] = set()
            for chain in listener.chains:
                if chain.server_class == HTTP:
                    name = f"http.{listener.port}" + (f".{listener.bind}" if listener.bind else "")
                    chain.route_config = self.route_config(name, chain.servers, listener.port)
                    chains.append(chain)
                elif chain.server_class == PASSTHROUGH:
                    chains.extend(self.passthrough_chains(chain.first, listener.port, taken))
                elif chain.server_class in (TCP, TLS_TERMINATED):
                    chain.tcp_route = self.tcp_route(chain.first, listener.port)
                    if chain.tcp_route is None:
                        self._drop_server(chain.first, codes.NO_TCP_ROUTE,
                                          f"(port {listener.port}) no bound VirtualService has a matching tcp "
                                          "route; the server gets no filter chain")
                        continue
                    chains.append(chain)
                else:
                    chains.append(chain)
            listener.chains = chains
        kept = []
        for (port, _bind), listener in sorted(by_key.items()):
            if listener.chains:
                tls = [c.server_class for c in listener.chains if c.server_class not in PLAINTEXT_CLASSES]
                listener.server_class = tls[0] if tls else listener.chains[0].server_class
                kept.append(listener)
            else:
                first = listener.server_class
                self.drops.append(Drop(codes.NOTHING_TO_SERVE, "Gateway", self.gateways[0].gateway.metadata.qualified,
                                       f"port {port}", f"nothing to serve on port {port} ({first}); no listener"))
        return kept

