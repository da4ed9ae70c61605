"""The Diagnostic shape others rely on: format, JSON, order, file and line, suppressions."""

from __future__ import annotations

from meshdesigner.analysis import IGNORE_ANNOTATION, Diagnostic, analyze, parse_codes, sort_diagnostics
from meshdesigner.analysis.diagnostic import parse_path
from meshdesigner.io.importer import import_manifests
from meshdesigner.model import ResourceRef

from .builders import design, gw, meta, vs

JSON_KEYS = {"code", "istio_code", "severity", "resource", "path", "message", "file", "line"}


def diag(code="MD0101", severity="error", name="x", path="spec", istio=None) -> Diagnostic:
    return Diagnostic(code, istio, severity, ResourceRef("VirtualService", "default", name), None, path, "msg")


def test_format_is_one_line_with_codes_resource_and_path():
    d = Diagnostic("MD0410", "IST0132", "warning", ResourceRef("VirtualService", "default", "x"), "n",
                   "spec.hosts[0]", "host 'a' matches no server host")
    assert d.format() == ("warning [MD0410/IST0132] (VirtualService default/x) spec.hosts[0]: "
                          "host 'a' matches no server host")
    located = Diagnostic("MD0208", None, "error", d.resource, None, "spec", "m", "f.yaml", 7)
    assert located.format() == "error [MD0208] (VirtualService default/x) spec: m [f.yaml:7]"
    assert "\n" not in located.format()


def test_to_json_has_exactly_the_documented_keys():
    data = diag(istio="IST0106").to_json()
    assert set(data) == JSON_KEYS
    assert data["resource"] == {"kind": "VirtualService", "namespace": "default", "name": "x"}
    assert data["istio_code"] == "IST0106"
    assert diag().to_json()["istio_code"] is None


def test_sorted_by_severity_resource_path_code():
    items = [diag("MD0201", "info"), diag("MD0202", "error", "b"), diag("MD0203", "error", "a", "spec.http[10]"),
             diag("MD0205", "error", "a", "spec.http[2]"), diag("MD0204", "error", "a", "spec.http[2]"),
             diag("MD0206", "warning")]
    ordered = [d.code for d in sort_diagnostics(items)]
    assert ordered == ["MD0204", "MD0205", "MD0203", "MD0202", "MD0206", "MD0201"]


def test_findings_alike_but_for_their_message_sort_the_same_whatever_order_they_came_in():
    """The live checks merge the findings of re-run rules into those kept: the order must not depend on
    which came first, only on the findings."""
    resource = ResourceRef("VirtualService", "default", "x")
    found = [Diagnostic("MD0410", None, "warning", resource, "n", "spec.hosts[0]", text) for text in ("b", "a", "c")]
    on_other_node = Diagnostic("MD0410", None, "warning", resource, "m", "spec.hosts[0]", "a")
    expected = [on_other_node, found[1], found[0], found[2]]     # message, then node id
    assert sort_diagnostics(found + [on_other_node]) == expected
    assert sort_diagnostics([found[2], on_other_node, found[1], found[0]]) == expected


def test_analyze_is_sorted_and_deterministic():
    project = design(gw(name="gw.bad"), vs(hosts=["ext-svc"], http=None), vs(name="b", gateways=["nope"]))
    first = analyze(project)
    assert first == sort_diagnostics(first)
    assert first == analyze(project.copy())
    assert [d.severity for d in first] == sorted((d.severity for d in first),
                                                 key=["error", "warning", "info"].index)


def test_parse_path():
    assert parse_path("spec.http[0].route[1].weight") == ("spec", "http", 0, "route", 1, "weight")
    assert parse_path("metadata.annotations[meshdesigner.io/ignore]") == \
        ("metadata", "annotations", "meshdesigner.io/ignore")
    assert parse_path("") == ()


def test_parse_codes():
    assert parse_codes("MD0123, md0456,,") == {"MD0123", "MD0456"}
    assert parse_codes(["MD0001", "IST0132,MD0002"]) == {"MD0001", "MD0002", "IST0132"}
    assert parse_codes(None) == frozenset()


def test_imported_manifest_diagnostics_carry_file_and_line(tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text("""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: reviews}
      weight: -5
""")
    result = import_manifests([str(path)], keep_nodes=True)
    found = [d for d in analyze(result.project, result.sources) if d.code == "MD0235"]
    assert len(found) == 1
    assert found[0].file == str(path) and found[0].line == 19
    assert found[0].node_id == "virtual-service:default/vs"


def test_project_ignore_setting_suppresses_everywhere():
    project = design(gw(), vs(hosts=["b.example.com"]))
    assert any(d.code == "MD0410" for d in analyze(project))
    project.set_settings(project.settings.model_copy(update={"ignore": ("MD0410",)}))
    assert not any(d.code == "MD0410" for d in analyze(project))


def test_project_ignore_accepts_istio_codes():
    project = design(gw(), vs(hosts=["b.example.com"]))
    project.set_settings(project.settings.model_copy(update={"ignore": ("IST0132",)}))
    assert not any(d.code == "MD0410" for d in analyze(project))


def test_annotation_suppresses_only_on_that_resource():
    ignored = meta("vs", annotations={IGNORE_ANNOTATION: "MD0410, MD0999"})
    project = design(gw(), vs(hosts=["b.example.com"], metadata=ignored),
                     vs(name="other", hosts=["c.example.com"]))
    found = [(d.code, d.resource.name) for d in analyze(project)]
    assert ("MD0410", "vs") not in found
    assert ("MD0410", "other") in found
