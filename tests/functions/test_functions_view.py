"""The Functions view over real resources: shapes recognised without annotations, edits that keep the
resource (name, namespace, apiVersion, fields the edit does not touch)."""

from __future__ import annotations

import pathlib

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import dump_project, parse_project
from meshdesigner.model import functions_view as fv
from meshdesigner.model.security import policy_from_manifest

DATA = pathlib.Path(__file__).parent.parent / "security" / "data"
LABELS = {"istio": "ingressgateway"}


def _load(name: str):
    return policy_from_manifest(yaml.safe_load((DATA / name).read_text()))


def test_istio_docs_local_rate_limit_is_recognised_by_shape():
    ef = _load("ratelimit.yaml")  # Istio's task, written by hand: no MeshDesigner annotation anywhere
    assert not (ef.metadata.annotations or {})
    assert fv.recognise(ef) == fv.RATE_LIMIT
    (bucket,) = fv.rate_limit_buckets(ef)
    assert (bucket.tokens_per_fill, bucket.fill_interval, bucket.max_tokens, bucket.status) == (4, "60s", 4, 429)
    assert bucket.scope == "gateway" and bucket.enforced_percent == 100


def test_direct_typed_config_and_per_route_buckets_are_recognised():
    manifest = yaml.safe_load((DATA / "ratelimit.yaml").read_text())
    patch = manifest["spec"]["configPatches"][0]
    patch["patch"]["value"]["typed_config"] = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        "stat_prefix": "http_local_rate_limiter"}  # the pass-through filter: no bucket of its own
    manifest["spec"]["configPatches"].append({
        "applyTo": "HTTP_ROUTE",
        "match": {"context": "GATEWAY", "routeConfiguration": {"vhost": {"route": {"name": "api"}}}},
        "patch": {"operation": "MERGE", "value": {"typed_per_filter_config": {"envoy.filters.http.local_ratelimit": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            "stat_prefix": "api", "token_bucket": {"max_tokens": 10, "tokens_per_fill": 5, "fill_interval": "1s"},
            "filter_enabled": {"default_value": {"numerator": 100}},
            "filter_enforced": {"default_value": {"numerator": 50}},
            "status": {"code": "ServiceUnavailable"}}}}}})
    (bucket,) = fv.rate_limit_buckets(policy_from_manifest(manifest))
    assert (bucket.route, bucket.tokens_per_fill, bucket.max_tokens, bucket.status) == ("api", 5, 10, 503)
    assert bucket.enforced_percent == 50


def test_sidecar_context_or_other_filters_are_not_a_gateway_rate_limit():
    manifest = yaml.safe_load((DATA / "ratelimit.yaml").read_text())
    manifest["spec"]["configPatches"][0]["match"]["context"] = "SIDECAR_INBOUND"
    assert fv.recognise(policy_from_manifest(manifest)) == fv.ENVOY_FILTER
    manifest = yaml.safe_load((DATA / "ratelimit.yaml").read_text())
    manifest["spec"]["configPatches"].append({"applyTo": "CLUSTER", "patch": {"operation": "MERGE", "value": {}}})
    assert fv.recognise(policy_from_manifest(manifest)) == fv.ENVOY_FILTER


