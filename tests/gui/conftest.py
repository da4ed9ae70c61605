"""GUI test fixtures: offscreen Qt, isolated settings and recovery folder, an editor factory,
and helpers that drive the canvas with real mouse events."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QDropEvent, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Settings, recent files and the recovery copy live in the test's own folder."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("MESHDESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    yield


class WithArguments:
    """A dialog answer computed from the dialog's arguments (``answer(*args, **kwargs)``)."""

    def __init__(self, answer) -> None:
        self.answer = answer


def accept_egress(mode: str | None = None) -> WithArguments:
    """Answer the egress dialog with the plan it shows for ``mode`` (its default when None)."""
    from meshdesigner.gui.egress import plan_egress

    return WithArguments(lambda _parent, project, gw_id, ext_id, vs_id=None: plan_egress(
        project, gw_id, ext_id, mode, vs_id))


@pytest.fixture
def no_dialogs(monkeypatch):
    """Every native dialog patched: tests set the answers they expect; anything else fails."""
    from meshdesigner.gui import dialogs

    answers: dict[str, object] = {}

    def make(name):
        def fake(*args, **kwargs):
            if name not in answers:
                raise AssertionError(f"unexpected dialog: {name}")
            value = answers[name]
            if isinstance(value, WithArguments):
                return value.answer(*args, **kwargs)
            return value() if callable(value) else value
        return fake

    for name in ("open_project", "save_project_as", "import_manifests", "choose_folder", "open_file",
                 "ask_save_changes", "ask_restore", "ask_export_despite_errors", "error", "info", "ask_text",
                 "confirm_egress", "ask_certificate", "ask_overwrite"):
        monkeypatch.setattr(dialogs, name, make(name))
    return answers


@pytest.fixture
def make_editor(qtbot, no_dialogs):
    """``make_editor(path=None)`` -> a shown MainWindow (closed, without questions, at the end)."""
    from meshdesigner.gui.main_window import MainWindow
    from meshdesigner.gui.style import apply_theme

    windows = []

    def make(path: str | None = None, theme: str = "light"):
        apply_theme(QApplication.instance(), theme)
        window = MainWindow(theme)
        if path:
            assert window.open_path(path)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
    qtbot.wait(1)


def docs_image(tmp_path, name: str) -> str:
    """Where a test writes a screenshot: docs/NAME when MESHDESIGNER_WRITE_DOCS=1 (refreshing the committed
    images on purpose), else the test's own folder (a test run leaves the checkout unchanged)."""
    if os.environ.get("MESHDESIGNER_WRITE_DOCS") == "1":
        return str(EXAMPLES_DIR.parent / "docs" / name)
    return str(tmp_path / name)


def view_point(view, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def send_mouse(view, kind: QEvent.Type, pos: QPoint, button=Qt.MouseButton.LeftButton,
               buttons=Qt.MouseButton.LeftButton) -> None:
    event = QMouseEvent(kind, QPointF(pos), view.viewport().mapToGlobal(QPointF(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def drag(view, start: QPoint, end: QPoint, steps: int = 4) -> None:
    """A left-button drag on the canvas viewport, with real press/move/release events."""
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        point = QPoint(start.x() + (end.x() - start.x()) * i // steps, start.y() + (end.y() - start.y()) * i // steps)
        send_mouse(view, QEvent.Type.MouseMove, point, Qt.MouseButton.NoButton)
    send_mouse(view, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def drop_from_palette(window, kind: str, scene_point: QPointF):
    """Drop a palette item on the canvas: the palette's own mime data, delivered as a real drop event."""
    palette = window.palette
    item = next(palette.item(i) for i in range(palette.count())
                if palette.item(i).data(Qt.ItemDataRole.UserRole) == kind)
    data: QMimeData = palette.mimeData([item])
    view = window.view
    pos = QPointF(view_point(view, scene_point))
    before = set(window.document.project.nodes)
    # Qt delivers a drop only to the widget that accepted the drag's DragEnter (Qt's QPoint constructor
    # is the only one PySide offers for it, marked deprecated).
    import warnings

    from PySide6.QtGui import QDragEnterEvent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(view.viewport(), QDropEvent(pos, Qt.DropAction.CopyAction, data,
                                                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    added = set(window.document.project.nodes) - before
    assert len(added) == 1, f"dropping {kind} added {added}"
    return window.document.project.node(added.pop())


def connect_by_drag(window, source_id: str, target_id: str) -> None:
    """Drag from the source card's connect handle to the middle of the target card."""
    from meshdesigner.gui.scene.items import CARD_WIDTH, HEADER

    view = window.view
    source = window.scene.items_by_id[source_id]
    target = window.scene.items_by_id[target_id]
    start = view_point(view, source.pos() + QPointF(CARD_WIDTH, HEADER / 2))
    end = view_point(view, target.pos() + QPointF(CARD_WIDTH / 2, HEADER / 2))
    drag(view, start, end)


EXAMPLES_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"
