"""Field editors bound to a path in a node: they show the value, check input as it is typed, and ask
the document for the edit (never touching the model themselves).

Every editor has ``refresh(node)`` (show the node's value, unless the user is typing in it) and
reports problems in a small label under itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...model import NodeBase
from ..edits import Path, get_in, node_data
from ..style import icon
from ..validators import Validator


class FieldHost:
    """What editors need from the panel: the document edit call and the node being shown."""

    def edit(self, path: Path, value: Any, text: str = "") -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def register(self, path: Path, widget: QWidget) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ErrorLabel(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("FieldError")
        self.setWordWrap(True)
        self.hide()

    def show_error(self, message: str | None) -> None:
        self.setText(message or "")
        self.setVisible(bool(message))


class Field(QWidget):
    """Base: a labelled editor for one path, with the reason for bad input beneath it."""

    def __init__(self, host: FieldHost, path: Path, label: str, hint: str = "") -> None:
        super().__init__()
        self.host, self.path, self.label_text = host, path, label
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        if label:
            title = QLabel(label)
            title.setObjectName("Muted")
            if hint:
                title.setToolTip(hint)
            layout.addWidget(title)
        self.body = QHBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.body)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        host.register(path, self)

    def commit(self, value: Any) -> bool:
        message = self.host.edit(self.path, value, f"Edit {self.label_text.lower() or self.path[-1]}")
        self.error.show_error(message)
        return message is None

    def refresh(self, node: NodeBase) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def focus_editor(self) -> None:
        self.setFocus()


class TextField(Field):
    """A line of text; ``convert`` turns it into the stored value (empty -> field removed)."""

    def __init__(self, host: FieldHost, path: Path, label: str, validator: Validator | None = None,
                 placeholder: str = "", convert: Callable[[str], Any] = str, required: bool = False,
                 hint: str = "") -> None:
        super().__init__(host, path, label, hint)
        self.validator, self.convert, self.required = validator, convert, required
        self.line = QLineEdit(placeholderText=placeholder)
        self.line.setObjectName("field:" + ".".join(map(str, path)))
        self.body.addWidget(self.line)
        self.line.textEdited.connect(self._typed)

    def _typed(self, text: str) -> None:
        text = text.strip()
        message = self.validator(text) if self.validator else None
        if not message and self.required and not text:
            message = "required"
        self._mark(message)
        if message:
            return
        try:
            value = self.convert(text) if text else None
        except ValueError as exc:
            self._mark(str(exc))
            return
        self._mark(None if self.commit(value) else self.error.text())

    def _mark(self, message: str | None) -> None:
        self.error.show_error(message)
        if self.line.property("invalid") != bool(message):  # re-polishing is costly: only when it flips
            self.line.setProperty("invalid", bool(message))
            self.line.style().unpolish(self.line)
            self.line.style().polish(self.line)

    def refresh(self, node: NodeBase) -> None:
        value = get_in(node_data(node), self.path)
        text = "" if value is None else str(value)
        if self.line.hasFocus() and self.error.isVisible():
            return  # keep what the user is typing
        if self.line.text().strip() != text:
            self.line.setText(text)
        self._mark(None)

    def focus_editor(self) -> None:
        self.line.setFocus()
        self.line.selectAll()


def to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("a whole number") from None


def to_number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


class ChoiceField(Field):
    def __init__(self, host: FieldHost, path: Path, label: str, choices: Sequence[str], empty: str = "",
                 hint: str = "") -> None:
        super().__init__(host, path, label, hint)
        self.combo = QComboBox()
        self.combo.setObjectName("field:" + ".".join(map(str, path)))
        self.empty = empty
        if empty:
            self.combo.addItem(empty, None)
        for choice in choices:
            self.combo.addItem(choice, choice)
        self.body.addWidget(self.combo)
        self.combo.activated.connect(lambda _i: self.commit(self.combo.currentData()))

    def refresh(self, node: NodeBase) -> None:
        value = get_in(node_data(node), self.path)
        index = self.combo.findData(value)
        if index < 0 and value is not None:  # a value the list does not know: keep it visible
            self.combo.addItem(f"{value} (unknown)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(max(index, 0))

    def focus_editor(self) -> None:
        self.combo.setFocus()


class BoolField(Field):
    def __init__(self, host: FieldHost, path: Path, label: str, default: bool = False,
                 remove_when: bool | None = False) -> None:
        super().__init__(host, path, "")
        self.default, self.remove_when = default, remove_when
        self.box = QCheckBox(label)
        self.body.addWidget(self.box)
        self.box.toggled.connect(self._toggled)
        self._refreshing = False

    def _toggled(self, checked: bool) -> None:
        if not self._refreshing:
            self.commit(None if checked == self.remove_when else checked)

    def refresh(self, node: NodeBase) -> None:
        value = get_in(node_data(node), self.path)
        self._refreshing = True
        self.box.setChecked(self.default if value is None else bool(value))
        self._refreshing = False

    def focus_editor(self) -> None:
        self.box.setFocus()


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` is a dotted path inside each row (``port.number``)."""

    key: str
    title: str
    validator: Validator | None = None
    convert: Callable[[str], Any] = str
    width: int = 0
    display: Callable[[Any], str] | None = None


