"""Gateway functions in the standalone Envoy config: shape, Istio's filter order, and
``envoy --mode validate`` (bounded: one validation per case)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from meshdesigner.export.envoy import EnvoyOptions, gateway_bootstrap
from meshdesigner.io.yamlio import dump

from .designs import FULL_FUNCTIONS, GATEWAY_ID, edge_design
from .e2e_support import SigningKey, validate

_envoy_missing = pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")


def needs_envoy(test):
    """Runs real Envoy: the ``envoy`` marker, skipped only where Envoy is not installed."""
    return pytest.mark.envoy(_envoy_missing(test))


def _bootstrap(project, **options):
    return gateway_bootstrap(project, project.node(GATEWAY_ID), EnvoyOptions(**options))


def _chain_filters(bootstrap):
    return bootstrap["static_resources"]["listeners"][0]["filter_chains"][0]["filters"]


def _http_filters(bootstrap):
    return _chain_filters(bootstrap)[-1]["typed_config"]["http_filters"]


def _full(key: SigningKey, **extra) -> dict:
    data = json.loads(json.dumps(FULL_FUNCTIONS))
    data["jwt"]["rules"][0]["jwks"] = key.jwks()
    data.update(extra)
    return data


def _validate(bootstrap, tmp_path):
    path = tmp_path / "envoy.yaml"
    path.write_text(dump(bootstrap))
    result = validate(str(path), cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_http_filters_follow_istio_order():
    names = [f["name"] for f in _http_filters(_bootstrap(edge_design(_full(SigningKey()))))]
    # authn, then authz (istiod's buildGatewayHTTPFilters); the EnvoyFilters insert theirs before the router
    assert names == ["envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.rbac",
                     "envoy.filters.http.cors", "envoy.filters.http.fault", "envoy.filters.http.local_ratelimit",
                     "envoy.filters.http.cache", "envoy.filters.http.router"]
    deny, allow = _http_filters(_bootstrap(edge_design(_full(SigningKey()))))[1:3]
    assert deny["typed_config"]["rules"]["action"] == "DENY"
    assert sorted(deny["typed_config"]["rules"]["policies"]) == [
        "ns[istio-system]-policy[edge-gw-deny]-rule[0]", "ns[istio-system]-policy[edge-gw-deny]-rule[1]",
        "ns[istio-system]-policy[edge-gw-require-jwt]-rule[0]"]
    assert allow["typed_config"]["rules"]["action"] == "ALLOW"


def test_no_functions_adds_nothing():
    names = [f["name"] for f in _http_filters(_bootstrap(edge_design()))]
    assert names == ["envoy.filters.http.cors", "envoy.filters.http.fault", "envoy.filters.http.router"]


def test_rbac_conditions_map_like_istiod():
    project = edge_design({"firewall": {"rules": [{
        "action": "DENY", "remoteIpBlocks": ["203.0.113.7"], "notIpBlocks": ["10.0.0.0/8"],
        "paths": ["/admin*"], "methods": ["DELETE", "PUT"], "ports": [80],
        "headers": [{"name": "x-tenant", "values": ["*"]}]}]}})
    (deny,) = _http_filters(_bootstrap(project, port_map={80: 18080}))[:1]
    policy = next(iter(deny["typed_config"]["rules"]["policies"].values()))
    rules = policy["permissions"][0]["and_rules"]["rules"]
    assert {"or_rules": {"rules": [{"header": {"name": ":method", "string_match": {"exact": "DELETE"}}},
                                   {"header": {"name": ":method", "string_match": {"exact": "PUT"}}}]}} in rules
    assert {"url_path": {"path": {"prefix": "/admin"}}} in rules
    assert {"destination_port": 18080} in rules  # the port Envoy really listens on
    # istiod puts source addresses and request.headers conditions in the principals (a "*" value: present)
    source, header = policy["principals"][0]["and_ids"]["ids"]
    assert header == {"header": {"name": "x-tenant", "present_match": True}}
    assert sorted(source["and_ids"]["ids"], key=str) == [
        {"not_id": {"direct_remote_ip": {"address_prefix": "10.0.0.0", "prefix_len": 8}}},
        {"remote_ip": {"address_prefix": "203.0.113.7", "prefix_len": 32}}]


def test_tcp_server_gets_network_rbac_with_istio_http_only_handling():
    project = edge_design({"firewall": {"rules": [
        {"action": "DENY", "remoteIpBlocks": ["192.0.2.0/24"], "paths": ["/x"]},
        {"action": "ALLOW", "remoteIpBlocks": ["127.0.0.0/8"], "methods": ["GET"]},
    ]}}, protocol="TCP")
    filters = _chain_filters(_bootstrap(project))
    assert [f["name"] for f in filters] == ["envoy.filters.network.rbac", "envoy.filters.network.rbac",
                                            "envoy.filters.network.tcp_proxy"]
    deny, allow = (f["typed_config"]["rules"] for f in filters[:2])
    # DENY loses its HTTP-only path condition (matches more); ALLOW with a method never matches (dropped)
    (deny_policy,) = deny["policies"].values()
    assert deny_policy["permissions"] == [{"any": True}]
    assert allow == {"action": "ALLOW", "policies": {}}


@needs_envoy
def test_full_config_passes_envoy_validate(tmp_path):
    _validate(_bootstrap(edge_design(_full(SigningKey())), port_map={80: 18080}), tmp_path)


@needs_envoy
def test_tcp_firewall_and_access_log_pass_envoy_validate(tmp_path):
    project = edge_design({"firewall": {"rules": [{"action": "DENY", "ipBlocks": ["192.0.2.0/24"]}]},
                           "accessLog": {"path": "access.log"}, "jwt": {"requirePrincipal": True}}, protocol="TCP")
    bootstrap = _bootstrap(project)
    proxy = _chain_filters(bootstrap)[-1]["typed_config"]
    assert proxy["access_log"][0]["typed_config"]["path"] == "/dev/stdout"  # Istio's built-in envoy provider
    _validate(bootstrap, tmp_path)


@needs_envoy
def test_jwks_from_a_local_file_is_inlined_and_passes_envoy_validate(tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(SigningKey().jwks())
    project = edge_design({"jwt": {"rules": [{"issuer": "me", "jwksFile": str(jwks)}], "requirePrincipal": True}})
    bootstrap = _bootstrap(project)
    provider = _http_filters(bootstrap)[0]["typed_config"]["providers"]["origins-0"]
    assert provider["local_jwks"] == {"inline_string": jwks.read_text()}  # moved into the RequestAuthentication
    _validate(bootstrap, tmp_path)


@needs_envoy
def test_jwt_principals_use_no_deprecated_envoy_field(tmp_path):
    """Principal.metadata is deprecated ("will be removed from Envoy soon"): JWT claims go through
    sourced_metadata, which Envoy loads without a deprecation warning."""
    bootstrap = _bootstrap(edge_design(_full(SigningKey())), port_map={80: 18080})
    assert '"metadata":' not in json.dumps(bootstrap["static_resources"]["listeners"])
    path = tmp_path / "envoy.yaml"
    path.write_text(dump(bootstrap))
    result = subprocess.run([shutil.which("envoy"), "--mode", "validate", "-c", str(path), "-l", "warning",
                             "--disable-hot-restart"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "deprecated" not in log.lower() and "removed from Envoy soon" not in log, log
