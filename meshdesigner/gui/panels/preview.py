"""Read-only YAML of the selected node: its Istio manifests, and for a gateway its Envoy bootstrap.

A gateway's Envoy bootstrap is its workload's (Istio runs one Envoy for every Gateway selecting the same
pods): the file ``export --envoy`` writes for it, header included. It compiles the whole workload (every
virtual service bound to any of its Gateways), so it is made off the GUI thread on a snapshot of the
design (:class:`~meshdesigner.gui.background.SnapshotWorker`)."""

from __future__ import annotations

import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ...export.istio.manifests import api_version_for
from ...io.yamlio import comment_line, dump_all
from ...model import GatewayNode
from ..background import SnapshotWorker
from ..document import Document
from ..style import current_theme


class YamlHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers and comments in distinct colours (theme-aware)."""

    _KEY = re.compile(r"^(\s*-?\s*)([^:#\s][^:#]*?):(\s|$)")
    _NUMBER = re.compile(r":\s+(-?\d+(\.\d+)?)\s*$")
    _STRING = re.compile(r"(\"[^\"]*\"|'[^']*')")

    def highlightBlock(self, text: str) -> None:
        dark = current_theme().name == "dark"
        key, string, number, comment = (QTextCharFormat() for _ in range(4))
        key.setForeground(QColor("#7DB7FF" if dark else "#1D4ED8"))
        string.setForeground(QColor("#A7D98B" if dark else "#15803D"))
        number.setForeground(QColor("#F0B774" if dark else "#B45309"))
        comment.setForeground(QColor(current_theme().muted))
        if text.lstrip().startswith("#"):
            self.setFormat(0, len(text), comment)
            return
        match = self._KEY.match(text)
        if match:
            self.setFormat(match.start(2), len(match.group(2)), key)
        for m in self._STRING.finditer(text):
            self.setFormat(m.start(), m.end() - m.start(), string)
        m = self._NUMBER.search(text)
        if m:
            self.setFormat(m.start(1), len(m.group(1)), number)


def envoy_text(project, node_id: str) -> str:
    """The Envoy config serving gateway ``node_id``: the text of its workload's file in ``export --envoy``
    (or a comment saying why it cannot be made yet)."""
    # Imported here, on the preview's worker: the Envoy exporter loads the compiler, which the window does
    # not need to show (cold start).
    from ...compile import workload_for_gateway
    from ...export.envoy import EnvoyOptions, gateway_file
    from ...export.envoy.bootstrap import bootstrap_text

    try:
        gateway = project.node(node_id)
        text = bootstrap_text(project, workload_for_gateway(project, gateway), EnvoyOptions())
        return comment_line(f"# {gateway_file(project, gateway)} of the Envoy export") + "\n" + text
    except Exception as exc:  # the exporter reports problems as exceptions: show, don't crash
        return f"# The Envoy config cannot be produced yet:\n# {exc}\n"


class PreviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.title = QLabel("Select a node to see its manifest")
        self.title.setObjectName("Muted")
        self.which = QComboBox()
        self.which.addItem("Istio manifest", "istio")
        self.which.addItem("Envoy config", "envoy")
        self.which.setEnabled(False)
        self.which.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.title, 1)
        bar.addWidget(self.which)
        layout.addLayout(bar)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setObjectName("YamlPreview")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = YamlHighlighter(self.text.document())
        layout.addWidget(self.text)
        self.document: Document | None = None
        self.node_id: str | None = None
        self.api_version = "v1"
        self.worker = SnapshotWorker("envoy-preview", self)
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.refresh)

    def set_document(self, document: Document) -> None:
        self.document = document
        self.worker.drop()
        self.worker.follow(document)
        document.sig_edited.connect(self._timer.start)
        document.sig_node_renamed.connect(lambda old, new: old.id == self.node_id and self.show_node(new.id))
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.refresh()

    def refresh(self) -> None:
        self.worker.drop()  # an Envoy config on its way is for another node or an older design
        if self.document is None or self.node_id is None or self.node_id not in self.document.project:
            self.title.setText("Select a node to see its manifest")
            self.which.setEnabled(False)
            self.text.setPlainText("")
            return
        node = self.document.project.node(self.node_id)
        is_gateway = isinstance(node, GatewayNode)
        self.which.setEnabled(is_gateway)
        if not is_gateway and self.which.currentData() == "envoy":
            self.which.setCurrentIndex(0)
            return
        if self.which.currentData() == "envoy":
            self.title.setText(f"Envoy config of the workload serving gateway {node.namespace}/{node.name}")
            node_id = node.id
            self.worker.start(self.document.project, lambda snapshot: envoy_text(snapshot, node_id), self._show_text)
            return
        resources = node.resources()
        names = ", ".join(r.KIND for r in resources) or "nothing (not exported)"
        self.title.setText(f"{node.namespace}/{node.name}: {names}")
        manifests = [r.manifest(api_version_for(r, self.api_version)) for r in resources]
        self._show_text(dump_all(manifests) if manifests else
                        "# This service exists in the cluster; it is not exported.\n")

    def _show_text(self, text: str | Exception) -> None:
        if isinstance(text, Exception):
            text = f"# The Envoy config cannot be produced yet:\n# {text}\n"
        scroll = self.text.verticalScrollBar().value()
        self.text.setPlainText(text)
        self.text.verticalScrollBar().setValue(scroll)
        self.highlighter.rehighlight()
