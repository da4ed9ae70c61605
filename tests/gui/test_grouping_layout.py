"""The grouped canvas's pieces without a window: lane blocks and box packing use the viewport's shape,
focus history behaves like a browser's, a neighbourhood follows references both ways, and a card's
height comes from a row count that matches its rows."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES_DIR
from meshdesigner.gui.scene.focus import FocusHistory, neighbourhood
from meshdesigner.gui.scene.grouping import CARD_W, lane_block, pack_boxes

pytestmark = pytest.mark.gui


def test_a_tall_lane_wraps_into_columns_for_a_wide_viewport():
    cards = [(f"s{i}", 100.0) for i in range(30)]
    narrow = lane_block([("mesh-service", cards)], aspect=0.5)
    wide = lane_block([("mesh-service", cards)], aspect=3.0)
    assert CARD_W <= narrow.width < wide.width  # a tall viewport gets fewer, taller columns
    assert wide.height < narrow.height / 1.5
    assert len({x for x, _y in wide.positions.values()}) >= 5
    # Lanes stay in order, left to right, and never overlap.
    block = lane_block([("ingress-gateway", [("g", 80.0)]), ("virtual-service", cards[:4])], aspect=1.6)
    (_k1, _l1, right1), (_k2, left2, _r2) = block.lanes
    assert right1 < left2
    assert block.positions["g"][0] < min(block.positions[f"s{i}"][0] for i in range(4))


def test_boxes_pack_into_rows_to_the_viewport_shape():
    boxes = [(f"ns-{i}", 300.0, 150.0) for i in range(24)]
    wide = pack_boxes(boxes, aspect=2.0)
    tall = pack_boxes(boxes, aspect=0.5)
    columns = lambda placed: len({x for x, _y in placed.values()})  # noqa: E731
    assert columns(wide) > columns(tall) >= 1
    assert len(set(wide.values())) == len(boxes)  # nothing on top of anything


def test_focus_history_goes_back_and_forward_like_a_browser():
    history = FocusHistory()
    for entry in ("a", "b", "c"):
        history.push(entry)
    assert history.back() == "b" and history.back() == "a" and history.back() is None
    assert not history.can_go_back()
    assert history.forward() == "a"
    history.push("d")  # a new focus drops what was ahead
    assert not history.can_go_forward() and history.entries == [None, "a", "d"]
    history.forget(lambda entry: entry != "a")
    assert history.entries == [None, "d"] and history.current == "d"


def test_neighbourhood_is_everything_upstream_and_downstream():
    down = {"svc-front": ["gw"], "gw": ["vs1", "vs2"], "vs1": ["a"], "vs2": ["b"], "vs3": ["a"], "gw2": ["vs3"]}
    up: dict[str, list[str]] = {}
    for source, targets in down.items():
        for target in targets:
            up.setdefault(target, []).append(source)
    assert neighbourhood("gw", down, up) == {"svc-front", "gw", "vs1", "vs2", "a", "b"}
    # A service is reached through every virtual service routing to it and their gateways.
    assert neighbourhood("a", down, up) == {"a", "vs1", "vs3", "gw", "gw2", "svc-front"}


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("*.mesh.yaml")), ids=lambda p: p.name)
def test_row_count_matches_the_rows(path):
    from meshdesigner.gui.scene.rows import row_count, rows
    from meshdesigner.io.project_file import load_project

    for node in load_project(str(path)):
        assert row_count(node) == max(1, len(rows(node))), node.id
