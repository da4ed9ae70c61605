"""Model -> Kubernetes/Istio manifest dicts -> YAML files. Pure and deterministic."""

from __future__ import annotations

import re

from ...io.errors import InputError
from ...io.manifests import is_secret
from ...model import Project, Resource
from ...model.names import name_problem, namespace_problem
from .yaml_text import dump_each

API_VERSIONS = ("v1", "v1beta1", "v1alpha3")
# Kinds in the order kubectl should see them: what others refer to first.
KIND_ORDER = ("Service", "ServiceEntry", "DestinationRule", "Gateway", "VirtualService")
ALL_IN_ONE = "istio.yaml"


def api_version_for(resource: Resource, istio_version: str) -> str:
    return f"{resource.API_GROUP}/{istio_version}" if resource.API_GROUP else "v1"


def project_manifests(project: Project, api_version: str = "v1") -> list[dict]:
    """Every exported manifest, sorted by kind order, namespace and name; other kinds last, verbatim."""
    if api_version not in API_VERSIONS:
        raise ValueError(f"api version must be one of {', '.join(API_VERSIONS)}")
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    resources = [r for node in project for r in node.resources()]
    resources.sort(key=lambda r: (order.get(r.KIND, len(order)), r.namespace, r.name))
    out = [r.manifest(api_version_for(r, api_version)) for r in resources]
    out += [policy.manifest() for policy in project.policies]  # in the apiVersion each was written in
    extras = sorted((obj for obj in project.extra_resources if not is_secret(obj)),  # --with-secrets only
                    key=lambda d: (str(d.get("kind")), str(d["metadata"].get("namespace")), d["metadata"]["name"]))
    return out + extras


_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")


def resource_filename(manifest: dict) -> str:
    """``resources/<namespace>.<kind>.<name>.yaml`` (lower-case kind), built only from names that
    Kubernetes accepts (so never ``..``, ``/``, spaces or control characters); others raise
    :class:`InputError` and nothing is exported."""
    md = manifest["metadata"]
    kind, namespace, name = manifest["kind"], md.get("namespace", "default"), md["name"]
    where = f"{kind} {namespace!r}/{name!r}"
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise InputError(f"cannot export {where}: the kind is not a Kubernetes kind name", field="kind")
    reason = namespace_problem(namespace)
    if reason:
        raise InputError(f"cannot export {where}: the namespace {reason}", field="metadata.namespace")
    reason = name_problem(kind, name)
    if reason:
        raise InputError(f"cannot export {where}: the name {reason}", field="metadata.name")
    return f"resources/{namespace}.{kind.lower()}.{name}.yaml"


def export_files(project: Project, api_version: str = "v1") -> dict[str, str]:
    """Relative path -> file text: the all-in-one ``istio.yaml`` and one file per resource.

    ``kubectl apply -f DIR`` reads ``istio.yaml`` (folders are not entered without ``-R``).
    """
    manifests = project_manifests(project, api_version)
    # Each manifest is written once: the all-in-one file is the per-resource texts, each after "---"
    # (what ``dump_all`` writes for mapping documents). Writing everything twice made the export twice as slow.
    names = [resource_filename(manifest) for manifest in manifests]  # a bad name refuses before any work
    alone = dump_each(manifests)  # the texts dump_documents writes, most of them written directly
    texts = list(zip(names, alone, strict=True))
    files = {ALL_IN_ONE: "".join("---\n" + text for _name, text in texts)}
    for name, text in texts:
        files[name] = text
    return files
