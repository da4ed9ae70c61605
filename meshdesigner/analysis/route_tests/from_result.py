"""A test case written from a request the user tried: "this is what it does, keep it that way"."""

from __future__ import annotations

from ...model.route_tests import DEFAULT_PORTS, Entry, RouteTestCase, TestRequest
from ..simulate import Request, SimulationResult, parse_url
from .engine import OUTCOME_NAMES


def case_from_tried(gateway: str, request: Request, result: SimulationResult,
                    description: str = "") -> RouteTestCase:
    """The tried request at ``gateway`` with what the simulator answered as its expectations:
    the outcome, the status when the gateway answers itself, and the destinations when routed."""
    parts = parse_url(request.url)
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port if parts.port and parts.port != DEFAULT_PORTS.get(scheme) else None
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    authority = request.headers.get("host") or request.headers.get("Host") or parts.hostname
    test_request = TestRequest(authority=(authority,), method=(request.method.upper(),), uri=(path,),
                               headers=headers, scheme=scheme, port=port, sni=request.sni,
                               source_address=request.client_address)
    outcome = OUTCOME_NAMES.get(result.outcome, result.outcome)
    data: dict = {"description": description or f"{request.method.upper()} {request.url} is {outcome}",
                  "entry": Entry(gateway=gateway), "request": test_request, "outcome": outcome}
    if result.status is not None:
        data["status"] = result.status
    if outcome == "routed" and result.destinations:
        data["route"] = [{"destination": {"host": d["host"], **({"subset": d["subset"]} if d.get("subset") else {}),
                                          **({"port": {"number": d["port"]}} if d.get("port") else {})}}
                         for d in result.destinations]
    return RouteTestCase.model_validate(data)
