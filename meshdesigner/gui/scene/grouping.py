"""Where things go on a grouped canvas: lanes inside a box, and boxes packed to the window's shape.

Plain Python (no Qt): the canvas asks for positions, these functions answer. A large design is shown
grouped by namespace; the positions computed here are view state, never written into the model (the
model's positions still decide the order of the cards inside a lane, so a design keeps its order).

Both packers choose, among a few candidate shapes, the one that lets the result be shown at the
largest zoom in a viewport of the given aspect ratio (width / height): a wide window gets wide rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CARD_W = 264.0       # the card width (items.CARD_WIDTH)
COLUMN_GAP = 36.0    # between two columns of one lane
LANE_GAP = 90.0      # between two lanes (room for edge labels and the internet mark)
ROW_GAP = 24.0       # between two cards of one column
BOX_GAP = 48.0       # between two boxes


@dataclass(frozen=True)
class LaneBlock:
    """Cards laid out in lanes: relative positions, the box size, and each lane's x span."""

    positions: dict[str, tuple[float, float]]
    width: float
    height: float
    lanes: tuple[tuple[str, float, float], ...]   # (kind, x left, x right)


def _columns(cards: Sequence[tuple[str, float]], limit: float) -> list[list[tuple[str, float]]]:
    """Cards in order, cut into columns no taller than ``limit`` (a column holds at least one card)."""
    columns: list[list[tuple[str, float]]] = [[]]
    height = 0.0
    for card in cards:
        if columns[-1] and height + card[1] > limit:
            columns.append([])
            height = 0.0
        columns[-1].append(card)
        height += card[1] + ROW_GAP
    return columns


def _column_height(column: list[tuple[str, float]]) -> float:
    return sum(h for _id, h in column) + ROW_GAP * (len(column) - 1)


def lane_block(lanes: Sequence[tuple[str, Sequence[tuple[str, float]]]], aspect: float) -> LaneBlock:
    """Lay out ``[(kind, [(id, height), ...]), ...]`` (lanes in flow order, cards in order) so the
    block fits a viewport of ``aspect`` at the largest zoom; a tall lane wraps into several columns."""
    lanes = [(kind, list(cards)) for kind, cards in lanes if cards]
    if not lanes:
        return LaneBlock({}, CARD_W, 0.0, ())
    tallest = max(sum(h + ROW_GAP for _id, h in cards) for _kind, cards in lanes)
    highest_card = max(h for _kind, cards in lanes for _id, h in cards)
    best: tuple[float, float] | None = None
    for parts in range(1, 13):
        limit = max(highest_card, tallest / parts)
        width, height = _measure(lanes, limit)
        score = min(aspect / width, 1.0 / height)  # zoom to fit a viewport of aspect:1
        if best is None or score > best[0] * 1.0001:
            best = (score, limit)
        if limit <= highest_card:
            break
    return _place(lanes, best[1])


def _measure(lanes, limit: float) -> tuple[float, float]:
    width, height = -LANE_GAP, 0.0
    for _kind, cards in lanes:
        columns = _columns(cards, limit)
        width += LANE_GAP + len(columns) * CARD_W + (len(columns) - 1) * COLUMN_GAP
        height = max(height, *(_column_height(c) for c in columns))
    return width, height


def _place(lanes, limit: float) -> LaneBlock:
    positions: dict[str, tuple[float, float]] = {}
    spans = []
    x = 0.0
    height = 0.0
    for kind, cards in lanes:
        left = x
        for column in _columns(cards, limit):
            y = 0.0
            for node_id, card_height in column:
                positions[node_id] = (x, y)
                y += card_height + ROW_GAP
            height = max(height, y - ROW_GAP)
            x += CARD_W + COLUMN_GAP
        x -= COLUMN_GAP
        spans.append((kind, left, x))
        x += LANE_GAP
    return LaneBlock(positions, x - LANE_GAP, height, tuple(spans))


def pack_boxes(sizes: Sequence[tuple[str, float, float]], aspect: float) -> dict[str, tuple[float, float]]:
    """Top-left corners for boxes ``[(key, width, height)]`` in rows (in the given order), the row
    width chosen so the whole fits a viewport of ``aspect`` at the largest zoom."""
    if not sizes:
        return {}
    area = sum((w + BOX_GAP) * (h + BOX_GAP) for _k, w, h in sizes)
    widest = max(w for _k, w, _h in sizes)
    best: tuple[float, dict] | None = None
    for factor in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8, 2.1, 2.5, 3.0):
        row_width = max(widest, (area * aspect) ** 0.5 * factor)
        placed, width, height = _shelves(sizes, row_width)
        score = min(aspect / width, 1.0 / height)
        if best is None or score > best[0] * 1.0001:
            best = (score, placed)
    return best[1]


def _shelves(sizes, row_width: float) -> tuple[dict[str, tuple[float, float]], float, float]:
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = width = 0.0
    for key, w, h in sizes:
        if x > 0 and x + w > row_width:
            y += row_height + BOX_GAP
            x = row_height = 0.0
        placed[key] = (x, y)
        x += w + BOX_GAP
        width = max(width, x - BOX_GAP)
        row_height = max(row_height, h)
    return placed, width, y + row_height
