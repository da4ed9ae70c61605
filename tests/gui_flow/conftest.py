"""Fixtures for the request-flow GUI tests: offscreen Qt, isolated settings, no native dialogs, windows."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("MESHDESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch):
    """Any native dialog in these tests is a failure (a modal dialog would hang offscreen)."""
    from meshdesigner.gui import dialogs
    from meshdesigner.gui.flow import view

    def refuse(*_args, **_kwargs):
        raise AssertionError("unexpected dialog")

    for name in [n for n in dir(dialogs) if not n.startswith("_") and callable(getattr(dialogs, n))
                 and getattr(getattr(dialogs, n), "__module__", "") == dialogs.__name__]:
        monkeypatch.setattr(dialogs, name, refuse)
    monkeypatch.setattr(view, "ask_image_path", refuse)


@pytest.fixture
def make_window(qtbot):
    """``make_window(example_name)`` -> a shown MainWindow with the example open (closed at the end)."""
    from meshdesigner.gui.main_window import MainWindow
    from meshdesigner.gui.style import apply_theme

    windows = []

    def make(name: str):
        apply_theme(QApplication.instance(), "light")
        window = MainWindow("light")
        assert window.open_path(str(EXAMPLES / name))
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        # Empty the stack while the window's undo/redo actions still exist: QUndoStack's destructor
        # clears it and would emit undoTextChanged into the (already deleted) actions' slots.
        window.document.undo_stack.clear()
        window.close()
        window.deleteLater()
    qtbot.wait(1)


@pytest.fixture
def send(qtbot):
    """``send(panel)`` presses Send on a Try-a-request panel and waits for the simulator's answer (it is
    made off the GUI thread); returns the panel's result."""
    def press(panel):
        with qtbot.waitSignal(panel.sig_result, timeout=10000):
            panel.send()
        return panel.result

    return press
