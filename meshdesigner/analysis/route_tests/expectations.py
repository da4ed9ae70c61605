"""Each expectation of a test case, checked against an :class:`~.engine.Observation`.

Every check is written in terms of what a client and a backend can see, so the same check judges
the simulator and real Envoy: ``route`` is the backend that answered, ``redirect`` the status and
Location, ``rewrite`` the path and authority the backend received, ``fault.abort`` (at 100%) the
status, ``headers`` the headers the backend received and the client got. What Envoy does not show
(``delegate``, a fault that only applies sometimes, a delay) is judged on the simulator's answer
only, and an Envoy run says so (:data:`NOT_OBSERVABLE`).

A check returns None when the expectation holds, else the difference as one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from ...model.hosts import expand_host
from ...model.route_tests import ConcreteRequest, RouteTestCase
from .engine import Observation

Check = Callable[[RouteTestCase, ConcreteRequest, Observation], "str | None"]
NOT_OBSERVABLE = "not observable in Envoy"


def _vs_namespace(obs: Observation) -> str:
    return (obs.virtual_service or "default/").partition("/")[0]


def check_outcome(case, _req, obs) -> str | None:
    if obs.outcome == case.outcome:
        return None
    return f"outcome is {obs.outcome}" + (f" (status {obs.status})" if obs.status else "") + f", not {case.outcome}"


def check_status(case, _req, obs) -> str | None:
    return None if obs.status == case.status else f"status is {obs.status}, not {case.status}"


def _dest_text(dest: dict) -> str:
    text = dest.get("host") or "?"
    if dest.get("subset"):
        text += f" subset {dest['subset']}"
    if dest.get("port"):
        text += f" port {dest['port']}"
    return text


def check_route(case, _req, obs) -> str | None:
    if obs.source == "envoy" and obs.outcome == "routed" and obs.backend is None:
        return NOT_OBSERVABLE  # aborted by a fault before any backend: Envoy does not say where it would go
    if obs.outcome != "routed" or not obs.destinations:
        return f"the request is not forwarded to a backend (outcome {obs.outcome})"
    namespace = _vs_namespace(obs)
    expected = [_want(d, namespace) for d in case.route]
    actual = obs.destinations
    if obs.source == "envoy":  # one backend answered (destinations: its cluster); it must be an expected one
        if not any(_same(want, got) for want in expected for got in actual):
            return f"the backend {obs.backend} answered; expected {', '.join(map(_want_text, expected))}"
        return None
    if len(actual) != len(case.route):
        return f"destinations are {', '.join(map(_dest_text, actual))}, not {len(case.route)} as expected"
    for want_raw, want, got in zip(case.route, expected, actual, strict=True):
        if not _same(want, got):
            return f"destination is {_dest_text(got)}, not {_want_text(want)}"
        if want_raw.weight is not None and got.get("weight") != want_raw.weight:
            return f"weight of {_dest_text(got)} is {got.get('weight')}, not {want_raw.weight}"
    return None


def _want(route_dest, namespace: str) -> dict:
    dest = route_dest.destination
    return {"host": expand_host(dest.host, namespace).lower(), "port": dest.port_number, "subset": dest.subset}


def _want_text(want: dict) -> str:
    return _dest_text({k: v for k, v in want.items() if v is not None})


def _same(want: dict, got: dict) -> bool:
    return (want["host"] == (got.get("host") or "").lower()
            and (want["port"] is None or want["port"] == got.get("port"))
            and (want["subset"] is None or want["subset"] == got.get("subset")))


REDIRECT_CODES = {301, 302, 303, 307, 308}


def check_redirect(case, req, obs) -> str | None:
    if obs.outcome != "redirect" or not obs.location:
        return f"no redirect (outcome {obs.outcome})"
    want = case.redirect
    code = want.redirect_code or 301
    if obs.status != code:
        return f"redirect status is {obs.status}, not {code}"
    loc = urlsplit(obs.location)
    if want.uri is not None and loc.path != want.uri:
        return f"Location path is {loc.path!r} ({obs.location}), not {want.uri!r}"
    if want.authority is not None and (loc.hostname or "") != want.authority.lower():
        return f"Location host is {loc.hostname!r} ({obs.location}), not {want.authority!r}"
    if want.scheme is not None and loc.scheme != want.scheme:
        return f"Location scheme is {loc.scheme!r} ({obs.location}), not {want.scheme!r}"
    if want.port is not None:
        port = loc.port or {"http": 80, "https": 443}.get(loc.scheme)
        if port != want.port:
            return f"Location port is {port} ({obs.location}), not {want.port}"
    return None


def check_rewrite(case, req, obs) -> str | None:
    if obs.outcome != "routed" or obs.upstream is None:
        return f"the request is not forwarded to a backend (outcome {obs.outcome})"
    want = case.rewrite
    path = (obs.upstream.get("path") or "").partition("?")[0]
    if want.uri is not None:
        original = req.uri.partition("?")[0]
        # a rewrite replaces the matched prefix (or the whole path): the rest of the request path stays
        if not (path.startswith(want.uri) and original.endswith(path[len(want.uri):])):
            return f"the backend sees the path {path!r}, not {req.uri!r} rewritten to {want.uri!r}"
    if want.authority is not None and obs.upstream.get("authority") != want.authority:
        return f"the backend sees the authority {obs.upstream.get('authority')!r}, not {want.authority!r}"
    if want.uri_regex_rewrite is not None and obs.source == "simulator":
        rule_rewrite = obs.rule.rewrite if obs.rule is not None else None
        got = rule_rewrite.uri_regex_rewrite if rule_rewrite is not None else None
        if got != want.uri_regex_rewrite:
            return f"the rule's uriRegexRewrite is {got.to_wire() if got else None}"
    return None


def _percent(value) -> float:
    return 100.0 if value is None or value.value is None else float(value.value)


def check_fault(case, _req, obs) -> str | None:
    want = case.fault
    abort = want.abort
    if abort is not None and abort.http_status is not None and _percent(abort.percentage) >= 100:
        if obs.status != abort.http_status:
            return f"status is {obs.status}, not the aborted {abort.http_status}"
        if want.delay is None:
            return None
    if obs.source == "envoy":
        return NOT_OBSERVABLE
    got = obs.rule.fault if obs.rule is not None else None
    if got is None or got.to_wire() != want.to_wire():
        return f"the rule's fault is {got.to_wire() if got is not None else None}, not {want.to_wire()}"
    return None


def _header_ops_diff(ops, seen: dict[str, str], where: str) -> str | None:
    if ops is None:
        return None
    for key, value in (ops.set or {}).items():
        if seen.get(key.lower()) != value:
            return f"{where} {key}: {seen.get(key.lower())!r}, not {value!r}"
    for key, value in (ops.add or {}).items():
        values = [v.strip() for v in (seen.get(key.lower()) or "").split(",")]
        if value not in values:
            return f"{where} {key}: {seen.get(key.lower())!r} does not include {value!r}"
    for key in ops.remove or []:
        if key.lower() in seen:
            return f"{where} {key} is present ({seen[key.lower()]!r}); it should be removed"
    return None


def check_headers(case, _req, obs) -> str | None:
    want = case.headers
    if want.request is not None:
        if obs.upstream is None:
            return f"the request is not forwarded to a backend (outcome {obs.outcome})"
        diff = _header_ops_diff(want.request, obs.upstream.get("headers") or {}, "the backend sees")
        if diff:
            return diff
    if want.response is not None:
        seen = dict(obs.response_headers)
        for key in obs.response_removed:
            seen.pop(key, None)
        diff = _header_ops_diff(want.response, seen, "the client gets")
        if diff:
            return diff
    return None


def check_delegate(case, _req, obs) -> str | None:
    if obs.source == "envoy":
        return NOT_OBSERVABLE
    want = case.delegate
    got = obs.delegate
    if got is None:
        return f"the answering rule ({obs.virtual_service or 'none'}) does not come from a delegate VirtualService"
    if want.name is not None and got.get("name") != want.name:
        return f"delegated to {got.get('namespace')}/{got.get('name')}, not {want.name}"
    if want.namespace is not None and got.get("namespace") != want.namespace:
        return f"delegated to {got.get('namespace')}/{got.get('name')}, not namespace {want.namespace}"
    return None


def check_upstream(case, _req, obs) -> str | None:
    if obs.upstream is None:
        return f"the request is not forwarded to a backend (outcome {obs.outcome})"
    want = case.upstream
    if want.path is not None and obs.upstream.get("path") != want.path:
        return f"the backend sees the path {obs.upstream.get('path')!r}, not {want.path!r}"
    if want.authority is not None and obs.upstream.get("authority") != want.authority:
        return f"the backend sees the authority {obs.upstream.get('authority')!r}, not {want.authority!r}"
    return _exact_headers(want.headers or {}, obs.upstream.get("headers") or {}, "the backend sees")


def _exact_headers(want: dict, seen: dict, where: str) -> str | None:
    for key, value in want.items():
        got = seen.get(key.lower())
        if value is None and got is not None:
            return f"{where} {key}: {got!r}; it should be absent"
        if value is not None and got != value:
            return f"{where} {key}: {got!r}, not {value!r}"
    return None


def check_response_headers(case, _req, obs) -> str | None:
    seen = dict(obs.response_headers)
    for key in obs.response_removed:
        seen.pop(key, None)
    return _exact_headers(case.response_headers, seen, "the client gets")


CHECKS: dict[str, Check] = {
    "outcome": check_outcome, "status": check_status, "route": check_route, "redirect": check_redirect,
    "rewrite": check_rewrite, "fault": check_fault, "headers": check_headers, "delegate": check_delegate,
    "upstream": check_upstream, "response_headers": check_response_headers,
}


def evaluate(case: RouteTestCase, req: ConcreteRequest, obs: Observation) -> list[tuple[str, str]]:
    """The failed expectations as (name, why); empty when the request behaves as the case says.

    ``wantMatch: true``: each stated expectation must hold. ``wantMatch: false``: each must fail
    (istio-config-validator compares every stated field with ``wantMatch``).
    """
    failures = []
    for name in case.expectation_names():
        diff = CHECKS[name](case, req, obs)
        if diff == NOT_OBSERVABLE:
            continue
        holds = diff is None
        if holds != case.want_match:
            failures.append((name, diff if diff else f"{name} matches, but wantMatch is false"))
    return failures


def not_observable(case: RouteTestCase, req: ConcreteRequest, obs: Observation) -> list[str]:
    """Expectations an Envoy run could not judge (they are judged by the simulator)."""
    return [name for name in case.expectation_names() if CHECKS[name](case, req, obs) == NOT_OBSERVABLE]
