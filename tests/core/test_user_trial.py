"""Bugs found by a new-user trial of the command line: each test fails on the code before its fix."""

from __future__ import annotations

import json
import os

from meshdesigner.cli import main
from meshdesigner.io.atomic import EXPORT_INDEX, LEGACY_EXPORT_INDEX, write_tree

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
SEED = os.path.join(EXAMPLES, "seed.mesh.yaml")
BOOKINFO = os.path.join(EXAMPLES, "bookinfo.mesh.yaml")


def test_export_writes_no_top_level_file_kubectl_would_read_except_istio_yaml(tmp_path, capsys):
    out = tmp_path / "deploy"
    assert main(["export", SEED, "-o", str(out), "--envoy", "--force"]) == 0
    kubectl_reads = sorted(name for name in os.listdir(out)
                           if os.path.isfile(out / name) and name.endswith((".json", ".yaml", ".yml")))
    assert kubectl_reads == ["istio.yaml"]
    assert (out / EXPORT_INDEX).is_file()


def test_export_index_of_the_old_name_is_migrated(tmp_path):
    (tmp_path / "old.yaml").write_text("x: 1\n")
    (tmp_path / LEGACY_EXPORT_INDEX).write_text(json.dumps({"export": ["old.yaml"]}))
    write_tree(str(tmp_path), {"new.yaml": "y: 2\n"})
    assert not (tmp_path / "old.yaml").exists()  # the old index was read: its file is removed as stale
    assert not (tmp_path / LEGACY_EXPORT_INDEX).exists()
    assert json.loads((tmp_path / EXPORT_INDEX).read_text()) == {"export": ["new.yaml"]}


def test_validate_reads_only_istio_yaml_of_an_export_folder(tmp_path, capsys):
    out = tmp_path / "deploy"
    assert main(["export", SEED, "-o", str(out), "--envoy", "--force"]) == 0
    capsys.readouterr()
    code = main(["validate", str(out), "--format", "sarif", "--fail-on", "warning"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    results = json.loads(captured.out)["runs"][0]["results"]
    files = {loc["physicalLocation"]["artifactLocation"]["uri"]
             for r in results for loc in r["locations"] if "physicalLocation" in loc}
    assert all(f.endswith("istio.yaml") for f in files), files


GATEWAY = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["%s"]
"""


def test_identical_duplicates_pass_and_different_ones_name_both_files(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(GATEWAY % "a.example.com")
    (tmp_path / "b.yaml").write_text(GATEWAY % "a.example.com")
    assert main(["validate", str(tmp_path)]) in (0, 1)
    assert "duplicate" not in capsys.readouterr().err
    (tmp_path / "b.yaml").write_text(GATEWAY % "b.example.com")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "duplicate resource" in err and "a.yaml" in err and "b.yaml" in err


def test_an_empty_folder_is_unreadable_input(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = f"no manifest files (*.yaml, *.yml, *.json) under {empty}"
    assert main(["validate", str(empty)]) == 2
    assert expected in capsys.readouterr().err
    assert main(["import", str(empty), "-o", str(tmp_path / "x.mesh.yaml")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "x.mesh.yaml").exists()
