"""The built-in steps of the request simulator (see :mod:`meshdesigner.analysis.simulate`).

Each step reads and fills a :class:`~meshdesigner.analysis.simulate.SimulationContext`; it returns
None to go on, or the outcome (through ``ctx.stop``) to end the request there.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..compile.http import REDIRECT_STATUS
from ..compile.plan import PASSTHROUGH, TCP, TLS_TERMINATED, server_hosts
from ..compile.units import fraction_value
from ..model.hosts import expand_host, host_matches
from .simulate_match import select_chain, select_virtual_host

if TYPE_CHECKING:
    from .simulate import SimulationContext

DEFAULT_PORTS = {"http": 80, "https": 443, "tls": 443}


# ----- the built-in steps ---------------------------------------------------------------------
def step_listener(ctx: SimulationContext) -> str | None:
    if ctx.port is None:
        return ctx.stop("no_listener", f"The URL has no port and {ctx.scheme}:// has no default one.")
    listener = ctx.plan.listener(ctx.port)
    ctx.result.port = ctx.port
    if listener is None:
        ports = ", ".join(str(lst.port) for lst in ctx.plan.listeners) or "none"
        text = (f"The gateway has no listener on port {ctx.port} (it listens on: {ports}); the connection is "
                "refused.")
        notes = [n for n in ctx.plan.notes if f"port {ctx.port}" in n]
        if notes:
            text += " " + " ".join(notes)
        return ctx.stop("no_listener", text)
    ctx.listener = listener
    first = listener.chains[0].server
    ctx.result.protocol = first.protocol
    ctx.explain(f"Port {ctx.port}: the gateway listens here for {first.protocol} "
                f"({len(listener.chains)} filter chain{'s' if len(listener.chains) > 1 else ''}).")
    return None


def _tls_facts(chain, sni: str | None) -> dict:
    tls = chain.server.tls
    mode = tls.effective_mode if tls is not None else None
    facts = {"mode": mode, "terminated": chain.terminates_tls, "sni": sni,
             "server_names": list(chain.server_names),
             "client_certificate": mode in ("MUTUAL", "ISTIO_MUTUAL") if chain.terminates_tls else False}
    if chain.terminates_tls and tls is not None:
        if tls.credential_name or tls.credential_names:
            facts["credential"] = tls.credential_name or ", ".join(tls.credential_names or [])
        elif tls.server_certificate:
            facts["certificate"] = tls.server_certificate
    return facts


def step_connection(ctx: SimulationContext) -> str | None:
    listener = ctx.listener
    wants_tls = ctx.scheme in ("https", "tls")
    if wants_tls:
        if not listener.is_tls:
            return ctx.stop("tls_no_match", f"Port {ctx.port} serves plain {listener.server_class.upper()}, but the "
                            "client starts a TLS handshake; Envoy cannot read it and the connection fails.")
        sni = ctx.request.sni if ctx.request.sni is not None else ctx.host
        if sni and _is_ip(sni):
            sni = None
        chain = select_chain(listener, sni)
        if chain is None:
            names = sorted({n for c in listener.chains for n in c.server_names})
            return ctx.stop("tls_no_match", f"No server on port {ctx.port} accepts the SNI name {sni or '(none)'!r} "
                            f"(it accepts: {', '.join(names)}); Envoy closes the connection during the TLS "
                            "handshake.")
        ctx.chain = chain
        ctx.result.tls = _tls_facts(chain, sni)
        names = ", ".join(chain.server_names) or "any name"
        if chain.terminates_tls:
            mode = ctx.result.tls["mode"]
            extra = " and requires a client certificate" if ctx.result.tls["client_certificate"] else ""
            ctx.explain(f"TLS: SNI {sni!r} selects the server for {names}; the gateway terminates TLS "
                        f"({mode}){extra}.")
        else:
            ctx.explain(f"TLS: SNI {sni!r} selects the PASSTHROUGH route for {names}; the gateway forwards the "
                        "encrypted stream without terminating it.")
    else:
        if listener.is_tls:
            plain_chain = next((c for c in listener.chains if not c.server_names and not c.terminates_tls), None)
            if plain_chain is None:
                return ctx.stop("tls_no_match", f"Port {ctx.port} expects TLS ({listener.server_class.upper()}), but "
                                "the client speaks plain text; no filter chain matches and Envoy closes the "
                                "connection.")
            ctx.chain = plain_chain
        else:
            ctx.chain = listener.chains[0]
    ctx.result.servers = [s.index for s in ctx.chain.servers]
    ctx.result.server_gateways = [s.gateway_ref for s in ctx.chain.servers]
    if ctx.chain.server_class in (TCP, PASSTHROUGH, TLS_TERMINATED):
        return _tcp_routed(ctx)
    if ctx.scheme in ("tcp", "tls"):
        ctx.explain(f"Port {ctx.port} serves HTTP; the bytes are read as an HTTP request.")
    return None


def _tcp_routed(ctx: SimulationContext) -> str:
    route = ctx.chain.tcp_route
    ctx.result.virtual_service = route.vs_ref
    ctx.result.rule_index = route.rule_index
    ctx.result.match_index = route.match_index
    ctx.result.section = route.section
    ctx.result.destinations = [_dest(d) for d in route.destinations]
    return ctx.stop("routed", f"{route.where} sends the connection (tcp_proxy) to {_dest_text(route.destinations)}.")


def step_virtual_host(ctx: SimulationContext) -> str | None:
    vhosts = ctx.compiled.vhosts[id(ctx.chain)]
    host = ctx.host_without_port
    vhost = select_virtual_host(vhosts, host)
    route_config = ctx.chain.route_config
    if vhost is None:
        domains = sorted({d for v in vhosts for d in v.plan.domains})
        for hint in _unserved_host_hints(ctx, host):
            ctx.explain(hint)
        return ctx.stop("no_virtual_host", f"Host {host!r} matches no virtual host of route {route_config.name} "
                        f"(hosts: {', '.join(domains) or 'none'}); Envoy answers 404 (NR, route not found).", 404)
    ctx.vhost = vhost
    ctx.result.virtual_host = vhost.plan.name
    if route_config.blackhole:
        servers = sorted({h for s in ctx.chain.servers for h in server_hosts(s.server)})
        for vs in ctx.plan.virtual_services:
            hosts = [expand_host(h, vs.namespace).lower() for h in vs.spec.hosts or []]
            short = " (short names expand to <name>.<namespace>.svc.cluster.local)" if any(
                "." not in h for h in vs.spec.hosts or []) else ""
            ctx.explain(f"VirtualService {vs.metadata.qualified} is bound to this gateway, but its hosts "
                        f"{', '.join(hosts) or '(none)'}{short} do not intersect the server hosts "
                        f"{', '.join(servers)}.")
        return ctx.stop("no_route", f"No VirtualService bound to this gateway has a host that matches the server "
                        f"hosts on port {ctx.port}, so every request gets Envoy's 404 (NR).", 404)
    vs = ", ".join(vhost.plan.virtual_services) or "none"
    ctx.explain(f"Host {host!r} selects virtual host {vhost.plan.name} (VirtualService {vs}).")
    return None


def _unserved_host_hints(ctx: SimulationContext, host: str) -> list[str]:
    """Bound VirtualServices that name this host although no server here serves it: the usual cause."""
    servers = sorted({h for s in ctx.chain.servers for h in server_hosts(s.server)})
    hints = []
    for vs in ctx.plan.virtual_services:
        names = [expand_host(h, vs.namespace).lower() for h in vs.spec.hosts or []]
        if any(host_matches(name, host) for name in names):
            hints.append(f"VirtualService {vs.metadata.qualified} lists host {host!r}, but no server host on port "
                         f"{ctx.port} covers it for namespace {vs.namespace} (server hosts: "
                         f"{', '.join(servers) or 'none'}).")
    return hints


def step_https_redirect(ctx: SimulationContext) -> str | None:
    if ctx.vhost.plan.require_tls and ctx.scheme not in ("https", "tls"):
        location = f"https://{ctx.authority}{ctx.http.headers[':path']}"  # Envoy keeps the Host as sent
        ctx.result.redirect = {"location": location, "status": 301}
        return ctx.stop("redirect", f"The server has tls.httpsRedirect: plain-text requests get a 301 redirect "
                        f"to {location}.", 301)
    return None


def step_route(ctx: SimulationContext) -> str | None:
    for compiled in ctx.vhost.routes:
        reason = compiled.mismatch(ctx.http)
        plan = compiled.plan
        if reason is None:
            ctx.route = compiled
            ctx.result.virtual_service = plan.vs_ref
            ctx.result.rule_index = plan.rule_index
            ctx.result.match_index = plan.match_index
            ctx.result.section = "http"
            ctx.result.route_name = plan.name
            ctx.explain(f"{plan.where} matches" + (f" (route {plan.name!r})." if plan.name else "."))
            return None
        ctx.result.skipped.append({"virtual_service": plan.vs_ref, "rule_index": plan.rule_index,
                                   "match_index": plan.match_index, "reason": reason})
        ctx.explain(f"{plan.where} does not match: {reason}.")
    return ctx.stop("no_route", f"No route of virtual host {ctx.vhost.plan.name} matches; Envoy answers 404 "
                    "(NR, route not found).", 404)


def step_action(ctx: SimulationContext) -> str:
    """What the matched route does, as the plan says (redirect, direct response, or forwarding)."""
    plan = ctx.route.plan
    result = ctx.result
    changes = {**plan.request_headers, **plan.response_headers}
    result.headers = changes or None
    if plan.cors is not None:
        result.cors = dict(plan.cors)
    if plan.redirect is not None:
        action = plan.redirect
        status = REDIRECT_STATUS[action["response_code"]]
        location = _redirect_location(ctx, action)
        result.redirect = {"location": location, "status": status, **action}
        return ctx.stop("redirect", f"The rule redirects with {status} to {location}.", status)
    if plan.direct_response is not None:
        action = plan.direct_response
        result.direct_response = dict(action)
        body = action.get("body", {})
        shown = body.get("inline_string", "(bytes)" if body else "(empty)")
        return ctx.stop("direct_response", f"The rule answers directly with {action['status']} and body {shown!r}.",
                        action["status"])
    result.destinations = [_dest(d) for d in plan.destinations]
    if plan.rule.rewrite is not None:
        result.rewrite = plan.rule.rewrite.to_wire()
        ctx.explain(f"Rewrite before forwarding: {result.rewrite}.")
    result.timeout = plan.rule.timeout or None
    retries = plan.retry_policy
    result.retries = None if retries is None else {k: v for k, v in retries.items() if k != "previous_hosts"}
    ctx.explain(f"Timeout: {plan.rule.timeout or 'none (disabled)'}; retries: "
                f"{'none' if retries is None else str(retries['num_retries']) + ' on ' + retries['retry_on']}.")
    if plan.mirrors:
        result.mirrors = [{**_dest(m.destination), "percent": m.percent} for m in plan.mirrors]
        ctx.explain("Mirrored (copies, responses ignored) to " +
                    ", ".join(f"{m.destination.host} ({m.percent:g}%)" for m in plan.mirrors) + ".")
    if plan.fault is not None:
        result.fault = dict(plan.fault)
        abort = result.fault.get("abort")
        if abort and "http_status" in abort and fraction_value(abort["percentage"]) >= 100:
            result.status = abort["http_status"]
        ctx.explain(f"Fault injection: {result.fault}.")
    return ctx.stop("routed", f"Forwarded to {_dest_text(plan.destinations)}.")


# ----- helpers -----------------------------------------------------------------------------------
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _dest(d) -> dict:
    return {"host": d.host, "subset": d.subset, "port": d.port, "weight": d.weight, "cluster": d.cluster}


def _dest_text(dests) -> str:
    parts = []
    for d in dests:
        text = d.host + (f" subset {d.subset}" if d.subset else "") + (f" port {d.port}" if d.port else "")
        if len(dests) > 1:
            text += f" ({d.weight} of {sum(x.weight for x in dests)})"
        parts.append(text)
    return ", ".join(parts)


def _redirect_location(ctx: SimulationContext, action: dict) -> str:
    """The Location Envoy writes for a route redirect (RouteEntryImplBase::newUri)."""
    original_scheme = "https" if ctx.scheme in ("https", "tls") else "http"
    scheme = action.get("scheme_redirect") or original_scheme
    port = action.get("port_redirect")
    if action.get("host_redirect"):
        host = action["host_redirect"]
        if port and (scheme, port) not in (("http", 80), ("https", 443)):
            host = f"{host}:{port}"
    else:
        host = ctx.authority
        bare, sep, request_port = host.rpartition(":")
        if not sep or not request_port.isdigit():
            bare, request_port = host, ""
        if port:
            host = bare if (scheme, port) in (("http", 80), ("https", 443)) else f"{bare}:{port}"
        elif scheme != original_scheme and request_port == str(DEFAULT_PORTS[original_scheme]):
            host = bare
    if "path_redirect" in action:
        path = action["path_redirect"]
    elif "prefix_rewrite" in action:
        match = ctx.route.match
        prefix = match.get("prefix", match.get("path", ""))
        path = action["prefix_rewrite"] + ctx.path[len(prefix):]
    else:
        path = ctx.path
    query = f"?{ctx.query_string}" if ctx.query_string and "?" not in path else ""
    return f"{scheme}://{host}{path}{query}"
