"""VirtualService HTTP features: headers, rewrite, redirect, direct response, CORS, fault, retries, mirrors,
timeouts, deprecated fields (MD0223–MD0234, MD0237).

One check per feature (``_cors(vs, i, route)`` ...), each called by the one rule ``virtualservice.http_features``
for the HTTP rules that set its feature: one pass over a virtual service's HTTP rules instead of one per check."""

from __future__ import annotations

from .. import messages as m
from ..checks import duration_problem, header_name_problem
from ..registry import rule

VS = ("virtual-service",)
RETRY_ON = frozenset(["5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"])
CORS_METHODS = frozenset(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"])
GRPC_STATUSES = frozenset(["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"])
ENVOY_REDIRECT_CODES = (301, 302, 303, 307, 308)


def _control_chars(value: str) -> bool:
    return any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value)


def _header_ops(ref, base: str, headers):
    if headers is None:
        return
    for direction in ("request", "response"):
        ops = getattr(headers, direction)
        if ops is None:
            continue
        for op in ("set", "add"):
            for name, value in (getattr(ops, op) or {}).items():
                path = f"{base}.{direction}.{op}[{name}]"
                reason = _op_name_problem(name, direction, removing=False)
                if reason:
                    yield m.HEADER_OPERATION_INVALID.at(ref, path, header=name, reason=reason)
                elif _control_chars(value):
                    yield m.HEADER_OPERATION_INVALID.at(ref, path, header=name,
                                                        reason="header value contains control characters")
        for k, name in enumerate(ops.remove or []):
            reason = _op_name_problem(name, direction, removing=True)
            if reason:
                yield m.HEADER_OPERATION_INVALID.at(ref, f"{base}.{direction}.remove[{k}]", header=name, reason=reason)


def _op_name_problem(name: str, direction: str, removing: bool) -> str | None:
    if not name:
        return "header name cannot be empty"
    lower = name.lower()
    if lower.startswith(":") and not (direction == "request" and not removing and lower == ":authority"):
        return 'header cannot have ":" prefix'
    if lower == "host" and (removing or direction == "response"):
        return "cannot set Host header"
    if header_name_problem(name, allow_claims=False) and not lower.startswith(":"):
        return "not a valid header name"
    return None


def _header_operations(vs, i: int, route):
    # (paths and refs are built only for what has headers)
    if route.headers is not None:
        yield from _header_ops(vs.ref, f"spec.http[{i}].headers", route.headers)
    for j, dest in enumerate(route.route or []):
        if dest.headers is not None:
            yield from _header_ops(vs.ref, f"spec.http[{i}].route[{j}].headers", dest.headers)
    if route.rewrite and route.rewrite.authority and route.headers and route.headers.request:
        req = route.headers.request
        names = {n.lower() for n in list(req.set or {}) + list(req.add or {})}
        if names & {"host", ":authority"}:
            yield m.AUTHORITY_SET_TWICE.at(vs.ref, f"spec.http[{i}].rewrite.authority")


def _cors(vs, i: int, route):
    policy = route.cors_policy
    base = f"spec.http[{i}].corsPolicy"
    for k, origin in enumerate(policy.allow_origins or []):
        if origin.kind is None or origin.value == "":
            yield m.CORS_INVALID.at(vs.ref, f"{base}.allowOrigins[{k}]",
                                    reason=f"'{origin.to_wire()}' is not a valid match type for CORS allow "
                                           "origins")
    for k, method in enumerate(policy.allow_methods or []):
        if method not in CORS_METHODS:
            yield m.CORS_INVALID.at(vs.ref, f"{base}.allowMethods[{k}]",
                                    reason=f"{method!r} is not a supported HTTP method")
    for field, wire in (("allow_headers", "allowHeaders"), ("expose_headers", "exposeHeaders")):
        for k, header in enumerate(getattr(policy, field) or []):
            if header != "*" and header_name_problem(header, allow_claims=False):
                yield m.CORS_INVALID.at(vs.ref, f"{base}.{wire}[{k}]",
                                        reason=f"header name {header!r} is not a valid header name")
    if policy.max_age is not None:
        reason = duration_problem(policy.max_age, whole_seconds=True)
        if reason:
            yield m.CORS_INVALID.at(vs.ref, f"{base}.maxAge", reason=f"maxAge {policy.max_age!r}: {reason}")


def _percentage_problem(value) -> str | None:
    if value is None:
        return None
    if value != 0 and not 0.0001 <= value <= 100:
        return f"percentage {value} is neither 0.0, nor in range [0.0001, 100.0]"
    return None


def _fault_percentage(vs, path: str, percentage):
    """A fault's ``percentage`` is 0 or 0.0001..100 (VS-27)."""
    reason = _percentage_problem(percentage.value if percentage else None)
    if reason:
        yield m.FAULT_INVALID.at(vs.ref, f"{path}.percentage", reason=reason)


