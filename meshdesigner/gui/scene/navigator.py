"""The grouped canvas: namespace groups, collapsing, focus on a neighbourhood, Back and Forward.

A large design (more than ``GROUP_ABOVE`` nodes) opens grouped: every namespace is a group, collapsed
to a summary card, the cards packed to the window's shape. Focusing a node puts its neighbourhood in a
box of its own (lanes inside, wrapped to the window's shape) and fades the groups. All of this is view
state: positions here are never written into the model, nothing is undoable, nothing is saved.

While grouped, a card's place comes from here (its model position only orders it within its lane);
cards are not dragged, everything else (adding, connecting, editing, deleting, undo) works as usual and
keeps the groups' states and the focus.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsItem

from ...model import LANE_ORDER, NodeKind
from ..style import SEVERITY_RANK
from .focus import FocusHistory, neighbourhood
from .grouping import lane_block, pack_boxes
from .groups import (
    PAD_BOTTOM,
    PAD_X,
    SUMMARY_H,
    SUMMARY_W,
    TITLE_PX,
    BundleLayer,
    FocusFrame,
    GroupItem,
    GroupSummary,
    title_bar,
    title_size,
)
from .pacing import PaintPacer

GROUP_ABOVE = 200        # designs with more nodes than this open grouped by namespace
FOCUS_GAP = 240.0        # between the focus box and the groups
FOCUS_KEY = "\x00focus"  # the focus box's key among the boxes (no namespace can be named so)
MOVABLE = QGraphicsItem.GraphicsItemFlag.ItemIsMovable


class Navigator(QObject):
    # What changed: ("focus", node id or None), ("group", namespace), ("grouping", None); the view fits
    # what the user asked to see.
    sig_changed = Signal(str, object)

    def __init__(self, scene) -> None:
        super().__init__(scene)
        self.scene = scene
        self.enabled = False
        self.groups: dict[str, GroupItem] = {}
        self.collapsed: set[str] = set()
        self.focus_id: str | None = None
        self.focus_ids: set[str] = set()     # the cards in the focus box
        self.focus_rect: QRectF | None = None
        self.history = FocusHistory()
        self.shown: set[str] | None = None   # ids with a visible card; None: all (not grouped)
        self.placed: dict[str, tuple[float, float]] = {}
        self.aspects = (1.6, 1.6)  # the viewport's width / height in the overview, and while focused
        self.matches: set[str] | None = None  # the outline filter's nodes
        self.bundle_layer: BundleLayer | None = None
        self.focus_frame: FocusFrame | None = None
        self._bundles: list | None = None
        self._counts: tuple[set[str], Counter] | None = None   # see _bundle_counts
        self._summaries: dict[str, GroupSummary] | None = None
        self._gateways_in: dict[str, set[str]] | None = None
        self._links: tuple[dict, dict] | None = None       # downstream, upstream adjacency
        self._members: dict[str, dict[str, list]] | None = None  # namespace -> kind -> sorted cards
        self.placing = False
        self.hovered: str | None = None       # the group under the mouse (its bundles stand out)
        self.pacer = PaintPacer(self)

    # ----- switching ----------------------------------------------------------------------------
    def attach(self, cards_hidden: bool = False) -> None:
        """After the scene (re)built its items: open grouped if the design is large. ``cards_hidden``: the
        scene made the cards hidden (it knows a large design opens grouped)."""
        self.groups = {}
        self.shown, self.placed = None, {}
        self.focus_id, self.focus_ids = None, set()
        self.history = FocusHistory()
        self.bundle_layer = BundleLayer(self.scene)
        self.scene.addItem(self.bundle_layer)
        self.focus_frame = FocusFrame(self.scene)
        self.scene.addItem(self.focus_frame)
        self.enabled = len(self.scene.items_by_id) > GROUP_ABOVE
        if cards_hidden and self.enabled:
            self.shown = set()  # so the layout below hides nothing (and shows only what it places)
        self.collapsed = set(self.namespaces())
        self.relayout()

    def reveal_gradually(self) -> None:
        """Show the links between namespace boxes, then the boxes a few per turn of the event loop, top left
        first (a design just built off-screen: its first paint would otherwise draw and cache all at once)."""
        if self.bundle_layer is not None:
            self.pacer.reveal([self.bundle_layer])   # a turn of its own: 3-10 ms
        self.pacer.reveal(sorted(self.groups.values(), key=lambda group: (group.y(), group.x())))

    def set_enabled(self, enabled: bool) -> None:
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if enabled:
            self.collapsed = set(self.namespaces())
        self.focus_id, self.focus_ids = None, set()
        self.history = FocusHistory()
        self.relayout()
        self.scene.update_scene_rect()
        self.sig_changed.emit("grouping", None)

    def namespaces(self) -> list[str]:
        return sorted(self._members_now())

    # ----- groups -------------------------------------------------------------------------------
    def toggle_group(self, namespace: str) -> None:
        self.set_collapsed(namespace, namespace not in self.collapsed)

    def set_collapsed(self, namespace: str, collapsed: bool) -> None:
        if (namespace in self.collapsed) == collapsed:
            return
        (self.collapsed.add if collapsed else self.collapsed.discard)(namespace)
        self.relayout()
        self.sig_changed.emit("group", namespace)

    def group_rect(self, namespace: str) -> QRectF:
        group = self.groups[namespace]
        return group.rect().translated(group.pos())

    # ----- focus --------------------------------------------------------------------------------
    def focus(self, node_id: str | None, remember: bool = True) -> None:
        """Show ``node_id``'s neighbourhood in the focus box (None: back to the overview)."""
        if node_id is not None and node_id not in self.scene.items_by_id:
            return
        if remember:
            self.history.push(node_id)
        self.focus_id = node_id
        self.focus_ids = self.neighbourhood_of(node_id) if node_id else set()
        self.relayout()
        self.sig_changed.emit("focus", node_id)

    def back(self) -> None:
        self.history.forget(lambda e: e in self.scene.items_by_id)
        self.focus(self.history.back(), remember=False)

    def forward(self) -> None:
        self.history.forget(lambda e: e in self.scene.items_by_id)
        self.focus(self.history.forward(), remember=False)

    def neighbourhood_of(self, node_id: str) -> set[str]:
        if self._links is None:
            down, up = defaultdict(list), defaultdict(list)
            # Every reference points the way requests flow (a Service that fronts a gateway's pods leads
            # into the gateway), so one pass gives both directions.
            for source, target, _kind, _path in self.scene.edges:
                down[source].append(target)
                up[target].append(source)
            self._links = (down, up)
        return neighbourhood(node_id, *self._links)

    def set_hovered(self, namespace: str | None) -> None:
        self.hovered = namespace
        if self.bundle_layer is not None:
            self.bundle_layer.refresh()

    # ----- the outline filter -------------------------------------------------------------------
    def set_matches(self, ids: set[str] | None) -> None:
        self.matches = ids
        self._summaries = None
        for group in self.groups.values():
            group.update()

    # ----- model events -------------------------------------------------------------------------
    def node_added(self, node) -> None:
        """A new (or restored) node is shown at once: in the focus box when focused, else its group opens."""
        self._members = None
        self._counts = None
        if not self.enabled:
            return
        alone = sum(len(cards) for cards in self._members_now().get(node.namespace, {}).values()) <= 1
        opened = self.focus_id is None and (alone or node.namespace in self.collapsed)
        if self.focus_id is not None:
            self.focus_ids.add(node.id)
        else:
            self.collapsed.discard(node.namespace)
        self.relayout()
        if opened:  # show where the new card went
            self.sig_changed.emit("group", node.namespace)

    def node_removed(self, node) -> None:
        self._members = None
        self._counts = None
        if not self.enabled:
            return
        self.focus_ids.discard(node.id)
        self.relayout()

    def node_changed(self, old, new, height_changed: bool) -> None:
        if not self.enabled:
            return
        if old.namespace != new.namespace or height_changed or old.position != new.position:
            self._members = None
            self._counts = None
            self.relayout()
        else:
            self.invalidate_summaries()

    def edges_changed(self) -> None:
        self._bundles = None
        self._counts = None
        self._gateways_in = None
        self._links = None
        self.invalidate_summaries()
        if self.bundle_layer is not None:
            self.bundle_layer.refresh()

    def invalidate_summaries(self) -> None:
        self._summaries = None
        self.pacer.refresh(self.groups.values())   # every box shows its summary: redrawn a few per turn

    # ----- layout -------------------------------------------------------------------------------
    def is_shown(self, node_id: str) -> bool:
        return self.shown is None or node_id in self.shown

    @property
    def aspect(self) -> float:
        """The shape to pack to now (focused, the minimap takes a corner of the viewport)."""
        return self.aspects[self.focus_id is not None]

    def relayout(self) -> None:
        """Place every group and visible card; hide the cards of collapsed groups."""
        scene = self.scene
        self._bundles = None
        if not self.enabled:
            self._ungroup()
            return
        members = self._members_now()
        focused: dict[str, list] = defaultdict(list)
        if self.focus_ids:
            members = {ns: {kind: [e for e in entries if e[3] not in self.focus_ids]
                            for kind, entries in lanes.items()} for ns, lanes in members.items()}
            for node_id in self.focus_ids:
                item = scene.items_by_id.get(node_id)
                if item is not None:
                    focused[item.node.kind].append(self._entry(item))
        boxes: list[tuple[str, float, float]] = []
        blocks = {}
        for namespace in self.namespaces():
            lanes = {kind: entries for kind, entries in members.get(namespace, {}).items() if entries}
            if namespace in self.collapsed or not lanes:
                boxes.append((namespace, SUMMARY_W, SUMMARY_H))
                continue
            block = lane_block(self._lanes(lanes), self.aspect)
            width = max(SUMMARY_W * 1.6, block.width + 2 * PAD_X)
            title_px = title_size(width, block.height + 2 * PAD_BOTTOM, self.aspect)
            blocks[namespace] = (block, title_px)
            boxes.append((namespace, width, block.height + title_bar(title_px) + 24 + PAD_BOTTOM))
        corners = pack_boxes(boxes, self.aspect)
        shown: set[str] = set()
        positions: dict[str, tuple[float, float]] = {}
        for namespace, width, height in boxes:
            x, y = corners[namespace]
            block, title_px = blocks.get(namespace, (None, TITLE_PX))
            group = self.groups.get(namespace)
            if group is None:
                group = self.groups[namespace] = GroupItem(scene, namespace)
                scene.addItem(group)
            has_members = any(members.get(namespace, {}).values())
            collapsed = block is None
            group.set_state(collapsed, (width, height), block.lanes if block else (),
                            faded=self.focus_id is not None, title_px=title_px)
            group.setVisible(has_members or namespace in self.collapsed)
            group.setPos(x, y)
            if block is not None:
                for node_id, (bx, by) in block.positions.items():
                    positions[node_id] = (x + PAD_X + bx, y + title_bar(title_px) + 24 + by)
                    shown.add(node_id)
        for namespace in set(self.groups) - {ns for ns, _w, _h in boxes}:
            scene.removeItem(self.groups.pop(namespace))
        self.focus_rect = None
        if focused:
            block = lane_block(self._lanes(focused), self.aspect)
            width = max(SUMMARY_W * 2, block.width + 2 * PAD_X)
            title_px = title_size(width, block.height + 2 * PAD_BOTTOM, self.aspect)
            bar = title_bar(title_px)
            left = -(width + FOCUS_GAP)
            for node_id, (bx, by) in block.positions.items():
                positions[node_id] = (left + PAD_X + bx, by + bar)
                shown.add(node_id)
            self.focus_rect = QRectF(left, 0, width, block.height + bar + PAD_BOTTOM)
            node = scene.items_by_id[self.focus_id].node if self.focus_id in scene.items_by_id else None
            title = f"{node.namespace}/{node.name} and what a request through it can touch" if node else "Focus"
            self.focus_frame.set_state(title, (self.focus_rect.width(), self.focus_rect.height()), block.lanes,
                                       title_px)
            self.focus_frame.setPos(self.focus_rect.topLeft())
        if self.focus_frame is not None:
            self.focus_frame.setVisible(self.focus_rect is not None)
        self._place(positions, shown)

    @staticmethod
    def _entry(item) -> tuple:
        node = item.node
        return (node.position[1], node.position[0], node.name, node.id, item.height)

    def _members_now(self) -> dict[str, dict[str, list]]:
        """Namespace -> kind -> the cards in lane order (by model position, then name)."""
        if self._members is None:
            members: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
            for item in self.scene.items_by_id.values():
                members[item.namespace][item.node.kind].append(self._entry(item))
            for lanes in members.values():
                for entries in lanes.values():
                    entries.sort()
            self._members = members
        return self._members

    @staticmethod
    def _lanes(by_kind: dict[str, list]) -> list[tuple[str, list[tuple[str, float]]]]:
        return [(kind, [(e[3], e[4]) for e in sorted(by_kind[kind])]) for kind in LANE_ORDER if by_kind.get(kind)]

    def _place(self, positions: dict[str, tuple[float, float]], shown: set[str]) -> None:
        """Move and show the cards that changed, hide the rest; refresh the edges of moved cards."""
        scene = self.scene
        before = self.shown if self.shown is not None else set(scene.items_by_id)
        moved: set[str] = set()
        self.placing = True
        try:
            for node_id in before - shown:
                item = scene.items_by_id.get(node_id)
                if item is not None:
                    item.setVisible(False)
            for node_id in shown:
                item = scene.items_by_id[node_id]
                if node_id not in before or not item.isVisible():
                    item.setVisible(True)
                    item.setFlag(MOVABLE, False)
                    moved.add(node_id)
                if self.placed.get(node_id) != positions[node_id]:
                    item.setPos(QPointF(*positions[node_id]))
                    moved.add(node_id)
                elif node_id not in moved:
                    item.update()  # faded or not, as the focus says
        finally:
            self.placing = False
        self.shown = shown
        self.placed = positions
        scene.show_edges(moved | (before ^ shown))
        scene.set_zoom(scene.zoom)  # blocks or cards depends on how many show
        scene.nodes_dirty()
        scene.update_scene_rect()
        if self.bundle_layer is not None:
            self.bundle_layer.refresh()

    def _ungroup(self) -> None:
        """Back to the free canvas: every card at its model position, movable, visible."""
        scene = self.scene
        for group in self.groups.values():
            scene.removeItem(group)
        self.groups = {}
        self.focus_rect = None
        if self.focus_frame is not None:
            self.focus_frame.setVisible(False)
        self.placing = True
        try:
            for item in scene.items_by_id.values():
                item.setVisible(True)
                item.setFlag(MOVABLE, True)
                item.setPos(QPointF(*item.node.position))
        finally:
            self.placing = False
        self.shown = None
        self.placed = {}
        scene.show_edges(set(scene.items_by_id))
        scene.set_zoom(scene.zoom)
        scene.nodes_dirty()

    def content_rect(self) -> QRectF:
        """The groups and the focus box (what the overview fits)."""
        rect = QRectF()
        for group in self.groups.values():
            if group.isVisible():
                rect = rect.united(group.rect().translated(group.pos()))
        if self.focus_rect is not None:
            rect = rect.united(self.focus_rect)
        return rect

    # ----- what groups show ---------------------------------------------------------------------
    def prepare_steps(self) -> Iterator[None]:
        """Make the groups' summaries ahead, in pieces (the end of a sliced opening), so that the first
        paint of the overview and the minimap do not make them in one go (~30-60 ms on the bench mesh)."""
        if not self.enabled:
            return
        self._upstream_gateways()
        yield
        self.group_summary("")
        yield
        self._bundle_counts()

    def group_summary(self, namespace: str) -> GroupSummary:
        if self._summaries is None:
            self._summaries = self._summarise()
        return self._summaries.get(namespace) or GroupSummary()

    def _summarise(self) -> dict[str, GroupSummary]:
        kinds: dict[str, Counter] = defaultdict(Counter)
        severities: dict[str, Counter] = defaultdict(Counter)
        codes: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        matches: dict[str, int] = defaultdict(int)
        gateways_in = self._upstream_gateways()
        for node_id, item in self.scene.items_by_id.items():
            ns = item.namespace
            kinds[ns][item.node.kind] += 1
            for d in item.diagnostics:
                severities[ns][d.severity] += 1
                codes[ns][d.severity][d.code] += 1
            if self.matches is not None and node_id in self.matches:
                matches[ns] += 1
        out = {}
        for ns, counts in kinds.items():
            worst = max(severities[ns], key=lambda s: SEVERITY_RANK.get(s, 0)) if severities[ns] else None
            out[ns] = GroupSummary(
                counts={k: counts[k] for k in LANE_ORDER if counts.get(k)},
                severity_counts=dict(severities[ns]), worst=worst,
                worst_code=codes[ns][worst].most_common(1)[0][0] if worst else "",
                gateways_in=sorted(g for g in gateways_in.get(ns, ()) if not g.startswith(f"{ns}/")),
                matches=None if self.matches is None else matches[ns])
        return out

    def _upstream_gateways(self) -> dict[str, set[str]]:
        """For every namespace, the gateways ("namespace/name") a request reaches its nodes through (two
        hops: gateway -> virtual service -> destination)."""
        if self._gateways_in is not None:
            return self._gateways_in
        items = self.scene.items_by_id
        gateway_kinds = (NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY)
        via: dict[str, list[str]] = defaultdict(list)      # virtual service -> gateways binding it
        routes: list[tuple[str, str]] = []
        for source, target, kind, _path in self.scene.edges:
            if kind == "binds" and items[source].node.kind in gateway_kinds:
                node = items[source].node
                via[target].append(f"{node.namespace}/{node.name}")
            elif kind == "routes":
                routes.append((source, target))
        found: dict[str, set[str]] = defaultdict(set)
        for vs, gateways in via.items():
            found[items[vs].namespace].update(gateways)
        for source, target in routes:
            gateways = via.get(source)
            if gateways:
                found[items[target].namespace].update(gateways)
        self._gateways_in = found
        return found

    # ----- bundled edges ------------------------------------------------------------------------
    def bundles(self) -> list[tuple[QPointF, QPointF, int, tuple[str, str]]]:
        """One line per pair of (collapsed group or card) ends: its start, end, the number of references it
        bundles and the namespaces it joins; none while focused (the groups are faded then)."""
        if self._bundles is not None:
            return self._bundles
        self._bundles = []
        if not self.enabled or self.focus_id is not None:
            return self._bundles
        items = self.scene.items_by_id
        rects = {ns: self.group_rect(ns) for ns in self.groups}
        for (a, b), count in sorted(self._bundle_counts().items()):
            ends = tuple(items[e].namespace if e in items else e[3:] for e in (a, b))
            self._bundles.append((self._anchor(a, True, rects), self._anchor(b, False, rects), count, ends))
        return self._bundles

    def _bundle_counts(self) -> Counter:
        """(end, end) -> how many references a bundle stands for; an end is a shown card or "ns:" and a
        collapsed group's namespace. Kept while the same cards show and no edge or namespace changed (a
        relayout that only moves groups keeps it: ~4,400 edges on the bench mesh)."""
        shown = self.shown or set()
        if self._counts is None or self._counts[0] != shown:
            items = self.scene.items_by_id
            counts: Counter = Counter()
            for source, target, _kind, _path in self.scene.edges:
                if source in shown and target in shown:
                    continue  # drawn as itself
                a = source if source in shown else "ns:" + items[source].namespace
                b = target if target in shown else "ns:" + items[target].namespace
                if a != b:
                    counts[(a, b)] += 1
            self._counts = (set(shown), counts)
        return self._counts[1]

    def _anchor(self, end: str, out: bool, rects: dict[str, QRectF]) -> QPointF:
        if end.startswith("ns:"):
            rect = rects[end[3:]]
            return QPointF(rect.right() if out else rect.left(), rect.top() + 28)
        item = self.scene.items_by_id[end]
        return item.out_anchor() if out else item.in_anchor()
