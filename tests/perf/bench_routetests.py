"""Issue 17 budget on the 2,000-resource design: 1,000 route test cases through the simulator.

The cases are made from the workload's virtual services (one request each, half entering at the bound
gateway, half without an entry, so the runner finds the gateways binding the host). Measured on a fresh
copy of the design each time, as the editor's Tests panel runs them (a snapshot after every edit); the first
run, which also compiles the design's plans, is reported beside it.
"""

from __future__ import annotations

import time

CASES = 1000


def make_cases(project) -> list:
    from meshdesigner.model.route_tests import RouteTestCase

    cases = []
    nodes = sorted((n for n in project.virtual_services() if n.virtual_service.spec.http
                    and n.virtual_service.spec.gateways and n.virtual_service.spec.hosts), key=lambda n: n.id)
    i = 0
    while len(cases) < CASES and nodes:
        node = nodes[i % len(nodes)]
        vs = node.virtual_service
        data = {"description": f"{vs.metadata.qualified} #{i}",
                "request": {"authority": [vs.spec.hosts[0]], "uri": [f"/api/items/{i}"], "scheme": "https"},
                "outcome": "routed"}
        if i % 2 == 0:
            gateway = vs.spec.gateways[0]
            data["entry"] = {"gateway": gateway if "/" in gateway else f"{vs.namespace}/{gateway}"}
        cases.append((RouteTestCase.model_validate(data), f"bench[{i}]"))
        i += 1
    return cases


def run(ctx) -> dict:
    from meshdesigner.analysis.route_tests import run_cases

    project = ctx.project
    cases = make_cases(project)
    start = time.perf_counter()
    results = run_cases(project.copy(), cases)  # the first run compiles the plans of the design
    first = time.perf_counter() - start
    requests = sum(len(r.results) for r in results)
    cold = ctx.best_of(lambda: run_cases(project.copy(), cases), 3)
    snapshot = project.copy()
    run_cases(snapshot, cases)
    warm = ctx.best_of(lambda: run_cases(snapshot, cases), 3)
    ctx.info("routetests.first_run_with_compile_seconds", first, "s")
    ctx.info("routetests.requests_run", requests, "count")
    return {
        # a fresh snapshot of the design each time, as the editor's Tests panel runs them
        "routetests.run_1000_cases_seconds": ctx.metric(cold, "s", ctx.budget(2.0, 2.0)),
        "routetests.run_1000_cases_compiled_seconds": ctx.metric(warm, "s", ctx.budget(1.0, 1.0)),
        "routetests.cases_passing": ctx.metric(sum(r.passed for r in results), "count", len(cases),
                                               lower_is_better=False),
    }
