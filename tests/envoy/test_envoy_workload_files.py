"""``export --envoy`` writes one Envoy config per gateway workload, as Istio runs one Envoy for every Gateway
whose selector picks the same pods: Gateways with the same selector share one file (its header lists them)
that real Envoy loads once and serves every one of their hosts from; different selectors give different
files, each serving only its own Gateways' hosts. Expected names and answers are written by hand."""

from __future__ import annotations

import pathlib
import textwrap
import urllib.error
import urllib.request

import pytest
import yaml
from envoy_support import ENVOY, Backends, free_port, running_envoy, validate

from meshdesigner.cli import main

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]

# Two teams' Gateways in two namespaces on the same pods (istio=ingressgateway), each with its own host.
SHARED = (pathlib.Path(__file__).parent / "data" / "two-gateways-one-workload.yaml").read_text()


def _export(tmp_path, text: str, *extra: str) -> dict[str, str]:
    design = tmp_path / "design.yaml"
    design.write_text(textwrap.dedent(text))
    out = tmp_path / "out"
    args = ["export", str(design), "-o", str(out), "--envoy", "--credentials", str(tmp_path / "credentials"),
            "--files-root", str(tmp_path / "files"), "--system-ca", str(tmp_path / "ca.crt"), *extra]
    assert main(args) == 0
    return {p.name: p.read_text() for p in sorted((out / "envoy").iterdir())}


def _served(text: str) -> list[str]:
    return [line[4:] for line in text.splitlines() if line.startswith("#   ")]


def _get(port: int, host: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_two_gateways_on_the_same_pods_are_one_file_that_one_envoy_serves_both_hosts_from(tmp_path):
    backends = Backends()
    try:
        shop, blog = backends.start("shop-web"), backends.start("blog-posts")
        endpoints = tmp_path / "endpoints.yaml"
        endpoints.write_text(f"web.shop.svc.cluster.local:8080: 127.0.0.1:{shop}\n"
                             f"posts.blog.svc.cluster.local:8080: 127.0.0.1:{blog}\n")
        port, admin = free_port(), free_port()
        files = _export(tmp_path, SHARED, "--endpoints", str(endpoints), "--listen-address", "127.0.0.1",
                        "--port-map", f"80:{port}", "--admin-port", str(admin))
        assert list(files) == ["istio-ingressgateway.yaml"]
        text = files["istio-ingressgateway.yaml"]
        assert _served(text) == ["blog/blog-gw", "shop/shop-gw"]   # istiod's merge order: name, then namespace
        listeners = yaml.safe_load(text)["static_resources"]["listeners"]
        assert [lst["name"] for lst in listeners] == [f"127.0.0.1_{port}"]  # one listener (port 80) for both
        config = tmp_path / "out" / "envoy" / "istio-ingressgateway.yaml"
        checked = validate(str(config), str(tmp_path))
        assert checked.returncode == 0, checked.stderr[-3000:]
        with running_envoy(str(config), admin, str(tmp_path), str(tmp_path / "envoy.log")):
            assert _get(port, "shop.example.com") == (200, "shop-web")
            assert _get(port, "blog.example.com") == (200, "blog-posts")
            assert _get(port, "other.example.com")[0] == 404   # neither Gateway serves it
    finally:
        backends.close()


def test_gateways_on_different_pods_get_a_file_each_serving_only_their_hosts(tmp_path):
    files = _export(tmp_path, SHARED.replace("metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: "
                                             "{istio: ingressgateway}",
                                             "metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: "
                                             "{istio: blog-ingress}"))
    assert list(files) == ["istio-blog-ingress.yaml", "istio-ingressgateway.yaml"]
    assert _served(files["istio-blog-ingress.yaml"]) == ["blog/blog-gw"]
    assert _served(files["istio-ingressgateway.yaml"]) == ["shop/shop-gw"]
    assert "blog.example.com" in files["istio-blog-ingress.yaml"]
    assert "shop.example.com" not in files["istio-blog-ingress.yaml"]
    assert "shop.example.com" in files["istio-ingressgateway.yaml"]
    assert "blog.example.com" not in files["istio-ingressgateway.yaml"]


def test_a_gateway_without_selector_and_one_whose_selector_picks_a_subset_still_get_their_configs(tmp_path):
    # blog-gw selects {istio: ingressgateway, team: blog}: those pods also carry istio=ingressgateway, so shop-gw
    # (selector {istio: ingressgateway}) applies there too. A Gateway without selector applies to every gateway
    # proxy (istiod: an empty selector is a subset of any labels) and stands for pods of its own.
    text = SHARED.replace("metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: {istio: ingressgateway}",
                          "metadata: {name: blog-gw, namespace: blog}\nspec:\n  selector: {istio: ingressgateway, "
                          "team: blog}")
    text += textwrap.dedent("""
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: any-gw, namespace: edge}
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [any.example.com]
        """)
    files = _export(tmp_path, text)
    assert {name: _served(t) for name, t in files.items()} == {   # merge order: name, then namespace
        "all-gateway-proxies.yaml": ["edge/any-gw"],
        "istio-ingressgateway.team-blog.yaml": ["edge/any-gw", "blog/blog-gw", "shop/shop-gw"],
        "istio-ingressgateway.yaml": ["edge/any-gw", "shop/shop-gw"],
    }
