"""``meshdesigner test`` (exit codes, reports, JUnit XML checked by a parser) and ``simulate --expect``."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from routetest_support import ROOT, SHOP

SHOP_TESTS = SHOP.parent / "shop_test.yaml"


def meshdesigner(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "meshdesigner", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _failing_tests(tmp_path):
    bad = tmp_path / "bad_test.yaml"
    bad.write_text("testCases:\n"
                   "- description: api goes to static\n"
                   "  request: {authority: [shop.example.com], uri: [/api]}\n"
                   "  route: [{destination: {host: static}}]\n"
                   "- description: health is answered\n"
                   "  request: {authority: [shop.example.com], uri: [/health]}\n"
                   "  outcome: direct_response\n")
    return bad


def test_all_pass_exit_0():
    done = meshdesigner("test", SHOP.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 passed, 0 failed" in done.stdout


def test_a_failure_exits_1_with_case_request_and_difference(tmp_path):
    done = meshdesigner("test", SHOP, _failing_tests(tmp_path))
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL  api goes to static" in out and "bad_test.yaml:2" in out
    assert "request: GET http://shop.example.com/api  (at gateway shop/shop-gateway)" in out
    assert "route: destination is api.shop.svc.cluster.local port 8080, not static.shop.svc.cluster.local" in out
    assert "PASS  health is answered" in out


def test_json_report(tmp_path):
    done = meshdesigner("test", SHOP, _failing_tests(tmp_path), "--format", "json")
    data = json.loads(done.stdout)
    assert data["passed"] is False
    first = data["cases"][0]
    assert first["passed"] is False and first["requests"][0]["failures"][0]["expectation"] == "route"


def test_junit_report_is_valid_junit(tmp_path):
    out = tmp_path / "report.xml"
    done = meshdesigner("test", SHOP, SHOP_TESTS, _failing_tests(tmp_path), "--format", "junit", "-o", out)
    assert done.returncode == 1
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 2
    total = failures = 0
    for suite in suites:  # the JUnit schema's required attributes and their consistency
        for attr in ("name", "tests", "failures", "errors"):
            assert suite.get(attr) is not None, attr
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        for item in cases:
            assert item.get("name") and item.get("classname")
            failure = item.find("failure")
            if failure is not None:
                assert failure.get("message") and failure.text
        total += len(cases)
        failures += int(suite.get("failures"))
    assert (total, failures) == (15, 1)
    assert int(root.get("tests")) == 15 and int(root.get("failures")) == 1
    failed = [c for s in suites for c in s.findall("testcase") if c.find("failure") is not None]
    assert failed[0].get("name") == "api goes to static"


def test_bad_test_file_is_one_clear_line_exit_2(tmp_path):
    bad = tmp_path / "typo_test.yaml"
    bad.write_text("testCases:\n- description: x\n  request: {authority: [a]}\n  outcom: routed\n")
    done = meshdesigner("test", SHOP, bad)
    assert done.returncode == 2
    assert "typo_test.yaml:4" in done.stderr and "outcom" in done.stderr
    assert "Traceback" not in done.stderr


def test_project_file_tests_section(tmp_path):
    from routetest_support import shop_project

    from meshdesigner.io.project_file import load_project, save_project
    from meshdesigner.io.route_test_files import load_test_file

    project = shop_project()
    project.set_tests([loaded.case for loaded in load_test_file(str(SHOP_TESTS))])
    path = tmp_path / "shop.mesh.yaml"
    save_project(project, str(path))
    again = load_project(str(path))
    assert again == project and len(again.tests) == 13
    assert path.read_text().count("testCases") == 0 and "\ntests:\n" in path.read_text()
    done = meshdesigner("test", path)
    assert done.returncode == 0 and "13 passed, 0 failed" in done.stdout
    text = path.read_text().replace("outcome: no_listener", "outcome: routed")
    path.write_text(text)
    assert meshdesigner("test", path).returncode == 1


@pytest.mark.parametrize(("url", "expect", "code"), [
    ("http://shop.example.com/api", "routed", 0),
    ("http://shop.example.com/api", "redirect", 1),
    ("http://shop.example.com/nothing", "no_route", 0),
    ("http://elsewhere.example.com/", "no_route", 0),  # no virtual host: Envoy's 404 NR too
    ("https://x.example.com/", "tls_refused", 0),
])
def test_simulate_expect(url, expect, code, tmp_path):
    done = meshdesigner("simulate", SHOP, "--gateway", "shop/shop-gateway", "--url", url, "--expect", expect)
    assert done.returncode == code, done.stdout + done.stderr
    if code:
        assert f"expected outcome {expect}, got" in done.stderr


def test_a_bad_tests_section_in_a_project_names_its_line(tmp_path):
    from meshdesigner.io.project_file import FORMAT_VERSION

    path = tmp_path / "bad.mesh.yaml"
    path.write_text(f"format_version: {FORMAT_VERSION}\nname: bad\nnodes: []\ntests:\n- description: x\n  request:\n"
                    "    authority: [a]\n    scheme: ftp\n")
    done = meshdesigner("test", path)
    assert done.returncode == 2
    assert "bad.mesh.yaml:8" in done.stderr and "tests[0].request.scheme" in done.stderr


def test_a_case_unfolding_into_too_many_requests_is_an_error_not_a_hang(tmp_path):
    from routetest_support import case, shop_project

    from meshdesigner.analysis.route_tests import run_case

    many = [f"/p{i}" for i in range(200)]
    result = run_case(shop_project(), case(f"request: {{authority: [{', '.join(['a'] * 10)}], method: "
                                           f"[{', '.join(['GET'] * 10)}], uri: [{', '.join(many)}]}}"))
    assert not result.passed and "20000 requests" in result.error
