"""``build_plan``: the name the Envoy export used before the compiler existed, kept for callers."""

from __future__ import annotations

from ...compile import WorkloadPlan, workload_for_gateway


def build_plan(project, gateway_node, index=None) -> WorkloadPlan:
    """The plan of the workload serving ``gateway_node`` (:func:`meshdesigner.compile.workload_for_gateway`)."""
    del index  # the compiler builds its own look-ups
    return workload_for_gateway(project, gateway_node)
