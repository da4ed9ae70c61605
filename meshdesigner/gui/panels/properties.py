"""The properties panel: collapsible sections for the selected node, chosen from a registry by kind.

Other features add sections with :func:`register_section` (e.g. certificate tools, gateway
functions). A section factory receives the panel and the node and returns a :class:`Section` (or
``None`` when it does not apply). Fields call ``panel.edit(path, value)``, which asks the document;
the panel refreshes from model events, so undo and redo show at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...model import NodeBase, NodeKind
from ...model.resource import ResourceRef
from ..document import Document
from ..edits import EditError, Path, node_data, path_text
from ..style import KIND_COLOURS, KIND_LABELS, icon
from .fields import Field, FieldHost

WRAP_WIDTH = 180       # px: captions wider than this wrap (the dock may be narrow)
MIN_CHECK_WIDTH = 120

class Section(QWidget):
    """A titled block that folds open and closed."""

    def __init__(self, title: str, key: str, expanded: bool = True) -> None:
        super().__init__()
        self.key = key
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(4)
        self.header = QToolButton()
        self.header.setObjectName("SectionHeader")
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setChecked(expanded)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.header.setSizePolicy(self.header.sizePolicy().horizontalPolicy().Expanding,
                                  self.header.sizePolicy().verticalPolicy())
        self.header.toggled.connect(self.set_expanded)
        layout.addWidget(self.header)
        self.content = QWidget()
        self.body = QVBoxLayout(self.content)
        self.body.setContentsMargins(4, 2, 2, 2)
        self.body.setSpacing(4)
        layout.addWidget(self.content)
        self.content.setVisible(expanded)

    def set_expanded(self, expanded: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.content.setVisible(expanded)

    def add(self, widget: QWidget) -> QWidget:
        self.body.addWidget(widget)
        return widget


SectionFactory = Callable[["PropertiesPanel", NodeBase], Section | None]
PROPERTY_SECTIONS: dict[NodeKind, list[SectionFactory]] = {kind: [] for kind in NodeKind}
# Sections of a resource that is not a node (a security policy: (kind, namespace, name)), see show_policy.
PolicyViewFactory = Callable[["PropertiesPanel", Any], Section | None]
POLICY_VIEWS: list[PolicyViewFactory] = []


def register_section(kinds, factory: SectionFactory, index: int | None = None) -> None:
    """Add a property section for the node kinds ``kinds`` (appended, or at ``index``)."""
    for kind in ([kinds] if isinstance(kinds, NodeKind | str) else kinds):
        sections = PROPERTY_SECTIONS[NodeKind(kind)]
        if factory not in sections:
            sections.insert(len(sections) if index is None else index, factory)


def register_policy_view(factory: PolicyViewFactory) -> None:
    """Add the sections the panel shows for a policy picked outside the canvas (:meth:`show_policy`)."""
    if factory not in POLICY_VIEWS:
        POLICY_VIEWS.append(factory)


def shape_of(value: Any) -> Any:
    """The list lengths inside a node: when they change, the panel rebuilds its sections."""
    if isinstance(value, dict):
        return tuple((k, shape_of(v)) for k, v in value.items() if isinstance(v, dict | list))
    if isinstance(value, list):
        return (len(value), tuple(shape_of(v) for v in value))
    return None


class WheelGuard(QObject):
    """Scrolling the panel with the wheel never changes a field the user has not focused: a wheel over an
    unfocused combo box or spin box scrolls the panel instead (issue 14: a server's protocol changed)."""

    def __init__(self, scroll_area: QScrollArea) -> None:
        super().__init__(scroll_area)
        self.scroll_area = scroll_area

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Installed on the application, so editors a section adds later (a policy row, a new rule) are covered.
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QComboBox | QAbstractSpinBox)
                and not watched.hasFocus() and self.scroll_area.isAncestorOf(watched)):
            QApplication.sendEvent(self.scroll_area.verticalScrollBar(), event)
            return True
        return False


