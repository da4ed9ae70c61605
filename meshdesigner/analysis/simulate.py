"""Which route does a request take through a gateway, and why: Envoy's decisions without Envoy.

:func:`simulate(project, gateway_ref, request) -> SimulationResult` runs a pipeline of steps over
the gateway's plan (:func:`meshdesigner.export.envoy.build_plan`, the same one the Envoy export
renders, compiled once per project version and gateway):

1. ``listener``  — a server on the request's port?                    (else ``no_listener``)
2. ``connection``— TLS or plain text, filter chain by SNI; TCP/TLS
   routes end here                                                     (else ``tls_no_match``)
3. ``virtual_host`` — the Host header against the virtual host domains (else ``no_virtual_host``)
4. ``https_redirect`` — ``tls.httpsRedirect`` on plain text             (``redirect``)
5. ``route``     — the first route whose match fits; why earlier ones did not (else ``no_route``)
6. ``action``    — redirect / direct response / destinations, with rewrite, fault, timeout,
   retries, mirrors, CORS and header changes                          (``redirect``,
   ``direct_response``, ``routed``)

Extension (the design's policies and EnvoyFilters: ``simulate_security``, ``simulate_envoy_filters``): :func:`add_step` inserts a
``fn(ctx) -> str | None`` before or after a named step. A step reads ``ctx.request``,
``ctx.listener``, ``ctx.chain``, ``ctx.vhost``, ``ctx.route`` and ``ctx.result``; it may add to
``ctx.explain(...)`` and stop the request with ``return ctx.deny(status, "why")`` (outcome
``denied``). Every explanation is a plain sentence; the module is Qt-free.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import SplitResult, parse_qsl, urlsplit

from ..compile import CompileOptions, WorkloadPlan, compile_workload, own_workload, resolve_gateway
from ..compile.workloads import gateway_workloads
from ..model.nodes import GatewayNode
from .simulate_match import ChainIndex, CompiledRoute, CompiledVirtualHost, HttpFacts
from .simulate_steps import (
    DEFAULT_PORTS,
    step_action,
    step_connection,
    step_https_redirect,
    step_listener,
    step_route,
    step_virtual_host,
)
from .simulate_upstream import normalize_path

OUTCOMES = ("routed", "redirect", "direct_response", "no_listener", "tls_no_match", "no_virtual_host",
            "no_route", "denied", "tls_refused", "cors_preflight", "upstream_tls_failed")


@dataclass
class Request:
    """A request as a client sends it. ``url`` schemes: http, https, tcp (raw TCP) or tls (TLS, no HTTP).

    The client's side of TLS: ``client_cert``/``client_key`` (PEM files it presents), ``tls_version`` (the
    highest it offers: ``1.2``, ``TLSv1.3``...). What the simulator cannot see: ``upstream_certificates``
    (service host or SNI -> the PEM certificate that upstream presents), ``files_root`` (where certificate
    files named by absolute paths in the design are read, as ``--files-root``) and ``credentials_dir``
    (``DIR/<credentialName>/ca.crt``, as ``--credentials``).
    """

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    sni: str | None = None
    client_address: str | None = None      # the client's IP (firewall rules); None: a local trial, 127.0.0.1
    client_cert: str | None = None
    client_key: str | None = None
    tls_version: str | None = None
    upstream_certificates: dict[str, str] = field(default_factory=dict)
    files_root: str | None = None
    credentials_dir: str | None = None
    mesh_identity: bool = False            # a sidecar or gateway of the mesh sends it (its Istio certificate)

    def __post_init__(self) -> None:
        parse_url(self.url)  # a bad URL is a clear ValueError here, not a traceback mid-simulation


URL_SCHEMES = ("http", "https", "tcp", "tls")


def parse_url(url: str) -> SplitResult:
    """``url`` split into parts (no scheme means http); ``ValueError`` saying what is wrong otherwise.

    Only http, https, tcp and tls with a host are requests a gateway can receive; the port, when
    given, must be a number from 1 to 65535.
    """
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError as exc:
        raise ValueError(f"the URL {url!r} cannot be read: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ValueError(f"the URL {url!r} has the scheme {scheme!r}; use one of {', '.join(URL_SCHEMES)}")
    if not parts.hostname:
        raise ValueError(f"the URL {url!r} has no host (e.g. {scheme}://shop.example.com/)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the URL {url!r} has a bad port: it must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError(f"the URL {url!r} has a bad port: it must be a number from 1 to 65535")
    return parts


@dataclass
class SimulationResult:
    """Where the request goes. ``to_dict()`` is the ``simulate --format json`` object."""

    gateway: str
    outcome: str = ""
    explanation: list[str] = field(default_factory=list)
    port: int | None = None
    protocol: str | None = None             # the server's protocol
    servers: list[int] = field(default_factory=list)   # indexes in the Gateway's spec.servers
    tls: dict | None = None                 # {"mode", "terminated", "sni", "server_names", "client_certificate"}
    virtual_host: str | None = None
    virtual_service: str | None = None
    rule_index: int | None = None
    match_index: int | None = None
    section: str | None = None              # "http" | "tcp" | "tls"
    route_name: str | None = None
    skipped: list[dict] = field(default_factory=list)  # earlier routes and why they did not match
    destinations: list[dict] = field(default_factory=list)
    status: int | None = None               # the status Envoy itself answers (404 NR, redirect, direct, abort)
    redirect: dict | None = None
    direct_response: dict | None = None
    rewrite: dict | None = None
    fault: dict | None = None
    timeout: str | None = None
    retries: dict | None = None
    mirrors: list[dict] = field(default_factory=list)
    cors: dict | None = None
    headers: dict | None = None
    functions: dict = field(default_factory=dict)   # EnvoyFilter functions met: rate_limit, cache
    upstream: dict | None = None            # {"path", "authority", "headers"}: the request as the backend sees it
    response_headers: dict | None = None    # {"set", "add", "remove"}: what the gateway changes in the response
    rule: dict | None = None                # the HTTP rule that answered, after delegate merge (Istio field names)
    delegate: dict | None = None            # {"name", "namespace"} when that rule comes from a delegate
    upstream_tls: dict | None = None        # {"mode", "sni", "verified", ...}: the TLS the gateway originates
    hops: list[dict] = field(default_factory=list)   # requests from the mesh: every hop's result, in order
    istio_version: str | None = None        # the Istio release whose behaviour the answer follows
    workload: dict | None = None            # {"labels", "gateways"}: the Gateways merged into the proxy
    server_gateways: list[str] = field(default_factory=list)   # the Gateway of each entry in ``servers``

    def to_dict(self) -> dict:
        return asdict(self)


class SimulationContext:
    """What the steps share: the request (parsed), the gateway's compiled tables, the result so far."""

    def __init__(self, compiled: CompiledWorkload, request: Request, gateway: GatewayNode) -> None:
        self.compiled = compiled
        self.plan = compiled.plan
        self.gateway = gateway
        self.request = request
        parts = parse_url(request.url)
        self.scheme = parts.scheme.lower()
        self.host = (parts.hostname or "").lower()
        self.port = parts.port or DEFAULT_PORTS.get(self.scheme)
        self.raw_path = parts.path or "/"
        self.path = normalize_path(self.raw_path)   # pathNormalization BASE: routing sees the normalized path
        self.query_string = parts.query
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.authority = headers.pop("host", None) or parts.netloc.rpartition("@")[2]
        headers[":authority"] = self.authority
        headers[":method"] = request.method.upper()
        headers[":scheme"] = "https" if self.scheme in ("https", "tls") else "http"
        headers[":path"] = self.path + (f"?{parts.query}" if parts.query else "")
        query = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, value)
        self.http = HttpFacts(self.path, headers, query)
        self.options = SimulateOptions()
        self.listener = None
        self.chain = None
        self.vhost: CompiledVirtualHost | None = None
        self.route: CompiledRoute | None = None
        self.result = SimulationResult(gateway=gateway.gateway.metadata.qualified,
                                       istio_version=self.plan.istio_version,
                                       workload={"labels": dict(self.plan.labels),
                                                 "gateways": list(self.plan.gateway_refs)})

    @property
    def files_root(self) -> str | None:
        return self.request.files_root or self.options.files_root

    @property
    def credentials_dir(self) -> str | None:
        return self.request.credentials_dir or self.options.credentials_dir

    def explain(self, text: str) -> None:
        self.result.explanation.append(text)

    def stop(self, outcome: str, text: str, status: int | None = None) -> str:
        self.explain(text)
        self.result.outcome = outcome
        if status is not None:
            self.result.status = status
        return outcome

    def deny(self, status: int, text: str) -> str:
        """For extension steps: Envoy answers ``status`` itself; the request goes no further."""
        return self.stop("denied", text, status)

    @property
    def host_without_port(self) -> str:
        host = self.authority.lower()
        if host.startswith("["):
            return host.partition("]")[0] + "]"
        return host.rpartition(":")[0] if host.count(":") == 1 else host


