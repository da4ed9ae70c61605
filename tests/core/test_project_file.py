"""Project files: canonical bytes, atomic saves, migrations, and errors that name file, line, field."""

from __future__ import annotations

import os
import pathlib

import pytest
import yaml

from meshdesigner.io.errors import InputError
from meshdesigner.io.project_file import (
    FORMAT_VERSION,
    dump_project,
    load_project,
    parse_project,
    save_project,
)

SEED = "examples/seed.mesh.yaml"


def test_save_twice_gives_the_same_bytes(tmp_path):
    project = load_project(SEED)
    a, b = tmp_path / "a.mesh.yaml", tmp_path / "b.mesh.yaml"
    save_project(project, str(a))
    save_project(load_project(str(a)), str(b))
    assert a.read_bytes() == b.read_bytes()
    assert load_project(str(b)) == project


@pytest.mark.parametrize("example", sorted(p.name for p in pathlib.Path("examples").glob("*.mesh.yaml")))
def test_a_dump_with_a_memo_of_node_texts_has_the_same_bytes_and_follows_edits(example):
    """The recovery journal dumps one design again and again, re-dumping only the nodes that changed."""
    project = load_project(f"examples/{example}")
    memo: dict = {}
    assert dump_project(project, memo) == dump_project(project)
    assert set(memo) == {node.id for node in project}
    kept = {node_id: text for node_id, (_node, text) in memo.items()}
    first = sorted(project, key=lambda n: n.id)[0]
    project.move_node(first.id, (first.position[0] + 40, first.position[1]))
    last = sorted(project, key=lambda n: n.id)[-1]
    project.remove_node(last.id)
    assert dump_project(project, memo) == dump_project(project)
    assert memo[first.id][1] != kept[first.id] and last.id not in memo
    assert all(memo[i][1] is kept[i] for i in memo if i != first.id), "unchanged nodes are not dumped again"
    assert dump_project(type(project)("empty"), {}) == dump_project(type(project)("empty"))


def test_diagnostics_and_source_lines_are_never_saved():
    text = dump_project(load_project(SEED))
    assert "diagnostic" not in text.lower() and "line" not in yaml.safe_load(text)


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "p.mesh.yaml"
    target.write_text("old content")
    project = load_project(SEED)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_project(project, str(target))
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["p.mesh.yaml"]  # no temporary left behind


def test_newer_format_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "new.mesh.yaml"
    path.write_text(f"format_version: {FORMAT_VERSION + 1}\nname: x\nnodes: []\n")
    with pytest.raises(InputError) as err:
        load_project(str(path))
    message = str(err.value)
    assert str(path) + ":1" in message and "newer MeshDesigner" in message


def test_format_0_is_migrated():
    text = """format_version: 0
name: old
resources:
- id: vs1
  kind: virtual-service
  pos: {x: 10, y: 20}
  virtual_service:
    metadata: {name: a, namespace: default}
    spec: {hosts: [a.example.com], http: [{route: [{destination: {host: b}}]}]}
"""
    project = parse_project(text, "old.mesh.yaml")
    node = project.node("vs1")
    assert node.position == (10.0, 20.0)
    assert f"format_version: {FORMAT_VERSION}" in dump_project(project)


def test_load_error_names_file_line_and_field():
    text = pathlib.Path(SEED).read_text().replace("number: 443", "number: \"443\"")
    with pytest.raises(InputError) as err:
        parse_project(text, "seed.mesh.yaml")
    e = err.value
    assert e.file == "seed.mesh.yaml"
    assert e.field == "nodes[0].gateway.spec.servers[0].port.number"
    assert text.splitlines()[e.line - 1].strip() == 'number: "443"'


def test_unknown_top_level_key_is_named(tmp_path):
    with pytest.raises(InputError, match="unknown top-level key") as err:
        parse_project(f"format_version: {FORMAT_VERSION}\nname: x\nnodez: []\n", "x.mesh.yaml")
    assert err.value.line == 3 and err.value.field == "nodez"


def test_duplicate_node_ids_are_refused():
    node = ("- id: a\n  kind: mesh-service\n  service:\n    metadata: {name: s}\n")
    with pytest.raises(InputError, match="duplicate node id"):
        parse_project(f"format_version: {FORMAT_VERSION}\nname: x\nnodes:\n" + node + node, "x.mesh.yaml")


def test_unknown_resource_fields_survive_save_and_load():
    text = pathlib.Path(SEED).read_text().replace("      selector:\n        app: my-gateway-controller",
                                     "      selector:\n        app: my-gateway-controller\n      futureField: {a: 1}")
    project = parse_project(text, "seed.mesh.yaml")
    assert "futureField: {a: 1}" in dump_project(project) or "futureField:\n" in dump_project(project)
    gw = project.gateways()[0]
    assert gw.gateway.spec.unknown_fields() == {"futureField": {"a": 1}}
