"""Ctrl+F: find a node by name, namespace or host (form ``ui/find_node.ui``)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..model import Project
from .forms import load_form
from .style import KIND_COLOURS, KIND_LABELS, icon

LIMIT = 200


class FindNodeDialog(QDialog):
    sig_chosen = Signal(str)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.form = load_form("find_node", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.form.layout().setContentsMargins(12, 12, 12, 10)
        self.setWindowTitle(self.form.windowTitle())
        self.resize(self.form.size())
        self.query: QLineEdit = self.form.findChild(QLineEdit, "queryEdit")
        self.results: QListWidget = self.form.findChild(QListWidget, "resultList")
        self.count: QLabel = self.form.findChild(QLabel, "countLabel")
        self.query.textChanged.connect(self.search)
        self.query.returnPressed.connect(self._choose_first)
        self.results.itemActivated.connect(self._choose)
        self.search("")

    def search(self, text: str) -> None:
        text = text.strip().lower()
        self.results.clear()
        found = 0
        for node in self.project.sorted_nodes():
            hosts = " ".join(getattr(node.primary.spec, "hosts", None) or [])
            if text and text not in f"{node.name} {node.namespace} {hosts}".lower():
                continue
            found += 1
            if found <= LIMIT:
                item = QListWidgetItem(icon(str(node.kind), KIND_COLOURS[node.kind]),
                                       f"{node.name}  —  {node.namespace} · {KIND_LABELS[node.kind].lower()}")
                item.setData(Qt.ItemDataRole.UserRole, node.id)
                self.results.addItem(item)
        self.count.setText(f"{found} node(s)" + (f", first {LIMIT} shown" if found > LIMIT else ""))
        if self.results.count():
            self.results.setCurrentRow(0)

    def _choose_first(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QListWidgetItem) -> None:
        self.sig_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        self.accept()
