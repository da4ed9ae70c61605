"""The manifest writer's fast path (each document turned into nodes once, scalars resolved once) writes
the same bytes as PyYAML's own representer with libyaml's emitter, for any JSON-like data (issue 16)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from meshdesigner.io import yamlio
from meshdesigner.io.yamlio import dump, dump_all, dump_documents, flow


class ReferenceDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """PyYAML's generic path with the project's choices (resolvers, no aliases, how text is written)."""

    yaml_implicit_resolvers = yamlio.CanonicalDumper.yaml_implicit_resolvers

    def ignore_aliases(self, data):
        return True


ReferenceDumper.add_representer(str, yamlio._represent_str)
ReferenceDumper.add_representer(
    yamlio._FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
ReferenceDumper.add_representer(
    tuple, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", list(data)))
OPTIONS = {"Dumper": ReferenceDumper, "sort_keys": False, "default_flow_style": False, "allow_unicode": True,
           "width": 4096, "indent": 2}

TRICKY = st.sampled_from(["yes", "no", "~", "null", "1e3", "0o17", "2024-01-01", "1:20", "x\n", "x\n\n",
                          " x\n\n", "\n", "a: b", "- x", "#c", "...", "---", "", "0x1F", ".inf", "<<"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(), TRICKY)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=8), TRICKY), inner, max_size=4),
    st.lists(inner, max_size=3).map(flow), st.tuples(inner, inner)), max_leaves=20)
DOCUMENTS = st.lists(st.dictionaries(st.text(max_size=8), VALUES, max_size=5), max_size=4)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_dump_documents_writes_what_pyyaml_writes(documents):
    together, alone = dump_documents(documents)
    assert together == yaml.dump_all(documents, explicit_start=True, **OPTIONS)
    assert alone == [yaml.dump(d, **OPTIONS) for d in documents]
    assert dump_all(documents) == together
    assert [dump(d) for d in documents] == alone


def test_an_open_ended_block_scalar_between_documents():
    documents = [{"a": "x\n\n"}, {"b": 1}]
    assert dump_documents(documents) == ("---\na: |+\n  x\n\n---\nb: 1\n", ["a: |+\n  x\n\n...\n", "b: 1\n"])
