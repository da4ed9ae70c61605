"""The compile cache behind the live checks: after an edit only the workloads whose inputs changed are compiled
again, and what it returns always equals a fresh compile of the edited design. Expected drops are written
from istiod's rules (mergeGateways, buildGatewayNetworkFiltersFromTCPRoutes / FromTLSRoutes, mergeHTTPRoute)."""

from __future__ import annotations

import textwrap

from meshdesigner.compile import CompileCache, CompileOptions, workload_drops
from meshdesigner.io.importer import import_manifests

# Three workloads: "istio=tcp" (a TCP server, routed by tcp-vs), "istio=web" (HTTP and HTTPS servers; root-vs
# delegates to child-vs, whose second rule conflicts with the root's /shop prefix) and "istio=pass" (TLS
# passthrough; pass-a and pass-b route the same SNI host, so istiod skips pass-b's match).
DESIGN = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gw, namespace: edge}
spec:
  selector: {istio: tcp}
  servers:
  - port: {number: 9000, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-vs, namespace: edge}
spec:
  hosts: ["*"]
  gateways: [tcp-gw]
  tcp:
  - match: [{port: 9000}]
    route: [{destination: {host: db, port: {number: 5432}}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gw, namespace: edge}
spec:
  selector: {istio: web}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: edge}
spec:
  hosts: [shop.example.com]
  gateways: [web-gw]
  http:
  - match: [{uri: {prefix: /static}}]
    route: [{destination: {host: static}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root-vs, namespace: edge}
spec:
  hosts: [shop.example.com]
  gateways: [web-gw]
  http:
  - match: [{uri: {prefix: /shop}}]
    delegate: {name: child-vs, namespace: edge}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: child-vs, namespace: edge}
spec:
  http:
  - match: [{uri: {prefix: /shop/cart}}]
    route: [{destination: {host: cart}}]
  - match: [{uri: {prefix: /blog}}]
    route: [{destination: {host: blog}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: pass-gw, namespace: edge}
spec:
  selector: {istio: pass}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass-a, namespace: edge}
spec:
  hosts: [a.example.com]
  gateways: [pass-gw]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: a.example.com, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass-b, namespace: edge}
spec:
  hosts: [a.example.com]
  gateways: [pass-gw]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: a.example.com, port: {number: 443}}}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: edge}
