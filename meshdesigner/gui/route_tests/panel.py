"""The Tests panel: every route test of the design with pass or fail and why, kept current.

After each edit (a short timer after the last one) the tests run on a worker thread over an
immutable snapshot of the design (:class:`~meshdesigner.gui.background.SnapshotWorker`); a run
that an edit overtook is dropped. Double-clicking a test lights the path of its (first failing)
request on the canvas and in the flow view (``sig_path``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analysis.flow import compute_flow, trace
from ...analysis.route_tests import CaseResult, run_cases
from ..background import SnapshotWorker
from ..document import Document
from ..style import SEVERITY_COLOURS

RERUN_DELAY_MS = 300
PASS_COLOUR = "#009E73"
TEST_COLUMN_WIDTH = 380


def run_snapshot(project) -> list[CaseResult]:
    """What the worker runs: every test of ``project`` (a snapshot nobody edits) through the simulator."""
    return run_cases(project, [(case, f"tests[{i}]") for i, case in enumerate(project.tests)])


class TestsPanel(QWidget):
    sig_path = Signal(object)        # FlowPath | None: the double-clicked test's path
    sig_finished = Signal()          # a run's results are shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.results: list[CaseResult] = []
        self.worker = SnapshotWorker("route-tests", self)
        self.timer = QTimer(self, singleShot=True, interval=RERUN_DELAY_MS)
        self.timer.timeout.connect(self.run)
        self.summary = QLabel("No tests yet: try a request and press “Save as test”.")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("tests:list")
        self.tree.setHeaderLabels(["Result", "Test", "Why"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, TEST_COLUMN_WIDTH)
        self.run_button = QPushButton("Run now")
        self.run_button.clicked.connect(self.run)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove the selected test (undoable)")
        self.delete_button.clicked.connect(self._delete_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)

    def set_document(self, document: Document) -> None:
        self.document = document
        self.worker.drop()
        self.worker.follow(document)
        document.sig_edited.connect(self.timer.start)
        self.results = []
        self.tree.clear()
        self.run()

    # ----- running -------------------------------------------------------------------------
    def run(self) -> None:
        """Start a run on the current design (an earlier run still going is overtaken)."""
        self.timer.stop()
        if self.document is None:
            return
        tests = self.document.project.tests
        if not tests:
            self.worker.drop()
            self._finished([])
            return
        self.summary.setText(f"running {len(tests)} test(s)…")
        self.worker.start(self.document.project, run_snapshot, self._finished)

    def _finished(self, outcome) -> None:
        if isinstance(outcome, Exception):
            self.results = []
            self.summary.setText(f"Tests could not run: {outcome}")
        else:
            self.results = outcome
            self._show()
        self.sig_finished.emit()

    def _show(self) -> None:
        self.tree.clear()
        failed = 0
        for index, result in enumerate(self.results):
            why = "" if result.passed else (result.first_failure() or "failed")
            failed += not result.passed
            item = QTreeWidgetItem(["pass" if result.passed else "FAIL", result.name, why])
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            colour = QColor(PASS_COLOUR if result.passed else SEVERITY_COLOURS["error"])
            item.setForeground(0, QBrush(colour))
            item.setToolTip(2, why)
            item.setToolTip(1, f"{len(result.results)} request(s); double-click to light the path")
            self.tree.addTopLevelItem(item)
        total = len(self.results)
        if not total:
            self.summary.setText("No tests yet: try a request and press “Save as test”.")
        elif failed:
            self.summary.setText(f"{failed} of {total} test(s) fail")
            self.summary.setStyleSheet(f"color: {SEVERITY_COLOURS['error']}; font-weight: bold")
            return
        else:
            self.summary.setText(f"all {total} test(s) pass")
        self.summary.setStyleSheet("")

    def rows(self) -> list[tuple[str, str, str]]:
        """(result, name, why) as shown (for tests and screenshots)."""
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(3)) for i in range(self.tree.topLevelItemCount())]

    # ----- acting on a test ----------------------------------------------------------------
    def _selected_index(self) -> int | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _delete_selected(self) -> None:
        index = self._selected_index()
        if index is not None and self.document is not None and index < len(self.document.project.tests):
            self.document.remove_tests([index])

    def _double_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.light(item.data(0, Qt.ItemDataRole.UserRole))

    def light(self, index: int) -> None:
        """Light the path of test ``index``'s first failing request (or its first one)."""
        if self.document is None or not 0 <= index < len(self.results):
            return
        results = self.results[index].results
        chosen = next((r for r in results if not r.passed), results[0] if results else None)
        obs = chosen.observation if chosen is not None else None
        if obs is None or obs.result is None or obs.gateway is None:
            self.summary.setText("This test's request enters through the mesh: its path is not drawn.")
            self.sig_path.emit(None)
            return
        project = self.document.project
        self.sig_path.emit(trace(compute_flow(project), project, obs.result))
