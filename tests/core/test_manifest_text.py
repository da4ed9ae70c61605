"""The export's fast manifest writer (export/istio/yaml_text.py, issue 16) writes the same bytes as PyYAML's
representer with libyaml's emitter (``yamlio.dump_documents``), and leaves to it whatever it does not
handle itself."""

from __future__ import annotations

import pathlib

from hypothesis import given, settings
from hypothesis import strategies as st

from meshdesigner.export.istio import yaml_text
from meshdesigner.export.istio.manifests import export_files, project_manifests
from meshdesigner.io.project_file import load_project
from meshdesigner.io.yamlio import dump_documents

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Text a manifest holds, simple and not: names, hosts, wildcards, words and numbers a reader takes for
# something else, indicators, spaces, quotes, line breaks, non-ASCII, long keys.
TEXTS = st.sampled_from([
    "web", "svc.ns.svc.cluster.local", "*.example.com", "*", "/api/v1", "_x", "a-b", "-", "-x", "---a", "...",
    ".5", ".foo", "80", "0x1F", "1e3", "1.5", "1_000", "0o17", "012", "yes", "no", "on", "off", "y", "n", "true",
    "null", "~", "", " a", "a ", "a b", "a: b", "a #b", "#a", "'q'", '"q"', "it's", "a\nb", "a\n", "caf\u00e9",
    "&a", "!t", "%p", "@a", "`a", "|", ">", "?", "?a", ":a", "a:", "[a]", "{a}", "a,b", "k" * 129, "k" * 128,
    "2024-01-01", "1:20", "5s", "v1", "networking.istio.io/v1", "HTTP", "=", "<<",
]) | st.from_regex(r"\*?[A-Za-z0-9_./-]{1,12}", fullmatch=True)
SCALARS = (st.none() | st.booleans() | st.integers(-10**15, 10**15) | TEXTS
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 50.0, 1e17, 1e-7, 12.5]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
                      max_leaves=25)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.dictionaries(TEXTS, VALUES, max_size=5), max_size=4))
def test_each_document_is_written_as_pyyaml_and_libyaml_write_it(documents):
    assert yaml_text.dump_each(documents) == dump_documents(documents, together=False)[1]


def test_the_manifests_of_the_examples_are_the_same_and_the_common_ones_written_directly(monkeypatch):
    left: list[dict] = []

    def full_writer(documents, together=True, alone=True):
        left.extend(documents)
        return dump_documents(documents, together, alone)

    for example in sorted((ROOT / "examples").glob("*.mesh.yaml")):
        manifests = project_manifests(load_project(str(example)))
        expected = dump_documents(manifests, together=False)[1]
        monkeypatch.setattr(yaml_text, "dump_documents", full_writer)
        assert yaml_text.dump_each(manifests) == expected, example.name
        monkeypatch.undo()
    seed = project_manifests(load_project(str(ROOT / "examples" / "seed.mesh.yaml")))
    assert seed and not any(document in left for document in seed)  # none of the seed's needed libyaml


def test_an_export_is_the_per_resource_texts_each_after_a_document_start():
    files = export_files(load_project(str(ROOT / "examples" / "bookinfo.mesh.yaml")))
    manifests = project_manifests(load_project(str(ROOT / "examples" / "bookinfo.mesh.yaml")))
    assert files["istio.yaml"] == dump_documents(manifests, alone=False)[0]
