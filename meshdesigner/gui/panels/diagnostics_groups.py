"""Diagnostics at scale: a filter bar (severity toggles with counts, text), grouping by code, resource or
namespace with a count per group, and the tree that shows the groups.

Hundreds of findings stay workable: 95 copies of one warning become one group row "MD0602 · 95" that
opens on demand, and a severity or a word narrows the list.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from ..style import SEVERITY_COLOURS, icon

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
GROUPINGS = {"none": "No grouping", "code": "Group by code", "resource": "Group by resource",
             "namespace": "Group by namespace"}
DIAGNOSTIC_ROLE = Qt.ItemDataRole.UserRole + 1


def group_key(diagnostic, grouping: str) -> str:
    resource = diagnostic.resource
    if grouping == "code":
        return diagnostic.code
    if grouping == "resource":
        return f"{resource.kind} {resource.namespace}/{resource.name}"
    return resource.namespace or "(cluster)"


def matches(diagnostic, severities: set[str], text: str) -> bool:
    """Whether a diagnostic passes the severity toggles and the (lower-case) text filter."""
    if diagnostic.severity not in severities:
        return False
    if not text:
        return True
    resource = diagnostic.resource
    haystack = (f"{diagnostic.code} {getattr(diagnostic, 'istio_code', '') or ''} {resource.kind} "
                f"{resource.namespace}/{resource.name} {diagnostic.path} {diagnostic.message}")
    return text in haystack.lower()


class FilterBar(QWidget):
    """Severity toggles (with their counts), a text box and the grouping choice."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(6)
        self.toggles: dict[str, QToolButton] = {}
        # Kept as the toggles change: the filter asks for each of thousands of rows, and asking the
        # buttons each time cost more than the rest of a refresh.
        self._severities: set[str] = set(SEVERITIES)
        for severity in SEVERITIES:
            button = QToolButton()
            button.setObjectName(f"show_{severity}")
            button.setCheckable(True)
            button.setChecked(True)
            button.setIcon(icon(severity, SEVERITY_COLOURS[severity]))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(f"Show {severity} findings")
            button.toggled.connect(lambda on, s=severity: self._toggled(s, on))
            self.toggles[severity] = button
            layout.addWidget(button)
        self.text = QLineEdit(placeholderText="Filter by code, resource, field or message…")
        self.text.setClearButtonEnabled(True)
        self.text.textChanged.connect(lambda _text: self.sig_changed.emit())
        layout.addWidget(self.text, 1)
        self.grouping = QComboBox()
        for key, label in GROUPINGS.items():
            self.grouping.addItem(label, key)
        self.grouping.currentIndexChanged.connect(lambda _i: self.sig_changed.emit())
        layout.addWidget(self.grouping)
        self.shown = QLabel()
        self.shown.setObjectName("Muted")
        layout.addWidget(self.shown)
        self.set_counts({s: 0 for s in SEVERITIES})

    def set_counts(self, counts: dict[str, int]) -> None:
        for severity, button in self.toggles.items():
            n = counts.get(severity, 0)
            noun = severity if n == 1 or severity == "info" else f"{severity}s"
            button.setText(f"{n} {noun}")

    def set_shown(self, shown: int, total: int) -> None:
        self.shown.setText("" if shown == total else f"{shown} of {total} shown")

    def severities(self) -> set[str]:
        return self._severities

    def _toggled(self, severity: str, on: bool) -> None:
        self._severities = (self._severities | {severity}) if on else (self._severities - {severity})
        self.sig_changed.emit()

    def text_filter(self) -> str:
        return self.text.text().strip().lower()

    def group_by(self) -> str:
        return self.grouping.currentData()

    def set_group_by(self, grouping: str) -> None:
        self.grouping.setCurrentIndex(list(GROUPINGS).index(grouping))


class FilterProxy(QSortFilterProxyModel):
    """The flat table's rows that pass the filter bar."""

    def __init__(self, bar: FilterBar, parent=None) -> None:
        super().__init__(parent)
        self.bar = bar

    def refresh(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: the successor of the deprecated invalidateFilter()
            self.beginFilterChange()
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The table's header asks to sort: the model sorts its rows and this proxy keeps their order (sorting
        here would ask the model's ``data()`` from C++ twice per comparison, after every check)."""
        self.sourceModel().sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802 - Qt's name
        rows = self.sourceModel().rows
        return 0 <= source_row < len(rows) and matches(rows[source_row], self.bar.severities(),
                                                       self.bar.text_filter())


def grouped_model(diagnostics: list, grouping: str, columns: tuple[str, ...]) -> QStandardItemModel:
    """A two-level model: one row per group ("MD0602 · 95 warnings" with its count), its findings below.
    Groups come worst first, then largest."""
    groups: dict[str, list] = defaultdict(list)
    for d in diagnostics:
        groups[group_key(d, grouping)].append(d)

    def order(item: tuple[str, list]) -> tuple:
        key, members = item
        return (min(SEVERITY_RANK.get(d.severity, 9) for d in members), -len(members), key)

    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(list(columns))
    bold = QFont()
    bold.setBold(True)
    for key, members in sorted(groups.items(), key=order):
        worst = min((d.severity for d in members), key=lambda s: SEVERITY_RANK.get(s, 9))
        head = QStandardItem(icon(worst, SEVERITY_COLOURS.get(worst)), f"{key}  ({len(members)})")
        head.setFont(bold)
        head.setEditable(False)
        if grouping == "code":
            head.setToolTip(members[0].message)
        row = [head] + [_cell("") for _ in columns[1:]]
        row[-1] = _cell(_group_summary(members, grouping))
        for d in members:
            head.appendRow(_diagnostic_row(d))
        model.appendRow(row)
    return model


def _group_summary(members: list, grouping: str) -> str:
    counts = defaultdict(int)
    for d in members:
        counts[d.severity] += 1
    text = " · ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    if grouping == "code":
        return f"{text} — e.g. {members[0].message}"
    codes = sorted({d.code for d in members})
    return text + " — " + ", ".join(codes[:6]) + (" …" if len(codes) > 6 else "")


def _cell(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    return item


def _diagnostic_row(d) -> list[QStandardItem]:
    code = d.code + (f" / {d.istio_code}" if getattr(d, "istio_code", None) else "")
    cells = [_cell(d.severity), _cell(code), _cell(f"{d.resource.kind} {d.resource.namespace}/{d.resource.name}"),
             _cell(d.path), _cell(d.message)]
    cells[0].setIcon(icon(d.severity if d.severity in SEVERITIES else "info", SEVERITY_COLOURS.get(d.severity)))
    cells[0].setForeground(QColor(SEVERITY_COLOURS.get(d.severity, "#888")))
    for cell in cells:
        cell.setData(d, DIAGNOSTIC_ROLE)
        cell.setToolTip(d.format() if hasattr(d, "format") else d.message)
    return cells
