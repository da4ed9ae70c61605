"""Standalone Envoy export: the v3 static bootstrap istiod's output for a gateway workload amounts to.

It serializes a :class:`meshdesigner.compile.WorkloadPlan` and decides nothing itself: binding,
matching, merging and Istio's defaults are the compiler's (:mod:`meshdesigner.compile`).

Public API (pure, deterministic; YAML through :func:`meshdesigner.io.yamlio.dump`):

* :func:`bootstrap_from_plan(project, plan, options) -> dict` — one workload's bootstrap;
* :func:`gateway_bootstrap(project, gateway_node, options) -> dict` — the bootstrap of the workload
  serving a Gateway (the GUI's YAML preview renders this);
* :func:`export_envoy_files(project, options) -> {"envoy/<labels>.yaml": text}` — one file per
  gateway workload, as Istio runs one Envoy for all Gateways selecting the same pods: named by the
  workload's labels (``envoy/istio-ingressgateway.yaml``, :mod:`.names`), the header lists the
  Gateways it serves; :func:`gateway_file(project, gateway)` is the file serving one Gateway;
* :class:`EnvoyOptions` — endpoints, listen address, port map, credentials folder, admin port,
  system CA file.

Shape (istio-notes section 3): listeners ``<address>_<port>`` (``0.0.0.0_443``), one filter chain for
all plain HTTP servers of a port, whichever Gateway they come from (route config ``http.<port>``),
one per TLS-terminating server (SNI ``server_names``, DownstreamTlsContext, route config
``https.<port>.<portName>.<gw>.<ns>``), one per VirtualService ``tls`` match for PASSTHROUGH,
tcp_proxy for TCP; virtual hosts ``<host>:<port>``; clusters ``outbound|<port>|<subset>|<fqdn>``.
Deviations from istiod: inline ``route_config`` instead of RDS, static secrets reading files instead
of SDS (the system roots from ``EnvoyOptions.system_ca_file``), STRICT_DNS to the service's
cluster-local name instead of EDS (STATIC with ``--endpoints``), listeners on the Gateway server port
(istiod binds the gateway Service's targetPort; ``--port-map`` chooses local ports), VirtualService
``exportTo`` not followed, no Istio telemetry filters. What istiod would skip is written as
comments at the top of each file (``WorkloadPlan.drops``).

The design's security, telemetry and EnvoyFilter resources are rendered per workload by
:mod:`.security` (filters, RBAC, access logs) and :mod:`.envoyfilter` (patches on the finished config).
"""

from __future__ import annotations

from .bootstrap import (
    bootstrap_from_plan,
    export_envoy_files,
    gateway_bootstrap,
    gateway_file,
    workload_files,
)
from .options import Address, EnvoyOptions, load_endpoints, parse_address, parse_port_map
from .workload import build_plan

__all__ = [
    "Address", "EnvoyOptions", "bootstrap_from_plan", "build_plan", "export_envoy_files", "gateway_bootstrap",
    "gateway_file", "load_endpoints", "parse_address", "parse_port_map", "workload_files",
]
