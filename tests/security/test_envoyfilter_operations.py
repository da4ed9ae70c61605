"""EnvoyFilter operations at every level the issue lists, with expectations written by hand from istiod's
``pilot/pkg/networking/core/envoyfilter`` (``listener_patch.go``, ``rc_patch.go``, ``cluster_patch.go``,
``util.go``):

* NETWORK_FILTER / HTTP_FILTER: ADD appends; INSERT_FIRST prepends; INSERT_BEFORE/INSERT_AFTER place the
  value next to the first filter that matches (without a filter match: first / last); REPLACE swaps the
  first match; REMOVE drops every match; patches apply in the order written;
* LISTENER and FILTER_CHAIN: ADD, MERGE, REMOVE on the matched listener (by port) and chain;
* HTTP_ROUTE: removes and merges apply to the routes that exist before any ADD/INSERT of the same
  config (``patchHTTPRoutes``: "Apply the route level removes/merges if any", then "now for the adds");
  INSERT_BEFORE with a route match goes before the first matching route, INSERT_FIRST without one first;
* VIRTUAL_HOST ADD appends a host, MERGE changes the named one;
* CLUSTER REMOVE drops the matched cluster;
* only contexts GATEWAY and ANY apply at a gateway (``commonConditionMatch``/``patchContextMatch``).

The design is ``data/gateway.yaml``: one listener on port 80, one chain with the HTTP connection manager
(http filters cors, fault, router), virtual hosts ``<host>:80`` of one route each, one cluster.
"""

from __future__ import annotations

import pytest

from .test_envoyfilter_and_tcp import HCM, _bootstrap, _hcm

HCM_NAME = "envoy.filters.network.http_connection_manager"
LISTENER_80 = {"portNumber": 80}


def _patch(apply_to: str, operation: str, match: dict | None = None, value: dict | None = None,
           context: str = "GATEWAY") -> dict:
    patch = {"operation": operation}
    if value is not None:
        patch["value"] = value
    return {"applyTo": apply_to, "match": {"context": context, **(match or {})}, "patch": patch}


def _chain_filters(bootstrap: dict) -> list[str]:
    return [f["name"] for f in bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"]]


def test_network_filter_every_list_operation_in_order():
    on_hcm = {"listener": {**LISTENER_80, "filterChain": {"filter": {"name": HCM_NAME}}}}
    bootstrap = _bootstrap([
        _patch("NETWORK_FILTER", "INSERT_BEFORE", on_hcm, {"name": "nf-before"}),
        _patch("NETWORK_FILTER", "INSERT_FIRST", {"listener": LISTENER_80}, {"name": "nf-first"}),
        _patch("NETWORK_FILTER", "INSERT_AFTER", on_hcm, {"name": "nf-after"}),
        _patch("NETWORK_FILTER", "ADD", {"listener": LISTENER_80}, {"name": "nf-add"}),
        _patch("NETWORK_FILTER", "REPLACE", {"listener": {"filterChain": {"filter": {"name": "nf-before"}}}},
               {"name": "nf-replaced"}),
        _patch("NETWORK_FILTER", "REMOVE", {"listener": {"filterChain": {"filter": {"name": "nf-add"}}}}),
    ])
    assert _chain_filters(bootstrap) == ["nf-first", "nf-replaced", HCM_NAME, "nf-after"]


def test_network_filter_insert_without_filter_match_and_merge():
    bootstrap = _bootstrap([
        _patch("NETWORK_FILTER", "INSERT_BEFORE", {"listener": LISTENER_80}, {"name": "first-by-default"}),
        _patch("NETWORK_FILTER", "INSERT_AFTER", {"listener": LISTENER_80}, {"name": "last-by-default"}),
        _patch("NETWORK_FILTER", "MERGE", {"listener": {"filterChain": {"filter": {"name": HCM_NAME}}}},
               {"typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network."
                                          "http_connection_manager.v3.HttpConnectionManager",
                                 "server_name": "patched"}}),
    ])
    assert _chain_filters(bootstrap) == ["first-by-default", HCM_NAME, "last-by-default"]
    assert _hcm_of(bootstrap)["server_name"] == "patched"
    assert [f["name"] for f in _hcm_of(bootstrap)["http_filters"]][-1] == "envoy.filters.http.router"


