"""Field editors bound to one policy resource (AuthorizationPolicy, RequestAuthentication, ...).

:class:`PolicyHost` is the :class:`~meshdesigner.gui.panels.fields.FieldHost` of a policy: the panel's
field editors (text, choice, check box, table) work on it unchanged, with paths inside the resource's
wire form (``("spec", "rules", 0, "to", 0, "operation", "methods")``). An edit rebuilds the resource
from its own wire form with that one path changed (unknown fields and the ``apiVersion`` it was written
in stay as they were) and asks the document for it: one undo step, consecutive edits of one field
merged. The host is not the panel's, so the gateway's node refreshes never reach these editors; the
policy editor refreshes them from the document's policy events.

Editors added here: :class:`StringListField` (a list of strings as one comma-separated line, quoted
like CSV where a value holds a comma), :class:`MultiLineField` (a JWKS document) and
:class:`YamlField` (a subtree kept as YAML: EnvoyFilter patches, Telemetry tracing and metrics).
"""

from __future__ import annotations

import copy
import csv
import ipaddress
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ...io.errors import InputError
from ...io.yamlio import dump, load_documents
from ...model.project import ProjectError
from ..edits import Path, get_in, set_in, validation_reason
from ..panels.fields import Field, FieldHost

LABEL_WIDTH = 124  # px: room for the longest source/operation field name ("notRemoteIpBlocks")


class PolicyHost(FieldHost):
    """Edits of one policy (``ref``) through :meth:`Document.set_policy`; keeps the editors it has made."""

    def __init__(self, document, ref) -> None:
        self.document, self.ref = document, ref
        self.fields: list[Field] = []

    @property
    def policy(self):
        return self.document.project.policy(self.ref)

    def edit(self, path: Path, value: Any, text: str = "") -> str | None:
        """Set one field (typing in it: consecutive edits of the field merge into one undo step)."""
        return self._edit(path, value, text, ("policy-field", tuple(path)))

    def edit_once(self, path: Path, value: Any, text: str = "") -> str | None:
        """Set one field as an undo step of its own (add, remove or move a rule)."""
        return self._edit(path, value, text, None)

    def _edit(self, path: Path, value: Any, text: str, merge_key: object) -> str | None:
        current = self.policy
        if current is None:
            return "the resource is no longer in the design"
        body = current.to_wire()  # apiVersion (if it was written with one), metadata, spec, unknown fields
        set_in(body, path, copy.deepcopy(value))
        try:
            new = type(current).model_validate(body)
        except ValidationError as exc:
            return validation_reason(exc)
        try:
            self.document.set_policy(current, new, text or f"Edit {path[-1]}", merge_key=merge_key)
        except ProjectError as exc:
            return str(exc)
        return None

    def register(self, path: Path, widget: QWidget) -> None:
        if isinstance(widget, Field):
            self.fields.append(widget)

    def refresh(self) -> None:
        policy = self.policy
        if policy is not None:
            for field in self.fields:
                field.refresh(policy)


# ----- a list of strings as one line ------------------------------------------------------------
def join_values(values: Any) -> str:
    """``["a", "b,c"]`` -> ``a, "b,c"`` (quoted like CSV only where needed; entries are trimmed)."""
    out = []
    for value in values or []:
        text = str(value)
        if any(c in text for c in ',"'):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ", ".join(out)


def split_values(text: str) -> list[str]:
    """The inverse of :func:`join_values`; empty entries are dropped."""
    if not text.strip():
        return []
    row = next(csv.reader([text], skipinitialspace=True), [])
    return [value.strip() for value in row if value.strip()]


