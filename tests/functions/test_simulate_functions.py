"""The request simulator on the resources an old file's gateway functions migrate to (no Envoy needed):
firewall, JWT, TCP, sequences. Policies go through the same simulation as hand-written ones."""

from __future__ import annotations

import base64
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from meshdesigner.analysis.istio_match import value_matches
from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.analysis.simulate_envoy_filters import simulate_sequence

from .designs import edge_design
from .e2e_support import SigningKey

HOST = "shop.example.com"


def _run(functions, url=f"http://{HOST}/", protocol="HTTP", **request):
    return simulate(edge_design(functions, protocol=protocol), "edge-gw", Request(url, **request))


def test_istio_patterns():
    assert value_matches("/admin*", "/admin/x") and value_matches("*.js", "/a.js") and value_matches("*", "")
    assert not value_matches("/admin", "/admin/x") and not value_matches("*", None)
    assert value_matches("Shop.Example.com", "shop.example.COM", ignore_case=True)


def test_deny_rule_by_client_range_and_path():
    rules = {"firewall": {"rules": [{"action": "DENY", "remoteIpBlocks": ["198.51.100.0/24"], "paths": ["/admin*"]}]}}
    denied = _run(rules, f"http://{HOST}/admin/users", client_address="198.51.100.9")
    assert denied.outcome == "denied" and denied.status == 403
    decision = denied.functions["authorization"]
    assert (decision["decision"], decision["policy"], decision["rule"]) == ("deny", "istio-system/edge-gw-deny", 0)
    assert _run(rules, f"http://{HOST}/admin/users", client_address="192.0.2.1").outcome == "routed"
    assert _run(rules, f"http://{HOST}/shop", client_address="198.51.100.9").outcome == "routed"


def test_allow_rules_deny_by_default_and_headers():
    rules = {"firewall": {"rules": [{"action": "ALLOW", "headers": [{"name": "x-tenant", "values": ["a*"]}],
                                     "methods": ["GET"]}]}}
    assert _run(rules, headers={"x-tenant": "acme"}).outcome == "routed"
    assert _run(rules, headers={"x-tenant": "zeta"}).status == 403
    assert _run(rules, method="POST", headers={"x-tenant": "acme"}).status == 403


def test_firewall_runs_before_the_router_404():
    rules = {"firewall": {"rules": [{"action": "DENY", "remoteIpBlocks": ["127.0.0.0/8"]}]}}
    result = _run(rules, "http://unknown.example.com/")
    assert result.status == 403  # Envoy's RBAC filter answers before the router's 404


def test_tcp_connection_firewall_and_http_only_fields():
    rules = {"firewall": {"rules": [{"action": "DENY", "ipBlocks": ["10.0.0.0/8"], "paths": ["/x"]}]}}
    denied = _run(rules, f"tcp://{HOST}:80", protocol="TCP", client_address="10.1.2.3")
    assert denied.outcome == "denied" and denied.status is None
    assert "closes the connection" in denied.explanation[-1]
    assert _run(rules, f"tcp://{HOST}:80", protocol="TCP", client_address="192.0.2.1").outcome == "routed"
    allow_http_only = {"firewall": {"rules": [{"action": "ALLOW", "methods": ["GET"]}]}}
    assert _run(allow_http_only, f"tcp://{HOST}:80", protocol="TCP").outcome == "denied"


def test_require_principal_denies_tcp_and_tokenless_http():
    jwt = {"jwt": {"rules": [{"issuer": "me", "jwks": SigningKey().jwks()}], "requirePrincipal": True}}
    assert _run(jwt, f"tcp://{HOST}:80", protocol="TCP").outcome == "denied"
    tokenless = _run(jwt)
    assert tokenless.status == 403 and tokenless.functions["jwt"]["token"] == "missing"


def test_token_required_only_on_chosen_paths():
    jwt = {"jwt": {"rules": [{"issuer": "me", "jwks": SigningKey().jwks()}], "requirePrincipal": True,
                   "paths": ["/api*"]}}
    assert _run(jwt, f"http://{HOST}/api/orders").status == 403
    assert _run(jwt, f"http://{HOST}/static/app.js").outcome == "routed"


def test_principal_patterns_and_token_places():
    key = SigningKey()
    jwt = {"jwt": {"rules": [{"issuer": "me", "jwks": key.jwks(), "fromParams": ["t"]}],
                   "requirePrincipal": True, "principals": ["me/alice"]}}
    assert _run(jwt, f"http://{HOST}/?t={key.token('me', 'alice')}").outcome == "routed"
    bob = _run(jwt, f"http://{HOST}/?t={key.token('me', 'bob')}")
    assert bob.status == 403 and "edge-gw-require-jwt spec.rules[0] matches" in bob.explanation[-1]
    # the token is only read where the rule says (a query parameter here), so a header token is missing
    header = _run(jwt, headers={"Authorization": f"Bearer {key.token('me', 'alice')}"})
    assert header.functions["jwt"]["token"] == "missing" and header.status == 403


def _es256_token(private, issuer: str) -> str:
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    head = enc(json.dumps({"alg": "ES256", "kid": "ec"}).encode())
    body = enc(json.dumps({"iss": issuer, "sub": "s", "exp": int(time.time()) + 60}).encode())
    r, s = decode_dss_signature(private.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{head}.{body}.{enc(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def test_es256_tokens_and_unverifiable_remote_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    enc = lambda i: base64.urlsafe_b64encode(i.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
    jwks = json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec", "x": enc(numbers.x), "y": enc(numbers.y)}]})
    jwt = {"jwt": {"rules": [{"issuer": "ec-issuer", "jwks": jwks}], "requirePrincipal": True}}
    token = _es256_token(private, "ec-issuer")
    assert _run(jwt, headers={"Authorization": f"Bearer {token}"}).outcome == "routed"
    assert _run(jwt, headers={"Authorization": f"Bearer {token[:-4]}AAAA"}).status == 401
    remote = {"jwt": {"rules": [{"issuer": "ec-issuer", "jwksUri": "https://keys.example.com/jwks"}],
                      "requirePrincipal": True}}
    # Keys only at a jwksUri: istiod fetches them, the local Envoy config cannot (MD0903), so the exported
    # config rejects every token of that issuer, and the simulator says what that config does.
    result = _run(remote, headers={"Authorization": f"Bearer {token}"})
    assert result.status == 401 and "not fetched locally" in result.explanation[-1]


def test_sequence_rate_limit_gateway_bucket():
    project = edge_design({"rateLimits": [{"tokensPerFill": 3, "fillInterval": "1s", "status": 503}]})
    results = simulate_sequence(project, "edge-gw", [Request(f"http://{HOST}/x")] * 5)
    assert [r.status for r in results] == [None, None, None, 503, 503]
    assert results[0].functions["rate_limit"]["bucket"] == "EnvoyFilter istio-system/edge-gw-ratelimit (gateway)"
