"""Standalone Envoy export: the v3 static bootstrap istiod's output for a gateway amounts to.

Public API (pure, deterministic; YAML through :func:`meshdesigner.io.yamlio.dump`):

* :func:`gateway_bootstrap(project, gateway_node, options) -> dict` — one gateway's bootstrap
  (the GUI's YAML preview renders this);
* :func:`export_envoy_files(project, options) -> {"envoy/<ns>.<gw>.yaml": text}` — every gateway;
* :class:`EnvoyOptions` — endpoints, listen address, port map, credentials folder, admin port;
* :func:`build_plan(project, gateway_node) -> GatewayPlan` — the resolved routing both the renderers
  and the simulator (:mod:`meshdesigner.analysis.simulate`) read.

Shape (istio-notes section 3): listeners ``<address>_<port>`` (``0.0.0.0_443``), one filter chain for
all plain HTTP servers of a port (route config ``http.<port>``), one per TLS-terminating server
(SNI ``server_names``, DownstreamTlsContext, route config ``https.<port>.<portName>.<gw>.<ns>``),
one per VirtualService ``tls`` match for PASSTHROUGH, tcp_proxy for TCP; virtual hosts
``<host>:<port>``; clusters ``outbound|<port>|<subset>|<fqdn>``. Deviations from istiod: inline
``route_config`` instead of RDS, static secrets reading files instead of SDS, STRICT_DNS to the
service's cluster-local name instead of EDS (STATIC with ``--endpoints``), one Gateway per file
(istiod merges every Gateway that selects the same pods), listeners on the Gateway server port
(istiod binds the gateway Service's targetPort; ``--port-map`` chooses local ports), VirtualService
``exportTo`` and ``delegate`` not followed, no Istio telemetry filters. Notes about servers or rules
istiod would skip are written as comments at the top of each file (``GatewayPlan.notes``).

Extension hook for gateway functions (firewall/RBAC, JWT, cache, rate limit, access log):
register functions in :mod:`meshdesigner.export.envoy.hooks` —

* ``HTTP_FILTER_CONTRIBUTORS``: ``fn(project, gateway_node, server, options) -> [filter dicts]``,
  placed before CORS, fault and the router of every HTTP connection manager;
* ``NETWORK_FILTER_CONTRIBUTORS``: same signature, network filters before the HCM / tcp_proxy;
* ``ROUTE_CONFIG_CONTRIBUTORS``: ``fn(project, gateway_node, route_plan, options) -> {filter: config}``
  merged into the route's ``typed_per_filter_config``.

The simulator's matching hook is :func:`meshdesigner.analysis.simulate.add_step`.
"""

from __future__ import annotations

from .bootstrap import bootstrap_from_plan, export_envoy_files, file_name, gateway_bootstrap
from .hooks import (
    HTTP_FILTER_CONTRIBUTORS,
    NETWORK_FILTER_CONTRIBUTORS,
    ROUTE_CONFIG_CONTRIBUTORS,
    http_filter_contributor,
    network_filter_contributor,
    route_config_contributor,
)
from .options import Address, EnvoyOptions, load_endpoints, parse_address, parse_port_map
from .plan import GatewayPlan, build_plan

__all__ = [
    "HTTP_FILTER_CONTRIBUTORS", "NETWORK_FILTER_CONTRIBUTORS", "ROUTE_CONFIG_CONTRIBUTORS", "Address",
    "EnvoyOptions", "GatewayPlan", "bootstrap_from_plan", "build_plan", "export_envoy_files", "file_name",
    "gateway_bootstrap", "http_filter_contributor", "load_endpoints", "network_filter_contributor",
    "parse_address", "parse_port_map", "route_config_contributor",
]

from . import functions as _gateway_functions  # noqa: E402,F401  (registers the gateway-function contributors)
from . import security as _security  # noqa: E402,F401  (registers the policy contributors and EnvoyFilter patcher)
