"""Small manifest builders for rule tests: valid by default, override what a case is about."""

from __future__ import annotations

import copy

from meshdesigner.io.importer import build_project
from meshdesigner.io.manifests import ManifestSet, SourceRef, parse_resource

HOST = "a.example.com"
SIMPLE_TLS = {"mode": "SIMPLE", "credentialName": "a-cert"}
ROUTE = [{"route": [{"destination": {"host": "reviews"}}]}]


def meta(name: str, ns: str = "default", **extra) -> dict:
    return {"name": name, "namespace": ns, **extra}


def server(number=443, protocol="HTTPS", name=None, hosts=(HOST,), tls="default", **extra) -> dict:
    out = {"port": {"number": number, "name": f"{protocol.lower()}-{number}" if name is None else name,
                    "protocol": protocol},
           "hosts": list(hosts)}
    if tls == "default":
        tls = SIMPLE_TLS if protocol in ("HTTPS", "TLS") else None
    if tls is not None:
        out["tls"] = dict(tls)
    out.update(extra)
    return out


def gw(*servers, name="gw", ns="default", selector=None, metadata=None) -> dict:
    servers = list(servers) if servers else [server()]
    return {"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": metadata or meta(name, ns),
            "spec": {"selector": selector if selector is not None else {"istio": "ingressgateway"},
                     "servers": servers}}


def vs(name="vs", ns="default", hosts=(HOST,), gateways=("gw",), http="default", metadata=None, **spec) -> dict:
    body = {}
    if hosts is not None:
        body["hosts"] = list(hosts)
    if gateways is not None:
        body["gateways"] = list(gateways)
    if http == "default":
        http = copy.deepcopy(ROUTE) if not (spec.get("tcp") or spec.get("tls")) else None
    if http is not None:
        body["http"] = http
    body.update(spec)
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": metadata or meta(name, ns), "spec": body}


def http(*rules) -> list:
    return list(rules)


def svc(name="reviews", ns="default", ports=((9080, "http"),), selector=None, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns),
            "spec": {"selector": selector if selector is not None else {"app": name},
                     "ports": [{"port": p, "name": n} for p, n in ports], **spec}}


def se(name="ext", ns="default", hosts=("api.example.com",), ports=((443, "https", "TLS"),), metadata=None,
       **spec) -> dict:
    body = {"hosts": list(hosts), "location": "MESH_EXTERNAL", "resolution": "DNS",
            "ports": [{"number": p, "name": n, "protocol": proto} for p, n, proto in ports]}
    body.update(spec)
    return {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": metadata or meta(name, ns),
            "spec": body}


def dr(name="reviews", ns="default", host="reviews", subsets=(("v1", {"version": "v1"}),), **spec) -> dict:
    body = {"host": host}
    if subsets:
        body["subsets"] = [{"name": n, "labels": labels} for n, labels in subsets]
    body.update(spec)
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta(name, ns),
            "spec": body}


def design(*docs):
    """A project built the way the importer builds one."""
    manifests = ManifestSet()
    for i, doc in enumerate(docs):
        parsed = parse_resource(copy.deepcopy(doc), SourceRef(f"case-{i}.yaml", 1))
        if isinstance(parsed, dict):
            manifests.others.append(parsed)
        else:
            manifests.resources.append(parsed)
    return build_project(manifests, "case").project
