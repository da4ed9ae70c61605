"""Clusters: which DestinationRule applies to a destination host, and what its traffic policy means.

* The rule applies **by host** (``SidecarScope.DestinationRule`` / ``MostSpecificHostMatch``): the
  DestinationRule whose ``host`` equals the cluster's host wins over wildcard hosts, the longest
  wildcard over shorter ones; among equals a rule in the proxy's namespace, then in the service's
  namespace, then any. So a ServiceEntry's second host gets the rule written for it.
* The subset's policy overrides the top-level one field by field, and a matching port-level
  setting replaces load balancer, connection pool, outlier detection and TLS (``MergeTrafficPolicy``).
* Upstream TLS (``buildUpstreamClusterTLSContext`` / ``constructUpstreamTLS``, ``cluster_tls.go``):
  SIMPLE and MUTUAL verify the server against ``caCertificates``, else the credential's CA, else
  the system roots (``CaCertificatePath: "system"``), unless ``insecureSkipVerify``; without ``sni``
  Envoy sets SNI from the request's host (``auto_sni``) and, without ``subjectAltNames``, checks the
  certificate against it (``auto_san_validation``) (``setAutoSniAndAutoSanValidation``). ISTIO_MUTUAL
  sends the cluster name as SNI.
* Connection pools (``applyConnectionPool``): circuit-breaker limits (Istio's defaults are 2^32-1),
  connect and idle timeouts, requests per connection, ``h2UpgradePolicy`` / ``useClientProtocol``.
* A consistent-hash load balancer becomes a route hash policy (``ConsistentHashToHashPolicy``) and
  a RING_HASH / MAGLEV cluster (``ApplyRingHashLoadBalancer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.destinationrule import DestinationRule
from ..model.hosts import expand_host, host_matches
from ..model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase
from .plan import ClusterPlan
from .units import envoy_duration

_H2_PROTOCOLS = ("HTTP2", "GRPC", "GRPC-WEB")
_POLICY_FIELDS = ("load_balancer", "connection_pool", "outlier_detection", "tls")


@dataclass(frozen=True)
class UpstreamTls:
    """The upstream TLS a cluster originates, with Istio's defaults made explicit."""

    mode: str                                  # SIMPLE | MUTUAL | ISTIO_MUTUAL
    sni: str | None                            # the fixed SNI (explicit, or the cluster name for ISTIO_MUTUAL)
    auto_sni: bool                             # SNI from the upstream request's host
    auto_san_validation: bool                  # the certificate must name the SNI host
    verify: bool                               # False: insecureSkipVerify (no CA, no SAN checks)
    ca_certificates: str | None                # CA file; None with verify: credential CA or system roots
    credential_name: str | None
    client_certificate: str | None
    private_key: str | None
    subject_alt_names: tuple[str, ...] = field(default_factory=tuple)
    settings: object = None                    # the ClientTLSSettings as written

    @property
    def uses_system_roots(self) -> bool:
        return self.verify and self.mode != "ISTIO_MUTUAL" and not self.ca_certificates and not self.credential_name


def _policy_dict(policy) -> dict:
    return {name: getattr(policy, name, None) for name in _POLICY_FIELDS} if policy is not None else {}


def _port_setting(policy, port: int | None):
    for setting in (policy.port_level_settings or []) if policy is not None else []:
        if setting.port is not None and setting.port.number == port:
            return setting
    return None


def effective_policy(dr: DestinationRule | None, port: int | None, subset: str | None) -> dict:
    """``MergeTrafficPolicy``: {load_balancer, connection_pool, outlier_detection, tls} for this port and subset."""
    if dr is None:
        return {}
    top = dr.spec.traffic_policy
    merged = _policy_dict(top)
    if (setting := _port_setting(top, port)) is not None:
        merged = _policy_dict(setting)         # port-level settings do not inherit
    sub = dr.spec.subset(subset) if subset else None
    if sub is not None and sub.traffic_policy is not None:
        for name, value in _policy_dict(sub.traffic_policy).items():
            if value is not None:
                merged[name] = value
        if (setting := _port_setting(sub.traffic_policy, port)) is not None:
            merged = _policy_dict(setting)
    return merged


