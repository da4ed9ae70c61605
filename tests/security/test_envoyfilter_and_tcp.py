"""EnvoyFilter operations on the exported config, and AuthorizationPolicies on a TCP gateway (network RBAC
as istiod builds it for TCP: HTTP-only conditions skip an ALLOW rule and are dropped from a DENY rule)."""

from __future__ import annotations

import pathlib

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.export.envoy import EnvoyOptions, gateway_bootstrap
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import load_project
from meshdesigner.model.security import policy_from_manifest

DATA = pathlib.Path(__file__).parent / "data"
TCP_EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "tcp.mesh.yaml"


def _ef(patches: list[dict]) -> dict:
    return {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
            "metadata": {"name": "ef", "namespace": "istio-system"},
            "spec": {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "configPatches": patches}}


def _bootstrap(patches: list[dict]) -> dict:
    project = import_manifests([str(DATA / "gateway.yaml")]).project
    project.add_policy(policy_from_manifest(_ef(patches)))
    (gateway,) = project.gateways()
    return gateway_bootstrap(project, gateway, EnvoyOptions())


def _hcm(bootstrap: dict) -> dict:
    return bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][-1]["typed_config"]


HCM = {"filter": {"name": "envoy.filters.network.http_connection_manager",
                  "subFilter": {"name": "envoy.filters.http.router"}}}


def test_http_filter_insert_after_replace_and_remove_by_sub_filter():
    bootstrap = _bootstrap([
        {"applyTo": "HTTP_FILTER", "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
            "name": "envoy.filters.network.http_connection_manager",
            "subFilter": {"name": "envoy.filters.http.cors"}}}}},
         "patch": {"operation": "INSERT_AFTER", "value": {"name": "after-cors"}}},
        {"applyTo": "HTTP_FILTER", "match": {"context": "ANY", "listener": {"filterChain": {"filter": {
            "name": "envoy.filters.network.http_connection_manager",
            "subFilter": {"name": "envoy.filters.http.fault"}}}}},
         "patch": {"operation": "REMOVE"}},
        {"applyTo": "HTTP_FILTER", "match": {"context": "SIDECAR_INBOUND", "listener": {"filterChain": HCM}},
         "patch": {"operation": "INSERT_FIRST", "value": {"name": "sidecar-only"}}},
    ])
    names = [f["name"] for f in _hcm(bootstrap)["http_filters"]]
    assert names == ["envoy.filters.http.cors", "after-cors", "envoy.filters.http.router"]


def test_route_vhost_route_config_and_cluster_patches():
    bootstrap = _bootstrap([
        {"applyTo": "VIRTUAL_HOST", "match": {"context": "GATEWAY", "routeConfiguration": {
            "portNumber": 80, "vhost": {"name": "api.example.com:80"}}},
         "patch": {"operation": "REMOVE"}},
        {"applyTo": "HTTP_ROUTE", "match": {"context": "GATEWAY", "routeConfiguration": {
            "vhost": {"name": "open.example.com:80", "route": {"action": "ROUTE"}}}},
         "patch": {"operation": "MERGE", "value": {"route": {"timeout": "7s"}}}},
        {"applyTo": "ROUTE_CONFIGURATION", "match": {"context": "GATEWAY", "routeConfiguration": {"name": "http.80"}},
         "patch": {"operation": "MERGE", "value": {"requestHeadersToAdd": [{"header": {"key": "x-ef", "value": "1"}}]}}},
        {"applyTo": "CLUSTER", "match": {"context": "GATEWAY", "cluster": {"service": "web.default.svc.cluster.local",
                                                                           "portNumber": 8080}},
         "patch": {"operation": "MERGE", "value": {"connect_timeout": "3s"}}},
        {"applyTo": "CLUSTER", "match": {"context": "GATEWAY"},
         "patch": {"operation": "ADD", "value": {"name": "extra", "type": "STATIC"}}},
    ])
    rc = _hcm(bootstrap)["route_config"]
    vhosts = {v["name"]: v for v in rc["virtual_hosts"]}
    assert "api.example.com:80" not in vhosts and "open.example.com:80" in vhosts
    assert vhosts["open.example.com:80"]["routes"][0]["route"]["timeout"] == "7s"
    assert vhosts["claims.example.com:80"]["routes"][0]["route"]["timeout"] == "0s"  # not this vhost
    assert rc["request_headers_to_add"] == [{"header": {"key": "x-ef", "value": "1"}}]  # camelCase read as proto JSON
    clusters = {c["name"]: c for c in bootstrap["static_resources"]["clusters"]}
    assert clusters["outbound|8080||web.default.svc.cluster.local"]["connect_timeout"] == "3s"
    assert clusters["extra"] == {"name": "extra", "type": "STATIC"}


def _tcp_project(*policies: dict):
    project = load_project(str(TCP_EXAMPLE))
    for policy in policies:
        project.add_policy(policy_from_manifest(policy))
    return project


def _ap(name: str, action: str, rules: list[dict]) -> dict:
    (gateway,) = load_project(str(TCP_EXAMPLE)).gateways()
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": gateway.gateway.namespace},
            "spec": {"selector": {"matchLabels": dict(gateway.gateway.spec.selector)}, "action": action,
                     "rules": rules}}


def _tcp(project, client: str):
    (gateway,) = project.gateways()
    return simulate(project, gateway, Request("tcp://tcp.example.com:31400", client_address=client))


def test_tcp_deny_drops_http_only_conditions_and_allow_skips_such_rules():
    deny = _ap("deny", "DENY", [{"from": [{"source": {"ipBlocks": ["127.0.0.2/32"]}}],
                                 "to": [{"operation": {"paths": ["/admin"]}}]}])
    project = _tcp_project(deny)
    assert _tcp(project, "127.0.0.2").outcome == "denied"      # the path condition is dropped: wider deny
    assert _tcp(project, "127.0.0.1").outcome != "denied"
    allow = _ap("allow", "ALLOW", [{"to": [{"operation": {"methods": ["GET"]}}]},
                                   {"from": [{"source": {"ipBlocks": ["127.0.0.1/32"]}}]}])
    project = _tcp_project(allow)
    assert _tcp(project, "127.0.0.1").outcome != "denied"      # the second rule allows
    result = _tcp(project, "127.0.0.3")
    assert result.outcome == "denied" and "ALLOW policies apply" in " ".join(result.explanation)
    (gateway,) = project.gateways()
    config = gateway_bootstrap(project, gateway, EnvoyOptions())
    filters = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"]
    rbac = next(f for f in filters if f["name"] == "envoy.filters.network.rbac")["typed_config"]
    assert list(rbac["rules"]["policies"]) == [f"ns[{gateway.gateway.namespace}]-policy[allow]-rule[1]"]
