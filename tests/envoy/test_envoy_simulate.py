"""The simulator's answers and explanations (no Envoy here; the differential test compares with Envoy)."""

from __future__ import annotations

import json
import pathlib

import pytest

from conftest import EXAMPLES, SAMPLES
from meshdesigner.analysis import simulate as sim
from meshdesigner.analysis.simulate import Request, add_step, remove_step, resolve_gateway, simulate
from meshdesigner.cli import main
from meshdesigner.cli.common import open_design
from meshdesigner.io.importer import import_manifests

FEATURES = pathlib.Path(__file__).parent / "data" / "features.yaml"


@pytest.fixture(scope="module")
def shop():
    return import_manifests([str(FEATURES)]).project


@pytest.fixture(scope="module")
def bookinfo():
    return open_design(str(EXAMPLES / "bookinfo.mesh.yaml"))[0]


def test_routed_with_the_reasons_earlier_rules_did_not_match(bookinfo):
    result = simulate(bookinfo, "bookinfo-gateway", Request("http://bookinfo.example.com/productpage"))
    assert result.outcome == "routed"
    assert (result.virtual_service, result.rule_index, result.match_index) == ("bookinfo/bookinfo", 1, 0)
    assert [(d["subset"], d["weight"]) for d in result.destinations] == [("v1", 90), ("v2", 10)]
    assert result.skipped == [{"virtual_service": "bookinfo/bookinfo", "rule_index": 0, "match_index": 0,
                               "reason": "header end-user is missing; the rule requires it equals 'jason'"}]
    assert any("spec.http[0].match[0] does not match: header end-user is missing" in e for e in result.explanation)
    jason = simulate(bookinfo, "bookinfo/bookinfo-gateway",
                     Request("http://bookinfo.example.com/productpage", headers={"End-User": "jason"}))
    assert (jason.rule_index, jason.destinations[0]["subset"]) == (0, "v2")


@pytest.mark.parametrize(("url", "outcome", "words"), [
    ("http://bookinfo.example.com:8080/", "no_listener", "no listener on port 8080"),
    ("https://bookinfo.example.com/", "no_listener", "listens on: 80"),
    ("http://elsewhere.example.com/", "no_virtual_host", "matches no virtual host"),
    ("http://bookinfo.example.com/nope", "no_route", "404"),
    ("http://bookinfo.example.com/healthz", "direct_response", "answers directly"),
])
def test_failures_and_direct_answers_in_plain_words(bookinfo, url, outcome, words):
    result = simulate(bookinfo, "bookinfo-gateway", Request(url))
    assert result.outcome == outcome
    assert words in " ".join(result.explanation)


def test_tls_facts_sni_and_redirects(shop):
    ok = simulate(shop, "shop-gateway", Request("https://shop.example.com/api/x"))
    assert ok.outcome == "routed"
    assert ok.tls == {"mode": "SIMPLE", "terminated": True, "sni": "shop.example.com",
                      "server_names": ["shop.example.com"], "client_certificate": False, "credential": "shop-cert"}
    wrong = simulate(shop, "shop-gateway", Request("https://shop.example.com/", sni="nope.example.com"))
    assert wrong.outcome == "tls_no_match" and "nope.example.com" in wrong.explanation[-1]
    plain_to_tls = simulate(shop, "shop-gateway", Request("http://shop.example.com:443/"))
    assert plain_to_tls.outcome == "tls_no_match"
    redirect = simulate(shop, "shop-gateway", Request("http://secure.example.com:8080/a?b=1"))
    assert (redirect.outcome, redirect.status) == ("redirect", 301)
    assert redirect.redirect["location"] == "https://secure.example.com:8080/a?b=1"
    moved = simulate(shop, "shop-gateway", Request("http://shop.example.com/moved/x"))
    assert moved.redirect["location"] == "https://new.example.com/moved/x"


def test_policies_are_reported(shop):
    api = simulate(shop, "shop-gateway", Request("http://shop.example.com/api/x"))
    assert api.timeout == "5s"
    assert api.retries["num_retries"] == 3 and api.retries["retriable_status_codes"] == [503]
    broken = simulate(shop, "shop-gateway", Request("http://shop.example.com/broken"))
    assert (broken.outcome, broken.status, broken.fault["abort"]["http_status"]) == ("routed", 503, 503)
    items = simulate(shop, "shop-gateway", Request("http://shop.example.com/items/7?v=2"))
    assert items.rewrite == {"uriRegexRewrite": {"match": "^/items/(.*)$", "rewrite": "/\\1"}}
    cors = simulate(shop, "shop-gateway", Request("http://shop.example.com/cors"))
    assert cors.mirrors[0]["percent"] == 50 and cors.cors["allow_methods"] == "GET,POST"
    assert cors.headers["request_headers_to_add"][0]["header"] == {"key": "x-gw", "value": "shop"}


