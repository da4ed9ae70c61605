"""pilot's rules applied to one gateway: the work behind :func:`.plan.build_plan`.

Which VirtualServices bind to the gateway, how server hosts and VirtualService hosts intersect into
virtual hosts, which rules become routes on which port, how servers share a port, and which
destinations become which clusters (istio-notes section 3; pilot's mergeGateways,
buildGatewayHTTPRouteConfig, BuildHTTPRoutesForVirtualService, gateway TCP/TLS filter chains).
"""

from __future__ import annotations

from ...model.gateway import Server
from ...model.hosts import expand_host, gateway_ref, namespace_selector_allows, split_gateway_host
from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase
from ...model.references import ReferenceIndex
from ...model.virtualservice import HTTPRoute, VirtualService
from .plan import (
    HTTP,
    HTTPS,
    PASSTHROUGH,
    PLAINTEXT_CLASSES,
    TCP,
    ClusterPlan,
    DestinationPlan,
    FilterChainPlan,
    ListenerPlan,
    MirrorPlan,
    RouteConfigPlan,
    RoutePlan,
    TcpRoutePlan,
    VirtualHostPlan,
    cluster_name,
    intersect_hosts,
    is_catch_all,
    server_class,
    server_hosts,
    sni_names,
)


class PlanBuilder:
    """Builds the parts of one gateway's plan; ``notes`` collects what istiod would skip."""

    def __init__(self, project, gateway: GatewayNode, index: ReferenceIndex | None = None) -> None:
        self.project = project
        self.gateway = gateway
        self.gw_ns = gateway.gateway.namespace
        self.gw_ref = gateway.gateway.metadata.qualified
        self.index = index or ReferenceIndex(project)
        self.notes: list[str] = []
        self.clusters: dict[str, ClusterPlan] = {}
        self.bound = self._bound_virtual_services()

    # ----- which VirtualServices apply ------------------------------------------------------
    def _bound_virtual_services(self) -> list[VirtualService]:
        out = []
        for vs_node in self.index.virtual_services:
            vs = vs_node.virtual_service
            refs = {gateway_ref(e, vs.namespace) for e in vs.spec.gateways or []}
            if self.gw_ref in refs:
                out.append(vs)
        # istiod orders by creation time, then name, then namespace; a design has no times.
        out.sort(key=lambda vs: (vs.name, vs.namespace))
        return out

    def _vs_hosts(self, vs: VirtualService) -> list[str]:
        return [expand_host(h, vs.namespace).lower() for h in vs.spec.hosts or []]

    def _server_hosts_for(self, server: Server, vs: VirtualService) -> list[str]:
        """Server hosts whose ``ns/`` part admits the VirtualService's namespace."""
        out = []
        for entry in server.hosts or []:
            selector, host = split_gateway_host(entry)
            if namespace_selector_allows(selector, self.gw_ns, vs.namespace) and host.lower() not in out:
                out.append(host.lower())
        return out

    def _gateway_matches(self, gateways: list[str] | None, vs: VirtualService) -> bool:
        if not gateways:
            return True
        return self.gw_ref in {gateway_ref(e, vs.namespace) for e in gateways}

    def _source_matches(self, match, vs: VirtualService) -> bool:
        labels = self.gateway.gateway.spec.selector or {}
        if match.source_labels and any(labels.get(k) != v for k, v in match.source_labels.items()):
            return False
        return not (match.source_namespace and match.source_namespace != self.gw_ns)

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
        target = self.index.destination(dest.host, vs.namespace)
        port = dest.port_number
        if port is None:
            ports = self._service_ports(target)
            port = ports[0] if len(ports) == 1 else listener_port
        name = cluster_name(port, dest.subset, fqdn)
        if name not in self.clusters:
            self.clusters[name] = ClusterPlan(name, fqdn, port, dest.subset, target, vs.namespace)
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
    def http_routes(self, vs: VirtualService, listener_port: int) -> list[RoutePlan]:
        """pilot's BuildHTTPRoutesForVirtualService for one gateway port."""
        out: list[RoutePlan] = []
        for i, rule in enumerate(vs.spec.http or []):
            if rule.delegate is not None:
                self.notes.append(f"VirtualService {vs.metadata.qualified} spec.http[{i}] delegates to "
                                  "another VirtualService, which a standalone export does not follow")
                continue
            catch_all = False
            if not rule.route and rule.redirect is None and rule.direct_response is None:
                self.notes.append(f"VirtualService {vs.metadata.qualified} spec.http[{i}] has no route, redirect or "
                                  "direct response; skipped")
                continue
            if not rule.match:
                out.append(self._route(vs, i, None, rule, None, listener_port, catch_all=True))
                catch_all = True
            else:
                for j, match in enumerate(rule.match):
                    if match.port is not None and match.port != listener_port:
                        continue
                    if not self._gateway_matches(match.gateways, vs) or not self._source_matches(match, vs):
                        continue
                    route = self._route(vs, i, j, rule, match, listener_port, catch_all=is_catch_all(match))
                    out.append(route)
                    if route.catch_all:
                        catch_all = True
                        break
            if catch_all:
                break
        return out

    def _route(self, vs, i, j, rule: HTTPRoute, match, listener_port: int, catch_all: bool) -> RoutePlan:
        destinations: list[DestinationPlan] = []
        if rule.redirect is None and rule.direct_response is None:
            destinations = self.weighted(rule.route, vs, listener_port, http=True)
        mirrors: list[MirrorPlan] = []
        if rule.mirror is not None:
            pct = 100.0
            if rule.mirror_percentage is not None and rule.mirror_percentage.value is not None:
                pct = float(rule.mirror_percentage.value)
            elif rule.mirror_percent is not None:
                pct = float(rule.mirror_percent)
            if pct > 0:
                mirrors.append(MirrorPlan(self.destination(rule.mirror, 0, vs, listener_port), pct))
        for m in rule.mirrors or []:
            pct = 100.0 if m.percentage is None or m.percentage.value is None else float(m.percentage.value)
            if pct > 0:
                mirrors.append(MirrorPlan(self.destination(m.destination, 0, vs, listener_port), pct))
        return RoutePlan(vs, i, j, rule, match, destinations, mirrors, catch_all)

    def route_config(self, name: str, servers: list[tuple[int, Server]], port: int) -> RouteConfigPlan:
        """Virtual hosts: server hosts intersected with bound VirtualService hosts (buildGatewayHTTPRouteConfig)."""
        vhosts: dict[str, VirtualHostPlan] = {}
        for _, server in servers:
            redirect = bool(server.tls and server.tls.https_redirect)
            for vs in self.bound:
                if not vs.spec.http:
                    continue
                hosts = intersect_hosts(self._server_hosts_for(server, vs), self._vs_hosts(vs))
                if not hosts:
                    continue
                routes = self.http_routes(vs, port)
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

    # ----- TCP / TLS routes -----------------------------------------------------------------
    def tcp_route(self, server: Server, port: int) -> TcpRoutePlan | None:
        """The first ``tcp`` rule of a bound VirtualService whose match fits this server (pilot picks one)."""
        for vs in self.bound:
            if not vs.spec.tcp:
                continue
            if not intersect_hosts(self._server_hosts_for(server, vs), self._vs_hosts(vs) or ["*"]):
                continue
            for i, rule in enumerate(vs.spec.tcp):
                matches = list(enumerate(rule.match)) if rule.match else [(None, None)]
                for j, match in matches:
                    if match is not None and (
                            (match.port is not None and match.port != port)
                            or not self._gateway_matches(match.gateways, vs)
                            or not self._source_matches(match, vs)):
                        continue
                    dests = self.weighted(rule.route, vs, port, http=False)
                    if dests:
                        return TcpRoutePlan(vs, "tcp", i, j, dests)
        return None

    def passthrough_chains(self, index: int, server: Server, port: int, taken: set[str]
                           ) -> list[FilterChainPlan]:
        """One chain per VirtualService ``tls[].match[]`` whose sniHosts fall under the server hosts."""
        chains = []
        for vs in self.bound:
            allowed = self._server_hosts_for(server, vs)
            for i, rule in enumerate(vs.spec.tls or []):
                for j, match in enumerate(rule.match or []):
                    if (match.port is not None and match.port != port) or not self._gateway_matches(
                            match.gateways, vs) or not self._source_matches(match, vs):
                        continue
                    names = intersect_hosts(allowed, [h.lower() for h in match.sni_hosts or []])
                    fresh = [n for n in names if n not in taken]
                    if len(fresh) < len(names):
                        self.notes.append(f"VirtualService {vs.metadata.qualified} spec.tls[{i}].match[{j}]: "
                                          f"SNI host(s) {', '.join(sorted(set(names) - set(fresh)))} already "
                                          f"routed on port {port}; skipped as istiod skips duplicates")
                    if not fresh:
                        continue
                    dests = self.weighted(rule.route, vs, port, http=False)
                    if not dests:
                        continue
                    taken.update(fresh)
                    chains.append(FilterChainPlan(PASSTHROUGH, [(index, server)], sni_names(fresh),
                                                  tcp_route=TcpRoutePlan(vs, "tls", i, j, dests)))
        return chains

    # ----- listeners ------------------------------------------------------------------------
    def listeners(self) -> list[ListenerPlan]:
        by_port: dict[int, ListenerPlan] = {}
        gw_name = self.gateway.gateway.name
        for index, server in enumerate(self.gateway.gateway.spec.servers or []):
            cls = server_class(server)
            port = server.port.number
            where = f"Gateway {self.gw_ref} spec.servers[{index}]"
            if cls is None:
                self.notes.append(f"{where}: protocol {server.port.protocol} with this TLS setting has no "
                                  "Envoy equivalent; skipped")
                continue
            listener = by_port.get(port)
            if listener is None:
                listener = by_port[port] = ListenerPlan(port, server.bind, cls)
            elif (cls in PLAINTEXT_CLASSES) != (listener.server_class in PLAINTEXT_CLASSES) or (
                    cls in PLAINTEXT_CLASSES and cls != listener.server_class):
                self.notes.append(f"{where}: a {cls} server cannot share port {port} with a "
                                  f"{listener.server_class} server; skipped as istiod skips it")
                continue
            if cls == HTTP:
                http_chain = next((c for c in listener.chains if c.server_class == HTTP), None)
                if http_chain is None:
                    listener.chains.append(FilterChainPlan(HTTP, [(index, server)], []))
                else:
                    http_chain.servers.append((index, server))
            elif cls == TCP:
                if listener.chains:
                    self.notes.append(f"{where}: port {port} already has a TCP server; skipped")
                    continue
                listener.chains.append(FilterChainPlan(TCP, [(index, server)], [],
                                                       tcp_route=self.tcp_route(server, port)))
            else:
                taken = {n for c in listener.chains for n in (c.server_names or ["*"])}
                if cls == PASSTHROUGH:
                    listener.chains.extend(self.passthrough_chains(index, server, port, taken))
                    continue
                hosts = server_hosts(server)
                names = sni_names(hosts)
                if any(n in taken for n in (names or ["*"])):
                    self.notes.append(f"{where}: host(s) {', '.join(hosts)} already served on port {port} "
                                      "with TLS; skipped as istiod skips duplicate TLS hosts")
                    continue
                chain = FilterChainPlan(cls, [(index, server)], names)
                if cls == HTTPS:
                    port_name = server.port.name
                    chain.route_config = self.route_config(
                        f"https.{port}.{port_name}.{gw_name}.{self.gw_ns}", [(index, server)], port)
                else:
                    chain.tcp_route = self.tcp_route(server, port)
                listener.chains.append(chain)
        for listener in by_port.values():
            for chain in listener.chains:
                if chain.server_class == HTTP:
                    chain.route_config = self.route_config(f"http.{listener.port}", chain.servers, listener.port)
            dropped = [c for c in listener.chains if not c.is_http and c.tcp_route is None]
            for chain in dropped:
                idx = chain.servers[0][0]
                self.notes.append(f"Gateway {self.gw_ref} spec.servers[{idx}] (port {listener.port}): no bound "
                                  "VirtualService has a matching tcp route; the server gets no filter chain")
            listener.chains = [c for c in listener.chains if c not in dropped]
        kept = [lst for lst in by_port.values() if lst.chains]
        for lst in by_port.values():
            if not lst.chains:
                self.notes.append(f"Gateway {self.gw_ref} port {lst.port}: nothing to serve; no listener")
        return sorted(kept, key=lambda lst: lst.port)
