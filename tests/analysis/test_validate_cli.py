"""``meshdesigner validate``: formats, thresholds, suppressions, exit codes; the generated code page."""

from __future__ import annotations

import json

import pytest

from meshdesigner.analysis.docs import render_markdown
from meshdesigner.cli import main

from .paths import ROOT, SAMPLES

SEED = SAMPLES / "docs-concepts-ext-host-gwy.yaml"
GOOD = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: web}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: shop}
"""


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    return path


def run(capsys, *args):
    code = main(["validate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_fails_with_errors_in_text(oracle, capsys):
    code, out, err = run(capsys, SEED)
    assert code == 1
    assert "error [MD0107/IST0106] (Gateway default/ext-host-gwy) spec.servers[0].hosts[0]" in out
    assert f"[{SEED}:14]" in out
    assert "2 errors" in err


def test_json_lists_objects_with_the_documented_keys(oracle, capsys):
    code, out, _ = run(capsys, SEED, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data and all(set(d) == {"code", "istio_code", "severity", "resource", "path", "message", "file", "line"}
                        for d in data)
    seed_host = next(d for d in data if d["code"] == "MD0107")
    assert seed_host["resource"] == {"kind": "Gateway", "namespace": "default", "name": "ext-host-gwy"}
    assert seed_host["line"] == 14 and seed_host["file"] == str(SEED)
    assert any(d["istio_code"] is None for d in data)


def test_sarif_is_a_valid_log_shape(oracle, capsys):
    code, out, _ = run(capsys, SEED, "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    rule_ids = [r["id"] for r in driver["rules"]]
    results = log["runs"][0]["results"]
    assert results and all(r["ruleId"] in rule_ids and rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    assert {r["level"] for r in results} <= {"error", "warning", "note"}
    located = next(r for r in results if r["ruleId"] == "MD0107")
    assert located["locations"][0]["physicalLocation"]["region"]["startLine"] == 14


def test_clean_design_exits_zero_and_warnings_fail_only_when_asked(good, capsys):
    code, out, _ = run(capsys, good)
    assert code == 0 and "error" not in out
    code, out, _ = run(capsys, good, "--fail-on", "info")
    assert code == 1 and "MD0402" in out  # the destination is not in the design: info only


def test_ignore_removes_codes_and_can_turn_a_failure_green(oracle, capsys):
    code, _, _ = run(capsys, SEED, "--ignore", "MD0107", "--ignore", "MD0208")
    assert code == 0
    code, out, _ = run(capsys, SEED, "--ignore", "MD0107,IST0132", "--format", "json")
    codes = {d["code"] for d in json.loads(out)}
    assert "MD0107" not in codes and "MD0410" not in codes and "MD0208" in codes
    assert code == 1


def test_project_files_are_validated(capsys):
    seed_project = ROOT / "examples" / "seed.mesh.yaml"
    code, out, _ = run(capsys, seed_project, "--format", "json")
    assert code == 0
    assert all(d["file"] == str(seed_project) for d in json.loads(out))


def test_unreadable_input_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "missing.yaml")
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    code, _, err = run(capsys, bad)
    assert code == 2 and "bad.yaml" in err
    code, _, err = run(capsys)
    assert code == 2


def test_folders_are_read_as_one_design(tmp_path, capsys):
    (tmp_path / "gw.yaml").write_text(GOOD.split("---")[0])
    (tmp_path / "vs.yaml").write_text(GOOD.split("---")[1])
    code, out, _ = run(capsys, tmp_path, "--format", "json")
    assert code == 0
    assert not any(d["code"] == "MD0401" for d in json.loads(out))  # the gateway in the other file is found


def test_list_codes_prints_the_docs_page(capsys):
    code, out, _ = run(capsys, "--list-codes")
    assert code == 0
    assert out == render_markdown()
    assert "### MD0107 GatewayShortHost" in out and "| GW-10 | not applicable" in out


def test_docs_page_is_up_to_date():
    page = ROOT / "docs" / "diagnostics.md"
    assert page.read_text() == render_markdown(), \
        "docs/diagnostics.md is stale: run `meshdesigner validate --list-codes > docs/diagnostics.md`"


def test_sarif_rules_have_filled_titles_and_absolute_help(oracle, capsys):
    code, out, _ = run(capsys, SEED, "--format", "sarif")
    assert code == 1
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        assert "{" not in rule["shortDescription"]["text"], rule
        assert rule["help"]["text"].startswith(rule["id"])
        assert "helpUri" not in rule or rule["helpUri"].startswith("file:///"), rule
    md0107 = next(r for r in rules if r["id"] == "MD0107")
    assert md0107["shortDescription"]["text"][0].isupper() and " " in md0107["shortDescription"]["text"]


def test_sarif_artifact_locations_are_uris(tmp_path, monkeypatch, oracle, capsys):
    here = tmp_path / "my designs"
    here.mkdir()
    (here / "seed.yaml").write_bytes(SEED.read_bytes())
    monkeypatch.chdir(tmp_path)

    def locations(path):
        run_log = json.loads(run(capsys, path, "--format", "sarif")[1])["runs"][0]
        assert run_log["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.as_uri() + "/"
        return [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run_log["results"]]

    inside = locations("my designs/seed.yaml")  # under the current folder: relative to it
    assert inside and all(loc == {"uri": "my%20designs/seed.yaml", "uriBaseId": "SRCROOT"} for loc in inside)
    outside = locations(SEED)
    assert outside and all(loc == {"uri": SEED.absolute().as_uri()} for loc in outside)  # as given, links kept


def test_project_file_diagnostics_carry_the_line_of_the_field(capsys):
    project = ROOT / "examples" / "seed.mesh.yaml"
    text = project.read_text().splitlines()
    expected = next(i for i, line in enumerate(text, 1) if "serverCertificate:" in line)
    code, out, _ = run(capsys, project, "--format", "json")
    cert = next(d for d in json.loads(out) if d["code"] == "MD0601")
    assert (cert["file"], cert["line"]) == (str(project), expected)
    _, out, _ = run(capsys, project)
    assert f"[{project}:{expected}]" in next(line for line in out.splitlines() if "MD0601" in line)
    _, out, _ = run(capsys, project, "--format", "sarif")
    result = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "MD0601")
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": expected}
