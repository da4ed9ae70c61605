"""Names and namespaces as Kubernetes accepts them (MD1201, MD1202), for every kind of the design.

The API server refuses an object whose name or namespace breaks its kind's rule
(k8s.io/apimachinery ValidateObjectMeta with the kind's name validator: NameIsDNS1035Label for
Services, NameIsDNSSubdomain for custom resources such as Istio's, ValidateNamespaceName for
namespaces), so such a design cannot be applied; the export also builds file names from these names.
A Gateway's own name has the stricter MD0101.
"""

from __future__ import annotations

from ...model.names import name_problem, namespace_problem
from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, rule

INVALID_NAME = register(MessageType(
    "MD1201", "InvalidResourceName", ERROR, template="{kind} name {name!r} is not valid: {reason}",
    explain="""Kubernetes refuses an object whose metadata.name breaks its kind's rule: a Service name is a
    DNS-1035 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters);
    Istio resources and most other kinds need a DNS-1123 subdomain (lower-case letters, digits, '-' and '.',
    at most 253 characters). `kubectl apply` would fail, so the export refuses it. Rename the resource.""",
    istio=None))
INVALID_NAMESPACE = register(MessageType(
    "MD1202", "InvalidNamespace", ERROR, template="namespace {namespace!r} is not valid: {reason}",
    explain="""A namespace name is a DNS-1123 label: lower-case letters, digits and '-', starting and ending
    with a letter or digit, at most 63 characters. Kubernetes refuses objects in any other namespace, so the
    export refuses it. Use a valid namespace.""",
    istio=None))


def _problems(ref: ResourceRef, kind: str, name, namespace, check_name: bool = True):
    reason = namespace_problem(namespace)
    if reason:
        yield INVALID_NAMESPACE.at(ref, "metadata.namespace", namespace=namespace, reason=reason)
    reason = name_problem(kind, name) if check_name else None
    if reason:
        yield INVALID_NAME.at(ref, "metadata.name", kind=kind, name=name, reason=reason)


@rule("names.resources", codes=("MD1201", "MD1202"))
def resource_names(ctx, node):
    for res in node.held_resources():
        meta = res.metadata
        check_name = res.KIND != "Gateway"
        # most names are fine: the reference and the generator are made only for those that are not
        if namespace_problem(meta.namespace) or (check_name and name_problem(res.KIND, meta.name)):
            yield from _problems(res.ref, res.KIND, meta.name, meta.namespace, check_name=check_name)


@rule("names.other_resources", codes=("MD1201", "MD1202"), scope=DESIGN)
def other_resource_names(ctx):
    for policy in ctx.project.policies:  # the security resources (AuthorizationPolicy, ...)
        yield from _problems(policy.ref, policy.KIND, policy.name, policy.namespace)
    for obj in ctx.project.extra_resources:
        meta = obj.get("metadata") or {}
        kind, name, namespace = str(obj.get("kind")), meta.get("name"), meta.get("namespace", "default")
        yield from _problems(ResourceRef(kind, str(namespace), str(name)), kind, name, namespace)
