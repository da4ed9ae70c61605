"""Two Gateways on one workload, one policy selecting it: one Envoy config, the policy written once,
enforced on every server of both Gateways (real Envoy on loopback, answers written by hand).

istiod builds one config per proxy; Gateways whose selectors pick the same pods are merged into it
(``PushContext.mergeGateways``), and an AuthorizationPolicy selects the pods by their labels in their
namespace, not a Gateway. The proxy's RBAC filter is built once (``authz.Builder.BuildHTTP``,
``httpBuilt``) and put into every HTTP connection manager. Here gateway ``front`` serves
``a.example.com`` on port 80, gateway ``back`` serves ``b.example.com`` on port 80 and on port 8080: two
listeners, two connection managers, one RBAC filter written once (a YAML anchor and an alias).

Expected answers (Istio's semantics):

* ``deny-admin`` (namespace ``edge``, selector ``istio: ingressgateway``, DENY paths ``/admin*``)
  selects the pods, which run in ``edge`` (the Gateways' namespace): ``/admin`` is 403 through every
  server of both Gateways, ``/`` is 200;
* ``deny-everything`` (namespace ``elsewhere``, same selector) selects pods in ``elsewhere`` only: no
  pod of this workload runs there, so it changes nothing (``/`` stays 200).
"""

from __future__ import annotations

import http.client
import shutil

import pytest
import yaml
from functions.e2e_support import CountingBackend, free_port, running_envoy, validate

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.export.envoy import Address, EnvoyOptions, export_envoy_files
from meshdesigner.io.importer import import_manifests

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")]

DESIGN = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: front, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-front, protocol: HTTP}
    hosts: ["a.example.com"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: back, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-back, protocol: HTTP}
    hosts: ["b.example.com"]
  - port: {number: 8080, name: http-back-alt, protocol: HTTP}
    hosts: ["b.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: site, namespace: default}
spec:
  hosts: ["a.example.com", "b.example.com"]
  gateways: ["edge/front", "edge/back"]
  http:
  - route:
    - destination: {host: web.default.svc.cluster.local, port: {number: 8080}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 8080}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: edge}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  action: DENY
  rules:
  - to:
    - operation:
        paths: ["/admin*"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-everything, namespace: elsewhere}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  action: DENY
  rules:
  - {}