class TableField(Field):
    """A list of mappings (ports, destinations, subsets) or, with ``mapping=True``, a key/value dict.

    Edits are checked cell by cell; the whole list is written back as one edit.
    """

    def __init__(self, host: FieldHost, path: Path, label: str, columns: Sequence[Column],
                 new_row: Callable[[list], dict] | None = None, mapping: bool = False,
                 scalar: bool = False, check_rows: Callable[[list], str | None] | None = None,
                 hint: str = "") -> None:
        super().__init__(host, path, label, hint)
        self.columns, self.mapping, self.scalar = list(columns), mapping, scalar
        self.new_row = new_row or (lambda _rows: {})
        self.check_rows = check_rows
        self.rows: list[dict] = []
        self._loading = False
        column = QVBoxLayout()
        self.table = QTableWidget(0, len(self.columns))
        self.table.setObjectName("table:" + ".".join(map(str, path)))
        self.table.setHorizontalHeaderLabels([c.title for c in self.columns])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # columns stretch
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for i, col in enumerate(self.columns):
            if col.width:
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Fixed)
                self.table.setColumnWidth(i, col.width)
        self.table.itemChanged.connect(self._cell_changed)
        column.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QToolButton(icon=icon("add"), toolTip="Add a row")
        self.remove_button = QToolButton(icon=icon("remove"), toolTip="Remove the selected row")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.body.addLayout(column)

    # rows <-> stored value
    def _value_rows(self, value: Any) -> list[dict]:
        if self.mapping:
            return [{"key": k, "value": v} for k, v in (value or {}).items()]
        if self.scalar:
            return [{"value": v} for v in value or []]
        return [dict(r) for r in value or []]

    def _stored(self, rows: list[dict]) -> Any:
        if self.mapping:
            return {r["key"]: r.get("value", "") for r in rows if r.get("key")} or None
        if self.scalar:
            return [r["value"] for r in rows if r.get("value") not in (None, "")] or None
        return rows or None

    def refresh(self, node: NodeBase) -> None:
        if self.table.state() == QAbstractItemView.State.EditingState:
            return
        self.rows = self._value_rows(get_in(node_data(node), self.path))
        self._loading = True
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, col in enumerate(self.columns):
                value = get_in(row, col.key.split("."))
                text = col.display(value) if col.display else ("" if value is None else str(value))
                self.table.setItem(r, c, QTableWidgetItem(text))
        self._loading = False
        self.table.setFixedHeight(self._table_height())
        self.error.show_error(self.check_rows(self.rows) if self.check_rows else None)

    def _table_height(self) -> int:
        """Tall enough for the header (whatever the font makes it) and every row: the table never
        scrolls, the panel does."""
        header = max(self.table.horizontalHeader().sizeHint().height(), 20)
        return header + 24 * max(1, len(self.rows)) + 2 * self.table.frameWidth() + 2

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        col = self.columns[item.column()]
        text = item.text().strip()
        message = col.validator(text) if col.validator else None
        if message:
            self.error.show_error(f"{col.title}: {message}")
            return
        try:
            value = col.convert(text) if text else None
        except ValueError as exc:
            self.error.show_error(f"{col.title}: {exc}")
            return
        rows = [dict(r) for r in self.rows]
        from ..edits import set_in
        set_in(rows[item.row()], col.key.split("."), value)
        self._write(rows)

    def _write(self, rows: list[dict]) -> None:
        problem = self.check_rows(rows) if self.check_rows else None
        if self.commit(self._stored(rows)):
            self.rows = rows
            if problem:
                self.error.show_error(problem)

    def add_row(self) -> None:
        rows = [dict(r) for r in self.rows] + [self.new_row(self.rows)]
        self._write(rows)

    def remove_selected(self) -> None:
        selected = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not selected and self.rows:
            selected = [len(self.rows) - 1]
        rows = [dict(r) for r in self.rows]
        for index in selected:
            rows.pop(index)
        self._write(rows)

    def focus_editor(self) -> None:
        self.table.setFocus()
        if self.table.rowCount():
            self.table.setCurrentCell(0, 0)


def weights_check(rows: list[dict]) -> str | None:
    """Destinations of one rule: weights, when given, add up to 100."""
    weights = [r.get("weight") for r in rows]
    if len(rows) > 1 and any(w is not None for w in weights):
        total = sum(w or 0 for w in weights)
        if total != 100:
            return f"weights add up to {total}, not 100"
    return None


class ListPicker(QWidget):
    """A row of buttons for an ordered list (rules, servers): select, add, remove, move up/down."""

    sig_selected = Signal(int)

    def __init__(self, on_add, on_remove, on_move, what: str) -> None:
        super().__init__()
        from PySide6.QtWidgets import QListWidget

        self.setObjectName("refresh-on-change")  # the panel calls refresh(node) after each edit
        self.labels_of = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("list:" + what)
        self.list.setAlternatingRowColors(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.currentRowChanged.connect(self.sig_selected.emit)
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        for name, tip, slot in (("add", f"Add a {what}", on_add), ("remove", f"Remove the {what}", on_remove),
                                ("up", "Move up (matched earlier)", lambda: on_move(-1)),
                                ("down", "Move down", lambda: on_move(1))):
            button = QToolButton(icon=icon(name), toolTip=tip)
            button.setObjectName(f"{what}-{name}")
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def refresh(self, node: NodeBase) -> None:
        """Relabel the items from the changed node (same count; the selection stays)."""
        labels_of = getattr(self, "labels_of", None)
        if labels_of is None:
            return
        for i, text in enumerate(labels_of(node)[:self.list.count()]):
            self.list.item(i).setText(text)
            self.list.item(i).setToolTip(text)

    def set_items(self, texts: list[str], current: int) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems(texts)
        from PySide6.QtCore import QSize

        for i, text in enumerate(texts):
            self.list.item(i).setToolTip(text)
            self.list.item(i).setSizeHint(QSize(0, 24))
        self.list.setFixedHeight(6 + 24 * max(1, min(len(texts), 8)))
        if texts:
            self.list.setCurrentRow(max(0, min(current, len(texts) - 1)))
        self.list.blockSignals(False)


def button(text: str, slot) -> QPushButton:
    b = QPushButton(text)
    b.clicked.connect(slot)
    return b
