"""``meshdesigner examples/X.mesh.yaml --screenshot out.png`` renders the window and exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from conftest import EXAMPLES_DIR


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_of_an_example(tmp_path, theme):
    out = tmp_path / f"shot-{theme}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MESHDESIGNER_RECOVERY_DIR=str(tmp_path / "rec"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run([sys.executable, "-m", "meshdesigner", str(EXAMPLES_DIR / "bookinfo.mesh.yaml"),
                             "--screenshot", str(out), "--theme", theme, "--size", "1200x800"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    # The theme shows: a dark window is dark at its corners, a light one light.
    corner = image.pixelColor(5, image.height() - 5).lightness()
    assert (corner < 100) if theme == "dark" else (corner > 180)
    # Not a blank picture: the canvas has several distinct colours (cards, lanes, edges).
    colours = {image.pixel(x, y) for x in range(0, 1200, 7) for y in range(100, 700, 7)}
    assert len(colours) > 20


def test_missing_file_is_a_usage_error(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MESHDESIGNER_RECOVERY_DIR=str(tmp_path / "rec"))
    result = subprocess.run([sys.executable, "-m", "meshdesigner", str(tmp_path / "nope.mesh.yaml"),
                             "--screenshot", str(tmp_path / "x.png")], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_bad_size_is_a_usage_error_not_a_traceback(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MESHDESIGNER_RECOVERY_DIR=str(tmp_path / "rec"))
    result = subprocess.run([sys.executable, "-m", "meshdesigner", "--screenshot", str(tmp_path / "x.png"),
                             "--size", "big"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2 and "--size" in result.stderr and "Traceback" not in result.stderr


def test_screenshot_without_a_file_shows_the_start_page(qapp, monkeypatch, tmp_path):
    from PySide6.QtCore import QSettings

    from meshdesigner.gui import app

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    shown = []

    def fake_screenshot(window, _args):
        shown.append((window.centre.currentWidget() is window.start_page, len(window.document.project.nodes)))
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(app, "screenshot", fake_screenshot)
    assert app.main(["--screenshot", str(tmp_path / "start.png")]) == 0
    assert shown == [(True, 0)]  # the start page, not the seed example
