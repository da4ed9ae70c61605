"""The "Try a request" panel: URL, method, headers and SNI in; where the request goes, step by step, out.

The request simulator (:func:`meshdesigner.analysis.simulate.simulate`) does the work, off the GUI
thread on a snapshot of the design (:class:`~meshdesigner.gui.background.SnapshotWorker`: an answer
about a design that was edited meanwhile is dropped); this panel shows its explanation and emits the
path it took (:class:`~meshdesigner.analysis.flow.FlowPath`), which the window lights up on the canvas
and in the flow view.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...analysis.flow import FlowPath, compute_flow, trace, trace_mesh
from ...analysis.route_tests.from_result import case_from_tried
from ...analysis.simulate import Request, SimulationResult
from ...analysis.simulate_mesh import simulate_request
from ...analysis.split import WeightedRule, destination_label, sample_request, weighted_rules
from ...model.hosts import gateway_ref
from ..background import SnapshotWorker
from ..document import Document
from ..style import SEVERITY_COLOURS

MESH_PREFIX = "mesh:"   # the start "from a sidecar in namespace NS" (simulate_mesh.FromMesh)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
OUTCOME_WORDS = {
    "routed": ("Routed", "#009E73"),
    "redirect": ("Redirected", "#0072B2"),
    "direct_response": ("Answered by the gateway", "#0072B2"),
    "no_listener": ("Refused: nothing listens on that port", SEVERITY_COLOURS["error"]),
    "tls_no_match": ("Refused during the TLS handshake", SEVERITY_COLOURS["error"]),
    "no_virtual_host": ("404: no virtual host for that host name", SEVERITY_COLOURS["error"]),
    "no_route": ("404: no rule matches", SEVERITY_COLOURS["error"]),
    "denied": ("Denied by a gateway function", SEVERITY_COLOURS["error"]),
}


def parse_headers(text: str) -> dict[str, str]:
    """``name: value`` per line (``name=value`` too); a line without a separator is an error."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        sep = ":" if ":" in line.lstrip(":") else ("=" if "=" in line else None)
        if sep is None:
            raise ValueError(f"line {number}: write a header as name: value")
        start = 1 if line.startswith(":") else 0   # pseudo-headers such as :authority
        name, _, value = line[start:].partition(sep)
        name = line[:start] + name.strip()
        if not name.strip(":"):
            raise ValueError(f"line {number}: the header has no name")
        headers[name] = value.strip()
    return headers


@dataclass(frozen=True)
class TriedRequest:
    """What the worker answers for a sent request: the simulator's result and the path it lights."""

    result: SimulationResult
    path: FlowPath


def try_on(project, entry: str, request: Request) -> TriedRequest:
    """Simulate ``request`` from ``entry`` on ``project`` (a snapshot nobody edits) and trace its path."""
    result = simulate_request(project, entry, request)
    graph = compute_flow(project)
    from_mesh = entry.startswith(MESH_PREFIX)
    return TriedRequest(result, trace_mesh(graph, project, result) if from_mesh else trace(graph, project, result))


