"""The fast reader of project files (io/canonical_reader.py, issue 16) gives exactly what the full YAML reader
gives (data, types, the line of every field), or steps aside (None) so the full reader reads the file and
words any error: a file edited by hand never reads differently."""

from __future__ import annotations

import contextlib
import pathlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshdesigner.io.canonical_reader import read_canonical
from meshdesigner.io.errors import InputError
from meshdesigner.io.project_file import dump_project, load_project, load_project_document
from meshdesigner.io.yamlio import dump_canonical, flow, load_documents, load_one

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _same(a, b) -> bool:
    """Equal with the same types all the way down (1 == 1.0 == True would hide a wrong type)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
        yield (*prefix, "no-such-key")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))
        yield (*prefix, len(value))


def _agrees_with_the_full_reader(text: str) -> bool:
    """True when the fast reader read ``text`` (and agrees); False when it stepped aside."""
    fast = read_canonical(text, "p.mesh.yaml", with_lines=True)
    if fast is None:
        return False
    full = list(load_documents(text, "p.mesh.yaml", keep_nodes=True))  # raises if the text is bad YAML
    assert len(full) == 1 and _same(fast.data, full[0].data)
    for path in _paths(fast.data):
        assert fast.line_of(path) == full[0].line_of(path), path
    return True


# Written by hand: what a YAML reader as Kubernetes reads (go-yaml v2) gives for each value.
READ_FAST = [
    ("a: 1\nb: -20\nc: 0\n", {"a": 1, "b": -20, "c": 0}),
    ("f: 1.5\ng: -0.0\nh: 1.0e+20\ni: 2.5e-07\n", {"f": 1.5, "g": -0.0, "h": 1e20, "i": 2.5e-07}),
    ("a: true\nb: false\nc: null\n", {"a": True, "b": False, "c": None}),
    ("host: svc.ns.svc.cluster.local\nurl: http://a/b\npath: /v1/x\nk: a:b\n",
     {"host": "svc.ns.svc.cluster.local", "url": "http://a/b", "path": "/v1/x", "k": "a:b"}),
    ('q: "yes"\nr: "1.0"\ns: "a: b # c"\nu: "\\u00e9\\n\\t\\"\\\\"\nv: ""\n',
     {"q": "yes", "r": "1.0", "s": "a: b # c", "u": "\u00e9\n\t\"\\", "v": ""}),
    ('"*.example.com": x\n"80": z\n', {"*.example.com": "x", "80": "z"}),
    ("position: [40.0, 80.0]\nempty: []\nnone: {}\nwords: [a, \"b, c\", 3]\n",
     {"position": [40.0, 80.0], "empty": [], "none": {}, "words": ["a", "b, c", 3]}),
    ("nodes:\n- id: a\n  spec:\n    hosts:\n    - x\n    - z\n- id: b\n  list:\n  -\n    - 1\n    - 2\n",
     {"nodes": [{"id": "a", "spec": {"hosts": ["x", "z"]}}, {"id": "b", "list": [[1, 2]]}]}),
    ("a:\n    deep: 1\nb:\n  - x\n", {"a": {"deep": 1}, "b": ["x"]}),
    ("name: caf\u00e9 \u2603\n", None),  # a space inside plain text: left to the full reader
    ("name: caf\u00e9\n", None),  # non-ASCII plain text: left to the full reader
]


@pytest.mark.parametrize(("text", "expected"), READ_FAST)
def test_values_written_as_the_writer_writes_them_are_read_fast_and_right(text, expected):
    if expected is None:
        assert read_canonical(text, "p.mesh.yaml") is None
        return
    assert _agrees_with_the_full_reader(text)
    assert _same(read_canonical(text, "p.mesh.yaml").data, expected)


# Everything here is either read differently by some YAML reader than it looks, refused, or simply not what
# the writer writes: the fast reader steps aside, and the full reader decides (data or error) as before.
STEPS_ASIDE = [
    "a: yes\n", "a: on\n", "a: y\n", "a: No\n", "a: ~\n", "a: Null\n", "a: NULL\n", "a: True\n",
    "y: 1\n", "on: 1\n", "null: 1\n", "80: http\n", "1.5: x\n",
    "a: 1e3\n", "a: 0x1F\n", "a: 0o17\n", "a: 012\n", "a: 1_000\n", "a: +5\n", "a: .5\n", "a: 1.\n",
    "a: 1:20\n", "a: 2024-01-01\n", "a: .inf\n", "a: -.inf\n", "a: .nan\n", "a: 1.0e+400\n",
    "a: b # comment\n", "# comment\na: 1\n", "a: 1\n\nb: 2\n", "a: 1 \n", "a:  1\n", "a:\tb\n", "a: 1\r\nb: 2\r\n",
    "---\na: 1\n", "a: 1\n...\n", "a: 1\n---\nb: 2\n", "%YAML 1.1\n---\na: 1\n",
    "a: &x {b: 1}\nc: *x\n", "a: &x 1\n", "a: !!str 1\n", "a: !!binary aGk=\n", "a: !foo x\n",
    "a: |\n  text\n", "a: >\n  text\n", "a: 'single'\n", '? a\n: 1\n', "a: {b: 1}\n", "a: [[1]]\n",
    "a: [b:c]\n", "a: [x,y]\n", "a: [x, ]\n", "a: \"\\/\"\n", "a: \"\\x41\"\n", "a: \"\\ud83d\\ude00\"\n",
    "a: 1\na: 2\n", "a:\n", "a:\nb: 1\n", "- a\n- b\n", "a: 1\n  b: 2\n", " a: 1\n", "a: 1",
    "a:\n- 1\n - 2\n", "a:\n  b: 1\n c: 2\n", "a: b: c\n", "a: \"x\" y\n", "a: \u0085\n", "a: x\u2028y\n",
    "a: \ufeffx\n", "a: \x7f\n", "k" * 1001 + ": long key\n", '"' + "k" * 1000 + '": long quoted key\n',
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 110)) + "  " * 110 + "end: 1\n",
]


@pytest.mark.parametrize("text", STEPS_ASIDE)
def test_anything_else_is_left_to_the_full_reader(text):
    assert read_canonical(text, "p.mesh.yaml") is None
    with contextlib.suppress(InputError):  # (refused by the full reader, with its message: as before)
        load_one(text, "p.mesh.yaml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
    | st.sampled_from(["yes", "on", "y", "1e3", "0x10", "1:20", "a: b", "- x", "#", "~", "", " a", "a:b",
                       "http://x/y", "*.example.com", "2024-01-01", "1.5", "-3", "null", "[1]", "{}"]),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(flow)
    | st.dictionaries(st.text(max_size=8) | st.sampled_from(["y", "on", "80", "a:b", "a b"]), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, min_size=1, max_size=6))
def test_whatever_the_writer_writes_is_read_fast_and_as_the_full_reader_reads_it(data):
    text = dump_canonical(data)
    if not _agrees_with_the_full_reader(text):
        # what the writer writes and this reader leaves aside: a flow list holding a flow list, a mapping or
        # text with ":", a key longer than YAML's implicit keys ("? key"), a byte-order mark inside a string
        assert _LEFT_ASIDE.search(text), text


_LEFT_ASIDE = re.compile(r"(?:^|: |- )\[[^\n]*[:\[{]|^ *\? |\ufeff", re.M)


def test_every_saved_example_project_is_read_fast_and_the_same(tmp_path):
    for example in sorted((ROOT / "examples").glob("*.mesh.yaml")):
        project = load_project(str(example))
        saved = tmp_path / example.name
        saved.write_text(dump_project(project))
        assert _agrees_with_the_full_reader(saved.read_text()), example.name  # read fast, not left aside
        again, document = load_project_document(str(saved))
        assert again == project
        rows = saved.read_text().splitlines()
        first_node = rows.index(next(r for r in rows if r.startswith("- id: "))) + 1
        assert document.line_of(("nodes", 0)) == document.line_of(("nodes", 0, "id")) == first_node
