"""The canvas scene: one NodeItem per node, one EdgeItem per reference, lanes in the background.

The scene follows the document's signals: a changed node updates only its own item and the edges
touching it. Edges are recomputed per virtual service through a cached ReferenceIndex; only a
change to what other nodes are *found by* (names, hosts, selectors) rebuilds the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from ...io.gcpause import gc_paused
from ...model import (
    LANE_ORDER,
    ExternalServiceNode,
    GatewayNode,
    MeshServiceNode,
    NodeBase,
    NodeKind,
    Reference,
    ReferenceIndex,
    VirtualServiceNode,
)
from ...model.layout import LANE_MARGIN, LANE_WIDTH
from ...model.references import service_references, virtual_service_references
from ..document import Document
from ..style import current_theme, icon_pixmap
from .items import BLOCK_BELOW, CARD_WIDTH, GRID, HEADER, LOW_DETAIL, EdgeItem, NodeItem, edge_key
from .layers import BATCH_EDGES, EdgeLayer, NodeOverviewLayer
from .navigator import GROUP_ABOVE, Navigator

NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents

EDGES_PER_STEP = 50  # edges made in one step of a sliced build
CROWDED = 400  # more cards shown than this: below LOW_DETAIL they are drawn as blocks
CLIENT_OFFSET = 64.0  # the internet mark left of an ingress gateway
LANE_TITLES = ("Clients", "Ingress", "Routing", "Services", "Egress", "External")


def lane_rect(index: int, top: float, bottom: float) -> QRectF:
    """Lane ``index`` (0 = Clients, then LANE_ORDER) as a scene rectangle."""
    x = LANE_MARGIN + (index - 1) * LANE_WIDTH - 22
    return QRectF(x, top, CARD_WIDTH + 44, bottom - top)


def lookup_signature(node: NodeBase) -> tuple:
    """What other nodes find this one by; when it changes, every edge may change."""
    if isinstance(node, GatewayNode):
        servers = tuple(s.port.number for s in node.gateway.spec.servers or [])
        return (node.kind, node.gateway.metadata.qualified, node.service.fqdn if node.service else None,
                tuple(sorted((node.gateway.spec.selector or {}).items())), servers)
    if isinstance(node, MeshServiceNode):
        return (node.kind, node.fqdn, tuple(sorted((node.service.spec.selector or {}).items())))
    if isinstance(node, ExternalServiceNode):
        return (node.kind, tuple(node.service_entry.spec.hosts or []))
    return (node.kind, node.id)


def _near(path: QPainterPath, point: QPointF, distance: float = 5.0) -> bool:
    stroker = QPainterPathStroker()
    stroker.setWidth(2 * distance)
    return stroker.createStroke(path).contains(point)


def writer(key: tuple) -> str:
    """The node whose resource holds the reference: a binding is written in the virtual service."""
    return key[1] if key[2] == "binds" else key[0]


class CanvasScene(QGraphicsScene):
    sig_node_moved_by_user = Signal()

    def __init__(self, document: Document, parent=None, build: bool = True) -> None:
        """``build=False``: the items are made later, by :meth:`rebuild` or slice by slice through
        :meth:`build_steps` (opening a large design without blocking the window)."""
        super().__init__(parent)
        self.document = document
        self.items_by_id: dict[str, NodeItem] = {}
        self.edges: dict[tuple, EdgeItem] = {}
        self.edges_of: dict[str, set[tuple]] = defaultdict(set)
        self.snap_to_grid = True
        self.applying_model = False
        self.dimmed: set[str] | None = None
        self.highlight_nodes: set[str] = set()
        self.highlight_edges: set[tuple] = set()
        self._index: ReferenceIndex | None = None
        self._gateway_labels: set | None = None
        self._grid_tile: QPixmap | None = None
        self._ingress: list[NodeItem] | None = None
        self.lane_title_y = 22.0
        self.edge_drawing: dict[tuple, tuple] = {}
        self.batched = False     # many edges: the edge layer draws them in batches
        self.overview = False    # zoomed far out: the overview layer draws the cards as blocks
        self.zoom = 1.0
        self.edge_layer: EdgeLayer | None = None
        self.node_layer: NodeOverviewLayer | None = None
        self.navigator = Navigator(self)  # groups, focus, history (view state of large designs)
        self.stale_edges: set[tuple] = set()  # hidden edges whose geometry waits until they show
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        if build:
            self.rebuild()
        document.sig_node_added.connect(self._on_added)
        document.sig_node_removed.connect(self._on_removed)
        document.sig_node_changed.connect(self._on_changed)
        document.sig_node_renamed.connect(self._on_renamed)
        document.sig_policies_changed.connect(self._on_policies_changed)

    def _on_policies_changed(self) -> None:
        """Policy tags on gateway cards follow the design's policies."""
        for item in self.items():
            if isinstance(item, NodeItem) and isinstance(item.node, GatewayNode):
                item._tooltip_stale = True
                item.update()

    # ----- building --------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate every item from the project (opening a file)."""
        with gc_paused():  # thousands of items and references, none of them cyclic garbage
            for _ in self.build_steps():
                pass

    def build_steps(self) -> Iterator[None]:
        """Recreate every item from the project, yielding after each small piece of work (a card, the
        references of a node, a few edges): the caller may let the event loop run between pieces."""
        self.clear()
        self.items_by_id.clear()
        self.edges.clear()
        self.edges_of.clear()
        self.edge_drawing.clear()
        self.stale_edges.clear()
        self.edge_layer, self.node_layer = EdgeLayer(self), NodeOverviewLayer(self)
        self.addItem(self.edge_layer)
        self.addItem(self.node_layer)
        # An explicit rectangle from the start: the layers span the scene's rectangle, and a scene left
        # to compute it from its items (between two slices) would ask the layers again, endlessly.
        self.setSceneRect(QRectF(0, 0, 1, 1))
        # A large design opens grouped, every group collapsed: its cards start hidden, here, a card per step,
        # rather than shown and then hidden all in one step by the navigator.
        hidden = len(self.document.project) > GROUP_ABOVE
        for node in list(self.document.project):
            self.applying_model = True
            item = NodeItem(node, no_contents=self.overview)
            if hidden:
                item.setVisible(False)
            self.items_by_id[node.id] = item
            self.addItem(item)
            self.applying_model = False
            yield
        self.navigator.attach(cards_hidden=hidden)
        yield
        self._index = None
        wanted: dict[tuple, Reference] = {}
        for node in list(self.document.project):
            for ref in self._refs_of(node):
                wanted[edge_key(ref)] = ref
            yield
        keys = list(wanted)
        for start in range(0, len(keys), EDGES_PER_STEP):
            self._sync_edges({key: wanted[key] for key in keys[start:start + EDGES_PER_STEP]}, set())
            yield
        self.update_scene_rect()
        yield
        yield from self.navigator.prepare_steps()

    def update_scene_rect(self) -> None:
        """The content with a generous margin all round, so the view can centre any part of it."""
        if self.navigator.enabled:
            content = self.navigator.content_rect()
            self.setSceneRect(content.adjusted(-900, -900, 900, 900))
            return
        top, bottom, right = 80.0, 600.0, LANE_MARGIN + len(LANE_ORDER) * LANE_WIDTH
        for item in self.items_by_id.values():
            pos = item.pos()
            top = min(top, pos.y())
            bottom = max(bottom, pos.y() + item.height)
            right = max(right, pos.x() + CARD_WIDTH)
        left = LANE_MARGIN - LANE_WIDTH - 40
        self.lane_title_y = top - 58
        self.setSceneRect(QRectF(left - 800, top - 900, right - left + 1800, bottom - top + 1800))

    def _index_now(self) -> ReferenceIndex:
        if self._index is None:
            self._gateway_labels = None
            self._index = ReferenceIndex(self.document.project)
        return self._index

    def _refs_of(self, node: NodeBase) -> list[Reference]:
        if isinstance(node, VirtualServiceNode):
            return virtual_service_references(node, self._index_now())
        if isinstance(node, MeshServiceNode) and self._may_front(node):
            # As in the model: one service per name (a duplicate does not front anything twice).
            index = self._index_now()
            owner = index.services_by_fqdn.get(node.fqdn)
            if owner is not None and owner.id == node.id:
                return service_references(node, index)
        return []

    def _may_front(self, node: MeshServiceNode) -> bool:
        """Quick test before the model's scan of every gateway: some gateway has all selector labels."""
        index = self._index_now()
        if self._gateway_labels is None:
            self._gateway_labels = set()
            for gw in index.gateways.values():
                self._gateway_labels.update((gw.gateway.spec.selector or {}).items())
        selector = node.service.spec.selector or {}
        return bool(selector) and all(pair in self._gateway_labels for pair in selector.items())

    def _rebuild_edges(self) -> None:
        self._index = None
        wanted: dict[tuple, Reference] = {}
        for node in self.document.project:
            for ref in self._refs_of(node):
                wanted[edge_key(ref)] = ref
        self._sync_edges(wanted, set(self.edges))

    def _sync_edges(self, wanted: dict[tuple, Reference], scope: set[tuple]) -> None:
        """Make the edges in ``scope`` equal ``wanted`` (added, removed, relabelled)."""
        touched: set[tuple[str, str]] = set()
        for key in scope - set(wanted):
            touched.add(key[:2])
            self._remove_edge(key)
        for key, ref in wanted.items():
            existing = self.edges.get(key)
            if existing is not None:
                if existing.ref != ref:
                    existing.ref = ref
                    touched.add(key[:2])
                continue
            source, target = self.items_by_id.get(ref.source), self.items_by_id.get(ref.target)
            if source is None or target is None:
                continue
            self.edges_of[ref.source].add(key)
            self.edges_of[ref.target].add(key)
            edge = EdgeItem(ref, source, target)
            edge.highlighted = key in self.highlight_edges
            edge.setFlag(NO_CONTENTS, self.batched and not edge.highlighted)
            shown = self.navigator.is_shown
            self.edges[key] = edge
            if shown(ref.source) and shown(ref.target):
                self.addItem(edge)
            else:  # joins the scene when both its cards show (thousands of hidden edges cost nothing)
                edge.setVisible(False)
            touched.add(key[:2])
        # Geometry once every edge is in: edges joining the same two nodes fan out and share labels.
        for source, target in touched:
            for key in self.edges_of.get(source, ()):
                if key[1] == target and key in self.edges:
                    self._edge_geometry(key)
        self._update_batching()
        if touched:  # what groups summarise (gateways in, bundles) depends on the edges only
            self.navigator.edges_changed()

    def _edge_geometry(self, key: tuple) -> None:
        """Recompute an edge's path now if it is shown; a hidden one waits until it shows."""
        edge = self.edges[key]
        if edge.isVisible():
            self.stale_edges.discard(key)
            edge.update_geometry()
        else:
            self.stale_edges.add(key)

    def show_edges(self, changed: set[str]) -> None:
        """After the navigator placed the cards: an edge shows when both its cards show; the edges of
        cards that moved, appeared or disappeared (``changed``) get their new paths."""
        shown = self.navigator.is_shown
        for key in {key for node_id in changed for key in self.edges_of.get(node_id, ())}:
            edge = self.edges[key]
            visible = shown(key[0]) and shown(key[1])
            if visible and edge.scene() is None:
                self.addItem(edge)
            if edge.isVisible() != visible:
                edge.setVisible(visible)
            if visible:
                self.stale_edges.discard(key)
                edge.update_geometry()
        self.edges_dirty()

    def _update_batching(self) -> None:
        batched = len(self.edges) > BATCH_EDGES
        if batched != self.batched:
            self.batched = batched
            for edge in self.edges.values():
                edge.setFlag(NO_CONTENTS, batched and not edge.highlighted)
            self.edges_dirty()

    def edge_geometry_changed(self, edge: EdgeItem) -> None:
        # A plain-Python copy of what batch drawing needs: reading attributes of Qt wrapper
        # objects for thousands of edges on every rebuild costs far more.
        key = edge.key
        self.edge_drawing[key] = (edge.role, edge.ref.kind, edge.path, edge.head, edge.label_at,
                                  edge.label_text())
        if self.edge_layer is not None and self.batched:
            self.edge_layer.invalidate(key)

    def edges_dirty(self) -> None:
        """Some edge changed: the batched drawing is rebuilt at the next repaint."""
        if self.edge_layer is not None and self.batched:
            self.edge_layer.invalidate()

    def nodes_dirty(self) -> None:
        self._ingress = None
        if self.node_layer is not None and self.overview:
            self.node_layer.invalidate()

    def toggle_group(self, namespace: str) -> None:
        self.navigator.toggle_group(namespace)

    def group_summary(self, namespace: str):
        return self.navigator.group_summary(namespace)

    def bundles(self) -> list:
        return self.navigator.bundles()

    def set_zoom(self, zoom: float) -> None:
        """The view's zoom: far out, or out on a crowded canvas, cards become blocks drawn in one pass."""
        self.zoom = zoom
        shown = len(self.navigator.shown) if self.navigator.shown is not None else len(self.items_by_id)
        self.set_overview(zoom < BLOCK_BELOW or (zoom < LOW_DETAIL and shown > CROWDED))

    def set_overview(self, overview: bool) -> None:
        """Far zoomed out: cards become coloured blocks drawn in one pass."""
        if overview == self.overview:
            return
        self.overview = overview
        for item in self.items_by_id.values():
            item.setFlag(NO_CONTENTS, overview)
        self.nodes_dirty()
        self.update()

    def _remove_edge(self, key: tuple) -> None:
        edge = self.edges.pop(key, None)
        if edge is None:
            return
        self.edges_of[edge.ref.source].discard(key)
        self.edges_of[edge.ref.target].discard(key)
        self.edge_drawing.pop(key, None)
        if edge.scene() is self:
            self.removeItem(edge)
        if self.edge_layer is not None and self.batched:
            self.edge_layer.invalidate(key)

    def _refresh_edges_of(self, node: NodeBase) -> None:
        """Recompute the edges ``node`` writes (a virtual service's, a service's)."""
        scope = {k for k in self.edges_of.get(node.id, set()) if writer(k) == node.id}
        self._sync_edges({edge_key(r): r for r in self._refs_of(node)}, scope)

    # ----- model events ----------------------------------------------------------------------
    def _on_added(self, node: NodeBase) -> None:
        self.applying_model = True
        item = NodeItem(node, no_contents=self.overview)
        self.items_by_id[node.id] = item
        self.addItem(item)
        self.applying_model = False
        self.nodes_dirty()
        self.navigator.node_added(node)
        if isinstance(node, VirtualServiceNode):
            self._index_now().virtual_services.append(node)
            self._refresh_edges_of(node)
        else:
            self._rebuild_edges()
        self.update_scene_rect()

    def _on_removed(self, node: NodeBase) -> None:
        for key in list(self.edges_of.pop(node.id, set())):
            self._remove_edge(key)
        item = self.items_by_id.pop(node.id, None)
        if item is not None:
            self.removeItem(item)
        self.nodes_dirty()
        self.highlight_nodes.discard(node.id)
        self._index = None
        if not isinstance(node, VirtualServiceNode):
            self._rebuild_edges()
        self.navigator.edges_changed()
        self.navigator.node_removed(node)

    def _on_changed(self, old: NodeBase, new: NodeBase) -> None:
        item = self.items_by_id[new.id]
        self.applying_model = True
        height = item.height
        item.set_node(new, place=not self.navigator.enabled)
        self.applying_model = False
        self.navigator.node_changed(old, new, item.height != height)
        self.nodes_dirty()
        if lookup_signature(old) != lookup_signature(new):
            self._rebuild_edges()
        else:
            if self._index is not None and isinstance(new, VirtualServiceNode):
                vss = self._index.virtual_services
                vss[:] = [new if n.id == new.id else n for n in vss]
            elif self._index is not None:
                self._index = None  # cheap lazy rebuild: the stored node objects are stale
            self._refresh_edges_of(new)
            for key in self.edges_of.get(new.id, set()):
                self._edge_geometry(key)
        if old.position != new.position:
            self.update_scene_rect()

    def _on_renamed(self, old: NodeBase, new: NodeBase) -> None:
        """The node's id followed its name: the same card (and its selection) under the new id."""
        for key in list(self.edges_of.pop(old.id, set())):
            self._remove_edge(key)
        item = self.items_by_id.pop(old.id)
        self.items_by_id[new.id] = item
        self.applying_model = True
        item.set_node(new)
        self.applying_model = False
        if old.id in self.highlight_nodes:
            self.highlight_nodes.discard(old.id)
            self.highlight_nodes.add(new.id)
        self._index = None
        self.nodes_dirty()
        self._rebuild_edges()
        self.update_scene_rect()

    def edge_ordinal(self, edge: EdgeItem) -> int:
        """The position of ``edge`` among the edges joining the same two nodes (labels fan out)."""
        source, target = edge.ref.source, edge.ref.target
        siblings = sorted(k for k in self.edges_of.get(source, ()) if k[0] == source and k[1] == target)
        return siblings.index(edge.key) if edge.key in siblings else 0

    def rule_group_label(self, edge: EdgeItem) -> str:
        """One label for the destinations of one rule that reach the same node: ``80% · 20%``."""
        ref = edge.ref
        group = sorted((k for k in self.edges_of.get(ref.source, ()) if k[0] == ref.source and k[1] == ref.target
                        and k[2] == "routes"), key=lambda k: k[3])
        same_rule = [self.edges[k].ref for k in group if k in self.edges
                     and (self.edges[k].ref.section, self.edges[k].ref.rule_index) == (ref.section, ref.rule_index)]
        if not same_rule or edge_key(same_rule[0]) != edge.key:
            return ""
        # Weights only: the rule's row on the card already names the subsets.
        weights = [f"{r.weight}%" for r in same_rule if r.weight is not None]
        return " · ".join(weights) if len(weights) > 1 or (weights and weights[0] != "100%") else ""

    def helpEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Tooltips built on demand (a large design would otherwise build thousands up front)."""
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                item._update_tooltip()
                break
            if isinstance(item, EdgeItem) and _near(item.path, event.scenePos()):
                item.setToolTip(item.describe())
                break
        super().helpEvent(event)

    # ----- item callbacks --------------------------------------------------------------------
    def node_item_moved(self, item: NodeItem) -> None:
        if self.navigator.placing:
            return  # the navigator refreshes the edges once every card is placed
        for key in self.edges_of.get(item.node_id, ()):
            self.edges[key].update_geometry()
        self.nodes_dirty()

    def set_hover(self, node_id: str | None) -> None:
        """Hovering a node lights its edges and dims the rest (small designs only: it repaints all)."""
        if len(self.items_by_id) > 300:
            return
        if node_id is None:
            self.dimmed = None
        else:
            related = {node_id}
            for key in self.edges_of.get(node_id, ()):
                related.update(key[:2])
            self.dimmed = related
        for item in self.items_by_id.values():
            item.update()
        for edge in self.edges.values():
            edge.update()

    def set_diagnostics(self, by_node: dict[str, list]) -> None:
        for node_id, item in self.items_by_id.items():
            found = by_node.get(node_id, [])
            if found or item.diagnostics:
                item.set_diagnostics(found)
        self.navigator.invalidate_summaries()

    def set_highlight(self, node_ids, edge_keys) -> None:
        changed_edges = self.highlight_edges ^ set(edge_keys)
        for node_id in self.highlight_nodes - set(node_ids):
            if node_id in self.items_by_id:
                self.items_by_id[node_id].highlighted = False
                self.items_by_id[node_id].update()
        for key in self.highlight_edges - set(edge_keys):
            if key in self.edges:
                self.edges[key].highlighted = False
                self.edges[key].setFlag(NO_CONTENTS, self.batched)
                self.edges[key].update()
        self.highlight_nodes, self.highlight_edges = set(node_ids), set(edge_keys)
        for node_id in self.highlight_nodes:
            if node_id in self.items_by_id:
                self.items_by_id[node_id].highlighted = True
                self.items_by_id[node_id].update()
        for key in self.highlight_edges:
            if key in self.edges:
                self.edges[key].highlighted = True
                self.edges[key].setFlag(NO_CONTENTS, False)
                self.edges[key].update()
        if self.edge_layer is not None and self.batched:
            for key in changed_edges:
                self.edge_layer.invalidate(key)
        self.nodes_dirty()

    def selected_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def select_only(self, node_ids) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self.items_by_id.get(node_id)
            if item is not None:
                item.setSelected(True)

    # ----- background ------------------------------------------------------------------------
    def _grid(self) -> QPixmap:
        if self._grid_tile is None:
            tile = QPixmap(int(GRID), int(GRID))
            tile.fill(QColor(current_theme().canvas))
            painter = QPainter(tile)
            painter.setPen(QPen(QColor(current_theme().grid), 1.6))
            painter.drawPoint(QPointF(1, 1))
            painter.end()
            self._grid_tile = tile
        return self._grid_tile

    def theme_changed(self) -> None:
        self._grid_tile = None
        for item in self.items_by_id.values():
            item.update()
        self.update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = current_theme()
        lod = painter.worldTransform().m11()
        if lod >= 0.5 and not self.navigator.enabled:
            painter.drawTiledPixmap(rect, self._grid(), QPointF(rect.x() % GRID, rect.y() % GRID))
        else:
            painter.fillRect(rect, QColor(theme.canvas))
        if self.navigator.enabled:  # groups draw their own lanes
            painter.fillRect(rect, QColor(theme.canvas))
            if lod >= 0.3:
                self._draw_clients(painter, rect)
            return
        lane_colour = QColor(theme.lane)
        lane_colour.setAlpha(200)
        title_font = QFont()
        title_font.setPointSizeF(9.0)
        title_font.setBold(True)
        title_font.setCapitalization(QFont.Capitalization.AllUppercase)
        title_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.2)
        painter.setFont(title_font)
        for index, title in enumerate(LANE_TITLES):
            lane = lane_rect(index, rect.top() - 20, rect.bottom() + 20)
            if not lane.intersects(rect):
                continue
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(lane_colour)
            painter.drawRect(lane)
            if lod >= 0.3:
                painter.setPen(QColor(theme.lane_text))
                painter.drawText(QRectF(lane.x(), self.lane_title_y, lane.width(), 24),
                                 Qt.AlignmentFlag.AlignCenter, title)
        if lod >= 0.3:
            self._draw_clients(painter, rect)

    def ingress_items(self) -> list[NodeItem]:
        if self._ingress is None:
            shown = self.navigator.shown
            candidates = self.items_by_id.values() if shown is None else (self.items_by_id[i] for i in shown)
            self._ingress = [i for i in candidates if i.node.kind == NodeKind.INGRESS_GATEWAY]
        return self._ingress

    def _draw_clients(self, painter: QPainter, rect: QRectF) -> None:
        """Where requests come from: an "internet" mark and a dashed arrow into every ingress gateway."""
        colour = current_theme().lane_text
        pen = QPen(QColor(colour), 1.4, Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        globe = icon_pixmap("external-service", colour, 40)
        for item in self.ingress_items():
            end = item.pos() + QPointF(-2, HEADER / 2)
            start = end - QPointF(CLIENT_OFFSET, 0)
            if not QRectF(start, end).normalized().adjusted(-20, -20, 10, 20).intersects(rect):
                continue
            painter.drawPixmap(QRectF(start.x() - 10, start.y() - 10, 20, 20), globe, QRectF(0, 0, 40, 40))
            painter.setPen(pen)
            painter.drawLine(start + QPointF(14, 0), end - QPointF(6, 0))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            arrow = QPainterPath(end)
            arrow.lineTo(end + QPointF(-7, -4))
            arrow.lineTo(end + QPointF(-7, 4))
            arrow.closeSubpath()
            painter.drawPath(arrow)
