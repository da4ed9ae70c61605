"""Istio's annotation analyzer (MD1037-MD1040), ported from istio/istio
``pkg/config/analysis/analyzers/annotations/annotations.go`` (K8sAnalyzer.allowAnnotations), over the annotations
of Namespaces, Services, Pods and Deployments (the object's own metadata) in the design and the input. For each
annotation in Istio's namespace (the part before '/' ends with ``istio.io``, or ``kubernetes.io/ingress.class``),
except those istiod sets itself (maturity.AlwaysIgnoredAnnotations):

* not in Istio's catalogue: IST0108 (MD1037);
* deprecated: IST0135 (MD1038), unless it is the sidecar.istio.io/inject annotation beside the label of that name;
* for a kind it does not attach to (and not ``Any``): IST0107 (MD1039);
* a value its injector validation refuses: IST0125 (MD1040); ported for interceptionMode, statusPort, the
  readiness probe numbers and prometheus merge-metrics (the IP range, port list, interface, proxyConfig and
  resource quantity validators are not, so those values are not checked).

The catalogue (name: deprecated, the kinds it attaches to) is istio/api ``annotation/annotations.yaml`` at
b8f8791d (2026-07-21), the version nearest the istio commit of the oracle that the fetch tool had.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import INFO, WARNING
from ..messages import register
from ..registry import DESIGN, GATEWAY_KINDS, rule
from ..wire import mapping, ref_of, text_map

ANNOTATIONS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "prometheus.istio.io/merge-metrics": (False, ('Pod',)),
    "alpha.istio.io/kubernetes-serviceaccounts": (True, ('Service',)),
    "alpha.istio.io/canonical-serviceaccounts": (True, ('Service',)),
    "networking.istio.io/exportTo": (False, ('Service',)),
    "sidecar.istio.io/inject": (True, ('Pod',)),
    "sidecar.istio.io/status": (False, ('Pod',)),
    "sidecar.istio.io/rewriteAppHTTPProbers": (False, ('Pod',)),
    "sidecar.istio.io/discoveryAddress": (True, ('Pod',)),
    "sidecar.istio.io/proxyImage": (False, ('Pod',)),
    "sidecar.istio.io/proxyImageType": (False, ('Pod',)),
    "sidecar.istio.io/proxyCPU": (False, ('Pod',)),
    "sidecar.istio.io/proxyCPULimit": (False, ('Pod',)),
    "sidecar.istio.io/proxyMemory": (False, ('Pod',)),
    "sidecar.istio.io/proxyMemoryLimit": (False, ('Pod',)),
    "sidecar.istio.io/interceptionMode": (False, ('Pod',)),
    "sidecar.istio.io/bootstrapOverride": (False, ('Pod',)),
    "sidecar.istio.io/statsInclusionPrefixes": (True, ('Pod',)),
    "sidecar.istio.io/statsInclusionSuffixes": (True, ('Pod',)),
    "sidecar.istio.io/statsInclusionRegexps": (True, ('Pod',)),
    "sidecar.istio.io/statsHistogramBuckets": (False, ('Pod',)),
    "sidecar.istio.io/statsFlushInterval": (False, ('Pod',)),
    "sidecar.istio.io/statsEvictionInterval": (False, ('Pod',)),
    "sidecar.istio.io/statsHistogramBins": (False, ('Pod',)),
    "sidecar.istio.io/userVolume": (False, ('Pod',)),
    "sidecar.istio.io/userVolumeMount": (False, ('Pod',)),
    "status.sidecar.istio.io/port": (False, ('Pod',)),
    "sidecar.istio.io/logLevel": (False, ('Pod',)),
    "sidecar.istio.io/componentLogLevel": (False, ('Pod',)),
    "sidecar.istio.io/agentLogLevel": (False, ('Pod',)),
    "sidecar.istio.io/nativeSidecar": (False, ('Pod',)),
    "readiness.status.sidecar.istio.io/initialDelaySeconds": (False, ('Pod',)),
    "readiness.status.sidecar.istio.io/periodSeconds": (False, ('Pod',)),
    "readiness.status.sidecar.istio.io/failureThreshold": (False, ('Pod',)),
    "readiness.status.sidecar.istio.io/applicationPorts": (False, ('Pod',)),
    "traffic.istio.io/nodeSelector": (False, ('Service',)),
    "traffic.sidecar.istio.io/includeOutboundIPRanges": (False, ('Pod',)),
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": (False, ('Pod',)),
    "traffic.sidecar.istio.io/includeInboundPorts": (False, ('Pod',)),
    "traffic.sidecar.istio.io/excludeInboundPorts": (False, ('Pod',)),
    "traffic.sidecar.istio.io/excludeInterfaces": (False, ('Pod',)),
    "traffic.sidecar.istio.io/includeOutboundPorts": (False, ('Pod',)),
    "traffic.sidecar.istio.io/excludeOutboundPorts": (False, ('Pod',)),
    "traffic.sidecar.istio.io/kubevirtInterfaces": (True, ('Pod',)),
    "kubernetes.io/ingress.class": (False, ('Ingress',)),
    "galley.istio.io/analyze-suppress": (False, ('Any',)),
    "proxy.istio.io/config": (False, ('Pod',)),
    "istio.io/dry-run": (False, ('AuthorizationPolicy',)),
    "istio.io/rev": (False, ('Pod',)),
    "proxy.istio.io/overrides": (False, ('Pod',)),
    "inject.istio.io/templates": (False, ('Pod',)),
    "sidecar.istio.io/extraStatTags": (True, ('Pod',)),
    "istio.io/autoRegistrationGroup": (False, ('WorkloadEntry',)),
    "istio.io/workloadController": (False, ('WorkloadEntry',)),
    "istio.io/connectedAt": (False, ('WorkloadEntry',)),
    "istio.io/disconnectedAt": (False, ('WorkloadEntry',)),
    "topology.istio.io/controlPlaneClusters": (False, ('Namespace',)),
    "gateway.istio.io/controller-version": (False, ('Any',)),
    "ambient.istio.io/redirection": (False, ('Pod',)),
    "ambient.istio.io/waypoint-inbound-binding": (False, ('GatewayClass', 'Gateway')),
    "gateway.istio.io/service-account": (False, ('Gateway',)),
    "gateway.istio.io/name-override": (False, ('Gateway',)),
    "networking.istio.io/service-type": (False, ('Gateway',)),
    "networking.istio.io/traffic-distribution": (False, ('Namespace', 'Service', 'ServiceEntry')),
    "istio.io/use-waypoint-canary-weight": (False, ('Service', 'ServiceEntry', 'Namespace')),
    "ambient.istio.io/bypass-inbound-capture": (False, ('Pod',)),
    "istio.io/reroute-virtual-interfaces": (False, ('Pod',)),
    "ambient.istio.io/dns-capture": (False, ('Pod',)),
    "sidecar.istio.io/statsCompression": (True, ('Pod',)),
}
ALWAYS_IGNORED = ("sidecar.istio.io/status", "gateway.istio.io/controller-version", "istio.io/rev")
DEPRECATION_EXTRA = {"sidecar.istio.io/inject": ' in favor of the "sidecar.istio.io/inject" label'}

UNKNOWN_ANNOTATION = register(MessageType(
    "MD1037", "UnknownAnnotation", WARNING,
    template="Unknown annotation: {annotation}",
    explain="The annotation is in Istio's namespace (*.istio.io) but is none of the annotations Istio knows, so "
            "nothing reads it: most often a typo (annotations/annotations.go K8sAnalyzer, IST0108). Check the "
            "spelling against Istio's annotation reference.",
    istio="IST0108"))
DEPRECATED_ANNOTATION = register(MessageType(
    "MD1038", "DeprecatedAnnotation", INFO,
    template="Annotation {annotation!r} has been deprecated{extra} and may not work in future Istio versions.",
    explain="Istio deprecated this annotation (annotations/annotations.go K8sAnalyzer, IST0135); it may stop "
            "working in a later release. Use its replacement (the annotation reference names it).",
    istio="IST0135"))
MISPLACED_ANNOTATION = register(MessageType(
    "MD1039", "MisplacedAnnotation", WARNING,
    template="Misplaced annotation: {annotation} can only be applied to {kinds}",
    explain="Istio reads this annotation only on the kinds named; here it has no effect (for a Deployment, pod "
            "annotations belong in spec.template.metadata) (annotations/annotations.go K8sAnalyzer, IST0107). "
            "Move it to the right object.",
    istio="IST0107"))
INVALID_ANNOTATION = register(MessageType(
    "MD1040", "InvalidAnnotation", WARNING,
    template="Invalid annotation {annotation}: {problem}",
    explain="The sidecar injector refuses this annotation's value (pkg/kube/inject validate.go, through "
            "annotations/annotations.go K8sAnalyzer, IST0125), so injection fails or ignores it. Fix the value.",
    istio="IST0125"))


def _go_uint(value: str, bits: int) -> int | None:
    """strconv.ParseUint(value, 10, bits), None when it fails."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number < 2 ** bits else None


