"""Import: multi-document YAML, kind: List, `kubectl get -o yaml` output, other kinds kept verbatim."""

from __future__ import annotations

import yaml

from meshdesigner.export.istio import project_manifests
from meshdesigner.io.importer import import_manifests
from meshdesigner.model import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeKind

KUBECTL_LIST = """apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1beta1
  kind: Gateway
  metadata:
    name: gw
    namespace: web
    uid: 1234
    resourceVersion: "42"
    creationTimestamp: "2026-01-01T00:00:00Z"
    generation: 3
    managedFields: [{manager: kubectl}]
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: "{}"
      team: edge
  spec:
    selector: {istio: ingressgateway}
    servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: [a.example.com]
  status: {conditions: []}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: web, uid: abc}
  data: {k: v}
- apiVersion: security.istio.io/v1
  kind: AuthorizationPolicy
  metadata: {name: deny, namespace: web}
  spec: {action: DENY}
"""


def test_kubectl_get_list_output(tmp_path):
    path = tmp_path / "live.yaml"
    path.write_text(KUBECTL_LIST)
    result = import_manifests([str(path)])
    (gw,) = result.project.gateways()
    assert gw.gateway.metadata.to_wire() == {"name": "gw", "namespace": "web", "annotations": {"team": "edge"}}
    assert "status" not in gw.gateway.to_wire()
    assert result.kept_verbatim == ["ConfigMap web/settings"]  # the AuthorizationPolicy is a design policy
    assert [str(p.ref) for p in result.project.policies] == ["AuthorizationPolicy web/deny"]
    extras = result.project.extra_resources
    assert {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "web"},
            "data": {"k": "v"}} in extras
    kinds = [m["kind"] for m in project_manifests(result.project)]
    assert kinds == ["Gateway", "AuthorizationPolicy", "ConfigMap"]


def test_folder_import_walks_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("not: [valid")
    (tmp_path / "b" / "svc.yml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n")
    (tmp_path / "a.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\n"
                                     "metadata: {name: ext}\nspec: {hosts: [api.example.com]}\n")
    project = import_manifests([str(tmp_path)]).project
    assert sorted(n.kind for n in project) == [NodeKind.EXTERNAL_SERVICE, NodeKind.MESH_SERVICE]


def test_destination_rules_join_their_service_or_get_an_unmanaged_one(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("""apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {ports: [{port: 9080, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: shop}
spec: {host: ratings.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: shop}
spec: {hosts: [api.example.com]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext-tls, namespace: shop}
spec: {host: api.example.com, trafficPolicy: {tls: {mode: SIMPLE}}}
""")
    project = import_manifests([str(path)]).project
    services = {n.service.name: n for n in project if isinstance(n, MeshServiceNode)}
    assert services["reviews"].managed and services["reviews"].destination_rule.name == "reviews"
    assert not services["ratings"].managed and services["ratings"].destination_rule.name == "ratings"
    (ext,) = [n for n in project if isinstance(n, ExternalServiceNode)]
    assert ext.destination_rule.name == "ext-tls"
    exported = {(m["kind"], m["metadata"]["name"]) for m in project_manifests(project)}
    assert ("Service", "ratings") not in exported and ("DestinationRule", "ratings") in exported


def test_egress_gateways_are_recognised_and_laid_out_left_to_right(oracle):
    project = import_manifests([str(oracle / "istio-samples" / "docs-egress-gateway-http.yaml")]).project
    gateways = [n for n in project if isinstance(n, GatewayNode)]
    assert [g.kind for g in gateways] == [NodeKind.EGRESS_GATEWAY]
    x = {n.kind: n.position[0] for n in project}
    assert x[NodeKind.VIRTUAL_SERVICE] < x[NodeKind.MESH_SERVICE] < x[NodeKind.EGRESS_GATEWAY] \
        < x[NodeKind.EXTERNAL_SERVICE]


def test_import_is_deterministic(oracle):
    paths = [str(oracle / "istio-samples" / "istio-bookinfo-destination-rule-all.yaml")]
    a, b = import_manifests(paths).project, import_manifests(paths).project
    assert a == b


def test_default_namespace_is_applied(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n")
    (node,) = import_manifests([str(path)], default_namespace="team-a").project
    assert node.namespace == "team-a"
    assert yaml.safe_load(path.read_text())["metadata"] == {"name": "s"}  # input untouched


FRONTED = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: edge}
spec:
  selector: {istio: ingressgateway, app: a}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: c, namespace: edge}
spec:
  selector: {app: a, istio: ingressgateway, zone: x}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: d, namespace: edge}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
"""


def _service(name: str, selector: str) -> str:
    return (f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: edge}}\n"
            f"spec:\n  selector: {selector}\n  ports: [{{port: 80, name: http}}]\n")


def test_a_service_fronts_exactly_the_gateways_whose_pods_its_selector_picks(tmp_path):
    # Kubernetes: a Service selects the pods carrying every label of its selector (a subset of the pod's
    # labels; the Gateway's selector stands for its pods' labels). Written by hand, in the design's order.
    path = tmp_path / "mesh.yaml"
    path.write_text(FRONTED + _service("ingress", "{istio: ingressgateway}") + _service("a", "{app: a}")
                    + _service("both", "{app: a, istio: ingressgateway}") + _service("none", "{app: b}")
                    + _service("zone", "{zone: x, app: a}") + _service("nosel", "{}"))
    from meshdesigner.model import ReferenceIndex

    project = import_manifests([str(path)]).project
    index = ReferenceIndex(project)
    fronted = {svc.name: [gw.name for gw in index.fronted_gateways(svc)] for svc in project.mesh_services()}
    assert fronted == {"ingress": ["a", "b", "c"], "a": ["a", "c"], "both": ["a", "c"], "none": [],
                       "zone": ["c"], "nosel": []}