def test_tcp_and_passthrough(shop):
    tcp = simulate(shop, "shop-gateway", Request("tcp://x:9000"))
    assert (tcp.outcome, tcp.section, tcp.virtual_service) == ("routed", "tcp", "shop/tcp")
    assert [d["weight"] for d in tcp.destinations] == [50, 50]
    db = simulate(shop, "shop-gateway", Request("tls://db.example.com:9443"))
    assert db.tls["terminated"] is False and db.destinations[0]["host"] == "db.example.com"


def test_wildcard_hosts_follow_envoy_domain_rules(shop):
    assert simulate(shop, "shop-gateway", Request("http://a.wild.example.com/")).rule_index == 0
    assert simulate(shop, "shop-gateway", Request("http://b.wild.example.com/")).rule_index == 1
    assert simulate(shop, "shop-gateway", Request("http://wild.example.com/")).outcome == "no_virtual_host"


def test_extension_step_can_deny(shop):
    def firewall(ctx):
        if ctx.http.headers.get("x-evil"):
            return ctx.deny(403, "The firewall blocks requests with x-evil.")
        return None

    add_step("firewall", firewall, before="route")
    try:
        assert [n for n, _ in sim.STEPS].index("firewall") == [n for n, _ in sim.STEPS].index("route") - 1
        denied = simulate(shop, "shop-gateway", Request("http://shop.example.com/", headers={"x-evil": "1"}))
        assert (denied.outcome, denied.status, denied.explanation[-1]) == (
            "denied", 403, "The firewall blocks requests with x-evil.")
        assert simulate(shop, "shop-gateway", Request("http://shop.example.com/")).outcome == "routed"
    finally:
        remove_step("firewall")
    assert "firewall" not in [n for n, _ in sim.STEPS]


def test_edits_are_seen_and_gateway_lookup(bookinfo):
    project = bookinfo.copy()
    assert simulate(project, "bookinfo-gateway", Request("http://bookinfo.example.com/healthz")).outcome == \
        "direct_response"
    vs_node = project.virtual_services()[0]
    spec = vs_node.virtual_service.spec
    spec = spec.model_copy(update={"http": spec.http[:1]})
    vs = vs_node.virtual_service.model_copy(update={"spec": spec})
    project.replace_node(vs_node.model_copy(update={"virtual_service": vs}))
    assert simulate(project, "bookinfo-gateway", Request("http://bookinfo.example.com/healthz")).outcome == "no_route"
    with pytest.raises(LookupError, match="no gateway 'nope'"):
        resolve_gateway(project, "nope")


def test_cli_json_and_text(capsys):
    seed = str(EXAMPLES / "seed.mesh.yaml")
    assert main(["simulate", seed, "--gateway", "default/ext-host-gwy", "--url", "https://ext-host.example.com/",
                 "--header", "x-a: 1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "routed" and data["virtual_service"] == "default/virtual-svc"
    assert data["rule_index"] == 0 and isinstance(data["explanation"], list)
    assert data["destinations"] == [{"host": "my-svc.default.svc.cluster.local", "subset": None, "port": 80,
                                     "weight": 100, "cluster": "outbound|80||my-svc.default.svc.cluster.local"}]
    assert main(["simulate", seed, "--gateway", "ext-host-gwy", "--url", "https://x.example.com/"]) == 0
    assert "tls_no_match" in capsys.readouterr().out
    assert main(["simulate", seed, "--gateway", "nope", "--url", "http://x/"]) == 2
    assert main(["simulate", seed, "--gateway", "ext-host-gwy", "--url", "http://x/", "--header", "bad"]) == 2


def test_404_explanations_name_the_likely_cause(tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: ns}\n"
        "spec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
        "    hosts: [ns/a.example.com, other/b.example.com]\n---\n"
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: ns}\n"
        "spec:\n  hosts: [a.example.com, b.example.com]\n  gateways: [gw]\n"
        "  http:\n  - route: [{destination: {host: web}}]\n")
    project = import_manifests([str(path)]).project
    result = simulate(project, "gw", Request("http://b.example.com/"))
    assert result.outcome == "no_virtual_host"
    assert ("VirtualService ns/vs lists host 'b.example.com', but no server host on port 80 covers it for "
            "namespace ns") in " ".join(result.explanation)
    seed = import_manifests([str(SAMPLES / "docs-concepts-ext-host-gwy.yaml")]).project
    blackhole = simulate(seed, "ext-host-gwy", Request("https://ext-host/"))
    assert blackhole.outcome == "no_route"
    assert "ext-svc.default.svc.cluster.local (short names expand" in " ".join(blackhole.explanation)
