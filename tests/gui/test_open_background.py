"""File > Open never blocks the window (#16): the design is read on a worker thread and its canvas is built in
slices on the event loop; the design shown until then stays usable; a file that cannot be read is one message.

These tests are about structure (where the work runs, in how many pieces), never about how fast it is: the
budgets are measured by tests/perf/bench_gui.py. The one bound on the event loop (500 ms) is ten times the
budget, so that a loaded machine does not fail it while a design read or built in one go (seconds) would."""

from __future__ import annotations

import re
import threading
import time

import pytest
from PySide6.QtCore import Qt, QTimer

from conftest import WithArguments
from meshdesigner.gui import main_window
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import save_project

pytestmark = pytest.mark.gui
GENEROUS_STALL_MS = 500


def _large_design(folder, services: int = 400) -> str:
    """A design of ``services`` Services, each with a VirtualService bound to one Gateway, saved as a project."""
    docs = ["apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\n"
            "spec:\n  selector: {istio: ingressgateway}\n  servers:\n"
            "  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['*.example.com']\n"]
    for i in range(services):
        docs.append(f"apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: shop}}\n"
                    f"spec:\n  selector: {{app: svc{i}}}\n  ports: [{{port: 80, name: http}}]\n")
        docs.append(f"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                    f"metadata: {{name: vs{i}, namespace: shop}}\nspec:\n  hosts: [svc{i}.example.com]\n"
                    f"  gateways: [edge]\n  http:\n  - route:\n    - destination: {{host: svc{i}}}\n")
    manifests = folder / "large.yaml"
    manifests.write_text("---\n".join(docs))
    path = folder / "large.mesh.yaml"
    save_project(import_manifests([str(manifests)], name="large").project, str(path))
    return str(path)


class HeldRead:
    """``read_design`` that waits on its thread until released, and records which thread it ran on."""

    def __init__(self) -> None:
        self.real = main_window.read_design
        self.gate = threading.Event()
        self.on_gui_thread: list[bool] = []

    def __call__(self, path):
        self.on_gui_thread.append(threading.current_thread() is threading.main_thread())
        self.gate.wait(30)
        return self.real(path)


