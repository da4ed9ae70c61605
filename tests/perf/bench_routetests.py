"""Issue 17 budget on the 2,000-resource design: 1,000 route test cases through the simulator.

The cases are made from the workload's virtual services (one request each, half entering at the bound
gateway, half without an entry, so the runner finds the gateways binding the host). Measured on a fresh
copy of the design each time, as the editor's Tests panel runs them (a snapshot after every edit).
"""

from __future__ import annotations

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
    results = run_cases(project.copy(), cases)
    requests = sum(len(r.results) for r in results)
    cold = ctx.best_of(lambda: run_cases(project.copy(), cases), 3)
    snapshot = project.copy()
    run_cases(snapshot, cases)
    warm = ctx.best_of(lambda: run_cases(snapshot, cases), 3)
    return {
        # a fresh snapshot: includes compiling every gateway's plan, as after an edit in the editor
        "routetests.run_1000_cases_seconds": ctx.metric(cold, "s", 2.0),
        "routetests.run_1000_cases_compiled_seconds": ctx.metric(warm, "s", 1.0),
        "routetests.requests_run": ctx.metric(requests, "count", float("inf")),
        "routetests.cases_passing": ctx.metric(sum(r.passed for r in results), "count", 0, lower_is_better=False),
    }
