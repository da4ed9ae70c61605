"""Issue 15, YAML: one reader that reads what Kubernetes reads, refuses what it cannot keep, and whose
every accepted document the project writer writes and reads back unchanged.

Expected values are Kubernetes' (sigs.k8s.io/yaml over gopkg.in/yaml.v2, resolve.go), written by hand."""

from __future__ import annotations

import pathlib
import time

import pytest

from meshdesigner.io.errors import InputError
from meshdesigner.io.project_file import load_project, save_project
from meshdesigner.io.yamlio import MAX_FILE_BYTES, dump, dump_canonical, load_one, read_text

from .clirun import run_cli

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata:\n  {body}\n"


@pytest.mark.parametrize(("text", "expected"), [
    ('a: "2024-01-01"', {"a": "2024-01-01"}),        # quoted: always text
    ("a: 2024-01-01", {"a": "2024-01-01"}),          # a date stays the text it was written as
    ("a: 2024-01-01T10:00:00Z", {"a": "2024-01-01T10:00:00Z"}),
    ("a: 12:30:00", {"a": "12:30:00"}),              # no YAML 1.1 base-60 numbers
    ("a: 1:20", {"a": "1:20"}),
    ("a: yes", {"a": True}), ("a: y", {"a": True}), ("a: off", {"a": False}),
    ('a: "yes"', {"a": "yes"}),
    ("a: 0o17", {"a": 15}), ("a: 0777", {"a": 511}), ("a: 0x1f", {"a": 31}), ("a: 1_000", {"a": 1000}),
    ("a: 1e3", {"a": 1000.0}), ("a: .5", {"a": 0.5}),
    ("a: ~", {"a": None}), ("a:", {"a": None}),
    ("1: a", {"1": "a"}), ("true: a", {"true": "a"}),   # keys become text, as in JSON
    ("a: !!str 1", {"a": "1"}), ("a: !!float 1", {"a": 1.0}), ("a: !!int 7", {"a": 7}),
    ("b: &b {x: 1}\nc:\n  <<: *b\n  x: 2", {"b": {"x": 1}, "c": {"x": 2}}),
    # merge keys are found whether written plain or tagged (a stream with neither takes a shorter path)
    ("b: &b {x: 1}\nc:\n  !!merge <<: *b\n  z: 2", {"b": {"x": 1}, "c": {"x": 1, "z": 2}}),
    ("b: &b {x: 1}\nc: {? !!merge m : *b, z: 2}", {"b": {"x": 1}, "c": {"x": 1, "z": 2}}),
    ("a: {b: c, d: [e, {f: 1}]}\ng: 'h'", {"a": {"b": "c", "d": ["e", {"f": 1}]}, "g": "h"}),
])
def test_scalars_read_as_kubernetes_reads_them(text, expected):
    assert load_one(text, "f.yaml") == expected


@pytest.mark.parametrize(("text", "message"), [
    ("name: !!int web", "'web' is not a valid !!int"),
    ("name: !!bool web", "'web' is not a valid !!bool"),
    ("name: !!float web", "'web' is not a valid !!float"),
    ("name: !!null web", "'web' is not a valid !!null"),
    ("name: !!timestamp web", "the tag !!timestamp is not supported"),
    ("name: !!timestamp 2024-01-01", "the tag !!timestamp is not supported"),
    ("data: !!set {a, b}", "the tag !!set is not supported"),
    ("data: !!binary aGk=", "the tag !!binary is not supported"),
    ("data: !!omap [a: 1]", "the tag !!omap is not supported"),
    ("data: !custom x", "the tag !custom is not supported"),
    ("x: &r [*r]", "recursive alias"),
    ("a: .inf", "not a number Kubernetes can hold"), ("a: -.Inf", "not a number Kubernetes can hold"),
    ("a: .nan", "not a number Kubernetes can hold"), ("a: 1e400", "not a number Kubernetes can hold"),
    ("a: 1\na: 2", "duplicate key 'a'"),
    ("a:\n  b: x\n  b: y", "duplicate key 'b'"),
    ("a:\n  b: x\n  'b': y", "duplicate key 'b'"),
    ("a:\n  1: x\n  '1': y", "duplicate key '1'"),
    ("[1, 2]: x", "a mapping key must be text"),
    ("[" * 200 + "]" * 200, "nests deeper than"),
    ("- " * 300 + "x", "nests deeper than"),
    ("[" * 60_000 + "]" * 60_000, "nests deeper than"),  # libyaml's composer would crash the process
], ids=lambda value: value[:20] if isinstance(value, str) else None)
def test_what_kubernetes_objects_cannot_hold_is_refused_with_the_line(text, message):
    with pytest.raises(InputError) as err:
        load_one(text, "f.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("f.yaml")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("body", ["name: !!int web", "x: !!timestamp web", "x: !!bool web", "x: &r [*r]",
                                  "x: !!set {a}"])
