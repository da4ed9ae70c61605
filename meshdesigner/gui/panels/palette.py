"""The palette (drag a kind onto the canvas; double-click adds it in view) and the project outline."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analysis.meshconfig import is_mesh_config_map
from ...model import LANE_ORDER, NodeKind
from ..document import Document
from ..opening import SlicedBuild
from ..scene.view import KIND_MIME
from ..style import KIND_BLURBS, KIND_COLOURS, KIND_LABELS, icon

PALETTE_ORDER = (NodeKind.INGRESS_GATEWAY, NodeKind.VIRTUAL_SERVICE, NodeKind.MESH_SERVICE,
                 NodeKind.EGRESS_GATEWAY, NodeKind.EXTERNAL_SERVICE)


FULL_HEIGHT = 5 * 48 + 12  # every palette entry visible
POLICY_ROLE = Qt.ItemDataRole.UserRole + 1  # an outline row's policy: (kind, namespace, name)

class PaletteList(QListWidget):
    """Node kinds to drag onto the canvas."""

    sig_kind_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Palette")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setIconSize(QSize(26, 26))
        self.setSpacing(2)
        self.setMouseTracking(True)
        for kind in PALETTE_ORDER:
            item = QListWidgetItem(icon(str(kind), KIND_COLOURS[kind]), f"{KIND_LABELS[kind]}\n{KIND_BLURBS[kind]}")
            item.setData(Qt.ItemDataRole.UserRole, str(kind))
            item.setToolTip(f"Drag onto the canvas to add a {KIND_LABELS[kind].lower()} (or double-click)")
            item.setSizeHint(QSize(0, 44))
            self.addItem(item)
        self.itemActivated.connect(lambda it: self.sig_kind_activated.emit(it.data(Qt.ItemDataRole.UserRole)))
        # All five kinds when there is room; in a short window it shrinks and scrolls.
        self.setMinimumHeight(2 * 48 + 12)
        self.setMaximumHeight(FULL_HEIGHT)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), FULL_HEIGHT)

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(KIND_MIME, items[0].data(Qt.ItemDataRole.UserRole).encode())
        return data

    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]

    def refresh_icons(self) -> None:
        for i in range(self.count()):
            kind = self.item(i).data(Qt.ItemDataRole.UserRole)
            self.item(i).setIcon(icon(kind, KIND_COLOURS[kind]))


class Outline(QWidget):
    """The project by namespace and kind, with a filter box (2,000 resources stay findable); below the
    design, the context objects kept with it (Pods, Namespaces, Secret references, Sidecars, the mesh config,
    Gateway API objects ...: not drawn, read by the checks that need them) by kind."""

    sig_node_activated = Signal(str)
    sig_policy_activated = Signal(object)  # a policy's (kind, namespace, name) row was picked
    sig_filtered = Signal(object)   # the ids of the nodes the filter matches, or None without a filter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.filter = QLineEdit(placeholderText="Filter by name, namespace or host…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.document: Document | None = None
        # Other features' top-level groups (the security policies): fill(tree, project, filter text).
        self.groups: list = []
        self._last_filter = ""
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._slices: SlicedBuild | None = None   # a rebuild under way on the event loop
        self._timer.timeout.connect(self._rebuild_in_slices)
        self.filter.textChanged.connect(lambda _t: self._timer.start())
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)

    def set_document(self, document: Document) -> None:
        self.document = document
        for sig in (document.sig_node_added, document.sig_node_removed):
            sig.connect(lambda *_: self._timer.start())
        document.sig_node_changed.connect(self._on_changed)
        document.sig_node_renamed.connect(lambda *_: self._timer.start())
        document.sig_extras_changed.connect(lambda *_: self._timer.start())
        document.sig_policy_changed.connect(self._on_policy_changed)
        self._cancel_slices()
        self.tree.clear()
        self._last_filter = ""  # a filter typed before applies to the new design's canvas too
        self._timer.start()  # filled a moment after the design shows (2,000 nodes take a while)

    def _on_changed(self, old, new) -> None:
        if (old.name, old.namespace) != (new.name, new.namespace):
            self._timer.start()

    def _on_policy_changed(self, old, new) -> None:
        """A policy's row changes when it is added, removed, renamed or attaches elsewhere (not while a
        rule is typed: the outline of a large design is not rebuilt on every key)."""
        def shown(policy) -> tuple:
            return policy.ref, policy.selector_labels, policy.target_refs, getattr(policy.spec, "action", None)

        if old is None or new is None or shown(old) != shown(new):
            self._timer.start()

    def rebuild(self) -> None:
        """Fill the tree now (tests, and before a policy's row is looked up)."""
        self._cancel_slices()
        for _ in self._rebuild_steps():
            pass

    def _rebuild_in_slices(self) -> None:
        """Fill the tree a few milliseconds at a time on the event loop (the timer's rebuild: the outline of
        a 2,000-node design is ~30 ms of work, which would otherwise stall the window in one go)."""
        self._cancel_slices()
        self._slices = SlicedBuild(self._rebuild_steps(), self)
        self._slices.sig_done.connect(self._cancel_slices)
        self._slices.start()

    def _cancel_slices(self) -> None:
        if self._slices is not None:
            self._slices.cancel()  # closes the steps: the tree is enabled again
            self._slices.deleteLater()
            self._slices = None

    def _rebuild_steps(self) -> Iterator[None]:
        if self.document is None:
            return
        text = self.filter.text().strip().lower()
        self.tree.setUpdatesEnabled(False)
        try:
            yield from self._fill(text)
        finally:
            self.tree.setUpdatesEnabled(True)

    def _fill(self, text: str) -> Iterator[None]:
        self.tree.clear()
        by_ns: dict[str, dict[str, list]] = {}
        matched: set[str] = set()
        for i, node in enumerate(self.document.project.sorted_nodes()):
            haystack = f"{node.name} {node.namespace} {getattr(node.primary.spec, 'hosts', None) or ''}".lower()
            if i % 250 == 249:
                yield
            if text and text not in haystack:
                continue
            matched.add(node.id)
            by_ns.setdefault(node.namespace, {}).setdefault(node.kind, []).append(node)
        yield
        for ns in sorted(by_ns):
            ns_item = QTreeWidgetItem([f"{ns}"])
            ns_item.setIcon(0, icon("open"))
            self.tree.addTopLevelItem(ns_item)
            for kind in LANE_ORDER:
                nodes = by_ns[ns].get(kind, [])
                if not nodes:
                    continue
                kind_item = QTreeWidgetItem([f"{KIND_LABELS[kind]}s ({len(nodes)})"])
                kind_item.setIcon(0, icon(str(kind), KIND_COLOURS[kind]))
                ns_item.addChild(kind_item)
                for node in nodes[:500]:
                    leaf = QTreeWidgetItem([node.name])
                    leaf.setData(0, Qt.ItemDataRole.UserRole, node.id)
                    kind_item.addChild(leaf)
                if len(nodes) > 500:
                    kind_item.addChild(QTreeWidgetItem([f"… {len(nodes) - 500} more: type to filter"]))
            ns_item.setExpanded(len(by_ns) <= 3 or bool(text))
            if text or len(self.document.project) < 60:
                for i in range(ns_item.childCount()):
                    ns_item.child(i).setExpanded(True)
            yield
        for fill in self.groups:
            fill(self.tree, self.document.project, text)
        yield
        self._add_context_objects(text)
        if text != self._last_filter:
            self._last_filter = text
            self.sig_filtered.emit(matched if text else None)

    def _add_context_objects(self, text: str) -> None:
        """One top-level 'Context objects' item: kind (count) -> namespace/name, filtered like the design."""
        by_kind: dict[str, list[str]] = {}
        for obj in self.document.project.extra_resources:
            md = obj.get("metadata") or {}
            label = f"{md.get('namespace') or '-'}/{md.get('name') or '?'}"
            if is_mesh_config_map(obj):
                label += " (mesh config)"
            if text and text not in f"{obj.get('kind')} {label}".lower():
                continue
            by_kind.setdefault(str(obj.get("kind")), []).append(label)
        if not by_kind:
            return
        count = sum(len(v) for v in by_kind.values())
        top = QTreeWidgetItem([f"Context objects ({count}, not drawn)"])
        top.setToolTip(0, "Kept with the design and exported as they are; Pods, Namespaces, Secret "
                          "references, Sidecars and the mesh config (the istio ConfigMap of istio-system) are "
                          "read by the Istio checks that need them.")
        self.tree.addTopLevelItem(top)
        for kind in sorted(by_kind):
            labels = sorted(by_kind[kind])
            kind_item = QTreeWidgetItem([f"{kind} ({len(labels)})"])
            top.addChild(kind_item)
            for label in labels[:500]:
                kind_item.addChild(QTreeWidgetItem([label]))
            if len(labels) > 500:
                kind_item.addChild(QTreeWidgetItem([f"… {len(labels) - 500} more: type to filter"]))
        top.setExpanded(bool(text))

    def _activated(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, Qt.ItemDataRole.UserRole)
        policy_ref = item.data(0, POLICY_ROLE)
        if node_id:
            self.sig_node_activated.emit(node_id)
        elif policy_ref:
            self.sig_policy_activated.emit(tuple(policy_ref))

    def select_policy(self, ref) -> None:
        """Make the policy's row current (after a pending rebuild), its group open."""
        if self._timer.isActive() or self._slices is not None:
            self._timer.stop()
            self.rebuild()
        for item in self.tree.findItems("*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive):
            if item.data(0, POLICY_ROLE) and tuple(item.data(0, POLICY_ROLE)) == tuple(ref):
                parent = item.parent()
                while parent is not None:
                    parent.setExpanded(True)
                    parent = parent.parent()
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return
