"""The mesh config of the input (MD1031): the ``istio`` ConfigMap of istio-system whose ``mesh`` key cannot be
read. istioctl analyze stops there ("could not read configmap" / "missing config map key" / "error parsing
mesh config", ``IstiodAnalyzer.addRunningKubeIstioConfigMapSource``) and istiod refuses it; here the analyzers
that read the mesh config then treat it as absent, and this error says why.
"""

from __future__ import annotations

from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR
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
