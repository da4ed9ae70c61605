"""Run route test cases through the simulator: every request of every case, at its entry points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ...model.route_tests import ConcreteRequest, RouteTestCase
from .engine import DesignIndex, Observation, check_entry, observe_case_entry
from .expectations import evaluate

MAX_REQUESTS_PER_CASE = 10_000  # authority x method x uri: a case is refused beyond this, not run for hours


@dataclass
class RequestResult:
    """One request of a case at one entry point, and the expectations it failed (empty: it passed)."""

    request: ConcreteRequest
    observation: Observation
    failures: list[tuple[str, str]] = field(default_factory=list)
    envoy: Observation | None = None                          # `test --envoy`: what real Envoy did
    envoy_failures: list[tuple[str, str]] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)    # simulator vs Envoy: a MeshDesigner defect
    envoy_note: str | None = None                             # why this request did not go through Envoy

    @property
    def passed(self) -> bool:
        return not self.failures and not self.envoy_failures and not self.disagreements


@dataclass
class CaseResult:
    """A test case's outcome: every request result, or the error that kept it from running."""

    case: RouteTestCase
    source: str = ""                  # "file:line" or "project tests[i]"
    results: list[RequestResult] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results)

    @property
    def name(self) -> str:
        return self.case.description or "(no description)"

    def first_failure(self) -> str | None:
        """One line saying why the case fails (for the editor's Tests panel)."""
        if self.error:
            return self.error
        for res in self.results:
            for what, why in res.failures + res.envoy_failures:
                return f"{res.request.label()} at {res.observation.entry}: {what}: {why}"
            if res.disagreements:
                return f"{res.request.label()}: simulator and Envoy disagree: {res.disagreements[0]}"
        return None


def run_case(project, case: RouteTestCase, source: str = "", index: DesignIndex | None = None) -> CaseResult:
    """One case through the simulator (``index``: look-ups shared by the cases of one run)."""
    index = index if index is not None else DesignIndex(project)
    out = CaseResult(case, source)
    error = check_entry(index, case.entry)
    if error:
        out.error = error
        return out
    request = case.request
    count = len(request.authority) * len(request.method) * len(request.uri)
    if count > MAX_REQUESTS_PER_CASE:
        out.error = (f"the case unfolds into {count} requests (authority x method x uri); the limit is "
                     f"{MAX_REQUESTS_PER_CASE}: split it")
        return out
    for concrete in request.unfold():
        try:
            observations = observe_case_entry(index, case.entry, concrete)
        except ValueError as exc:  # a URL the simulator cannot read
            out.error = f"{concrete.label()}: {exc}"
            return out
        for obs in observations:
            out.results.append(RequestResult(concrete, obs, evaluate(case, concrete, obs)))
    return out


def run_cases(project, cases: Iterable[tuple[RouteTestCase, str]]) -> list[CaseResult]:
    """Every case (with where it was written) through the simulator, in order."""
    index = DesignIndex(project)
    return [run_case(project, case, source, index) for case, source in cases]
