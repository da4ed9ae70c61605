"""Starting the app on a machine without a display, and mistyped commands (issue 16, #15): one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from meshdesigner.cli import main
from meshdesigner.gui.app import missing_display

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("word, hint", [("valdate", "did you mean 'validate'"), ("exprot", "did you mean 'export'"),
                                        ("frobnicate", "commands: import, export")])
def test_a_mistyped_command_is_an_error_not_the_app(word, hint, capsys):
    assert main([word, "x.mesh.yaml"]) == 2
    err = capsys.readouterr().err
    assert f"unknown command '{word}'" in err and hint in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland detection is for Linux")
def test_display_detection():
    assert missing_display({})
    assert missing_display({"DISPLAY": ":4242"})  # no such X server socket
    assert not missing_display({"WAYLAND_DISPLAY": "wayland-0"})
    assert not missing_display({"QT_QPA_PLATFORM": "offscreen"})
    assert not missing_display({"DISPLAY": "remote.example:10.0"})  # forwarded: not checked, Qt decides


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland detection is for Linux")
def test_without_a_display_the_app_says_how_to_get_a_picture():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = ROOT
    done = subprocess.run([sys.executable, "-m", "meshdesigner", os.path.join(ROOT, "examples", "seed.mesh.yaml")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a display" in lines[0] and "--screenshot" in lines[0]
