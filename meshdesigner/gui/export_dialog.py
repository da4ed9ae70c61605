"""The export dialog (form ``ui/export_dialog.ui``): folder, API version, Envoy on or off, a preview of
every file, and error-level diagnostics that block the export unless overridden.

The preview is exported off the GUI thread on a snapshot of the design
(:class:`~meshdesigner.gui.background.SnapshotWorker`); the newest options' preview is the one shown."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..export.istio import API_VERSIONS
from ..model import Project
from . import dialogs
from .background import SnapshotWorker
from .exporting import planned_files, write_export
from .forms import load_form

FOLDER_PAUSE_MS = 300  # the preview is re-made this long after the last keystroke in the folder field


class ExportDialog(QDialog):
    def __init__(self, project: Project, diagnostics: list, folder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.diagnostics = project, diagnostics
        self.form = load_form("export_dialog", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.form.layout().setContentsMargins(16, 14, 16, 12)
        self.form.layout().setSpacing(10)
        self.setWindowTitle(self.form.windowTitle())
        self.resize(self.form.size())
        self.folder: QLineEdit = self.form.findChild(QLineEdit, "folderEdit")
        self.api: QComboBox = self.form.findChild(QComboBox, "apiCombo")
        self.envoy: QCheckBox = self.form.findChild(QCheckBox, "envoyCheck")
        self.override: QCheckBox = self.form.findChild(QCheckBox, "overrideCheck")
        self.status: QLabel = self.form.findChild(QLabel, "diagnosticsLabel")
        self.files: QListWidget = self.form.findChild(QListWidget, "fileList")
        self.preview: QPlainTextEdit = self.form.findChild(QPlainTextEdit, "filePreview")
        splitter = self.form.findChild(QSplitter, "splitter")
        self.form.layout().setStretchFactor(splitter, 1)
        splitter.setSizes([300, 420])
        buttons: QDialogButtonBox = self.form.findChild(QDialogButtonBox, "buttons")
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("Primary")
        self.export_button.style().unpolish(self.export_button)
        self.export_button.style().polish(self.export_button)
        buttons.accepted.connect(self.do_export)
        buttons.rejected.connect(self.reject)
        self.form.findChild(QPushButton, "browseButton").clicked.connect(self._browse)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.preview.setFont(mono)
        self.api.addItems(list(API_VERSIONS))
        self.folder.setText(folder)
        self.errors = [d for d in diagnostics if d.severity == "error"]
        if self.errors:
            self.status.setText(f"<b style='color:#D55E00'>{len(self.errors)} error(s)</b> in the design: Istio may "
                                "reject these files. Fix them first, or tick the box below to export anyway.")
        else:
            warnings = sum(1 for d in diagnostics if d.severity == "warning")
            self.status.setText(f"No errors{f', {warnings} warning(s)' if warnings else ''}. Ready to export.")
        self.override.setVisible(bool(self.errors))
        self.texts: dict[str, str] = {}
        self.written: list[str] = []
        self.worker = SnapshotWorker("export-preview", self)
        self.api.currentIndexChanged.connect(lambda *_: self.refresh())
        self.envoy.toggled.connect(lambda *_: self.refresh())
        self.override.toggled.connect(lambda *_: self._update_button())  # the files stay the same
        # Typing a folder does not re-export on each keystroke: the button follows at once, the
        # preview once typing pauses (a large design's export takes a moment).
        self.folder_timer = QTimer(self, singleShot=True, interval=FOLDER_PAUSE_MS)
        self.folder_timer.timeout.connect(self.refresh)
        self.folder.textChanged.connect(self._folder_edited)
        self.files.currentTextChanged.connect(lambda name: self.preview.setPlainText(self.texts.get(name, "")))
        self.refresh()

    def _browse(self) -> None:
        chosen = dialogs.choose_folder(self, "Export to folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def options(self) -> tuple[str, str, bool]:
        return self.folder.text().strip(), self.api.currentText(), self.envoy.isChecked()

    def _folder_edited(self, _text: str) -> None:
        self._update_button()
        self.folder_timer.start()

    def refresh(self) -> None:
        """Export a snapshot for the preview, off the GUI thread; the button waits for it."""
        self.folder_timer.stop()
        _folder, api, envoy = self.options()
        self.texts = {}
        self._update_button()
        self.export_button.setText("Preparing the files…")
        self.worker.start(self.project, lambda snapshot: planned_files(snapshot, api, envoy)[0], self._show_files)

    def _show_files(self, texts: dict[str, str] | Exception) -> None:
        if isinstance(texts, Exception):  # show any exporter problem rather than crash
            self.texts = {}
            self.status.setText(f"<b style='color:#D55E00'>Cannot export:</b> {texts}")
        else:
            self.texts = texts
        current = self.files.currentItem().text() if self.files.currentItem() else None
        self.files.clear()
        self.files.addItems(sorted(self.texts))
        if self.texts:
            names = sorted(self.texts)
            self.files.setCurrentRow(names.index(current) if current in names else 0)
        self._update_button()

    def _update_button(self) -> None:
        folder = self.options()[0]
        blocked = bool(self.errors) and not self.override.isChecked()
        self.export_button.setEnabled(bool(folder) and bool(self.texts) and not blocked)
        where = os.path.basename(folder.rstrip("/")) or folder
        self.export_button.setText(f"Export {len(self.texts)} files to {where}/" if folder else "Export")

    def do_export(self) -> None:
        folder, api, envoy = self.options()
        if self.errors and not self.override.isChecked():
            return
        try:
            self.written = write_export(self.project, folder, api, envoy)
        except Exception as exc:  # noqa: BLE001 - a failed export writes nothing; tell the user why
            dialogs.error(self, "Export failed", f"Nothing was written.\n\n{exc}")
            return
        self.accept()
