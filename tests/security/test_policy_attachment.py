"""Which policies attach to a gateway workload: expectations written by hand from istiod's
``WorkloadPolicyMatcher.ShouldAttachPolicy`` (``pilot/pkg/model/policyattachment.go``), the namespaces
it looks in (``ListAuthorizationPolicies`` in ``authorization.go``: the root namespace and the
workload's) and ``features.EnableSelectorBasedK8sGatewayPolicy`` (default true, ``pilot.go``).

* no selector: every workload of the namespace; in the root namespace every workload of the mesh;
* ``selector.matchLabels``: a subset of the workload's labels, in the policy's namespace (or mesh-wide
  from the root namespace);
* ``targetRef``/``targetRefs``: ignored altogether by a workload that is not a Gateway API gateway (an
  Istio ``Gateway``'s pods); a Gateway API gateway's pods (label
  ``gateway.networking.k8s.io/gateway-name``) take a reference to ``gateway.networking.k8s.io`` kind
  ``Gateway`` of their name, from a policy in their own namespace; without targetRefs they fall back to
  the selector;
* the root namespace is the project's setting.
"""

from __future__ import annotations

import pytest

from meshdesigner.model.policy_attach import policies_for_workload, should_attach
from meshdesigner.model.security import policy_from_manifest

INGRESS = {"istio": "ingressgateway", "app": "istio-ingressgateway"}
K8S_GW = {"gateway.networking.k8s.io/gateway-name": "web", "istio.io/gateway-name": "web"}


def policy(namespace: str, spec: dict, kind: str = "AuthorizationPolicy", name: str = "p") -> object:
    group = {"EnvoyFilter": "networking.istio.io/v1alpha3", "Telemetry": "telemetry.istio.io/v1"}.get(
        kind, "security.istio.io/v1")
    return policy_from_manifest({"apiVersion": group, "kind": kind,
                                 "metadata": {"name": name, "namespace": namespace}, "spec": spec})


@pytest.mark.parametrize("kind", ["AuthorizationPolicy", "RequestAuthentication", "Telemetry"])
@pytest.mark.parametrize(("policy_ns", "spec", "labels", "workload_ns", "attaches"), [
    # namespace-wide: no selector, same namespace only
    ("edge", {}, INGRESS, "edge", True),
    ("shop", {}, INGRESS, "edge", False),
    # selector within the namespace: matchLabels must be a subset of the pod labels
    ("edge", {"selector": {"matchLabels": {"istio": "ingressgateway"}}}, INGRESS, "edge", True),
    ("edge", {"selector": {"matchLabels": {"istio": "egressgateway"}}}, INGRESS, "edge", False),
    ("edge", {"selector": {"matchLabels": {"istio": "ingressgateway", "x": "y"}}}, INGRESS, "edge", False),
    ("shop", {"selector": {"matchLabels": {"istio": "ingressgateway"}}}, INGRESS, "edge", False),
    # targetRefs: ignored by an Istio Gateway's pods, whatever they name
    ("edge", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}]},
     INGRESS, "edge", False),
    ("edge", {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}},
     INGRESS, "edge", False),
    # a Gateway API gateway's pods: targetRef(s) to their Gateway in the same namespace
    ("edge", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}]},
     K8S_GW, "edge", True),
    ("edge", {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}},
     K8S_GW, "edge", True),
    ("edge", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other"},
                             {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}]},
     K8S_GW, "edge", True),
    ("edge", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other"}]},
     K8S_GW, "edge", False),
    ("shop", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}]},
     K8S_GW, "edge", False),
    ("edge", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web",
                              "namespace": "shop"}]}, K8S_GW, "edge", False),
    ("edge", {"targetRefs": [{"group": "", "kind": "Service", "name": "web"}]}, K8S_GW, "edge", False),
    # ... and, ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY being true by default, selectors and
    # namespace-wide policies too
    ("edge", {"selector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "web"}}},
     K8S_GW, "edge", True),
    ("edge", {}, K8S_GW, "edge", True),
    ("edge", {"selector": {"matchLabels": {"istio": "ingressgateway"}}}, K8S_GW, "edge", False),
])
def test_attaches(kind, policy_ns, spec, labels, workload_ns, attaches):
    # The namespaces istiod looks in (root and the workload's), then ShouldAttachPolicy.
    assert bool(policies_for_workload([policy(policy_ns, spec, kind)], labels, workload_ns)) is attaches


def test_peer_authentication_goes_by_selector_only():
    # getConfigsForWorkload (authentication.go): PeerAuthentication is matched by its selector alone.
    pa = policy("edge", {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "mtls": {"mode": "STRICT"}},
                kind="PeerAuthentication")
    assert should_attach(pa, INGRESS, "edge")
    assert should_attach(pa, dict(INGRESS, **K8S_GW), "edge")
    assert not should_attach(pa, {"istio": "egressgateway"}, "edge")


def names(policies) -> list[str]:
    return [f"{p.namespace}/{p.name}" for p in policies]


def test_mesh_wide_from_the_root_namespace_and_the_project_setting():
    design = [
        policy("istio-system", {}, name="mesh-wide"),
        policy("istio-system", {"selector": {"matchLabels": {"istio": "ingressgateway"}}}, name="root-selects"),
        policy("istio-system", {"selector": {"matchLabels": {"istio": "egressgateway"}}}, name="root-other"),
        policy("mesh-root", {}, name="custom-root"),
        policy("edge", {}, name="ns-wide"),
        policy("shop", {}, name="elsewhere"),
    ]
    # Default root namespace istio-system: its unselective and matching policies apply everywhere;
    # mesh-root is an ordinary namespace.
    assert names(policies_for_workload(design, INGRESS, "edge")) == [
        "istio-system/mesh-wide", "istio-system/root-selects", "edge/ns-wide"]
    # The project says the root namespace is mesh-root: istio-system becomes ordinary.
    assert names(policies_for_workload(design, INGRESS, "edge", root_namespace="mesh-root")) == [
        "mesh-root/custom-root", "edge/ns-wide"]
    # A workload running in the root namespace itself.
    assert names(policies_for_workload(design, INGRESS, "istio-system")) == [
        "istio-system/mesh-wide", "istio-system/root-selects"]


def test_project_root_namespace_reaches_the_gateways_security(tmp_path):
    from meshdesigner.compile.security import security_plan
    from meshdesigner.io.importer import import_manifests

    path = tmp_path / "design.yaml"
    path.write_text("""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: front, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["a.example.com"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: mesh-root}
spec:
  action: DENY
  rules: [{}]
""")
    project = import_manifests([path]).project
    gateway = next(n for n in project.nodes.values() if getattr(n, "gateway", None) is not None)
    assert names(security_plan(project, gateway).policies) == []
    project.set_settings(project.settings.model_copy(update={"root_namespace": "mesh-root"}))
    assert names(security_plan(project, gateway).policies) == ["mesh-root/deny-all"]
