"""Route test files (istio-config-validator's ``testCases`` format) beside manifests, and the
``tests:`` section of project files. The format itself is :mod:`meshdesigner.model.route_tests`.

A test file is a YAML stream whose every document is a mapping with ``testCases`` (a file may hold
several documents, as istio-config-validator allows). :func:`split_paths` sorts the files named on
a command line into test files and manifest files, so ``meshdesigner test manifests/`` finds both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from ..model.route_tests import RouteTestCase, case_from_wire
from .errors import InputError
from .manifests import format_loc, manifest_files
from .yamlio import Document, load_documents, read_text

TEST_KEY = "testCases"


@dataclass(frozen=True)
class LoadedCase:
    """A test case and where it was written (file and line), for reports."""

    case: RouteTestCase
    file: str
    line: int


def is_test_document(data: object) -> bool:
    return isinstance(data, dict) and TEST_KEY in data


def cases_from_list(items: object, doc: Document, path: tuple) -> list[LoadedCase]:
    """Validate a list of case mappings found at ``path`` of ``doc``; errors name file, line and field."""
    if not isinstance(items, list):
        raise InputError(f"{format_loc(path)} must be a list of test cases", file=doc.file,
                         line=doc.line_of(path), field=format_loc(path))
    out = []
    for i, raw in enumerate(items):
        where = (*path, i)
        try:
            case = case_from_wire(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = (*where, *err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"unknown field {err['loc'][-1]!r}"
            raise InputError(message, file=doc.file, line=doc.line_of(loc), field=format_loc(loc)) from None
        out.append(LoadedCase(case, doc.file, doc.line_of(where)))
    return out


def parse_test_text(text: str, file: str) -> list[LoadedCase]:
    """Every case of a test file's text (``testCases`` of every document)."""
    cases: list[LoadedCase] = []
    for doc in load_documents(text, file):
        if not is_test_document(doc.data):
            raise InputError(f"a test file's documents each hold {TEST_KEY}: [...]", file=file, line=doc.line)
        unknown = sorted(set(doc.data) - {TEST_KEY})
        if unknown:
            raise InputError("unknown top-level key", file=file, line=doc.line_of((unknown[0],)), field=unknown[0])
        cases.extend(cases_from_list(doc.data[TEST_KEY] or [], doc, (TEST_KEY,)))
    return cases


def load_test_file(path: str) -> list[LoadedCase]:
    return parse_test_text(read_text(path), path)


def is_test_file(path: str) -> bool:
    """True when the file's first document holds ``testCases`` (read cheaply, without line tracking)."""
    try:
        for doc in load_documents(read_text(path), path, keep_nodes=False):
            return is_test_document(doc.data)
    except InputError:
        return False  # the manifest reader reports what is wrong with it
    return False


def split_paths(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(test files, manifest files) among the files and folders named (folders walked, sorted)."""
    tests, manifests = [], []
    for file in manifest_files(paths):
        (tests if is_test_file(file) else manifests).append(file)
    return tests, manifests


def dump_test_file(cases: Iterable[RouteTestCase]) -> str:
    """A test file holding ``cases`` (canonical YAML)."""
    from .yamlio import dump_canonical

    return dump_canonical({TEST_KEY: [c.to_wire() for c in cases]})


def relative(path: str) -> str:
    """``path`` relative to the current folder when it is below it (shorter reports)."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel
