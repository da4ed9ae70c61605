"""Each kind of expectation passes on the right answer and fails on a wrong one (simulator).

The right answers are written by hand from Istio's semantics for designs/shop/shop.yaml and
examples/gateway-functions.mesh.yaml; each wrong one changes one value.
"""

from __future__ import annotations

import pytest
import yaml
from routetest_support import ROOT, case, shop_project

from meshdesigner.analysis.route_tests import run_case
from meshdesigner.io.project_file import load_project
from meshdesigner.model.route_tests import RouteTestCase

API = """
description: api
entry: {gateway: shop/shop-gateway}
request: {authority: [shop.example.com], uri: ['/api/orders?page=2'], headers: {x-debug: "1", x-user: alice}}
"""

# (name, the request, the right expectation, a wrong one)
GRID = [
    ("outcome routed", API, "outcome: routed", "outcome: no_route"),
    ("outcome redirect", "request: {authority: [shop.example.com], uri: [/old/page]}",
     "outcome: redirect", "outcome: routed"),
    ("outcome direct_response", "request: {authority: [shop.example.com], uri: [/health]}",
     "outcome: direct_response", "outcome: redirect"),
    ("outcome no_route", "request: {authority: [shop.example.com], uri: [/nothing]}",
     "outcome: no_route", "outcome: routed"),
    ("outcome no_route for an unknown host",
     "{entry: {gateway: shop/shop-gateway}, request: {authority: [unknown.example.com]}}",
     "outcome: no_route", "outcome: routed"),
    ("outcome tls_refused", "{entry: {gateway: shop/shop-gateway}, request: {authority: [x.example.com], "
     "scheme: https}}", "outcome: tls_refused", "outcome: no_route"),
    ("outcome no_listener", "{entry: {gateway: shop/shop-gateway}, request: {authority: [shop.example.com], "
     "port: 9999}}", "outcome: no_listener", "outcome: no_route"),
    ("status of a backend", API, "status: 200", "status: 404"),
    ("status of a fault abort", "request: {authority: [shop.example.com], uri: [/broken]}",
     "status: 503", "status: 200"),
    ("status of Envoy's 404", "request: {authority: [shop.example.com], uri: [/nothing]}",
     "status: 404", "status: 200"),
    ("route", API, "route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 8080}}}]",
     "route: [{destination: {host: api-canary.shop.svc.cluster.local}}]"),
    ("route by short name", API, "route: [{destination: {host: api}}]",
     "route: [{destination: {host: api, port: {number: 80}}}]"),
    ("redirect", "request: {authority: [shop.example.com], uri: [/old]}",
     "redirect: {uri: /new, authority: shop.example.com, redirectCode: 302}",
     "redirect: {uri: /new, authority: shop.example.com}"),  # the default code is 301
    ("rewrite", API, "rewrite: {uri: /v1, authority: api.internal}", "rewrite: {uri: /v2}"),
    ("fault", "request: {authority: [shop.example.com], uri: [/broken]}",
     "fault: {abort: {httpStatus: 503, percentage: {value: 100}}}",
     "fault: {abort: {httpStatus: 500, percentage: {value: 100}}}"),
    ("headers request", API, "headers: {request: {set: {x-from: shop-gateway}, remove: [x-debug]}}",
     "headers: {request: {set: {x-from: elsewhere}}}"),
    ("headers request remove", API, "headers: {request: {remove: [x-debug]}}",
     "headers: {request: {remove: [x-user]}}"),
    ("headers response", API, "headers: {response: {set: {x-served-by: shop}}}",
     "headers: {response: {set: {x-served-by: web}}}"),
    ("upstream path", API, "upstream: {path: '/v1/orders?page=2'}", "upstream: {path: '/api/orders?page=2'}"),
    ("upstream authority", API, "upstream: {authority: api.internal}", "upstream: {authority: shop.example.com}"),
    ("upstream headers", API, "upstream: {headers: {x-from: shop-gateway, x-user: alice, x-debug: null}}",
     "upstream: {headers: {x-debug: '1'}}"),
    ("response headers", API, "responseHeaders: {x-served-by: shop}", "responseHeaders: {x-served-by: null}"),
]


def _run(request: str, expectation: str, want_match: bool = True):
    data = {**yaml.safe_load(request), **yaml.safe_load(expectation), "wantMatch": want_match}
    return run_case(shop_project(), RouteTestCase.model_validate(data))


