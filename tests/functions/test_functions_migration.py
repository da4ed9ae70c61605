"""Project format 2 -> 3: an old file's gateway ``functions:`` become the Istio resources they stood for.

Expected resources are written by hand from what format 2 exported (and Istio's API), never computed by
the migration itself. Behaviour through real Envoy is in ``test_envoy_functions_e2e.py`` (which builds
its designs from old files too)."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshdesigner.export.istio import project_manifests
from meshdesigner.io.errors import InputError
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import FORMAT_VERSION, dump_project, load_project, parse_project
from meshdesigner.io.yamlio import dump_all
from meshdesigner.model import functions_view as fv

from .designs import FULL_FUNCTIONS, GATEWAY_ID, edge_design, old_file

DATA = pathlib.Path(__file__).parent / "data"
EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"
SELECTOR = {"matchLabels": {"istio": "ingressgateway"}}


def resources(functions: dict, **design) -> dict[str, dict]:
    """name -> manifest of what opening an old file with these functions gives."""
    return {p.name: p.manifest() for p in edge_design(functions, **design).policies}


def test_every_function_becomes_a_resource_without_annotations():
    project = edge_design(FULL_FUNCTIONS)
    assert sorted((p.KIND, p.namespace, p.name) for p in project.policies) == [
        ("AuthorizationPolicy", "istio-system", "edge-gw-allow"),
        ("AuthorizationPolicy", "istio-system", "edge-gw-deny"),
        ("AuthorizationPolicy", "istio-system", "edge-gw-require-jwt"),
        ("EnvoyFilter", "istio-system", "edge-gw-cache"),
        ("EnvoyFilter", "istio-system", "edge-gw-ratelimit"),
        ("RequestAuthentication", "istio-system", "edge-gw-jwt"),
        ("Telemetry", "istio-system", "edge-gw-access-log"),
    ]
    text = dump_project(project)
    assert f"format_version: {FORMAT_VERSION}" in text and FORMAT_VERSION == 3
    assert "functions:" not in text and "meshdesigner.io" not in text  # saving writes only resources
    assert dump_project(parse_project(text)) == text
    # the Istio export is the design's resources, nothing generated on the side
    exported = [(m["kind"], m["metadata"]["name"]) for m in project_manifests(project)
                if m["kind"] not in ("Gateway", "VirtualService", "Service")]
    assert sorted(exported) == sorted((p.KIND, p.name) for p in project.policies)


def test_each_function_kind_is_recognised_by_the_functions_view():
    project = edge_design(FULL_FUNCTIONS)
    kinds = {f.resource.name: f.kind for f in fv.functions_of(project, project.node(GATEWAY_ID))}
    assert kinds == {"edge-gw-deny": "deny", "edge-gw-allow": "allow", "edge-gw-jwt": "jwt",
                     "edge-gw-require-jwt": "require-jwt", "edge-gw-ratelimit": "rate-limit",
                     "edge-gw-cache": "cache", "edge-gw-access-log": "access-log"}
    only_addresses = edge_design({"firewall": {"rules": [{"action": "DENY", "remoteIpBlocks": ["192.0.2.0/24"]}]}})
    (function,) = fv.functions_of(only_addresses, only_addresses.node(GATEWAY_ID))
    assert function.kind == "ip-deny" and function.summary == "deny 192.0.2.0/24"


def test_firewall_rules_become_deny_and_allow_policies():
    found = resources({"firewall": FULL_FUNCTIONS["firewall"]})
    deny, allow = found["edge-gw-deny"], found["edge-gw-allow"]
    assert deny["apiVersion"] == "security.istio.io/v1" and deny["metadata"] == {"name": "edge-gw-deny",
                                                                                 "namespace": "istio-system"}
    assert deny["spec"] == {"selector": SELECTOR, "action": "DENY", "rules": [
        {"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}]},
        {"from": [{"source": {"notIpBlocks": ["10.0.0.0/8"]}}],
         "to": [{"operation": {"methods": ["DELETE"], "paths": ["/admin*"]}}]},
    ]}
    assert allow["spec"]["action"] == "ALLOW"
    assert allow["spec"]["rules"] == [{
        "from": [{"source": {"remoteIpBlocks": ["0.0.0.0/0"]}}],
        "to": [{"operation": {"hosts": ["shop.example.com"], "ports": ["80"]}}],
        "when": [{"key": "request.headers[x-tenant]", "values": ["a*", "b"]},
                 {"key": "request.headers[x-debug]", "notValues": ["1"]}]}]


def test_jwt_becomes_request_authentication_and_a_deny_policy():
    found = resources({"jwt": FULL_FUNCTIONS["jwt"]})
    assert found["edge-gw-jwt"]["spec"] == {"selector": SELECTOR, "jwtRules": [{
        "issuer": "https://issuer.example.com", "audiences": ["shop"], "jwks": '{"keys":[]}',
        "fromHeaders": [{"name": "x-jwt", "prefix": "Bearer "}], "fromParams": ["token"],
        "forwardOriginalToken": True, "outputPayloadToHeader": "x-jwt-payload"}]}
    assert found["edge-gw-require-jwt"]["spec"] == {
        "selector": SELECTOR, "action": "DENY", "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}]}]}
    paths = resources({"jwt": {"rules": [{"issuer": "me", "jwks": "{}"}], "requirePrincipal": True,
                               "paths": ["/api*"], "principals": ["me/alice"]}})
    assert paths["edge-gw-require-jwt"]["spec"]["rules"] == [
        {"from": [{"source": {"notRequestPrincipals": ["me/alice"]}}], "to": [{"operation": {"paths": ["/api*"]}}]}]


def test_jwks_file_is_inlined_from_where_the_old_file_is(tmp_path, monkeypatch):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "jwks.json").write_text('{"keys": ["from-file"]}')
    path = tmp_path / "old.mesh.yaml"
    path.write_text(old_file(edge_design(), {GATEWAY_ID: {"jwt": {"rules": [{"issuer": "me",
                                                                              "jwksFile": "keys/jwks.json"}]}}}))
    monkeypatch.chdir("/")
    (ra,) = load_project(str(path)).policies
    assert ra.spec.jwt_rules[0].jwks == '{"keys": ["from-file"]}'


def test_an_unreadable_jwks_file_is_a_clear_error_not_a_silent_drop(tmp_path):
    path = tmp_path / "old.mesh.yaml"
    path.write_text(old_file(edge_design(), {GATEWAY_ID: {"jwt": {"rules": [{"issuer": "me",
                                                                              "jwksFile": "missing.json"}]}}}))
    with pytest.raises(InputError) as info:
        load_project(str(path))
    assert str(path) in str(info.value) and "nodes[0].functions.jwt.rules[0].jwksFile" in str(info.value)


def test_rate_limits_and_cache_become_envoy_filters_on_named_routes():
    found = resources(FULL_FUNCTIONS)
    cache = found["edge-gw-cache"]["spec"]
    assert cache["workloadSelector"] == {"labels": {"istio": "ingressgateway"}} and cache["priority"] == 20
    insert, *routes = cache["configPatches"]
    assert insert["applyTo"] == "HTTP_FILTER" and insert["patch"]["operation"] == "INSERT_BEFORE"
    assert insert["patch"]["value"]["typed_config"]["max_body_bytes"] == 65536
    assert insert["patch"]["value"]["typed_config"]["allowed_vary_headers"] == [{"exact": "accept-encoding"}]
    # only the chosen route keeps the cache: the gateway's other named routes switch it off
    assert [p["match"]["routeConfiguration"]["vhost"]["route"]["name"] for p in routes] == ["limited", "main"]
    assert all(p["patch"]["value"]["typed_per_filter_config"]["envoy.filters.http.cache"]["disabled"] for p in routes)
    limit = found["edge-gw-ratelimit"]["spec"]
    assert limit["priority"] == 10
    gateway_bucket = limit["configPatches"][0]["patch"]["value"]["typed_config"]
    assert gateway_bucket["token_bucket"] == {"max_tokens": 200, "tokens_per_fill": 100, "fill_interval": "1s"}
    assert gateway_bucket["status"] == {"code": "TooManyRequests"}
    route_patch = limit["configPatches"][1]
    assert route_patch["match"]["routeConfiguration"]["vhost"]["route"]["name"] == "limited"
    route_bucket = route_patch["patch"]["value"]["typed_per_filter_config"]["envoy.filters.http.local_ratelimit"]
    assert route_bucket["status"] == {"code": "ServiceUnavailable"}
    assert route_bucket["token_bucket"] == {"max_tokens": 2, "tokens_per_fill": 2, "fill_interval": "60s"}


def test_access_log_becomes_telemetry():
    found = resources({"accessLog": {"provider": "envoy", "path": "/tmp/x.log", "filter": "response.code >= 400"}})
    assert found["edge-gw-access-log"] == {
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "edge-gw-access-log", "namespace": "istio-system"},
        "spec": {"selector": SELECTOR, "accessLogging": [{"providers": [{"name": "envoy"}],
                                                          "filter": {"expression": "response.code >= 400"}}]}}


def test_workload_namespace_moves_to_the_gateway_node():
    assert {p.namespace for p in edge_design(FULL_FUNCTIONS, with_service=False).policies} == {"default"}
    project = edge_design(dict(FULL_FUNCTIONS, workloadNamespace="edge"))
    assert project.node(GATEWAY_ID).workload_namespace == "edge"
    assert {p.namespace for p in project.policies} == {"edge"}
    assert len(fv.functions_of(project, project.node(GATEWAY_ID))) == 7  # they attach where the pods run


def test_a_taken_name_is_not_overwritten():
    text = old_file(edge_design(), {GATEWAY_ID: {"firewall": {"rules": [{"ipBlocks": ["10.0.0.0/8"]}]}}})
    text = text.replace("name: functions\n", """name: functions
