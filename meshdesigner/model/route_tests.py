"""Route tests: requests a design must answer a certain way, written down next to the design.

The format is istio-config-validator's (getyourguide; ``internal/pkg/parser/testcase.go``), read
unchanged: a case has a ``description``, ``wantMatch``, a ``request`` with lists of ``authority``,
``method`` and ``uri`` (every combination is one request) and ``headers``, and the expected
``route``, ``redirect``, ``rewrite``, ``fault``, ``headers`` and ``delegate`` of the VirtualService
rule that answers, in Istio's own field names.

MeshDesigner extends it (all optional, camelCase like the rest):

* ``entry``: where the request enters: ``{gateway: NS/NAME}`` or ``{sidecar: NAMESPACE}`` (a client
  pod in that namespace). Without it the case checks the VirtualServices' routing as
  istio-config-validator does: through any gateway, or the mesh, that binds the host.
* ``request.scheme`` (http, https, tcp, tls), ``request.port``, ``request.sni``,
  ``request.sourceAddress`` and ``request.jwt`` (``{claims: {...}}`` or ``{token: "..."}``).
* what the client sees: ``outcome`` (:data:`OUTCOMES`), ``status``, ``responseHeaders``
  (``name: value``, or ``name: null`` for "absent");
* what the backend sees: ``upstream`` (``path``, ``authority``, ``headers`` as above).

``wantMatch`` (default true here; the Go tool's zero value is false) says whether every stated
expectation must hold (true) or every stated expectation must fail (false), as istio-config-validator
compares each one with ``wantMatch``.
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator
from pydantic.alias_generators import to_camel

from .common import Headers
from .virtualservice import Delegate, HTTPFaultInjection, HTTPRedirect, HTTPRewrite, HTTPRouteDestination

# What the client experiences. ``tls_refused``: the TLS handshake fails (unknown SNI, client certificate
# missing or wrong, TLS version). ``no_route`` covers Envoy's 404 NR (no virtual host or no route).
# ``passthrough``: from a sidecar, a host no route serves leaves the mesh unchanged (ALLOW_ANY).
OUTCOMES = ("routed", "redirect", "direct_response", "denied", "no_route", "tls_refused", "no_listener",
            "passthrough")
SCHEMES = ("http", "https", "tcp", "tls")
DEFAULT_PORTS = {"http": 80, "https": 443, "tcp": 80, "tls": 443}


class _Strict(BaseModel):
    """camelCase on the wire, frozen, unknown keys refused (a typo must not silently test nothing)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    def to_wire(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")


class Jwt(_Strict):
    """A JWT the client presents: its claims (MeshDesigner signs nothing; the simulator reads the claims),
    or a literal token."""

    claims: dict[str, object] | None = None
    token: StrictStr | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Jwt:
        if (self.claims is None) == (self.token is None):
            raise ValueError("a jwt has either claims or a token")
        return self


class Entry(_Strict):
    """Where a request enters: a gateway (``NS/NAME``) or a sidecar in a namespace."""

    gateway: StrictStr | None = None
    sidecar: StrictStr | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Entry:
        if (self.gateway is None) == (self.sidecar is None):
            raise ValueError("an entry is either {gateway: NS/NAME} or {sidecar: NAMESPACE}")
        return self

    def label(self) -> str:
        return f"gateway {self.gateway}" if self.gateway is not None else f"a sidecar in namespace {self.sidecar}"


class TestRequest(_Strict):
    """Lists of authorities, methods and URIs (every combination is one request) and common fields."""

    authority: tuple[StrictStr, ...] = Field(min_length=1)
    method: tuple[StrictStr, ...] = Field(default=("GET",), min_length=1)
    uri: tuple[StrictStr, ...] = Field(default=("/",), min_length=1)
    headers: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    scheme: Literal["http", "https", "tcp", "tls"] = "http"
    port: StrictInt | None = Field(default=None, ge=1, le=65535)
    sni: StrictStr | None = None
    source_address: StrictStr | None = None
    jwt: Jwt | None = None

    def unfold(self) -> list[ConcreteRequest]:
        """Every combination, in istio-config-validator's order (uri, then authority, then method)."""
        return [ConcreteRequest(self, authority, method, uri)
                for uri, authority, method in itertools.product(self.uri, self.authority, self.method)]


class ConcreteRequest:
    """One request of a test case: one authority, one method, one URI, and the case's other fields."""

    __slots__ = ("authority", "method", "request", "uri")

    def __init__(self, request: TestRequest, authority: str, method: str, uri: str) -> None:
        self.request, self.authority, self.method, self.uri = request, authority, method, uri

    @property
    def port(self) -> int:
        """The port the request is sent to (the scheme's default unless the case names one)."""
        return self.request.port or DEFAULT_PORTS[self.request.scheme]

    @property
    def url(self) -> str:
        port = f":{self.request.port}" if self.request.port else ""
        path = self.uri if self.uri.startswith("/") else "/" + self.uri
        return f"{self.request.scheme}://{self.authority}{port}{path}"

    def label(self) -> str:
        extra = "".join(f" -H '{k}: {v}'" for k, v in sorted(self.request.headers.items()))
        if self.request.sni:
            extra += f" (SNI {self.request.sni})"
        return f"{self.method} {self.url}{extra}"

    def __repr__(self) -> str:
        return f"ConcreteRequest({self.label()!r})"


class UpstreamExpectation(_Strict):
    """What the backend receives: path (with query), authority, headers (``null``: must be absent)."""

    path: StrictStr | None = None
    authority: StrictStr | None = None
    headers: dict[StrictStr, StrictStr | None] | None = None


class RouteTestCase(_Strict):
    """One test case (see the module docstring for the format)."""

    description: StrictStr = ""
    want_match: StrictBool = True
    entry: Entry | None = None
    request: TestRequest
    # istio-config-validator's expectations: the answering rule's fields, in Istio's form
    route: tuple[HTTPRouteDestination, ...] | None = None
    redirect: HTTPRedirect | None = None
    rewrite: HTTPRewrite | None = None
    fault: HTTPFaultInjection | None = None
    headers: Headers | None = None
    delegate: Delegate | None = None
    # MeshDesigner's: what the client and the backend see
    outcome: Literal["routed", "redirect", "direct_response", "denied", "no_route", "tls_refused",
                     "no_listener", "passthrough"] | None = None
    status: StrictInt | None = Field(default=None, ge=100, le=599)
    upstream: UpstreamExpectation | None = None
    response_headers: dict[StrictStr, StrictStr | None] | None = None

    def to_wire(self) -> dict:
        """The case as written in files (description, wantMatch, entry, request, then expectations);
        wantMatch always stated (tools disagree on its default)."""
        data: dict = {"description": self.description, "wantMatch": self.want_match}
        if self.entry is not None:
            data["entry"] = self.entry.to_wire()
        data["request"] = self.request.to_wire()
        for key in EXPECTATIONS:
            value = getattr(self, key)
            if value is None:
                continue
            if key == "route":  # the Istio types keep unknown fields; dump them the wire way
                data[key] = [d.to_wire() for d in value]
            elif hasattr(value, "to_wire"):
                data[to_camel(key)] = value.to_wire()
            else:
                data[to_camel(key)] = value
        return data

    def expectation_names(self) -> list[str]:
        """The expectations the case states, in a fixed order."""
        return [name for name in EXPECTATIONS if getattr(self, name) is not None]


EXPECTATIONS = ("outcome", "status", "route", "redirect", "rewrite", "fault", "headers", "delegate", "upstream",
                "response_headers")


def case_from_wire(data: object) -> RouteTestCase:
    """One case from a file's mapping (pydantic's ValidationError when it is not one)."""
    return RouteTestCase.model_validate(data)
