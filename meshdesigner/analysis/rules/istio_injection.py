"""Istio's injection analyzer (MD1041-MD1044), ported from istio/istio
``pkg/config/analysis/analyzers/injection/injection.go`` (Analyzer.Analyze), on the Namespaces, Pods and
ConfigMaps of the input. For each Namespace other than istio-system:

* more than one injection label among ``istio-injection``, and (when that is absent or ``enabled``)
  ``istio.io/rev`` and ``istio.io/dataplane-mode``: IST0123 (MD1043);
* ambient (``istio.io/dataplane-mode: ambient``): nothing more;
* neither ``istio-injection`` (non-empty) nor ``istio.io/rev``: IST0148 (MD1044) when the sidecar injector's
  ConfigMap (``istio-sidecar-injector``, ``-<rev>`` for a revision) sets
  ``values.sidecarInjectorWebhook.enableNamespacesByDefault``, else IST0102 (MD1041);
* ``istio-injection: enabled``: its Pods must have an istio-proxy container with an image, unless injection is
  disabled on the Pod (label, else annotation ``sidecar.istio.io/inject: false``) or it uses the host network:
  IST0103 (MD1042).

As in Istio, the enableNamespacesByDefault value found for one namespace stays for the next ones whose
revision has no ConfigMap (namespaces are taken in name order; Istio's order is not defined). A ConfigMap whose
values lack the key counts as false (Istio's analyzer stops with a panic there).
"""

from __future__ import annotations

import json

from ..catalogue import MessageType
from ..diagnostic import INFO, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of, text_map

INJECTION_LABEL, REVISION_LABEL, DATAPLANE_LABEL = "istio-injection", "istio.io/rev", "istio.io/dataplane-mode"
INJECTOR_CONFIG_MAP = "istio-sidecar-injector"

NAMESPACE_NOT_INJECTED = register(MessageType(
    "MD1041", "NamespaceNotInjected", INFO,
    template="The namespace is not enabled for Istio injection. Run 'kubectl label namespace {namespace} "
             "istio-injection=enabled' to enable it, or 'kubectl label namespace {namespace} "
             "istio-injection=disabled' to explicitly mark it as not needing injection.",
    explain="This Namespace of the input has no istio-injection or istio.io/rev label, so its pods get no "
            "sidecar (injection/injection.go Analyzer, IST0102). Label it, or mark it disabled on purpose.",
    istio="IST0102"))
POD_MISSING_PROXY = register(MessageType(
    "MD1042", "PodMissingProxy", WARNING,
    template="The pod {pod} is missing the Istio proxy. This can often be resolved by restarting or redeploying "
             "the workload.",
    explain="The Pod's namespace is labelled istio-injection=enabled and injection is not disabled on the Pod, "
            "yet it has no istio-proxy container: it was created before the label or the injector did not run "
            "(injection/injection.go Analyzer, IST0103). Restart the workload.",
    istio="IST0103"))
MULTIPLE_INJECTION_LABELS = register(MessageType(
    "MD1043", "NamespaceMultipleInjectionLabels", WARNING,
    template="The namespace has more than one type of injection labels {labels}, which may lead to undefined "
             "behavior. Make sure only one injection label exists.",
    explain="The Namespace carries more than one of istio-injection, istio.io/rev and istio.io/dataplane-mode; "
            "which one wins is not defined (injection/injection.go Analyzer, IST0123). Keep one.",
    istio="IST0123"))
INJECTION_ENABLED_BY_DEFAULT = register(MessageType(
    "MD1044", "NamespaceInjectionEnabledByDefault", INFO,
    template="is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.",
    explain="The sidecar injector ConfigMap of the input sets sidecarInjectorWebhook.enableNamespacesByDefault, "
            "so this unlabelled Namespace gets sidecars (injection/injection.go Analyzer, IST0148).",
    istio="IST0148"))


def enable_namespaces_by_default(config_map: dict) -> bool:
    """GetEnableNamespacesByDefaultFromInjectedConfigMap: the JSON 'values' key."""
    try:
        values = json.loads(str(mapping(config_map.get("data")).get("values")))
    except ValueError:
        return False
    return mapping(mapping(values).get("sidecarInjectorWebhook")).get("enableNamespacesByDefault") is True


def _proxy_image(spec: dict) -> str:
    for container in [*items(spec.get("containers")), *items(spec.get("initContainers"))]:
        if mapping(container).get("name") == "istio-proxy":
            return str(mapping(container).get("image") or "")
    return ""


@rule("istio.injection", codes=("MD1041", "MD1042", "MD1043", "MD1044"), kinds=(), scope=DESIGN)
def injection(ctx):
    cluster = ctx.cluster
    by_default = False
    injected: set[str] = set()
    config_maps = {str(mapping(c.get("metadata")).get("name")): c for c in cluster.config_maps}
    for namespace in sorted(cluster.namespace_objects, key=lambda n: str(mapping(n.get("metadata")).get("name"))):
        ref = ref_of(namespace)
        name = ref.name
        if name == "istio-system":
            continue
        labels = text_map(mapping(namespace.get("metadata")).get("labels"))
        injection_label = labels.get(INJECTION_LABEL)
        found = [f"{INJECTION_LABEL}={injection_label}"] if injection_label is not None else []
        found += [f"{key}={labels[key]}" for key in (REVISION_LABEL, DATAPLANE_LABEL)
                  if key in labels and (injection_label is None or injection_label == "enabled")]
        if len(found) > 1:
            yield MULTIPLE_INJECTION_LABELS.at(ref, "metadata.labels", labels="[" + " ".join(found) + "]")
        if labels.get(DATAPLANE_LABEL) == "ambient":
            continue
        revision = labels.get(REVISION_LABEL, "")
        config_map = config_maps.get(INJECTOR_CONFIG_MAP if revision in ("", "default")
                                     else f"{INJECTOR_CONFIG_MAP}-{revision}")
        if config_map is not None:
            by_default = enable_namespaces_by_default(config_map)
        if not injection_label and REVISION_LABEL not in labels:
            if by_default:
                yield INJECTION_ENABLED_BY_DEFAULT.at(ref, "")
            else:
                yield NAMESPACE_NOT_INJECTED.at(ref, "metadata.name", namespace=name)
            continue
        if injection_label == "enabled":
            injected.add(name)

    for pod in cluster.pod_objects:
        ref = ref_of(pod)
        if ref.namespace not in injected:
            continue
        md = mapping(pod.get("metadata"))
        inject = text_map(md.get("annotations")).get("sidecar.istio.io/inject", "")
        inject = text_map(md.get("labels")).get("sidecar.istio.io/inject", inject)
        spec = mapping(pod.get("spec"))
        if inject.lower() == "false" or spec.get("hostNetwork") is True:
            continue
        if not _proxy_image(spec):
            yield POD_MISSING_PROXY.at(ref, "spec.containers", pod=f"{ref.namespace}/{ref.name}")