"""

RBAC = "envoy.filters.http.rbac"


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text(DESIGN)
    imported = import_manifests([str(path)]).project
    assert imported.extra_resources == []
    assert len(imported.policies) == 2
    return imported


def _connection_managers(config: dict) -> list[dict]:
    return [f["typed_config"] for listener in config["static_resources"]["listeners"]
            for chain in listener["filter_chains"] for f in chain["filters"]
            if f["name"] == "envoy.filters.network.http_connection_manager"]


def test_one_config_one_rbac_filter_for_both_gateways(project):
    files = export_envoy_files(project, EnvoyOptions(listen_address="127.0.0.1"))
    assert sorted(files) == ["envoy/istio-ingressgateway.yaml"]  # one workload, one config
    text = files["envoy/istio-ingressgateway.yaml"]
    assert text.count(f"name: {RBAC}") == 1     # the filter is written once...
    config = yaml.safe_load(text)
    managers = _connection_managers(config)
    assert len(managers) == 2                      # ...and both listeners (80, 8080) run it
    for manager in managers:
        (rbac,) = [f for f in manager["http_filters"] if f["name"] == RBAC]
        rules = rbac["typed_config"]["rules"]
        assert rules["action"] == "DENY"
        assert list(rules["policies"]) == ["ns[edge]-policy[deny-admin]-rule[0]"]


def _get(port: int, host: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _simulated(project, gateway: str, url: str) -> int:
    result = simulate(project, gateway, Request(url))
    return result.status or (200 if result.outcome == "routed" else result.outcome)


def test_requests_through_either_gateway_are_denied_by_envoy(project, tmp_path):
    backend = CountingBackend()
    port_80, port_8080, admin = free_port(), free_port(), free_port()
    with backend.running():
        options = EnvoyOptions(endpoints={"web.default.svc.cluster.local:8080": Address("127.0.0.1", backend.port)},
                               listen_address="127.0.0.1", port_map={80: port_80, 8080: port_8080},
                               admin_port=admin)
        config = tmp_path / "envoy.yaml"
        config.write_text(export_envoy_files(project, options)["envoy/istio-ingressgateway.yaml"])
        result = validate(str(config), cwd=str(tmp_path))
        assert result.returncode == 0, result.stdout + result.stderr
        with running_envoy(str(config), admin, str(tmp_path), str(tmp_path / "envoy.log")):
            cases = [  # (gateway, local port, design port, host, path, expected status)
                ("edge/front", port_80, 80, "a.example.com", "/admin", 403),
                ("edge/back", port_80, 80, "b.example.com", "/admin/users", 403),
                ("edge/back", port_8080, 8080, "b.example.com", "/admin", 403),
                ("edge/front", port_80, 80, "a.example.com", "/", 200),
                ("edge/back", port_8080, 8080, "b.example.com", "/shop", 200),
            ]
            for gateway, local, port, host, path, expected in cases:
                assert _get(local, host, path) == expected, (gateway, host, port, path)
                url = f"http://{host}{'' if port == 80 else f':{port}'}{path}"
                assert _simulated(project, gateway, url) == expected, (gateway, url)
    assert backend.hits == {"/": 1, "/shop": 1}  # denied requests never reach the backend


def test_the_simulator_names_the_policy_for_either_gateway(project):
    for gateway, url in (("edge/front", "http://a.example.com/admin"), ("edge/back", "http://b.example.com:8080/admin")):
        result = simulate(project, gateway, Request(url))
        assert result.functions["authorization"]["policy"] == "edge/deny-admin"


def test_an_envoyfilter_merge_on_one_listener_changes_only_that_listeners_rbac(project):
    """The chains share one RBAC filter object; an EnvoyFilter MERGE matching listener 8080 only
    (``listenerMatch`` on ``portNumber``) must leave port 80's filter as it was."""
    from meshdesigner.model.security import policy_from_manifest

    project.add_policy(policy_from_manifest({
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": "rbac-stats", "namespace": "edge"},
        "spec": {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "configPatches": [{
            "applyTo": "HTTP_FILTER",
            "match": {"context": "GATEWAY", "listener": {"portNumber": 8080, "filterChain": {"filter": {
                "name": "envoy.filters.network.http_connection_manager", "subFilter": {"name": RBAC}}}}},
            "patch": {"operation": "MERGE", "value": {"typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
                "shadow_rules_stat_prefix": "only-8080"}}}}]}}))
    text = export_envoy_files(project, EnvoyOptions(listen_address="127.0.0.1"))["envoy/istio-ingressgateway.yaml"]
    config = yaml.safe_load(text)
    by_port = {listener["address"]["socket_address"]["port_value"]: listener
               for listener in config["static_resources"]["listeners"]}
    prefixes = {}
    for port, listener in by_port.items():
        (manager,) = _connection_managers({"static_resources": {"listeners": [listener]}})
        (rbac,) = [f for f in manager["http_filters"] if f["name"] == RBAC]
        prefixes[port] = rbac["typed_config"].get("shadow_rules_stat_prefix")
    assert prefixes == {80: None, 8080: "only-8080"}


def test_the_simulator_follows_a_policy_added_after_a_first_request(project):
    """The simulator caches compiled workloads; a plan holds its workload's policies, so a policy edit
    must reach the next request."""
    from meshdesigner.model.security import policy_from_manifest

    assert _simulated(project, "edge/front", "http://a.example.com/") == 200
    project.add_policy(policy_from_manifest({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "deny-all-here", "namespace": "edge"},
        "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "DENY", "rules": [{}]}}))
    assert _simulated(project, "edge/front", "http://a.example.com/") == 403
    assert _simulated(project.copy(), "edge/back", "http://b.example.com/") == 403


def test_an_envoyfilter_insert_is_written_once_and_lands_in_every_listener(project):
    """An HTTP_FILTER INSERT_BEFORE matching every connection manager of the workload: istiod inserts the
    filter into each; the config writes it once (an anchor) and both listeners read it back."""
    from meshdesigner.model.security import policy_from_manifest

    project.add_policy(policy_from_manifest({
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": "lua-probe", "namespace": "edge"},
        "spec": {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "configPatches": [{
            "applyTo": "HTTP_FILTER",
            "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
                "name": "envoy.filters.network.http_connection_manager", "subFilter": {"name": RBAC}}}}},
            "patch": {"operation": "INSERT_BEFORE", "value": {"name": "probe.lua", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                "default_source_code": {"inline_string": "function envoy_on_request(h) end"}}}}}]}}))
    text = export_envoy_files(project, EnvoyOptions(listen_address="127.0.0.1"))["envoy/istio-ingressgateway.yaml"]
    assert text.count("name: probe.lua") == 1
    for manager in _connection_managers(yaml.safe_load(text)):
        names = [f["name"] for f in manager["http_filters"]]
        assert names.index("probe.lua") == names.index(RBAC) - 1