spec:
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
"""


def design(tmp_path, text: str = DESIGN):
    path = tmp_path / "design.yaml"
    path.write_text(textwrap.dedent(text))
    return import_manifests([str(path)]).project


def node(project, kind: str, name: str):
    return project.node(f"{kind}:edge/{name}")


def with_spec(node, attr: str, change):
    """``node`` with ``change(spec_dict)`` applied to its ``attr`` resource (a new, edited node)."""
    resource = getattr(node, attr)
    spec = resource.spec.to_wire()
    change(spec)
    return node.model_copy(update={attr: resource.model_copy(update={"spec": type(resource.spec).from_wire(spec)})})


def codes(drops) -> set[tuple[str, str, str]]:
    return {(d.code, d.ref, d.field) for d in drops}


def test_the_design_has_the_drops_istio_makes(tmp_path):
    project = design(tmp_path)
    assert codes(workload_drops(project)) == {
        # child-vs's /blog cannot narrow the root's /shop prefix (mergeHTTPRoute / hasConflict)
        ("MD0807", "edge/child-vs", "spec.http[1]"),
        # pass-b routes a.example.com again on the same port: istiod skips the duplicate SNI match
        ("MD0420", "edge/pass-b", "spec.tls[0].match[0]"),
    }


def test_an_edit_recompiles_only_the_workloads_it_touches(tmp_path):
    project = design(tmp_path)
    cache = CompileCache()
    options = CompileOptions.for_project(project)

    def drops():
        found = cache.drops(project, options)
        assert found == workload_drops(project, options)     # always what a fresh compile says
        return found

    drops()
    assert sorted(cache.compiled_workloads) == ["istio=pass", "istio=tcp", "istio=web"]
    drops()
    assert cache.compiled_workloads == []

    # the VS routing tcp-gw's TCP server loses its tcp route: only tcp-gw's workload is compiled again
    project.replace_node(with_spec(node(project, "virtual-service", "tcp-vs"), "virtual_service",
                                   lambda s: s["tcp"][0].update(match=[{"port": 9001}])))
    assert ("MD0805", "edge/tcp-gw", "spec.servers[0]") in codes(drops())
    assert cache.compiled_workloads == ["istio=tcp"]

    # a VS bound to web-gw: only web-gw's workload
    project.replace_node(with_spec(node(project, "virtual-service", "root-vs"), "virtual_service",
                                   lambda s: s["http"][0].update(match=[{"uri": {"prefix": "/"}}])))
    assert ("MD0807", "edge/child-vs", "spec.http[1]") not in codes(drops())   # "/" admits /blog
    assert cache.compiled_workloads == ["istio=web"]

    # the delegate child (bound to no gateway) is an input of the workload whose VS delegates to it
    project.replace_node(with_spec(node(project, "virtual-service", "child-vs"), "virtual_service",
                                   lambda s: s["http"][0]["match"][0].update(ignoreUriCase=True)))
    assert ("MD0807", "edge/child-vs", "spec.http[0]") in codes(drops())   # ignoreUriCase differs from the root
    assert cache.compiled_workloads == ["istio=web"]

    # a VS on HTTP(S) servers only, without delegates: its routes are not compiled for the checks at all
    project.replace_node(with_spec(node(project, "virtual-service", "web"), "virtual_service",
                                   lambda s: s["http"][0].update(timeout="3s")))
    drops()
    assert cache.compiled_workloads == []

    # a Gateway edit: its own workload only
    project.replace_node(with_spec(node(project, "ingress-gateway", "pass-gw"), "gateway",
                                   lambda s: s["servers"][0].update(hosts=["b.example.com"])))
    found = drops()
    assert cache.compiled_workloads == ["istio=pass"]
    # a.example.com is no longer a host of the server: no tls route applies, so no chain and no listener
    assert ("MD0420", "edge/pass-b", "spec.tls[0].match[0]") not in codes(found)
    assert ("MD0806", "edge/pass-gw", "port 443") in codes(found)

    # a Service, and moving a node on the canvas: nothing
    project.replace_node(with_spec(node(project, "mesh-service", "db"), "service",
                                   lambda s: s["ports"].append({"name": "tcp-x", "port": 5433})))
    project.move_node(node(project, "ingress-gateway", "web-gw").id, (300.0, 40.0))
    drops()
    assert cache.compiled_workloads == []


def test_a_gateway_moving_to_another_workload(tmp_path):
    project = design(tmp_path)
    cache = CompileCache()
    cache.drops(project)
    # tcp-gw now selects web-gw's pods, with its TCP server on port 80
    project.replace_node(with_spec(node(project, "ingress-gateway", "tcp-gw"), "gateway",
                                   lambda s: (s.update(selector={"istio": "web"}),
                                              s["servers"][0]["port"].update(number=80))))
    found = cache.drops(project)
    assert found == workload_drops(project)
    assert cache.compiled_workloads == ["istio=web"]     # the only workload whose inputs changed (tcp's is gone)
    # merge order is by name: tcp-gw's TCP server takes port 80 first, so web-gw's HTTP server cannot join it
    # (canMergeProtocols) and istiod skips it
    assert ("MD0802", "edge/web-gw", "spec.servers[0]") in codes(found)


def test_a_service_fronting_the_gateway_pods_moves_the_workload_namespace(tmp_path):
    project = design(tmp_path, DESIGN + """---
apiVersion: v1
kind: Service
metadata: {name: tcp-gateway, namespace: infra}
spec:
  selector: {istio: other}
  ports: [{name: tcp, port: 9000}]
""")
    # tcp-vs's route now applies only to proxies in namespace edge (sourceNamespace)
    project.replace_node(with_spec(node(project, "virtual-service", "tcp-vs"), "virtual_service",
                                   lambda s: s["tcp"][0]["match"][0].update(sourceNamespace="edge")))
    cache = CompileCache()
    assert ("MD0805", "edge/tcp-gw", "spec.servers[0]") not in codes(cache.drops(project))
    # the Service in namespace infra now selects tcp-gw's pods: they (so the proxy) run in infra, where the
    # match does not apply (sourceNamespace is the proxy's namespace): the server gets no filter chain
    service = project.node("mesh-service:infra/tcp-gateway")
    project.replace_node(with_spec(service, "service", lambda s: s.update(selector={"istio": "tcp"})))
    found = cache.drops(project)
    assert found == workload_drops(project)
    assert ("MD0805", "edge/tcp-gw", "spec.servers[0]") in codes(found)
    assert cache.compiled_workloads == ["istio=tcp"]
    project.replace_node(service)
    assert ("MD0805", "edge/tcp-gw", "spec.servers[0]") not in codes(cache.drops(project))
