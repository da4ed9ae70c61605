"""Context objects: what the input says about the cluster (Pods, Namespaces, Secrets, Sidecars, the mesh
config ...), read as Istio's analyzers read them.

A design holds gateways, routes and services; the objects around them (Pods, Deployments, Namespaces,
Secrets, Kubernetes Gateway API objects ...) are kept verbatim in the project (``extra_resources``) and
Secrets only as references (metadata, type and the *names* of their data keys: never their values). The
checks that use them (``rules/istio_context.py``) run only when the input holds objects of that kind: with
no Pod in the input nothing is known about pods, and nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .meshconfig import MeshConfigInput, is_mesh_config_map, read_mesh_config


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    has_istio_proxy: bool = False    # a container named istio-proxy with an image (util.hasIstioProxy)
    node_name: str = ""              # spec.nodeName


INJECT = "sidecar.istio.io/inject"
ISTIOCTL_NAMESPACE = "istio-system"  # istioctl analyze --istioNamespace default
# pkg/kube/inject/initializer.go IgnoredNamespaces: istioctl analyze drops every object of these namespaces
# when it reads files.
ISTIOCTL_IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")
# Istio kinds read in wire form from the verbatim resources, and their API groups
ISTIO_GROUPS = {"Sidecar": ("networking.istio.io",), "EnvoyFilter": ("networking.istio.io",),
                "Telemetry": ("telemetry.istio.io",), "RequestAuthentication": ("security.istio.io",),
                "WasmPlugin": ("extensions.istio.io",), "ProxyConfig": ("networking.istio.io",), "AuthorizationPolicy": ("security.istio.io",)}


@dataclass(frozen=True)
class SecretInfo:
    namespace: str
    name: str
    type: str
    keys: frozenset[str]
    labels: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class ClusterInput:
    pods: list[PodInfo] = field(default_factory=list)
    namespaces: set[str] = field(default_factory=set)
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], SecretInfo] = field(default_factory=dict)
    has_namespaces: bool = False
    has_secrets: bool = False
    kinds: dict[str, int] = field(default_factory=dict)   # every verbatim kind and how many
    # Istio objects kept verbatim, in wire form, by kind: Sidecar, WasmPlugin, and the policy kinds
    # (AuthorizationPolicy, Telemetry, EnvoyFilter ...) when the model did not take them
    istio_objects: dict[str, list[dict]] = field(default_factory=dict)
    namespace_objects: list[dict] = field(default_factory=list)  # the Namespaces as written
    node_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # v1 Nodes: name -> labels
    pod_objects: list[dict] = field(default_factory=list)   # the Pods as written (deployment.ApplicationUIDAnalyzer)
    deployments: list[dict] = field(default_factory=list)   # apps/v1 Deployments as written
    config_maps: list[dict] = field(default_factory=list)  # v1 ConfigMaps (the sidecar injector's values)
    mutating_webhooks: list[dict] = field(default_factory=list)  # MutatingWebhookConfigurations
    validating_webhooks: list[dict] = field(default_factory=list)  # ValidatingWebhookConfigurations
    crds: list[dict] = field(default_factory=list)       # CustomResourceDefinitions (deprecation analyzer)
    mesh_config: MeshConfigInput | None = None            # the istio ConfigMap of istio-system, if any
    mesh_config_unread: MeshConfigInput | None = None     # that ConfigMap when its mesh key cannot be read
    # Gateway API Gateways (gateway.networking.k8s.io): (namespace, name) -> listener hostnames (None: any)
    kubernetes_gateways: dict[tuple[str, str], list[str | None]] = field(default_factory=dict)

    @property
    def has_pods(self) -> bool:
        return bool(self.pods)

    def objects(self, kind: str) -> list[dict]:
        """The Istio objects of ``kind`` kept verbatim (wire form)."""
        return self.istio_objects.get(kind, [])

    def workload_in_mesh(self, namespace: str, labels: dict, annotations: dict, containers: list) -> bool:
        """util.inMesh for a Deployment's pod template (util.DeploymentInMesh): an istio-proxy container with
        an image; else the sidecar.istio.io/inject label, then annotation; else the namespace's
        istio-injection label (a Namespace of the input)."""
        if any(isinstance(c, dict) and c.get("name") == "istio-proxy" and c.get("image") for c in containers):
            return True
        for where in (labels, annotations):
            if INJECT in where:
                return where[INJECT] == "true"
        ns_labels = self.namespace_labels.get(namespace)
        return ns_labels is not None and ns_labels.get("istio-injection") == "enabled"

    def in_mesh(self, pod: PodInfo) -> bool:
        """util.PodInMesh (+ PodInAmbientMode): an istio-proxy container; else the pod's
        sidecar.istio.io/inject label, then annotation; else its Namespace's istio-injection=enabled."""
        if pod.has_istio_proxy:
            return True
        if pod.annotations.get("ambient.istio.io/redirection") == "enabled":
            return True
        for where in (pod.labels, pod.annotations):
            if INJECT in where:
                return where[INJECT] == "true"
        labels = self.namespace_labels.get(pod.namespace)
        return labels is not None and labels.get("istio-injection") == "enabled"

    @staticmethod
    def pod_in_ambient_mode(pod: PodInfo) -> bool:
        """util.PodInAmbientMode: the ambient.istio.io/redirection annotation is 'enabled'."""
        return pod.annotations.get("ambient.istio.io/redirection") == "enabled"

    def namespace_in_ambient_mode(self, namespace: str) -> bool:
        """util.NamespaceInAmbientMode (False for a Namespace absent from the input, as for a nil one)."""
        labels = self.namespace_labels.get(namespace)
        if labels is None or labels.get("istio-injection") == "enabled" or labels.get("istio.io/rev"):
            return False
        return labels.get("istio.io/dataplane-mode") == "ambient"

    def augmented_labels(self, pod: PodInfo) -> dict[str, str]:
        """label.AugmentLabels as destinationrule/subset.go calls it: the pod's labels plus the region, zone and
        subzone of its Node (when the input holds that Node; LocalityToString then SplitLocalityLabel) and
        kubernetes.io/hostname = its nodeName; no cluster or network id."""
        out = dict(pod.labels)
        node = self.node_labels.get(pod.node_name) if pod.node_name else None
        if node is not None:
            locality = node.get("topology.kubernetes.io/region", "")
            if node.get("topology.kubernetes.io/zone"):
                locality += "/" + node["topology.kubernetes.io/zone"]
                if node.get("topology.istio.io/subzone"):
                    locality += "/" + node["topology.istio.io/subzone"]
            parts = locality.split("/")
            for key, value in zip(("topology.kubernetes.io/region", "topology.kubernetes.io/zone",
                                   "topology.istio.io/subzone"), parts, strict=False):
                if value:
                    out[key] = value
        if pod.node_name:
            out["kubernetes.io/hostname"] = pod.node_name
        return out

    def pods_selected_by(self, selector: dict[str, str] | None) -> list[PodInfo]:
        """labels.SelectorFromSet(selector).Matches(pod labels), over every namespace (as Istio's analyzers)."""
        want = selector or {}
        return [p for p in self.pods if all(p.labels.get(k) == v for k, v in want.items())]


