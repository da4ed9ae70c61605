"""``meshdesigner test --envoy``: the same cases through real Envoy serving the exported config on loopback.

The proof for the known differences of istio-config-validator's examples is here: real Envoy
answers those requests with its own 404 (route_not_found), no backend sees them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from routetest_support import ROOT, SHOP, shop_project, validator_folder
from test_routetests_validator_examples import KNOWN_DIFFERENCES

from meshdesigner.analysis.route_tests import run_cases
from meshdesigner.cli.test_reports import format_text
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.route_test_files import load_test_file, split_paths
from meshdesigner.live.route_tests import run_through_envoy

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")]


def _shop_results():
    project = shop_project()
    cases = [(lc.case, f"{lc.file}:{lc.line}") for lc in load_test_file(str(SHOP.parent / "shop_test.yaml"))]
    return project, run_cases(project, cases)


def test_shop_cases_pass_in_envoy_and_agree_with_the_simulator():
    project, results = _shop_results()
    run_through_envoy(project, results)
    for case in results:
        assert case.passed, case.first_failure()
        for res in case.results:
            assert res.envoy is not None and res.envoy.source == "envoy"
    by_name = {c.name: c for c in results}
    api = by_name["the API is rewritten to /v1 on api.internal, with the gateway's header changes"].results[0].envoy
    assert api.backend == "outbound|8080||api.shop.svc.cluster.local"  # the echo backend named by its cluster
    assert api.upstream["path"] == "/v1/orders" and api.upstream["authority"] == "api.internal"
    assert api.upstream["headers"]["x-from"] == "shop-gateway" and "x-debug" not in api.upstream["headers"]
    assert api.response_headers["x-served-by"] == "shop"
    https = by_name["HTTPS with the design's certificate (throwaway ones where this machine lacks it)"]
    assert https.results[0].envoy.upstream["headers"]["x-forwarded-proto"] == "https"


def test_a_wrong_expectation_fails_in_envoy_too():
    project, results = _shop_results()
    case = results[0].case.model_copy(update={"upstream": None, "status": 404})
    from meshdesigner.analysis.route_tests import run_case

    result = run_case(project, case)
    run_through_envoy(project, [result])
    assert not result.passed
    assert result.results[0].envoy_failures == [("status", "status is 200, not 404")]


def test_a_simulator_envoy_disagreement_is_reported_as_a_defect():
    project, results = _shop_results()
    lying = results[2].results[0]          # the redirect case: pretend the simulator said "routed"
    lying.observation.outcome = "routed"
    run_through_envoy(project, results)
    assert lying.disagreements and "simulator routed, Envoy redirect" in lying.disagreements[0]
    text = format_text(results, envoy=True)
    assert "MESHDESIGNER DEFECT" in text and "a defect of MeshDesigner" in text


def test_validator_examples_through_envoy_with_known_differences_proven():
    tests, manifests = split_paths([str(validator_folder())])
    project = import_manifests(manifests).project
    cases = [(lc.case, f"{lc.file}:{lc.line}") for f in tests for lc in load_test_file(f)]
    results = run_cases(project, cases)
    run_through_envoy(project, results)
    for case in results:
        for res in case.results:
            assert res.envoy is not None, res.envoy_note
            assert not res.disagreements, (case.name, res.request.label(), res.disagreements)
            assert not res.envoy_failures or case.name in KNOWN_DIFFERENCES
        if case.name in KNOWN_DIFFERENCES:  # Envoy's own answer: 404 route_not_found, no backend
            assert {(r.envoy.outcome, r.envoy.status, r.envoy.backend) for r in case.results} == {
                ("no_route", 404, None)}
        else:
            assert case.passed, case.first_failure()


def test_cli_envoy_exit_codes(tmp_path):
    done = subprocess.run([sys.executable, "-m", "meshdesigner", "test", str(SHOP.parent), "--envoy"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "through the simulator and real Envoy" in done.stdout


# Two Gateways on the pods labelled istio=ingressgateway, each with its own host and VirtualService.
TWO_GATEWAYS_ONE_WORKLOAD = (ROOT / "tests" / "envoy" / "data" / "two-gateways-one-workload.yaml").read_text()
TWO_GATEWAYS_CASES = """
testCases:
- description: the shop through its gateway
  entry: {gateway: shop/shop-gw}
  request: {authority: [shop.example.com], uri: [/]}
  route:
  - destination: {host: web.shop.svc.cluster.local, port: {number: 8080}}
- description: the blog through its gateway
  entry: {gateway: blog/blog-gw}
  request: {authority: [blog.example.com], uri: [/]}
  route:
  - destination: {host: posts.blog.svc.cluster.local, port: {number: 8080}}
- description: the blog through the shop's gateway (one Envoy serves both Gateways' hosts)
  entry: {gateway: shop/shop-gw}
  request: {authority: [blog.example.com], uri: [/]}
  route:
  - destination: {host: posts.blog.svc.cluster.local, port: {number: 8080}}
"""


def test_gateways_on_the_same_pods_are_tried_in_one_envoy(tmp_path, monkeypatch):
    import meshdesigner.live.route_tests as live

    design, cases_file = tmp_path / "design.yaml", tmp_path / "cases_test.yaml"
    design.write_text(TWO_GATEWAYS_ONE_WORKLOAD)
    cases_file.write_text(TWO_GATEWAYS_CASES)
    project = import_manifests([str(design)]).project
    results = run_cases(project, [(lc.case, f"{lc.file}:{lc.line}") for lc in load_test_file(str(cases_file))])
    started = []

    class CountedTrial(live.EnvoyTrial):
        def __init__(self, label, build, hosts):
            started.append(label)
            super().__init__(label, build, hosts)

    monkeypatch.setattr(live, "EnvoyTrial", CountedTrial)
    run_through_envoy(project, results)
    for case in results:
        assert case.passed, case.first_failure()
        assert case.results[0].envoy.backend == case.results[0].observation.destinations[0]["cluster"]
    # Istio runs one Envoy for the pods labelled istio=ingressgateway, whichever Gateway a request names
    assert started == ["gateway workload envoy/istio-ingressgateway.yaml, serving blog/blog-gw, shop/shop-gw"]
