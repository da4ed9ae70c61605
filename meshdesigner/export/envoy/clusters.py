"""Clusters ``outbound|port|subset|fqdn``: DNS to the cluster-local name, or the trial's endpoints."""

from __future__ import annotations

from ...compile.destinations import load_balancer
from ...compile.plan import ClusterPlan
from ...model.nodes import ExternalServiceNode
from .common import HTTP_PROTOCOL_OPTIONS_TYPE
from .options import Address, EnvoyOptions
from .tls import Secrets, upstream_tls


def endpoint_override(options: EnvoyOptions, cluster: ClusterPlan) -> Address | None:
    """``--endpoints``: the cluster name wins over ``host:port`` (which covers every subset)."""
    return options.endpoints.get(cluster.name) or options.endpoints.get(f"{cluster.host}:{cluster.port}")


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


def render_cluster(cluster: ClusterPlan, options: EnvoyOptions, secrets: Secrets) -> dict:
    """One ``outbound|port|subset|host`` cluster: addresses, load balancer, HTTP/2, upstream TLS."""
    override = endpoint_override(options, cluster)
    addresses = [override] if override else _upstream_addresses(cluster)
    static = all(a.is_ip for a in addresses)
    pool = cluster.connection_pool
    out: dict = {"name": cluster.name, "type": "STATIC" if static else "STRICT_DNS",
                 "connect_timeout": pool.get("connect_timeout", "10s")}
    lb_policy, lb_config = load_balancer(cluster)
    out["lb_policy"] = lb_policy
    if lb_config:
        out.update(lb_config)
    if not static:
        out["dns_lookup_family"] = "V4_ONLY"
    endpoints = [{"endpoint": {"address": {"socket_address": {"address": a.host, "port_value": a.port}}}}
                 for a in addresses]
    out["load_assignment"] = {"cluster_name": cluster.name,
                              "endpoints": [{"lb_endpoints": endpoints}] if endpoints else []}
    if pool.get("circuit_breakers"):
        out["circuit_breakers"] = pool["circuit_breakers"]
    protocol_options: dict = {}
    if pool.get("common_http_protocol_options"):
        protocol_options["common_http_protocol_options"] = pool["common_http_protocol_options"]
    if pool.get("use_downstream_protocol"):
        protocol_options["use_downstream_protocol_config"] = {}
    elif cluster.http2:
        protocol_options["explicit_http_config"] = {"http2_protocol_options": {}}
    tls = cluster.upstream_tls
    if tls is not None and (tls.auto_sni or tls.auto_san_validation):
        # setAutoSniAndAutoSanValidation: SNI (and the SAN check) from the request's host.
        upstream: dict = {}
        if tls.auto_sni:
            upstream["auto_sni"] = True
        if tls.auto_san_validation:
            upstream["auto_san_validation"] = True
        protocol_options["upstream_http_protocol_options"] = upstream
        if "use_downstream_protocol_config" not in protocol_options:
            protocol_options.setdefault("explicit_http_config", {"http2_protocol_options": {}} if cluster.http2
                                        else {"http_protocol_options": {}})
    if protocol_options and not any(k in protocol_options for k in ("explicit_http_config",
                                                                     "use_downstream_protocol_config")):
        protocol_options["explicit_http_config"] = {"http_protocol_options": {}}   # the oneof Envoy requires
    if protocol_options:
        out["typed_extension_protocol_options"] = {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": HTTP_PROTOCOL_OPTIONS_TYPE, **protocol_options}}
    if tls is not None:
        out["transport_socket"] = upstream_tls(secrets, tls, cluster.http2)
    return out
