"""Route tests: run the requests a design's tests describe and judge the answers (Qt-free).

    run_cases(project, [(case, source), ...]) -> [CaseResult]      # through the simulator
    run_case(project, case, source="") -> CaseResult

A case (:mod:`meshdesigner.model.route_tests`) unfolds into requests; each runs at its entry points
(:mod:`.engine`, the one adapter to the simulator) and gives an :class:`~.engine.Observation`, which
:mod:`.expectations` judges. ``meshdesigner test --envoy`` (:mod:`meshdesigner.live`) makes the same
observations through real Envoy and compares both.
"""

from .engine import Observation
from .expectations import evaluate
from .runner import CaseResult, RequestResult, run_case, run_cases

__all__ = ["CaseResult", "Observation", "RequestResult", "evaluate", "run_case", "run_cases"]
