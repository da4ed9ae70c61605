"""Istio's HTTP route semantics, resolved once per route: what pilot's ``TranslateRoute`` decides.

Each function names the istiod function (``pilot/pkg/networking/core/route/route.go`` unless said
otherwise) whose behaviour it follows. The results are Envoy-shaped values stored on
:class:`~meshdesigner.compile.plan.RoutePlan`; the Envoy exporter writes them and the simulator
evaluates them.
"""

from __future__ import annotations

from .options import CompileOptions
from .units import envoy_duration, fraction_hundred, fraction_million

DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
REDIRECT_CODES = {301: "MOVED_PERMANENTLY", 302: "FOUND", 303: "SEE_OTHER", 307: "TEMPORARY_REDIRECT",
                  308: "PERMANENT_REDIRECT"}
REDIRECT_STATUS = {name: code for code, name in REDIRECT_CODES.items()}
GRPC_STATUS = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
    "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
    "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}


# ----- matching -----------------------------------------------------------------------------------
def present_only(match) -> bool:
    """pilot's ``canBeConvertedToPresentMatch``: no match type, or the regex ``*``, means "present"."""
    return match is None or match.kind is None or (match.kind == "regex" and match.value == "*")


def string_matcher(match) -> dict | None:
    """An Istio StringMatch as Envoy's StringMatcher (``util.ConvertToEnvoyMatch``); None means "present"."""
    if present_only(match):
        return None
    kind, value = match.kind, match.value
    if kind == "regex":
        return {"safe_regex": {"regex": value}}
    return {kind: value if value is not None else ""}


def header_matcher(name: str, match, invert: bool = False, missing_as_empty: bool = False) -> dict:
    """``translateHeaderMatch``; for ``withoutHeaders`` the matcher is inverted and, since Istio 1.22,
    a missing header counts as the empty string unless the match is a present match."""
    out: dict = {"name": name}
    matcher = string_matcher(match)
    if matcher is None:
        out["present_match"] = True
    else:
        out["string_match"] = matcher
    if invert:
        out["invert_match"] = True
        if missing_as_empty and matcher is not None:
            out["treat_missing_header_as_empty"] = True
    return out


def route_match(match, options: CompileOptions) -> dict:
    """Envoy RouteMatch of one HTTPMatchRequest (``TranslateRouteMatch``; None: the rule has no match)."""
    out: dict = {}
    uri = match.uri if match is not None else None
    kind = uri.kind if uri is not None else None
    if kind == "exact":
        out["path"] = uri.exact
    elif kind == "prefix":
        out["prefix"] = uri.prefix
    elif kind == "regex":
        out["safe_regex"] = {"regex": uri.regex}
    else:
        out["prefix"] = "/"
    if match is None:
        return out
    out["case_sensitive"] = not match.ignore_uri_case
    headers = [header_matcher(name, m) for name, m in (match.headers or {}).items()]
    headers += [header_matcher(name, m, invert=True, missing_as_empty=options.missing_header_is_empty)
                for name, m in (match.without_headers or {}).items()]
    headers.sort(key=lambda h: h["name"])   # "guarantee ordering of headers", by name as written
    for pseudo, m in ((":method", match.method), (":authority", match.authority), (":scheme", match.scheme)):
        if m is not None:
            headers.append(header_matcher(pseudo, m))
    if headers:
        out["headers"] = headers
    params = []
    for name, m in sorted((match.query_params or {}).items()):
        matcher = string_matcher(m)
        params.append({"name": name, **({"string_match": matcher} if matcher else {"present_match": True})})
    if params:
        out["query_parameters"] = params
    return out


# ----- header operations --------------------------------------------------------------------------
def _internal(key: str) -> bool:
    """``isInternalHeader``: pseudo headers and Host cannot be changed by header operations."""
    return key.startswith(":") or key.lower() == "host"


def header_changes(ops, prefix: str) -> dict:
    """``TranslateHeadersOperations``: ``set`` (overwrite) then ``add`` (append), each sorted by name, as
    ``<prefix>_headers_to_add``; ``remove`` as ``<prefix>_headers_to_remove``. Internal headers dropped."""
    out: dict = {}
    if ops is None:
        return out
    to_add = []
    for action, values in (("OVERWRITE_IF_EXISTS_OR_ADD", ops.set), ("APPEND_IF_EXISTS_OR_ADD", ops.add)):
        for key, value in sorted((values or {}).items()):
            if _internal(key):
                continue
            to_add.append({"header": {"key": key, "value": value}, "append_action": action})
    if to_add:
        out[f"{prefix}_headers_to_add"] = to_add
    remove = [k for k in ops.remove or [] if not _internal(k)]
    if remove:
        out[f"{prefix}_headers_to_remove"] = remove
    return out


