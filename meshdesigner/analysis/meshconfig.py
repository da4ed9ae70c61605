"""The mesh config of the input, read as ``istioctl analyze`` reads it: only the fields an analyzer uses.

``istioctl analyze`` takes the mesh config from the ``istio`` ConfigMap (key ``mesh``) of the Istio
namespace (``istio-system``) when it reads a cluster (``IstiodAnalyzer.addRunningKubeIstioConfigMapSource``,
``local.meshConfigMapName``/``meshConfigMapKey``), and applies it over Istio's defaults
(``mesh.ApplyMeshConfigDefaults``): every field is an override, except ``defaultConfig`` (merged),
``defaultProviders`` (applied over the default, which is empty) and ``extensionProviders`` (merged by name
over the built-in prometheus, stackdriver and envoy providers).

A design's input may hold that ConfigMap; then it is a context object and the analyzers that read the mesh
config use it (the root namespace of authz.AuthorizationPoliciesAnalyzer, the telemetry analyzers' providers,
the DNS auto-allocation of serviceentry.ProtocolAddressesAnalyzer). Without it nothing is guessed: each
analyzer says what it does then (see its rule file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..io.errors import InputError
from ..io.yamlio import load_documents

MESH_CONFIG_MAP = "istio"            # local.meshConfigMapName
MESH_CONFIG_KEY = "mesh"             # local.meshConfigMapKey
MESH_NETWORKS_KEY = "meshNetworks"   # local.meshNetworksMapKey
ISTIO_NAMESPACE = "istio-system"     # istioctl's --istioNamespace default
DEFAULT_ROOT_NAMESPACE = "istio-system"  # mesh.DefaultMeshConfig().RootNamespace
# mesh.DefaultMeshConfig().ExtensionProviders: name -> provider type (the oneof key on the wire)
DEFAULT_EXTENSION_PROVIDERS = {"prometheus": "prometheus", "stackdriver": "stackdriver",
                               "envoy": "envoyFileAccessLog"}
PROVIDER_FIELDS = ("name",)          # keys of an extensionProviders entry that are not its provider type


@dataclass(frozen=True)
class MeshConfigInput:
    """What the analyzers read of the mesh config, with Istio's defaults applied."""

    namespace: str
    name: str
    root_namespace: str = DEFAULT_ROOT_NAMESPACE
    extension_providers: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EXTENSION_PROVIDERS))
    default_access_logging: tuple[str, ...] = ()
    proxy_metadata: dict[str, str] = field(default_factory=dict)
    image_type: str = ""             # defaultConfig.image.imageType (the proxy image variant, e.g. distroless)
    ingress_controller_mode: str = "STRICT"     # ingressControllerMode (mesh.DefaultMeshConfig: STRICT)
    ingress_service: str = "istio-ingressgateway"  # ingressService (mesh.DefaultMeshConfig)
    problem: str | None = None       # the ConfigMap's mesh key could not be read (Istio refuses it too)
    # meshNetworks (mesh.ParseMeshNetworks): network name -> its endpoints; None without the key or unreadable
    mesh_networks: dict[str, list[dict]] | None = None

    def providers_of_type(self, provider_type: str) -> set[str]:
        return {name for name, kind in self.extension_providers.items() if kind == provider_type}


def is_mesh_config_map(obj: dict) -> bool:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (obj.get("apiVersion") == "v1" and obj.get("kind") == "ConfigMap" and md.get("name") == MESH_CONFIG_MAP
            and (md.get("namespace") or "default") == ISTIO_NAMESPACE)


def read_mesh_config(obj: dict) -> MeshConfigInput:
    """The mesh config of the ``istio`` ConfigMap (``is_mesh_config_map(obj)``)."""
    md = obj.get("metadata") or {}
    where = (str(md.get("namespace")), str(md.get("name")))
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    text = data.get(MESH_CONFIG_KEY)
    if not isinstance(text, str):
        return MeshConfigInput(*where, problem=f"missing config map key {MESH_CONFIG_KEY!r}")
    try:
        docs = [d.data for d in load_documents(text, f"ConfigMap {where[0]}/{where[1]} data.mesh", keep_nodes=False)]
    except InputError as exc:
        return MeshConfigInput(*where, problem=f"error parsing mesh config: {exc}")
    mesh = docs[0] if docs else {}
    if not isinstance(mesh, dict):
        return MeshConfigInput(*where, problem="error parsing mesh config: not a mapping")
    return MeshConfigInput(
        *where,
        root_namespace=str(mesh.get("rootNamespace") or DEFAULT_ROOT_NAMESPACE),
        extension_providers=_extension_providers(mesh.get("extensionProviders")),
        default_access_logging=tuple(str(p) for p in _mapping(mesh.get("defaultProviders")).get("accessLogging")
                                     or [] if isinstance(p, str)),
        proxy_metadata={str(k): str(v) for k, v in _mapping(_mapping(mesh.get("defaultConfig"))
                                                             .get("proxyMetadata")).items()},
        image_type=str(_mapping(_mapping(mesh.get("defaultConfig")).get("image")).get("imageType") or ""),
        ingress_controller_mode=str(mesh.get("ingressControllerMode") or "STRICT").upper(),
        ingress_service=str(mesh.get("ingressService") or "istio-ingressgateway"),
        mesh_networks=_mesh_networks(data.get(MESH_NETWORKS_KEY), where))


def _mesh_networks(text, where: tuple[str, str]) -> dict[str, list[dict]] | None:
    """The networks of the meshNetworks key: name -> endpoints (mappings); None when absent or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        docs = [d.data for d in load_documents(text, f"ConfigMap {where[0]}/{where[1]} data.meshNetworks",
                                               keep_nodes=False)]
    except InputError:
        return None
    networks = _mapping(docs[0] if docs else {}).get("networks")
    return {str(name): [e for e in (_mapping(net).get("endpoints") or []) if isinstance(e, dict)]
            for name, net in _mapping(networks).items()}


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _extension_providers(entries) -> dict[str, str]:
    """mesh.ApplyMeshConfig: each provider of the input replaces the provider of the same name (the built-in
    ones included), or is added."""
    providers = dict(DEFAULT_EXTENSION_PROVIDERS)
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        kinds = [k for k in entry if k not in PROVIDER_FIELDS]
        providers[str(entry["name"])] = str(kinds[0]) if kinds else ""
    return providers
