"""The diagnostics table (sortable: severity, code, resource, field, message); a click goes there.

Above it a filter bar: severity toggles with counts, a text filter, and grouping by code, resource or
namespace (a tree with a count per group, see :mod:`.diagnostics_groups`).

Diagnostics come from :mod:`meshdesigner.analysis` (an incremental ``Analyzer``), re-checked on a
short timer after edits, off the GUI thread on a snapshot (:class:`~meshdesigner.gui.background.SnapshotWorker`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...io.gcpause import gc_paused
from ...model import Project
from ..background import SnapshotWorker
from ..document import Document
from ..give_way import GiveWay
from ..style import SEVERITY_COLOURS, icon
from .diagnostic_detail import DiagnosticDetail
from .diagnostics_groups import DIAGNOSTIC_ROLE, FilterBar, FilterProxy, grouped_model, matches

if TYPE_CHECKING:
    from ...analysis.engine import Analyzer

COLUMNS = ("Severity", "Code", "Resource", "Field", "Message")
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
RECHECK_MS = 350
FIRST_CHECK_MS = 50  # after the first paint of a newly opened design


class DiagnosticsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []            # in the order shown
        self._given: list = []          # as the checks gave them
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)
        # per row: the five texts and the five sort keys, made once per check
        self._texts: list[tuple] = []
        self._keys: list[tuple] = []

    def set_rows(self, rows: list) -> None:
        if rows == self._given:
            # a check after most edits finds what the last one found: resetting the model (and the views
            # on it) for the same rows took 65 ms of the GUI thread on the bench mesh
            return
        self.beginResetModel()
        self._given = list(rows)
        self._arrange(self._given)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The rows in the order of ``column`` (stable: equal keys keep the checks' order). The model sorts
        itself, once, in Python: a sorting proxy asked ``data()`` twice per comparison from C++ (~20 ms for
        the 477 findings of the bench mesh after every check that changed them)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [self.rows[i.row()] if 0 <= i.row() < len(self.rows) else None for i in persistent]
        self._arrange(self._given)
        where = {id(d): row for row, d in enumerate(self.rows)}
        self.changePersistentIndexList(persistent, [
            self.index(where[id(d)], i.column()) if d is not None and id(d) in where else QModelIndex()
            for i, d in zip(persistent, held, strict=True)])
        self.layoutChanged.emit()

    def _arrange(self, given: list) -> None:
        column, order = self._sort
        keyed = [(_sort_keys(d), d) for d in given]
        if 0 <= column < len(COLUMNS):
            keyed.sort(key=lambda pair: pair[0][column], reverse=order == Qt.SortOrder.DescendingOrder)
        self.rows = [d for _keys, d in keyed]
        self._keys = [keys for keys, _d in keyed]
        self._texts = [_texts(d) for d in self.rows]

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()][index.column()]
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            return self._keys[index.row()][index.column()]
        d = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return icon(d.severity if d.severity in ("error", "warning", "info") else "info",
                        SEVERITY_COLOURS.get(d.severity))
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QColor(SEVERITY_COLOURS.get(d.severity, "#888"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return d.format() if hasattr(d, "format") else d.message
        return None


def _sort_keys(d) -> tuple:
    return SEVERITY_ORDER.get(d.severity, 9), d.code, tuple(d.resource), d.path, d.message


def _texts(d) -> tuple[str, str, str, str, str]:
    """A finding's cells: severity, code (with Istio's), resource, field, message."""
    code = d.code + (f" / {d.istio_code}" if getattr(d, "istio_code", None) else "")
    return d.severity, code, f"{d.resource.kind} {d.resource.namespace}/{d.resource.name}", d.path, d.message


@dataclass(eq=False)
class _Ahead:
    """A first check started for a design before it is shown."""

    project: Project
    answer: tuple | Exception | None = None   # (analyzer, diagnostics) once done
    adopt: bool = False                        # the design is shown: adopt the answer when it comes


def _new_analyzer(project: Project, give_way: GiveWay | None = None) -> Analyzer:
    # Imported here (on the checks worker): the engine loads the compiler, not needed to show the window.
    from ...analysis.engine import Analyzer

    # The window keeps what its analyzer builds for as long as it shows the design: freeze it after the
    # first run rather than a full collection (see Analyzer.refresh). On a worker, it gives way to the window.
    return Analyzer(project, freeze_after_first=True,
                    between_nodes=give_way.between_nodes if give_way is not None else None)


def _refresh_on(analyzer, snapshot) -> list:
    """The analyzer's diagnostics for ``snapshot`` (incremental: nodes are compared by identity, and a
    snapshot shares the unchanged frozen nodes)."""
    analyzer.project = snapshot
    if getattr(analyzer, "context", None) is not None:
        analyzer.context.project = snapshot
    return list(analyzer.refresh())


class DiagnosticsPanel(QWidget):
    sig_diagnostics_changed = Signal(list)      # every diagnostic, sorted
    sig_go_to = Signal(object)                  # a diagnostic the user clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.notice = QLabel()          # says why checks failed, if they ever do
        self.notice.setObjectName("Muted")
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        self.model = DiagnosticsModel()
        self.filter_bar = FilterBar()
        self.filter_bar.sig_changed.connect(self._apply_filter)
        layout.addWidget(self.filter_bar)
        self.proxy = FilterProxy(self.filter_bar, self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for i, width in enumerate((90, 130, 260, 200)):
            header.resizeSection(i, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._clicked)
        self.table.activated.connect(self._clicked)
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")
        self.tree = QTreeView()  # the grouped view
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.clicked.connect(self._tree_clicked)
        self.tree.activated.connect(self._tree_clicked)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)
        # Beside the table: what the selected finding means, how to fix it, and its quick fix.
        self.detail = DiagnosticDetail()
        self.detail.setMinimumWidth(340)
        self.detail.sig_go_to.connect(self.sig_go_to.emit)
        self.table.selectionModel().currentRowChanged.connect(lambda index, _old: self.detail.show_diagnostic(
            self._row(index)))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)
        self.document: Document | None = None
        self.analyzer = None
        self.diagnostics: list = []
        self.available = True
        self.timer = QTimer(self, singleShot=True, interval=RECHECK_MS)
        self.timer.timeout.connect(self.recheck_in_background)
        # Checks after edits run on a worker over a snapshot; a result the design has moved past is
        # dropped. One lock: one run of the incremental analyzer at a time (the worker's, or recheck()
        # when a caller needs the answer now).
        self.worker = SnapshotWorker("checks", self)
        self._analyzer_lock = threading.Lock()
        # The first check of a design being opened runs while its canvas is built (see check_ahead).
        self.ahead_worker = SnapshotWorker("checks-ahead", self)
        self.give_way = GiveWay()   # the checks workers wait while the window takes a turn (give_way.py)
        self._ahead: _Ahead | None = None

    def set_document(self, document: Document) -> None:
        self.document = document
        self.detail.document = document
        self.detail.show_diagnostic(None)
        # Made by the first check, on the worker: building one loads every rule module (about 0.4 s at
        # start-up), which would hold up the first paint of the window (issue 16: cold start).
        self.analyzer = None
        self.worker.drop()  # a check of the previous design must not show on this one
        if self._ahead is not None and self._ahead.project is not document.project:
            self.cancel_ahead()
        self.worker.follow(document)
        document.sig_edited.connect(self.timer.start)
        self.diagnostics = []
        self.model.set_rows([])
        # The first check of a newly opened design waits for the window to show it (see
        # MainWindow.set_document): a large design is visible at once, its checks a moment later.

    # ----- the first check of a design being opened ---------------------------------------------------
    def check_ahead(self, project: Project, snapshot: Project | None = None) -> None:
        """Start the first (full) check of ``project``, a design read but not shown yet, off the GUI thread
        while its canvas is built (``snapshot``: a copy of it nobody edits, if the caller has one); once it is shown (:meth:`start_first_check`) the answer is adopted, so
        that the first check painted does not wait for the whole opening first."""
        ahead = self._ahead = _Ahead(project)

        def check(snapshot) -> tuple[Analyzer, list]:
            analyzer = _new_analyzer(snapshot, self.give_way)
            return analyzer, _refresh_on(analyzer, snapshot)

        self.ahead_worker.start_on(snapshot if snapshot is not None else project.copy(), check,
                                   lambda answer: self._ahead_done(ahead, answer))

    def cancel_ahead(self) -> None:
        """The design being opened will not be shown."""
        self._ahead = None
        self.ahead_worker.drop()

    def start_first_check(self) -> bool:
        """The window shows the design a check was started ahead for: adopt it (now, or when it is done)
        and return True; False when there is none (the caller starts a check)."""
        ahead = self._ahead
        if ahead is None or self.document is None or ahead.project is not self.document.project:
            return False
        ahead.adopt = True
        if ahead.answer is not None:
            self._adopt(ahead)
        return True

    def _ahead_done(self, ahead: _Ahead, answer) -> None:
        if ahead is not self._ahead:
            return
        ahead.answer = answer
        if ahead.adopt:
            self._adopt(ahead)

    def _adopt(self, ahead: _Ahead) -> None:
        self._ahead = None
        if not isinstance(ahead.answer, Exception) and self.analyzer is None:
            self.analyzer = ahead.answer[0]
        # On the adopted analyzer this re-runs only what was edited since the design was read (usually
        # nothing); after a failure, every check again.
        self.recheck_in_background()

    def recheck_from_scratch(self, background: bool = False) -> None:
        """Forget cached results (certificate files may have changed, which the model does not know: F5)
        and run every check again, off the GUI thread unless ``background`` is False."""
        self.analyzer = None  # the next check makes a new one
        if background:
            self.recheck_in_background()
        else:
            self.recheck()

    def recheck_in_background(self) -> None:
        """Check a snapshot of the design on the worker; the result shows if nothing changed meanwhile."""
        self.timer.stop()
        if self.document is None:
            self.recheck()
            return
        if self._ahead is not None and self._ahead.adopt:
            return  # the check started ahead is adopted when done, and then brought up to date
        analyzer, lock = self.analyzer, self._analyzer_lock

        def check(snapshot) -> tuple[Analyzer, list]:
            with lock:
                used = analyzer if analyzer is not None else _new_analyzer(snapshot, self.give_way)
                return used, _refresh_on(used, snapshot)

        self.worker.start(self.document.project, check, self._show_checked)

    def _show_checked(self, answer: tuple[Analyzer, list] | Exception) -> None:
        """A background check's answer (only ever about the current design: the worker drops the rest)."""
        if not isinstance(answer, Exception):
            analyzer, answer = answer
            if self.analyzer is None:
                self.analyzer = analyzer
        self._show_outcome(answer)

    def recheck(self) -> None:
        """Run the checks now, on this thread (for callers that need the answer at once, e.g. export)."""
        self.timer.stop()
        self.worker.drop()  # a background run still going is overtaken
        if self.document is None:
            self._show_outcome([])
            return
        if self._ahead is not None and self._ahead.adopt:
            self.cancel_ahead()  # overtaken, as a background run is
        if self.analyzer is None:
            self.analyzer = _new_analyzer(self.document.project, self.give_way)
        with self._analyzer_lock, gc_paused():  # a first check of a large design builds many small objects
            try:
                outcome = _refresh_on(self.analyzer, self.document.project.copy())
            except Exception as exc:  # a failing rule must not take the editor down
                outcome = exc
        self._show_outcome(outcome)

    def _show_outcome(self, outcome) -> None:
        if isinstance(outcome, Exception):
            self.notice.setText(f"Checks failed: {outcome}")
            self.notice.show()
            self.diagnostics = []
        else:
            self.diagnostics = outcome
        shown = self.detail.diagnostic
        self.model.set_rows(self.diagnostics)
        # Keep explaining the finding the user chose; otherwise the first one (nothing to click to learn more).
        self.detail.show_diagnostic(shown if shown in self.diagnostics else self._row(self.proxy.index(0, 0)))
        self._show_table_or_empty()
        self.sig_diagnostics_changed.emit(self.diagnostics)

    def _show_table_or_empty(self) -> None:
        self.detail.setVisible(bool(self.diagnostics))  # nothing to explain when every check passed
        self.filter_bar.set_counts(self.counts())
        if self.diagnostics or self.analyzer is None:
            self._apply_filter()
            return
        self.empty.setText("<span style='color:#009E73; font-size:15px'>✔</span>&nbsp; No problems found: "
                           "every check passed for this design.")
        self.stack.setCurrentWidget(self.empty)

    def _apply_filter(self) -> None:
        """Show the findings that pass the filter bar: in the table, or grouped in the tree."""
        grouping = self.filter_bar.group_by()
        if grouping == "none":
            self.proxy.refresh()
            self.filter_bar.set_shown(self.proxy.rowCount(), len(self.diagnostics))
            self.stack.setCurrentWidget(self.table)
            return
        severities, text = self.filter_bar.severities(), self.filter_bar.text_filter()
        shown = [d for d in self.diagnostics if matches(d, severities, text)]
        self.filter_bar.set_shown(len(shown), len(self.diagnostics))
        self.tree.setModel(grouped_model(shown, grouping, COLUMNS))
        self.tree.selectionModel().currentRowChanged.connect(
            lambda index, _old: self.detail.show_diagnostic(index.data(DIAGNOSTIC_ROLE)))
        for i, width in enumerate((240, 130, 260, 200)):
            self.tree.setColumnWidth(i, width)
        self.stack.setCurrentWidget(self.tree)

    def _tree_clicked(self, index: QModelIndex) -> None:
        diagnostic = index.data(DIAGNOSTIC_ROLE)
        if diagnostic is not None:
            self.sig_go_to.emit(diagnostic)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for d in self.diagnostics:
            out[d.severity] = out.get(d.severity, 0) + 1
        return out

    def _row(self, index: QModelIndex):
        """The diagnostic shown in the table row ``index`` (a proxy index), or None."""
        row = self.proxy.mapToSource(index).row() if index.isValid() else -1
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def _row_menu(self, pos) -> None:
        diagnostic = self._row(self.table.indexAt(pos))
        if diagnostic is not None:
            self.detail.context_menu(self.table, diagnostic).exec(self.table.viewport().mapToGlobal(pos))

    def _clicked(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row()
        if 0 <= row < len(self.model.rows):
            self.sig_go_to.emit(self.model.rows[row])