def test_cli_exits_2_without_traceback_on_bad_tags(tmp_path, body):
    path = tmp_path / "bad.yaml"
    path.write_text(CONFIGMAP.format(body=body))
    for args in (["validate", str(path)], ["import", str(path), "-o", str(tmp_path / "o.mesh.yaml")]):
        outcome = run_cli(*args)
        assert outcome.crash is None
        assert outcome.code == 2
        assert str(path) in outcome.err
    assert not (tmp_path / "o.mesh.yaml").exists()


def test_project_format_version_with_a_bad_tag_exits_2(tmp_path):
    path = tmp_path / "p.mesh.yaml"
    path.write_text("format_version: !!int one\nname: x\n")
    outcome = run_cli("validate", str(path))
    assert (outcome.code, outcome.crash) == (2, None)
    assert f"{path}:1" in outcome.err


@pytest.mark.parametrize("text", ["format_version: 0\nresources: 5\n", "format_version: 0\nresources: [5]\n"])
def test_format_0_with_a_non_list_exits_2(tmp_path, text):
    path = tmp_path / "p.mesh.yaml"
    path.write_text(text)
    outcome = run_cli("validate", str(path))
    assert (outcome.code, outcome.crash) == (2, None)


@pytest.mark.parametrize("body", [
    'release: "2024-01-01"', "release: 2024-01-01", "at: 2024-01-01T10:00:00Z", "t: 12:30:00",
    "? " + "k" * 1500 + "\n  : long key", 'y: "n"', "on: yes",
], ids=lambda body: body[:20])
def test_imported_verbatim_resources_reopen_with_the_same_content(tmp_path, body):
    manifest = tmp_path / "cfg.yaml"
    manifest.write_text(CONFIGMAP.format(body=body))
    project_path = tmp_path / "cfg.mesh.yaml"
    outcome = run_cli("import", str(manifest), "-o", str(project_path))
    assert (outcome.code, outcome.crash) == (0, None), outcome.err
    project = load_project(str(project_path))
    assert project.extra_resources[0]["data"] == load_one(CONFIGMAP.format(body=body), "x")["data"]
    save_project(project, str(tmp_path / "again.mesh.yaml"))
    assert (tmp_path / "again.mesh.yaml").read_text() == project_path.read_text()
    assert run_cli("validate", str(project_path)).code in (0, 1)


def test_a_key_over_1024_characters_is_written_so_that_it_reads_back():
    data = {"k" * 2000: {"a": ["k" * 3000, {"k" * 1100: []}]}, "list": [{"k" * 1500: [1, 2]}]}
    assert load_one(dump_canonical(data), "p.mesh.yaml") == data
    assert load_one(dump(data), "m.yaml") == data


@pytest.mark.parametrize("value", ["y", "n", "on", "No", "0o17", "1e3", "2024-01-01", "1:20", "08", "~", ""])
def test_manifest_writer_quotes_what_a_reader_would_take_for_something_else(value):
    assert load_one(dump({"a": value}), "m.yaml") == {"a": value}
    assert load_one(dump_canonical({"a": value}), "p.mesh.yaml") == {"a": value}


def test_string_bomb_is_refused_quickly(tmp_path):
    big = "x" * 100_000
    path = tmp_path / "bomb.yaml"
    path.write_text(CONFIGMAP.format(body=f"a: &s {big}\n  b: [" + ", ".join(["*s"] * 200_000) + "]"))
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    outcome = run_cli("validate", str(path))
    assert (outcome.code, outcome.crash) == (2, None)
    assert "alias bomb" in outcome.err
    assert time.perf_counter() - start < 10  # generous here; tests/perf/bench_hostile.py holds the 1 s budget


def test_size_limit_message_does_not_contradict_itself(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1000))
    with pytest.raises(InputError) as err:
        read_text(str(path))
    text = str(err.value)
    assert "21.0 MB" not in text and "the limit is 21 MB" not in text
    assert f"{MAX_FILE_BYTES:,}" in text


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome = run_cli("validate", str(fifo))
    assert (outcome.code, outcome.crash) == (2, None)
    assert "not a regular file" in outcome.err


def test_examples_still_read(tmp_path):
    for example in sorted(pathlib.Path(__file__).resolve().parents[2].joinpath("examples").glob("*.mesh.yaml")):
        load_project(str(example))


def test_a_large_read_keeps_no_second_copy_of_the_data_but_still_finds_lines(tmp_path):
    """Read without node trees (validate of a big file), each document's data is dropped once its
    resources are built (it doubled the memory of a 20 MB file); lines are still found from the text."""
    from meshdesigner.io.manifests import read_manifests

    path = tmp_path / "svc.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports:\n  - port: 80\n---\n"
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: b\nspec:\n  ports:\n  - port: 81\n")
    result = read_manifests([str(path)], keep_nodes=False)
    source = result.sources[("Service", "default", "b")]
    assert source.document.data is None
    assert source.line == 9
    assert source.line_of(("spec", "ports", 0, "port")) == 15
    assert [r.spec.ports[0].port for r in result.resources] == [80, 81]
