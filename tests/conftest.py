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


def _load_crd_module():
    import importlib.util

    path = ORACLE / "istio-crds" / "validate_against_crd.py"
    spec = importlib.util.spec_from_file_location("validate_against_crd", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def crd_validate():
    """``crd_validate(manifest, strict=True) -> list[str]`` of errors from Istio's own CRD schemas
    (empty = valid; Kubernetes core kinds and kinds without a CRD return [])."""
    if not ORACLE.is_dir():
        pytest.skip(f"the oracle folder {ORACLE} is absent (set MESHDESIGNER_ORACLE)")
    module = _load_crd_module()
    crds = module.load_crds(str(ORACLE / "istio-crds"))

    def validate(manifest: dict, strict: bool = True) -> list[str]:
        status, errors, _warnings = module.validate_doc(manifest, crds, strict=strict)
        return [] if status == "skipped" else errors

    return validate
