"""Istio's injection image analyzer (MD1051), ported from istio/istio
``pkg/config/analysis/analyzers/injection/injection-image.go`` (ImageAnalyzer.Analyze) and
``util/proxyconfig.go`` (EffectiveProxyConfigResolver.ImageType). With a sidecar injector ConfigMap
(``istio-sidecar-injector[-<rev>]``) in the input, each Pod of a namespace labelled ``istio-injection: enabled``
(the ``istio-sidecar-injector`` ConfigMap) or ``istio.io/rev: R`` (``istio-sidecar-injector-R``) whose
istio-proxy container runs neither the injector's image (``global.proxy.image`` when it holds a '/', else
``hub/image:tag``) nor that image with ``-<variant>``, and whose ``sidecar.istio.io/proxyImage`` annotation is
unset, is listed; each such namespace is IST0158.

The variant (ImageType): the mesh config's defaultConfig.image.imageType, overridden by a ProxyConfig of the root
namespace, of the pod's namespace (no selector), one whose selector the pod matches, then the pod's
``proxy.istio.io/config`` annotation; "default" means none. Without a mesh config in the input the cluster's
variant is not known: then, unless a ProxyConfig or the annotation sets it, an image ``<injector image>-<any>``
is accepted.
"""

from __future__ import annotations

import json

import yaml

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of, text_map

INJECTOR_CONFIG_MAP = "istio-sidecar-injector"

PROXY_IMAGE_MISMATCH = register(MessageType(
    "MD1051", "PodsIstioProxyImageMismatchInNamespace", WARNING,
    template="The Istio proxy images of the pods running in the namespace do not match the image defined in the "
             "injection configuration (pod names: {pods}). This often happens after upgrading the Istio "
             "control-plane and can be fixed by redeploying the pods.",
    explain="The sidecar injector ConfigMap of the input injects another proxy image than these Pods run, "
            "usually because the control plane was upgraded after they started "
            "(injection/injection-image.go ImageAnalyzer, IST0158). Restart the workloads.",
    istio="IST0158"))


def injector_proxy_image(config_map: dict) -> str:
    """GetIstioProxyImage: the JSON 'values' key's global.proxy.image, or hub/image:tag."""
    try:
        values = mapping(json.loads(str(mapping(config_map.get("data")).get("values"))))
    except ValueError:
        return ""
    glob = mapping(values.get("global"))
    image = str(mapping(glob.get("proxy")).get("image") or "")
    return image if "/" in image else f"{glob.get('hub') or ''}/{image}:{glob.get('tag') or ''}"


def _image_type(value) -> str:
    return str(mapping(mapping(value).get("image")).get("imageType") or "")


def _variant(ctx, pod: dict, proxy_configs: list[dict]) -> str | None:
    """EffectiveProxyConfigResolver.ImageType; None when only the unknown mesh config could set it."""
    mesh = ctx.cluster.mesh_config
    variant: str | None = mesh.image_type if mesh is not None else None
    ref = ref_of(pod)
    md = mapping(pod.get("metadata"))
    labels = text_map(md.get("labels"))
    root = ctx.root_namespace
    for config in proxy_configs:                        # root, then namespace-wide, then by selector
        config_ref, spec = ref_of(config), mapping(config.get("spec"))
        if config_ref.namespace == root and _image_type(spec):
            variant = _image_type(spec)
    for config in proxy_configs:
        config_ref, spec = ref_of(config), mapping(config.get("spec"))
        if config_ref.namespace != root and spec.get("selector") is None and config_ref.namespace == ref.namespace \
                and _image_type(spec):
            variant = _image_type(spec)
    for config in proxy_configs:
        config_ref, spec = ref_of(config), mapping(config.get("spec"))
        if config_ref.namespace == root or spec.get("selector") is None:
            continue
        want = text_map(mapping(spec.get("selector")).get("matchLabels"))
        if f"{config_ref.namespace}/{config_ref.name}".startswith(ref.namespace) \
                and all(labels.get(k) == v for k, v in want.items()) and _image_type(spec):
            variant = _image_type(spec)
    annotation = text_map(md.get("annotations")).get("proxy.istio.io/config")
    if annotation is not None:
        try:
            parsed = yaml.safe_load(annotation)
        except yaml.YAMLError:
            parsed = None
        if _image_type(parsed):
            variant = _image_type(parsed)
    return "" if variant == "default" else variant


@rule("istio.injection_image", codes=("MD1051",), kinds=(), scope=DESIGN)
def injection_image(ctx):
    cluster = ctx.cluster
    images = {str(mapping(c.get("metadata")).get("name")): injector_proxy_image(c) for c in cluster.config_maps
              if str(mapping(c.get("metadata")).get("name")).startswith(INJECTOR_CONFIG_MAP)}
    if not images:
        return
    injected: dict[str, str] = {}
    namespaces = {}
    for namespace in cluster.namespace_objects:
        ref = ref_of(namespace)
        labels = text_map(mapping(namespace.get("metadata")).get("labels"))
        namespaces[ref.name] = ref
        if "istio.io/rev" in labels:
            injected[ref.name] = labels["istio.io/rev"]
        elif labels.get("istio-injection") == "enabled":
            injected[ref.name] = "default"
    proxy_configs = ctx.istio_objects("ProxyConfig")
    mismatched: dict[str, list[str]] = {}
    for pod in cluster.pod_objects:
        ref = ref_of(pod)
        revision = injected.get(ref.namespace)
        if revision is None or text_map(mapping(pod.get("metadata")).get("annotations")).get(
                "sidecar.istio.io/proxyImage"):
            continue
        config_map = INJECTOR_CONFIG_MAP if revision in ("", "default") else f"{INJECTOR_CONFIG_MAP}-{revision}"
        spec = mapping(pod.get("spec"))
        for container in [*items(spec.get("containers")), *items(spec.get("initContainers"))]:
            if mapping(container).get("name") != "istio-proxy":
                continue
            expected = images.get(config_map)
            if expected is None:
                break
            image = str(mapping(container).get("image") or "")
            variant = _variant(ctx, pod, proxy_configs)
            ok = image == expected or (image == f"{expected}-{variant}" if variant is not None
                                       else image.startswith(f"{expected}-"))
            if not ok:
                mismatched.setdefault(ref.namespace, []).append(ref.name)
    for namespace in sorted(mismatched):
        yield PROXY_IMAGE_MISMATCH.at(namespaces[namespace], "", pods="[" + " ".join(sorted(mismatched[namespace]))
                                      + "]")
