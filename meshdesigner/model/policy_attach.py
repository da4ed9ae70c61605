"""Which security, telemetry and EnvoyFilter resources apply to a gateway workload, as istiod decides.

A gateway workload is the pods a Gateway's ``selector`` picks, in the namespace where they run
(:func:`~meshdesigner.model.function_targets.workload_namespace`). istiod looks in two namespaces,
the mesh root namespace (``istio-system`` unless the project's ``root_namespace`` says otherwise) and
the workload's own (``AuthorizationPolicies.ListAuthorizationPolicies``, ``getConfigsForWorkload`` in
``pilot/pkg/model/authentication.go``, ``PushContext.getMatchedEnvoyFilters``, ``Telemetries``), and
attaches a resource with ``WorkloadPolicyMatcher.ShouldAttachPolicy``
(``pilot/pkg/model/policyattachment.go``):

* for a workload that is not a Gateway API gateway (no ``gateway.networking.k8s.io/gateway-name``
  label, so every Istio ``Gateway``'s pods): a resource with ``targetRef``/``targetRefs`` is ignored
  altogether; otherwise it applies when it has no selector (namespace-wide, or mesh-wide in the root
  namespace) or its ``matchLabels`` are a subset of the workload's labels;
* for a Gateway API gateway's pods: ``targetRef(s)`` to ``gateway.networking.k8s.io/Gateway`` of that
  name in the policy's own namespace (the workload's); a policy without targetRefs falls back to its
  selector, because ``ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY`` (``pilot/pkg/features/pilot.go``)
  defaults to true;
* PeerAuthentication always goes by selector (``getConfigsForWorkload``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .security import PeerAuthentication, PolicyResource

DEFAULT_ROOT_NAMESPACE = "istio-system"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
K8S_GATEWAY_GROUP = "gateway.networking.k8s.io"


def selected(policy: PolicyResource, labels: dict[str, str]) -> bool:
    """``WorkloadPolicyMatcher.isSelected``: no selector, or matchLabels a subset of ``labels``."""
    selector = policy.selector_labels
    return selector is None or all(labels.get(k) == v for k, v in selector.items())


def should_attach(policy: PolicyResource, labels: dict[str, str], namespace: str) -> bool:
    """istiod's ``ShouldAttachPolicy`` for a gateway workload (``labels`` in ``namespace``)."""
    if isinstance(policy, PeerAuthentication):
        return selected(policy, labels)
    refs = policy.target_refs
    gateway_name = labels.get(GATEWAY_NAME_LABEL)
    if gateway_name is None:
        return not refs and selected(policy, labels)
    if not refs:
        # features.EnableSelectorBasedK8sGatewayPolicy (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY) is
        # true by default: a Gateway API gateway's pods take selector and namespace/mesh-wide policies.
        return selected(policy, labels)
    if policy.namespace != namespace:
        return False
    return any((ref.namespace in (None, "", namespace)) and (ref.group or "") == K8S_GATEWAY_GROUP
               and ref.kind == "Gateway" and ref.name == gateway_name for ref in refs)


def policies_for_workload(policies: Iterable[PolicyResource], labels: dict[str, str], namespace: str,
                          root_namespace: str = DEFAULT_ROOT_NAMESPACE) -> list[PolicyResource]:
    """The resources that apply to the workload, root namespace first then the workload's, each in
    name order (istiod lists a namespace's configs sorted by creation time, then name; a design has no
    creation times)."""
    order = [root_namespace] if root_namespace == namespace else [root_namespace, namespace]
    out: list[PolicyResource] = []
    for ns in order:
        candidates = sorted((p for p in policies if p.namespace == ns), key=lambda p: (p.KIND, p.name))
        out += [p for p in candidates if should_attach(p, labels, namespace)]
    return out


def attachment_scope(policy: PolicyResource, root_namespace: str = DEFAULT_ROOT_NAMESPACE) -> str:
    """How a resource attaches, in words for panels: ``mesh-wide``, ``namespace-wide`` or ``selector``."""
    if policy.target_refs:
        return "targetRef"
    if policy.selector_labels is None or (not policy.selector_labels and not isinstance(policy, PeerAuthentication)):
        return "mesh-wide" if policy.namespace == root_namespace else "namespace-wide"
    return "selector"
