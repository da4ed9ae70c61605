"""The Envoy export's shape: istiod's names, options for a local trial, TLS, determinism, CLI."""

from __future__ import annotations

import pathlib
import textwrap

import pytest
import yaml

from conftest import EXAMPLES, SAMPLES
from meshdesigner.cli import main
from meshdesigner.cli.common import open_design
from meshdesigner.export.envoy import (
    Address,
    EnvoyOptions,
    build_plan,
    export_envoy_files,
    gateway_bootstrap,
    load_endpoints,
    parse_port_map,
)
from meshdesigner.io.errors import InputError
from meshdesigner.io.importer import import_manifests

FEATURES = pathlib.Path(__file__).parent / "data" / "features.yaml"


def design(path):
    return open_design(str(path))[0]


def only_gateway(project, name=None):
    gateways = [g for g in project.gateways() if name is None or g.gateway.name == name]
    assert len(gateways) == 1
    return gateways[0]


def manifests(tmp_path, text: str):
    path = tmp_path / "design.yaml"
    path.write_text(textwrap.dedent(text))
    return import_manifests([str(path)]).project


def listeners(bootstrap):
    return {lst["name"]: lst for lst in bootstrap["static_resources"]["listeners"]}


def clusters(bootstrap):
    return {c["name"]: c for c in bootstrap["static_resources"]["clusters"]}


def hcm(chain):
    return next(f for f in chain["filters"] if f["name"] == "envoy.filters.network.http_connection_manager")[
        "typed_config"]


