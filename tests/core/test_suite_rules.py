"""The suite's own rules on a fresh machine (tests/conftest.py, issue 16), checked by running pytest on a
small suite that uses the same conftest: missing markers fail, an absent oracle skips unless required."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

CONFTEST = pathlib.Path(__file__).resolve().parent.parent / "conftest.py"
SUITE = '''
import pytest

def test_qt_without_marker(qtbot):
    pass

@pytest.mark.skipif(True, reason="envoy is not installed")
def test_envoy_without_marker():
    pass

def test_needs_the_oracle(oracle):
    pass

def test_plain():
    pass
'''


def _run(tmp_path: pathlib.Path, **env: str) -> str:
    (tmp_path / "tests").mkdir(exist_ok=True)
    shutil.copy(CONFTEST, tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_small.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n  gui: Qt\n  envoy: Envoy\n")
    environ = {"PATH": "/usr/bin:/bin", "MESHDESIGNER_ORACLE": str(tmp_path / "absent"),
               "QT_QPA_PLATFORM": "offscreen", **env}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    return done.stdout


def test_missing_markers_fail_and_the_absent_oracle_skips(tmp_path):
    out = _run(tmp_path)
    assert "ERROR tests/test_small.py::test_qt_without_marker - Failed: this test lack" in out
    assert "ERROR tests/test_small.py::test_envoy_without_marker - Failed: this test lack" in out
    assert "lacks the marker gui (it uses Qt)" in out and "lacks the marker envoy (it needs Envoy)" in out
    assert "SKIPPED [1] tests/test_small.py" in out and "oracle folder" in out
    assert "PASSED tests/test_small.py::test_plain" in out


def test_the_absent_oracle_fails_when_required(tmp_path):
    out = _run(tmp_path, MESHDESIGNER_REQUIRE_ORACLE="1")
    assert "required here (MESHDESIGNER_REQUIRE_ORACLE=1)" in out
    assert "SKIPPED" not in out