class PropertiesPanel(QScrollArea, FieldHost):
    sig_message = Signal(str)
    sig_node_requested = Signal(str)  # a link in a section asks for a node on the canvas (a policy's gateway)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document: Document | None = None
        self.node_id: str | None = None
        self.policy_ref: Any = None  # a policy shown instead of a node (show_policy)
        self.fields: list[Field] = []
        self.fields_by_path: dict[str, Field] = {}
        self.selected_index: dict[str, int] = {}
        self.collapsed: set[str] = set()
        self._shape: Any = None
        self._wheel_guard = WheelGuard(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._wheel_guard)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(10, 8, 10, 8)
        self.setWidget(self._inner)
        self.show_node(None)

    def set_document(self, document: Document) -> None:
        self.document = document
        document.sig_node_changed.connect(self._on_changed)
        document.sig_node_renamed.connect(self._on_renamed)
        document.sig_policy_changed.connect(self._on_policy_changed)
        document.sig_policies_changed.connect(self._on_policies_changed)
        document.sig_node_removed.connect(lambda node: node.id == self.node_id and self.show_node(None))
        self.show_node(None)

    # ----- FieldHost -------------------------------------------------------------------------
    def edit(self, path: Path, value: Any, text: str = "") -> str | None:
        if self.document is None or self.node_id is None:
            return "nothing selected"
        try:
            self.document.set_field(self.node_id, path, value, text)
        except EditError as exc:
            return str(exc)
        return None

    def edit_many(self, changes, text: str = "") -> str | None:
        """Several fields in one undo step (e.g. a certificate and its key)."""
        from ..edits import with_values

        if self.document is None or self.node is None:
            return "nothing selected"
        try:
            self.document.replace_node(with_values(self.node, changes), text or "Edit")
        except EditError as exc:
            return str(exc)
        return None

    def register(self, path: Path, widget: QWidget) -> None:
        if isinstance(widget, Field):
            self.fields.append(widget)
            self.fields_by_path[path_text(path)] = widget

    # ----- showing ---------------------------------------------------------------------------
    @property
    def node(self) -> NodeBase | None:
        if self.document is None or self.node_id is None or self.node_id not in self.document.project:
            return None
        return self.document.project.node(self.node_id)

    def _clear(self) -> None:
        for section in self._inner.findChildren(Section, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if not section.header.isChecked():
                self.collapsed.add(section.key)
            else:
                self.collapsed.discard(section.key)
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the panel at once (findChild, focus chain)
                widget.deleteLater()
        self.fields, self.fields_by_path = [], {}

    def show_node(self, node_id: str | None) -> None:
        switched = node_id != self.node_id or self.policy_ref is not None
        if switched:
            self.selected_index = {}
        self.node_id, self.policy_ref = node_id, None
        self.rebuild()
        if switched:
            self.verticalScrollBar().setValue(0)  # another node: start at its name, not the old position

    def show_policy(self, ref) -> None:
        """Show a security/telemetry/EnvoyFilter resource (``(kind, namespace, name)``) instead of a node:
        every policy is reachable, those applying to no gateway included (:data:`POLICY_VIEWS`)."""
        ref = ResourceRef(*ref)
        switched = ref != self.policy_ref or self.node_id is not None
        if switched:
            self.selected_index = {}
        self.node_id, self.policy_ref = None, ref
        self.rebuild()
        if switched:
            self.verticalScrollBar().setValue(0)

    def rebuild(self) -> None:
        scroll = self.verticalScrollBar().value()
        self._clear()
        node = self.node
        if node is None and self.policy_ref is not None:
            self._build_policy_view()
            return
        if node is None:
            hint = QLabel("Select a node on the canvas to edit it.\n\nDrag from a card's right-hand circle "
                          "to another card to connect them.")
            hint.setObjectName("Muted")
            hint.setWordWrap(True)
            hint.setAlignment(Qt.AlignmentFlag.AlignTop)
            self._layout.addWidget(hint)
            self._layout.addStretch(1)
            self._shape = None
            return
        title = QLabel(f"<span style='color:{KIND_COLOURS[node.kind]}'>■</span> {KIND_LABELS[node.kind]}")
        title.setObjectName("PanelTitle")
        self._layout.addWidget(title)
        for factory in PROPERTY_SECTIONS[node.kind]:
            section = factory(self, node)
            if section is None:
                continue
            if section.key in self.collapsed:
                section.header.setChecked(False)
            self._layout.addWidget(section)
        self._layout.addStretch(1)
        self._shape = shape_of(node_data(node))
        for field in self.fields:
            field.refresh(node)
        self._fit_width()
        self.verticalScrollBar().setValue(scroll)

    def _build_policy_view(self) -> None:
        title = QLabel("<span style='color:#7a5cc2'>■</span> Policy")
        title.setObjectName("PanelTitle")
        self._layout.addWidget(title)
        for factory in POLICY_VIEWS:
            section = factory(self, self.policy_ref)
            if section is not None:
                self._layout.addWidget(section)
        self._layout.addStretch(1)
        self._shape = None
        self._fit_width()

    def _fit_width(self) -> None:
        """The panel scrolls only vertically: long captions wrap, long check box texts may be cut (their
        tooltip has them whole), so no widget makes the content wider than the dock."""
        for label in self._inner.findChildren(QLabel):
            if not label.wordWrap() and label.sizeHint().width() > WRAP_WIDTH:
                label.setWordWrap(True)
        for box in self._inner.findChildren(QCheckBox):
            if box.sizeHint().width() > WRAP_WIDTH:
                box.setMinimumWidth(MIN_CHECK_WIDTH)
                box.setToolTip(box.toolTip() or box.text())
        for editor in self._inner.findChildren(QComboBox) + self._inner.findChildren(QAbstractSpinBox):
            editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel over it does not focus it

    def _on_renamed(self, old: NodeBase, new: NodeBase) -> None:
        """The shown node's id followed its new name: keep showing it (and the field being typed in)."""
        if old.id == self.node_id:
            self.node_id = new.id
            self._on_changed(old, new)

    def _on_policy_changed(self, old, new) -> None:
        """The shown policy was renamed (its YAML edited): keep showing it under its new name."""
        if self.policy_ref is not None and old is not None and new is not None and old.ref == self.policy_ref:
            self.policy_ref = new.ref

    def _on_policies_changed(self) -> None:
        """The Policies section of a gateway lists the design's policies: its editors follow the change in
        place when they can (``follow_policies``: the focus stays where the user types), else show anew."""
        if self.document is None:
            return
        showing_node = self.node_id is not None and self.node_id in self.document.project
        if not showing_node and self.policy_ref is None:
            return
        followers = self._inner.findChildren(QWidget, "follows-policies")
        if followers and all(f.follow_policies() for f in followers):  # type: ignore[attr-defined]
            return
        self.rebuild()

    def _on_changed(self, _old: NodeBase, new: NodeBase) -> None:
        if new.id != self.node_id:
            return
        shape = shape_of(node_data(new))
        if shape != self._shape:
            self.rebuild()
            return
        for field in self.fields:
            field.refresh(new)
        for refresher in self.findChildren(QWidget, "refresh-on-change"):  # e.g. certificate summaries
            refresher.refresh(new)  # type: ignore[attr-defined]

    def focus_path(self, attr: str, path: str) -> bool:
        """Show and focus the field for ``path`` (``spec.http[1].route[0].weight``) of resource ``attr``."""
        import re

        changed = False
        for key in ("servers", "http", "tcp", "tls"):
            match = re.match(rf"spec\.{key}\[(\d+)\]", path)
            if match:
                self.selected_index[f"{attr}.{key}"] = int(match.group(1))
                changed = True
        if changed:
            self.rebuild()
        candidates = [p for p in self.fields_by_path if path.startswith(p) or p.startswith(path)]
        # Prefer the longest field path that is a prefix of the diagnostic's path.
        prefixes = sorted((p for p in candidates if path.startswith(p)), key=len, reverse=True)
        chosen = prefixes[0] if prefixes else (sorted(candidates, key=len)[0] if candidates else None)
        if chosen is None:
            return False
        field = self.fields_by_path[chosen]
        section = field.parentWidget()
        while section is not None and not isinstance(section, Section):
            section = section.parentWidget()
        if isinstance(section, Section):
            section.header.setChecked(True)
        self.ensureWidgetVisible(field)
        field.focus_editor()
        return True


def section_icon(name: str) -> Any:
    return icon(name)


# The built-in sections live in node_sections (imported for its registrations).
from . import node_sections, tls_tools  # noqa: E402,F401,I001

tls_tools.register()
