"""Istio's analyzers that read the cluster objects around a design (MD1004-MD1007), ported from istio/istio
``pkg/config/analysis/analyzers``. They run only when the input holds objects of the kind they need (see
:mod:`meshdesigner.analysis.cluster`): without Pods nothing is said about selectors, without Secrets nothing
about credentialName Secrets (MD0602 then says, at info level, that no local copy was found).

* MD1004 (IST0101 selector): ``gateway/secret.go`` SecretAnalyzer / ``getGatewayNamespace`` and
  ``gateway/conflictinggateway.go``: a Gateway whose selector matches no Pod of the input.
* MD1005 (IST0101 credentialName): ``gateway/secret.go`` SecretAnalyzer: the Secret named by a server's
  ``credentialName`` is not in the namespace of the first Pod the Gateway selects (``ns/name`` names another).
* MD1006 (IST0161): the same analyzer's ``isValidSecret`` -> ``kube.ExtractCertInfo``: the Secret has neither
  ``cert``+``key`` nor ``tls.crt``+``tls.key``. (The certificate's content is not checked: values never enter
  a project.)
* MD1007 (IST0173): ``destinationrule/subset.go`` PodNotSelectedAnalyzer: a subset whose labels (merged with a
  ServiceEntry's workloadSelector) select no Pod of the input, the pods' labels augmented as istiod does
  (label.AugmentLabels: the region/zone/subzone of the pod's Node when the input holds it, its hostname).
(MD0413/IST0145 through pods, the Pod half of ConflictingGatewayAnalyzer, is in ``conflicts.py``.)
"""

from __future__ import annotations

from ...model.nodes import ExternalServiceNode, GatewayNode
from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, GATEWAY_KINDS, rule

SELECTOR_NO_PODS = register(MessageType(
    "MD1004", "GatewaySelectorMatchesNoPod", ERROR,
    template="Referenced selector not found: {selector!r}",
    explain="The input holds Pods, and none carries every label of this Gateway's selector, so no gateway "
            "workload serves it (gateway/secret.go SecretAnalyzer, IST0101). Fix the selector or the pod labels; "
            "when the gateway's pods are not part of the input, leave the Pods out (then nothing is guessed).",
    istio="IST0101"))
CREDENTIAL_SECRET_MISSING = register(MessageType(
    "MD1005", "CredentialSecretNotFound", ERROR,
    template="Referenced credentialName not found: {name!r} (no Secret {namespace}/{secret} in the input)",
    explain="The input holds Secrets, and none is the Secret this server's credentialName names in the "
            "namespace of the gateway's pods, where istiod reads it (gateway/secret.go SecretAnalyzer, "
            "IST0101); the server then has no certificate and TLS handshakes fail. Create the Secret in that "
            "namespace or fix the name. With no Secret in the input this is not checked (MD0602 at info level).",
    istio="IST0101"))
CREDENTIAL_SECRET_INVALID = register(MessageType(
    "MD1006", "InvalidGatewayCredential", ERROR,
    template="The credential referenced by the Gateway {gateway} in namespace {namespace} is invalid, which can "
             "cause the traffic not to work as expected. (Secret {secret} has keys {keys}; istiod needs "
             "tls.crt and tls.key, or cert and key)",
    explain="istiod reads a gateway certificate from a Secret's tls.crt+tls.key (or cert+key) keys "
            "(kube.ExtractCertInfo); this Secret has neither pair (gateway/secret.go isValidSecret, IST0161). "
            "Only the key names are checked: a project never holds the Secret's values.",
    istio="IST0161"))
SUBSET_SELECTS_NO_POD = register(MessageType(
    "MD1007", "DestinationRuleSubsetNotSelectPods", ERROR,
    template="The Subset {subset} defined in the DestinationRule does not select any pods. Which may lead to "
             "503 UH (NoHealthyUpstream).",
    explain="The input holds Pods, and none carries every label of this subset (with the ServiceEntry's "
            "workloadSelector labels), so a route to the subset has no endpoint and Envoy answers 503 UH "
            "(destinationrule/subset.go PodNotSelectedAnalyzer, IST0173). Fix the subset labels.",
    istio="IST0173"))