def _fault(vs, i: int, route):
    f = route.fault
    base = f"spec.http[{i}].fault"
    if f.abort is None and f.delay is None:
        yield m.FAULT_INVALID.at(vs.ref, base, reason="HTTP fault injection must have an abort and/or a delay")
    if f.abort is not None:
        abort = f.abort
        yield from _fault_percentage(vs, f"{base}.abort", abort.percentage)
        if abort.http_status is not None and not 200 <= abort.http_status <= 600:
            yield m.FAULT_INVALID.at(vs.ref, f"{base}.abort.httpStatus",
                                     reason=f"HTTP status {abort.http_status} is not in range 200-599")
        if abort.grpc_status is not None and abort.grpc_status not in GRPC_STATUSES:
            yield m.FAULT_INVALID.at(vs.ref, f"{base}.abort.grpcStatus",
                                     reason=f"gRPC status {abort.grpc_status!r} is not supported")
        if abort.http2_error is not None:
            yield m.FAULT_INVALID.at(vs.ref, f"{base}.abort.http2Error",
                                     reason="HTTP/2 abort fault injection not supported yet")
        if abort.http_status is None and abort.grpc_status is None and abort.http2_error is None:
            yield m.FAULT_ABORT_NO_TYPE.at(vs.ref, f"{base}.abort")
    if f.delay is not None:
        delay = f.delay
        yield from _fault_percentage(vs, f"{base}.delay", delay.percentage)
        if delay.percent is not None and not 0 <= delay.percent <= 100:
            yield m.FAULT_INVALID.at(vs.ref, f"{base}.delay.percent",
                                     reason=f"percentage {delay.percent} is not in range 0..100")
        if delay.exponential_delay is not None:
            yield m.FAULT_INVALID.at(vs.ref, f"{base}.delay.exponentialDelay",
                                     reason="exponentialDelay not supported yet")
        elif delay.fixed_delay is not None:
            # validateHTTPFaultInjectionDelay: a delay with neither fixedDelay nor exponentialDelay passes.
            reason = duration_problem(delay.fixed_delay)
            if reason:
                yield m.FAULT_INVALID.at(vs.ref, f"{base}.delay.fixedDelay",
                                         reason=f"fixedDelay {delay.fixed_delay!r}: {reason}")


def _mirrors(vs, i: int, route):
    base = f"spec.http[{i}]"
    if route.mirror_percent is not None:
        yield m.DEPRECATED_FIELD.at(vs.ref, f"{base}.mirrorPercent", old="mirrorPercent", new="mirrorPercentage")
        if not 0 <= route.mirror_percent <= 100:
            yield m.MIRROR_PERCENT_INVALID.at(vs.ref, f"{base}.mirrorPercent",
                                              reason="mirror_percent must have a max value of 100")
    pcts = [(f"{base}.mirrorPercentage", route.mirror_percentage)]
    pcts += [(f"{base}.mirrors[{j}].percentage", mirror.percentage) for j, mirror in enumerate(route.mirrors or [])]
    for path, pct in pcts:
        if pct is not None and pct.value is not None:
            if pct.value > 100:
                yield m.MIRROR_PERCENT_INVALID.at(vs.ref, path, reason="mirror_percentage must have a max "
                                                                       "value of 100")
            elif pct.value < 0:
                yield m.MIRROR_PERCENT_INVALID.at(vs.ref, path, reason="mirror_percentage must have a min "
                                                                       "value of 0")
    f = route.fault
    if f is not None and f.delay is not None and f.delay.percent is not None:
        yield m.DEPRECATED_FIELD.at(vs.ref, f"{base}.fault.delay.percent", old="percent", new="percentage")
    if route.cors_policy is not None and route.cors_policy.allow_origin is not None:
        yield m.DEPRECATED_FIELD.at(vs.ref, f"{base}.corsPolicy.allowOrigin", old="allowOrigin",
                                    new="allowOrigins")


def _redirect(vs, i: int, route):
    r = route.redirect
    base = f"spec.http[{i}].redirect"
    if r.uri and r.prefix_rewrite:
        yield m.REDIRECT_INVALID.at(vs.ref, base, reason="redirect may only specify one of uri or prefix_rewrite")
    if not (r.uri or r.prefix_rewrite or r.authority or r.scheme or r.port or r.derive_port):
        yield m.REDIRECT_INVALID.at(vs.ref, base, reason="redirect must specify URI, authority, scheme, or port")
    if r.redirect_code is not None:
        if not 300 <= r.redirect_code <= 399:
            yield m.REDIRECT_INVALID.at(vs.ref, f"{base}.redirectCode",
                                        reason=f"{r.redirect_code} is not a valid redirect code, must be 3xx")
        elif r.redirect_code not in ENVOY_REDIRECT_CODES:
            yield m.REDIRECT_INVALID.at(vs.ref, f"{base}.redirectCode",
                                        reason=f"Envoy does not support redirect code {r.redirect_code} "
                                               "(use 301, 302, 303, 307 or 308); the route would be dropped")
    if r.scheme is not None and r.scheme not in ("http", "https"):
        yield m.REDIRECT_INVALID.at(vs.ref, f"{base}.scheme",
                                    reason='invalid redirect scheme, must be "http" or "https"')
    if r.prefix_rewrite and any(match.uri is None or match.uri.kind != "prefix" for match in route.match or []):
        yield m.REDIRECT_INVALID.at(vs.ref, f"{base}.prefixRewrite",
                                    reason="redirect prefix_rewrite requires all URI matches to use prefix "
                                           "match type")