def _uint32_problem(value: str) -> str | None:
    if _go_uint(value, 32) is not None:
        return None
    reason = "value out of range" if value.isascii() and value.isdigit() else "invalid syntax"
    return f'strconv.ParseUint: parsing "{value}": {reason}'


def _bool_problem(value: str) -> str | None:
    if value in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"):
        return None
    return f'strconv.ParseBool: parsing "{value}": invalid syntax'


def _interception_problem(value: str) -> str | None:
    if value in ("REDIRECT", "TPROXY", "NONE"):
        return None
    return f"interceptionMode invalid, use REDIRECT,TPROXY,NONE: {value}"


def _status_port_problem(value: str) -> str | None:
    text = value.strip()
    if _go_uint(text, 16) is not None:
        return None
    reason = "value out of range" if text.isascii() and text.isdigit() else "invalid syntax"
    return f"excludeInboundPorts invalid: failed parsing port '{value}': strconv.ParseUint: parsing " \
           f'"{text}": {reason}'


VALIDATORS = {
    "sidecar.istio.io/interceptionMode": _interception_problem,
    "status.sidecar.istio.io/port": _status_port_problem,
    "readiness.status.sidecar.istio.io/initialDelaySeconds": _uint32_problem,
    "readiness.status.sidecar.istio.io/periodSeconds": _uint32_problem,
    "readiness.status.sidecar.istio.io/failureThreshold": _uint32_problem,
    "prometheus.istio.io/merge-metrics": _bool_problem,
}


