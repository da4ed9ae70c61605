"""The "Traffic split" panel (pyqtgraph): a weighted rule's configured split beside what N requests did.

"Send N requests" runs the request simulator N times with a seeded random generator choosing among
the weighted destinations (:func:`meshdesigner.analysis.split.send_requests`); rules that only the
mesh's own workloads use are sampled from their weights, and the panel says so. The requests run off
the GUI thread on a snapshot of the design (:class:`~meshdesigner.gui.background.SnapshotWorker`):
100,000 of them take seconds, and a run about a design edited meanwhile is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ...analysis.simulate import Request, SimulationResult
from ...analysis.split import (
    SplitRun,
    WeightedRule,
    sample_request,
    sample_weights,
    send_requests,
    weighted_rules,
)
from ..background import SnapshotWorker
from ..document import Document
from ..style import current_theme

if TYPE_CHECKING:
    import pyqtgraph as pg

CONFIGURED = "#CC79A7"
OBSERVED = "#0072B2"
BAR = 0.3


class SplitChart(QWidget):
    """The chart, the rule picker and "Send N requests"; ``sig_sent`` carries each finished run."""

    sig_sent = Signal(object)  # the SplitRun shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.rules: list[WeightedRule] = []
        self.run: SplitRun | None = None
        self.tried: tuple[str, Request, SimulationResult] | None = None
        self.rule = QComboBox()
        self.rule.setToolTip("A rule that splits traffic over several destinations")
        self.rule.currentIndexChanged.connect(lambda _i: self._rule_changed())
        self.count = QSpinBox(minimum=1, maximum=100_000, value=1000, singleStep=100)
        self.count.setToolTip("How many requests to send")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=1)
        self.seed.setToolTip("The random seed: the same seed gives the same counts")
        self.send_button = QPushButton("Send 1000 requests")
        self.count.valueChanged.connect(lambda n: self.send_button.setText(f"Send {n} requests"))
        self.send_button.clicked.connect(self.send)
        self.note = QLabel()
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Rule"))
        bar.addWidget(self.rule, 1)
        bar.addWidget(self.count)
        bar.addWidget(QLabel("seed"))
        bar.addWidget(self.seed)
        bar.addWidget(self.send_button)
        # pyqtgraph (with numpy) takes about half a second to import: the plot is made when the panel
        # first shows, not when the window starts (issue 16: cold start to a shown window under 1 s).
        self.plot: pg.PlotWidget | None = None
        self.legend = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        self.plot_slot = QVBoxLayout()
        self.plot_slot.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.plot_slot, 1)
        self.stale = False   # edited while off screen: the rules are listed again when the panel shows
        self.timer = QTimer(self, singleShot=True, interval=250)
        self.timer.timeout.connect(self._edited)
        self.worker = SnapshotWorker("traffic-split", self)
        self.worker.sig_idle.connect(self._idle)

    def set_document(self, document: Document) -> None:
        self.document = document
        document.sig_edited.connect(self.timer.start)
        self.worker.follow(document)
        self.tried = None
        if self.on_screen():
            self.refresh_rules()
        else:  # listed when the panel shows: opening a large design need not wait for a hidden chart
            self.rules = []
            self.rule.blockSignals(True)
            self.rule.clear()
            self.rule.blockSignals(False)
            self.send_button.setEnabled(False)
            self.run = None
            self.stale = True

    def on_screen(self) -> bool:
        # A dock in a background tab stays "visible" to Qt; what is on screen has a visible region.
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def _edited(self) -> None:
        """After edits: list the weighted rules again now if the panel is seen, else when it is shown
        (listing and drawing them takes a while on a large design, and nobody looks at a hidden chart)."""
        if self.on_screen():
            self.refresh_rules()
        else:
            self.stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.plot is None:
            self._make_plot()
            self.draw()
        self.shown()

    def shown(self) -> None:
        """The panel came on screen (shown, or its tab chosen): catch up with the edits it skipped."""
        if self.stale and self.on_screen():
            self.refresh_rules()

    # ----- rules -------------------------------------------------------------------------------
    def refresh_rules(self) -> None:
        self.stale = False
        if self.document is None:
            return
        current = self.selected_rule()
        key = (current.vs_node_id, current.section, current.index) if current else None
        self.rules = weighted_rules(self.document.project)
        self.rule.blockSignals(True)
        self.rule.clear()
        for rule in self.rules:
            self.rule.addItem(rule.title)
        keys = [(r.vs_node_id, r.section, r.index) for r in self.rules]
        self.rule.setCurrentIndex(keys.index(key) if key in keys else (0 if self.rules else -1))
        self.rule.blockSignals(False)
        self.send_button.setEnabled(bool(self.rules) and not self.worker.busy)
        self._rule_changed(keep_run=self.run is not None and key in keys
                           and (self.run.virtual_service, self.run.section, self.run.rule_index) == self._run_key())

    def _run_key(self):
        rule = self.selected_rule()
        return (rule.virtual_service, rule.section, rule.index) if rule else None

    def selected_rule(self) -> WeightedRule | None:
        i = self.rule.currentIndex()
        return self.rules[i] if 0 <= i < len(self.rules) else None

    def select_rule(self, virtual_service: str, section: str, index: int) -> bool:
        if self.stale:  # edited while hidden: the list is about to be needed
            self.refresh_rules()
        for i, rule in enumerate(self.rules):
            if (rule.virtual_service, rule.section, rule.index) == (virtual_service, section, index):
                self.rule.setCurrentIndex(i)
                return True
        return False

    def _rule_changed(self, keep_run: bool = False) -> None:
        if not keep_run:
            self.run = None
        rule = self.selected_rule()
        if rule is None:
            self.note.setText("No rule in this design splits traffic over several destinations.")
        elif not keep_run:
            self.note.setText("The configured split. Send requests to see how they spread.")
        self.draw()

    def use_tried_request(self, gateway: str, request: Request, result: SimulationResult | None) -> None:
        """A request from "Try a request": when it reaches a weighted rule, show that rule and reuse it."""
        if result is None or result.outcome != "routed" or len(result.destinations) < 2:
            return
        self.tried = (gateway, request, result)
        self.select_rule(result.virtual_service or "", result.section or "http", result.rule_index or 0)

    # ----- running -----------------------------------------------------------------------------
    def send(self) -> None:
        """Send the requests off the GUI thread; the chart shows them (and ``sig_sent`` carries the run)
        when they are done, unless the design was edited meanwhile."""
        rule = self.selected_rule()
        if self.document is None or rule is None:
            return
        n, seed, tried = self.count.value(), self.seed.value(), self.tried
        if tried and (tried[2].virtual_service, tried[2].section, tried[2].rule_index) == (
                rule.virtual_service, rule.section, rule.index):
            given: tuple[str, Request] | None = (tried[0], tried[1])
        else:
            given = None

        def compute(snapshot) -> tuple[SplitRun, str]:
            found = given or sample_request(snapshot, rule)
            if found is None:
                return sample_weights(rule, n, seed), (
                    f"{n} picks from the configured weights (seed {seed}): this rule serves the mesh's "
                    "own workloads, which the gateway simulator does not follow.")
            gateway, request = found
            return (send_requests(snapshot, gateway, request, n, seed),
                    f"{n} simulated {request.method} {request.url} through {gateway} (seed {seed}).")

        self.note.setText(f"sending {n} requests…")
        self.send_button.setEnabled(False)
        self.worker.start(self.document.project, compute, self._sent)

    def _idle(self) -> None:
        """No run pending: Send is pressable again; a run dropped by an edit says so."""
        self.send_button.setEnabled(bool(self.rules))
        if self.note.text().startswith("sending "):
            self.note.setText("The design changed while the requests ran: send them again.")

    def _sent(self, answer: tuple[SplitRun, str] | Exception) -> None:
        self.send_button.setEnabled(bool(self.rules))
        if isinstance(answer, Exception):
            self.note.setText(f"The simulator failed: {answer}")
            return
        self.run, note = answer
        self.note.setText(note)
        self.draw()
        self.sig_sent.emit(self.run)

    # ----- drawing -----------------------------------------------------------------------------
    def _make_plot(self) -> None:
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(background=current_theme().base)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "share of requests", units="%")
        self.plot.setYRange(0, 112, padding=0)
        self.plot.showGrid(y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.plot_slot.addWidget(self.plot)

    def draw(self) -> None:
        """Draw the selected rule's configured split and the last run (once the panel has shown)."""
        if self.plot is None:
            return
        import pyqtgraph as pg

        self.plot.clear()
        self.legend.clear()
        rule = self.selected_rule()
        if rule is None:
            return
        labels = list(rule.shares)
        if self.run is not None:
            labels += [k for k in sorted(self.run.counts) if k not in labels]
        xs = list(range(len(labels)))
        configured = [rule.shares.get(label, 0.0) for label in labels]
        bars = pg.BarGraphItem(x=[x - BAR / 2 for x in xs], height=configured, width=BAR,
                               brush=pg.mkBrush(CONFIGURED), pen=pg.mkPen(None))
        self.plot.addItem(bars)
        self.legend.addItem(bars, "configured weight")
        self._labels(xs, configured, -BAR / 2)
        if self.run is not None:
            observed = [self.run.percentages().get(label, 0.0) for label in labels]
            seen = pg.BarGraphItem(x=[x + BAR / 2 for x in xs], height=observed, width=BAR,
                                   brush=pg.mkBrush(OBSERVED), pen=pg.mkPen(None))
            self.plot.addItem(seen)
            self.legend.addItem(seen, f"observed ({self.run.total} requests)")
            self._labels(xs, observed, BAR / 2)
        self.plot.getAxis("bottom").setTicks([list(zip(xs, labels, strict=True))])
        self.plot.setXRange(-0.7, len(labels) - 0.3, padding=0)

    def _labels(self, xs: list[int], values: list[float], offset: float) -> None:
        import pyqtgraph as pg

        for x, value in zip(xs, values, strict=True):
            text = pg.TextItem(f"{value:.1f}%", color=current_theme().text, anchor=(0.5, 1.0))
            text.setPos(x + offset, value + 1)
            self.plot.addItem(text)

    def observed(self) -> dict[str, float]:
        return self.run.percentages() if self.run else {}
