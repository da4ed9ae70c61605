"""Issue 15, names: every kind's name and namespace checked as Kubernetes checks them (MD1201, MD1202),
paths built only from checked names, generated comments that user text cannot end, and a failed export
that writes nothing."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from meshdesigner.export.envoy import export_envoy_files
from meshdesigner.io.atomic import write_tree
from meshdesigner.io.errors import InputError
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.yamlio import comment_line

from .clirun import run_cli

GATEWAY = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: {ns}}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: ["*"]
"""
VIRTUAL_SERVICE = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: {ns}}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {{host: web}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  ports: [{{port: 80, name: http}}]
"""
DESTINATION_RULE = """apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {ns}}}
spec: {{host: web}}
"""
SERVICE_ENTRY = """apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: {ns}}}
spec:
  hosts: [api.example.com]
  ports: [{{number: 443, name: tls, protocol: TLS}}]
  resolution: DNS
"""
CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: {ns}}}
data: {{a: b}}
"""
AUTHORIZATION_POLICY = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{istio: ingressgateway}}}}
  action: DENY
  rules: [{{from: [{{source: {{ipBlocks: [10.0.0.1]}}}}]}}]
"""
KINDS = {"AuthorizationPolicy": AUTHORIZATION_POLICY, "VirtualService": VIRTUAL_SERVICE, "Service": SERVICE, "DestinationRule": DESTINATION_RULE,
         "ServiceEntry": SERVICE_ENTRY, "ConfigMap": CONFIG_MAP}
# Names the API server refuses (every kind here needs at least a DNS-1123 subdomain).
BAD_NAMES = ["..", "../x", "../../istio", "/tmp/x", "CON", "a" * 5000, "a b", "a\nb", "a\x00b", "-a", "a.",
             "Web", "a_b", "café"]


def _q(value: str) -> str:
    return json.dumps(value)  # a YAML double-quoted scalar


def _design(tmp_path, kind: str, name: str = "web", ns: str = "shop"):
    text = GATEWAY.format(ns="shop") + "---\n" + KINDS[kind].format(name=_q(name), ns=_q(ns))
    path = tmp_path / "design.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda n: repr(n)[:20])
def test_a_name_kubernetes_refuses_is_an_error_and_exports_nothing(tmp_path, kind, name):
    design = _design(tmp_path, kind, name=name)
    outcome = run_cli("validate", str(design), "--format", "json")
    assert outcome.crash is None and outcome.code == 1, outcome.err
    codes = {d["code"] for d in json.loads(outcome.out)}
    assert "MD1201" in codes
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "istio.yaml").write_text("previous: export\n")
    (out / ".meshdesigner-export").write_text('{"export": ["istio.yaml"]}\n')
    for args in ([], ["--force"], ["--force", "--envoy"]):
        outcome = run_cli("export", str(design), "-o", str(out), *args)
        assert outcome.crash is None and outcome.code in (1, 2), outcome.err
        assert "\n" not in outcome.err.strip() or not args  # one line when refused at the file layer
        assert sorted(p.name for p in out.iterdir()) == [".meshdesigner-export", "istio.yaml"]
        assert (out / "istio.yaml").read_text() == "previous: export\n"
    assert not (tmp_path / "istio.yaml").exists() and not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("ns", ["..", "a/b", "Shop", "a\nkey: value", "a" * 64, "x.y"], ids=lambda n: repr(n)[:20])
def test_a_namespace_kubernetes_refuses_is_an_error(tmp_path, kind, ns):
    design = _design(tmp_path, kind, ns=ns)
    outcome = run_cli("validate", str(design), "--format", "json")
    assert outcome.crash is None and outcome.code == 1, outcome.err
    assert "MD1202" in {d["code"] for d in json.loads(outcome.out)}
    outcome = run_cli("export", str(design), "-o", str(tmp_path / "deploy"), "--force")
    assert (outcome.crash, outcome.code) == (None, 2)
    assert not (tmp_path / "deploy" / "istio.yaml").exists()


def test_valid_names_of_every_kind_pass(tmp_path):
    for kind in KINDS:
        design = _design(tmp_path, kind, name="web-1.v2" if kind != "Service" else "web-1")
        outcome = run_cli("validate", str(design), "--format", "json")
        assert outcome.crash is None
        codes = {d["code"] for d in json.loads(outcome.out)}
        assert not codes & {"MD1201", "MD1202"}, (kind, codes)


def test_a_service_name_must_start_with_a_letter(tmp_path):
    outcome = run_cli("validate", str(_design(tmp_path, "Service", name="1web")), "--format", "json")
    assert "MD1201" in {d["code"] for d in json.loads(outcome.out)}


def test_gateway_name_with_a_final_newline_is_refused(tmp_path):
    path = tmp_path / "gw.yaml"
    path.write_text(GATEWAY.format(ns="shop").replace("name: gw", 'name: "gw\\n"'))
    outcome = run_cli("validate", str(path), "--format", "json")
    assert "MD0101" in {d["code"] for d in json.loads(outcome.out)}


def test_a_gateway_namespace_with_a_newline_never_reaches_the_envoy_header(tmp_path):
    design = tmp_path / "design.yaml"
    design.write_text(GATEWAY.format(ns=_q("shop\nadmin: {address: {pipe: {path: /tmp/x}}}")))
    project = import_manifests([str(design)]).project
    (text,) = export_envoy_files(project).values()   # the file is named by the pod labels, not the namespace
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert r"#   shop\nadmin: {address: {pipe: {path: /tmp/x}}}/gw" in header
    assert "admin" not in yaml.safe_load(text)["admin"]["address"]["socket_address"]   # nothing injected
    assert yaml.safe_load(text)["admin"]["address"] == {"socket_address": {"address": "127.0.0.1", "port_value": 15000}}


@pytest.mark.parametrize("selector", [{"app": "../../etc/passwd"}, {"app": "x\ny"}, {".hidden/../x": "v"},
                                      {"a": "b" * 300}, {"app": "-v"}, {"app": "x y"}])
def test_hostile_pod_labels_never_leave_the_envoy_folder(tmp_path, selector):
    design = tmp_path / "design.yaml"
    design.write_text(GATEWAY.format(ns="shop").replace("{istio: ingressgateway}", json.dumps(selector)))
    project = import_manifests([str(design)]).project
    (path,) = export_envoy_files(project)
    folder, name = path.split("/")
    assert folder == "envoy" and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.yaml", name) and len(name) <= 255
    out = tmp_path / "out"
    outcome = run_cli("export", str(design), "-o", str(out), "--envoy", "--force")
    assert outcome.code == 0, outcome.err + (outcome.crash or "")
    assert [p.name for p in (out / "envoy").iterdir()] == [name]


def test_generated_comment_lines_escape_line_breaks():
    line = comment_line("# note: VirtualService shop\nadmin: {}/web\r\u2028\x85 done")
    assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x85" not in line
    assert yaml.safe_load(line + "\nkey: 1\n") == {"key": 1}


@pytest.mark.parametrize("rel", ["../x.yaml", "/tmp/x.yaml", "resources/../../istio.yaml", "a b.yaml",
                                 "a\nb.yaml", ".hidden", "resources//x.yaml", "x\x00.yaml"])
def test_write_tree_refuses_unsafe_paths_before_writing_anything(tmp_path, rel):
    with pytest.raises(InputError):
        write_tree(str(tmp_path / "out"), {"istio.yaml": "a: 1\n", rel: "b: 2\n"})
    assert not (tmp_path / "out" / "istio.yaml").exists()
    assert not (tmp_path / "x.yaml").exists()


def test_write_tree_refuses_two_paths_that_are_one_file_on_a_case_insensitive_disk(tmp_path):
    with pytest.raises(InputError):
        write_tree(str(tmp_path / "out"), {"a.yaml": "a: 1\n", "A.yaml": "b: 2\n"})


@pytest.mark.parametrize("ns", ["shop\x01", "shop\x1b[31m", "shop\x7f", "shop\t", "shop\u2028x"],
                         ids=lambda n: repr(n)[:20])
def test_control_characters_in_a_namespace_write_no_file_of_any_export(tmp_path, ns):
    """Issue 15: other control characters than a newline used to write half the Envoy files, then fail."""
    design = tmp_path / "design.yaml"
    design.write_text(GATEWAY.format(ns=_q(ns)))
    assert "MD1202" in {d["code"] for d in json.loads(run_cli("validate", str(design), "--format", "json").out)}
    for args in (["--force"], ["--force", "--envoy"]):
        out = tmp_path / ("deploy" + "".join(args))
        outcome = run_cli("export", str(design), "-o", str(out), *args)
        assert outcome.crash is None and outcome.code in (1, 2), outcome.err
        assert not out.exists() or not any(out.rglob("*")), sorted(str(p) for p in out.rglob("*"))
