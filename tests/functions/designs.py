"""Small designs with gateway functions, shared by the function tests.

A design "with functions" is made the way a user gets one today: a format-2 project file whose gateway
has a ``functions:`` block, opened by the current reader, which migrates it into Istio resources
(``policies``). So every behaviour test here also tests the migration."""

from __future__ import annotations

from meshdesigner.io.project_file import parse_project, project_to_data
from meshdesigner.io.yamlio import dump_canonical
from meshdesigner.model import (
    Gateway,
    GatewayNode,
    KubeService,
    MeshServiceNode,
    NodeKind,
    Project,
    VirtualService,
    VirtualServiceNode,
)

GATEWAY_ID = "ingress-gateway:default/edge-gw"
SELECTOR = {"istio": "ingressgateway"}


def edge_design(functions: dict | None = None, port: int = 80, host: str = "shop.example.com",
                backend_port: int = 80, protocol: str = "HTTP", with_service: bool = True) -> Project:
    """Gateway ``edge-gw`` (one HTTP server) -> VS ``shop`` with named routes ``cached`` (/static),
    ``limited`` (/limited) and ``main`` (/) -> Service ``web``."""
    gateway = Gateway.from_wire({
        "metadata": {"name": "edge-gw", "namespace": "default"},
        "spec": {"selector": SELECTOR,
                 "servers": [{"port": {"number": port, "protocol": protocol, "name": protocol.lower()},
                              "hosts": [host]}]},
    })
    service = None
    if with_service:
        service = KubeService.from_wire({
            "metadata": {"name": "edge-gw", "namespace": "istio-system"},
            "spec": {"type": "LoadBalancer", "selector": SELECTOR, "externalTrafficPolicy": "Local",
                     "ports": [{"name": "http", "port": port, "targetPort": port}]},
        })
    if protocol == "TCP":
        vs = VirtualService.from_wire({
            "metadata": {"name": "shop", "namespace": "default"},
            "spec": {"hosts": [host], "gateways": ["edge-gw"],
                     "tcp": [{"route": [{"destination": {"host": "web", "port": {"number": backend_port}}}]}]},
        })
    else:
        vs = _http_virtual_service(host, backend_port)
    web = KubeService.from_wire({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": backend_port}]},
    })
    project = Project(name="functions", nodes=[
        GatewayNode(id=GATEWAY_ID, kind=NodeKind.INGRESS_GATEWAY, gateway=gateway, service=service),
        VirtualServiceNode(id="virtual-service:default/shop", virtual_service=vs),
        MeshServiceNode(id="mesh-service:default/web", service=web),
    ])
    return with_old_functions(project, {GATEWAY_ID: functions}) if functions else project


def old_file(project: Project, functions: dict[str, dict]) -> str:
    """``project`` as a format-2 project file whose gateways (by node id) have these ``functions:``."""
    data = project_to_data(project)
    data["format_version"] = 2
    for node in data["nodes"]:
        if functions.get(node["id"]):
            node["functions"] = functions[node["id"]]
    return dump_canonical(data)


def with_old_functions(project: Project, functions: dict[str, dict]) -> Project:
    """The project a user gets by opening :func:`old_file` today (the functions migrated to resources)."""
    return parse_project(old_file(project, functions))


def _http_virtual_service(host: str, backend_port: int) -> VirtualService:
    return VirtualService.from_wire({
        "metadata": {"name": "shop", "namespace": "default"},
        "spec": {"hosts": [host], "gateways": ["edge-gw"], "http": [
            {"name": "cached", "match": [{"uri": {"prefix": "/static"}}],
             "route": [{"destination": {"host": "web", "port": {"number": backend_port}}}]},
            {"name": "limited", "match": [{"uri": {"prefix": "/limited"}}],
             "route": [{"destination": {"host": "web", "port": {"number": backend_port}}}]},
            {"name": "main", "route": [{"destination": {"host": "web", "port": {"number": backend_port}}}]},
        ]},
    })


FULL_FUNCTIONS = {
    "firewall": {"rules": [
        {"action": "DENY", "name": "block-partner", "remoteIpBlocks": ["203.0.113.0/24"]},
        {"action": "DENY", "paths": ["/admin*"], "methods": ["DELETE"], "notIpBlocks": ["10.0.0.0/8"]},
        {"action": "ALLOW", "remoteIpBlocks": ["0.0.0.0/0"], "hosts": ["shop.example.com"], "ports": [80],
         "headers": [{"name": "x-tenant", "values": ["a*", "b"]}, {"name": "x-debug", "notValues": ["1"]}]},
    ]},
    "jwt": {"rules": [{"issuer": "https://issuer.example.com", "audiences": ["shop"],
                       "jwks": '{"keys":[]}', "fromHeaders": [{"name": "x-jwt", "prefix": "Bearer "}],
                       "fromParams": ["token"], "forwardOriginalToken": True,
                       "outputPayloadToHeader": "x-jwt-payload"}],
            "requirePrincipal": True},
    "cache": {"routes": [{"virtualService": "default/shop", "route": "cached"}], "maxBodyBytes": 65536,
              "allowedVaryHeaders": ["Accept-Encoding"]},
    "rateLimits": [{"tokensPerFill": 100, "fillInterval": "1s", "maxTokens": 200},
                   {"tokensPerFill": 2, "fillInterval": "60s", "status": 503,
                    "route": {"virtualService": "default/shop", "route": "limited"}}],
    "accessLog": {"filter": "response.code >= 400"},
}