def istio_annotation(name: str) -> bool:
    """annotations.go istioAnnotation."""
    return name == "kubernetes.io/ingress.class" or name.split("/")[0].endswith("istio.io")


def annotation_findings(ref, kind: str, annotations: dict[str, str], labels: dict[str, str]):
    """allowAnnotations for one object of ``kind`` (Namespace, Service, Pod, Deployment)."""
    for name, value in sorted(annotations.items()):
        if not istio_annotation(name) or name in ALWAYS_IGNORED:
            continue
        path = f"metadata.annotations[{name}]"
        known = ANNOTATIONS.get(name)
        if known is None:
            yield UNKNOWN_ANNOTATION.at(ref, path, annotation=name)
            continue
        deprecated, kinds = known
        if deprecated and not (name == "sidecar.istio.io/inject" and "sidecar.istio.io/inject" in labels):
            yield DEPRECATED_ANNOTATION.at(ref, path, annotation=name, extra=DEPRECATION_EXTRA.get(name, ""))
        if "Any" in kinds:
            continue
        if kind not in kinds:
            yield MISPLACED_ANNOTATION.at(ref, path, annotation=name, kinds=", ".join(kinds))
            continue
        problem = VALIDATORS[name](value) if name in VALIDATORS else None
        if problem:
            yield INVALID_ANNOTATION.at(ref, path, annotation=name, problem=problem)


@rule("istio.annotations", codes=("MD1037", "MD1038", "MD1039", "MD1040"), kinds=("mesh-service", *GATEWAY_KINDS))
def annotations(ctx, node):
    """The Services of the design (a node rule: after an edit only the edited node's Service is read again)."""
    service = getattr(node, "service", None)
    if service is not None and service.metadata.annotations:    # (the findings are about annotations)
        md = service.metadata
        yield from annotation_findings(service.ref, "Service", dict(md.annotations or {}), dict(md.labels or {}))


@rule("istio.annotations_kept_objects", codes=("MD1037", "MD1038", "MD1039", "MD1040"), kinds=(), scope=DESIGN)
def kept_object_annotations(ctx):
    """The Pods, Deployments and Namespaces of the input (re-run when those change)."""
    cluster = ctx.cluster
    for obj in [*cluster.pod_objects, *cluster.deployments, *cluster.namespace_objects]:
        md = mapping(obj.get("metadata"))
        yield from annotation_findings(ref_of(obj), str(obj.get("kind")), text_map(md.get("annotations")),
                                       text_map(md.get("labels")))
