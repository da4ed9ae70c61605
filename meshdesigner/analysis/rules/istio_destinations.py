"""Destination hosts Istio cannot see (MD1002, IST0101), ported from istio/istio
``pkg/config/analysis/analyzers/virtualservice/destinationhosts.go`` (DestinationHostAnalyzer.analyzeVirtualService)
with ``util/service_lookup.go`` (InitServiceEntryHostMap, GetDestinationHost):

* a ServiceEntry is visible where its ``exportTo`` says (none: everywhere; ``.``: its own namespace);
* a Kubernetes Service where its ``networking.istio.io/exportTo`` annotation says (none: everywhere);
* the virtual service looks the host up in its own namespace, or, with ``exportTo``, in those namespaces.

A host in the design but hidden from the virtual service is an error in Istio ("Referenced host not found").
A host the design does not hold at all is MD0402 (info: the design may be partial), or MD1003 (error, as in
Istio) once the project declares its external resources (settings.external_resources / validate --external).
"""

from __future__ import annotations

from ...model.nodes import ExternalServiceNode, MeshServiceNode
from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..memo import destinations_of
from ..messages import register
from ..registry import rule

EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo"

HOST_NOT_EXPORTED = register(MessageType(
    "MD1002", "DestinationHostNotExported", ERROR,
    template="Referenced host not found: {host!r} ({owner} is not exported to namespace {namespace})",
    explain="The destination host exists, but its ServiceEntry's exportTo (or its Service's "
            "networking.istio.io/exportTo annotation) hides it from the virtual service's namespace, so istiod "
            "has no such service there and the route answers 503 (virtualservice/destinationhosts.go, "
            "GetDestinationHost). Export the service to that namespace or move the virtual service.",
    istio="IST0101"))
HOST_NOT_FOUND = register(MessageType(
    "MD1003", "ReferencedHostNotFound", ERROR,
    template="Referenced host not found: {host!r}",
    explain="The project declares the resources that live elsewhere (settings.external_resources or validate "
            "--external), so the design is taken as complete; this destination host is neither in the design "
            "nor declared as external, which Istio reports as IST0101 (virtualservice/destinationhosts.go). "
            "Add the service, fix the host, or declare it: NAMESPACE/Service/NAME or NAMESPACE/ServiceEntry/NAME.",
    istio="IST0101"))


def visible_namespaces(node) -> set[str] | None:
    """Namespaces a destination is exported to (None: every namespace)."""
    if isinstance(node, ExternalServiceNode):
        se = node.service_entry
        values = se.spec.export_to
        if not values or "*" in values:
            return None
        return {se.namespace if v == "." else v for v in values}
    if isinstance(node, MeshServiceNode):
        svc = node.service
        annotation = (svc.metadata.annotations or {}).get(EXPORT_TO_ANNOTATION, "")
        if not annotation.strip():
            return None
        values = [v.strip() for v in annotation.split(",")]
        if "*" in values:
            return None
        return {svc.namespace if v == "." else v for v in values}
    return None


def _visible_from(target, namespaces: set[str]) -> bool:
    visible = visible_namespaces(target)
    return visible is None or bool(visible & namespaces)


@rule("istio.destination_hosts_visible", codes=("MD1002", "MD1003"), kinds=("virtual-service",))
def destination_hosts_visible(ctx, node):
    if not ctx.closed_world and not ctx.any_restricted_export():
        return  # every destination of the design is visible everywhere, and absent hosts are MD0402
    vs = node.virtual_service
    ns = vs.namespace
    looked_up_in = {ns if v == "." else v for v in vs.spec.export_to or []} or {ns}
    for path, dest, _weight in destinations_of(vs):
        if not dest.host or "*" in dest.host:
            continue
        exact, wildcard = ctx.destination_candidates(dest.host, ns)
        if not exact and not wildcard:
            if ctx.closed_world and not (ctx.is_external("Service", dest.host, ns)
                                         or ctx.is_external("ServiceEntry", dest.host, ns)):
                yield HOST_NOT_FOUND.at(vs.ref, f"{path}.host", host=dest.host)
            continue
        # GetDestinationHost: exact hosts are looked up in the virtual service's exportTo namespaces (its own
        # namespace without exportTo), wildcard service entries only in its own namespace; any visible match
        # is the host.
        if any(_visible_from(t, looked_up_in) for t in exact) or any(_visible_from(t, {ns}) for t in wildcard):
            continue
        owner = (exact or wildcard)[0].held_resources()[0]
        yield HOST_NOT_EXPORTED.at(vs.ref, f"{path}.host", host=dest.host,
                                   owner=f"{owner.KIND} {owner.metadata.qualified}", namespace=ns)
