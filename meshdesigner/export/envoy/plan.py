"""The gateway's routing, resolved once: what istiod would build, before it becomes Envoy YAML.

:func:`build_plan` applies pilot's rules (istio-notes section 3) to one gateway of a project:
servers grouped per port into listeners and filter chains, bound VirtualServices intersected with
server hosts into virtual hosts, rules into routes in order (catch-alls last, a catch-all ends a
VirtualService), destinations into ``outbound|port|subset|fqdn`` clusters. The Envoy renderers
(:mod:`.listeners`, :mod:`.routes`, :mod:`.clusters`) and the request simulator
(:mod:`meshdesigner.analysis.simulate`) both read this plan, so they cannot disagree on which
route exists. Everything here is plain data; nothing is Envoy-specific except the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model.gateway import HTTP_PROTOCOLS, Server
from ...model.hosts import (
    expand_host,
    gateway_ref,
    host_matches,
    namespace_selector_allows,
    split_gateway_host,
)
from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase
from ...model.references import ReferenceIndex
from ...model.virtualservice import HTTPMatchRequest, HTTPRoute, VirtualService

# Server classes on one port; plain-text and TLS servers never share a listener (pilot's mergeGateways).
HTTP, HTTPS, TLS_TERMINATED, PASSTHROUGH, TCP = "http", "https", "tls", "passthrough", "tcp"
PLAINTEXT_CLASSES = frozenset({HTTP, TCP})


def cluster_name(port: int | None, subset: str | None, fqdn: str) -> str:
    return f"outbound|{port or ''}|{subset or ''}|{fqdn}"


@dataclass(frozen=True)
class DestinationPlan:
    """One weighted destination of a route: the cluster and what the user wrote."""

    host: str                 # fully qualified
    subset: str | None
    port: int | None
    weight: int
    cluster: str
    rule_headers: object = None   # HTTPRouteDestination.headers (per-destination header changes)

    def as_dict(self) -> dict:
        return {"host": self.host, "subset": self.subset, "port": self.port, "weight": self.weight,
                "cluster": self.cluster}


@dataclass(frozen=True)
class MirrorPlan:
    destination: DestinationPlan
    percent: float            # 0-100


@dataclass
class RoutePlan:
    """One Envoy route: a (rule, match) of a VirtualService."""

    vs: VirtualService
    rule_index: int
    match_index: int | None   # None: the rule has no match (catch-all)
    rule: HTTPRoute
    match: HTTPMatchRequest | None
    destinations: list[DestinationPlan]
    mirrors: list[MirrorPlan]
    catch_all: bool

    @property
    def vs_ref(self) -> str:
        return self.vs.metadata.qualified

    @property
    def name(self) -> str | None:
        if self.rule.name and self.match is not None and self.match.name:
            return f"{self.rule.name}.{self.match.name}"
        return self.rule.name or (self.match.name if self.match is not None else None)

    @property
    def where(self) -> str:
        """``spec.http[2].match[0]`` of ``ns/name``: for explanations."""
        path = f"spec.http[{self.rule_index}]"
        if self.match_index is not None:
            path += f".match[{self.match_index}]"
        return f"VirtualService {self.vs_ref} {path}"


@dataclass
class VirtualHostPlan:
    name: str
    domains: list[str]
    routes: list[RoutePlan] = field(default_factory=list)
    require_tls: bool = False
    virtual_services: list[str] = field(default_factory=list)


@dataclass
class RouteConfigPlan:
    name: str
    virtual_hosts: list[VirtualHostPlan]
    blackhole: bool = False   # no VirtualService host intersects: a ``*`` vhost without routes


@dataclass
class TcpRoutePlan:
    """The L4 route a tcp_proxy follows (from a VirtualService ``tcp`` or ``tls`` rule)."""

    vs: VirtualService
    section: str              # "tcp" | "tls"
    rule_index: int
    match_index: int | None
    destinations: list[DestinationPlan]

    @property
    def vs_ref(self) -> str:
        return self.vs.metadata.qualified

    @property
    def where(self) -> str:
        path = f"spec.{self.section}[{self.rule_index}]"
        if self.match_index is not None:
            path += f".match[{self.match_index}]"
        return f"VirtualService {self.vs_ref} {path}"


@dataclass
class FilterChainPlan:
    """One filter chain: which servers it serves, its SNI names, TLS and what it runs (HCM or tcp_proxy)."""

    server_class: str                       # HTTP | HTTPS | TLS_TERMINATED | PASSTHROUGH | TCP
    servers: list[tuple[int, Server]]       # (index in spec.servers, server)
    server_names: list[str]                 # SNI names; empty = any
    route_config: RouteConfigPlan | None = None
    tcp_route: TcpRoutePlan | None = None

    @property
    def server(self) -> Server:
        return self.servers[0][1]

    @property
    def terminates_tls(self) -> bool:
        return self.server_class in (HTTPS, TLS_TERMINATED)

    @property
    def is_http(self) -> bool:
        return self.route_config is not None


@dataclass
class ListenerPlan:
    port: int                               # the Gateway server port
    bind: str | None
    server_class: str                       # the class of the first server; decides plain-text vs TLS
    chains: list[FilterChainPlan] = field(default_factory=list)

    @property
    def is_tls(self) -> bool:
        return self.server_class not in PLAINTEXT_CLASSES


@dataclass
class ClusterPlan:
    name: str
    host: str                                # fqdn
    port: int | None
    subset: str | None
    target: NodeBase | None                  # the design node the host resolves to (None: unknown)
    vs_namespace: str


@dataclass
class GatewayPlan:
    gateway: GatewayNode
    listeners: list[ListenerPlan]
    clusters: dict[str, ClusterPlan]
    notes: list[str]                         # servers or routes istiod would skip, in plain words

    def listener(self, port: int) -> ListenerPlan | None:
        return next((lst for lst in self.listeners if lst.port == port), None)


def server_class(server: Server) -> str | None:
    protocol = server.protocol
    if protocol in HTTP_PROTOCOLS:
        return HTTP
    if server.terminates_tls:
        return HTTPS if protocol == "HTTPS" else TLS_TERMINATED
    if server.is_passthrough:
        return PASSTHROUGH
    if protocol in ("TCP", "MONGO", "REDIS", "MYSQL"):
        return TCP
    return None


def server_hosts(server: Server) -> list[str]:
    """The server's DNS names, ``ns/`` stripped, lower-cased, in written order without repeats."""
    out: list[str] = []
    for entry in server.hosts or []:
        host = split_gateway_host(entry)[1].lower()
        if host and host not in out:
            out.append(host)
    return out