class TryRequestPanel(QWidget):
    """Inputs, a Send button and the simulator's explanation; ``sig_path`` carries the lit path."""

    sig_path = Signal(object)        # FlowPath | None
    sig_result = Signal(object)      # SimulationResult | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.result: SimulationResult | None = None
        self.sent: tuple[str, Request] | None = None   # (gateway, request) of the last answer
        self.path: FlowPath | None = None
        self.pending = False   # sent, and no answer shown yet (an edit dropped it, or it is on its way)
        self.worker = SnapshotWorker("try-request", self)
        self.gateway = QComboBox()
        self.gateway.setObjectName("try:start")
        self.gateway.setToolTip("Where the request starts: a gateway it arrives at, or a workload's sidecar in "
                                "a namespace (its mesh-bound routes, then any egress gateway they lead to)")
        self.method = QComboBox()
        self.method.setEditable(True)
        self.method.addItems(METHODS)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://shop.example.com/api/items?id=1   (tcp://host:port and tls://host:port too)")
        self.url.returnPressed.connect(self.send)
        self.sni = QLineEdit()
        self.sni.setPlaceholderText("the URL's host")
        self.sni.setToolTip("The TLS server name the client sends; empty means the URL's host")
        self.client = QLineEdit()
        self.client.setObjectName("try:client")
        self.client.setPlaceholderText("127.0.0.1")
        self.client.setToolTip("The client's IP address, which gateway firewall rules check")
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText("end-user: jason\nx-canary: true")
        self.headers.setMaximumHeight(64)
        self.headers_error = QLabel()
        self.headers_error.setStyleSheet(f"color: {SEVERITY_COLOURS['error']}")
        self.headers_error.hide()
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.suggest_button = QPushButton("Suggest")
        self.suggest_button.setToolTip("Fill in a request that one of this gateway's rules matches")
        self.suggest_button.clicked.connect(self.suggest)
        self.save_test_button = QPushButton("Save as test")
        self.save_test_button.setToolTip("Keep this request and what it does now as a route test of the design")
        self.save_test_button.setEnabled(False)
        self.save_test_button.clicked.connect(self.save_as_test)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the request and stop lighting its path")
        self.clear_button.clicked.connect(self.clear)

        line = QHBoxLayout()
        line.addWidget(self.method)
        line.addWidget(self.url, 1)
        form = QFormLayout()
        form.addRow("Starts at", self.gateway)
        form.addRow("Request", line)
        form.addRow("SNI", self.sni)
        form.addRow("Client", self.client)
        form.addRow("Headers", self.headers)
        form.addRow("", self.headers_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.suggest_button)
        buttons.addWidget(self.save_test_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        inputs = QWidget()
        inputs.setLayout(form)

        self.outcome = QLabel("Enter a request and press Send to see where it goes.")
        self.outcome.setObjectName("Muted")
        self.outcome.setWordWrap(True)
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        answer = QWidget()
        answer_layout = QVBoxLayout(answer)
        answer_layout.setContentsMargins(6, 0, 0, 0)
        answer_layout.addWidget(self.outcome)
        answer_layout.addWidget(self.explanation, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(inputs)
        splitter.addWidget(answer)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

    def set_document(self, document: Document) -> None:
        self.document = document
        self.worker.drop()
        self.worker.follow(document)
        document.sig_node_added.connect(self._fill_gateways)
        document.sig_node_removed.connect(self._fill_gateways)
        document.sig_node_changed.connect(self._node_changed)
        document.sig_node_renamed.connect(self._fill_gateways)
        self._fill_gateways()
        self.clear()

    def _node_changed(self, old, new) -> None:
        """Only a gateway's name or a namespace changes the starts (not every field typed on a large design)."""
        if (old.namespace, old.name, old.kind) != (new.namespace, new.name, new.kind):
            self._fill_gateways()

    def _fill_gateways(self, *_args) -> None:
        """The starts: every gateway (``ns/name``), then a sidecar in each namespace of the design."""
        if self.document is None:
            return
        project = self.document.project
        entries = [(name, name) for name in sorted(g.gateway.metadata.qualified for g in project.gateways())]
        entries += [(f"{MESH_PREFIX}{ns}", f"From a sidecar in namespace {ns}")
                    for ns in sorted({n.namespace for n in project})]
        if [(self.gateway.itemData(i), self.gateway.itemText(i)) for i in range(self.gateway.count())] == entries:
            return
        current = self.entry()
        self.gateway.clear()
        for data, text in entries:
            self.gateway.addItem(text, data)
        self.set_entry(current)

    def entry(self) -> str:
        """The chosen start: a gateway's ``ns/name`` or ``mesh:NS`` (empty when the design has neither)."""
        return self.gateway.currentData() or self.gateway.currentText()

    def set_entry(self, entry: str) -> None:
        index = self.gateway.findData(entry)
        if index >= 0:
            self.gateway.setCurrentIndex(index)

    # ----- the request -------------------------------------------------------------------------
    def request(self) -> Request:
        """The request as entered (``ValueError`` for bad headers or an empty URL)."""
        url = self.url.text().strip()
        if not url:
            raise ValueError("enter a URL, e.g. https://shop.example.com/")
        client = self.client.text().strip() or None
        if client is not None:
            import ipaddress

            try:
                ipaddress.ip_address(client)
            except ValueError:
                raise ValueError(f"client {client!r} is not an IP address") from None
        return Request(url, self.method.currentText().strip().upper() or "GET",
                       parse_headers(self.headers.toPlainText()), self.sni.text().strip() or None, client)

    def set_request(self, gateway: str, request: Request) -> None:
        self.set_entry(gateway)
        self.url.setText(request.url)
        self.method.setCurrentText(request.method)
        self.sni.setText(request.sni or "")
        self.client.setText(request.client_address or "")
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in request.headers.items()))

    def suggest(self) -> None:
        """Fill in a request for the first rule bound to the chosen gateway (the weighted one if any)."""
        if self.document is None:
            return
        project = self.document.project
        gateway = self.entry()
        if gateway.startswith(MESH_PREFIX):
            self.outcome.setText("Suggest builds a request for a gateway's rules; from a sidecar, type the URL "
                                 "the application calls (e.g. https://api.partner.io/).")
            return
        candidates = list(weighted_rules(project))
        for vs_node in sorted(project.virtual_services(), key=lambda n: n.id):
            vs = vs_node.virtual_service
            if gateway not in {gateway_ref(e, vs.namespace) for e in vs.spec.gateways or []}:
                continue
            for section in ("http", "tls", "tcp"):
                for i, _rule in enumerate(getattr(vs.spec, section) or []):
                    candidates.append(WeightedRule(vs_node.id, vs.metadata.qualified, section, i, None, {}))
        for rule in candidates:
            found = sample_request(project, rule)
            if found is not None and found[0] == gateway:
                self.set_request(*found)
                return
        self.outcome.setText("No rule of this gateway to build a request from.")

    def send(self) -> None:
        """Run the simulator on the entered request (off the GUI thread); when it answers, show its
        explanation and emit the result and the lit path (``sig_result``, ``sig_path``)."""
        entry = self.entry()
        if self.document is None or not entry:
            self._show_problem("Add a gateway or a service to the design first: requests start at one.")
            return None
        try:
            request = self.request()
        except ValueError as exc:
            self.headers_error.setText(str(exc))
            self.headers_error.setVisible("header" in str(exc))
            self._show_problem(str(exc)[0].upper() + str(exc)[1:] + ".")
            return None
        self.headers_error.hide()
        self.outcome.setText("sending…")
        self.outcome.setStyleSheet("")
        self.pending = True
        self.worker.start(self.document.project, lambda snapshot: try_on(snapshot, entry, request),
                          lambda answer: self._answered(entry, request, answer))
        return None

    def _answered(self, entry: str, request: Request, answer: TriedRequest | Exception) -> None:
        self.pending = False
        if isinstance(answer, LookupError):
            self._show_problem(str(answer))
            return
        if isinstance(answer, Exception):
            self._show_problem(f"The simulator failed: {answer}")
            return
        self.result, self.path = answer.result, answer.path
        self.sent = (entry, request)
        self.save_test_button.setEnabled(not entry.startswith(MESH_PREFIX))  # route tests start at a gateway
        self._show_result(answer.result)
        self.sig_result.emit(answer.result)
        self.sig_path.emit(answer.path)

    def save_as_test(self) -> None:
        """Add the last sent request, with what it does now, to the design's tests (one undo step)."""
        if self.document is None or self.result is None or self.sent is None:
            return
        gateway, request = self.sent
        self.document.add_test(case_from_tried(gateway, request, self.result))
        self.outcome.setText(self.outcome.text() + " · saved as a test")

    def clear(self) -> None:
        self.worker.drop()
        self.pending = False
        self.result, self.path, self.sent = None, None, None
        self.save_test_button.setEnabled(False)
        self.outcome.setText("Enter a request and press Send to see where it goes.")
        self.outcome.setStyleSheet("")
        self.explanation.clear()
        self.sig_result.emit(None)
        self.sig_path.emit(None)

    # ----- showing -----------------------------------------------------------------------------
    def _show_problem(self, text: str) -> None:
        self.outcome.setText(text)
        self.outcome.setStyleSheet(f"color: {SEVERITY_COLOURS['error']}")

    def _show_result(self, result: SimulationResult) -> None:
        words, colour = OUTCOME_WORDS.get(result.outcome, (result.outcome, "#6B7280"))
        summary = words
        if result.outcome == "routed" and result.destinations:
            parts = []
            total = sum(d.get("weight") or 0 for d in result.destinations)
            for d in result.destinations:
                text = destination_label(d["host"], d.get("subset"))
                if len(result.destinations) > 1 and total:
                    text += f" {100 * (d.get('weight') or 0) / total:.0f}%"
                parts.append(text)
            summary += " to " + ", ".join(parts)
        elif result.status:
            summary += f" (HTTP {result.status})"
        if result.virtual_service and result.rule_index is not None:
            summary += f" · {result.virtual_service} {result.section or 'http'} rule {result.rule_index + 1}"
        self.outcome.setText(summary)
        self.outcome.setStyleSheet(f"color: {colour}; font-weight: bold")
        self.explanation.setHtml("".join(
            f"<p style='margin:4px 0 0 0'><b>{html.escape(title)}</b></p>" * bool(title)
            + "<ol style='margin-left:-20px'>" + "".join(f"<li>{html.escape(step)}</li>" for step in steps)
            + "</ol>" for title, steps in self._hops(result)))

    @staticmethod
    def _hops(result: SimulationResult) -> list[tuple[str, list[str]]]:
        """``(title, explanation)`` per hop: one untitled hop for a gateway; sidecar, then each gateway, for a
        request from the mesh."""
        hops = result.hops or []
        if len(hops) < 2:
            return [("", list(result.explanation))]
        out = []
        for i, hop in enumerate(hops):
            where = hop.get("gateway") or ""
            title = (f"{i + 1}. In the sidecar ({where.removeprefix(MESH_PREFIX)})" if where.startswith(MESH_PREFIX)
                     else f"{i + 1}. In gateway {where}")
            out.append((title, list(hop.get("explanation") or [])))
        return out

    def explanation_lines(self) -> list[str]:
        return [step for _title, steps in self._hops(self.result) for step in steps] if self.result else []
