"""The gateway's routing, resolved once: what istiod would build, before it becomes Envoy YAML.

:func:`build_plan` applies pilot's rules (istio-notes section 3) to one gateway of a project:
servers grouped per port into listeners and filter chains, bound VirtualServices intersected with
server hosts into virtual hosts, rules into routes in order (catch-alls last, a catch-all ends a
VirtualService), destinations into ``outbound|port|subset|fqdn`` clusters (the rules themselves:
:mod:`.plan_builder`). The Envoy renderers
(:mod:`.listeners`, :mod:`.routes`, :mod:`.clusters`) and the request simulator
(:mod:`meshdesigner.analysis.simulate`) both read this plan, so they cannot disagree on which
route exists. Everything here is plain data; nothing is Envoy-specific except the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model.gateway import HTTP_PROTOCOLS, Server
from ...model.hosts import host_matches, split_gateway_host
from ...model.nodes import GatewayNode, NodeBase
from ...model.references import ReferenceIndex
from ...model.virtualservice import HTTPMatchRequest, HTTPRoute, VirtualService

# Server classes on one port; plain-text and TLS servers never share a listener (pilot's mergeGateways).
HTTP, HTTPS, TLS_TERMINATED, PASSTHROUGH, TCP = "http", "https", "tls", "passthrough", "tcp"
PLAINTEXT_CLASSES = frozenset({HTTP, TCP})


def cluster_name(port: int | None, subset: str | None, fqdn: str) -> str:
    return f"outbound|{port or ''}|{subset or ''}|{fqdn}"


def rule_location(vs_ref: str, section: str, rule_index: int, match_index: int | None) -> str:
    """``VirtualService ns/name spec.http[2].match[0]``: where a route came from, for explanations."""
    path = f"spec.{section}[{rule_index}]"
    if match_index is not None:
        path += f".match[{match_index}]"
    return f"VirtualService {vs_ref} {path}"


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
        return rule_location(self.vs_ref, "http", self.rule_index, self.match_index)


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
        return rule_location(self.vs_ref, self.section, self.rule_index, self.match_index)


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
    virtual_services: list[VirtualService] = field(default_factory=list)   # bound to this gateway

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
    from .plan_builder import PlanBuilder

    builder = PlanBuilder(project, gateway, index)
    listeners = builder.listeners()
    return GatewayPlan(gateway, listeners, builder.clusters, builder.notes, list(builder.bound))
