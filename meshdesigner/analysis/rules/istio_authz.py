"""Istio's AuthorizationPolicy analyzer (MD1009, MD1010), ported from istio/istio
``pkg/config/analysis/analyzers/authz/authorizationpolicies.go`` (AuthorizationPoliciesAnalyzer):

* MD1009 (IST0127, analyzeNoMatchingWorkloads): in the root namespace (meshWidePolicy: the rootNamespace of
  the input's mesh config, else the project's root_namespace, istio-system by default) only a policy with a
  selector is checked, against in-mesh pods of every namespace; elsewhere a
  policy without selector needs an in-mesh pod in its namespace, one with a selector a matching in-mesh pod
  there. In-mesh: util.PodInMesh (istio-proxy container, sidecar.istio.io/inject, namespace istio-injection).
  Runs only when the input holds Pods.
* MD1010 (IST0101 namespace, analyzeNamespaceNotFound): every ``rules[].from[].source.namespaces`` and
  ``notNamespaces`` entry must match a Namespace of the input (``*``, ``prefix*``, ``*suffix`` or the name,
  case-insensitive). Runs only when the input holds Namespaces.

The policies are read in their wire form, whether the project holds them as resources or verbatim.
"""

from __future__ import annotations

from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule

NO_MATCHING_WORKLOADS = register(MessageType(
    "MD1009", "NoMatchingWorkloadsFound", WARNING,
    template="No matching workloads for this resource with the following labels: {labels}",
    explain="The input holds Pods, and no in-mesh pod is selected by this AuthorizationPolicy (its selector, "
            "or its namespace when it has none), so it applies to nothing (authz/authorizationpolicies.go, "
            "IST0127). Fix the selector or the namespace.",
    istio="IST0127"))
NAMESPACE_NOT_FOUND = register(MessageType(
    "MD1010", "AuthorizationNamespaceNotFound", ERROR,
    template="Referenced namespace not found: {namespace!r}",
    explain="The input holds Namespaces, and none matches this source.namespaces / notNamespaces entry, so "
            "the rule can never match a request (authz/authorizationpolicies.go analyzeNamespaceNotFound, "
            "IST0101). Fix the namespace name.",
    istio="IST0101"))


def authorization_policies(ctx) -> list[dict]:
    """Every AuthorizationPolicy in wire form: typed design policies and any kept verbatim."""
    return ctx.istio_objects("AuthorizationPolicy")


def _ref(policy: dict) -> ResourceRef:
    md = policy.get("metadata") or {}
    return ResourceRef("AuthorizationPolicy", str(md.get("namespace") or "default"), str(md.get("name") or ""))


def _selector(policy: dict) -> dict[str, str] | None:
    spec = policy.get("spec") or {}
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


@rule("istio.authz_no_matching_workloads", codes=("MD1009",), scope=DESIGN)
def authz_no_matching_workloads(ctx):
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    in_mesh = [p for p in cluster.pods if cluster.in_mesh(p)]
    root_namespace = ctx.root_namespace  # meshWidePolicy: the mesh config's rootNamespace
    for policy in authorization_policies(ctx):
        ref = _ref(policy)
        selector = _selector(policy)
        if ref.namespace == root_namespace:
            candidates = in_mesh
            if selector is None:
                continue
        else:
            candidates = [p for p in in_mesh if p.namespace == ref.namespace]
        want = selector or {}
        if not any(all(p.labels.get(k) == v for k, v in want.items()) for p in candidates):
            labels = ",".join(f"{k}={v}" for k, v in sorted(want.items()))
            yield NO_MATCHING_WORKLOADS.at(ref, "spec.selector" if selector is not None else "metadata.namespace",
                                           labels=labels)


def namespace_match(namespace: str, expression: str) -> bool:
    """authorizationpolicies.go namespaceMatch."""
    if expression == "*":
        return True
    if expression.startswith("*"):
        return namespace.endswith(expression[1:])
    if expression.endswith("*"):
        return namespace.startswith(expression[:-1])
    return namespace.lower() == expression.lower()


@rule("istio.authz_namespace_not_found", codes=("MD1010",), scope=DESIGN)
def authz_namespace_not_found(ctx):
    cluster = ctx.cluster
    if not cluster.has_namespaces:
        return
    for policy in authorization_policies(ctx):
        ref = _ref(policy)
        for i, rule_ in enumerate((policy.get("spec") or {}).get("rules") or []):
            for j, from_ in enumerate((rule_ or {}).get("from") or []):
                source = (from_ or {}).get("source") or {}
                for field in ("namespaces", "notNamespaces"):
                    for k, expression in enumerate(source.get(field) or []):
                        if not any(namespace_match(ns, str(expression)) for ns in cluster.namespaces):
                            yield NAMESPACE_NOT_FOUND.at(ref, f"spec.rules[{i}].from[{j}].source.{field}[{k}]",
                                                         namespace=str(expression))
