"""``meshdesigner test --envoy``: the requests of route tests through real Envoy, compared with the simulator.

For every entry point the simulator used (a gateway workload: one Envoy for all the Gateways selecting
the same pods, the config ``export --envoy`` writes as ``envoy/<labels>.yaml``; or a sidecar's
outbound routes for one port: :func:`meshdesigner.compile.compile_sidecar`), the design's Envoy
bootstrap is exported with:
listeners on free loopback ports, every cluster pointing at an :mod:`echo <.echo>` backend named
after the cluster, certificates provided by :mod:`.certificates`, and one test instrument added to
each HTTP connection manager: a local-reply mapper that puts Envoy's ``%RESPONSE_CODE_DETAILS%``
(``route_not_found``, ``direct_response``, ``fault_filter_abort``, ``rbac_access_denied...``) in the
``x-meshdesigner-details`` header of the answers Envoy makes itself, so the outcome is read, not
guessed. Nothing else of the exported configuration changes.

Each request's Envoy :class:`~meshdesigner.analysis.route_tests.engine.Observation` is judged by the
case's expectations like the simulator's, and the two observations are compared: any difference is a
defect of MeshDesigner (the simulator or the export), reported as such.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import ssl
import tempfile
from dataclasses import replace

from ..analysis.route_tests.engine import MESH_PREFIX, Observation, unsigned_token
from ..analysis.route_tests.expectations import evaluate
from ..analysis.route_tests.runner import CaseResult, RequestResult
from ..analysis.simulate import resolve_gateway
from ..compile import WorkloadPlan, compile_sidecar, compile_workload, gateway_workloads, own_workload
from ..export.envoy import EnvoyOptions
from ..export.envoy.bootstrap import bootstrap_from_plan, workload_files
from ..export.envoy.options import Address
from ..model.route_tests import ConcreteRequest
from .certificates import ThrowawayCertificates, provide_files
from .echo import BACKEND_HEADER, EchoBackends
from .envoy_process import EnvoyUnavailable, envoy_binary, free_port, running_envoy

DETAILS_HEADER = "x-meshdesigner-details"
START_ATTEMPTS = 3
PORT_CLASH = ("Address already in use", "cannot bind")
REQUEST_TIMEOUT = 10.0
DENIED_DETAILS = ("rbac_access_denied", "jwt_authn_access_denied", "ext_authz", "local_rate_limited",
                  "request_rate_limited")

__all__ = ["EnvoyUnavailable", "run_through_envoy"]


def run_through_envoy(project, results: list[CaseResult]) -> None:
    """Send every request of ``results`` (already run through the simulator) through real Envoy; fill in
    ``envoy``, ``envoy_failures`` and ``disagreements`` of each request result."""
    if not envoy_binary():
        from .envoy_process import INSTALL_HINT

        raise EnvoyUnavailable(INSTALL_HINT)
    by_entry: dict[tuple, list[tuple[CaseResult, RequestResult]]] = {}
    workloads = _GatewayWorkloads(project)
    for case in results:
        for res in case.results:
            ref = res.observation.entry_ref
            source = res.request.request.source_address
            if ref is None:
                res.envoy_note = "no gateway or mesh route names the host: there is no Envoy to ask"
            elif res.observation.outcome == "passthrough":
                res.envoy_note = "the sidecar passes it through, unchanged, out of the mesh: nothing to serve here"
            elif source not in (None, "127.0.0.1"):
                res.envoy_note = f"a request from {source} cannot be sent from loopback (judged by the simulator)"
            else:
                by_entry.setdefault(_proxy_key(workloads, ref, res.request), []).append((case, res))
    for key, items in sorted(by_entry.items()):
        with EnvoyTrial(*_proxy(workloads, key)) as trial:
            for case, res in items:
                obs = trial.send(res.request)
                obs.virtual_service = res.observation.virtual_service  # short destination names expand there
                res.envoy = obs
                res.envoy_failures = evaluate(case.case, res.request, obs)
                res.disagreements = disagreements(res.observation, obs)


class _GatewayWorkloads:
    """Which gateway workload (one Envoy, one file of ``export --envoy``) serves each Gateway of a design."""

    def __init__(self, project) -> None:
        self.project = project
        self.workloads = gateway_workloads(project)
        self.files = workload_files(project)

    def file_of(self, ref: str) -> str:
        return self.files[own_workload(self.workloads, resolve_gateway(self.project, ref)).labels]

    def plan(self, path: str) -> WorkloadPlan:
        return compile_workload(self.project, next(w for w in self.workloads if self.files[w.labels] == path))


def _proxy_key(workloads: _GatewayWorkloads, ref: str, concrete: ConcreteRequest) -> tuple:
    """Which Envoy serves the request: a gateway workload's (one Envoy for every Gateway selecting the
    same pods, as in Istio), or a sidecar's config for the request's port."""
    if not ref.startswith(MESH_PREFIX):
        return ("gateway", workloads.file_of(ref))
    return ("mesh", ref, concrete.port, concrete.request.scheme in ("https", "tls"))


def _proxy(workloads: _GatewayWorkloads, key: tuple):
    """(label, bootstrap builder, hosts for throwaway certificates) of the Envoy behind ``key``."""
    project = workloads.project
    if key[0] == "mesh":
        ref, port, tls = key[1:]
        namespace = ref.removeprefix(MESH_PREFIX)
        plan = compile_sidecar(project, namespace, port, tls=tls)
        return f"a sidecar in {namespace}, port {port}", lambda options: bootstrap_from_plan(project, plan, options), []
    plan = workloads.plan(key[1])
    hosts = list(dict.fromkeys(h for gateway in plan.gateways for h in _server_hosts(gateway)))
    return (f"gateway workload {key[1]}, serving {', '.join(plan.gateway_refs)}",
            lambda options: bootstrap_from_plan(project, plan, options), hosts)


class EnvoyTrial:
    """One proxy's exported config served by real Envoy on loopback, with echo backends (a context).

    ``build(options) -> bootstrap`` exports the config; ``hosts`` name the throwaway server certificate."""

    def __init__(self, label: str, build, hosts: list[str]) -> None:
        self.label, self.build, self.hosts = label, build, hosts
        self._stack = contextlib.ExitStack()
        self.port_map: dict[int, int] = {}
        self.replaced: list[str] = []

    def __enter__(self) -> EnvoyTrial:
        for attempt in range(START_ATTEMPTS):
            try:
                self._start()
                return self
            except EnvoyUnavailable as exc:
                self._stack.close()
                # a free port taken by another process (other Envoys run beside) between choosing and binding
                if attempt + 1 == START_ATTEMPTS or not any(s in str(exc) for s in PORT_CLASH):
                    raise
            except BaseException:
                self._stack.close()
                raise
        return self

    def __exit__(self, *_exc) -> None:
        self._stack.close()

    def _start(self) -> None:
        tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="meshdesigner-test-"))
        self.tmp = tmp
        options = EnvoyOptions(listen_address="127.0.0.1", files_root=os.path.join(tmp, "files"),
                               credentials_dir=os.path.join(tmp, "credentials"), admin_port=free_port())
        first = self.build(options)
        backends = self._stack.enter_context(EchoBackends())
        endpoints = {name: Address("127.0.0.1", backends.start(name)) for name in _cluster_names(first)}
        self.port_map = {port: free_port() for port in _listener_ports(first)}
        options = replace(options, endpoints=endpoints, port_map=self.port_map)
        bootstrap = self.build(options)
        add_details_header(bootstrap)
        self.certificates = ThrowawayCertificates(self.hosts)
        self.replaced = provide_files(bootstrap, options, self.certificates)
        self.client_cert = self.certificates.write_client(os.path.join(tmp, "client"))
        config = os.path.join(tmp, "envoy.json")
        with open(config, "w") as fh:
            json.dump(bootstrap, fh)
        self._stack.enter_context(running_envoy(config, options.admin_port, os.path.join(tmp, "envoy.log"),
                                                cwd=tmp))

    def send(self, concrete: ConcreteRequest) -> Observation:
        """Send one request; what the client and the echo backend saw."""
        scheme = concrete.request.scheme
        port = concrete.port
        label = f"Envoy ({self.label})"
        local = self.port_map.get(port)
        if local is None:
            return Observation(label, "no_listener", source="envoy",
                               explanation=[f"Envoy has no listener for port {port}."])
        try:
            sock = socket.create_connection(("127.0.0.1", local), timeout=REQUEST_TIMEOUT)
        except ConnectionRefusedError:
            return Observation(label, "no_listener", source="envoy", explanation=["connection refused"])
        if scheme in ("https", "tls"):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.load_cert_chain(*self.client_cert)
            sni = concrete.request.sni if concrete.request.sni is not None else concrete.authority.rpartition(":")[0] \
                if concrete.authority.count(":") == 1 else concrete.authority
            try:
                sock = context.wrap_socket(sock, server_hostname=sni or None)
            except (ssl.SSLError, ConnectionError, OSError) as exc:
                sock.close()
                return Observation(label, "tls_refused", source="envoy", explanation=[f"TLS handshake: {exc}"])
        return self._http(sock, concrete, label)

    def _http(self, sock, concrete: ConcreteRequest, label: str) -> Observation:
        conn = http.client.HTTPConnection("127.0.0.1", timeout=REQUEST_TIMEOUT)
        conn.sock = sock
        headers = {"Host": concrete.authority, **concrete.request.headers}
        jwt = concrete.request.jwt
        if jwt is not None:
            headers.setdefault("authorization", "Bearer " + (jwt.token or unsigned_token(jwt.claims or {})))
        try:
            conn.request(concrete.method, concrete.uri, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (ssl.SSLError, ConnectionError) as exc:
            return Observation(label, "tls_refused" if isinstance(exc, ssl.SSLError) else "error", source="envoy",
                               explanation=[f"the connection failed: {exc}"])
        finally:
            conn.close()
        return observation_from_response(label, resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)


def observation_from_response(label: str, status: int, headers: dict[str, str], body: bytes) -> Observation:
    """Classify Envoy's answer: an echo backend's, or one Envoy made itself (read from its details)."""
    details = headers.pop(DETAILS_HEADER, "")
    obs = Observation(label, "error", status, source="envoy", response_headers=headers,
                      explanation=[f"Envoy answered {status}" + (f" ({details})" if details else "")])
    backend = headers.get(BACKEND_HEADER)
    if backend and not details:
        seen = json.loads(body or b"{}")
        obs.outcome, obs.backend = "routed", backend
        obs.destinations = [_cluster_destination(backend)]
        obs.upstream = {"path": seen.get("path"), "authority": seen.get("authority"),
                        "headers": seen.get("headers") or {}}
        return obs
    if details == "route_not_found":
        obs.outcome = "no_route"
    elif details.startswith("direct_response"):
        if status in (301, 302, 303, 307, 308) and "location" in headers:
            obs.outcome, obs.location = "redirect", headers["location"]
        else:
            obs.outcome = "direct_response"
    elif details.startswith("fault_filter_abort"):
        obs.outcome = "routed"  # the route was chosen; its fault answered before any backend
    elif details.startswith(DENIED_DETAILS):
        obs.outcome = "denied"
    return obs


def _cluster_destination(cluster: str) -> dict:
    """``outbound|8080|v1|api.shop.svc.cluster.local`` -> host, port, subset, cluster."""
    parts = cluster.split("|")
    if len(parts) == 4 and parts[1].isdigit():
        return {"host": parts[3], "port": int(parts[1]), "subset": parts[2] or None, "weight": None,
                "cluster": cluster}
    return {"host": cluster, "port": None, "subset": None, "weight": None, "cluster": cluster}


def disagreements(sim: Observation, envoy: Observation) -> list[str]:
    """Where real Envoy did something else than the simulator said (each a MeshDesigner defect)."""
    out = []
    if sim.outcome != envoy.outcome:
        out.append(f"outcome: simulator {sim.outcome}, Envoy {envoy.outcome} ({envoy.explanation[-1]})")
        return out
    if sim.status is not None and envoy.status is not None and sim.status != envoy.status:
        out.append(f"status: simulator {sim.status}, Envoy {envoy.status}")
    if envoy.backend is not None:
        clusters = {d.get("cluster") for d in sim.destinations}
        if envoy.backend not in clusters:
            out.append(f"backend: simulator {', '.join(sorted(filter(None, clusters)))}, Envoy {envoy.backend}")
        if sim.upstream and envoy.upstream:
            for key in ("path", "authority"):
                if sim.upstream.get(key) != envoy.upstream.get(key):
                    out.append(f"the backend's {key}: simulator {sim.upstream.get(key)!r}, Envoy "
                               f"{envoy.upstream.get(key)!r}")
            seen = envoy.upstream.get("headers") or {}
            for name, value in sorted((sim.upstream.get("headers") or {}).items()):
                if seen.get(name) != value:
                    out.append(f"the backend's header {name}: simulator {value!r}, Envoy {seen.get(name)!r}")
    if sim.outcome == "redirect" and sim.location != envoy.location:
        out.append(f"Location: simulator {sim.location}, Envoy {envoy.location}")
    for name, value in sorted(sim.response_headers.items()):
        if envoy.response_headers.get(name) != value and name not in sim.response_removed:
            out.append(f"response header {name}: simulator {value!r}, Envoy {envoy.response_headers.get(name)!r}")
    return out


# ----- reading and instrumenting the bootstrap ---------------------------------------------------------
def _cluster_names(bootstrap: dict) -> list[str]:
    return [c["name"] for c in bootstrap.get("static_resources", {}).get("clusters", [])
            if c.get("name", "").startswith("outbound|")]


def _listener_ports(bootstrap: dict) -> list[int]:
    return sorted({lst["address"]["socket_address"]["port_value"]
                   for lst in bootstrap.get("static_resources", {}).get("listeners", [])
                   if "socket_address" in lst.get("address", {})})


def _server_hosts(gateway) -> list[str]:
    return [h.partition("/")[2] if "/" in h else h for s in gateway.gateway.spec.servers or [] for h in s.hosts or []]


def add_details_header(bootstrap: dict) -> None:
    """The test instrument (see the module docstring): Envoy's own answers say why they were made."""
    mapper = {"filter": {"status_code_filter": {"comparison": {
                  "op": "GE", "value": {"default_value": 100, "runtime_key": "meshdesigner.test.details"}}}},
              "headers_to_add": [{"header": {"key": DETAILS_HEADER, "value": "%RESPONSE_CODE_DETAILS%"},
                                  "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}]}
    for listener in bootstrap.get("static_resources", {}).get("listeners", []):
        for chain in listener.get("filter_chains", []):
            for item in chain.get("filters", []):
                if item.get("name") == "envoy.filters.network.http_connection_manager":
                    config = item["typed_config"]
                    config.setdefault("local_reply_config", {}).setdefault("mappers", []).append(mapper)
