"""Focus the editor of one field of the policy the Properties panel shows ("Go to field" on a diagnostic).

A diagnostic names a field as a path (``spec.rules[0].from[0].source.ipBlocks[1]``). The list pickers
on the way (rule 0, source 0) are set to those items, the form is built anew, and the deepest editor
over the path gets the focus: the entry itself is selected in a list of values, and the cursor goes to
the field's line in a YAML editor (an EnvoyFilter's patches). A path with no editor of its own focuses
the first editor inside it (``spec.selector``: the labels) or, for a list item (``spec.rules[0]``), the
list that holds it; one with no editor at all (``metadata.namespace``) opens the YAML tab at its line.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QListWidget, QWidget

from ...analysis.diagnostic import parse_path
from ...io.errors import InputError
from ...io.yamlio import load_documents
from ..panels.properties import Section
from .fields import StringListField, YamlField, join_values, split_values
from .section import PolicyEditor

FIELDS_TAB, YAML_TAB = 0, 1


def focus_policy_field(panel, path: str) -> str:
    """Show the field at ``path`` of the panel's policy and focus it: ``"field"``, ``"list"`` or
    ``"yaml"`` (what got the focus), ``""`` when no policy is shown."""
    parts = parse_path(path)
    ref = panel.policy_ref
    for i, part in enumerate(parts):
        if isinstance(part, int):  # the key PolicyForm.picked_list keeps a list's picked item under
            panel.selected_index[f"policy:{ref}:{'.'.join(map(str, parts[:i]))}"] = part
    panel.selected_index["policy.tab"] = FIELDS_TAB
    panel.rebuild()
    editor = panel.findChild(PolicyEditor, "follows-policies")
    if editor is None:
        return ""
    _open_section(editor)
    field = _field_over(editor.host.fields, parts)
    if field is not None:
        _scroll_to(panel, field)
        field.focus_editor()
        rest = parts[len(field.path):]
        if isinstance(field, StringListField) and rest and isinstance(rest[0], int):
            _select_value(field, rest[0])
        elif isinstance(field, YamlField) and rest:  # e.g. an EnvoyFilter patch: its line in the patches
            _show_line(field.text, rest)
        return "field"
    picker = _deepest_picker(editor, parts)
    if picker is not None:
        _scroll_to(panel, picker)
        picker.setFocus()
        return "list"
    editor.tabs.setCurrentIndex(YAML_TAB)
    _scroll_to_top(panel, editor.tabs)  # (the tabs are as tall as the form: the YAML is at their top)
    _show_line(editor.yaml.text, parts)
    return "yaml"


def _field_over(fields: list, parts: tuple):
    """The deepest editor whose path holds ``parts``; else, unless ``parts`` names a list item (its list
    is a better place), the first editor inside it (``spec.selector``: the selector labels)."""
    over = [f for f in fields if tuple(parts[:len(f.path)]) == tuple(f.path)]
    if over:
        return max(over, key=lambda f: len(f.path))
    if parts and not isinstance(parts[-1], int):
        return next((f for f in fields if tuple(f.path[:len(parts)]) == tuple(parts)), None)
    return None


def _scroll_to(panel, widget: QWidget) -> None:
    """Scroll the panel to ``widget``, once more after the new form is laid out (it was just built)."""
    panel.ensureWidgetVisible(widget)
    QTimer.singleShot(0, lambda: _still(widget) and panel.ensureWidgetVisible(widget, 50, 80))


def _scroll_to_top(panel, widget: QWidget) -> None:
    def scroll() -> None:
        if _still(widget):
            panel.verticalScrollBar().setValue(widget.mapTo(panel.widget(), QPoint(0, 0)).y() - 60)

    scroll()
    QTimer.singleShot(0, scroll)


def _still(widget: QWidget) -> bool:
    try:
        return widget.isVisible()
    except RuntimeError:  # deleted by a rebuild in between
        return False


def _open_section(widget: QWidget) -> None:
    section = widget.parentWidget()
    while section is not None and not isinstance(section, Section):
        section = section.parentWidget()
    if section is not None:
        section.header.setChecked(True)


def _select_value(field: StringListField, index: int) -> None:
    """Select the ``index``-th value in the field's line (``a, b, c``)."""
    values = split_values(field.line.text())  # the line shows join_values(values) (StringListField.refresh)
    if 0 <= index < len(values):
        start = len(join_values(values[:index])) + (2 if index else 0)
        field.line.setSelection(start, len(join_values(values[index:index + 1])))


def _deepest_picker(editor: PolicyEditor, parts: tuple) -> QListWidget | None:
    """The list of the deepest picked list on ``parts`` (``spec.rules[0]``: the rules)."""
    for end in range(len(parts), 0, -1):
        if isinstance(parts[end - 1], int):
            name = "picker:" + ".".join(map(str, parts[:end - 1]))
            picker = editor.findChild(QWidget, name)
            if picker is not None:
                return picker.list  # type: ignore[attr-defined]
    return None


def _show_line(text_edit, parts: tuple) -> None:
    """Put the YAML tab's cursor on the line of the field at ``parts`` (its nearest existing parent)."""
    try:
        docs = list(load_documents(text_edit.toPlainText(), "policy.yaml"))
    except InputError:
        docs = []
    line = docs[0].line_of(tuple(parts)) if docs else 1
    block = text_edit.document().findBlockByNumber(max(0, line - 1))
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    text_edit.setTextCursor(cursor)
    text_edit.centerCursor()
    text_edit.setFocus()