def ip_or_cidr(value: str) -> str | None:
    """Istio's check of ``ipBlocks``/``remoteIpBlocks`` entries (``ValidateIPAddress``/``ValidateIPSubnet``)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is not an IP address or CIDR range"
    return None


def port_number(value: str) -> str | None:
    return None if value.isdigit() and 0 < int(value) < 65536 else f"{value!r} is not a port (1-65535)"


class StringListField(Field):
    """A list of strings on one line (``a, b, "c,d"``), its name on the left; empty removes the field.

    ``item_check`` returns the reason an entry is refused (nothing is written while one is)."""

    def __init__(self, host: FieldHost, path: Path, label: str, hint: str = "",
                 item_check: Callable[[str], str | None] | None = None, placeholder: str = "") -> None:
        super().__init__(host, path, "")
        self.label_text, self.item_check = label, item_check
        title = QLabel(label)
        title.setObjectName("Muted")
        title.setFixedWidth(LABEL_WIDTH)
        title.setToolTip(hint or label)
        self.line = QLineEdit(placeholderText=placeholder or "value, value, ...")
        self.line.setObjectName("field:" + ".".join(map(str, path)))
        self.line.setToolTip((hint + "\n" if hint else "") + "Several values: separate them with commas.")
        self.body.addWidget(title)
        self.body.addWidget(self.line, 1)
        self.line.textEdited.connect(self._typed)

    def _typed(self, text: str) -> None:
        try:
            values = split_values(text)
        except csv.Error as exc:
            self.error.show_error(str(exc))
            return
        problems = [p for p in map(self.item_check, values) if p] if self.item_check else []
        if problems:
            self.error.show_error(problems[0])
            return
        self.commit(values or None)

    def refresh(self, node) -> None:
        values = get_in(node.to_wire(), self.path) or []
        if self.line.hasFocus():
            try:
                if split_values(self.line.text()) == values or self.error.isVisible():
                    return  # what is typed already says this (or is being corrected): leave it alone
            except csv.Error:
                return
        self.line.setText(join_values(values))
        self.error.show_error(None)

    def focus_editor(self) -> None:
        self.line.setFocus()


class MultiLineField(Field):
    """Several lines of text (a JWKS document), written when the Apply button is pressed."""

    def __init__(self, host: FieldHost, path: Path, label: str, hint: str = "", height: int = 90) -> None:
        super().__init__(host, path, label, hint)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        self.text = QPlainTextEdit()
        self.text.setObjectName("field:" + ".".join(map(str, path)))
        self.text.setFixedHeight(height)
        self.apply = QPushButton("Apply")
        self.apply.setObjectName("apply:" + ".".join(map(str, path)))
        self.apply.clicked.connect(self.apply_text)
        column.addWidget(self.text)
        column.addWidget(self.apply)
        self.body.addLayout(column)

    def value_of(self, text: str) -> tuple[Any, str | None]:
        return (text if text.strip() else None), None

    def shown(self, value: Any) -> str:
        return "" if value is None else str(value)

    def apply_text(self) -> None:
        value, problem = self.value_of(self.text.toPlainText())
        if problem:
            self.error.show_error(problem)
            return
        if self.commit(value):
            self.text.document().setModified(False)

    def refresh(self, node) -> None:
        if self.text.document().isModified():
            return  # unapplied typing is never overwritten
        self.text.setPlainText(self.shown(get_in(node.to_wire(), self.path)))
        self.text.document().setModified(False)
        self.error.show_error(None)

    def focus_editor(self) -> None:
        self.text.setFocus()


class YamlField(MultiLineField):
    """A subtree of the resource as YAML (checked when applied: it must parse, and the model must take it)."""

    def __init__(self, host: FieldHost, path: Path, label: str, hint: str = "", height: int = 160,
                 kind: type | None = None) -> None:
        self.kind = kind  # the YAML's expected type (list or dict), None for any
        super().__init__(host, path, label, hint, height)

    def value_of(self, text: str) -> tuple[Any, str | None]:
        if not text.strip():
            return None, None
        try:
            docs = [d.data for d in load_documents(text, ".".join(map(str, self.path)))]
        except InputError as exc:
            return None, str(exc)
        if len(docs) != 1:
            return None, "write one YAML value"
        value = docs[0]
        if self.kind is not None and not isinstance(value, self.kind):
            return None, f"expected a YAML {'list' if self.kind is list else 'mapping'}"
        return value, None

    def shown(self, value: Any) -> str:
        return "" if value is None else dump(value)
