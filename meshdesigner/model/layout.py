"""Automatic layered layout: one lane per node kind, left to right as a request flows.

Within a lane nodes are ordered by the barycentre of their neighbours in earlier lanes, which
keeps most edges short and uncrossed. The neighbours come from the design's references directly
(a networkx graph cost ~0.2 s to import and ~0.2 s to build on the 2,000-resource mesh; issue 16).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .nodes import LANE_ORDER, GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from .references import derive_references

LANE_WIDTH = 340.0
LANE_MARGIN = 40.0
ROW_GAP = 28.0


def estimated_height(node: NodeBase) -> float:
    """A node card's height as the canvas draws it: a header and one row per server, rule or port."""
    rows = 1
    if isinstance(node, GatewayNode):
        rows = len(node.gateway.spec.servers or [])
    elif isinstance(node, VirtualServiceNode):
        spec = node.virtual_service.spec
        rows = len(spec.http or []) + len(spec.tcp or []) + len(spec.tls or [])
    elif isinstance(node, MeshServiceNode):
        rows = len(node.service.spec.ports or []) + (1 if node.destination_rule else 0)
    else:
        rows = len(node.primary.spec.ports or [])  # type: ignore[attr-defined]
    return 44.0 + 22.0 * max(1, rows)


def layered_positions(project, height_of: Callable[[NodeBase], float] = estimated_height
                      ) -> dict[str, tuple[float, float]]:
    """Positions for every node of ``project`` (top-left corners of the cards)."""
    neighbours = _neighbours(project)
    lanes: dict[str, list[NodeBase]] = {kind: [] for kind in LANE_ORDER}
    for node in project:
        lanes[node.kind].append(node)
    y_of: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for lane_index, kind in enumerate(LANE_ORDER):
        members = sorted(lanes[kind], key=lambda n: (n.namespace, n.name, n.id))

        def barycentre(node: NodeBase, fallback: dict[str, int]) -> tuple[float, int]:
            ys = [y_of[m] for m in neighbours.get(node.id, ()) if m in y_of]
            # fsum: exactly rounded whatever the order the neighbours come in (a set's order varies by process)
            return (math.fsum(ys) / len(ys) if ys else float("inf"), fallback[node.id])

        order = {n.id: i for i, n in enumerate(members)}
        members.sort(key=lambda n: barycentre(n, order))
        x = LANE_MARGIN + lane_index * LANE_WIDTH
        y = LANE_MARGIN + 40.0
        for node in members:
            positions[node.id] = (x, y)
            y_of[node.id] = y
            y += height_of(node) + ROW_GAP
    return positions


def _neighbours(project) -> dict[str, set[str]]:
    """Node id -> the ids it references or is referenced by (edges of any kind, either direction)."""
    neighbours: dict[str, set[str]] = {}
    for ref in derive_references(project):
        neighbours.setdefault(ref.source, set()).add(ref.target)
        neighbours.setdefault(ref.target, set()).add(ref.source)
    return neighbours


def apply_layout(project, height_of: Callable[[NodeBase], float] = estimated_height) -> None:
    """Move every node of ``project`` to its layered position (one event per node)."""
    for node_id, position in layered_positions(project, height_of).items():
        project.move_node(node_id, position)