def sni_names(hosts: list[str]) -> list[str]:
    """``filter_chain_match.server_names``: sorted; none when a host is ``*`` (any SNI)."""
    return [] if "*" in hosts else sorted(hosts)


def intersect_hosts(server_hosts_: list[str], vs_hosts: list[str]) -> list[str]:
    """pilot's ``Names.Intersection``: for each pair that overlaps, the more specific of the two."""
    out: list[str] = []
    for vs_host in vs_hosts:
        for gw_host in server_hosts_:
            if host_matches(gw_host, vs_host):
                picked = vs_host
            elif host_matches(vs_host, gw_host):
                picked = gw_host
            else:
                continue
            if picked not in out:
                out.append(picked)
    return out


class _Builder:
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


def is_catch_all(match: HTTPMatchRequest) -> bool:
    """pilot's IsCatchAllRoute: ``prefix /`` (or no uri) and no header, query, method, authority or scheme."""
    uri = match.uri
    if uri is not None and not (uri.kind == "prefix" and uri.prefix == "/") and not (
            uri.kind == "regex" and uri.regex == "*") and uri.kind is not None:
        return False
    return not (match.headers or match.without_headers or match.query_params or match.method
                or match.authority or match.scheme)


def build_plan(project, gateway: GatewayNode, index: ReferenceIndex | None = None) -> GatewayPlan:
    """Resolve one gateway's listeners, virtual hosts, routes and clusters (pure)."""
    builder = _Builder(project, gateway, index)
    listeners = builder.listeners()
    return GatewayPlan(gateway, listeners, builder.clusters, builder.notes)