def split_header_changes(headers) -> tuple[dict, dict]:
    """(request, response) header changes of an Istio ``Headers`` (either may be empty)."""
    if headers is None:
        return {}, {}
    return header_changes(headers.request, "request"), header_changes(headers.response, "response")


def authority_from_headers(headers) -> str | None:
    """``TranslateHeadersOperations``' Authority: a ``set`` of host/:authority wins over an ``add``."""
    ops = headers.request if headers is not None else None
    if ops is None:
        return None
    found = None
    for values in (ops.add, ops.set):   # set last, so it wins
        for key, value in (values or {}).items():
            if key.lower() in ("host", ":authority"):
                found = value
    return found


# ----- retries, timeouts, faults, CORS -------------------------------------------------------------
def retry_policy(retries, options: CompileOptions, consistent_hash: bool = False) -> dict | None:
    """``retry.ConvertPolicy``: unset gives the default policy, ``attempts: 0`` none.

    The default retries ``connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes``
    twice; before Istio 1.24 it also listed 503 as a retriable status code. With a consistent-hash
    load balancer there is no previous-hosts predicate (``DefaultConsistentHashPolicy``).
    ``previous_hosts`` stands for Envoy's previous_hosts retry host predicate.
    """
    policy: dict = {"retry_on": DEFAULT_RETRY_ON, "num_retries": 2}
    if retries is None and options.retries_503_by_default:
        policy["retriable_status_codes"] = [503]
    previous_hosts = not consistent_hash
    if retries is not None:
        if retries.attempts is None or retries.attempts <= 0:
            return None
        policy["num_retries"] = retries.attempts
        if retries.retry_on:
            kinds, codes = [], []
            for item in (x.strip() for x in retries.retry_on.split(",")):
                if item.isdigit():
                    codes.append(int(item))
                elif item:
                    kinds.append(item)
            retry_on = ",".join(kinds)
            if codes and "retriable-status-codes" not in retry_on:
                retry_on += ",retriable-status-codes" if retry_on else "retriable-status-codes"
            policy["retry_on"] = retry_on
            if codes:
                policy["retriable_status_codes"] = codes
        per_try = envoy_duration(retries.per_try_timeout)
        if per_try:
            policy["per_try_timeout"] = per_try
        if retries.retry_ignore_previous_hosts is not None:
            previous_hosts = retries.retry_ignore_previous_hosts
        backoff = envoy_duration(retries.backoff)
        if backoff:
            policy["retry_back_off"] = {"base_interval": backoff}
    if previous_hosts:
        policy["previous_hosts"] = True
    policy["host_selection_retry_max_attempts"] = 5
    return policy


def route_timeout(timeout: str | None) -> str:
    """``setTimeout``: the VirtualService timeout, else 0s (disabled: Istio sets no route timeout)."""
    return envoy_duration(timeout) or "0s"


def _fault_percentage(part) -> dict:
    """``TranslateFault``: ``percentage`` if given, else the deprecated integer ``percent`` (0 when unset)."""
    if part.percentage is not None and part.percentage.value is not None:
        return fraction_million(part.percentage.value)
    return fraction_hundred(int(getattr(part, "percent", None) or 0))


def fault_config(fault) -> dict | None:
    """``TranslateFault``: a delay without a percentage delays no request, an abort without a
    percentage aborts none (Envoy's FractionalPercent defaults to 0)."""
    if fault is None:
        return None
    out: dict = {}
    delay = fault.delay
    if delay is not None and envoy_duration(delay.fixed_delay):
        out["delay"] = {"fixed_delay": envoy_duration(delay.fixed_delay), "percentage": _fault_percentage(delay)}
    abort = fault.abort
    if abort is not None:
        percentage = (fraction_million(abort.percentage.value)
                      if abort.percentage is not None and abort.percentage.value is not None
                      else {"numerator": 0, "denominator": "HUNDRED"})
        if abort.http_status is not None:
            out["abort"] = {"http_status": abort.http_status, "percentage": percentage}
        elif abort.grpc_status is not None and abort.grpc_status.upper() in GRPC_STATUS:
            out["abort"] = {"grpc_status": GRPC_STATUS[abort.grpc_status.upper()], "percentage": percentage}
    return out or None


