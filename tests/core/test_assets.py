"""Examples, icons and forms are found from a checkout and from an installed data folder."""

from __future__ import annotations

from meshdesigner import assets


def test_examples_are_found_in_the_checkout():
    assert assets.default_example().name == "seed.mesh.yaml"
    assert len(assets.bundled_examples()) >= 5


def test_environment_overrides(tmp_path, monkeypatch):
    (tmp_path / "only.mesh.yaml").write_text("format_version: 1\nname: x\nnodes: []\n")
    monkeypatch.setenv("MESHDESIGNER_EXAMPLES", str(tmp_path))
    assert assets.bundled_examples() == [tmp_path / "only.mesh.yaml"]
    assert assets.default_example() == tmp_path / "only.mesh.yaml"


def test_missing_folder_gives_none(monkeypatch, tmp_path):
    monkeypatch.setattr(assets, "_SOURCE_ROOT", tmp_path)
    monkeypatch.setattr(assets, "_INSTALLED_ROOT", tmp_path / "nowhere")
    monkeypatch.delenv("MESHDESIGNER_UI", raising=False)
    assert assets.asset_dir("ui") is None