def _hcm_of(bootstrap: dict) -> dict:
    chain = bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]
    return next(f for f in chain["filters"] if f["name"] == HCM_NAME)["typed_config"]


def test_http_filter_insert_first_before_add_in_order():
    on_router = {"listener": {"filterChain": {"filter": {"name": HCM_NAME,
                                                         "subFilter": {"name": "envoy.filters.http.router"}}}}}
    bootstrap = _bootstrap([
        _patch("HTTP_FILTER", "INSERT_FIRST", {"listener": {"filterChain": HCM}}, {"name": "h-first"}),
        _patch("HTTP_FILTER", "INSERT_BEFORE", on_router, {"name": "h-before-router"}),
        _patch("HTTP_FILTER", "ADD", {"listener": {"filterChain": {"filter": {"name": HCM_NAME}}}}, {"name": "h-add"}),
        _patch("HTTP_FILTER", "INSERT_BEFORE", {"listener": {"filterChain": {"filter": {"name": HCM_NAME}}}},
               {"name": "h-before-nothing"}),
        _patch("HTTP_FILTER", "REPLACE", {"listener": {"filterChain": {"filter": {
            "name": HCM_NAME, "subFilter": {"name": "envoy.filters.http.fault"}}}}}, {"name": "h-replaced-fault"}),
    ])
    assert [f["name"] for f in _hcm(bootstrap)["http_filters"]] == [
        "h-before-nothing", "h-first", "envoy.filters.http.cors", "h-replaced-fault", "h-before-router",
        "envoy.filters.http.router", "h-add"]


def test_listener_and_filter_chain_add_merge_remove():
    bootstrap = _bootstrap([
        _patch("LISTENER", "MERGE", {"listener": LISTENER_80}, {"per_connection_buffer_limit_bytes": 1024}),
        _patch("LISTENER", "ADD", None, {"name": "extra", "address": {"socket_address": {
            "address": "127.0.0.1", "port_value": 9999}}}),
        _patch("LISTENER", "REMOVE", {"listener": {"portNumber": 81}}),  # no listener on 81: nothing goes
        _patch("FILTER_CHAIN", "MERGE", {"listener": {**LISTENER_80, "filterChain": {"filter": {"name": HCM_NAME}}}},
               {"transport_socket_connect_timeout": "5s"}),
        _patch("FILTER_CHAIN", "ADD", {"listener": LISTENER_80}, {"name": "fc-added", "filters": []}),
    ])
    listeners = {entry["name"]: entry for entry in bootstrap["static_resources"]["listeners"]}
    assert set(listeners) == {"0.0.0.0_80", "extra"}
    port80 = listeners["0.0.0.0_80"]
    assert port80["per_connection_buffer_limit_bytes"] == 1024
    assert [c.get("name") for c in port80["filter_chains"]] == [None, "fc-added"]
    assert port80["filter_chains"][0]["transport_socket_connect_timeout"] == "5s"
    assert "transport_socket_connect_timeout" not in port80["filter_chains"][1]  # added after the merge


def test_listener_and_filter_chain_remove():
    assert _bootstrap([_patch("LISTENER", "REMOVE", {"listener": LISTENER_80})])["static_resources"].get(
        "listeners", []) == []
    bootstrap = _bootstrap([_patch("FILTER_CHAIN", "REMOVE", {"listener": {
        **LISTENER_80, "filterChain": {"filter": {"name": HCM_NAME}}}})])
    listeners = bootstrap["static_resources"].get("listeners", [])
    assert all(listener.get("filter_chains", []) == [] for listener in listeners)


def _routes(bootstrap: dict, vhost: str) -> list[dict]:
    return {v["name"]: v for v in _hcm(bootstrap)["route_config"]["virtual_hosts"]}[vhost]["routes"]