def upstream_tls(tls, cluster: str) -> UpstreamTls | None:
    """The TLS origination a ClientTLSSettings asks for (None for DISABLE or no settings)."""
    if tls is None:
        return None
    mode = (tls.mode or "DISABLE").upper()
    if mode not in ("SIMPLE", "MUTUAL", "ISTIO_MUTUAL"):
        return None
    verify = not bool(tls.insecure_skip_verify)
    sans = tuple(tls.subject_alt_names or ())
    if mode == "ISTIO_MUTUAL":
        return UpstreamTls(mode, tls.sni or cluster, False, False, True, None, None, None, None, sans, tls)
    auto_sni = not tls.sni
    auto_san = auto_sni and not sans and verify
    return UpstreamTls(mode, tls.sni or None, auto_sni, auto_san, verify, tls.ca_certificates or None,
                       tls.credential_name or None, tls.client_certificate, tls.private_key, sans, tls)


def consistent_hash_policy(cluster: ClusterPlan) -> dict | None:
    """``ConsistentHashToHashPolicy`` for the cluster's load balancer (None: not consistent hash)."""
    lb = (cluster.traffic_policy or {}).get("load_balancer")
    hashing = lb.get("consistentHash") if isinstance(lb, dict) else None
    if not isinstance(hashing, dict):
        return None
    if hashing.get("httpHeaderName"):
        return {"header": {"header_name": hashing["httpHeaderName"]}}
    if isinstance(hashing.get("httpCookie"), dict):
        cookie = hashing["httpCookie"]
        out: dict = {"name": cookie.get("name", "")}
        if cookie.get("ttl"):
            out["ttl"] = cookie["ttl"]
        if cookie.get("path"):
            out["path"] = cookie["path"]
        return {"cookie": out}
    if hashing.get("useSourceIp"):
        return {"connection_properties": {"source_ip": True}}
    if hashing.get("httpQueryParameterName"):
        return {"query_parameter": {"name": hashing["httpQueryParameterName"]}}
    return None


def load_balancer(cluster: ClusterPlan) -> tuple[str, dict | None]:
    """(lb_policy, extra cluster fields) from the load balancer setting (``applyLoadBalancer``,
    ``ApplyRingHashLoadBalancer``); Istio's default is LEAST_REQUEST."""
    lb = (cluster.traffic_policy or {}).get("load_balancer")
    if not isinstance(lb, dict):
        return "LEAST_REQUEST", None
    hashing = lb.get("consistentHash")
    if isinstance(hashing, dict):
        if isinstance(hashing.get("maglev"), dict):
            size = hashing["maglev"].get("tableSize")
            return "MAGLEV", ({"maglev_lb_config": {"table_size": int(size)}} if size else None)
        ring = hashing.get("ringHash") if isinstance(hashing.get("ringHash"), dict) else {}
        size = ring.get("minimumRingSize") or hashing.get("minimumRingSize") or (None if ring else 1024)
        return "RING_HASH", ({"ring_hash_lb_config": {"minimum_ring_size": int(size)}} if size else None)
    simple = str(lb.get("simple", "")).upper()
    return {"ROUND_ROBIN": "ROUND_ROBIN", "LEAST_CONN": "LEAST_REQUEST", "LEAST_REQUEST": "LEAST_REQUEST",
            "RANDOM": "RANDOM", "PASSTHROUGH": "CLUSTER_PROVIDED"}.get(simple, "LEAST_REQUEST"), None


MAX_UINT32 = 4294967295


