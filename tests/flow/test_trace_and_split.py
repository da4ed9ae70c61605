"""A simulated request as a path through the flow, and the traffic split of N simulated requests."""

from __future__ import annotations

import pathlib

import pytest

from meshdesigner.analysis.flow import INTERNET, compute_flow, trace
from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.analysis.split import sample_request, sample_weights, send_requests, weighted_rules
from meshdesigner.io.project_file import load_project

# The bundled examples (repository files; the oracle is reached through tests/conftest.py).
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def traced(name: str, gateway: str, request: Request):
    project = load_project(EXAMPLES / name)
    result = simulate(project, gateway, request)
    return result, trace(compute_flow(project), project, result)


def test_seed_request_lights_client_gateway_rule_and_service():
    result, path = traced("seed.mesh.yaml", "default/ext-host-gwy", Request("https://ext-host.example.com/"))
    assert result.outcome == "routed"
    assert path.nodes == [INTERNET, "node:ingress-gateway:default/ext-host-gwy",
                          "router:virtual-service:default/virtual-svc@routing", "node:mesh-service:default/my-svc"]
    assert path.rows == {"node:ingress-gateway:default/ext-host-gwy": {"server:0"},
                         "router:virtual-service:default/virtual-svc@routing": {"rule:http:0"}}
    assert path.model_edges == [
        ("ingress-gateway:default/ext-host-gwy", "virtual-service:default/virtual-svc", "binds", "spec.gateways[0]"),
        ("virtual-service:default/virtual-svc", "mesh-service:default/my-svc", "routes",
         "spec.http[0].route[0].destination")]


def test_header_match_picks_the_tester_rule():
    result, path = traced("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway",
                          Request("http://bookinfo.example.com/productpage", headers={"end-user": "jason"}))
    assert (result.rule_index, [d["subset"] for d in result.destinations]) == (0, ["v2"])
    router = "router:virtual-service:bookinfo/bookinfo@routing"
    assert path.rows[router] == {"rule:http:0"}
    assert path.edges[-1] == f"{router}[rule:http:0]->node:mesh-service:bookinfo/productpage#0"
    assert [e[3] for e in path.model_edges if e[2] == "routes"] == ["spec.http[0].route[0].destination"]


def test_canary_request_lights_both_weighted_destinations():
    _result, path = traced("bookinfo.mesh.yaml", "bookinfo/bookinfo-gateway",
                           Request("http://bookinfo.example.com/productpage"))
    assert [e[3] for e in path.model_edges if e[2] == "routes"] == [
        "spec.http[1].route[0].destination", "spec.http[1].route[1].destination"]
    # The tester rule was tried first and passed over; the path says why.
    assert path.skipped == {"router:virtual-service:bookinfo/bookinfo@routing": {
        "rule:http:0": "header end-user is missing; the rule requires it equals 'jason'"}}


def test_egress_request_crosses_the_second_hop():
    result, path = traced("egress.mesh.yaml", "istio-system/istio-egressgateway",
                          Request("tls://api.payments.example.com:443", sni="api.payments.example.com"))
    assert result.section == "tls" and result.rule_index == 1
    assert path.nodes == ["node:egress-gateway:istio-system/istio-egressgateway",
                          "router:virtual-service:default/payments-via-egress@egress",
                          "node:external-service:default/payments-api"]


def test_a_request_that_stops_lights_only_as_far_as_it_got():
    result, path = traced("public-private.mesh.yaml", "edge/public-gateway", Request("http://shop.example.com/"))
    assert result.outcome == "redirect"
    assert path.nodes == [INTERNET, "node:ingress-gateway:edge/public-gateway"]
    assert path.rows == {"node:ingress-gateway:edge/public-gateway": {"server:1"}}
    result, path = traced("seed.mesh.yaml", "default/ext-host-gwy", Request("http://ext-host.example.com:8080/"))
    assert result.outcome == "no_listener" and path.nodes == ["node:ingress-gateway:default/ext-host-gwy"]
    assert path.edges == [] and path.model_edges == []


# ----- traffic split ------------------------------------------------------------------------------
def test_weighted_rules_of_the_examples():
    project = load_project(EXAMPLES / "bookinfo.mesh.yaml")
    rules = {r.title: r.shares for r in weighted_rules(project)}
    assert rules == {'bookinfo/bookinfo rule 2 "productpage-canary"': {"productpage v1": 90.0, "productpage v2": 10.0},
                     'bookinfo/reviews rule 1 "reviews-shift"': {"reviews v1": 80.0, "reviews v3": 20.0}}


@pytest.mark.parametrize("name", ["bookinfo.mesh.yaml", "tcp.mesh.yaml"])
def test_n_simulated_requests_follow_the_configured_split(name):
    project = load_project(EXAMPLES / name)
    rule = next(r for r in weighted_rules(project) if sample_request(project, r) is not None)
    gateway, request = sample_request(project, rule)
    run = send_requests(project, gateway, request, 2000, seed=3)
    assert (run.virtual_service, run.rule_index, run.section) == (rule.virtual_service, rule.index, rule.section)
    assert sum(run.counts.values()) == 2000 and set(run.counts) == set(rule.shares)
    for label, share in rule.shares.items():
        assert run.percentages()[label] == pytest.approx(share, abs=3.0)
    again = send_requests(project, gateway, request, 2000, seed=3)
    assert again.counts == run.counts, "the same seed gives the same counts"


def test_requests_that_are_not_routed_are_counted_by_outcome():
    project = load_project(EXAMPLES / "seed.mesh.yaml")
    run = send_requests(project, "default/ext-host-gwy", Request("https://nope.example.com/"), 10)
    assert dict(run.counts) == {"(tls no match)": 10}, "SNI nope.example.com matches no server"


def test_mesh_only_rules_are_sampled_from_their_weights():
    project = load_project(EXAMPLES / "bookinfo.mesh.yaml")
    rule = next(r for r in weighted_rules(project) if r.virtual_service == "bookinfo/reviews")
    assert sample_request(project, rule) is None
    run = sample_weights(rule, 1000, seed=5)
    assert run.percentages()["reviews v1"] == pytest.approx(80.0, abs=4.0)
    assert sample_weights(rule, 1000, seed=5).counts == run.counts
