"""Turning manifests into a design: resources become nodes, DestinationRules join their service,
other kinds are kept verbatim, and the nodes are laid out in lanes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..model import (
    DestinationRule,
    ExternalServiceNode,
    Gateway,
    GatewayNode,
    KubeService,
    MeshServiceNode,
    NodeKind,
    ObjectMeta,
    Project,
    Resource,
    ServiceEntry,
    VirtualService,
    VirtualServiceNode,
)
from ..model.hosts import CLUSTER_SUFFIX, expand_host
from ..model.layout import apply_layout
from ..model.meta import DEFAULT_NAMESPACE
from ..model.security import policy_from_manifest, policy_type
from .gcpause import gc_paused
from .manifests import ManifestSet, RejectedObject, SourceRef, read_manifests


@dataclass
class ImportResult:
    project: Project
    sources: dict[tuple[str, str, str], SourceRef] = field(default_factory=dict)
    kept_verbatim: list[str] = field(default_factory=list)  # "Kind namespace/name" of other kinds
    # Secrets read, as references without values (manifests.secret_reference): never in the project.
    secrets: list[dict] = field(default_factory=list)
    rejected: list[RejectedObject] = field(default_factory=list)  # Istio objects the model cannot hold (lenient)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for node in self.project:
            counts[str(node.kind)] = counts.get(str(node.kind), 0) + 1
        parts = [f"{n} {k}" for k, n in sorted(counts.items())]
        if self.project.policies:
            count = len(self.project.policies)
            parts.append(f"{count} polic{'ies' if count != 1 else 'y'}")
        if self.kept_verbatim:
            count = len(self.kept_verbatim)
            parts.append(f"{count} other resource{'s' if count != 1 else ''} kept verbatim")
        return ", ".join(parts) or "nothing"


def is_egress_gateway(gateway: Gateway) -> bool:
    """Istio's convention: egress gateways select ``istio: egressgateway`` (or are named so)."""
    values = " ".join((gateway.spec.selector or {}).values()).lower()
    return "egress" in values or "egress" in gateway.name.lower()


def build_project(manifests: ManifestSet, name: str = "imported", layout: bool = True) -> ImportResult:
    """A project from parsed manifests, laid out unless ``layout`` is False (nothing will draw it)."""
    project = Project(name=name, extra_resources=manifests.others)
    rules: list[DestinationRule] = []
    for res in manifests.resources:
        if isinstance(res, DestinationRule):
            rules.append(res)
        else:
            project.add_node(_node_for(project, res))
    if rules:    # (the indexes of the candidates are built only when some rule needs one)
        services = {node.fqdn: node.id for node in project.mesh_services()}
        externals = {h.lower(): node.id for node in project.external_services()
                     for h in node.service_entry.spec.hosts or []}
        for rule in rules:
            _attach_destination_rule(project, rule, services, externals)
    # Manifests a format-2 MeshDesigner exported for gateway functions (meshdesigner.io/* annotations)
    # are plain resources: adopted like hand-written ones, annotations kept verbatim.
    adopt_policies(project)
    if layout:
        apply_layout(project)
    kept = [f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}" for o in project.extra_resources]
    return ImportResult(project, manifests.sources, kept, manifests.secrets)


def adopt_policies(project: Project) -> None:
    """Security, telemetry and EnvoyFilter resources kept verbatim become the design's typed policies
    (hand-written ones included: they are drawn, checked, simulated and exported to Envoy)."""
    extras = project.extra_resources
    kept = []
    for manifest in extras:
        if policy_type(manifest.get("apiVersion"), manifest.get("kind")) is None:
            kept.append(manifest)
            continue
        project.add_policy(policy_from_manifest(manifest))
    if len(kept) != len(extras):
        project.set_extra_resources(kept)


def import_manifests(paths: Iterable[str], name: str = "imported", default_namespace: str = DEFAULT_NAMESPACE,
                     progress: Callable[[int, int, str], None] | None = None,
                     keep_nodes: bool = False, lenient: bool = False, layout: bool = True) -> ImportResult:
    """Read manifest files or folders into a new project (raises ``InputError`` on bad input; with
    ``lenient``, objects the model cannot hold are listed in ``rejected`` instead). ``layout=False``
    leaves every node at the origin, for commands that never draw the design (the layout of 80,000
    objects takes seconds)."""
    with gc_paused():
        manifests = read_manifests(paths, default_namespace, progress=progress, keep_nodes=keep_nodes,
                                   lenient=lenient)
        result = build_project(manifests, name, layout)
        result.rejected = list(manifests.rejected)
        return result


def _node_for(project: Project, res: Resource):
    if res.__class__ is KubeService:    # (first and without isinstance: most objects of a large input)
        return MeshServiceNode(id=project.new_id(NodeKind.MESH_SERVICE, res.namespace, res.name), service=res)
    if isinstance(res, Gateway):
        kind = NodeKind.EGRESS_GATEWAY if is_egress_gateway(res) else NodeKind.INGRESS_GATEWAY
        return GatewayNode(id=project.new_id(kind, res.namespace, res.name), kind=kind, gateway=res)
    if isinstance(res, VirtualService):
        return VirtualServiceNode(id=project.new_id(NodeKind.VIRTUAL_SERVICE, res.namespace, res.name),
                                  virtual_service=res)
    if isinstance(res, ServiceEntry):
        return ExternalServiceNode(id=project.new_id(NodeKind.EXTERNAL_SERVICE, res.namespace, res.name),
                                   service_entry=res)
    if isinstance(res, KubeService):
        return MeshServiceNode(id=project.new_id(NodeKind.MESH_SERVICE, res.namespace, res.name), service=res)
    raise TypeError(f"no node kind for {type(res).__name__}")  # pragma: no cover


def _attach_destination_rule(project: Project, rule: DestinationRule, services: dict[str, str],
                             externals: dict[str, str]) -> None:
    """Give the rule to the service it configures; a rule for a service the design lacks gets an
    unmanaged mesh service node (drawn, not exported) so nothing is lost.

    ``services`` (fqdn -> node id) and ``externals`` (host -> node id) index the candidates."""
    host = expand_host(rule.spec.host, rule.namespace).lower()
    for node_id in (services.get(host), externals.get(host)):
        if node_id is not None:
            node = project.node(node_id)
            if node.destination_rule is None:
                project.replace_node(node.model_copy(update={"destination_rule": rule}))
                return
    suffix = "." + CLUSTER_SUFFIX
    if host.endswith(suffix) and host.count(".") == 4:
        svc_name, svc_ns = host[: -len(suffix)].split(".")
    else:
        svc_name, svc_ns = rule.name, rule.namespace
    service = KubeService(metadata=ObjectMeta(name=svc_name, namespace=svc_ns))
    project.add_node(MeshServiceNode(id=project.new_id(NodeKind.MESH_SERVICE, svc_ns, svc_name),
                                     service=service, managed=False, destination_rule=rule))
