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
    # written as libyaml writes them, asked of libyaml once per text (a JWKS, a URL, a path glob, a claim)
    '{"keys": [{"kty": "RSA", "e": "AQAB"}]}', "https://issuer.example", "/*", "/admin*", "@type",
    "request.auth.claims[groups]", "a\tb", "a\x00b", "\x85", "a\u2028b", "\ufeff", "\U0001f600", "é" * 70,
    "a " * 2100, "a" * 4100, "k" * 4090 + " x", "x" * 100 + " " + "y" * 3990, "  ", "'", "\\", "\"",
]) | st.from_regex(r"\*?[A-Za-z0-9_./-]{1,12}", fullmatch=True) | st.text(
    alphabet=st.sampled_from("ab/*:#-'\" @&{}[],%!é\t\\\x85"), max_size=8)
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


def test_text_libyaml_decides_is_asked_of_it_and_the_document_still_written_directly(monkeypatch):
    """A RequestAuthentication's JWKS, an issuer URL, an EnvoyFilter's ``@type`` and a path glob: the
    document is not left to libyaml whole (the export of a design with gateway functions stays fast)."""
    jwks = '{"keys":[{"kty":"RSA","kid":"k","e":"AQAB","n":"sXch-_x"}]}'
    documents = [
        {"kind": "RequestAuthentication", "spec": {"jwtRules": [{"issuer": "https://issuer.bench", "jwks": jwks}]}},
        {"kind": "EnvoyFilter", "spec": {"value": {"typed_config": {"@type": "type.googleapis.com/x.v3.X"}}}},
        {"kind": "AuthorizationPolicy", "spec": {"rules": [{"to": [{"operation": {"paths": ["/*", "/admin*"]}}],
                                                            "when": [{"key": "request.auth.claims[groups]"}]}]}},
        {"kind": "Left", "note": "two\nlines"},  # a line break: this one is left to libyaml whole
    ]
    left: list[dict] = []

    def full_writer(documents, together=True, alone=True):
        left.extend(documents)
        return dump_documents(documents, together, alone)

    expected = dump_documents(documents, together=False)[1]
    monkeypatch.setattr(yaml_text, "dump_documents", full_writer)
    written = yaml_text.dump_each(documents)
    monkeypatch.undo()
    assert written == expected
    assert expected[0] == ("kind: RequestAuthentication\nspec:\n  jwtRules:\n  - issuer: https://issuer.bench\n"
                           f"    jwks: '{jwks}'\n")
    assert "'@type': type.googleapis.com/x.v3.X" in expected[1]
    assert "  - key: request.auth.claims[groups]" in expected[2]
    assert left[-1] == documents[-1] and not any(d in left for d in documents[:3])


def test_rows_near_the_width_where_libyaml_folds_text_at_a_space():
    """libyaml folds text at a space once the column is past the width (4096): rows around that length,
    at several depths, plain, single- and double-quoted, are the same bytes as libyaml's."""
    folded = 0
    for text in ("x" * 3000 + " " + "y" * 1090, "x y" + " z" * 2045, "'" + "q " * 2045, "\x07 " * 1020):
        for cut in range(0, 16):
            value = text[: len(text) - cut]
            documents = [{"k" * depth: {"a": [value, {"b": value}]}} for depth in range(1, 9)]
            expected = dump_documents(documents, together=False)[1]
            assert yaml_text.dump_each(documents) == expected
            folded += sum(text.count("\n") > 4 for text in expected)
    assert folded  # some rows were long enough for libyaml to fold
