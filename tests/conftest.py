"""Shared fixtures: where the oracle lives, sample files, the benchmark workload."""

from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORACLE = pathlib.Path(os.environ.get("MESHDESIGNER_ORACLE", ROOT.parent / "shared" / "oracle"))
SAMPLES = ORACLE / "istio-samples"
EXAMPLES = ROOT / "examples"


def sample_files() -> list[pathlib.Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def example_files() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.mesh.yaml"))


@pytest.fixture
def oracle() -> pathlib.Path:
    if not ORACLE.is_dir():
        pytest.skip(f"the oracle folder {ORACLE} is absent (set MESHDESIGNER_ORACLE)")
    return ORACLE
