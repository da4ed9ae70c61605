"""In the frozen app (PyInstaller, ``packaging/build``) the folders the app reads by path are found in the
bundle's data folder, ``sys._MEIPASS``, before anything beside the (absent) source tree."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "meshdesigner" / "assets.py"


def load_assets_module():
    """A fresh copy of meshdesigner/assets.py (it reads sys.frozen/_MEIPASS when imported)."""
    spec = importlib.util.spec_from_file_location("frozen_assets_under_test", ASSETS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_frozen_app_reads_its_folders_from_the_bundle(tmp_path, monkeypatch):
    for name in ("examples", "resources", "ui", "docs"):
        (tmp_path / name).mkdir()
    (tmp_path / "examples" / "seed.mesh.yaml").write_text("kind: MeshDesign\n", encoding="utf-8")
    (tmp_path / "resources" / "themes").mkdir()
    (tmp_path / "ui" / "form.ui").write_text("<ui/>", encoding="utf-8")
    (tmp_path / "docs" / "diagnostics.md").write_text("# codes\n", encoding="utf-8")
    for name in ("EXAMPLES", "RESOURCES", "UI", "DOCS"):
        monkeypatch.delenv(f"MESHDESIGNER_{name}", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assets = load_assets_module()
    for name in ("examples", "resources", "ui", "docs"):
        assert assets.asset_dir(name) == tmp_path / name
    assert assets.default_example() == tmp_path / "examples" / "seed.mesh.yaml"


def test_outside_a_bundle_the_source_tree_is_used(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delenv("MESHDESIGNER_UI", raising=False)
    assets = load_assets_module()
    assert assets.asset_dir("ui") == ASSETS.parents[1] / "ui"