def _body_size(body) -> int:
    if body is None:
        return 0
    if body.string is not None:
        return len(body.string.encode())
    if body.bytes is not None:
        return len(body.bytes) * 3 // 4
    return 0


def _direct_response(vs, i: int, route):
    d = route.direct_response
    base = f"spec.http[{i}].directResponse"
    if not 200 <= d.status <= 600:
        yield m.DIRECT_RESPONSE_INVALID.at(vs.ref, f"{base}.status",
                                           reason=f"HTTP status {d.status} is not in range 200-599")
    size = _body_size(d.body)
    if size > 1024 * 1024:
        yield m.DIRECT_RESPONSE_INVALID.at(vs.ref, f"{base}.body", reason="large direct_responses may impact "
                                           "control plane performance, must be less than 1MB")
    elif size > 100 * 1024:
        yield m.DIRECT_RESPONSE_LARGE.at(vs.ref, f"{base}.body", size=size)


def _retries(vs, i: int, route):
    r = route.retries
    base = f"spec.http[{i}].retries"
    if r.attempts is not None and r.attempts < 0:
        yield m.RETRIES_INVALID.at(vs.ref, f"{base}.attempts", reason="attempts cannot be negative")
    if r.attempts == 0 and (r.per_try_timeout or r.retry_on or r.retry_remote_localities or r.backoff):
        yield m.RETRIES_INVALID.at(vs.ref, base, reason="http retry policy configured when attempts are set to "
                                                        "0 (disabled)")
    for policy in (r.retry_on or "").split(","):
        policy = policy.strip()
        if policy and policy not in RETRY_ON and not policy.isdigit():
            yield m.RETRIES_INVALID.at(vs.ref, f"{base}.retryOn", reason=f"{policy!r} is not a valid retryOn "
                                                                         "policy")
    for field, wire in (("per_try_timeout", "perTryTimeout"), ("backoff", "backoff")):
        value = getattr(r, field)
        if value is not None:
            reason = duration_problem(value)
            if reason:
                yield m.RETRIES_INVALID.at(vs.ref, f"{base}.{wire}", reason=f"{wire} {value!r}: {reason}")


def _rewrite(vs, i: int, route):
    r = route.rewrite
    base = f"spec.http[{i}].rewrite"
    if r.uri is not None and r.uri_regex_rewrite is not None:
        yield m.REWRITE_INVALID.at(vs.ref, base, reason="rewrite may only contain one of URI or UriRegexRewrite")
    if r.uri is None and r.uri_regex_rewrite is None and not r.authority:
        yield m.REWRITE_INVALID.at(vs.ref, base, reason="rewrite must specify at least one of URI, "
                                                        "UriRegexRewrite, or authority")
    rr = r.uri_regex_rewrite
    if rr is not None and (not rr.match or rr.rewrite is None):
        yield m.REWRITE_INVALID.at(vs.ref, f"{base}.uriRegexRewrite",
                                   reason="UriRegexRewrite requires both Rewrite and Match fields to be specified")


def _timeouts(vs, i: int, route):
    reason = duration_problem(route.timeout)
    if reason:
        yield m.DURATION_INVALID.at(vs.ref, f"spec.http[{i}].timeout", field="timeout", value=route.timeout,
                                    reason=reason)


@rule("virtualservice.http_features", codes=("MD0223", "MD0224", "MD0225", "MD0226", "MD0227", "MD0228", "MD0229",
                                             "MD0230", "MD0231", "MD0232", "MD0233", "MD0234", "MD0237"), kinds=VS)
def http_features(ctx, node):
    """The checks above, in one pass over a virtual service's HTTP rules: each looks at one feature of one rule
    and is called only for the rules that set it (most set a few). Nine rules each walking every HTTP rule of
    the 900 virtual services of the bench mesh were ~7% of a full validation; this pass is a fraction of it."""
    vs = node.virtual_service
    for i, route in enumerate(vs.spec.http or []):
        if route.headers is not None or any(dest.headers is not None for dest in route.route or ()):
            yield from _header_operations(vs, i, route)
        if route.cors_policy is not None:
            yield from _cors(vs, i, route)
        if route.fault is not None:
            yield from _fault(vs, i, route)
        if route.mirror_percent is not None or route.mirror_percentage is not None or route.mirrors \
                or route.fault is not None or route.cors_policy is not None:
            yield from _mirrors(vs, i, route)
        if route.redirect is not None:
            yield from _redirect(vs, i, route)
        if route.direct_response is not None:
            yield from _direct_response(vs, i, route)
        if route.retries is not None:
            yield from _retries(vs, i, route)
        if route.rewrite is not None:
            yield from _rewrite(vs, i, route)
        if route.timeout is not None:
            yield from _timeouts(vs, i, route)
