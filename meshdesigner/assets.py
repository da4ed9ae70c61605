"""Where MeshDesigner's files outside the Python package are: examples, icons/themes, Qt Designer forms.

In a source checkout (or an editable install) they are the top-level folders ``examples/``,
``resources/`` and ``ui/``; after ``pip install .`` they are installed as data files under
``<prefix>/share/meshdesigner/``; in the frozen app (``packaging/build``, PyInstaller) they sit in the
bundle's data folder, ``sys._MEIPASS``. ``MESHDESIGNER_<NAME>`` environment variables override.
"""

from __future__ import annotations

import os
import pathlib
import sys

DEFAULT_EXAMPLE = "seed.mesh.yaml"
_SOURCE_ROOT = pathlib.Path(__file__).resolve().parents[1]
_INSTALLED_ROOT = pathlib.Path(sys.prefix) / "share" / "meshdesigner"
# PyInstaller sets sys.frozen and sys._MEIPASS (the bundle's data folder, `_internal/`); the spec in
# packaging/ puts examples/, resources/, ui/ and docs/ there.
_BUNDLE_ROOT = pathlib.Path(sys._MEIPASS) if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS") else None


def asset_dir(name: str) -> pathlib.Path | None:
    """The folder ``name`` ("examples", "resources", "ui", "docs"), or None when it is not installed."""
    candidates = [os.environ.get(f"MESHDESIGNER_{name.upper()}"), _BUNDLE_ROOT and _BUNDLE_ROOT / name,
                  _SOURCE_ROOT / name, _INSTALLED_ROOT / name]
    for candidate in candidates:
        if candidate and pathlib.Path(candidate).is_dir() and any(pathlib.Path(candidate).iterdir()):
            return pathlib.Path(candidate)
    return None


def examples_dir() -> pathlib.Path | None:
    """The folder of ``*.mesh.yaml`` examples."""
    return asset_dir("examples")


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