def _secret_keys(obj: dict) -> frozenset[str]:
    if "dataKeys" in obj:  # a Secret reference (io.manifests.secret_reference): the names only
        return frozenset(str(k) for k in obj.get("dataKeys") or [])
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    string_data = obj.get("stringData") if isinstance(obj.get("stringData"), dict) else {}
    return frozenset(str(k) for k in (*data, *string_data))


def mapping_name(obj: dict) -> str:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(md.get("name") or "")


def read_by_checks(obj: dict) -> bool:
    """Whether some check reads this kept object as context (validate names the kinds no check reads)."""
    kind, group = str(obj.get("kind")), str(obj.get("apiVersion", "")).rpartition("/")[0]
    return ((group == "" and kind in ("Pod", "Namespace", "Secret", "Node")) or group in ISTIO_GROUPS.get(kind, ())
            or (kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io")
            or (kind == "Deployment" and group == "apps")
            or (kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
                and group == "admissionregistration.k8s.io")
            or (kind == "ConfigMap" and group == "" and str(mapping_name(obj)).startswith("istio-sidecar-injector"))
            or (kind == "Gateway" and group == "gateway.networking.k8s.io") or is_mesh_config_map(obj))


def read_cluster(objects: Iterable[dict]) -> ClusterInput:
    """The context objects among verbatim resources (and Secret references)."""
    out = ClusterInput()
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        kind, md = obj.get("kind"), obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        out.kinds[str(kind)] = out.kinds.get(str(kind), 0) + 1
        ns, name = str(md.get("namespace") or "default"), str(md.get("name") or "")
        if (name if kind == "Namespace" else ns) in ISTIOCTL_IGNORED_NAMESPACES:
            continue  # istioctl analyze does not read them (local/istiod_analyze.go SetNamespacesFilter)
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        if group in ISTIO_GROUPS.get(str(kind), ()):
            out.istio_objects.setdefault(str(kind), []).append(obj)
        if kind == "Deployment" and group == "apps":
            out.deployments.append(obj)
        if kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
            out.crds.append(obj)
        if kind == "MutatingWebhookConfiguration" and group == "admissionregistration.k8s.io":
            out.mutating_webhooks.append(obj)
        if kind == "ValidatingWebhookConfiguration" and group == "admissionregistration.k8s.io":
            out.validating_webhooks.append(obj)
        if is_mesh_config_map(obj):
            mesh = read_mesh_config(obj)
            if mesh.problem:
                out.mesh_config_unread = mesh
            else:
                out.mesh_config = mesh
        if kind == "Gateway" and str(obj.get("apiVersion", "")).startswith("gateway.networking.k8s.io/"):
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            out.kubernetes_gateways[(ns, name)] = [
                (str(listener.get("hostname")) if listener.get("hostname") else None)
                for listener in spec.get("listeners") or [] if isinstance(listener, dict)]
        if obj.get("apiVersion") != "v1":
            continue
        if kind == "Pod":
            out.pod_objects.append(obj)
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            out.pods.append(PodInfo(ns, name, _text_map(md.get("labels")), _text_map(md.get("annotations")),
                                    _has_istio_proxy(spec), str(spec.get("nodeName") or "")))
        elif kind == "Namespace":
            out.has_namespaces = True
            out.namespace_objects.append(obj)
            out.namespaces.add(name)
            out.namespace_labels[name] = _text_map(md.get("labels"))
        elif kind == "Node":
            out.node_labels[name] = _text_map(md.get("labels"))
        elif kind == "ConfigMap":
            out.config_maps.append(obj)
        elif kind == "Secret":
            out.has_secrets = True
            out.secrets[(ns, name)] = SecretInfo(ns, name, str(obj.get("type") or "Opaque"), _secret_keys(obj),
                                              _text_map(md.get("labels")))
    _add_istioctl_stand_in_pod(out)
    return out


def _add_istioctl_stand_in_pod(out: ClusterInput) -> None:
    """istioctl analyze reading files adds a stand-in ingress gateway Pod, labelled istio=ingressgateway, in
    istio-system unless the mesh config's ingressControllerMode is OFF (local/istiod_analyze.go
    AddDefaultResources, local/defaults.go), so a Gateway selecting the default ingress gateway finds pods.
    Done here only when the input holds Pods: without any, the Pod checks do not run at all (nothing is
    guessed). Not a Pod of the input: only the selector checks see it (not pod_objects)."""
    if not out.pods:
        return
    mesh = out.mesh_config
    if mesh is not None and mesh.ingress_controller_mode == "OFF":
        return
    service = mesh.ingress_service if mesh is not None else "istio-ingressgateway"
    out.pods.append(PodInfo(ISTIOCTL_NAMESPACE, f"{service}-dummypod", {"istio": "ingressgateway"}))


def _text_map(value) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _has_istio_proxy(spec) -> bool:
    spec = spec if isinstance(spec, dict) else {}
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    return any(isinstance(c, dict) and c.get("name") == "istio-proxy" and c.get("image") for c in containers)
