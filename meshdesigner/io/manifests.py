"""Reading Kubernetes manifests: files and folders, multi-document YAML, ``kind: List``, and
``kubectl get -o yaml`` output, into typed resources with their source file and line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..model import DestinationRule, Gateway, KubeService, Resource, ServiceEntry, VirtualService
from ..model.meta import DEFAULT_NAMESPACE, clean_metadata
from ..model.security import policy_from_manifest, policy_type
from .atomic import EXPORT_INDEX, LEGACY_EXPORT_INDEX
from .errors import InputError
from .yamlio import Document, load_documents, read_text

ISTIO_API_VERSIONS = ("v1", "v1beta1", "v1alpha3")
RESOURCE_TYPES: dict[str, type[Resource]] = {
    cls.KIND: cls for cls in (Gateway, VirtualService, DestinationRule, ServiceEntry, KubeService)
}
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
LIVE_OBJECT_FIELDS = ("status",)
_NOT_MODEL_FIELDS = frozenset({"apiVersion", "kind", *LIVE_OBJECT_FIELDS})


@dataclass
class SourceRef:
    """Where a resource was read from; ``document`` can find the line of any field."""

    file: str
    line: int
    document: Document | None = None
    item_path: tuple[str | int, ...] = ()

    def line_of(self, path: tuple[str | int, ...]) -> int:
        if self.document is None:
            return self.line
        return self.document.line_of(self.item_path + path)


@dataclass(frozen=True)
class RejectedObject:
    """An Istio object the model cannot hold (read leniently, e.g. by ``validate``): the reason, with the
    object's file, line and field, and the object's kind, namespace and name."""

    kind: str
    namespace: str
    name: str
    error: InputError


@dataclass
class ManifestSet:
    """What a set of manifest files holds: typed resources and other kinds kept verbatim."""

    resources: list[Resource] = field(default_factory=list)
    others: list[dict] = field(default_factory=list)
    secrets: list[dict] = field(default_factory=list)  # Secrets without their values (see secret_reference)
    rejected: list[RejectedObject] = field(default_factory=list)  # only when read with lenient=True
    sources: dict[tuple[str, str, str], SourceRef] = field(default_factory=dict)


def format_loc(loc: Iterable[Any]) -> str:
    """``('spec', 'http', 0, 'route')`` -> ``spec.http[0].route``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


EXPORT_MANIFEST = "istio.yaml"  # the one file of a MeshDesigner export folder holding every resource


def is_export_folder(path: str) -> bool:
    """A folder ``meshdesigner export`` wrote (it holds the export index next to ``istio.yaml``)."""
    return os.path.isfile(os.path.join(path, EXPORT_MANIFEST)) and any(
        os.path.isfile(os.path.join(path, index)) for index in (EXPORT_INDEX, LEGACY_EXPORT_INDEX))


def manifest_files(paths: Iterable[str]) -> list[str]:
    """The manifest files named by ``paths`` (folders are walked, sorted, hidden entries skipped).

    Of a MeshDesigner export folder only ``istio.yaml`` is read: ``resources/`` repeats the same
    resources one per file and ``envoy/`` holds Envoy configs, not Kubernetes objects.
    A folder without any manifest file is an error (an empty design would pass every check).
    """
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            if is_export_folder(path):
                files.append(os.path.join(path, EXPORT_MANIFEST))
                continue
            found: list[str] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, n) for n in sorted(names)
                             if n.endswith(MANIFEST_SUFFIXES) and not n.startswith("."))
            if not found:
                raise InputError(f"no manifest files (*.yaml, *.yml, *.json) under {path}")
            files.extend(found)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise InputError("no such file or folder", file=path)
    return files


def _items(doc: Document) -> Iterable[tuple[dict, tuple[str | int, ...]]]:
    """The objects of a document with their paths in it: the document itself, or a List's items."""
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(f"expected a Kubernetes object (a mapping), found {type(data).__name__}",
                         file=doc.file, line=doc.line)
    if data.get("kind") == "List" or (str(data.get("kind", "")).endswith("List") and "items" in data):
        return _list_items(doc, data)
    return ((data, ()),)


