"""Gateway functions: project-file round trip, Istio export (CRD-valid), import back."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshdesigner.compile.gateway_functions import ANNOTATION_DESIGN, function_manifests
from meshdesigner.export.istio import export_files, project_manifests
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import dump_project, parse_project
from meshdesigner.io.yamlio import dump_all
from meshdesigner.model.functions import GatewayFunctions

from .designs import FULL_FUNCTIONS, GATEWAY_ID, edge_design


def kinds_and_names(manifests):
    return [(m["kind"], m["metadata"]["namespace"], m["metadata"]["name"]) for m in manifests]


def test_every_function_exports_in_a_fixed_order():
    project = edge_design(FULL_FUNCTIONS)
    assert kinds_and_names(function_manifests(project)) == [
        ("AuthorizationPolicy", "istio-system", "edge-gw-deny"),
        ("AuthorizationPolicy", "istio-system", "edge-gw-allow"),
        ("RequestAuthentication", "istio-system", "edge-gw-jwt"),
        ("AuthorizationPolicy", "istio-system", "edge-gw-require-jwt"),
        ("EnvoyFilter", "istio-system", "edge-gw-ratelimit"),
        ("EnvoyFilter", "istio-system", "edge-gw-cache"),
        ("Telemetry", "istio-system", "edge-gw-access-log"),
    ]
    # hooked into the project export after the design's own resources
    assert kinds_and_names(project_manifests(project))[-7:] == kinds_and_names(function_manifests(project))


def test_firewall_policy_shape():
    deny, allow = function_manifests(edge_design({"firewall": FULL_FUNCTIONS["firewall"]}))
    assert deny["spec"]["selector"] == {"matchLabels": {"istio": "ingressgateway"}}
    assert deny["spec"]["action"] == "DENY"
    assert deny["spec"]["rules"] == [
        {"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}]},
        {"from": [{"source": {"notIpBlocks": ["10.0.0.0/8"]}}],
         "to": [{"operation": {"methods": ["DELETE"], "paths": ["/admin*"]}}]},
    ]
    assert allow["spec"]["action"] == "ALLOW"
    assert allow["spec"]["rules"][0]["to"] == [{"operation": {"hosts": ["shop.example.com"], "ports": ["80"]}}]
    assert allow["spec"]["rules"][0]["when"] == [
        {"key": "request.headers[x-tenant]", "values": ["a*", "b"]},
        {"key": "request.headers[x-debug]", "notValues": ["1"]},
    ]


def test_jwt_requires_a_principal_with_a_deny_policy():
    manifests = function_manifests(edge_design({"jwt": FULL_FUNCTIONS["jwt"]}))
    authn, require = manifests
    assert authn["spec"]["jwtRules"] == [{
        "issuer": "https://issuer.example.com", "audiences": ["shop"], "jwks": '{"keys":[]}',
        "fromHeaders": [{"name": "x-jwt", "prefix": "Bearer "}], "fromParams": ["token"],
        "forwardOriginalToken": True, "outputPayloadToHeader": "x-jwt-payload"}]
    assert require["spec"] == {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "DENY",
                               "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}]}]}


def test_token_required_on_chosen_paths():
    jwt = {"rules": [{"issuer": "me", "jwks": "{}"}], "requirePrincipal": True, "paths": ["/api*"]}
    require = function_manifests(edge_design({"jwt": jwt}))[1]
    assert require["spec"]["rules"] == [{"from": [{"source": {"notRequestPrincipals": ["*"]}}],
                                         "to": [{"operation": {"paths": ["/api*"]}}]}]


def test_jwks_file_is_inlined_for_istio(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text('{"keys": ["from-file"]}')
    (authn,) = function_manifests(edge_design({"jwt": {"rules": [{"issuer": "me", "jwksFile": str(path)}]}}))
    assert authn["spec"]["jwtRules"][0]["jwks"] == '{"keys": ["from-file"]}'


def test_route_scoped_cache_and_rate_limit_patch_named_routes():
    manifests = {m["metadata"]["name"]: m for m in function_manifests(edge_design(FULL_FUNCTIONS))}
    cache = manifests["edge-gw-cache"]["spec"]
    assert cache["workloadSelector"] == {"labels": {"istio": "ingressgateway"}}
    insert, *routes = cache["configPatches"]
    assert insert["patch"]["operation"] == "INSERT_BEFORE"
    assert insert["patch"]["value"]["typed_config"]["max_body_bytes"] == 65536
    # only the chosen route keeps the cache: the gateway's other routes switch it off
    assert [p["match"]["routeConfiguration"]["vhost"]["route"]["name"] for p in routes] == ["limited", "main"]
    assert all(p["patch"]["value"]["typed_per_filter_config"]["envoy.filters.http.cache"]["disabled"] for p in routes)
    limit = manifests["edge-gw-ratelimit"]["spec"]
    assert limit["priority"] < cache["priority"]
    gateway_bucket = limit["configPatches"][0]["patch"]["value"]["typed_config"]
    assert gateway_bucket["token_bucket"] == {"max_tokens": 200, "tokens_per_fill": 100, "fill_interval": "1s"}
    route_patch = limit["configPatches"][1]
    assert route_patch["match"]["routeConfiguration"]["vhost"]["route"]["name"] == "limited"
    route_bucket = route_patch["patch"]["value"]["typed_per_filter_config"]["envoy.filters.http.local_ratelimit"]
    assert route_bucket["status"] == {"code": "ServiceUnavailable"}
    assert route_bucket["token_bucket"]["max_tokens"] == 2


def test_no_selector_means_no_policies():
    project = edge_design(FULL_FUNCTIONS)
    gw = project.node(GATEWAY_ID)
    bare = gw.gateway.model_copy(update={"spec": gw.gateway.spec.model_copy(update={"selector": None})})
    project.replace_node(gw.model_copy(update={"gateway": bare}))
    assert function_manifests(project) == []


def test_workload_namespace_defaults_and_override():
    assert {m["metadata"]["namespace"] for m in function_manifests(edge_design(FULL_FUNCTIONS,
                                                                               with_service=False))} == {"default"}
    override = dict(FULL_FUNCTIONS, workloadNamespace="edge")
    assert {m["metadata"]["namespace"] for m in function_manifests(edge_design(override))} == {"edge"}


def test_every_manifest_passes_istio_crds(crd_validate):
    manifests = function_manifests(edge_design(FULL_FUNCTIONS))
    assert len(manifests) == 7
    for manifest in manifests:
        assert crd_validate(manifest, strict=True) == [], manifest["metadata"]["name"]


def test_crd_validation_catches_a_broken_policy(crd_validate):
    """The oracle is really consulted: a wrong field type is reported."""
    deny = function_manifests(edge_design({"firewall": FULL_FUNCTIONS["firewall"]}))[0]
    deny["spec"]["rules"][0]["from"][0]["source"]["remoteIpBlocks"] = "203.0.113.0/24"
    assert crd_validate(deny, strict=True)


def test_project_file_round_trip():
    project = edge_design(FULL_FUNCTIONS)
    text = dump_project(project)
    assert "rateLimits:" in text and "requirePrincipal: true" in text
    again = parse_project(text)
    assert again.node(GATEWAY_ID).functions == project.node(GATEWAY_ID).functions
    assert dump_project(again) == text


def test_import_turns_our_resources_back_into_functions(tmp_path):
    project = edge_design(FULL_FUNCTIONS)
    files = export_files(project)
    (tmp_path / "istio.yaml").write_text(files["istio.yaml"])
    result = import_manifests([str(tmp_path / "istio.yaml")])
    gateways = result.project.gateways()
    assert len(gateways) == 1
    assert gateways[0].functions == project.node(GATEWAY_ID).functions
    assert result.project.extra_resources == []
    assert not any("AuthorizationPolicy" in k for k in result.kept_verbatim)
    assert export_files(result.project)["istio.yaml"] == files["istio.yaml"]


def test_edited_resources_stay_verbatim(tmp_path):
    project = edge_design(FULL_FUNCTIONS)
    manifests = project_manifests(project)
    # someone tightened the DENY policy in the cluster: it no longer matches its recorded design
    deny = next(m for m in manifests if m["metadata"]["name"] == "edge-gw-deny")
    deny["spec"]["rules"][0]["from"][0]["source"]["remoteIpBlocks"] = ["198.51.100.0/24"]
    (tmp_path / "istio.yaml").write_text(dump_all(manifests))
    result = import_manifests([str(tmp_path / "istio.yaml")])
    functions = result.project.gateways()[0].functions
    assert functions is not None and functions.firewall is None and functions.jwt is not None
    kept = [(p.KIND, p.name) for p in result.project.policies]  # not absorbed: they stay the design's policies
    assert kept == [("AuthorizationPolicy", "edge-gw-allow"), ("AuthorizationPolicy", "edge-gw-deny")]
    # nothing is lost: the export writes the edited policy back unchanged
    again = {m["metadata"]["name"]: m for m in project_manifests(result.project)}
    assert again["edge-gw-deny"] == deny


def test_a_consistent_hand_edit_of_spec_and_design_is_absorbed(tmp_path):
    text = export_files(edge_design(FULL_FUNCTIONS))["istio.yaml"]
    (tmp_path / "istio.yaml").write_text(text.replace("203.0.113.0/24", "198.51.100.0/24"))
    functions = import_manifests([str(tmp_path / "istio.yaml")]).project.gateways()[0].functions
    assert functions.firewall.rules[0].remote_ip_blocks == ["198.51.100.0/24"]


def test_design_annotation_is_compact_json():
    (deny,) = function_manifests(edge_design({"firewall": {"rules": [{"ipBlocks": ["10.0.0.0/8"]}]}}))
    assert json.loads(deny["metadata"]["annotations"][ANNOTATION_DESIGN]) == {
        "firewall": {"rules": [{"action": "DENY", "ipBlocks": ["10.0.0.0/8"]}]}}


# ----- property-based: any functions survive project files and import/export ----------------------

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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=functions_strategy)
def test_any_functions_round_trip(data, tmp_path, crd_validate):
    project = edge_design(data)
    original = project.node(GATEWAY_ID).functions
    assert parse_project(dump_project(project)).node(GATEWAY_ID).functions == original
    files = export_files(project)
    for manifest in function_manifests(project):
        assert crd_validate(manifest, strict=True) == []
    (tmp_path / "istio.yaml").write_text(files["istio.yaml"])
    imported = import_manifests([str(tmp_path / "istio.yaml")]).project
    assert imported.extra_resources == []
    assert export_files(imported)["istio.yaml"] == files["istio.yaml"]
    if not GatewayFunctions.model_validate(data).is_empty():
        assert imported.gateways()[0].functions is not None


@pytest.mark.parametrize("bad", [{"firewall": {"rules": "nope"}}, {"rateLimits": [{"fillInterval": "1s"}]}])
def test_bad_function_data_is_a_clear_project_file_error(bad):
    from meshdesigner.io.errors import InputError
    text = dump_project(edge_design())
    text = text.replace("  gateway:\n", "  functions: " + json.dumps(bad) + "\n  gateway:\n", 1)
    with pytest.raises(InputError) as info:
        parse_project(text, "x.mesh.yaml")
    assert "functions" in str(info.value)


def test_function_resources_without_their_gateway_stay_policies(tmp_path):
    manifests = function_manifests(edge_design(FULL_FUNCTIONS))
    (tmp_path / "policies.yaml").write_text(dump_all(manifests))
    result = import_manifests([str(tmp_path / "policies.yaml")])
    assert result.project.gateways() == []
    assert len(result.project.policies) == len(manifests) and result.kept_verbatim == []
    assert project_manifests(result.project) == sorted(
        manifests, key=lambda d: (d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]))