def test_hand_written_rate_limit_edited_through_the_view_is_the_same_resource(tmp_path):
    manifest = yaml.safe_load((DATA / "ratelimit.yaml").read_text())
    manifest["metadata"]["labels"] = {"team": "edge"}
    manifest["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["value"]["unknownKnob"] = {"kept": True}
    original = policy_from_manifest(manifest)
    edited = fv.set_rate_limit(original, 0, tokens_per_fill=10, max_tokens=20, status=503)
    assert edited.ref == original.ref and edited.api_version == original.api_version
    expected = yaml.safe_load((DATA / "ratelimit.yaml").read_text())
    expected["metadata"]["labels"] = {"team": "edge"}
    value = expected["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["value"]
    value["unknownKnob"] = {"kept": True}
    value["token_bucket"] = {"max_tokens": 20, "tokens_per_fill": 10, "fill_interval": "60s"}
    value["status"] = {"code": "ServiceUnavailable"}
    assert edited.manifest() == expected
    # Through a project file: saved and read back as the same resource (no `functions:`, no annotation).
    project = import_manifests([str(DATA / "gateway.yaml"), str(DATA / "ratelimit.yaml")]).project
    project.replace_policy(original.ref, edited)
    text = dump_project(project)
    assert "functions" not in text and "meshdesigner.io" not in text
    assert parse_project(text).policy(original.ref).manifest() == expected


def test_ip_lists_require_jwt_jwt_and_access_log_are_recognised():
    assert fv.recognise(_load("deny-remoteipblocks.yaml")) == fv.IP_DENY
    assert fv.ip_blocks(_load("deny-remoteipblocks.yaml")) == ("remoteIpBlocks", ["203.0.113.0/24"])
    assert fv.recognise(_load("deny-ipblocks.yaml")) == fv.IP_DENY
    assert fv.recognise(_load("telemetry.yaml")) == fv.ACCESS_LOG
    require = fv.new_require_jwt("r", "istio-system", LABELS, paths=["/api*"])
    assert fv.recognise(require) == fv.REQUIRE_JWT
    assert fv.required_principals(require) == (["*"], ["/api*"])
    ra = fv.new_request_authentication("j", "istio-system", LABELS, [{"issuer": "https://i", "jwks": "{}"}])
    assert fv.recognise(ra) == fv.JWT
    # A DENY with an operation is a general rule set, not an IP list.
    mixed = policy_from_manifest({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "m"},
        "spec": {"action": "DENY", "rules": [{"from": [{"source": {"ipBlocks": ["1.2.3.4"]}}],
                                             "to": [{"operation": {"paths": ["/admin"]}}]}]}})
    assert fv.recognise(mixed) == fv.DENY
    allow = fv.new_ip_policy("a", "default", LABELS, "ALLOW", ["10.0.0.0/8"])
    assert fv.recognise(allow) == fv.IP_ALLOW


def test_edits_keep_the_rest_of_the_resource():
    deny = _load("deny-remoteipblocks.yaml")
    edited = fv.set_ip_blocks(deny, ["198.51.100.0/24", "203.0.113.0/24"])
    assert edited.ref == deny.ref and edited.spec.selector == deny.spec.selector
    assert fv.ip_blocks(edited) == ("remoteIpBlocks", ["198.51.100.0/24", "203.0.113.0/24"])
    require = fv.set_required_principals(fv.new_require_jwt("r", "ns", LABELS), paths=["/x"])
    assert fv.required_principals(require) == (["*"], ["/x"])
    ra = fv.new_request_authentication("j", "ns", LABELS, [{"issuer": "a", "jwks": "{}", "fromParams": ["t"]}])
    ra = fv.set_jwt_rule(ra, 0, audiences=["shop"])
    assert ra.spec.jwt_rules[0].audiences == ["shop"] and ra.spec.jwt_rules[0].from_params == ["t"]
    log = fv.set_access_log(_load("telemetry.yaml"), filter_expression="response.code >= 400")
    assert log.manifest()["spec"]["accessLogging"] == [{"providers": [{"name": "envoy"}],
                                                        "filter": {"expression": "response.code >= 400"}}]


def test_builders_make_recognised_resources():
    ef = fv.new_rate_limit("g-ratelimit", "istio-system", LABELS, None, routes=[("api", 2, "60s", None, 429)])
    (bucket,) = fv.rate_limit_buckets(ef)
    assert (bucket.route, bucket.tokens_per_fill, bucket.max_tokens) == ("api", 2, 2)
    cache = fv.new_cache("g-cache", "istio-system", LABELS, max_body_bytes=1024, uncached_routes=["main"])
    assert fv.recognise(cache) == fv.CACHE
    settings = fv.cache_settings(cache)
    assert (settings.max_body_bytes, settings.uncached_routes) == (1024, ["main"])
    assert fv.cache_settings(fv.set_cache(cache, max_body_bytes=0)).max_body_bytes is None


def test_functions_of_lists_what_applies_to_the_gateway_in_order():
    files = ["gateway.yaml", "ratelimit.yaml", "deny-remoteipblocks.yaml", "telemetry.yaml"]
    project = import_manifests([str(DATA / f) for f in files]).project
    (gateway,) = project.gateways()
    found = [(f.kind, f.resource.name, f.scope) for f in fv.functions_of(project, gateway)]
    assert found == [("ip-deny", "deny-client", "selector"), ("rate-limit", "filter-local-ratelimit-svc", "selector"),
                     ("access-log", "mesh-default", "mesh-wide")]
    assert fv.default_name(project, gateway, fv.RATE_LIMIT, "istio-system") == "edge-ratelimit"


# Any YAML value in a hand-written filter's fields: reading must never fail (the long fuzz run found
# `numerator: HUNDRED` crashing `validate` with a TypeError).
_ANY = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False)
                    | st.text(max_size=12) | st.sampled_from(["HUNDRED", "100", "TooManyRequests", "1s"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


def _hostile_filter(config: dict, per_route: dict, vhost) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": "hostile", "namespace": "istio-system"},
        "spec": {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "configPatches": [
            fv.http_filter_patch(fv.RATELIMIT_FILTER, config),
            {"applyTo": "HTTP_ROUTE", "match": {"context": "GATEWAY", "routeConfiguration": {"vhost": vhost}},
             "patch": {"operation": "MERGE", "value": {"typed_per_filter_config": {fv.RATELIMIT_FILTER: per_route}}}},
        ]},
    }


@settings(max_examples=150, deadline=None, derandomize=True)
@given(fields=st.dictionaries(st.sampled_from(["token_bucket", "filter_enabled", "filter_enforced", "status"]),
                              _ANY | st.fixed_dictionaries({}, optional={
                                  "tokens_per_fill": _ANY, "max_tokens": _ANY, "fill_interval": _ANY, "code": _ANY,
                                  "default_value": _ANY | st.fixed_dictionaries(
                                      {}, optional={"numerator": _ANY, "denominator": _ANY})})),
       vhost=_ANY, vary=_ANY, body=_ANY)
def test_any_values_in_a_hand_written_filter_are_read_without_failing(fields, vhost, vary, body):
    config = {"@type": fv.RATELIMIT_TYPE, **fields}
    ef = policy_from_manifest(_hostile_filter(config, dict(config), vhost))
    buckets = fv.rate_limit_buckets(ef)
    assert buckets is None or all(isinstance(b.tokens_per_fill, int) and isinstance(b.max_tokens, int)
                                  for b in buckets)
    cache = policy_from_manifest({**_hostile_filter({}, {}, {}), "spec": {"configPatches": [fv.http_filter_patch(
        fv.CACHE_FILTER, {"@type": fv.CACHE_TYPE, "allowed_vary_headers": vary, "max_body_bytes": body})]}})
    settings_ = fv.cache_settings(cache)
    assert settings_ is None or all(isinstance(h, str) for h in settings_.allowed_vary_headers)


def test_numerator_written_as_an_enum_name_reads_as_nothing_enforced():
    """The fuzz run's example: ``numerator: HUNDRED`` (a denominator's value in the numerator)."""
    config = fv.ratelimit_config(10)
    config["filter_enforced"]["default_value"]["numerator"] = "HUNDRED"
    (bucket,) = fv.rate_limit_buckets(policy_from_manifest(_hostile_filter(config, fv.ratelimit_config(5), {})))[:1]
    assert bucket.tokens_per_fill == 10 and bucket.enforced_percent == 0.0
