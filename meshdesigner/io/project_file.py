"""``*.mesh.yaml`` project files: canonical, diff-friendly YAML with a format version and migrations.

A file looks like::

    format_version: 3
    name: seed
    settings: {...}          # only non-default settings
    nodes:
    - id: ingress-gateway:default/ext-host-gwy
      kind: ingress-gateway
      position: [40.0, 80.0]
      gateway: {metadata: ..., spec: ...}
    policies: [...]          # AuthorizationPolicy, RequestAuthentication, PeerAuthentication, Telemetry,
                             # EnvoyFilter manifests (apiVersion, kind, metadata, spec), typed on load;
                             # a gateway's "functions" (rate limit, JWT, IP lists...) are these resources
    extra_resources: [...]   # other kinds, verbatim
    tests: [...]             # route tests, in istio-config-validator's format (meshdesigner.model.route_tests)

Diagnostics are never stored: they are derived from the design.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..model import Project, ProjectSettings, node_from_dict
from ..model.nodes import NodeBase, NodeKind
from ..model.security import policy_from_manifest, policy_type
from .atomic import write_atomic
from .canonical_reader import read_canonical
from .errors import InputError
from .gcpause import gc_paused
from .manifests import format_loc, is_secret, verbatim_problem
from .yamlio import Document, dump_canonical, flow, load_documents, load_one, read_text

FORMAT_VERSION = 3
PROJECT_SUFFIX = ".mesh.yaml"


def _migrate_0_to_1(data: dict, _base_dir: pathlib.Path | None = None) -> dict:
    """Format 0 (the prototype) kept positions as ``pos: {x, y}`` and named the list ``resources``."""
    data = dict(data)
    found = data.pop("resources", None) or data.get("nodes") or []
    if not isinstance(found, list):
        data["nodes"] = found  # reported by the reader as "nodes must be a list"
        return data
    nodes = []
    for node in found:
        if not isinstance(node, dict):
            nodes.append(node)  # reported by the reader with its index
            continue
        node = dict(node)
        pos = node.pop("pos", None)
        if isinstance(pos, dict):
            # The prototype wrote ``y:`` unquoted, which the reader (like Kubernetes) reads as the key "true".
            node["position"] = [pos.get("x", 0.0), pos.get("y", pos.get("true", 0.0))]
        nodes.append(node)
    data["nodes"] = nodes
    return data


def _migrate_1_to_2(data: dict, _base_dir: pathlib.Path | None = None) -> dict:
    """Format 1 kept AuthorizationPolicy, RequestAuthentication, PeerAuthentication, Telemetry and
    EnvoyFilter manifests verbatim in ``extra_resources``; format 2 holds them as ``policies``."""
    data = dict(data)
    extras = data.get("extra_resources")
    if isinstance(extras, list):
        moved = [e for e in extras if isinstance(e, dict) and policy_type(e.get("apiVersion"), e.get("kind"))]
        if moved:
            data["policies"] = list(data.get("policies") or []) + moved
            data["extra_resources"] = [e for e in extras if not any(e is m for m in moved)]
    return data


def _migrate_2_to_3(data: dict, base_dir: pathlib.Path | None = None) -> dict:
    """Format 2 gave gateways a ``functions:`` block; format 3 holds those functions as the Istio
    resources they stood for, in ``policies`` (:mod:`.functions_migration`)."""
    from .functions_migration import migrate_2_to_3  # its format-2 schema: built only for an old file

    return migrate_2_to_3(data, base_dir)


# Version N -> N+1, each ``(data, folder of the file or None) -> data``. Add an entry for every format
# change; never edit an old one.
MIGRATIONS: dict[int, Callable[[dict, pathlib.Path | None], dict]] = {
    0: _migrate_0_to_1, 1: _migrate_1_to_2, 2: _migrate_2_to_3}


def project_to_data(project: Project) -> dict[str, Any]:
    """The canonical mapping written to a project file."""
    head, tail = _head_and_tail(project)
    return {**head, "nodes": [node_to_data(node) for node in sorted(project, key=lambda n: n.id)], **tail}


def _head_and_tail(project: Project) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a project file holds before its ``nodes`` and after them."""
    head: dict[str, Any] = {"format_version": FORMAT_VERSION, "name": project.name}
    settings = project.settings.model_dump(exclude_defaults=True, mode="json")
    if settings:
        head["settings"] = settings
    tail: dict[str, Any] = {}
    if project.policies:
        tail["policies"] = [policy.manifest() for policy in project.policies]
    extras = [obj for obj in project.extra_resources if not is_secret(obj)]  # never key material in a file
    if extras:
        tail["extra_resources"] = extras
    if project.tests:  # written only when there are some: older files keep their bytes
        tail["tests"] = [case.to_wire() for case in project.tests]
    return head, tail


