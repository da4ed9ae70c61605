"""Where the bundled example projects are: the source tree, or the installed data folder."""

from __future__ import annotations

import os
import pathlib
import sys

DEFAULT_EXAMPLE = "seed.mesh.yaml"


def examples_dir() -> pathlib.Path | None:
    """The folder of ``*.mesh.yaml`` examples (``MESHDESIGNER_EXAMPLES`` overrides)."""
    candidates = [
        os.environ.get("MESHDESIGNER_EXAMPLES"),
        pathlib.Path(__file__).resolve().parents[1] / "examples",          # a source checkout / editable install
        pathlib.Path(sys.prefix) / "share" / "meshdesigner" / "examples",  # pip install . (data-files)
    ]
    for candidate in candidates:
        if candidate and pathlib.Path(candidate).is_dir() and any(pathlib.Path(candidate).glob("*.mesh.yaml")):
            return pathlib.Path(candidate)
    return None


def bundled_examples() -> list[pathlib.Path]:
    """Every bundled example project, sorted by name (empty when none is installed)."""
    folder = examples_dir()
    return sorted(folder.glob("*.mesh.yaml")) if folder else []


def default_example() -> pathlib.Path | None:
    """The example the app opens when started with no file: the seed."""
    folder = examples_dir()
    if folder and (folder / DEFAULT_EXAMPLE).is_file():
        return folder / DEFAULT_EXAMPLE
    examples = bundled_examples()
    return examples[0] if examples else None