Step = Callable[[SimulationContext], "str | None"]

STEPS: list[tuple[str, Step]] = [
    ("listener", step_listener),
    ("connection", step_connection),
    ("virtual_host", step_virtual_host),
    ("https_redirect", step_https_redirect),
    ("route", step_route),
    ("action", step_action),
]


def add_step(name: str, step: Step, *, before: str | None = None, after: str | None = None) -> None:
    """Insert an extension step (see the module docstring); by default just before ``action``."""
    names = [n for n, _ in STEPS]
    if name in names:
        STEPS[names.index(name)] = (name, step)
        return
    position = names.index(after) + 1 if after is not None else names.index(before or "action")
    STEPS.insert(position, (name, step))


def remove_step(name: str) -> None:
    STEPS[:] = [(n, s) for n, s in STEPS if n != name]


# ----- compiled workloads, cached per project version -------------------------------------------------
class CompiledWorkload:
    """A workload's plan with every route matcher built once (the per-request work is only matching)."""

    def __init__(self, plan: WorkloadPlan) -> None:
        self.plan = plan
        self.vhosts: dict[int, list[CompiledVirtualHost]] = {}
        self.chains: dict[int, ChainIndex] = {id(listener): ChainIndex(listener) for listener in plan.listeners}
        for listener in plan.listeners:
            for chain in listener.chains:
                if chain.route_config is not None:
                    self.vhosts[id(chain)] = [
                        CompiledVirtualHost(v, [CompiledRoute(r) for r in v.routes])
                        for v in chain.route_config.virtual_hosts]


