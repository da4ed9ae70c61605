"""Istio's ``image: auto`` analyzer (MD1045, MD1046), ported from istio/istio
``pkg/config/analysis/analyzers/injection/image-auto.go`` (ImageAutoAnalyzer.Analyze): a container named
istio-proxy with ``image: auto`` is only filled in by the injector.

* on a Pod it is always an error, IST0147 (MD1046): a Pod is never re-injected;
* on a Deployment's pod template, IST0146 (MD1045) when no Istio webhook (a webhook of a
  MutatingWebhookConfiguration whose name ends with ``istio.io``) selects it: its namespaceSelector matches the
  labels of the Namespace (none when the input lacks it) and its objectSelector the template labels (an absent
  selector matches everything). Only when the input holds MutatingWebhookConfigurations: without them the
  cluster's webhooks are not known.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of, selector_matches, text_map

IMAGE_AUTO_WARNING = register(MessageType(
    "MD1045", "ImageAutoWithoutInjectionWarning", WARNING,
    template="{kind} {name} contains `image: auto` but does not match any Istio injection webhook selectors.",
    explain="The istio-proxy container's image 'auto' is replaced by the sidecar injector, but no Istio "
            "injection webhook of the input selects this Deployment's pods, so they would start with an image "
            "named 'auto' and fail (injection/image-auto.go ImageAutoAnalyzer, IST0146). Label the namespace "
            "or the pods for injection.",
    istio="IST0146"))
IMAGE_AUTO_ERROR = register(MessageType(
    "MD1046", "ImageAutoWithoutInjectionError", ERROR,
    template="{kind} {name} contains `image: auto` but does not match any Istio injection webhook selectors.",
    explain="A Pod written with the istio-proxy image 'auto' relies on the injector, which only runs when a Pod "
            "is created from a template; as written the container has no image to run "
            "(injection/image-auto.go ImageAutoAnalyzer, IST0147). Let a Deployment create the Pod.",
    istio="IST0147"))


def _has_auto_image(spec: dict) -> bool:
    return any(mapping(c).get("name") == "istio-proxy" and mapping(c).get("image") == "auto"
               for c in items(spec.get("containers")))


@rule("istio.injection_image_auto", codes=("MD1045", "MD1046"), kinds=(), scope=DESIGN)
def injection_image_auto(ctx):
    cluster = ctx.cluster
    for pod in cluster.pod_objects:
        if _has_auto_image(mapping(pod.get("spec"))):
            ref = ref_of(pod)
            yield IMAGE_AUTO_ERROR.at(ref, "spec.containers", kind="Pod", name=ref.name)
    if not cluster.mutating_webhooks:
        return
    webhooks = [mapping(w) for c in cluster.mutating_webhooks for w in items(c.get("webhooks"))
                if str(mapping(w).get("name", "")).endswith("istio.io")]
    for deployment in cluster.deployments:
        template = mapping(mapping(deployment.get("spec")).get("template"))
        if not _has_auto_image(mapping(template.get("spec"))):
            continue
        ref = ref_of(deployment)
        namespace_labels = cluster.namespace_labels.get(ref.namespace, {})
        pod_labels = text_map(mapping(template.get("metadata")).get("labels"))
        if not any(selector_matches(w.get("namespaceSelector"), namespace_labels)
                   and selector_matches(w.get("objectSelector"), pod_labels) for w in webhooks):
            yield IMAGE_AUTO_WARNING.at(ref, "spec.template.spec.containers", kind="Deployment", name=ref.name)