def cors_config(cors) -> dict | None:
    """``TranslateCORSPolicy`` (without ``@type``)."""
    if cors is None:
        return None
    out: dict = {}
    if cors.allow_origins is not None:
        origins = [m for m in (string_matcher(o) for o in cors.allow_origins) if m]
    else:
        origins = [{"exact": o} for o in cors.allow_origin or []]
    if origins:
        out["allow_origin_string_match"] = origins
    for key, values in (("allow_methods", cors.allow_methods), ("allow_headers", cors.allow_headers),
                        ("expose_headers", cors.expose_headers)):
        if values:
            out[key] = ",".join(values)
    max_age = envoy_duration(cors.max_age)
    if max_age:
        out["max_age"] = str(int(float(max_age[:-1])))
    if cors.allow_credentials is not None:
        out["allow_credentials"] = cors.allow_credentials
    out["filter_enabled"] = {"default_value": fraction_hundred(100)}
    out["forward_not_matching_preflights"] = (cors.unmatched_preflights or "").upper() != "IGNORE"
    return out


# ----- redirects, direct responses, rewrites -------------------------------------------------------
def redirect_action(redirect, listener_port: int, is_tls: bool) -> dict:
    """``ApplyRedirect``: with a port setting, the default port of the scheme (80 for http, 443 for
    https; the scheme defaults to the server's) is left out of the Location."""
    out: dict = {}
    if redirect.prefix_rewrite:
        out["prefix_rewrite"] = redirect.prefix_rewrite
    elif redirect.uri:
        out["path_redirect"] = redirect.uri
    if redirect.authority:
        out["host_redirect"] = redirect.authority
    if redirect.scheme:
        out["scheme_redirect"] = redirect.scheme
    port = None
    if redirect.port:
        port = redirect.port
    elif (redirect.derive_port or "").upper() == "FROM_REQUEST_PORT":
        port = listener_port
    if redirect.port is not None or redirect.derive_port is not None:
        scheme = redirect.scheme or ("https" if is_tls else "http")
        if (scheme, port) in (("http", 80), ("https", 443)):
            port = None
    if port:
        out["port_redirect"] = port
    out["response_code"] = REDIRECT_CODES.get(redirect.redirect_code or 301, "MOVED_PERMANENTLY")
    return out


def direct_response_action(direct) -> dict:
    """``ApplyDirectResponse``."""
    out: dict = {"status": direct.status}
    if direct.body is not None:
        if direct.body.string is not None:
            out["body"] = {"inline_string": direct.body.string}
        elif direct.body.bytes is not None:
            out["body"] = {"inline_bytes": direct.body.bytes}
    return out


def rewrite_action(rule, match) -> dict | None:
    """``applyHTTPRouteDestination``'s rewrite: ``uriRegexRewrite`` as regex_rewrite, ``uri`` as
    prefix_rewrite (a regex match has no prefix: the whole matched path is rewritten), and the
    authority from ``rewrite.authority`` else from a Host set in the request headers."""
    out: dict = {}
    rewrite = rule.rewrite
    if rewrite is not None:
        if rewrite.uri_regex_rewrite is not None and rewrite.uri_regex_rewrite.match is not None:
            out["regex_rewrite"] = {"pattern": {"regex": rewrite.uri_regex_rewrite.match},
                                    "substitution": rewrite.uri_regex_rewrite.rewrite or ""}
        elif rewrite.uri is not None:
            uri = match.uri if match is not None else None
            if uri is not None and uri.kind == "regex":
                out["regex_rewrite"] = {"pattern": {"regex": uri.regex}, "substitution": rewrite.uri}
            else:
                out["prefix_rewrite"] = rewrite.uri
    host = (rewrite.authority if rewrite is not None else None) or authority_from_headers(rule.headers)
    if host:
        out["host_rewrite_literal"] = host
    return out or None


def mirror_percent(rule) -> float | None:
    """``MirrorPercent``: ``mirrorPercentage``, else ``mirrorPercent``, else 100; 0 means no mirror (None)."""
    if rule.mirror_percentage is not None and rule.mirror_percentage.value is not None:
        value = float(rule.mirror_percentage.value)
    elif rule.mirror_percent is not None:
        value = float(rule.mirror_percent)
    else:
        value = 100.0
    return value if value > 0 else None


def mirror_policy_percent(mirror) -> float | None:
    """``MirrorPercentByPolicy``."""
    value = 100.0 if mirror.percentage is None or mirror.percentage.value is None else float(mirror.percentage.value)
    return value if value > 0 else None