class LongestGap:
    """A 5 ms timer on the GUI thread: the longest time between two beats is how long the loop was blocked."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._beat)
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def stop(self) -> float:
        self._beat()
        self.timer.stop()
        return self.longest * 1000


def test_opening_returns_at_once_and_reads_off_the_gui_thread(make_editor, qtbot, tmp_path, monkeypatch):
    path = _large_design(tmp_path, services=30)
    window = make_editor()
    before = window.document
    held = HeldRead()
    monkeypatch.setattr(main_window, "read_design", held)
    window.open_in_background(path)
    qtbot.waitUntil(lambda: bool(held.on_gui_thread), timeout=10000)
    # Not read yet: the old design is still the one shown, and the window says what it is doing.
    assert window.document is before and window.opening
    assert window.progress_bar.isVisible() and "large.mesh.yaml" in window.progress_label.text()
    assert held.on_gui_thread == [False]
    held.gate.set()
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)
    assert window.document.path == path
    assert len(window.scene.items_by_id) == len(window.document.project.nodes) == 61
    assert not window.progress_bar.isVisible()


def test_a_large_design_is_built_over_many_ticks_and_the_window_keeps_reacting(make_editor, qtbot, tmp_path,
                                                                               no_dialogs):
    path = _large_design(tmp_path)
    window = make_editor()
    old_node = window.document.create_node("mesh-service", (100.0, 100.0))  # the design shown: edited below
    window.document.undo_stack.setClean()
    builds = []
    window.opener.sig_idle.connect(lambda: builds.append(window.scene_build))
    gap = LongestGap()
    window.open_in_background(path)
    qtbot.waitUntil(lambda: bool(builds), timeout=60000)
    build = builds[0]
    assert build is not None and not build.finished
    # The old design stays usable while the new one is drawn.
    window.document.set_field(old_node.id, ("service", "metadata", "name"), "still-editable")
    assert window.document.dirty
    no_dialogs["ask_save_changes"] = "discard"  # ... so its unsaved edit is asked about before it goes
    qtbot.waitUntil(lambda: not window.opening, timeout=60000)
    longest = gap.stop()
    assert window.document.path == path
    assert len(window.scene.items_by_id) == 801
    assert build.finished and build.ticks > 5
    assert longest < GENEROUS_STALL_MS, f"the event loop was blocked for {longest:.0f} ms while opening"


def test_the_menu_opens_in_the_background(make_editor, qtbot, tmp_path, no_dialogs):
    path = _large_design(tmp_path, services=5)
    window = make_editor()
    no_dialogs["open_project"] = path
    window.act_open.trigger()
    assert window.opening
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)
    assert window.document.path == path


def test_a_file_that_cannot_be_read_is_one_message_and_the_design_stays(make_editor, qtbot, tmp_path,
                                                                        no_dialogs):
    bad = tmp_path / "bad.mesh.yaml"
    bad.write_text("format_version: 3\nname: bad\nnodes:\n  - kind: mesh-service\n    id: [unclosed\n")
    window = make_editor()
    before = window.document
    messages = []
    no_dialogs["error"] = WithArguments(lambda _parent, title, text: messages.append((title, text)))
    window.open_in_background(str(bad))
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)
    assert window.document is before
    assert len(messages) == 1 and messages[0][0] == "Cannot open"
    assert re.search(rf"{re.escape(str(bad))}:\d+: invalid YAML", messages[0][1])  # the file and its line
    assert not window.progress_bar.isVisible()


# ----- what one edit costs on a large design (#16: typing in a field stalled the window) -----------------
def test_an_edit_that_moves_no_edge_keeps_the_group_summaries_and_the_request_starts(make_editor, qtbot,
                                                                                       tmp_path):
    window = make_editor(_large_design(tmp_path, services=120))
    navigator = window.scene.navigator
    assert navigator.enabled  # a large design opens grouped
    navigator.group_summary("shop")
    gateways_in = navigator._upstream_gateways()
    starts = window.flow_panels.try_request.gateway
    refills = []
    starts.model().modelReset.connect(lambda: refills.append(1))
    starts.model().rowsInserted.connect(lambda *_: refills.append(1))
    window.document.set_field("virtual-service:shop/vs7", ("virtual_service", "spec", "http", 0, "timeout"), "3s")
    # The edges did not change: who reaches each namespace is not worked out again, nor are the starts
    # of "Try a request" listed again (each was a scan of the whole design on every key typed).
    assert navigator._upstream_gateways() is gateways_in
    assert refills == []
    # Unbinding the gateway removes an edge: then it is worked out again.
    window.document.set_field("virtual-service:shop/vs7", ("virtual_service", "spec", "gateways"), ["elsewhere"])
    assert navigator._gateways_in is None


def test_the_severity_filter_is_read_once_per_change_not_per_row(make_editor):
    from meshdesigner.gui.panels.diagnostics_groups import FilterBar

    bar = FilterBar()
    assert bar.severities() == {"error", "warning", "info"}
    bar.toggles["info"].setChecked(False)
    assert bar.severities() == {"error", "warning"}
    bar.toggles["info"].setChecked(True)
    assert bar.severities() == {"error", "warning", "info"}


def test_the_first_check_runs_while_the_canvas_is_built_and_the_window_adopts_it(make_editor, qtbot, tmp_path):
    """Open to first check painted: the design's first (full) check starts as soon as it is read, on a worker,
    not after its canvas is built, shown and painted; the window then adopts that analyzer (its own first
    check re-runs nothing) and shows its findings."""
    from meshdesigner.analysis import Analyzer

    path = _large_design(tmp_path, services=150)
    window = make_editor()
    panel = window.diagnostics
    at_read = []
    window.opener.sig_idle.connect(lambda: at_read.append((window.scene_build, panel.ahead_worker.started)))
    window.open_in_background(path)
    qtbot.waitUntil(lambda: bool(at_read), timeout=60000)
    build, checks_started = at_read[0]
    assert build is not None and not build.finished and checks_started == 1
    qtbot.waitUntil(lambda: not window.opening and panel.analyzer is not None and not panel.worker.busy,
                    timeout=60000)
    assert panel.ahead_worker.started == 1 and panel.analyzer.last_recomputed == set()
    expected = Analyzer(window.document.project.copy()).refresh()
    assert [d.sort_key() for d in panel.diagnostics] == [d.sort_key() for d in expected]
    assert window.checks_label.text() != "checking…"


# ----- the first paint of a design built off-screen (#16: one paint drew and cached every box at once) ---------
def test_a_design_opened_in_the_background_shows_its_boxes_a_few_per_turn(make_editor, qtbot, tmp_path):
    from meshdesigner.gui.scene.pacing import ITEMS_PER_TURN

    docs = []
    for ns in range(12):   # 12 namespaces of 20 Services: grouped (over 200 nodes), 12 boxes
        docs += [f"apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: team{ns}}}\n"
                 f"spec:\n  ports: [{{port: 80, name: http}}]\n" for i in range(20)]
    manifests = tmp_path / "teams.yaml"
    manifests.write_text("---\n".join(docs))
    path = tmp_path / "teams.mesh.yaml"
    save_project(import_manifests([str(manifests)], name="teams").project, str(path))
    window = make_editor()
    shown_at_swap = []
    window.sig_document_changed.connect(lambda _doc: shown_at_swap.append(
        [g.opacity() for g in window.scene.navigator.groups.values()] + [window.scene.navigator.bundle_layer.opacity()]))
    window.open_in_background(str(path))
    qtbot.waitUntil(lambda: bool(shown_at_swap), timeout=30000)
    navigator = window.scene.navigator
    assert len(navigator.groups) == 12
    assert shown_at_swap[0] == [0.0] * 13          # no box and no link painted in the swap's turn
    revealed = []                                   # boxes shown after each turn of the pacer
    navigator.pacer._timer.timeout.connect(
        lambda: revealed.append(sum(g.opacity() == 1.0 for g in navigator.groups.values())))
    qtbot.waitUntil(lambda: not navigator.pacer.busy, timeout=10000)
    assert all(g.opacity() == 1.0 for g in navigator.groups.values()) and navigator.bundle_layer.opacity() == 1.0
    steps = [b - a for a, b in zip([0] + revealed, revealed, strict=False)]
    assert max(steps) <= ITEMS_PER_TURN and len([s for s in steps if s]) >= 12 // ITEMS_PER_TURN


def test_the_pacer_redraws_a_few_items_per_turn_and_finish_does_the_rest(qtbot):
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene

    from meshdesigner.gui.scene.pacing import PaintPacer

    class Counted(QGraphicsRectItem):
        def __init__(self):
            super().__init__(0, 0, 10, 10)
            self.updates = 0

        def update(self, *args):  # (Python calls of update() only: what the pacer makes)
            self.updates += 1
            super().update(*args)

    scene = QGraphicsScene()
    items = [Counted() for _ in range(10)]
    for item in items:
        scene.addItem(item)
    owner = QObject()
    pacer = PaintPacer(owner, per_turn=3)
    pacer.refresh(items)
    pacer.refresh(items[:2])                       # asked twice before its turn: redrawn once
    assert pacer.busy and sum(i.updates for i in items) == 0
    pacer._turn()
    assert [i.updates for i in items] == [1, 1, 1] + [0] * 7
    pacer.reveal(items[5:7])
    assert items[5].opacity() == 0.0
    pacer.finish()
    assert not pacer.busy and [i.updates for i in items] == [1] * 10 and items[5].opacity() == 1.0
    scene.removeItem(items[0])
    del scene                                       # items deleted with their scene: nothing to show, no error
    pacer.refresh(items[1:3])
    pacer.finish()
