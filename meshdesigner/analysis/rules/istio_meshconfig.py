"""The mesh config of the input (the ``istio`` ConfigMap of istio-system, key ``mesh``):

* MD1031: its ``mesh`` key cannot be read. istioctl analyze stops there ("missing config map key" / "error
  parsing mesh config", ``IstiodAnalyzer.addRunningKubeIstioConfigMapSource``) and istiod refuses it; the
  analyzers that read the mesh config then treat it as absent, and this error says why.
* MD1047: its rootNamespace differs from the project's ``root_namespace`` setting. The analyzer ports follow the
  mesh config; the compiler, the exports and the simulator attach policies by the project setting, so the two
  would disagree about which policies are mesh-wide.
"""

from __future__ import annotations

from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule

MESH_CONFIG_UNREADABLE = register(MessageType(
    "MD1031", "MeshConfigUnreadable", ERROR,
    template="mesh config not read: {problem}",
    explain="The istio ConfigMap in istio-system holds the mesh config under its 'mesh' key as YAML; this one is "
            "missing or is not a YAML mapping. istiod cannot start with it and istioctl analyze stops; the "
            "checks that read the mesh config (root namespace, telemetry providers) treat it as absent. Fix the "
            "'mesh' key.",
    istio=None))


@rule("istio.mesh_config", codes=("MD1031",), kinds=(), scope=DESIGN)
def mesh_config(ctx):
    mesh = ctx.cluster.mesh_config_unread
    if mesh is not None:
        yield MESH_CONFIG_UNREADABLE.at(ResourceRef("ConfigMap", mesh.namespace, mesh.name), "data.mesh",
                                        problem=mesh.problem)


ROOT_NAMESPACE_DIFFERS = register(MessageType(
    "MD1047", "MeshConfigRootNamespaceDiffers", WARNING,
    template="the mesh config's rootNamespace is {mesh!r} but the project's root_namespace setting is {project!r}",
    explain="istiod treats policies in the mesh config's rootNamespace as mesh-wide. The Istio analyzer checks "
            "follow the mesh config of the input, while the Envoy export and the simulator attach policies by "
            "the project's root_namespace setting: set that setting to the mesh config's value so both agree.",
    istio=None))


@rule("istio.mesh_config_root_namespace", codes=("MD1047",), kinds=(), scope=DESIGN)
def mesh_config_root_namespace(ctx):
    mesh = ctx.cluster.mesh_config
    if mesh is not None and mesh.root_namespace != ctx.settings.root_namespace:
        yield ROOT_NAMESPACE_DIFFERS.at(ResourceRef("ConfigMap", mesh.namespace, mesh.name), "data.mesh",
                                        mesh=mesh.root_namespace, project=ctx.settings.root_namespace)
