"""The rules of one virtual service in order: drag one to another place (one undo step); rules that can
never match are marked, with the reason in their tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ...analysis.flow import rule_action, rule_match_text
from ...analysis.rule_order import SECTIONS, shadowed_rules
from ...model import VirtualServiceNode
from ..document import Document
from ..style import SEVERITY_COLOURS, icon
from .commands import MoveRuleCommand

SECTION_TITLES = {"http": "HTTP rules", "tls": "TLS rules", "tcp": "TCP rules"}
ROLE_INDEX = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 24


class RuleList(QListWidget):
    """One section's rules; a finished drag emits ``sig_moved(source, target)`` (0-based)."""

    sig_moved = Signal(int, int)

    def __init__(self, section: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.setObjectName(f"rules-{section}")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _accepts(self, event) -> bool:
        # Only this list's own rows (a drag from elsewhere has another source or another format).
        formats = set(self.model().mimeTypes())
        return event.source() in (self, None) and bool(formats & set(event.mimeData().formats()))

    def dragEnterEvent(self, event) -> None:
        if self._accepts(event):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        super().dragMoveEvent(event)   # draws the drop indicator
        if self._accepts(event):
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        """Turn the drop into a move of the dragged rule; the list itself is redrawn from the model."""
        source = self.currentRow()
        target = self.drop_target(event.position().toPoint(), source)
        # Nothing is moved here (IgnoreAction): the document's command changes the model, which redraws us.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if 0 <= source < self.count() and target is not None and target != source:
            self.sig_moved.emit(source, target)

    def drop_target(self, pos, source: int) -> int | None:
        """The index the dragged rule ends up at when dropped at ``pos`` (viewport coordinates)."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.count() - 1 if pos.y() > 0 else 0
        after = pos.y() > self.visualRect(index).center().y()
        insert_before = index.row() + (1 if after else 0)
        return insert_before - (1 if insert_before > source else 0)

    def fit_height(self) -> None:
        """As tall as its rows: the properties panel scrolls, not each little list."""
        for i in range(self.count()):
            self.item(i).setSizeHint(QSize(0, ROW_HEIGHT))
        self.setFixedHeight(max(1, self.count()) * ROW_HEIGHT + 2 * self.frameWidth() + 4)


class RuleOrderWidget(QWidget):
    """All rule sections of a virtual service node, each a draggable list."""

    def __init__(self, document: Document, node_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rule-order")
        self.document = document
        self.node_id = node_id
        self.lists: dict[str, RuleList] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._shown: list | None = None   # what the lists show now (see _sections)
        document.sig_node_changed.connect(self._on_node_changed)  # a bound slot: dropped with the widget
        document.sig_node_renamed.connect(self._on_node_renamed)
        self.rebuild()

    def set_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.rebuild()

    def _on_node_renamed(self, old, new) -> None:
        if old.id == self.node_id:
            self.set_node(new.id)

    def _on_node_changed(self, _old, new) -> None:
        if new.id == self.node_id:
            self.rebuild()

    def rebuild(self) -> None:
        node = self.document.project.nodes.get(self.node_id) if self.node_id else None
        sections = self._sections(node) if isinstance(node, VirtualServiceNode) else None
        if sections == self._shown and self._shown is not None:
            return  # an edit that changes no rule's line (a timeout, a header value): nothing to redraw
        self._shown = sections
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        self.lists = {}
        if sections is None:
            return
        hint = QLabel("Drag a rule to change the order: the first rule that matches takes the request.")
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self._layout.addWidget(hint)
        for section, rows in sections:
            if len(sections) > 1:
                self._layout.addWidget(QLabel(SECTION_TITLES[section]))
            rule_list = RuleList(section)
            for i, (text, never_matches) in enumerate(rows):
                item = QListWidgetItem(text)
                item.setData(ROLE_INDEX, i)
                if never_matches is not None:
                    item.setIcon(icon("warning", SEVERITY_COLOURS["error"]))
                    item.setForeground(QColor(SEVERITY_COLOURS["error"]))
                    item.setToolTip(never_matches)
                else:
                    item.setToolTip("Drag to move this rule")
                rule_list.addItem(item)
            rule_list.sig_moved.connect(lambda s, t, sec=section: self.move_rule(sec, s, t))
            rule_list.fit_height()
            self.lists[section] = rule_list
            self._layout.addWidget(rule_list)

    @staticmethod
    def _sections(node: VirtualServiceNode) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """What the lists show: per section with rules, each rule's line and why it can never match (or None)."""
        shadowed = {(r.section, r.index): r for r in shadowed_rules(node.virtual_service)[0]}
        out = []
        for section in SECTIONS:
            rules = getattr(node.virtual_service.spec, section) or []
            if not rules:
                continue
            rows = []
            for i, rule in enumerate(rules):
                action = rule_action(section, rule)[0]
                name = getattr(rule, "name", None)
                text = f"{i + 1}  {rule_match_text(section, rule)}  {action}" + (f"   ({name})" if name else "")
                found = shadowed.get((section, i))
                reason = None if found is None else \
                    f"This rule can never match: {found.reason} (Istio {found.istio_code})."
                rows.append((text, reason))
            out.append((section, rows))
        return out

    def move_rule(self, section: str, source: int, target: int) -> None:
        """Move one rule (what a drag does): one undoable step on the document's stack."""
        if self.node_id is None or source == target:
            return
        self.document.undo_stack.push(MoveRuleCommand(self.document.project, self.node_id, section, source, target))

    def shadowed_rows(self, section: str) -> list[int]:
        rule_list = self.lists.get(section)
        if rule_list is None:
            return []
        return [i for i in range(rule_list.count()) if rule_list.item(i).toolTip().startswith("This rule can never")]


def rule_order_section(panel, node):
    """A property section for virtual services (registered by :func:`meshdesigner.gui.flow.install`)."""
    from ..panels.properties import Section

    if panel.document is None or not isinstance(node, VirtualServiceNode):
        return None
    if not any(getattr(node.virtual_service.spec, s) for s in SECTIONS):
        return None
    section = Section("Rule order", "rule-order")
    section.add(RuleOrderWidget(panel.document, node.id))
    return section
