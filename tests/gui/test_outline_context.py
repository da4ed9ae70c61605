"""The outline lists the context objects kept with a design (issue 13): Pods, Namespaces, Deployments ...
by kind, filtered like the design's nodes, and follows edits of the verbatim resources."""

from __future__ import annotations

import pytest

from meshdesigner.io.importer import import_manifests

pytestmark = pytest.mark.gui

MANIFESTS = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
---
apiVersion: v1
kind: Pod
metadata: {name: ingress-1, namespace: istio-system, labels: {istio: ingressgateway}}
spec: {containers: [{name: istio-proxy, image: proxyv2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {}
"""


def _texts(item):
    return [item.child(i).text(0) for i in range(item.childCount())]


def test_outline_lists_context_objects(tmp_path, qtbot):
    from meshdesigner.gui.document import Document
    from meshdesigner.gui.panels.palette import Outline

    path = tmp_path / "in.yaml"
    path.write_text(MANIFESTS)
    project = import_manifests([str(path)]).project
    outline = Outline()
    qtbot.addWidget(outline)
    outline.set_document(Document(project))
    outline.rebuild()
    tops = [outline.tree.topLevelItem(i) for i in range(outline.tree.topLevelItemCount())]
    context = [t for t in tops if t.text(0).startswith("Context objects")]
    assert len(context) == 1 and context[0].text(0) == "Context objects (2, not drawn)"
    assert _texts(context[0]) == ["Deployment (1)", "Pod (1)"]
    assert _texts(context[0].child(1)) == ["istio-system/ingress-1"]
    outline.filter.setText("deploy")
    outline.rebuild()
    tops = [outline.tree.topLevelItem(i) for i in range(outline.tree.topLevelItemCount())]
    context = [t for t in tops if t.text(0).startswith("Context objects")]
    assert _texts(context[0]) == ["Deployment (1)"]
    # an edit of the verbatim resources shows after the outline's short delay
    outline.filter.setText("")
    project.set_extra_resources([])
    qtbot.waitUntil(lambda: not any(outline.tree.topLevelItem(i).text(0).startswith("Context objects")
                                    for i in range(outline.tree.topLevelItemCount())), timeout=3000)


MESH_AND_SIDECAR = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    rootNamespace: istio-config
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress:
  - hosts: [./*]
"""


def test_outline_shows_the_mesh_config_and_sidecars(tmp_path, qtbot):
    from meshdesigner.gui.document import Document
    from meshdesigner.gui.panels.palette import Outline

    path = tmp_path / "in.yaml"
    path.write_text(MANIFESTS + "---\n" + MESH_AND_SIDECAR)
    project = import_manifests([str(path)]).project
    outline = Outline()
    qtbot.addWidget(outline)
    outline.set_document(Document(project))
    outline.rebuild()
    tops = [outline.tree.topLevelItem(i) for i in range(outline.tree.topLevelItemCount())]
    context = [t for t in tops if t.text(0).startswith("Context objects")][0]
    assert _texts(context) == ["ConfigMap (1)", "Deployment (1)", "Pod (1)", "Sidecar (1)"]
    assert _texts(context.child(0)) == ["istio-system/istio (mesh config)"]
    assert _texts(context.child(3)) == ["shop/default"]
