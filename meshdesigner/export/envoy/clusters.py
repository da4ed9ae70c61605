"""Clusters ``outbound|port|subset|fqdn``: DNS to the cluster-local name, or the trial's endpoints."""

from __future__ import annotations

from ...model.hosts import expand_host, host_matches
from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode
from .common import HTTP_PROTOCOL_OPTIONS_TYPE
from .options import Address, EnvoyOptions
from .plan import ClusterPlan
from .tls import Secrets, upstream_tls

_LB_POLICIES = {"ROUND_ROBIN": "ROUND_ROBIN", "LEAST_CONN": "LEAST_REQUEST", "LEAST_REQUEST": "LEAST_REQUEST",
                "RANDOM": "RANDOM"}
_H2_PROTOCOLS = ("HTTP2", "GRPC", "GRPC-WEB")


def endpoint_override(options: EnvoyOptions, cluster: ClusterPlan) -> Address | None:
    """``--endpoints``: the cluster name wins over ``host:port`` (which covers every subset)."""
    return options.endpoints.get(cluster.name) or options.endpoints.get(f"{cluster.host}:{cluster.port}")


def _destination_rule(cluster: ClusterPlan):
    target = cluster.target
    if isinstance(target, MeshServiceNode | ExternalServiceNode) and target.destination_rule is not None:
        dr = target.destination_rule
        if host_matches(expand_host(dr.spec.host, dr.namespace), cluster.host):
            return dr
    return None


def _upstream_addresses(cluster: ClusterPlan) -> list[Address]:
    """Where the cluster's hosts are when nothing overrides them (empty: nothing to connect to)."""
    target = cluster.target
    port = cluster.port or 0
    if isinstance(target, ExternalServiceNode):
        spec = target.service_entry.spec
        se_port = next((p for p in spec.ports or [] if p.number == cluster.port), None)
        upstream_port = (se_port.target_port if se_port and se_port.target_port else port)
        if spec.endpoints:
            out = []
            for ep in spec.endpoints:
                if not ep.address or ep.address.startswith("unix://"):
                    continue
                ep_port = (ep.ports or {}).get(se_port.name) if se_port and se_port.name else None
                out.append(Address(ep.address, ep_port or upstream_port))
            return out
        return [] if cluster.host.startswith("*") else [Address(cluster.host, upstream_port)]
    return [] if cluster.host.startswith("*") else [Address(cluster.host, port)]


def _wants_http2(cluster: ClusterPlan) -> bool:
    target = cluster.target
    if isinstance(target, MeshServiceNode) or (isinstance(target, GatewayNode) and target.service):
        service = target.service
        for p in service.spec.ports or []:
            if p.port == cluster.port:
                proto = (p.app_protocol or (p.name or "").split("-")[0]).upper()
                return proto in _H2_PROTOCOLS
    if isinstance(target, ExternalServiceNode):
        for p in target.service_entry.spec.ports or []:
            if p.number == cluster.port:
                return (p.protocol or "").upper() in _H2_PROTOCOLS
    return False


def render_cluster(cluster: ClusterPlan, options: EnvoyOptions, secrets: Secrets) -> dict:
    override = endpoint_override(options, cluster)
    addresses = [override] if override else _upstream_addresses(cluster)
    static = all(a.is_ip for a in addresses)
    out: dict = {"name": cluster.name, "type": "STATIC" if static else "STRICT_DNS", "connect_timeout": "10s"}
    dr = _destination_rule(cluster)
    lb = "LEAST_REQUEST"
    policy = dr.spec.traffic_policy if dr is not None else None
    if policy is not None and isinstance(policy.load_balancer, dict):
        lb = _LB_POLICIES.get(str(policy.load_balancer.get("simple", "")).upper(), lb)
    out["lb_policy"] = lb
    if not static:
        out["dns_lookup_family"] = "V4_ONLY"
    endpoints = [{"endpoint": {"address": {"socket_address": {"address": a.host, "port_value": a.port}}}}
                 for a in addresses]
    out["load_assignment"] = {"cluster_name": cluster.name,
                              "endpoints": [{"lb_endpoints": endpoints}] if endpoints else []}
    if _wants_http2(cluster):
        out["typed_extension_protocol_options"] = {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": HTTP_PROTOCOL_OPTIONS_TYPE, "explicit_http_config": {"http2_protocol_options": {}}}}
    tls = dr.spec.tls_for(cluster.port, cluster.subset) if dr is not None else None
    if tls is not None:
        socket = upstream_tls(secrets, tls, cluster.host, cluster.port, cluster.subset)
        if socket is not None:
            out["transport_socket"] = socket
    return out
