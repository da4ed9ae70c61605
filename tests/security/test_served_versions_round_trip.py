"""Every API version Istio serves for these kinds imports, saves and exports back to the same object in
the same apiVersion, valid against Istio's CRD of that version.

Served versions, from Istio's CRDs (``manifests/charts/base/files/crd-all.gen.yaml``): security.istio.io
AuthorizationPolicy, RequestAuthentication, PeerAuthentication: v1 and v1beta1; telemetry.istio.io
Telemetry: v1 and v1alpha1; networking.istio.io EnvoyFilter: v1alpha3 only. The manifests below are
written by hand and use fields of every part of each spec (selectors, targetRefs, rules with from/to/when,
JWT rules, port-level mTLS, access logging with a filter, EnvoyFilter patches)."""

from __future__ import annotations

import json

import pytest

from meshdesigner.export.istio import project_manifests
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import dump_project, parse_project
from meshdesigner.io.yamlio import dump_all

SPECS = {
    "AuthorizationPolicy": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "DENY", "rules": [
        {"from": [{"source": {"ipBlocks": ["10.0.0.0/8"], "notRemoteIpBlocks": ["10.1.0.0/16"],
                              "requestPrincipals": ["https://issuer.example.com/*"]}}],
         "to": [{"operation": {"hosts": ["a.example.com"], "methods": ["POST"], "notPaths": ["/public/*"],
                               "ports": ["8080"]}}],
         "when": [{"key": "request.auth.claims[groups]", "values": ["guest"]},
                  {"key": "request.headers[x-token]", "notValues": ["ok"]}]}]},
    "RequestAuthentication": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "jwtRules": [
        {"issuer": "https://issuer.example.com", "jwksUri": "https://issuer.example.com/jwks.json",
         "audiences": ["api"], "fromHeaders": [{"name": "x-jwt", "prefix": "Bearer "}],
         "fromParams": ["token"], "outputPayloadToHeader": "x-payload", "forwardOriginalToken": True,
         "outputClaimToHeaders": [{"header": "x-sub", "claim": "sub"}]}]},
    "PeerAuthentication": {"selector": {"matchLabels": {"app": "web"}}, "mtls": {"mode": "STRICT"},
                           "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}},
    "Telemetry": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "accessLogging": [
        {"providers": [{"name": "envoy"}], "filter": {"expression": "response.code >= 400"}}]},
    "EnvoyFilter": {"workloadSelector": {"labels": {"istio": "ingressgateway"}}, "priority": 10, "configPatches": [
        {"applyTo": "HTTP_FILTER", "match": {"context": "GATEWAY", "listener": {"portNumber": 8080, "filterChain": {
            "filter": {"name": "envoy.filters.network.http_connection_manager",
                       "subFilter": {"name": "envoy.filters.http.router"}}}}},
         "patch": {"operation": "INSERT_BEFORE", "value": {
             "name": "envoy.filters.http.local_ratelimit", "typed_config": {
                 "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                 "stat_prefix": "http_local_rate_limiter"}}}}]},
}
SERVED = [("security.istio.io", "v1", "AuthorizationPolicy"), ("security.istio.io", "v1beta1", "AuthorizationPolicy"),
          ("security.istio.io", "v1", "RequestAuthentication"),
          ("security.istio.io", "v1beta1", "RequestAuthentication"),
          ("security.istio.io", "v1", "PeerAuthentication"), ("security.istio.io", "v1beta1", "PeerAuthentication"),
          ("telemetry.istio.io", "v1", "Telemetry"), ("telemetry.istio.io", "v1alpha1", "Telemetry"),
          ("networking.istio.io", "v1alpha3", "EnvoyFilter")]


@pytest.mark.parametrize(("group", "version", "kind"), SERVED, ids=lambda v: v)
def test_served_version_round_trips_in_its_version(group, version, kind, tmp_path, crd_validate):
    manifest = {"apiVersion": f"{group}/{version}", "kind": kind,
                "metadata": {"name": "p", "namespace": "edge", "labels": {"team": "a"}}, "spec": SPECS[kind]}
    assert crd_validate(manifest) == []  # the hand-written input is valid in that version
    path = tmp_path / "in.yaml"
    path.write_text(dump_all([manifest]))
    project = import_manifests([str(path)]).project
    assert project.extra_resources == [] and len(project.policies) == 1
    reloaded = parse_project(dump_project(project), "p.mesh.yaml")
    assert reloaded == project
    # an exported policy keeps the version it was written in, whatever version the export asks for
    for api_version in ("v1", "v1beta1", "v1alpha3"):
        out = [d for d in project_manifests(reloaded, api_version) if d["kind"] == kind]
        assert out == [json.loads(json.dumps(manifest))]
        assert crd_validate(out[0]) == []
