"""Bad or odd designs never crash the Envoy export or the simulator."""

from __future__ import annotations

import sys
import textwrap

from hypothesis import HealthCheck, given, settings

from conftest import ROOT
from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.export.envoy import export_envoy_files
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.yamlio import load_documents

sys.path.insert(0, str(ROOT / "tests" / "core"))
from strategies import projects  # noqa: E402  (the core's design strategy)

REQUESTS = [Request("http://a.example.com/"), Request("https://a.example.com:443/x?y=1", sni=""),
            Request("tcp://a:9000"), Request("tls://b.example.com:8443"), Request("a.example.com/x")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(laid_out=False))
def test_any_design_exports_and_simulates(project):
    files = export_envoy_files(project)
    # one Envoy (one file) per distinct selector, every name a plain file in envoy/
    assert len(files) == len({frozenset((g.gateway.spec.selector or {}).items()) for g in project.gateways()})
    assert all(p.startswith("envoy/") and "/" not in p[6:] and p[6] != "." and p.endswith(".yaml") for p in files)
    served = 0
    for path, text in files.items():
        (doc,) = list(load_documents(text, path))
        assert doc.data["static_resources"]["listeners"] is not None
        served += sum(line.startswith("#   ") for line in text.splitlines())
    assert served >= len(project.gateways())  # each Gateway is listed at least by its own workload's file
    for gateway in project.gateways():
        for request in REQUESTS:
            result = simulate(project, gateway, request)
            assert result.outcome and result.explanation


def test_odd_values_give_notes_not_crashes(tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text(textwrap.dedent("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: ns}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 81, name: u, protocol: UDP}
            hosts: ["*"]
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [a.example.com]
          - port: {number: 9000, name: tcp, protocol: TCP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: ns}
        spec:
          hosts: ["*"]
          gateways: [gw]
          http:
          - match: [{uri: {regex: "(unclosed"}, headers: {X-Up: {regex: "["}}}]
            timeout: forever
            retries: {attempts: 2, perTryTimeout: soon, retryOn: ""}
            fault: {delay: {fixedDelay: never}, abort: {grpcStatus: NOPE}}
            route: [{destination: {host: web, port: {number: 8080}}}]
          - redirect: {uri: /x, redirectCode: 399}
        """))
    project = import_manifests([str(path)]).project
    (text,) = export_envoy_files(project).values()
    assert "# note: Gateway ns/gw spec.servers[1]: protocol UDP" in text
    assert "# note: Gateway ns/gw spec.servers[2]: protocol HTTPS" in text
    assert "no bound VirtualService has a matching tcp route" in text
    for url in ("http://x.example.com/anything", "http://x.example.com:81/", "https://a.example.com/",
                "tcp://x:9000"):
        result = simulate(project, "gw", Request(url))
        assert result.outcome in ("routed", "redirect", "no_route", "no_listener", "tls_no_match")
