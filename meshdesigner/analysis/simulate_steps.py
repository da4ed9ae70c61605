"""The built-in steps of the request simulator (see :mod:`meshdesigner.analysis.simulate`).

Each step reads and fills a :class:`~meshdesigner.analysis.simulate.SimulationContext`; it returns
None to go on, or the outcome (through ``ctx.stop``) to end the request there.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..compile.http import REDIRECT_STATUS
from ..compile.options import CompileOptions
from ..compile.plan import PASSTHROUGH, TCP, TLS_TERMINATED, server_hosts
from ..compile.units import fraction_value
from ..model.hosts import expand_host, host_matches
from .simulate_match import select_virtual_host, string_matches
from .simulate_tls import downstream_problem, upstream_problem
from .simulate_upstream import response_changes, upstream_request

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
        chain = ctx.compiled.chains[id(listener)].select(sni)
        if chain is None:
            names = sorted({n for c in listener.chains for n in c.server_names})
            return ctx.stop("tls_no_match", f"No server on port {ctx.port} accepts the SNI name {sni or '(none)'!r} "
                            f"(it accepts: {', '.join(names)}); Envoy closes the connection during the TLS "
                            "handshake.")
        ctx.chain = chain
        ctx.result.tls = _tls_facts(chain, sni)
        names = ", ".join(chain.server_names) or "any name"
        if chain.terminates_tls and chain.server.tls is not None:
            problem, note = downstream_problem(chain.server.tls, ctx.request, ctx.files_root, ctx.credentials_dir)
            if problem is not None:
                ctx.result.servers = [s.index for s in chain.servers]
                ctx.result.server_gateways = [s.gateway_ref for s in chain.servers]
                return ctx.stop("tls_refused", f"TLS: SNI {sni!r} selects the server for {names}, which refuses the "
                                f"handshake: {problem}.")
            if note:
                ctx.explain(f"TLS: {note}.")
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
    ctx.result.destinations = [_dest(ctx, d) for d in route.destinations]
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


def _rule_facts(ctx: SimulationContext) -> None:
    plan = ctx.route.plan
    ctx.result.rule = plan.rule.to_wire()
    if plan.root is not None:
        ctx.result.delegate = {"name": plan.vs.name, "namespace": plan.vs.namespace}


def _cors(ctx: SimulationContext) -> str | None:
    """Envoy's CORS filter before the router: a preflight from an allowed origin is answered by the gateway;
    other requests from an allowed origin get the allow-origin (and expose/credentials) headers."""
    cors = ctx.route.plan.cors
    headers = ctx.http.headers
    origin = headers.get("origin")
    if cors is None or origin is None:
        return None
    allowed = any(string_matches(m, origin) for m in cors.get("allow_origin_string_match", ()))
    preflight = headers[":method"] == "OPTIONS" and "access-control-request-method" in headers
    if preflight:
        if not allowed:
            if cors.get("forward_not_matching_preflights", True):
                ctx.explain(f"CORS: origin {origin!r} is not allowed; the preflight is forwarded to the backend.")
                return None
            return ctx.stop("cors_preflight", f"CORS: origin {origin!r} is not allowed; the gateway answers the "
                            "preflight itself without CORS headers.", 200)
        answer = {"access-control-allow-origin": origin}
        for key, header in (("allow_methods", "access-control-allow-methods"),
                            ("allow_headers", "access-control-allow-headers"), ("max_age", "access-control-max-age")):
            if cors.get(key):
                answer[header] = cors[key]
        if cors.get("allow_credentials"):
            answer["access-control-allow-credentials"] = "true"
        ctx.result.response_headers = {"set": answer, "add": {}, "remove": []}
        return ctx.stop("cors_preflight", f"CORS: a preflight from the allowed origin {origin!r}: the gateway answers "
                        "it itself (200) with the CORS headers; nothing reaches the backend.", 200)
    if allowed:
        extra = {"access-control-allow-origin": origin}
        if cors.get("expose_headers"):
            extra["access-control-expose-headers"] = cors["expose_headers"]
        if cors.get("allow_credentials"):
            extra["access-control-allow-credentials"] = "true"
        ctx.cors_response = extra
    return None


def step_action(ctx: SimulationContext) -> str:
    """What the matched route does, as the plan says (redirect, direct response, or forwarding)."""
    plan = ctx.route.plan
    result = ctx.result
    _rule_facts(ctx)
    changes = {**plan.request_headers, **plan.response_headers}
    result.headers = changes or None
    ctx.cors_response = {}
    if plan.cors is not None:
        result.cors = dict(plan.cors)
        if _cors(ctx) is not None:
            return result.outcome
    if plan.redirect is not None:
        action = plan.redirect
        status = REDIRECT_STATUS[action["response_code"]]
        location = _redirect_location(ctx, action)
        result.redirect = {"location": location, "status": status, **action}
        return ctx.stop("redirect", f"The rule redirects with {status} to {location}.", status)
    if plan.direct_response is not None:
        action = plan.direct_response
        result.direct_response = dict(action)
        result.response_headers = response_changes(plan, None)
        body = action.get("body", {})
        shown = body.get("inline_string", "(bytes)" if body else "(empty)")
        return ctx.stop("direct_response", f"The rule answers directly with {action['status']} and body {shown!r}.",
                        action["status"])
    result.destinations = [_dest(ctx, d) for d in plan.destinations]
    first = plan.destinations[0]
    if plan.rule.rewrite is not None:
        result.rewrite = plan.rule.rewrite.to_wire()
    result.upstream = upstream_request(plan, first, ctx.path, ctx.query_string, ctx.authority, ctx.http.headers,
                                       ctx.http.headers[":scheme"])
    response = response_changes(plan, first)
    response["set"].update(ctx.cors_response)
    result.response_headers = response
    ctx.explain(f"The backend sees {result.upstream['path']} on host {result.upstream['authority']}"
                + (" (first weighted destination's header changes)." if len(plan.destinations) > 1 else "."))
    result.timeout = plan.rule.timeout or None
    retries = plan.retry_policy
    result.retries = None if retries is None else {k: v for k, v in retries.items() if k != "previous_hosts"}
    ctx.explain(f"Timeout: {plan.rule.timeout or 'none (disabled)'}; retries: "
                f"{'none' if retries is None else str(retries['num_retries']) + ' on ' + retries['retry_on']}"
                + (f" and status {', '.join(map(str, retries['retriable_status_codes']))}"
                   if retries and retries.get("retriable_status_codes") else "")
                + f" (Istio {ctx.plan.istio_version}).")
    if plan.mirrors:
        # TranslateRequestMirrorPolicy: before Istio 1.28 Envoy appends -shadow to the mirrored Host
        suffix = not CompileOptions(ctx.plan.istio_version).at_least("1.28") if ctx.plan.istio_version else False
        authority = result.upstream["authority"] if result.upstream else ctx.authority
        shadow = authority.replace(":", "-shadow:", 1) if suffix and ":" in authority else (
            authority + "-shadow" if suffix else authority)
        result.mirrors = [{**_dest(ctx, m.destination), "percent": m.percent, "host_header": shadow}
                          for m in plan.mirrors]
        ctx.explain("Mirrored (copies, responses ignored) to " +
                    ", ".join(f"{m.destination.host} ({m.percent:g}%)" for m in plan.mirrors) + ".")
    if plan.fault is not None:
        result.fault = dict(plan.fault)
        abort = result.fault.get("abort")
        if abort and "http_status" in abort and fraction_value(abort["percentage"]) >= 100:
            result.status = abort["http_status"]
        ctx.explain(f"Fault injection: {result.fault}.")
    if result.status is None and len(plan.destinations) == 1:
        failed = _upstream_tls(ctx, first, result.upstream["authority"])
        if failed is not None:
            return failed
    return ctx.stop("routed", f"Forwarded to {_dest_text(plan.destinations)}.")


def _upstream_tls(ctx: SimulationContext, destination, authority: str) -> str | None:
    """The TLS the gateway originates to the cluster (503 when the handshake fails, as Envoy answers)."""
    cluster = ctx.plan.clusters.get(destination.cluster)
    tls = cluster.upstream_tls if cluster is not None else None
    if tls is None:
        return None
    host = authority.rpartition(":")[0] if authority.count(":") == 1 else authority
    sni = tls.sni or (host if tls.auto_sni else None)
    certs = ctx.request.upstream_certificates or {}
    cert = certs.get(cluster.host) or (certs.get(sni) if sni else None)
    problem, note = upstream_problem(tls, sni, cert, ctx.files_root, ctx.credentials_dir,
                                     ctx.options.system_ca_file)
    ctx.result.upstream_tls = {"mode": tls.mode, "sni": sni, "auto_sni": tls.auto_sni,
                               "auto_san_validation": tls.auto_san_validation, "verify": tls.verify,
                               "ca_certificates": tls.ca_certificates,
                               "system_roots": tls.uses_system_roots,
                               "subject_alt_names": list(tls.subject_alt_names), "failed": problem}
    if problem is not None:
        return ctx.stop("upstream_tls_failed", f"TLS origination ({tls.mode}, SNI {sni or '(none)'}) to {cluster.host} "
                        f"fails: {problem}; Envoy answers 503.", 503)
    ctx.explain(f"TLS origination ({tls.mode}, SNI {sni or '(none)'}): {note}.")
    return None


# ----- helpers -----------------------------------------------------------------------------------
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _dest(ctx: SimulationContext, d) -> dict:
    out = {"host": d.host, "subset": d.subset, "port": d.port, "weight": d.weight, "cluster": d.cluster}
    cluster = ctx.plan.clusters.get(d.cluster)
    balancer = _load_balancer(cluster)
    if balancer is not None:
        out["load_balancer"] = balancer
    return out


def _load_balancer(cluster) -> dict | None:
    """The cluster's load balancer in the DestinationRule's words (snake_case keys)."""
    lb = (cluster.traffic_policy or {}).get("load_balancer") if cluster is not None else None
    if not isinstance(lb, dict):
        return None
    hashing = lb.get("consistentHash")
    if isinstance(hashing, dict):
        keys = {"httpHeaderName": "http_header_name", "httpQueryParameterName": "http_query_parameter_name",
                "useSourceIp": "use_source_ip", "httpCookie": "http_cookie"}
        return {"consistent_hash": {keys[k]: v for k, v in hashing.items() if k in keys}}
    if lb.get("simple"):
        return {"simple": str(lb["simple"]).upper()}
    return None


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
