"""Issue 7 budgets on the 2,000-resource design: the flow graph, its drawing, a tried request, N requests,
and the shadowed-rule analysis of every virtual service."""

from __future__ import annotations

import os


def _some_request(project):
    """A gateway and a request one of the design's rules matches (a weighted one when there is one)."""
    from meshdesigner.analysis.split import WeightedRule, sample_request, weighted_rules

    candidates = weighted_rules(project) + [
        WeightedRule(n.id, n.virtual_service.metadata.qualified, "http", 0, None, {})
        for n in sorted(project.virtual_services(), key=lambda n: n.id) if n.virtual_service.spec.http]
    for rule in candidates:
        found = sample_request(project, rule)
        if found is not None:
            return found
    raise RuntimeError("the workload has no gateway-bound rule")


def run(ctx) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from meshdesigner.analysis.flow import compute_flow, trace
    from meshdesigner.analysis.rule_order import shadowed_rules
    from meshdesigner.analysis.simulate import simulate
    from meshdesigner.analysis.split import send_requests
    from meshdesigner.gui.flow.scene import FlowScene

    project = ctx.project
    app = QApplication.instance() or QApplication(["bench"])
    graph = compute_flow(project)
    scene = FlowScene()
    gateway, request = _some_request(project)

    def tried() -> None:
        result = simulate(project, gateway, request)
        trace(compute_flow(project), project, result)

    def shadowing() -> None:
        for node in project.virtual_services():
            shadowed_rules(node.virtual_service)

    metrics = {
        "flow.compute_seconds": ctx.metric(ctx.best_of(lambda: compute_flow(project), 3), "s", 0.5),
        "flow.gateway_scope_seconds": ctx.metric(ctx.best_of(lambda: compute_flow(project, gateway), 3), "s", 0.6),
        "flow.draw_seconds": ctx.metric(ctx.best_of(lambda: scene.set_graph(graph), 2), "s", 1.0),
        "flow.try_request_seconds": ctx.metric(ctx.best_of(tried, 3), "s", 0.5),
        "flow.send_1000_requests_seconds": ctx.metric(
            ctx.best_of(lambda: send_requests(project, gateway, request, 1000, seed=1), 2), "s", 1.0),
        "flow.shadowed_rules_all_vs_seconds": ctx.metric(ctx.best_of(shadowing, 3), "s", 0.2),
        "flow.graph_size": ctx.metric(len(graph.nodes) + len(graph.edges), "items", float("inf")),
    }
    scene.clear()
    app.processEvents()
    return metrics
