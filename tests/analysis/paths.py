"""The shared test paths of ``tests/conftest.py`` (ORACLE, SAMPLES, ROOT, sample_files, example_files), loaded
by file path: ``from conftest import`` would pick another folder's conftest when the whole suite runs."""

from __future__ import annotations

import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location("meshdesigner_tests_root_conftest",
                                               pathlib.Path(__file__).resolve().parents[1] / "conftest.py")
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)  # type: ignore[union-attr]

ROOT = _conftest.ROOT
ORACLE = _conftest.ORACLE
SAMPLES = _conftest.SAMPLES
EXAMPLES = _conftest.EXAMPLES
sample_files = _conftest.sample_files
example_files = _conftest.example_files