def test_http_route_removes_and_merges_apply_before_the_adds():
    vhost = {"routeConfiguration": {"vhost": {"name": "open.example.com:80"}}}
    by_action = {"routeConfiguration": {"vhost": {"name": "open.example.com:80", "route": {"action": "ROUTE"}}}}
    by_name = {"routeConfiguration": {"vhost": {"name": "open.example.com:80", "route": {"name": "r-add"}}}}
    direct = {"direct_response": {"status": 204}}
    bootstrap = _bootstrap([
        _patch("HTTP_ROUTE", "ADD", vhost, {"name": "r-add", "match": {"prefix": "/add"}, **direct}),
        _patch("HTTP_ROUTE", "INSERT_BEFORE", by_action, {"name": "r-before", "match": {"prefix": "/b"}, **direct}),
        _patch("HTTP_ROUTE", "INSERT_FIRST", vhost, {"name": "r-first", "match": {"prefix": "/f"}, **direct}),
        _patch("HTTP_ROUTE", "INSERT_AFTER", by_action, {"name": "r-after", "match": {"prefix": "/a"}, **direct}),
        _patch("HTTP_ROUTE", "REMOVE", by_name),  # r-add does not exist yet when removes run: it stays
        _patch("HTTP_ROUTE", "MERGE", by_action, {"route": {"timeout": "9s"}}),
    ])
    routes = _routes(bootstrap, "open.example.com:80")
    assert [r.get("name") for r in routes] == ["r-first", "r-before", None, "r-after", "r-add"]
    assert routes[2]["route"]["timeout"] == "9s"
    assert [r.get("name") for r in _routes(bootstrap, "api.example.com:80")] == [None]  # other vhosts untouched


def test_http_route_remove_of_an_existing_route():
    bootstrap = _bootstrap([_patch("HTTP_ROUTE", "REMOVE", {"routeConfiguration": {
        "vhost": {"name": "api.example.com:80", "route": {"action": "ROUTE"}}}})])
    assert _routes(bootstrap, "api.example.com:80") == []
    assert len(_routes(bootstrap, "open.example.com:80")) == 1


def test_virtual_host_add_and_merge_and_cluster_remove():
    bootstrap = _bootstrap([
        _patch("VIRTUAL_HOST", "ADD", {"routeConfiguration": {"portNumber": 80}},
               {"name": "added:80", "domains": ["added.example.com"], "routes": []}),
        _patch("VIRTUAL_HOST", "MERGE", {"routeConfiguration": {"vhost": {"name": "api.example.com:80"}}},
               {"request_headers_to_add": [{"header": {"key": "x-vh", "value": "1"}}]}),
        _patch("CLUSTER", "REMOVE", {"cluster": {"service": "web.default.svc.cluster.local", "portNumber": 8080}}),
    ])
    vhosts = {v["name"]: v for v in _hcm(bootstrap)["route_config"]["virtual_hosts"]}
    assert vhosts["added:80"]["domains"] == ["added.example.com"]
    assert vhosts["api.example.com:80"]["request_headers_to_add"] == [{"header": {"key": "x-vh", "value": "1"}}]
    assert "request_headers_to_add" not in vhosts["open.example.com:80"]
    assert "outbound|8080||web.default.svc.cluster.local" not in {
        c["name"] for c in bootstrap["static_resources"].get("clusters", [])}


@pytest.mark.parametrize(("context", "applies"), [("GATEWAY", True), ("ANY", True), ("SIDECAR_INBOUND", False),
                                                  ("SIDECAR_OUTBOUND", False)])
def test_only_gateway_and_any_contexts_apply_at_a_gateway(context, applies):
    bootstrap = _bootstrap([_patch("NETWORK_FILTER", "INSERT_FIRST", {"listener": LISTENER_80}, {"name": "ctx"},
                                   context=context)])
    assert (_chain_filters(bootstrap)[0] == "ctx") is applies
