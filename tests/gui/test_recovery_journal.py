"""Issue 15, crash recovery in the editor: under steady editing (a change every 0.2 s, never a pause) the
window's journal holds every change within one second; journal and settings files are private."""

from __future__ import annotations

import os
import stat
import time

import pytest

from conftest import EXAMPLES_DIR
from meshdesigner.io.yamlio import load_one

pytestmark = pytest.mark.gui

SEED = str(EXAMPLES_DIR / "seed.mesh.yaml")
GW = "ingress-gateway:default/ext-host-gwy"


def _journaled_x(window) -> float | None:
    if window.journal is None:
        return None
    path = os.path.join(window.journal.folder, "design.mesh.yaml")
    try:
        with open(path, encoding="utf-8") as handle:
            data = load_one(handle.read(), path)
    except (OSError, ValueError):
        return None
    return next(n["position"][0] for n in data["nodes"] if n["id"] == GW)


def test_every_change_is_journaled_within_a_second_while_editing_goes_on(make_editor, qtbot):
    window = make_editor(SEED)
    edits: list[tuple[float, float]] = []  # (when, x written by that edit)
    seen: dict[float, float] = {}  # x -> when the journal first held it (or a later edit)
    for i in range(1, 26):
        x = float(i * 10)
        window.document.move_nodes({GW: (x, 0.0)})
        edits.append((time.monotonic(), x))
        until = time.monotonic() + 0.2
        while time.monotonic() < until:  # keep the event loop running between the edits
            qtbot.wait(20)
            journaled = _journaled_x(window)
            if journaled is not None:
                for _, edit_x in edits:
                    if edit_x <= journaled:
                        seen.setdefault(edit_x, time.monotonic())
    qtbot.waitUntil(lambda: _journaled_x(window) == edits[-1][1], timeout=1000)
    now = time.monotonic()
    for when, x in edits:
        assert seen.get(x, now) - when <= 1.0, f"the edit to x={x} reached the journal after more than 1 s"


def test_journal_and_settings_files_are_private(make_editor, qtbot):
    from meshdesigner.gui import settings

    window = make_editor(SEED)
    window.document.move_nodes({GW: (1.0, 2.0)})
    qtbot.waitUntil(lambda: window.journal is not None, timeout=2000)
    assert window.journal.wait_written()
    folder = window.journal.folder
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in os.listdir(folder):
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
    old = os.umask(0)
    try:
        settings.add_recent_file(SEED)
        settings.set_theme("dark")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(settings.settings().fileName()).st_mode) == 0o600


def test_two_windows_keep_separate_journals(make_editor, qtbot):
    first, second = make_editor(SEED), make_editor(SEED)
    first.document.move_nodes({GW: (11.0, 0.0)})
    second.document.move_nodes({GW: (22.0, 0.0)})
    qtbot.waitUntil(lambda: _journaled_x(first) == 11.0 and _journaled_x(second) == 22.0, timeout=3000)
    assert first.journal.folder != second.journal.folder
    assert not second.offer_recovery()  # the first window lives: nothing to offer, nothing taken over
    assert _journaled_x(first) == 11.0


def test_a_journal_that_cannot_be_read_is_kept_and_one_declined_is_removed(make_editor, no_dialogs):
    """Issue 15: a recovery copy that failed to load was deleted. Now it is kept (the user is told where) and
    offered again; only the user's "No" removes a journal."""
    from meshdesigner.gui import recovery, settings
    from meshdesigner.io.project_file import load_project

    journal = recovery.Journal(settings.recovery_dir())
    journal.record(load_project(SEED), SEED)
    assert journal.wait_written()
    journal.close()  # its window is gone
    design = os.path.join(journal.folder, "design.mesh.yaml")
    with open(design, "w", encoding="utf-8") as handle:
        handle.write("format_version: 3\nnodes: [\n")  # a copy that cannot be read
    window = make_editor()
    told: list[str] = []
    no_dialogs["ask_restore"] = True
    no_dialogs["error"] = lambda: told.append("error") or None
    assert not window.offer_recovery()
    assert told == ["error"] and os.path.isfile(design)
    (again,) = recovery.orphans(settings.recovery_dir())  # still offered at the next start
    again.release()
    no_dialogs["ask_restore"] = False
    assert not window.offer_recovery()
    assert not os.path.exists(journal.folder)
