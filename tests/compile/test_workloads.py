"""The compiler's workloads: Gateways selecting the same pods merge into one plan as istiod's mergeGateways
does; what istiod drops is an MD08xx drop and diagnostic. Expected answers are written from Istio's rules."""

from __future__ import annotations

import textwrap

import pytest

from conftest import ORACLE
from meshdesigner.analysis import analyze
from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.compile import (
    DEFAULT_ISTIO_VERSION,
    CompileOptions,
    compile_workloads,
    gateway_workloads,
    workload_drops,
    workload_for_gateway,
)
from meshdesigner.export.envoy import export_envoy_files
from meshdesigner.io.importer import import_manifests
from meshdesigner.model import ProjectSettings

TWO_GATEWAYS = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: blog-gw, namespace: blog}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [blog.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [shop-gw]
  http:
  - route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: blog, namespace: blog}
spec:
  hosts: [blog.example.com]
  gateways: [blog-gw]
  http:
  - route: [{destination: {host: posts}}]
"""


def design(tmp_path, text: str, settings: ProjectSettings | None = None):
    path = tmp_path / "design.yaml"
    path.write_text(textwrap.dedent(text))
    project = import_manifests([str(path)]).project
    if settings is not None:
        project.set_settings(settings)
    return project


def gateway(project, name):
    return next(g for g in project.gateways() if g.gateway.name == name)


def test_gateways_with_one_selector_share_one_workload_and_route_config(tmp_path):
    project = design(tmp_path, TWO_GATEWAYS)
    plans = compile_workloads(project)
    assert len(plans) == 1
    plan = plans[0]
    # sortConfigByCreationTime without times: name, then namespace -> blog-gw before shop-gw
    assert plan.gateway_refs == ["blog/blog-gw", "shop/shop-gw"]
    listener, = plan.listeners
    chain, = listener.chains                       # both HTTP servers on port 80: one chain, http.80
    assert chain.route_config.name == "http.80"
    assert [v.name for v in chain.route_config.virtual_hosts] == ["blog.example.com:80", "shop.example.com:80"]
    assert workload_for_gateway(project, "shop/shop-gw").gateway_refs == plan.gateway_refs


def test_a_sibling_gateways_host_is_served_through_either_gateway(tmp_path):
    project = design(tmp_path, TWO_GATEWAYS)
    # Istio: one Envoy serves both Gateways, so blog.example.com answers on the pods shop-gw selects.
    result = simulate(project, "shop/shop-gw", Request("http://blog.example.com/"))
    assert result.outcome == "routed"
    assert result.destinations[0]["host"] == "posts.blog.svc.cluster.local"
    assert result.workload["gateways"] == ["blog/blog-gw", "shop/shop-gw"]
    assert result.server_gateways == ["blog/blog-gw", "shop/shop-gw"]
    assert result.istio_version == DEFAULT_ISTIO_VERSION


def test_merged_gateways_share_one_file_that_lists_every_gateway(tmp_path):
    project = design(tmp_path, TWO_GATEWAYS)
    files = export_envoy_files(project)
    # one Envoy for the pods labelled istio=ingressgateway: one file, named by that label
    assert sorted(files) == ["envoy/istio-ingressgateway.yaml"]
    header = [line for line in files["envoy/istio-ingressgateway.yaml"].splitlines() if line.startswith("#")]
    assert "#   blog/blog-gw" in header and "#   shop/shop-gw" in header


def test_a_gateway_with_a_smaller_selector_also_applies_to_the_larger_workload(tmp_path):
    text = TWO_GATEWAYS.replace("metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: {istio: ingressgateway}",
                                "metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: {istio: ingressgateway, "
                                "app: blog}")
    project = design(tmp_path, text)
    workloads = {w.key: [g.gateway.metadata.qualified for g in w.gateways] for w in gateway_workloads(project)}
    # selector {istio} is a subset of the pods labelled {app: blog, istio}: shop-gw applies there too
    assert workloads == {"istio=ingressgateway": ["shop/shop-gw"],
                         "app=blog,istio=ingressgateway": ["blog/blog-gw", "shop/shop-gw"]}
    assert simulate(project, "shop/shop-gw", Request("http://blog.example.com/")).outcome == "no_virtual_host"
    assert simulate(project, "blog/blog-gw", Request("http://shop.example.com/")).outcome == "routed"
    # two workloads, two files; shop-gw's selector is a subset of blog-gw's pods' labels: served by both
    files = export_envoy_files(project)
    assert sorted(files) == ["envoy/app-blog.istio-ingressgateway.yaml", "envoy/istio-ingressgateway.yaml"]
    served = {name: [line[4:] for line in text.splitlines() if line.startswith("#   ")] for name, text in files.items()}
    assert served == {"envoy/app-blog.istio-ingressgateway.yaml": ["blog/blog-gw", "shop/shop-gw"],
                      "envoy/istio-ingressgateway.yaml": ["shop/shop-gw"]}


CONFLICTS = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a-web, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b-raw, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: tcp, protocol: TCP}
    hosts: [b.example.com]
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: b-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: edge}
spec:
  hosts: [a.example.com, secure.example.com]
  gateways: [a-web]
  http:
  - route: [{destination: {host: web}}]
"""


