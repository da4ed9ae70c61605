"""The simulator explains each JWT outcome of a RequestAuthentication as Envoy's jwt_authn decides it
(expected statuses and reasons written from Envoy's and Istio's documented behaviour)."""

from __future__ import annotations

import pathlib

from functions.e2e_support import SigningKey

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.io.importer import import_manifests
from meshdesigner.model.security import policy_from_manifest

DATA = pathlib.Path(__file__).parent / "data"
ISSUER = "https://issuer.example.com"


def _project(key: SigningKey):
    project = import_manifests([str(DATA / "gateway.yaml")]).project
    project.add_policy(policy_from_manifest({
        "apiVersion": "security.istio.io/v1beta1", "kind": "RequestAuthentication",
        "metadata": {"name": "jwt", "namespace": "istio-system"},
        "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}},
                 "jwtRules": [{"issuer": ISSUER, "audiences": ["shop"], "jwks": key.jwks()}]}}))
    project.add_policy(policy_from_manifest({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "only-alice", "namespace": "istio-system"},
        "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "ALLOW",
                 "rules": [{"from": [{"source": {"requestPrincipals": [f"{ISSUER}/alice"]}}]}]}}))
    return project


def _send(project, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return simulate(project, "istio-system/edge", Request("http://open.example.com/", headers=headers))


def test_each_jwt_outcome_is_explained():
    key, other = SigningKey(), SigningKey()
    project = _project(key)
    cases = {
        "missing": (None, 403, "no token"),
        "bad signature": (other.token(ISSUER, audience="shop"), 401, "Jwt verification fails"),
        "expired": (key.token(ISSUER, audience="shop", expires_in=-3600), 401, "Jwt is expired"),
        "wrong issuer": (key.token("https://elsewhere.example.com", audience="shop"), 401,
                         "Jwt issuer is not configured"),
        "wrong audience": (key.token(ISSUER, audience="billing"), 403, "Audiences in Jwt are not allowed"),
        "other subject": (key.token(ISSUER, subject="bob", audience="shop"), 403, "no rule of them matches"),
        "valid": (key.token(ISSUER, audience="shop"), None, "request principal"),
    }
    for name, (token, status, words) in cases.items():
        result = _send(project, token)
        assert result.status == status, (name, result.explanation)
        assert words in " ".join(result.explanation), (name, result.explanation)
    allowed = _send(project, key.token(ISSUER, audience="shop"))
    assert allowed.outcome == "routed"
    assert allowed.functions["authorization"]["policy"] == "istio-system/only-alice"
