"""Extension points for the design's security resources (RBAC, JWT authn, access log, EnvoyFilter patches).

A feature registers plain functions here; the renderers call them for every filter chain / route:

* ``HTTP_FILTER_CONTRIBUTORS``: ``fn(project, gateway_node, server, options) -> list[dict]`` — HTTP
  filters (``{"name": ..., "typed_config": {...}}``) for the connection manager of a chain serving
  ``server``. They are placed, in registration order, before Istio's CORS and fault filters and the
  router (so a deny happens before anything else runs).
* ``NETWORK_FILTER_CONTRIBUTORS``: same signature; network filters placed before the
  http_connection_manager or tcp_proxy of the chain (e.g. a network RBAC for TCP servers).
* ``ROUTE_CONFIG_CONTRIBUTORS``: ``fn(project, gateway_node, route_plan, options) -> dict`` —
  ``typed_per_filter_config`` entries (filter name -> typed config) merged into that route.
  ``route_plan`` is a :class:`~meshdesigner.compile.plan.RoutePlan` (its VirtualService, rule
  and match).
* ``TERMINAL_CONFIG_CONTRIBUTORS``: ``fn(project, gateway_node, server, options) -> dict`` — fields
  merged into the ``typed_config`` of the chain's http_connection_manager or tcp_proxy (e.g.
  ``access_log``).

* ``BOOTSTRAP_PATCHERS``: ``fn(project, gateway_node, bootstrap, options) -> None`` — change the
  finished bootstrap in place. (The design's EnvoyFilter patches are applied after every patcher.)

The design's policies (AuthorizationPolicy, RequestAuthentication, Telemetry, EnvoyFilter) do not go
through these hooks: they are compiled once per workload (``WorkloadPlan.security``) and rendered once
per Envoy config by :class:`meshdesigner.export.envoy.security.WorkloadSecurity`, whose filters follow
the contributors' in every chain. Filters in a finished bootstrap may be one object shared by several
chains: never change one in place.

Contributors must be pure and deterministic (same input, same output) like every exporter.
The simulator has the matching hook: :func:`meshdesigner.analysis.simulate.add_step`.
"""

from __future__ import annotations

from collections.abc import Callable

FilterContributor = Callable[..., list[dict]]
RouteConfigContributor = Callable[..., dict]

HTTP_FILTER_CONTRIBUTORS: list[FilterContributor] = []
NETWORK_FILTER_CONTRIBUTORS: list[FilterContributor] = []
ROUTE_CONFIG_CONTRIBUTORS: list[RouteConfigContributor] = []
TERMINAL_CONFIG_CONTRIBUTORS: list[RouteConfigContributor] = []
BOOTSTRAP_PATCHERS: list[Callable[..., None]] = []


def _register(registry: list, fn):
    if fn not in registry:
        registry.append(fn)
    return fn


def http_filter_contributor(fn: FilterContributor) -> FilterContributor:
    """Decorator: register ``fn`` in :data:`HTTP_FILTER_CONTRIBUTORS`."""
    return _register(HTTP_FILTER_CONTRIBUTORS, fn)


def network_filter_contributor(fn: FilterContributor) -> FilterContributor:
    """Decorator: register ``fn`` in :data:`NETWORK_FILTER_CONTRIBUTORS`."""
    return _register(NETWORK_FILTER_CONTRIBUTORS, fn)


def route_config_contributor(fn: RouteConfigContributor) -> RouteConfigContributor:
    """Decorator: register ``fn`` in :data:`ROUTE_CONFIG_CONTRIBUTORS`."""
    return _register(ROUTE_CONFIG_CONTRIBUTORS, fn)


def terminal_config_contributor(fn: RouteConfigContributor) -> RouteConfigContributor:
    """Decorator: register ``fn`` in :data:`TERMINAL_CONFIG_CONTRIBUTORS`."""
    return _register(TERMINAL_CONFIG_CONTRIBUTORS, fn)


def bootstrap_patcher(fn):
    """Decorator: register ``fn`` in :data:`BOOTSTRAP_PATCHERS`."""
    return _register(BOOTSTRAP_PATCHERS, fn)