# ----- istiod's names -----------------------------------------------------------------------------
def test_seed_follows_istiod_names():
    project = design(EXAMPLES / "seed.mesh.yaml")
    boot = gateway_bootstrap(project, only_gateway(project), EnvoyOptions())
    (name, listener), = listeners(boot).items()
    assert name == "0.0.0.0_443"
    assert listener["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": 443}
    chain, = listener["filter_chains"]
    assert chain["filter_chain_match"] == {"server_names": ["ext-host.example.com"]}
    tls = chain["transport_socket"]["typed_config"]
    assert tls["require_client_certificate"] is False
    secret = "file-cert:/etc/certs/servercert.pem~/etc/certs/privatekey.pem"
    assert tls["common_tls_context"]["tls_certificate_sds_secret_configs"] == [{"name": secret}]
    assert boot["static_resources"]["secrets"][0]["tls_certificate"]["private_key"] == {
        "filename": "/etc/certs/privatekey.pem"}
    route_config = hcm(chain)["route_config"]
    assert route_config["name"] == "https.443.https.ext-host-gwy.default"
    vhost, = route_config["virtual_hosts"]
    assert (vhost["name"], vhost["domains"]) == ("ext-host.example.com:443", ["ext-host.example.com"])
    cluster, = clusters(boot).values()
    assert cluster["name"] == "outbound|80||my-svc.default.svc.cluster.local"
    assert cluster["type"] == "STRICT_DNS"
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert endpoint["socket_address"] == {"address": "my-svc.default.svc.cluster.local", "port_value": 80}
    assert boot["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    http_filters = [f["name"] for f in hcm(chain)["http_filters"]]
    assert http_filters[-1] == "envoy.filters.http.router"


def test_plain_http_servers_share_http_port_route_config_and_weights():
    project = design(EXAMPLES / "bookinfo.mesh.yaml")
    boot = gateway_bootstrap(project, only_gateway(project))
    chain, = listeners(boot)["0.0.0.0_80"]["filter_chains"]
    assert "filter_chain_match" not in chain and "transport_socket" not in chain
    assert "listener_filters" not in listeners(boot)["0.0.0.0_80"]
    routes = hcm(chain)["route_config"]["virtual_hosts"][0]["routes"]
    assert hcm(chain)["route_config"]["name"] == "http.80"
    weighted = next(r for r in routes if r.get("name") == "productpage-canary")
    assert weighted["route"]["weighted_clusters"]["clusters"] == [
        {"name": "outbound|9080|v1|productpage.bookinfo.svc.cluster.local", "weight": 90},
        {"name": "outbound|9080|v2|productpage.bookinfo.svc.cluster.local", "weight": 10}]
    assert routes[0]["match"]["headers"] == [{"name": "end-user", "string_match": {"exact": "jason"}}]
    assert any("direct_response" in r for r in routes)


def test_vs_short_host_gives_the_blackhole_vhost_as_in_istio():
    """The docs seed: VS host ``ext-svc`` expands to ext-svc.default.svc.cluster.local, which no server host
    covers, so istiod builds only the 404 blackhole virtual host."""
    project = design(SAMPLES / "docs-concepts-ext-host-gwy.yaml")
    boot = gateway_bootstrap(project, only_gateway(project))
    vhost, = hcm(next(iter(listeners(boot).values()))["filter_chains"][0])["route_config"]["virtual_hosts"]
    assert vhost == {"name": "blackhole:443", "domains": ["*"], "include_request_attempt_count": True, "routes": []}


def test_passthrough_and_tcp_chains():
    project = import_manifests([str(FEATURES)]).project
    boot = gateway_bootstrap(project, only_gateway(project))
    passthrough = listeners(boot)["0.0.0.0_9443"]
    assert passthrough["listener_filters"][0]["name"] == "envoy.filters.listener.tls_inspector"
    names = [c["filter_chain_match"]["server_names"] for c in passthrough["filter_chains"]]
    assert names == [["db.example.com"], ["cache.example.com"]]
    assert all("transport_socket" not in c for c in passthrough["filter_chains"])
    tcp = listeners(boot)["0.0.0.0_9000"]["filter_chains"][0]["filters"][-1]["typed_config"]
    assert tcp["stat_prefix"] == "tcp.shop"
    assert [c["weight"] for c in tcp["weighted_clusters"]["clusters"]] == [50, 50]
    # an HTTPS server per host on 443, each with its route configuration
    https = listeners(boot)["0.0.0.0_443"]["filter_chains"]
    assert sorted(hcm(c)["route_config"]["name"] for c in https) == [
        "https.443.https-secure.shop-gateway.shop", "https.443.https-shop.shop-gateway.shop"]
    redirect = listeners(boot)["0.0.0.0_8080"]["filter_chains"][0]
    assert hcm(redirect)["route_config"]["virtual_hosts"][0]["require_tls"] == "ALL"


def test_route_features_translate_like_pilot():
    project = import_manifests([str(FEATURES)]).project
    boot = gateway_bootstrap(project, only_gateway(project))
    vhosts = hcm(listeners(boot)["0.0.0.0_80"]["filter_chains"][0])["route_config"]["virtual_hosts"]
    routes = {r.get("name"): r for r in next(v for v in vhosts if v["name"] == "shop.example.com:80")["routes"]}
    api = routes["api-weighted"]["route"]
    assert api["timeout"] == "5s"
    assert api["retry_policy"]["retry_on"] == "5xx,retriable-status-codes"
    assert api["retry_policy"]["retriable_status_codes"] == [503]
    assert api["retry_policy"]["per_try_timeout"] == "1s"
    items = routes["items"]
    assert items["match"]["safe_regex"] == {"regex": "^/items/[0-9]+$"}
    assert items["match"]["query_parameters"] == [{"name": "v", "string_match": {"exact": "2"}}]
    assert items["route"]["regex_rewrite"] == {"pattern": {"regex": "^/items/(.*)$"}, "substitution": "/\\1"}
    assert routes["case"]["match"]["case_sensitive"] is False
    assert routes["not-internal"]["match"]["headers"] == [
        {"name": "x-internal", "present_match": True, "invert_match": True}]
    assert routes["old"]["redirect"] == {"path_redirect": "/new", "response_code": "FOUND"}
    assert routes["teapot"]["direct_response"] == {"status": 418}
    fault = routes["broken"]["typed_per_filter_config"]["envoy.filters.http.fault"]
    assert fault["abort"] == {"http_status": 503, "percentage": {"numerator": 1000000, "denominator": "MILLION"}}
    cors = routes["cors-and-headers"]
    assert cors["typed_per_filter_config"]["envoy.filters.http.cors"]["max_age"] == "86400"
    assert cors["request_headers_to_add"] == [{"header": {"key": "x-gw", "value": "shop"},
                                               "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}]
    assert cors["response_headers_to_remove"] == ["server-timing"]
    assert cors["route"]["request_mirror_policies"][0]["runtime_fraction"]["default_value"]["numerator"] == 500000
    assert routes["method-post"]["match"]["headers"] == [{"name": ":method", "string_match": {"exact": "POST"}}]
    # the rule with match.port 8080 is not on port 80; the catch-all comes last
    assert "port-8080-only" not in routes
    assert list(routes)[-1] == "default"


def test_catch_all_of_one_virtual_service_moves_behind_another_and_ends_its_own(tmp_path):
    project = manifests(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["ns/a.example.com", "other/b.example.com"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a1, namespace: ns}
        spec:
          hosts: [a.example.com]
          gateways: [gw]
          http:
          - route: [{destination: {host: first}}]
          - match: [{uri: {prefix: /never}}]
            route: [{destination: {host: never}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a2, namespace: ns}
        spec:
          hosts: [a.example.com, b.example.com]
          gateways: [ns/gw]
          http:
          - match: [{uri: {prefix: /x}, gateways: [ns/gw]}]
            route: [{destination: {host: second}}]
          - match: [{uri: {prefix: /y}, gateways: [mesh]}]
            route: [{destination: {host: mesh-only}}]
        """)
    plan = build_plan(project, only_gateway(project))
    vhosts = plan.listeners[0].chains[0].route_config.virtual_hosts
    assert [v.name for v in vhosts] == ["a.example.com:80"]  # b.example.com only admits namespace "other"
    clusters_in_order = [r.destinations[0].host for r in vhosts[0].routes]
    assert clusters_in_order == ["second.ns.svc.cluster.local", "first.ns.svc.cluster.local"]


def test_duplicate_tls_host_on_a_port_is_skipped_with_a_note(tmp_path):
    project = manifests(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 443, name: one, protocol: HTTPS}
            hosts: [a.example.com]
            tls: {mode: SIMPLE, credentialName: one}
          - port: {number: 443, name: two, protocol: HTTPS}
            hosts: [a.example.com]
            tls: {mode: SIMPLE, credentialName: two}
          - port: {number: 443, name: plain, protocol: HTTP}
            hosts: [b.example.com]
          - port: {number: 443, name: raw, protocol: TCP}
            hosts: [c.example.com]
        """)
    plan = build_plan(project, only_gateway(project))
    # mergeGateways: the second HTTPS server repeats a TLS host (CheckDuplicates: skipped); a plain HTTP
    # server after TLS servers on the port gets a chain of its own (no SNI match); a TCP server after
    # that plain HTTP server cannot merge with it (canMergeProtocols: skipped).
    assert [c.server_class for c in plan.listeners[0].chains] == ["https", "http"]
    assert [d.code for d in plan.drops] == ["MD0803", "MD0802"]
    assert any("already served with TLS on port 443" in n for n in plan.notes)
    assert any("cannot share port 443" in n for n in plan.notes)
    text = export_envoy_files(project)["envoy/all-gateway-proxies.yaml"]  # no selector
    assert "# note: Gateway ns/gw spec.servers[1]" in text


def test_mutual_optional_and_istio_mutual_tls(tmp_path):
    project = manifests(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 443, name: m, protocol: HTTPS}
            hosts: [m.example.com]
            tls: {mode: MUTUAL, credentialName: m-cred}
          - port: {number: 443, name: o, protocol: HTTPS}
            hosts: [o.example.com]
            tls: {mode: OPTIONAL_MUTUAL, serverCertificate: /c/tls.crt, privateKey: /c/tls.key,
                  caCertificates: /c/ca.crt, subjectAltNames: [client.example.com]}
          - port: {number: 443, name: i, protocol: HTTPS}
            hosts: [i.example.com]
            tls: {mode: ISTIO_MUTUAL}
        """)
    options = EnvoyOptions(credentials_dir="/creds")
    boot = gateway_bootstrap(project, only_gateway(project), options)
    contexts = {c["filter_chain_match"]["server_names"][0]: c["transport_socket"]["typed_config"]
                for c in listeners(boot)["0.0.0.0_443"]["filter_chains"]}
    mutual = contexts["m.example.com"]
    assert mutual["require_client_certificate"] is True
    assert mutual["common_tls_context"]["validation_context_sds_secret_config"] == {"name": "kubernetes://m-cred-cacert"}
    optional = contexts["o.example.com"]
    assert optional["require_client_certificate"] is False
    combined = optional["common_tls_context"]["combined_validation_context"]
    assert combined["validation_context_sds_secret_config"] == {"name": "file-root:/c/ca.crt"}
    assert contexts["i.example.com"]["common_tls_context"]["tls_certificate_sds_secret_configs"] == [{"name": "default"}]
    secrets = {s["name"]: s for s in boot["static_resources"]["secrets"]}
    assert secrets["kubernetes://m-cred"]["tls_certificate"]["certificate_chain"] == {"filename": "/creds/m-cred/tls.crt"}
    assert secrets["kubernetes://m-cred-cacert"]["validation_context"]["trusted_ca"] == {"filename": "/creds/m-cred/ca.crt"}
    assert secrets["ROOTCA"]["validation_context"]["trusted_ca"] == {"filename": "/creds/default/ca.crt"}


def test_egress_tls_origination_from_destination_rule():
    project = design(SAMPLES / "docs-egress-gateway-tls-origination-istio-mutual.yaml")
    boot = gateway_bootstrap(project, only_gateway(project, "istio-egressgateway"))
    cluster = clusters(boot)["outbound|443||edition.cnn.com"]
    upstream = cluster["transport_socket"]["typed_config"]
    # SIMPLE without sni and caCertificates (constructUpstreamTLS, setAutoSniAndAutoSanValidation): SNI and
    # the SAN check come from the request's host, and the server is verified against the system roots.
    assert "sni" not in upstream
    options = cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert options["upstream_http_protocol_options"] == {"auto_sni": True, "auto_san_validation": True}
    assert upstream["common_tls_context"]["validation_context_sds_secret_config"] == {"name": "file-root:system"}
    chain, = listeners(boot)["0.0.0.0_80"]["filter_chains"]
    assert chain["transport_socket"]["typed_config"]["require_client_certificate"] is True  # ISTIO_MUTUAL


# ----- options for a trial on one machine ------------------------------------------------------------
def test_trial_options_endpoints_ports_and_admin(tmp_path):
    project = design(EXAMPLES / "bookinfo.mesh.yaml")
    endpoints = {"productpage.bookinfo.svc.cluster.local:9080": Address("127.0.0.1", 9001),
                 "outbound|9080|v2|productpage.bookinfo.svc.cluster.local": Address("127.0.0.2", 9002),
                 "details.bookinfo.svc.cluster.local:9080": Address("details.local", 9003)}
    options = EnvoyOptions(endpoints=endpoints, listen_address="127.0.0.1", port_map={80: 18080}, admin_port=19111)
    boot = gateway_bootstrap(project, only_gateway(project), options)
    assert list(listeners(boot)) == ["127.0.0.1_18080"]
    assert boot["admin"]["address"]["socket_address"]["port_value"] == 19111
    by_name = clusters(boot)

    def address(name):
        return by_name[name]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
            "socket_address"]

    v1 = "outbound|9080|v1|productpage.bookinfo.svc.cluster.local"
    v2 = "outbound|9080|v2|productpage.bookinfo.svc.cluster.local"
    assert (by_name[v1]["type"], address(v1)) == ("STATIC", {"address": "127.0.0.1", "port_value": 9001})
    assert (by_name[v2]["type"], address(v2)) == ("STATIC", {"address": "127.0.0.2", "port_value": 9002})
    details = "outbound|9080||details.bookinfo.svc.cluster.local"
    assert by_name[details]["type"] == "STRICT_DNS" and address(details)["address"] == "details.local"


def test_parse_port_map_and_endpoints_file(tmp_path):
    assert parse_port_map("443:18443, 80:18080") == {443: 18443, 80: 18080}
    for bad in ("443", "443:x", "0:1", "80:70000"):
        with pytest.raises(ValueError):
            parse_port_map(bad)
    good = tmp_path / "endpoints.yaml"
    good.write_text("web.shop.svc.cluster.local:80: 127.0.0.1:8080\n'outbound|80|v1|web.shop.svc.cluster.local': '[::1]:81'\n")
    assert load_endpoints(str(good)) == {"web.shop.svc.cluster.local:80": Address("127.0.0.1", 8080),
                                         "outbound|80|v1|web.shop.svc.cluster.local": Address("::1", 81)}
    bad = tmp_path / "bad.yaml"
    bad.write_text("web:80: 127.0.0.1:8080\nweb:81: nowhere\n")
    with pytest.raises(InputError) as err:
        load_endpoints(str(bad))
    assert "bad.yaml:2" in str(err.value) and "ADDRESS:PORT" in str(err.value)


# ----- purity ---------------------------------------------------------------------------------------
def test_export_is_deterministic_and_pure():
    project = import_manifests([str(FEATURES)]).project
    before = project.copy()
    first = export_envoy_files(project)
    assert export_envoy_files(project.copy()) == first
    assert project == before


# ----- the export command -----------------------------------------------------------------------------
def test_cli_export_envoy_writes_one_file_per_gateway_workload(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", str(EXAMPLES / "public-private.mesh.yaml"), "-o", str(out), "--envoy",
                 "--listen-address", "127.0.0.1", "--port-map", "443:18443,80:18080", "--admin-port", "19200",
                 "--credentials", str(tmp_path / "creds")]) == 0
    files = sorted(p.name for p in (out / "envoy").iterdir())
    # public-gateway selects istio=ingressgateway, private-gateway istio=internal-ingressgateway
    assert files == ["istio-ingressgateway.yaml", "istio-internal-ingressgateway.yaml"]
    text = (out / "envoy" / "istio-ingressgateway.yaml").read_text()
    assert "# Gateways it serves" in text and "#   edge/public-gateway\n" in text and "private-gateway" not in text
    boot = yaml.safe_load(text)
    assert "127.0.0.1_18443" in listeners(boot) and boot["admin"]["address"]["socket_address"]["port_value"] == 19200
    assert str(tmp_path / "creds" / "shop-example-com-cert" / "tls.crt") in text


def test_cli_trial_options_need_envoy_and_bad_values_write_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    seed = str(EXAMPLES / "seed.mesh.yaml")
    assert main(["export", seed, "-o", str(out), "--port-map", "443:18443"]) == 2
    assert "add --envoy" in capsys.readouterr().err
    assert main(["export", seed, "-o", str(out), "--envoy", "--port-map", "443-18443"]) == 2
    assert "--port-map" in capsys.readouterr().err
    missing = tmp_path / "nope.yaml"
    assert main(["export", seed, "-o", str(out), "--envoy", "--endpoints", str(missing)]) == 2
    assert not out.exists()


def test_cli_export_refuses_error_diagnostics_and_writes_nothing(tmp_path, capsys):
    project = manifests(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [a.example.com]
            tls: {mode: SIMPLE}
        """)
    from meshdesigner.analysis import analyze

    assert any(d.severity == "error" for d in analyze(project))
    out = tmp_path / "out"
    assert main(["export", str(tmp_path / "design.yaml"), "-o", str(out), "--envoy"]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert not out.exists()
    assert main(["export", str(tmp_path / "design.yaml"), "-o", str(out), "--envoy", "--force"]) == 0
    assert (out / "envoy" / "all-gateway-proxies.yaml").exists()


def test_rule_without_action_is_skipped_with_a_note(tmp_path):
    project = manifests(tmp_path, """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [a.example.com]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: ns}
        spec:
          hosts: [a.example.com]
          gateways: [gw]
          http:
          - match: [{uri: {prefix: /empty}}]
          - route: [{destination: {host: web}, weight: 0}, {destination: {host: api}, weight: 0}]
        """)
    plan = build_plan(project, only_gateway(project))
    routes = plan.listeners[0].chains[0].route_config.virtual_hosts[0].routes
    assert [r.rule_index for r in routes] == [1]
    assert [d.weight for d in routes[0].destinations] == [1, 1]
    assert any("spec.http[0]: has no route" in n for n in plan.notes)


def test_cli_relative_files_root_and_credentials_become_absolute(tmp_path, monkeypatch, capsys):
    """A config written with relative --files-root/--credentials must work from any folder Envoy starts in."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(EXAMPLES / "seed.mesh.yaml"), "-o", "seed", "--envoy", "--files-root", "root"]) == 0
    text = (tmp_path / "seed" / "envoy" / "app-my-gateway-controller.yaml").read_text()
    assert f"filename: {tmp_path / 'root' / 'etc' / 'certs' / 'privatekey.pem'}" in text
    assert "filename: root/" not in text
    assert main(["export", str(EXAMPLES / "public-private.mesh.yaml"), "-o", "pp", "--envoy",
                 "--credentials", "creds"]) == 0
    text = (tmp_path / "pp" / "envoy" / "istio-ingressgateway.yaml").read_text()
    assert f"filename: {tmp_path / 'creds' / 'shop-example-com-cert' / 'tls.crt'}" in text
    assert "filename: creds/" not in text


def test_cli_export_warns_about_certificate_files_missing_here(tmp_path, capsys):
    """Exit 0 (right for a cluster), but one warning per config naming the files Envoy cannot load here."""
    out = tmp_path / "out"
    creds = tmp_path / "creds"
    assert main(["export", str(EXAMPLES / "public-private.mesh.yaml"), "-o", str(out), "--envoy",
                 "--credentials", str(creds)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: ") == 2
    private = err[err.index(f"warning: {out / 'envoy' / 'istio-internal-ingressgateway.yaml'}"):]
    assert str(creds / "admin-corp-example-com-cert" / "ca.crt") in private
    assert "--credentials DIR" in err and "--files-root DIR" in err and "meshdesigner cert create" in err
    for name in ("admin-corp-example-com-cert", "shop-example-com-cert"):
        (creds / name).mkdir(parents=True)
        for file in ("tls.crt", "tls.key", "ca.crt"):
            (creds / name / file).write_text("x")
    out2 = tmp_path / "out2"
    assert main(["export", str(EXAMPLES / "public-private.mesh.yaml"), "-o", str(out2), "--envoy",
                 "--credentials", str(creds)]) == 0
    assert "warning" not in capsys.readouterr().err