def node_to_data(node: NodeBase) -> dict[str, Any]:
    """One node as written in a project file's ``nodes`` list."""
    body = node.model_dump(by_alias=True, exclude_none=True, mode="json")
    ordered = {"id": body.pop("id"), "kind": body.pop("kind"), "position": flow(body.pop("position"))}
    ordered.update(body)
    return ordered


def dump_project(project: Project, memo: dict[str, tuple[NodeBase, str]] | None = None) -> str:
    """The project file text (same project, same bytes).

    ``memo`` (kept by a caller that dumps one design again and again, e.g. the GUI's recovery journal)
    holds each node's text by node id, with the node it was written from: nodes are immutable, so a node
    that is the same object as last time is not dumped again. The text is the same as without it."""
    with gc_paused():
        if memo is None or not len(project):
            return dump_canonical(project_to_data(project))
        head, tail = _head_and_tail(project)
        parts = [dump_canonical(head), "nodes:\n"]
        for node in sorted(project, key=lambda n: n.id):
            known = memo.get(node.id)
            if known is None or known[0] is not node:
                # the node's lines as the writer puts them under "nodes:" (no anchors: they stand alone)
                known = memo[node.id] = (node, dump_canonical({"nodes": [node_to_data(node)]})[len("nodes:\n"):])
            parts.append(known[1])
        if len(memo) > len(project):  # nodes removed or renamed since
            for node_id in memo.keys() - {node.id for node in project}:
                del memo[node_id]
        if tail:
            parts.append(dump_canonical(tail))
        return "".join(parts)


def save_project(project: Project, path: str) -> None:
    """Write the project atomically (temporary file, fsync, rename)."""
    write_atomic(path, dump_project(project))


def parse_project(text: str, file: str = "<project>") -> Project:
    """Read project file text; errors name the file, the line and the field."""
    return _parse(text, file, keep_nodes=False)[0]


def _parse(text: str, file: str, keep_nodes: bool) -> tuple[Project, Document | None]:
    """The project, and the document read with the lines of its fields when ``keep_nodes`` (else None)."""
    canonical = read_canonical(text, file, with_lines=keep_nodes)  # a file as the writer writes it: fast
    if canonical is not None:
        kept, data = (canonical if keep_nodes else None), canonical.data
    elif keep_nodes:
        docs = list(load_documents(text, file, keep_nodes=True))
        if len(docs) != 1:
            raise InputError("expected exactly one YAML document", file=file)
        kept: Document | None = docs[0]
        data = kept.data
    else:
        kept, data = None, load_one(text, file)
    if not isinstance(data, dict):
        raise InputError("a project file holds exactly one YAML mapping", file=file)
    # Line numbers are only needed for messages: the slow reader that tracks them runs on error only.
    doc = _LazyDocument(text, file, kept)
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError("format_version is missing or not a whole number", file=file,
                         line=doc.line_of(("format_version",)), field="format_version")
    if version > FORMAT_VERSION:
        raise InputError(f"this project was saved by a newer MeshDesigner (format {version}; this version "
                         f"reads up to {FORMAT_VERSION}). Upgrade MeshDesigner to open it.", file=file,
                         line=doc.line_of(("format_version",)), field="format_version")
    migrated = version < FORMAT_VERSION
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise InputError(f"format_version {version} is not supported", file=file, field="format_version")
        try:
            data = MIGRATIONS[version](data, _folder_of(file))
        except InputError as exc:
            raise InputError(exc.message, file=file, field=exc.field) from None
        version += 1
    return _build(data, doc, migrated), kept


def _folder_of(file: str) -> pathlib.Path | None:
    """The folder of a project file (relative paths in old files were written from there), if it is a file."""
    path = pathlib.Path(file)
    return path.parent if path.is_file() else None


class _LazyDocument:
    """Finds the line of a field by re-reading the text with line tracking, only when asked."""

    def __init__(self, text: str, file: str, doc: Document | None = None) -> None:
        self.text, self.file, self.line = text, file, 1
        self._doc: Document | None = doc  # already read with its node tree

    def line_of(self, path: tuple) -> int:
        if self._doc is None:
            docs = list(load_documents(self.text, self.file))
            self._doc = docs[0] if docs else Document(None, self.file, 1)
        return self._doc.line_of(path)