@pytest.mark.parametrize(("name", "request_text", "right", "wrong"), GRID, ids=[g[0] for g in GRID])
def test_right_answer_passes_wrong_answer_fails(name, request_text, right, wrong):
    good = _run(request_text, right)
    assert good.passed, good.first_failure()
    bad = _run(request_text, wrong)
    assert not bad.passed
    assert bad.first_failure()


@pytest.mark.parametrize(("name", "request_text", "right", "wrong"), GRID[:4], ids=[g[0] for g in GRID[:4]])
def test_want_match_false_inverts(name, request_text, right, wrong):
    assert not _run(request_text, right, want_match=False).passed
    assert _run(request_text, wrong, want_match=False).passed


def test_denied_with_its_status():
    """gateway-functions: the firewall denies 192.0.2.0/24 with 403 (Envoy RBAC's answer)."""
    project = load_project(str(ROOT / "examples" / "gateway-functions.mesh.yaml"))
    base = "entry: {gateway: shop/shop-gateway}\nrequest: {authority: [shop.example.com], port: 8080, " \
           "sourceAddress: 192.0.2.7}\n"
    assert run_case(project, case(base + "outcome: denied\nstatus: 403\n")).passed
    assert not run_case(project, case(base + "outcome: routed\n")).passed
    assert not run_case(project, case(base + "outcome: denied\nstatus: 401\n")).passed


def test_failure_names_the_request_and_the_difference():
    result = _run(API, "upstream: {path: /api/orders}")
    message = result.first_failure()
    assert "GET http://shop.example.com/api/orders?page=2" in message
    assert "'/v1/orders?page=2'" in message and "'/api/orders'" in message


def test_every_combination_is_one_request():
    tc = case("request: {authority: [a.example.com, b.example.com], method: [GET, POST, PUT], uri: [/x, /y]}")
    requests = [r.label() for r in tc.request.unfold()]
    assert len(requests) == 12 and len(set(requests)) == 12
    assert requests[0] == "GET http://a.example.com/x"  # istio-config-validator's order: uri, authority, method


def test_unknown_gateway_is_an_error_not_a_pass():
    result = run_case(shop_project(), case("{entry: {gateway: shop/nope}, request: {authority: [x]}, "
                                           "outcome: no_route}"))
    assert not result.passed and "no gateway 'shop/nope'" in result.error


def test_jwt_claims_or_token():
    """gateway-functions: /api* requires a verified principal from login.example.com (Envoy jwt_authn + RBAC).
    Without a token: 403 (RBAC, no principal); a token that does not verify (claims are sent unsigned,
    a literal token that is not a JWT): 401 (jwt_authn)."""
    project = load_project(str(ROOT / "examples" / "gateway-functions.mesh.yaml"))
    base = {"entry": {"gateway": "shop/shop-gateway"},
            "request": {"authority": ["shop.example.com"], "port": 8080, "uri": ["/api/orders"]}}

    def run(jwt, **expect):
        request = {**base["request"], **({"jwt": jwt} if jwt else {})}
        return run_case(project, RouteTestCase.model_validate({**base, "request": request, **expect})).passed

    assert run(None, outcome="denied", status=403)
    assert not run(None, outcome="denied", status=401)
    claims = {"claims": {"iss": "https://login.example.com", "sub": "alice", "aud": "shop"}}
    assert run(claims, outcome="denied", status=401)
    assert not run(claims, outcome="routed")
    assert run({"token": "not-a-jwt"}, outcome="denied", status=401)


def test_a_sidecar_entry_uses_the_mesh_routes():
    result = run_case(shop_project(), case("{entry: {sidecar: shop}, request: {authority: "
                                           "['api.shop.svc.cluster.local:8080']}, outcome: routed}"))
    assert result.passed, result.first_failure()
    assert result.results[0].observation.entry == "a sidecar in namespace shop"
    assert result.results[0].observation.destinations[0]["host"] == "api.shop.svc.cluster.local"


def test_an_entry_must_be_a_gateway_or_a_sidecar():
    with pytest.raises(ValueError, match="either"):
        case("{entry: {gateway: a/b, sidecar: c}, request: {authority: [x]}}")
    with pytest.raises(ValueError, match="claims or a token"):
        case("{request: {authority: [x], jwt: {}}}")