def connection_pool(cluster: ClusterPlan) -> dict:
    """``applyConnectionPool`` (+ ``getDefaultCircuitBreakerThresholds``, ``shouldH2Upgrade``): Envoy cluster
    pieces ``connect_timeout``, ``circuit_breakers``, ``common_http_protocol_options`` and ``http2`` /
    ``use_downstream_protocol`` from the DestinationRule's connectionPool. Without settings, the thresholds are
    Istio's defaults (every limit 2^32-1, remaining counts tracked) and the connect timeout 10s."""
    settings = (cluster.traffic_policy or {}).get("connection_pool")
    settings = settings if isinstance(settings, dict) else {}
    http = settings.get("http") if isinstance(settings.get("http"), dict) else {}
    tcp = settings.get("tcp") if isinstance(settings.get("tcp"), dict) else {}
    threshold = {"max_connections": MAX_UINT32, "max_pending_requests": MAX_UINT32, "max_requests": MAX_UINT32,
                 "max_retries": MAX_UINT32, "track_remaining": True}
    for field_name, key in (("http2MaxRequests", "max_requests"), ("http1MaxPendingRequests", "max_pending_requests"),
                            ("maxRetries", "max_retries")):
        if isinstance(http.get(field_name), int) and http[field_name] > 0:
            threshold[key] = http[field_name]
    if isinstance(tcp.get("maxConnections"), int) and tcp["maxConnections"] > 0:
        threshold["max_connections"] = tcp["maxConnections"]
    out: dict = {"connect_timeout": envoy_duration(tcp.get("connectTimeout")) or "10s",
                 "circuit_breakers": {"thresholds": [threshold]}}
    common: dict = {}
    idle = envoy_duration(http.get("idleTimeout")) or envoy_duration(tcp.get("idleTimeout"))
    if idle:
        common["idle_timeout"] = idle
    if isinstance(http.get("maxRequestsPerConnection"), int) and http["maxRequestsPerConnection"] > 0:
        common["max_requests_per_connection"] = http["maxRequestsPerConnection"]
    if envoy_duration(tcp.get("maxConnectionDuration")):
        common["max_connection_duration"] = envoy_duration(tcp.get("maxConnectionDuration"))
    if common:
        out["common_http_protocol_options"] = common
    if http.get("useClientProtocol"):
        out["use_downstream_protocol"] = True
    elif str(http.get("h2UpgradePolicy", "")).upper() == "UPGRADE":
        out["http2"] = True
    elif str(http.get("h2UpgradePolicy", "")).upper() == "DO_NOT_UPGRADE":
        out["http2"] = False
    return out


def _wants_http2(target: NodeBase | None, port: int | None) -> bool:
    """The port's protocol (name prefix or appProtocol for Services, ``protocol`` for ServiceEntries)."""
    if isinstance(target, MeshServiceNode) or (isinstance(target, GatewayNode) and target.service):
        for p in target.service.spec.ports or []:
            if p.port == port:
                proto = (p.app_protocol or (p.name or "").split("-")[0]).upper()
                return proto in _H2_PROTOCOLS
    if isinstance(target, ExternalServiceNode):
        for p in target.service_entry.spec.ports or []:
            if p.number == port:
                return (p.protocol or "").upper() in _H2_PROTOCOLS
    return False


class DestinationRules:
    """Every DestinationRule of the design, looked up by host."""

    def __init__(self, nodes) -> None:
        self.exact: dict[str, list[DestinationRule]] = {}
        self.wildcard: list[tuple[str, DestinationRule]] = []
        for node in nodes:
            dr = getattr(node, "destination_rule", None)
            if dr is None:
                continue
            host = expand_host(dr.spec.host, dr.namespace).lower()
            if host.startswith("*"):
                self.wildcard.append((host, dr))
            else:
                self.exact.setdefault(host, []).append(dr)
        self.wildcard.sort(key=lambda item: -len(item[0]))

    def for_host(self, host: str, proxy_namespace: str, service_namespace: str | None) -> DestinationRule | None:
        """``MostSpecificHostMatch`` with namespace preference (proxy's, then the service's, then any)."""
        candidates = self.exact.get(host)
        if not candidates:
            matching = [(p, d) for p, d in self.wildcard if host_matches(p, host)]
            if matching:
                longest = len(matching[0][0])       # sorted longest first: the most specific wildcard
                candidates = [d for p, d in matching if len(p) == longest]
        if not candidates:
            return None
        for namespace in (proxy_namespace, service_namespace):
            for dr in candidates:
                if dr.namespace == namespace:
                    return dr
        return sorted(candidates, key=lambda d: (d.namespace, d.name))[0]

    def cluster(self, name: str, host: str, port: int | None, subset: str | None, target: NodeBase | None,
                vs_namespace: str, proxy_namespace: str) -> ClusterPlan:
        service_namespace = getattr(target, "namespace", None) if target is not None else None
        dr = self.for_host(host, proxy_namespace, service_namespace)
        policy = effective_policy(dr, port, subset)
        plan = ClusterPlan(name, host, port, subset, target, vs_namespace, dr, policy,
                           upstream_tls(policy.get("tls"), name), _wants_http2(target, port))
        pool = connection_pool(plan)
        if "http2" in pool:
            plan.http2 = pool["http2"]        # h2UpgradePolicy overrides the port's protocol
        plan.connection_pool = pool
        return plan
