"""Delegation between virtual services: unused delegates (MD0508), missing targets (MD0511) and cycles
(MD0510, found with networkx)."""

from __future__ import annotations

from .. import messages as m
from ..registry import DESIGN, rule


def _target(route, namespace: str) -> str | None:
    if route.delegate is None or not route.delegate.name:
        return None
    return f"{route.delegate.namespace or namespace}/{route.delegate.name}"


@rule("delegates.used", codes=("MD0508",), kinds=("virtual-service",))
def used(ctx, node):
    vs = node.virtual_service
    if vs.spec.hosts:
        return
    if not ctx.delegators(vs.metadata.qualified):
        yield m.DELEGATE_UNUSED.at(vs.ref, "spec")


@rule("delegates.targets_exist", codes=("MD0511",), kinds=("virtual-service",))
def targets_exist(ctx, node):
    vs = node.virtual_service
    for i, route in enumerate(vs.spec.http or []):
        target = _target(route, vs.namespace)
        if target and not ctx.virtual_services_named(target):
            yield m.DELEGATE_NOT_FOUND.at(vs.ref, f"spec.http[{i}].delegate", target=target)


@rule("delegates.cycles", codes=("MD0510",), scope=DESIGN)
def cycles(ctx):
    edges: list[tuple[str, str]] = []
    first_path: dict[tuple[str, str], tuple[object, str]] = {}
    for source_key in ctx.index.keys("delegates-to"):
        for vs_id in ctx.index.ids(("delegates-to", source_key)):
            node = ctx.index.nodes[vs_id]
            vs = node.virtual_service
            for i, route in enumerate(vs.spec.http or []):
                if _target(route, vs.namespace) == source_key:
                    edges.append((vs.metadata.qualified, source_key))
                    first_path.setdefault((vs.metadata.qualified, source_key), (vs.ref, f"spec.http[{i}].delegate"))
    if not edges:
        return
    import networkx as nx  # ~0.2 s to import: loaded only for a design with delegates, not by every command

    graph = nx.DiGraph(edges)
    for cycle in sorted(sorted(c) for c in nx.simple_cycles(graph)):
        # report once per cycle, on the edge leaving its alphabetically first member
        start = cycle[0]
        order = _ordered(graph, cycle, start)
        ref, path = first_path[(start, order[1] if len(order) > 1 else start)]
        yield m.DELEGATE_CYCLE.at(ref, path, cycle=" -> ".join(order + [start]))


def _ordered(graph, members: list[str], start: str) -> list[str]:
    members_set = set(members)
    order, current = [start], start
    while True:
        nxt = next((n for n in sorted(graph.successors(current)) if n in members_set and n not in order), None)
        if nxt is None:
            return order
        order.append(nxt)
        current = nxt