def _build(data: dict, doc: _LazyDocument, migrated: bool) -> Project:
    file = doc.file

    def fail(message: str, loc: tuple, field: str | None = None) -> InputError:
        line = doc.line if migrated else doc.line_of(loc)
        return InputError(message, file=file, line=line, field=field or format_loc(loc))

    unknown = set(data) - {"format_version", "name", "settings", "nodes", "policies", "extra_resources", "tests"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail("unknown top-level key", (key,))
    name = data.get("name", "untitled")
    if not isinstance(name, str):
        raise fail("name must be text", ("name",))
    try:
        settings = ProjectSettings.model_validate(data.get("settings") or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise fail(err["msg"], ("settings", *err["loc"])) from None
    nodes = data.get("nodes") or []
    if not isinstance(nodes, list):
        raise fail("nodes must be a list", ("nodes",))
    project = Project(name=name, settings=settings)
    for i, raw in enumerate(nodes):
        try:
            node = node_from_dict(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):  # not pydantic's enum internals
                expected = ", ".join(kind.value for kind in NodeKind)
                found = f"unknown node kind {err['ctx']['tag']!r}" if err["type"] == "union_tag_invalid" \
                    else "the node has no kind"
                raise fail(f"{found} (expected one of {expected})", ("nodes", i, "kind")) from None
            loc = tuple(err["loc"])
            if loc and isinstance(loc[0], str) and loc[0] in ("ingress-gateway", "egress-gateway", "virtual-service",
                                                              "mesh-service", "external-service"):
                loc = loc[1:]  # pydantic puts the discriminator value first
            raise fail(err["msg"], ("nodes", i, *loc)) from None
        if node.id in project:
            raise fail(f"duplicate node id {node.id!r}", ("nodes", i, "id"))
        project.add_node(node)
    policies = data.get("policies") or []
    if not isinstance(policies, list):
        raise fail("policies must be a list", ("policies",))
    for i, raw in enumerate(policies):
        if not isinstance(raw, dict) or policy_type(raw.get("apiVersion"), raw.get("kind")) is None:
            raise fail("a policy must be an AuthorizationPolicy, RequestAuthentication, PeerAuthentication, "
                       "Telemetry or EnvoyFilter manifest with its apiVersion", ("policies", i))
        try:
            policy = policy_from_manifest(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise fail(err["msg"], ("policies", i, *err["loc"])) from None
        if project.policy(policy.ref) is not None:
            raise fail(f"duplicate resource {policy.ref}", ("policies", i, "metadata"))
        project.add_policy(policy)
    extras = data.get("extra_resources") or []
    if not isinstance(extras, list) or not all(isinstance(e, dict) for e in extras):
        raise fail("extra_resources must be a list of mappings", ("extra_resources",))
    for i, extra in enumerate(extras):
        problem = verbatim_problem(extra)
        if problem:
            field, message = problem
            raise fail(message, ("extra_resources", i, *field))
    project.set_extra_resources(extras)
    project.set_tests(_tests(data, doc, migrated))
    return project


def _tests(data: dict, lazy: _LazyDocument, migrated: bool) -> list:
    """The ``tests:`` section; errors name the line of the field (read with line tracking on error only)."""
    raw = data.get("tests") or []
    if not raw:
        return []  # (the route-test model, a schema of its own, is loaded only for a project that has tests)
    from .route_test_files import cases_from_list

    try:
        return [loaded.case for loaded in cases_from_list(raw, Document(None, lazy.file, 1), ("tests",))]
    except InputError:
        if migrated:
            raise
        lazy.line_of(())  # builds the line-tracked document
        return [loaded.case for loaded in cases_from_list(raw, lazy._doc, ("tests",))]


def load_project(path: str) -> Project:
    """Open a project file (raises :class:`InputError` with file, line and field)."""
    with gc_paused():
        return parse_project(read_text(path), path)


def load_project_document(path: str) -> tuple[Project, Document]:
    """Open a project file and keep a document that knows the line of every field (``validate`` points
    its diagnostics at them): one read instead of reading the file again."""
    with gc_paused():
        project, doc = _parse(read_text(path), path, keep_nodes=True)
    assert doc is not None
    return project, doc
