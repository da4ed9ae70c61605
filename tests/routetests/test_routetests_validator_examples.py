"""istio-config-validator's own examples (../shared/oracle/istio-config-validator), read unchanged.

Every case passes except those that contradict what Istio builds; each of those is listed in
KNOWN_DIFFERENCES with the reason from istiod's source, and test_routetests_envoy.py shows real
Envoy's answer for them (the proof). They are never bent to pass.
"""

from __future__ import annotations

import subprocess
import sys

from routetest_support import ROOT, validator_folder

from meshdesigner.analysis.route_tests import run_cases
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.route_test_files import load_test_file, split_paths

# description -> why Istio (and so Envoy) answers otherwise than istio-config-validator's mock says
KNOWN_DIFFERENCES = {
    "Delegate to merchants": "the delegate's uri regex under the root's uri regex is a conflict "
                             "(istio pilot/pkg/model/virtualservice.go stringMatchConflict): istiod drops the "
                             "delegate's route, so /merchants gets Envoy's 404 NR",
    "Delegate to seller": "VirtualService seller-delegate does not exist: istiod drops the root rule "
                          "(mergeVirtualServicesIfNeeded), so /seller gets Envoy's 404 NR",
    "Delegate to product": "the delegate's uri prefix / under the root's uri regex is a conflict "
                           "(stringMatchConflict): istiod drops the route, so /product gets Envoy's 404 NR",
}


def _results():
    tests, manifests = split_paths([str(validator_folder())])
    project = import_manifests(manifests).project
    cases = [(loaded.case, f"{loaded.file}:{loaded.line}") for file in tests for loaded in load_test_file(file)]
    return run_cases(project, cases)


def test_the_examples_are_read_unchanged():
    tests, manifests = split_paths([str(validator_folder())])
    assert sorted(p.rsplit("/", 1)[1] for p in tests) == ["virtualservice_delegate_test.yml",
                                                          "virtualservice_test.yml"]
    assert "destination.yml" in {p.rsplit("/", 1)[1] for p in manifests}  # not a test file: a manifest
    cases = [loaded.case for file in tests for loaded in load_test_file(file)]
    assert len(cases) == 9  # both documents of the multi-document test file
    assert sum(len(c.request.unfold()) for c in cases) == 38


def test_every_case_passes_but_the_known_differences():
    results = _results()
    failed = {r.name for r in results if not r.passed}
    assert failed == set(KNOWN_DIFFERENCES)
    for result in results:
        if result.name in KNOWN_DIFFERENCES:  # the simulator says what Envoy does: 404 NR, no backend
            assert {r.observation.outcome for r in result.results} == {"no_route"}
            assert {r.observation.status for r in result.results} == {404}


def test_the_cli_reports_them_and_exits_1():
    folder = validator_folder()
    done = subprocess.run([sys.executable, "-m", "meshdesigner", "test", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "6 passed, 3 failed: 9 test case(s), 38 request(s) through the simulator" in done.stdout
    for name in KNOWN_DIFFERENCES:
        assert f"FAIL  {name}" in done.stdout
