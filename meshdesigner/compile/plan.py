"""A gateway workload's routing, resolved once: what istiod builds for one proxy, before it becomes Envoy YAML.

Plain data. :mod:`.builder` fills it (pilot's rules, istio-notes section 3); the Envoy exporter
(:mod:`meshdesigner.export.envoy`) serializes it and the simulator (:mod:`meshdesigner.analysis.simulate`)
interprets it, so binding, matching and merging are decided in one place. Route-level semantics
(match, retry policy, timeout, fault, CORS, redirect, header operations) are computed by
:mod:`.http` into Envoy-shaped values on :class:`RoutePlan` because Envoy is the data plane both
consumers speak about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..model.gateway import HTTP_PROTOCOLS, Server
from ..model.hosts import host_matches, split_gateway_host
from ..model.nodes import GatewayNode, NodeBase
from ..model.virtualservice import HTTPMatchRequest, HTTPRoute, VirtualService

if TYPE_CHECKING:
    from .security import SecurityPlan

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
class Drop:
    """Something istiod skips or drops while building the workload's config (an MD08xx diagnostic).

    ``kind`` and ``ref`` name the resource (``Gateway``, ``ns/name``), ``field`` the path in it,
    ``code`` the catalogue entry in :mod:`meshdesigner.analysis.messages`.
    """

    code: str
    kind: str
    ref: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} {self.field}: {self.message}"


@dataclass(frozen=True)
class ServerPlan:
    """One server of one Gateway, as merged into the workload."""

    gateway: GatewayNode
    index: int                # in the Gateway's spec.servers
    server: Server

    @property
    def gateway_ref(self) -> str:
        return self.gateway.gateway.metadata.qualified

    @property
    def where(self) -> str:
        return f"Gateway {self.gateway_ref} spec.servers[{self.index}]"


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
    """One Envoy route: a (rule, match) of a VirtualService, with Istio's semantics resolved.

    ``vs`` is the VirtualService the rule comes from (a delegate child for delegated rules, then
    ``root`` is the delegating VirtualService). The Envoy-shaped fields are filled by
    :func:`meshdesigner.compile.http.resolve_route`.
    """

    vs: VirtualService
    rule_index: int
    match_index: int | None   # None: the rule has no match (catch-all)
    rule: HTTPRoute
    match: HTTPMatchRequest | None
    destinations: list[DestinationPlan]
    mirrors: list[MirrorPlan]
    catch_all: bool
    root: VirtualService | None = None       # the delegating VirtualService, for delegated rules
    envoy_match: dict = field(default_factory=dict)       # Envoy RouteMatch
    timeout: str = "0s"                       # Envoy duration; "0s" = disabled (Istio's default)
    retry_policy: dict | None = None          # Envoy RetryPolicy; None = no retries
    fault: dict | None = None                 # HTTPFault per-route config (no @type)
    cors: dict | None = None                  # CorsPolicy per-route config (no @type)
    redirect: dict | None = None              # Envoy RedirectAction
    direct_response: dict | None = None       # Envoy DirectResponseAction
    rewrite: dict | None = None               # prefix_rewrite / regex_rewrite / host_rewrite_literal
    request_headers: dict = field(default_factory=dict)    # request_headers_to_add / _to_remove
    response_headers: dict = field(default_factory=dict)   # response_headers_to_add / _to_remove
    hash_policy: list[dict] = field(default_factory=list)  # consistent hash of the destination's DR

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
        text = rule_location(self.vs_ref, "http", self.rule_index, self.match_index)
        if self.root is not None:
            text += f" (delegated from VirtualService {self.root.metadata.qualified})"
        return text


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
    servers: list[ServerPlan]
    server_names: list[str]                 # SNI names; empty = any
    route_config: RouteConfigPlan | None = None
    tcp_route: TcpRoutePlan | None = None

    @property
    def first(self) -> ServerPlan:
        return self.servers[0]

    @property
    def server(self) -> Server:
        return self.servers[0].server

    @property
    def gateway(self) -> GatewayNode:
        """The Gateway of the chain's first server (whose functions the chain carries)."""
        return self.servers[0].gateway

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
    destination_rule: object = None          # the DestinationRule that applies by host (or None)
    traffic_policy: object = None            # the merged TrafficPolicy for this port and subset
    upstream_tls: object = None              # ClientTLSSettings in force (mode != DISABLE), or None
    http2: bool = False                      # upstream speaks HTTP/2 (port protocol, appProtocol, h2UpgradePolicy)
    connection_pool: dict = field(default_factory=dict)   # Envoy pieces of the connectionPool (destinations.py)


@dataclass
class WorkloadPlan:
    """One gateway workload (pods selected by ``labels``): every Gateway merged into its Envoy config.

    ``gateways`` are in istiod's merge order (creation time, then name, then namespace; a design has
    no creation times). ``security`` is the workload's :class:`~meshdesigner.compile.security.SecurityPlan`
    (built once per workload, as istiod builds a proxy's authn/authz once); ``None`` for a sidecar plan.
    """

    labels: dict[str, str]
    gateways: list[GatewayNode]
    listeners: list[ListenerPlan]
    clusters: dict[str, ClusterPlan]
    drops: list[Drop]
    virtual_services: list[VirtualService] = field(default_factory=list)   # bound to any merged Gateway
    istio_version: str = ""
    security: SecurityPlan | None = None

    @property
    def gateway(self) -> GatewayNode:
        """The primary Gateway (first in merge order)."""
        return self.gateways[0]

    @cached_property
    def gateway_refs(self) -> list[str]:
        return [g.gateway.metadata.qualified for g in self.gateways]

    @property
    def notes(self) -> list[str]:
        """What istiod would skip, in plain words (one per drop)."""
        return [str(d) for d in self.drops]

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
