"""``meshdesigner validate PATH...``: check designs offline, like ``istioctl analyze --use-kube=false``.

Project files (``*.mesh.yaml``) are checked one by one; manifest files and folders are imported together as
one design (so references between files resolve) and their diagnostics carry file and line.
Exit codes: 0 nothing at or above ``--fail-on``, 1 findings, 2 unreadable input or bad usage.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sys
import urllib.parse

from ..analysis import SEVERITIES, Diagnostic, analyze, parse_codes
from ..analysis.cluster import read_by_checks
from ..analysis.diagnostic import SEVERITY_RANK, sort_diagnostics
from ..analysis.rules.istio_input import rejected_object_diagnostic
from ..io.importer import import_manifests
from ..io.manifests import SourceRef
from ..io.project_file import FORMAT_VERSION, load_project_document
from ..io.yamlio import Document
from ..tls.sources import certificate_location
from .common import is_project_file, stderr_progress

# The code page in a source checkout (absent from an installed wheel: then the rules carry only help.text).
DOCS_PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "docs", "diagnostics.md")
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check designs or manifests offline (Istio webhook + analyzers + design)",
                       description="Check project files and manifest files/folders without a cluster. Exit 1 when "
                                   "a diagnostic at or above --fail-on remains, 2 for unreadable input.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="a .mesh.yaml project, or manifest files/folders")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--fail-on", choices=("error", "warning", "info"), default="error",
                   help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE,...",
                   help="codes to suppress (MD or IST codes; repeatable)")
    p.add_argument("--external", action="append", default=[], metavar="NS/KIND/NAME,...",
                   help="resources that live elsewhere (e.g. istio-system/Gateway/shared): references to them "
                        "are fine; with any given, every other missing reference is an error, as in Istio "
                        "(added to a project's settings.external_resources; repeatable)")
    p.add_argument("--list-codes", action="store_true",
                   help="print the page of every diagnostic code (Markdown) and exit")
    p.set_defaults(run=run)


def external_entries(values: list[str]) -> tuple[str, ...]:
    """``--external`` values: comma-separated NAMESPACE/KIND/NAME entries (checked, else a usage error)."""
    from . import UsageError

    entries = tuple(e.strip() for v in values for e in v.split(",") if e.strip())
    for entry in entries:
        if entry.count("/") != 2 or not all(entry.split("/")):
            raise UsageError(f"--external {entry!r}: write NAMESPACE/KIND/NAME, e.g. istio-system/Gateway/shared")
    return entries


def _with_external(project, external: tuple[str, ...]):
    if external:
        merged = tuple(dict.fromkeys(project.settings.external_resources + external))
        project.set_settings(project.settings.model_copy(update={"external_resources": merged}))
    return project


def collect(paths: list[str], external: tuple[str, ...] = ()) -> list[Diagnostic]:
    """Diagnostics of every path (projects one by one, manifests as one design)."""
    from ..io.errors import InputError

    found: list[Diagnostic] = []
    manifests = [p for p in paths if not is_project_file(p)]
    for path in paths:
        if is_project_file(path):
            if not os.path.exists(path):
                raise InputError("no such file or folder", file=path)
            project, document = load_project_document(path)
            project = _with_external(project, external)
            _say_unchecked_kinds(project)
            with certificate_location(os.path.dirname(os.path.abspath(path))):  # relative cert paths, credentials/
                diagnostics = analyze(project)
            sources = project_sources(path, project, document) if diagnostics else {}
            found += [_with_source(d, path, sources) for d in diagnostics]
    if manifests:
        # Without node trees (a large file would hold gigabytes of them): a document is composed again,
        # alone, when a diagnostic needs the line of one of its fields.
        result = import_manifests(manifests, name="validate", progress=stderr_progress("reading"), lenient=True,
                                  layout=False)  # nothing draws it; positions play no part in the checks
        found += [rejected_object_diagnostic(r) for r in result.rejected]
        _say_unchecked_kinds(result.project)
        first = os.path.abspath(manifests[0])
        _with_external(result.project, external)
        with certificate_location(first if os.path.isdir(first) else os.path.dirname(first)):
            found += analyze(result.project, result.sources, getattr(result, "secrets", ()))
    return sort_diagnostics(found)


def _say_unchecked_kinds(project) -> None:
    """One info line (per project file, or for the manifests) naming the kinds kept verbatim that no check
    reads (Pods, Namespaces, Secrets, Sidecars, the mesh config ... are read as context by the Istio analyzer
    ports: ``cluster.read_by_checks``)."""
    counts: dict[str, int] = {}
    for obj in project.extra_resources:
        kind = str(obj.get("kind"))
        if not read_by_checks(obj):
            counts[kind] = counts.get(kind, 0) + 1
    if counts:
        kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items()))
        print(f"info: kept but not checked: {kinds}", file=sys.stderr)



def project_sources(path: str, project, document: Document) -> dict[tuple[str, str, str], SourceRef]:
    """Where each resource of a project file is written (``nodes[i].<field>``), so diagnostics get lines.

    ``document`` is the file as read with its node tree (:func:`load_project_document`): the analysis
    itself (and the desktop app) never keeps one. A file the loader migrated from an older layout gets
    no lines (only its name).
    """
    from ..model import Resource

    data = document.data
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        return {}
    sources: dict[tuple[str, str, str], SourceRef] = {}
    nodes = project.nodes  # (a copy per call: once, not once per node)
    resource_fields: dict[type, list[tuple[str, str]]] = {}  # node class -> its (attribute, written key)
    for i, raw in enumerate(data.get("nodes") or []):
        node = nodes.get(raw.get("id")) if isinstance(raw, dict) else None
        if node is None:
            continue
        fields = resource_fields.get(type(node))
        if fields is None:
            fields = resource_fields[type(node)] = [(name, info.alias or name)
                                                    for name, info in type(node).model_fields.items()]
        for name, key in fields:
            resource = getattr(node, name)
            if isinstance(resource, Resource):
                item_path = ("nodes", i, key)
                sources[tuple(resource.ref)] = SourceRef(path, document.line_of(item_path), document, item_path)
    for i, raw in enumerate(data.get("policies") or []):
        metadata = raw.get("metadata") if isinstance(raw, dict) else None
        if isinstance(metadata, dict):
            ref = (str(raw.get("kind")), str(metadata.get("namespace", "default")), str(metadata.get("name")))
            item_path = ("policies", i)
            sources[ref] = SourceRef(path, document.line_of(item_path), document, item_path)
    return sources


def _with_source(diag: Diagnostic, path: str, sources: dict) -> Diagnostic:
    """The diagnostic with the project file and, when known, the line of its field (as the analyzer's
    ``_finish`` does for imported manifests)."""
    import dataclasses

    from ..analysis.diagnostic import parse_path

    source = sources.get(tuple(diag.resource))
    if source is None:
        return dataclasses.replace(diag, file=diag.file or path)
    line = source.line_of(parse_path(diag.path)) if diag.path else source.line
    return dataclasses.replace(diag, file=source.file, line=line)


def run(args) -> int:
    from . import UsageError

    if args.list_codes:
        from ..analysis.docs import render_markdown

        sys.stdout.write(render_markdown())
        return 0
    if not args.paths:
        raise UsageError("give at least one PATH (or --list-codes)")
    ignored = parse_codes(args.ignore)
    _warn_unknown_codes(ignored)
    diagnostics = [d for d in collect(args.paths, external_entries(args.external))
                   if d.code not in ignored and (d.istio_code is None or d.istio_code not in ignored)]
    if args.format == "json":
        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    elif args.format == "sarif":
        print(json.dumps(to_sarif(diagnostics), indent=2))
    else:
        for diag in diagnostics:
            print(diag.format())
        counts = {s: sum(d.severity == s for d in diagnostics) for s in SEVERITIES}
        print(", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items()),
              file=sys.stderr)
    threshold = SEVERITY_RANK[args.fail_on]
    return 1 if any(SEVERITY_RANK[d.severity] <= threshold for d in diagnostics) else 0


def _warn_unknown_codes(codes: frozenset[str]) -> None:
    """A typo in --ignore would silently suppress nothing: say which codes are not in the catalogue."""
    from ..analysis.messages import BY_CODE

    known = set(BY_CODE) | {m.istio for m in BY_CODE.values() if m.istio}
    unknown = sorted(codes - known)
    if unknown:
        print(f"meshdesigner validate: warning: --ignore {', '.join(unknown)}: not in the catalogue "
              "(see meshdesigner validate --list-codes)", file=sys.stderr)


def to_sarif(diagnostics: list[Diagnostic]) -> dict:
    """SARIF 2.1.0, one run, the codes used as rules."""
    from .. import __version__
    from ..analysis.messages import lookup

    codes = sorted({d.code for d in diagnostics})
    docs_uri = pathlib.Path(DOCS_PAGE).as_uri() if os.path.isfile(DOCS_PAGE) else None
    rules = []
    for code in codes:
        msg = lookup(code)
        rule: dict = {"id": code}
        if msg is not None:
            title = _title(msg.name)
            rule.update(name=msg.name, shortDescription={"text": title},
                        fullDescription={"text": msg.explain},
                        help={"text": f"{code} {title}: {msg.explain}"},
                        defaultConfiguration={"level": SARIF_LEVEL[msg.severity]})
            if docs_uri:
                rule["helpUri"] = f"{docs_uri}#{code.lower()}-{msg.name.lower()}"  # the page's heading anchor
            if msg.istio:
                rule["properties"] = {"istioCode": msg.istio}
        rules.append(rule)
    results = []
    for d in diagnostics:
        result: dict = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [{"logicalLocations": [{
                "fullyQualifiedName": f"{d.resource.kind}/{d.resource.namespace}/{d.resource.name}"
                                      + (f"/{d.path}" if d.path else ""),
                "kind": "resource"}]}],
        }
        if d.file:
            physical: dict = {"artifactLocation": _artifact_location(d.file)}
            if d.line:
                physical["region"] = {"startLine": d.line}
            result["locations"][0]["physicalLocation"] = physical
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "meshdesigner", "version": __version__,
                                      "informationUri": "https://github.com/meshdesigner/meshdesigner",
                                      "rules": rules}},
                  "originalUriBaseIds": {SRCROOT: {"uri": pathlib.Path.cwd().as_uri() + "/"}},
                  "results": results}],
    }


SRCROOT = "SRCROOT"  # the current folder: file locations under it are relative URIs, others file:// URIs


def _artifact_location(file: str) -> dict:
    """A SARIF artifactLocation: relative to the current folder when the file is under it, else a file:// URI."""
    absolute = pathlib.Path(os.path.abspath(file))
    try:
        relative = absolute.relative_to(pathlib.Path.cwd())
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": urllib.parse.quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _title(name: str) -> str:
    """``CertificateFileNotReadableHere`` -> ``Certificate file not readable here``."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
    return " ".join([words[0]] + [w if w.isupper() else w.lower() for w in words[1:]]) if words else name