def test_conflicts_between_merged_gateways_are_dropped_in_merge_order(tmp_path):
    project = design(tmp_path, CONFLICTS)
    drops = workload_drops(project)
    # a-web merges first (name order); b-raw's TCP server cannot join the plain HTTP port 80
    # (canMergeProtocols) and its HTTPS server repeats secure.example.com on 443 (CheckDuplicates).
    assert [(d.code, d.ref, d.field) for d in drops] == [
        ("MD0802", "edge/b-raw", "spec.servers[0]"), ("MD0803", "edge/b-raw", "spec.servers[1]")]
    plan = workload_for_gateway(project, "edge/b-raw")
    assert [(lst.port, [c.server_class for c in lst.chains]) for lst in plan.listeners] == [
        (80, ["http"]), (443, ["https"])]
    codes = {(d.code, d.resource.name, d.path) for d in analyze(project) if d.code.startswith("MD08")}
    assert codes == {("MD0802", "b-raw", "spec.servers[0]"), ("MD0803", "b-raw", "spec.servers[1]")}


def test_gateways_on_other_pods_do_not_conflict(tmp_path):
    project = design(tmp_path, CONFLICTS.replace("metadata: {name: b-raw, namespace: edge}\nspec:\n  selector: "
                                                 "{istio: ingressgateway}",
                                                 "metadata: {name: b-raw, namespace: edge}\nspec:\n  selector: "
                                                 "{istio: other}"))
    assert [d.code for d in workload_drops(project) if d.code in ("MD0802", "MD0803")] == []
    assert not [d for d in analyze(project) if d.code in ("MD0802", "MD0803")]


def test_istio_version_setting_drives_the_defaults(tmp_path):
    project = design(tmp_path, TWO_GATEWAYS)
    route = compile_workloads(project)[0].listeners[0].chains[0].route_config.virtual_hosts[0].routes[0]
    assert route.retry_policy["retry_on"] == "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
    assert "retriable_status_codes" not in route.retry_policy      # 1.24+: 503 is not retried by default
    old = design(tmp_path, TWO_GATEWAYS, ProjectSettings(istio_version="1.23"))
    route = compile_workloads(old)[0].listeners[0].chains[0].route_config.virtual_hosts[0].routes[0]
    assert route.retry_policy["retriable_status_codes"] == [503]
    assert compile_workloads(old)[0].istio_version == "1.23"
    assert CompileOptions("1.27").mirror_shadow_suffix and not CompileOptions("1.28").mirror_shadow_suffix
    assert not CompileOptions("1.21").missing_header_is_empty and CompileOptions("1.22").missing_header_is_empty


def test_default_istio_version_is_the_newest_in_the_reference_material():
    if not ORACLE.is_dir():
        pytest.skip(f"the oracle folder {ORACLE} is absent")
    releases = [p.name.removeprefix("istio-") for p in (ORACLE / "istio-crds").glob("istio-*") if p.is_dir()]
    newest = max(releases, key=lambda v: tuple(int(x) for x in v.split(".")))
    assert ".".join(newest.split(".")[:2]) == DEFAULT_ISTIO_VERSION