CompiledGateway = CompiledWorkload   # the name before workloads were merged


class _DesignCache:
    """The compiled workloads of one design content: the same node, policy and settings objects (a
    ``project.copy()`` snapshot of an unchanged design shares them) with the same compile options. The
    policies and settings are part of it because each plan holds its workload's security."""

    def __init__(self, project, nodes: tuple, options: CompileOptions) -> None:
        self.nodes = nodes                # held, so the ids in the key cannot be reused by new objects
        self.policies = tuple(project.policies)
        self.settings = project.settings
        self.workload_of = {g.id: own_workload(workloads, g)
                            for workloads in [gateway_workloads(project)] for g in project.gateways()}
        self.compiled: dict[tuple, CompiledWorkload] = {}


_CACHE_SIZE = 4
_CACHES: OrderedDict[tuple, _DesignCache] = OrderedDict()   # (node ids, options) -> cache, newest last
# The last project asked about: (weak reference, revision, options, cache): a repeated request costs no scan.
_LAST: list = [None, -1, None, None]


def _design_cache(project, options: CompileOptions) -> _DesignCache:
    ref, revision, last_options, cache = _LAST
    current = getattr(project, "revision", None)
    if ref is not None and ref() is project and current is not None and revision == current \
            and last_options == options:
        return cache
    nodes = tuple(project)
    key = (tuple(map(id, nodes)), tuple(map(id, project.policies)), id(project.settings), options)
    found = _CACHES.get(key)
    if found is not None:
        _CACHES.move_to_end(key)
    else:
        found = _CACHES[key] = _DesignCache(project, nodes, options)
        while len(_CACHES) > _CACHE_SIZE:
            _CACHES.popitem(last=False)
    _LAST[:] = [weakref.ref(project), current, options, found]
    return found


def compiled_gateway(project, gateway: GatewayNode, options: CompileOptions | None = None) -> CompiledWorkload:
    """The compiled workload serving ``gateway``, rebuilt only when the design's nodes or the options changed."""
    options = options or CompileOptions.for_project(project)
    cache = _design_cache(project, options)
    workload = cache.workload_of.get(gateway.id) or own_workload(gateway_workloads(project), gateway)
    found = cache.compiled.get(workload.labels)
    if found is None:
        found = cache.compiled[workload.labels] = CompiledWorkload(compile_workload(project, workload, options))
    return found


@dataclass(frozen=True)
class SimulateOptions:
    """How to simulate besides the request: the Istio version (None: the project's setting) and where the
    files live that certificate checks read (a request's own ``files_root``/``credentials_dir`` win)."""

    istio_version: str | None = None
    files_root: str | None = None
    credentials_dir: str | None = None
    system_ca_file: str | None = "/etc/ssl/certs/ca-certificates.crt"

    def compile_options(self, project) -> CompileOptions:
        return CompileOptions(self.istio_version) if self.istio_version else CompileOptions.for_project(project)


def simulate(project, gateway_ref, request: Request, options: SimulateOptions | None = None) -> SimulationResult:
    """Follow ``request`` through the workload serving the gateway as Envoy would; the result says where
    it goes and why."""
    options = options or SimulateOptions()
    gateway = resolve_gateway(project, gateway_ref)
    ctx = SimulationContext(compiled_gateway(project, gateway, options.compile_options(project)), request, gateway)
    ctx.options = options
    ctx.project = project  # the design's policies (simulate_security reads them)
    for _name, step in list(STEPS):
        if step(ctx) is not None:
            break
    return ctx.result


from . import simulate_envoy_filters as _envoy_filters  # noqa: E402,F401  (rate limit and cache steps)
from . import simulate_security as _security  # noqa: E402,F401  (registers the policy steps)

__all__ = ["OUTCOMES", "STEPS", "CompiledGateway", "CompiledWorkload", "Request", "SimulateOptions", "SimulationContext", "SimulationResult",
           "add_step", "compiled_gateway", "parse_url", "remove_step", "resolve_gateway", "simulate"]