def _list_items(doc: Document, data: dict) -> Iterable[tuple[dict, tuple[str | int, ...]]]:
    for i, item in enumerate(data.get("items") or []):
        if not isinstance(item, dict):
            raise InputError("a List item is not a mapping", file=doc.file, line=doc.line_of(("items", i)))
        yield item, ("items", i)


def verbatim_problem(obj: dict) -> tuple[tuple[str, ...], str] | None:
    """What a resource kept verbatim lacks to be exported (field path, message), or None."""
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            return (key,), f"{key} is missing or not text"
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return ("metadata",), "metadata is missing or not a mapping"
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return ("metadata", "name"), "metadata.name is missing or not text"
    if not isinstance(metadata.get("namespace", ""), str):
        return ("metadata", "namespace"), "metadata.namespace is not text"
    return None


def parse_resource(obj: dict, source: SourceRef, default_namespace: str = DEFAULT_NAMESPACE
                   ) -> Resource | dict:
    """One manifest object to a typed resource (known kinds) or a cleaned verbatim dict (other kinds)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError("the object has no kind", file=source.file, line=source.line)
    if not isinstance(api_version, str) or not api_version:
        raise InputError(f"the {kind} has no apiVersion", file=source.file, line=source.line)
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise InputError(f"the {kind} has no metadata.name", file=source.file,
                         line=source.line_of(("metadata",)))
    if not isinstance(metadata.get("namespace", ""), str):
        raise InputError(f"the {kind}'s metadata.namespace is not text", file=source.file,
                         line=source.line_of(("metadata", "namespace")), field="metadata.namespace")
    meta = clean_metadata(metadata)
    meta.setdefault("namespace", default_namespace)
    is_policy = policy_type(api_version, kind) is not None
    cls = RESOURCE_TYPES.get(kind)
    group, _, version = api_version.rpartition("/")
    if is_policy or cls is None or group != cls.API_GROUP or (not cls.API_GROUP and api_version != "v1"):
        body = {k: v for k, v in obj.items() if k not in LIVE_OBJECT_FIELDS}
        body["metadata"] = meta
        if is_policy:
            _check_policy(body, source)
        # a security/telemetry/EnvoyFilter resource (the importer makes it a design policy), or another kind
        # (or another API group's kind of the same name): kept verbatim
        return body
    if cls.API_GROUP and version not in ISTIO_API_VERSIONS:
        raise InputError(f"unknown apiVersion {api_version!r} for {kind} "
                         f"(MeshDesigner reads {', '.join(cls.API_GROUP + '/' + v for v in ISTIO_API_VERSIONS)})",
                         file=source.file, line=source.line_of(("apiVersion",)),
                         resource=f"{kind} {meta['namespace']}/{metadata['name']}")
    # the typed model's fields: the object without apiVersion, kind and the live object's fields
    fields = {k: v for k, v in obj.items() if k not in _NOT_MODEL_FIELDS}
    fields["metadata"] = meta
    try:
        return cls.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise InputError(f"{err['msg']}{more}", file=source.file, line=source.line_of(loc),
                         field=format_loc(loc),
                         resource=f"{kind} {meta['namespace']}/{metadata['name']}") from None


def _check_policy(body: dict, source: SourceRef) -> None:
    """A policy manifest must have the shape Istio's CRD gives it (lists where lists go, and so on)."""
    try:
        policy_from_manifest(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise InputError(err["msg"], file=source.file, line=source.line_of(loc), field=format_loc(loc),
                         resource=f"{body['kind']} {body['metadata']['namespace']}/{body['metadata']['name']}") from None


def read_manifests(paths: Iterable[str], default_namespace: str = DEFAULT_NAMESPACE,
                   progress: Callable[[int, int, str], None] | None = None,
                   keep_nodes: bool = True, lenient: bool = False) -> ManifestSet:
    """Read every manifest under ``paths``. Raises :class:`InputError` on the first bad input, except, with
    ``lenient``, for an Istio object the model cannot hold: that one is set aside in ``rejected`` (with its
    file, line and field) and the rest of the file is still read."""
    files = manifest_files(paths)
    result = ManifestSet()
    seen: dict[tuple[str, str, str], tuple[SourceRef, Resource | dict]] = {}
    for index, file in enumerate(files):
        if progress:
            progress(index, len(files), file)
        seen_before = dict(seen)
        try:
            _read_file(file, default_namespace, keep_nodes, seen, result, lenient)
        except InputError:
            if keep_nodes:
                raise
            # Errors name the line of the bad field: read this file again with line tracking,
            # which raises the same error with the line of the field.
            _read_file(file, default_namespace, True, seen_before, ManifestSet())
            raise
    if progress:
        progress(len(files), len(files), "")
    return result


def _read_file(file: str, default_namespace: str, keep_nodes: bool,
               seen: dict[tuple[str, str, str], tuple[SourceRef, Resource | dict]], result: ManifestSet,
               lenient: bool = False) -> None:
    text = read_text(file)
    for doc in load_documents(text, file, keep_nodes=keep_nodes):
        for obj, item_path in _items(doc):
            # Without node trees a List item starts at its List's line until a message asks for a field.
            line = doc.line_of(item_path) if item_path and keep_nodes else doc.line
            source = SourceRef(file, line, doc, item_path)
            try:
                parsed = parse_resource(obj, source, default_namespace)
            except InputError as exc:
                if not lenient or exc.resource is None:
                    raise  # not even a named object of a known kind: the file cannot be read
                md = obj["metadata"]
                result.rejected.append(RejectedObject(str(obj["kind"]), str(md.get("namespace") or default_namespace),
                                                      str(md["name"]), exc))
                continue
            if isinstance(parsed, Resource):
                key = tuple(parsed.ref)
            else:
                md = parsed["metadata"]
                key = (f"{parsed['apiVersion']}/{parsed['kind']}", md["namespace"], md["name"])
            if key in seen:
                first, first_parsed = seen[key]
                if _same_content(first_parsed, parsed):
                    continue  # the same resource twice (e.g. a combined file and one file each): harmless
                raise InputError(f"duplicate resource: {key[0]} {key[1]}/{key[2]} is also defined, with "
                                 f"other content, at {first.file}:{first.line}", file=file, line=line)
            seen[key] = (source, parsed)
            if isinstance(parsed, Resource):
                result.resources.append(parsed)
                result.sources[key] = source
            elif is_secret(parsed):
                result.secrets.append(secret_reference(parsed))
            else:
                result.others.append(parsed)
        if not keep_nodes:
            # The sources keep the document only to find lines again (from its text); its data is now
            # held by the resources built from it. Holding both doubled a large file's memory.
            doc.data = None


def is_secret(obj: dict) -> bool:
    return obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def secret_reference(secret: dict) -> dict:
    """What a design may know of a Secret: its metadata, type and the names of its data keys, never the
    values (a project file or an export must not carry key material). Annotations go too: kubectl's
    last-applied-configuration and others can repeat the data."""
    metadata = {k: v for k, v in secret["metadata"].items() if k in ("name", "namespace", "labels")}
    keys = sorted({key for field in ("data", "stringData") if isinstance(secret.get(field), dict)
                   for key in secret[field]}, key=str)
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata,
            "type": secret.get("type", "Opaque"), "dataKeys": [str(k) for k in keys]}


def _same_content(first: Resource | dict, second: Resource | dict) -> bool:
    if isinstance(first, Resource) and isinstance(second, Resource):
        return type(first) is type(second) and first.to_wire() == second.to_wire()
    return first == second