def _selector_string(selector: dict[str, str]) -> str:
    """labels.SelectorFromSet(...).String(): sorted 'k=v' joined by ','."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _gateways(ctx) -> list[GatewayNode]:
    return ctx.nodes_of_kind(*GATEWAY_KINDS)  # type: ignore[return-value]


@rule("istio.gateway_selector_pods", codes=("MD1004",), scope=DESIGN, kinds=GATEWAY_KINDS)
def gateway_selector_pods(ctx):
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    for node in _gateways(ctx):
        selector = node.gateway.spec.selector or {}
        if selector and not cluster.pods_selected_by(selector):
            key = next(iter(sorted(selector)))
            yield SELECTOR_NO_PODS.at(node.gateway.ref, f"spec.selector[{key}]", selector=_selector_string(selector))


def _workload_namespace(ctx, node: GatewayNode) -> str | None:
    """getGatewayNamespace: the namespace of the first Pod the selector matches; without Pods in the input,
    the namespace of the gateway's own Service when the design has it (it fronts those pods)."""
    cluster = ctx.cluster
    if cluster.has_pods:
        pods = cluster.pods_selected_by(node.gateway.spec.selector or {})
        return pods[0].namespace if pods else None
    return node.service.namespace if node.service is not None else None


@rule("istio.gateway_credential_secrets", codes=("MD1005", "MD1006"), scope=DESIGN, kinds=GATEWAY_KINDS)
def gateway_credential_secrets(ctx):
    cluster = ctx.cluster
    if not cluster.has_secrets:
        return
    for node in _gateways(ctx):
        gw = node.gateway
        namespace = _workload_namespace(ctx, node)
        if namespace is None:
            continue  # MD1004 reports the selector (with Pods), or the workload's namespace is unknown
        for i, server in enumerate(gw.spec.servers or []):
            name = server.tls.credential_name if server.tls is not None else None
            if not name:
                continue
            ns, _, secret_name = name.rpartition("/")   # resource.NewShortOrFullName
            ns = ns or namespace
            path = f"spec.servers[{i}].tls.credentialName"
            secret = cluster.secrets.get((ns, secret_name))
            if secret is None:
                yield CREDENTIAL_SECRET_MISSING.at(gw.ref, path, name=name, namespace=ns, secret=secret_name)
            elif not ({"cert", "key"} <= secret.keys or {"tls.crt", "tls.key"} <= secret.keys):
                yield CREDENTIAL_SECRET_INVALID.at(gw.ref, path, gateway=gw.metadata.name, namespace=ns,
                                                   secret=f"{ns}/{secret_name}",
                                                   keys=", ".join(sorted(secret.keys)) or "none")


@rule("istio.subset_selects_pods", codes=("MD1007",), scope=DESIGN, kinds=("mesh-service", "external-service"))
def subset_selects_pods(ctx):
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    pod_labels = [cluster.augmented_labels(p) for p in cluster.pods]   # label.AugmentLabels (node locality)
    for node in ctx.nodes_of_kind("mesh-service", "external-service"):
        holder_rules = [r for r in node.held_resources() if r.KIND == "DestinationRule"]
        base: dict[str, str] = {}
        if isinstance(node, ExternalServiceNode) and node.service_entry.spec.workload_selector is not None:
            base = dict(node.service_entry.spec.workload_selector.labels or {})
        for dr in holder_rules:
            for j, subset in enumerate(dr.spec.subsets or []):
                want = {**base, **(subset.labels or {})}
                if not any(all(labels.get(k) == v for k, v in want.items()) for labels in pod_labels):
                    yield SUBSET_SELECTS_NO_POD.at(dr.ref, f"spec.subsets[{j}]", subset=subset.name)
