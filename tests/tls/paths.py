"""Repository paths for the TLS tests (``from conftest import`` is ambiguous when several test folders
have a conftest module, so these are computed here the same way tests/conftest.py does)."""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def example_files() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.mesh.yaml"))
