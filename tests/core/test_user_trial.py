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