policies:
- apiVersion: security.istio.io/v1
  kind: AuthorizationPolicy
  metadata: {name: edge-gw-deny, namespace: istio-system}
  spec: {action: AUDIT}
""")
    names = sorted(p.name for p in parse_project(text).policies)
    assert names == ["edge-gw-deny", "edge-gw-deny-2"]


def test_functions_on_a_gateway_without_selector_had_no_effect_and_give_nothing():
    project = edge_design()
    node = project.node(GATEWAY_ID)
    bare = node.gateway.model_copy(update={"spec": node.gateway.spec.model_copy(update={"selector": None})})
    project.replace_node(node.model_copy(update={"gateway": bare}))
    assert parse_project(old_file(project, {GATEWAY_ID: FULL_FUNCTIONS})).policies == []


def test_every_migrated_resource_passes_istio_crds(crd_validate):
    manifests = [p.manifest() for p in edge_design(FULL_FUNCTIONS).policies]
    assert len(manifests) == 7
    for manifest in manifests:
        assert crd_validate(manifest, strict=True) == [], manifest["metadata"]["name"]


def test_the_bundled_old_example_migrates_to_the_current_example():
    old = load_project(str(DATA / "gateway-functions.format2.mesh.yaml"))
    assert dump_project(old) == (EXAMPLES / "gateway-functions.mesh.yaml").read_text()
    shop = next(g for g in old.gateways() if g.name == "shop-gateway")
    assert sorted(f.kind for f in fv.functions_of(old, shop)) == [
        "access-log", "cache", "deny", "jwt", "rate-limit", "require-jwt"]


def test_old_exported_manifests_with_annotations_import_as_plain_resources(tmp_path):
    """What format 2 exported (annotated) is just resources now: imported, kept verbatim, exported back."""
    annotated = {
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "edge-gw-deny", "namespace": "istio-system", "annotations": {
            "meshdesigner.io/design": '{"firewall":{"rules":[{"action":"DENY","remoteIpBlocks":["203.0.113.0/24"]}]}}',
            "meshdesigner.io/function": "firewall", "meshdesigner.io/gateway": "default/edge-gw"}},
        "spec": {"selector": SELECTOR, "action": "DENY",
                 "rules": [{"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}]}]}}
    (tmp_path / "istio.yaml").write_text(dump_all([annotated]))
    result = import_manifests([str(tmp_path / "istio.yaml")])
    (policy,) = result.project.policies
    assert policy.manifest() == annotated and result.kept_verbatim == []
    assert fv.recognise(policy) == fv.IP_DENY


@pytest.mark.parametrize("bad", [{"firewall": {"rules": "nope"}}, {"rateLimits": [{"fillInterval": "1s"}]}])
def test_bad_function_data_is_a_clear_project_file_error(bad):
    with pytest.raises(InputError) as info:
        parse_project(old_file(edge_design(), {GATEWAY_ID: bad}), "x.mesh.yaml")
    assert "x.mesh.yaml" in str(info.value) and "functions" in str(info.value)


# ----- property-based: any old functions migrate to CRD-valid resources that survive files and import --

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8).filter(
    lambda s: not s.startswith("-") and not s.endswith("-"))
cidrs = st.builds(lambda a, b, n: f"{a}.{b}.0.0/{n}", st.integers(0, 255), st.integers(0, 255), st.integers(8, 16))
paths = st.builds(lambda s, star: f"/{s}{'*' if star else ''}", names, st.booleans())
rules = st.fixed_dictionaries(
    {"action": st.sampled_from(["ALLOW", "DENY"])},
    optional={"remoteIpBlocks": st.lists(cidrs, min_size=1, max_size=2),
              "notIpBlocks": st.lists(cidrs, min_size=1, max_size=2),
              "paths": st.lists(paths, min_size=1, max_size=2),
              "methods": st.lists(st.sampled_from(["GET", "POST", "DELETE"]), min_size=1, max_size=2, unique=True),
              "ports": st.lists(st.integers(1, 65535), min_size=1, max_size=2),
              "headers": st.lists(st.fixed_dictionaries({"name": names, "values": st.lists(names, min_size=1)}),
                                  max_size=1)})
limits = st.fixed_dictionaries(
    {"tokensPerFill": st.integers(1, 1000)},
    optional={"fillInterval": st.sampled_from(["1s", "60s", "0.5s"]), "maxTokens": st.integers(1, 5000),
              "status": st.sampled_from([429, 503]),
              "route": st.sampled_from([{"virtualService": "default/shop", "route": "limited"}])})
functions_strategy = st.fixed_dictionaries({}, optional={
    "workloadNamespace": st.sampled_from(["istio-system", "edge"]),
    "firewall": st.fixed_dictionaries({"rules": st.lists(rules, min_size=1, max_size=3)}),
    "jwt": st.fixed_dictionaries({"rules": st.lists(st.fixed_dictionaries(
        {"issuer": names}, optional={"audiences": st.lists(names, min_size=1, max_size=2), "jwks": st.just("{}"),
                                     "forwardOriginalToken": st.booleans()}), min_size=1, max_size=2),
        "requirePrincipal": st.booleans()}),
    "cache": st.fixed_dictionaries({}, optional={"maxBodyBytes": st.integers(1, 10**7),
                                                 "routes": st.just([{"virtualService": "default/shop",
                                                                     "route": "cached"}])}),
    "rateLimits": st.lists(limits, min_size=1, max_size=2),
    "accessLog": st.fixed_dictionaries({}, optional={"filter": st.just("response.code >= 500")}),
})
EXPECTED_KINDS = {"jwt": {"jwt"}, "cache": {"cache"}, "rateLimits": {"rate-limit"}, "accessLog": {"access-log"}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=functions_strategy)
def test_any_old_functions_migrate(data, tmp_path, crd_validate):
    project = edge_design(json.loads(json.dumps(data)))
    for policy in project.policies:
        assert crd_validate(policy.manifest(), strict=True) == []
        assert not (policy.metadata.annotations or {})
    text = dump_project(project)
    assert dump_project(parse_project(text)) == text
    # every function kind present gives a resource the Functions view recognises as that kind
    kinds = {f.kind for f in fv.functions_of(project, project.node(GATEWAY_ID))}
    for key, expected in EXPECTED_KINDS.items():
        if key in data:
            assert expected <= kinds, (key, kinds)
    if data.get("firewall"):
        assert kinds & {"deny", "allow", "ip-deny", "ip-allow"}
    if data.get("jwt", {}).get("requirePrincipal"):
        assert "require-jwt" in kinds
    # exported and imported again: the same resources, nothing kept aside
    (tmp_path / "istio.yaml").write_text(dump_all(project_manifests(project)))
    imported = import_manifests([str(tmp_path / "istio.yaml")]).project
    assert imported.extra_resources == []
    assert [p.manifest() for p in imported.policies] == [p.manifest() for p in project.policies]
