"""Checks run off the GUI thread on a snapshot, stale results are dropped, F5 checks from scratch (#16)."""

from __future__ import annotations

import pathlib
import threading

import pytest

import meshdesigner.gui.panels.diagnostics as diagnostics_module

pytestmark = pytest.mark.gui
SEED = str(pathlib.Path(__file__).resolve().parents[2] / "examples" / "seed.mesh.yaml")
VS = "virtual-service:default/virtual-svc"


def test_checks_after_an_edit_run_on_a_worker_over_a_snapshot(make_editor, qtbot, monkeypatch):
    window = make_editor(SEED)
    panel = window.diagnostics
    runs = []
    real = diagnostics_module._refresh_on

    def recording(analyzer, snapshot):
        runs.append((threading.current_thread() is threading.main_thread(), snapshot))
        return real(analyzer, snapshot)

    monkeypatch.setattr(diagnostics_module, "_refresh_on", recording)
    with qtbot.waitSignal(panel.sig_diagnostics_changed, timeout=10000):
        panel.recheck_in_background()
    on_gui_thread, snapshot = runs[-1]
    assert not on_gui_thread
    assert snapshot is not window.document.project  # a copy nobody edits
    assert set(snapshot.nodes) == set(window.document.project.nodes)


def test_a_result_the_design_moved_past_is_dropped(make_editor, qtbot, monkeypatch):
    window = make_editor(SEED)
    panel = window.diagnostics
    panel.recheck()
    release, first = threading.Event(), []
    real = diagnostics_module._refresh_on

    def held_back(analyzer, snapshot):  # the first run waits until the design has moved on
        if not first:
            first.append(snapshot)
            release.wait(10)
        return real(analyzer, snapshot)

    monkeypatch.setattr(diagnostics_module, "_refresh_on", held_back)
    shown = []
    panel.sig_diagnostics_changed.connect(lambda diagnostics: shown.append(list(diagnostics)))
    try:
        panel.recheck_in_background()
        qtbot.waitUntil(lambda: bool(first), timeout=5000)
        window.document.set_field(VS, ("virtual_service", "spec", "gateways"), ["no-such-gateway"])
    finally:
        release.set()
    qtbot.waitUntil(lambda: not panel.worker.busy and not panel.timer.isActive(), timeout=10000)
    assert panel.worker.dropped >= 1
    assert len(shown) == 1, "only the check of the edited design is shown"
    assert any("no-such-gateway" in d.message for d in shown[0])


def test_f5_checks_from_scratch_in_the_background(make_editor, qtbot):
    window = make_editor(SEED)
    panel = window.diagnostics
    panel.recheck()
    before, analyzer = list(panel.diagnostics), panel.analyzer
    with qtbot.waitSignal(panel.sig_diagnostics_changed, timeout=10000):
        window.act_recheck.trigger()
    assert panel.analyzer is not analyzer  # a new analyzer: nothing cached (certificate files re-read)
    assert [d.code for d in panel.diagnostics] == [d.code for d in before]


def test_the_export_dialog_does_not_re_export_on_each_keystroke(make_editor, qtbot, monkeypatch, tmp_path):
    import meshdesigner.gui.export_dialog as export_dialog

    window = make_editor(SEED)
    window.diagnostics.recheck()
    dialog = export_dialog.ExportDialog(window.document.project, window.diagnostics.diagnostics, "", window)
    calls = []
    real = export_dialog.planned_files
    monkeypatch.setattr(export_dialog, "planned_files", lambda *a, **k: calls.append(a) or real(*a, **k))
    qtbot.waitUntil(lambda: not dialog.worker.busy, timeout=10000)  # the first preview, made on opening
    for i in range(1, 12):
        dialog.folder.setText(str(tmp_path / "deploy")[:i + 10])
    assert calls == []  # typing: no export yet, the button follows
    qtbot.waitUntil(lambda: len(calls) == 1 and dialog.export_button.isEnabled(), timeout=10000)
    dialog.reject()


def test_the_check_after_an_edit_re_runs_only_what_the_edit_reaches(make_editor, qtbot):
    """The worker checks a snapshot (a copy of the design) with the window's incremental analyzer: a
    snapshot must not look like a new design, or every edit would run every check again (a full check of
    the 2,000-resource design is ~0.5 s of CPU competing with the window for the interpreter lock)."""
    window = make_editor(str(pathlib.Path(SEED).with_name("bookinfo.mesh.yaml")))
    panel = window.diagnostics
    qtbot.waitUntil(lambda: panel.analyzer is not None and not panel.worker.busy, timeout=10000)
    analyzer = panel.analyzer
    bookinfo_vs = "virtual-service:bookinfo/bookinfo"
    with qtbot.waitSignal(panel.sig_diagnostics_changed, timeout=10000):
        window.document.set_field(bookinfo_vs, ("virtual_service", "spec", "gateways"), ["no-such-gateway"])
    assert panel.analyzer is analyzer
    assert bookinfo_vs in analyzer.last_recomputed
    assert analyzer.last_recomputed < set(window.document.project.nodes), "not every node again"
    assert any("no-such-gateway" in d.message for d in panel.diagnostics)


def test_the_first_check_freezes_what_it_built_instead_of_a_full_collection(make_editor, qtbot, monkeypatch):
    """A full collection at the end of the first check (on the worker, holding the interpreter lock) was a
    ~50-100 ms stall of the window on a large design; the window keeps what it checks, so it is frozen."""
    import gc

    import meshdesigner.analysis.engine as engine

    collections = []
    monkeypatch.setattr(engine.gc, "collect", lambda *a: collections.append(a) or 0)
    window = make_editor(SEED)
    panel = window.diagnostics
    qtbot.waitUntil(lambda: panel.analyzer is not None and not panel.worker.busy, timeout=10000)
    frozen = gc.get_freeze_count()
    with qtbot.waitSignal(panel.sig_diagnostics_changed, timeout=10000):
        window.act_recheck.trigger()  # F5: a new analyzer, a first run
    assert gc.get_freeze_count() > frozen
    assert collections == []
