"""Listeners and filter chains: TLS inspector, SNI, DownstreamTlsContext, HCM or tcp_proxy."""

from __future__ import annotations

from ...compile.plan import HTTPS, FilterChainPlan, ListenerPlan, TcpRoutePlan
from .common import (
    CORS_FILTER,
    CORS_TYPE,
    FAULT_FILTER,
    FAULT_TYPE,
    HCM_TYPE,
    ROUTER_FILTER,
    ROUTER_TYPE,
    TCP_PROXY_TYPE,
    TLS_INSPECTOR_TYPE,
)
from .routes import render_route_config
from .security import WorkloadSecurity
from .tls import Secrets, downstream_tls


class ListenerContext:
    """What rendering a listener needs besides the plan."""

    def __init__(self, project, options, secrets: Secrets, security: WorkloadSecurity,
                 mirror_suffix: bool = False) -> None:
        self.project = project
        self.options = options
        self.secrets = secrets
        self.security = security          # the workload's policy filters, rendered once for every chain
        self.mirror_suffix = mirror_suffix


def listener_address(plan: ListenerPlan, options) -> tuple[str, int]:
    return options.listen_address or plan.bind or "0.0.0.0", options.local_port(plan.port)


def listener_name(plan: ListenerPlan, options) -> str:
    address, port = listener_address(plan, options)
    return f"{address}_{port}"


def http_filters(ctx: ListenerContext, chain: FilterChainPlan) -> list[dict]:
    filters: list[dict] = list(ctx.security.http_filters())
    filters += [
        {"name": CORS_FILTER, "typed_config": {"@type": CORS_TYPE}},
        {"name": FAULT_FILTER, "typed_config": {"@type": FAULT_TYPE}},
        {"name": ROUTER_FILTER, "typed_config": {"@type": ROUTER_TYPE}},
    ]
    return filters


def connection_manager(ctx: ListenerContext, chain: FilterChainPlan, listener: ListenerPlan, name: str) -> dict:
    """``buildGatewayConnectionManager`` + ``buildHTTPConnectionManager``: codec AUTO, remote address,
    SANITIZE_SET client cert details, HTTP/1.1 without HTTP/1.0, path normalization BASE
    (``normalize_path``, escaped slashes kept), no stream idle timeout, websocket upgrades."""
    config = {
        "@type": HCM_TYPE,
        "stat_prefix": chain.server.name or f"outbound_{name}",
        "codec_type": "AUTO",
        "use_remote_address": True,
        "normalize_path": True,
        "path_with_escaped_slashes_action": "KEEP_UNCHANGED",
        "stream_idle_timeout": "0s",
        "upgrade_configs": [{"upgrade_type": "websocket"}],
        "forward_client_cert_details": "SANITIZE_SET",
        "set_current_client_cert_details": {"subject": True, "cert": True, "dns": True, "uri": True},
        "http_protocol_options": {},
        "route_config": render_route_config(chain.route_config, listener.port, ctx.project, chain.gateway,
                                            ctx.options, ctx.mirror_suffix),
        "http_filters": http_filters(ctx, chain),
    }
    config.update(ctx.security.connection_manager_fields())
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": config}


def tcp_proxy(route: TcpRoutePlan) -> dict:
    config: dict = {"@type": TCP_PROXY_TYPE}
    if len(route.destinations) == 1:
        config["stat_prefix"] = route.destinations[0].cluster
        config["cluster"] = route.destinations[0].cluster
    else:
        config["stat_prefix"] = f"{route.vs.name}.{route.vs.namespace}"
        config["weighted_clusters"] = {"clusters": [{"name": d.cluster, "weight": d.weight}
                                                    for d in route.destinations]}
    return {"name": "envoy.filters.network.tcp_proxy", "typed_config": config}


def filter_chain(ctx: ListenerContext, chain: FilterChainPlan, listener: ListenerPlan, name: str) -> dict:
    out: dict = {}
    if chain.server_names:
        out["filter_chain_match"] = {"server_names": list(chain.server_names)}
    if chain.terminates_tls:
        out["transport_socket"] = downstream_tls(ctx.secrets, chain.server.tls, http=chain.server_class == HTTPS)
    filters: list[dict] = []
    if chain.is_http:
        filters.append(connection_manager(ctx, chain, listener, name))
    else:
        filters += ctx.security.network_filters()
        proxy = tcp_proxy(chain.tcp_route)
        proxy["typed_config"].update(ctx.security.tcp_proxy_fields())
        filters.append(proxy)
    out["filters"] = filters
    return out


def render_listener(ctx: ListenerContext, listener: ListenerPlan) -> dict:
    address, port = listener_address(listener, ctx.options)
    name = f"{address}_{port}"
    out: dict = {
        "name": name,
        "address": {"socket_address": {"address": address, "port_value": port}},
        "traffic_direction": "OUTBOUND",
    }
    if listener.is_tls:
        out["listener_filters"] = [{"name": "envoy.filters.listener.tls_inspector",
                                    "typed_config": {"@type": TLS_INSPECTOR_TYPE}}]
    out["filter_chains"] = [filter_chain(ctx, c, listener, name) for c in listener.chains]
    return out
