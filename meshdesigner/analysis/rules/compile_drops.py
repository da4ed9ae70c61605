"""MD08xx: what istiod drops while it builds a gateway workload's config (the compiler's drops).

The compiler (:func:`meshdesigner.compile.workload_drops`) merges every Gateway that selects the same
pods as istiod's ``mergeGateways`` does; a server or route istiod skips there is reported here on the
resource and field it comes from. Drops that another check already reports keep that check's code.
"""

from __future__ import annotations

from ...compile import CompileOptions, workload_drops
from ...compile import drops as codes
from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule


def _m(code: str, name: str, template: str, explain: str) -> MessageType:
    return register(MessageType(code, name, WARNING, template, " ".join(explain.split()), None))


SERVER_UNSUPPORTED = _m(
    codes.SERVER_UNSUPPORTED, "ServerWithoutEnvoyEquivalent", "{message}",
    """The server's protocol and TLS settings describe nothing Envoy can serve (for example TLS without a
    TLS mode istiod knows), so istiod builds no filter chain for it. Fix the protocol or the TLS block.""")
PORT_CONFLICT = _m(
    codes.PORT_CONFLICT, "ServerDroppedPortConflict", "{message}",
    """Gateways that select the same pods share one Envoy, and istiod merges their servers port by port
    (mergeGateways): HTTP servers merge, but a server whose protocol cannot share the port with the plain-text
    server already there (TCP beside HTTP, HTTPS after HTTP, two TCP servers) is skipped, in the order
    Gateways are merged (creation time, then name, then namespace). Move the server to another port, give it
    its own bind address, or select other pods.""")
DUPLICATE_TLS_HOST = _m(
    codes.DUPLICATE_TLS_HOST, "ServerDroppedDuplicateTlsHost", "{message}",
    """On one port (and bind address) of a gateway workload, each host may appear in only one server with TLS
    settings: Envoy would reject two filter chains with the same SNI match, so istiod skips the later server
    (CheckDuplicates), even when it belongs to another Gateway selecting the same pods. Serve the host from
    one server, or use another port.""")
DUPLICATE_ROUTE_NAME = _m(
    codes.DUPLICATE_ROUTE_NAME, "ServerDroppedDuplicateRouteName", "{message}",
    """Each HTTPS server of a workload gets its own route table named https.<port>.<portName>.<gateway>.
    <namespace>; a second server with the same name is skipped by istiod. Give the server's port a unique
    name.""")
NO_TCP_ROUTE = _m(
    codes.NO_TCP_ROUTE, "ServerWithoutTcpRoute", "{message}",
    """A TCP or TLS server only gets a filter chain when a virtual service bound to its Gateway has a tcp (or
    tls) route for it; without one, istiod builds nothing and connections are refused. Bind a virtual
    service with a matching tcp route.""")
NOTHING_TO_SERVE = _m(
    codes.NOTHING_TO_SERVE, "PortWithoutListener", "{message}",
    """After merging, no server on this port has anything to serve, so the gateway opens no listener there.
    Bind routes to the servers on this port.""")
DELEGATE_CONFLICT = _m(
    codes.DELEGATE_CONFLICT, "DelegateRuleConflictsWithRoot", "{message}",
    """istiod merges each rule of a delegate virtual service with the match of the root rule that delegates
    to it (mergeHTTPRoute); a child rule whose match cannot narrow any root match (another path, a different
    method, a conflicting header) is dropped. Make the child's match a refinement of the root's.""")

_BY_CODE = {m.code: m for m in (SERVER_UNSUPPORTED, PORT_CONFLICT, DUPLICATE_TLS_HOST, DUPLICATE_ROUTE_NAME,
                                NO_TCP_ROUTE, NOTHING_TO_SERVE, DELEGATE_CONFLICT)}


@rule("compile.drops", codes=tuple(_BY_CODE), scope=DESIGN)
def compile_drops(ctx):
    """Each MD08xx drop of every workload, on the resource it names (workloads an edit did not touch are
    not compiled again: ``ctx.compile_cache``)."""
    if not ctx.any_of_kind("ingress-gateway") and not ctx.any_of_kind("egress-gateway"):
        return
    for drop in workload_drops(ctx.project, CompileOptions.for_project(ctx.project), ctx.compile_cache,
                               ctx.node_changes):
        message = _BY_CODE.get(drop.code)
        if message is None:
            continue
        namespace, _, name = drop.ref.partition("/")
        ref = ResourceRef(drop.kind, namespace, name)
        if ctx.index.node_of(ref) is not None:     # a drop is reported on a resource of the design
            yield message.at(ref, drop.field if drop.field.startswith("spec") else "", message=drop.message)
