"""Requests with answers written by hand from Istio's semantics, asked of real Envoy and of ``simulate``.

Independent of MeshDesigner's plan on purpose: a design is plain Istio YAML; the expected answer of
each request is written in the test with a one-line reason, from Istio's documentation and istiod's
source; Envoy is run on what ``meshdesigner export --envoy`` (the command, as users run it) writes,
and ``simulate`` is asked through its public function. Nothing here reads the exporter's plan.

How a design runs (:class:`DesignRun`):

1. The manifests go to a folder, with a test CA and the credentials (``DIR/<credentialName>/tls.crt``,
   ``tls.key``, ``ca.crt``) the design names.
2. ``export --envoy`` once to learn the clusters' names, then one echo backend per cluster (plain
   HTTP, or TLS with a certificate for the names the design says), then ``export --envoy`` again with
   ``--endpoints`` (cluster name -> backend), ``--port-map`` (every gateway port -> a free local port),
   ``--listen-address 127.0.0.1``, a free ``--admin-port`` and ``--credentials``.
3. Each distinct Envoy config is started once (one at a time, bounded), every request of that
   gateway is sent, Envoy is stopped. The observed answers are kept for the tests to compare.

Backends answer JSON: their name (the cluster), the path, the Host and the headers they saw. A
backend whose service name starts with ``slow`` answers after 1.5 s; one starting with ``flaky``
answers 503 to the first request of each ``x-test-id`` and 200 afterwards.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import itertools
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import yaml

from meshdesigner.live import envoy_process
from meshdesigner.tls import generate as certs

ENVOY = shutil.which("envoy")
SLOW_BACKEND_SECONDS = 1.5
TLS_FAIL = "tls-fail"          # the TLS handshake (or the first read after it) failed
REFUSED = "refused"            # no listener: connection refused


free_port = envoy_process.free_port


def cluster(host: str, port: int, subset: str = "") -> str:
    """Istio's cluster name, written out: ``outbound|<port>|<subset>|<fqdn>``."""
    return f"outbound|{port}|{subset}|{host}"


# ----- what is asked and what is expected ------------------------------------------------------
@dataclass(frozen=True)
class Req:
    host: str
    path: str = "/"
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    scheme: str = "http"                  # http | https
    port: int = 80                        # the gateway port
    sni: str | None = None                # https: defaults to host
    client_cert: str | None = None        # "good" (the test CA) | "other-ca"
    tls_max: str | None = None            # "1.2": the client offers at most TLS 1.2
    repeat: int = 1                       # > 1 for weighted splits

    def url(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.path}"


@dataclass(frozen=True)
class Want:
    """Istio's answer, written by hand. ``why`` says which rule of Istio gives it."""

    status: int | str
    why: str
    backend: str | None = None            # the cluster whose backend answers
    split: Mapping[str, tuple[int, int]] | None = None   # cluster -> (min, max) count of `repeat` requests
    path: str | None = None               # the path the backend sees
    authority: str | None = None          # the Host the backend sees
    seen: Mapping[str, str | None] = field(default_factory=dict)      # request headers at the backend
    location: str | None = None
    response: Mapping[str, str | None] = field(default_factory=dict)  # response headers at the client
    timeout: str | None = None            # the route timeout in force (simulate); Envoy answers 504
    min_seconds: float | None = None      # Envoy answers no sooner (a delay fault)
    max_seconds: float | None = None      # Envoy answers no later (a timeout)
    mirrored_to: str | None = None        # this cluster's backend also receives a copy
    backend_fails: bool = False           # the backend itself answers ``status`` (simulate: routed there)
    retries_503: bool | None = None       # simulate: does the retry policy in force retry a 503?
    hash_header: str | None = None        # consistent hashing on this header: every repeat on one endpoint
    spread: bool = False                  # no hashing: repeats reach both endpoints of a 2-endpoint cluster


@dataclass(frozen=True)
class Case:
    gateway: str                          # NAMESPACE/NAME
    req: Req
    want: Want

    @property
    def id(self) -> str:
        extra = "".join(f"[{k}={v}]" for k, v in sorted(self.req.headers.items()))
        extra += f"[cert={self.req.client_cert}]" if self.req.client_cert else ""
        extra += f"[tls<={self.req.tls_max}]" if self.req.tls_max else ""
        extra += f"[sni={self.req.sni}]" if self.req.sni else ""
        return f"{self.gateway}:{self.req.method}:{self.req.url()}{extra}:{self.want.status}"


@dataclass
class Seen:
    """What a client observed through Envoy."""

    status: int | str
    backend: str | None = None
    path: str | None = None
    authority: str | None = None
    headers: dict = field(default_factory=dict)       # at the backend (lower-case)
    response: dict = field(default_factory=dict)      # at the client (lower-case)
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)        # backend -> count, for repeats


# ----- backends ------------------------------------------------------------------------------------
class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    name = "?"
    log: list
    flaky_seen: set

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        service = self.name.rsplit("|", 1)[-1]
        # the path as sent: http.server collapses a leading "//" in self.path (a CPython safeguard)
        raw_path = self.requestline.split(" ")[1] if self.requestline.count(" ") >= 2 else self.path
        self.log.append({"path": raw_path, "host": self.headers.get("host", "")})
        status = 200
        if service.startswith("slow"):
            time.sleep(SLOW_BACKEND_SECONDS)
        if service.startswith("flaky"):
            test_id = self.headers.get("x-test-id", "")
            if test_id not in self.flaky_seen:
                self.flaky_seen.add(test_id)
                status = 503
        body = json.dumps({"backend": self.name, "path": raw_path, "host": self.headers.get("host", ""),
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-backend-extra", "1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

    def log_message(self, *_args) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Backends:
    """One echo server per cluster; TLS where the design says the service speaks TLS."""

    def __init__(self) -> None:
        self.servers: dict[str, _Server] = {}
        self.logs: dict[str, list] = {}

    def start(self, name: str, tls: ssl.SSLContext | None = None) -> int:
        log: list = []
        handler = type("Echo", (_Echo,), {"name": name, "log": log, "flaky_seen": set()})
        server = _Server(("127.0.0.1", 0), handler)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.servers[name], self.logs[name] = server, log
        return server.server_address[1]

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


# ----- Envoy ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def running_envoy(config: str, admin_port: int, log_path: str, cwd: str | None = None):
    argv = [ENVOY, "-c", config, "--disable-hot-restart", "-l", "warning", "--base-id", str(admin_port)]
    with envoy_process.running(argv, log_path, f"http://127.0.0.1:{admin_port}/ready", cwd,
                               ready_timeout=20) as proc:
        yield proc


# ----- the client ----------------------------------------------------------------------------------
class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:port with a chosen SNI name (and certificate check against it)."""

    def __init__(self, port: int, sni: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._sni = sni

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)


def send(req: Req, local_port: int, pki: Pki, test_id: str, timeout: float = 5.0) -> Seen:
    headers = {"Host": req.host, "x-test-id": test_id, **req.headers}
    if req.scheme == "https":
        ctx = ssl.create_default_context(cafile=pki.ca_file)
        if req.client_cert:
            ctx.load_cert_chain(*pki.client_files[req.client_cert])
        if req.tls_max == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        conn: http.client.HTTPConnection = _SniConnection(local_port, req.sni or req.host, ctx, timeout)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", local_port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request(req.method, req.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    except ConnectionRefusedError:
        return Seen(REFUSED)
    except (ssl.SSLError, ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        if req.scheme == "https":
            return Seen(TLS_FAIL)
        raise
    finally:
        conn.close()
    seen = Seen(resp.status, seconds=time.monotonic() - start,
                response={k.lower(): v for k, v in resp.getheaders()})
    with contextlib.suppress(ValueError):
        echo = json.loads(body)
        if isinstance(echo, dict) and "backend" in echo:
            seen.backend, seen.path, seen.authority = echo["backend"], echo["path"], echo["host"]
            seen.headers = echo["headers"]
    return seen


# ----- certificates -------------------------------------------------------------------------------
class Pki:
    """A test CA; credentials for the design's credentialNames; client certificates; backend contexts."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.ca = certs.create_ca("istio-cases CA", 2, key_type="ec")
        self.other_ca = certs.create_ca("some other CA", 2, key_type="ec")
        os.makedirs(folder, exist_ok=True)
        self.ca_file = os.path.join(folder, "ca.crt")
        with open(self.ca_file, "wb") as fh:
            fh.write(self.ca.cert_pem)
        self.client_files = {
            "good": certs.write_pair(certs.create_client_cert(self.ca, "client", 2, key_type="ec"),
                                     os.path.join(folder, "client-good"), "client"),
            "other-ca": certs.write_pair(certs.create_client_cert(self.other_ca, "client", 2, key_type="ec"),
                                         os.path.join(folder, "client-other"), "client"),
        }

    def credential(self, credentials_dir: str, name: str, hosts: Iterable[str]) -> None:
        """``DIR/<name>/tls.crt, tls.key, ca.crt`` as Istio's credentialName Secret holds them."""
        pair = certs.create_server_cert(self.ca, list(hosts), 2, key_type="ec")
        target = os.path.join(credentials_dir, name)
        certs.write_pair(pair, target, "tls")
        with open(os.path.join(target, "ca.crt"), "wb") as fh:
            fh.write(self.ca.cert_pem)

    def server_context(self, hosts: Iterable[str]) -> ssl.SSLContext:
        cert, key = self.backend_files(hosts)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        return ctx

    def backend_files(self, hosts: Iterable[str]) -> tuple[str, str]:
        """The certificate and key a TLS backend for ``hosts`` presents (made once, then reused)."""
        folder = os.path.join(self.folder, "backend-" + "-".join(hosts))
        cert = os.path.join(folder, "tls.crt")
        if not os.path.exists(cert):
            pair = certs.create_server_cert(self.ca, list(hosts), 2, key_type="ec")
            certs.write_pair(pair, folder, "tls")
        return cert, os.path.join(folder, "tls.key")


# ----- one design, exported and served -------------------------------------------------------------
@dataclass
class Design:
    name: str
    manifests: str
    ports: tuple[int, ...]                               # every gateway port used
    credentials: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # credentialName -> hosts
    tls_services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # service fqdn -> cert hosts
    ca_files: tuple[str, ...] = ()          # absolute paths the design names that hold the test CA
    force: bool = False                     # export despite error-level findings (a design Istio rejects)
    two_endpoints: tuple[str, ...] = ()     # clusters given a second backend ("<cluster>#2") after export


def _cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "meshdesigner", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


class DesignRun:
    """Export a design with the CLI and serve it from real Envoy; remember what every request got."""

    def __init__(self, design: Design, folder: str) -> None:
        self.design, self.folder = design, folder
        self.pki = Pki(os.path.join(folder, "pki"))
        self.backends = Backends()
        self.manifest_file = os.path.join(folder, f"{design.name}.yaml")
        with open(self.manifest_file, "w") as fh:
            fh.write(design.manifests)
        self.credentials_dir = os.path.join(folder, "credentials")
        for name, hosts in design.credentials.items():
            self.pki.credential(self.credentials_dir, name, hosts)
        self.files_root = os.path.join(folder, "files-root")
        for path in design.ca_files:
            target = self.files_root + path
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(self.pki.ca_file, target)
        self.port_map = {port: free_port() for port in design.ports}
        self.admin_port = free_port()
        self.out = os.path.join(folder, "out")

    def export(self) -> None:
        probe = os.path.join(self.folder, "probe")
        force = ("--force",) if self.design.force else ()
        done = _cli("export", self.manifest_file, "-o", probe, "--envoy", *force, cwd=self.folder)
        if done.returncode != 0:
            raise AssertionError(f"export --envoy failed ({done.returncode}): {done.stderr}")
        endpoints: dict[str, str] = {}
        for config in self._configs(probe).values():
            for c in config.get("static_resources", {}).get("clusters", []):
                name = c["name"]
                if name in endpoints or not name.startswith("outbound|"):
                    continue
                fqdn = name.rsplit("|", 1)[-1]
                tls = self.design.tls_services.get(fqdn)
                port = self.backends.start(name, self.pki.server_context(tls) if tls else None)
                endpoints[name] = f"127.0.0.1:{port}"
        endpoints_file = os.path.join(self.folder, "endpoints.yaml")
        with open(endpoints_file, "w") as fh:
            yaml.safe_dump(endpoints, fh)
        port_map = ",".join(f"{k}:{v}" for k, v in sorted(self.port_map.items()))
        done = _cli("export", self.manifest_file, "-o", self.out, "--envoy", *force, "--endpoints", endpoints_file,
                    "--port-map", port_map, "--listen-address", "127.0.0.1", "--admin-port",
                    str(self.admin_port), "--credentials", self.credentials_dir, "--files-root", self.files_root,
                    cwd=self.folder)
        if done.returncode != 0:
            raise AssertionError(f"export --envoy failed ({done.returncode}): {done.stderr}")
        if self.design.two_endpoints:
            self._add_second_endpoints()

    def _add_second_endpoints(self) -> None:
        """A second endpoint for some clusters, so a load balancer's choice can be seen (only the endpoint
        list is touched: the load-balancing policy stays as exported)."""
        folder = os.path.join(self.out, "envoy")
        for name, config in self._configs(self.out).items():
            for c in config.get("static_resources", {}).get("clusters", []):
                if c["name"] in self.design.two_endpoints:
                    port = self.backends.start(c["name"] + "#2")
                    c["load_assignment"]["endpoints"][0]["lb_endpoints"].append(
                        {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}})
            path = os.path.join(folder, name)
            with open(path) as fh:   # the header says which Gateways the config serves: keep it
                header = "".join(itertools.takewhile(lambda line: line.startswith("#"), fh))
            with open(path, "w") as fh:
                fh.write(header)
                yaml.safe_dump(config, fh)

    @staticmethod
    def _configs(out: str) -> dict[str, dict]:
        folder = os.path.join(out, "envoy")
        configs = {}
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml"):
                with open(os.path.join(folder, name)) as fh:
                    configs[name] = yaml.safe_load(fh)
        return configs

    def config_file(self, gateway: str) -> str:
        """The exported file of the Envoy that serves ``namespace/name``: one file per gateway workload, whose
        header lists the Gateways it serves; the Gateway's own workload is the one serving the fewest."""
        folder = os.path.join(self.out, "envoy")
        serving = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as fh:
                header = itertools.takewhile(lambda line: line.startswith("#"), fh)
                served = [line[4:].rstrip("\n") for line in header if line.startswith("#   ")]
            if gateway in served:
                serving.append((len(served), name))
        assert serving, f"no exported Envoy config serves {gateway}"
        return os.path.join(folder, min(serving)[1])

    def serve(self, cases: list[Case]) -> dict[str, Seen]:
        """Every case's request through Envoy; Envoy is started once per distinct config."""
        by_config: dict[bytes, list[Case]] = {}
        files: dict[bytes, str] = {}
        for case in cases:
            path = self.config_file(case.gateway)
            with open(path, "rb") as fh:
                content = fh.read()
            by_config.setdefault(content, []).append(case)
            files[content] = path
        seen: dict[str, Seen] = {}
        for content, group in by_config.items():
            log = os.path.join(self.folder, f"envoy-{len(seen)}.log")
            with running_envoy(files[content], self.admin_port, log):
                for case in group:
                    seen[case.id] = self._ask(case)
        return seen

    def _ask(self, case: Case) -> Seen:
        req, local = case.req, self.port_map[case.req.port]
        if req.repeat == 1:
            seen = send(req, local, self.pki, case.id)
            if case.want.mirrored_to:
                deadline = time.monotonic() + 2
                while not self.backends.logs.get(case.want.mirrored_to) and time.monotonic() < deadline:
                    time.sleep(0.05)
                seen.counts = {name: len(log) for name, log in self.backends.logs.items() if log}
            return seen
        counts: dict[str, int] = {}
        first = None
        for i in range(req.repeat):
            one = send(req, local, self.pki, f"{case.id}#{i}")
            first = first or one
            key = one.backend or str(one.status)
            counts[key] = counts.get(key, 0) + 1
        first.counts = counts
        return first

    def close(self) -> None:
        self.backends.close()


# ----- simulate -----------------------------------------------------------------------------------
def simulated(project, case: Case, run: DesignRun) -> Seen:
    """What ``simulate`` says the client gets, in the same terms as :class:`Seen`.

    simulate is told what it cannot see: the client's certificate and TLS version, the certificates TLS
    backends present, and where the design's certificate files and credentials are.
    """
    from meshdesigner.analysis import simulate as sim

    req, pki = case.req, run.pki
    kwargs: dict = {"files_root": run.files_root, "credentials_dir": run.credentials_dir,
                    "upstream_certificates": {fqdn: pki.backend_files(hosts)[0]
                                              for fqdn, hosts in run.design.tls_services.items()}}
    if req.client_cert:
        kwargs["client_cert"], kwargs["client_key"] = pki.client_files[req.client_cert]
    if req.tls_max:
        kwargs["tls_version"] = "TLSv" + req.tls_max
    result = sim.simulate(project, case.gateway,
                          sim.Request(req.url(), req.method, dict(req.headers), req.sni, None, **kwargs))
    outcome = result.outcome
    if outcome in ("tls_no_match", "tls_refused"):
        return Seen(TLS_FAIL)
    if outcome == "no_listener":
        return Seen(REFUSED)
    upstream = getattr(result, "upstream", None) or {}
    response: dict = {}
    raw = getattr(result, "response_headers", None) or {}
    if "set" in raw or "add" in raw or "remove" in raw:
        response.update({k.lower(): v for k, v in (raw.get("set") or {}).items()})
        response.update({k.lower(): v for k, v in (raw.get("add") or {}).items()})
        response.update({k.lower(): None for k in (raw.get("remove") or [])})
    else:
        response.update({k.lower(): v for k, v in raw.items()})
    if result.redirect and result.redirect.get("location"):
        response["location"] = result.redirect["location"]
    status = result.status or (200 if outcome == "routed" else outcome)
    dests = result.destinations or []
    backend = dests[0]["cluster"] if len(dests) == 1 and status == 200 else None
    seen = Seen(status, backend, upstream.get("path"), upstream.get("authority"),
                {k.lower(): v for k, v in (upstream.get("headers") or {}).items()}, response)
    seen.counts = {d["cluster"]: d["weight"] for d in dests}
    seen.timeout = result.timeout  # type: ignore[attr-defined]
    seen.retries = result.retries  # type: ignore[attr-defined]
    balancer = (dests[0].get("load_balancer") or {}) if dests else {}
    seen.hash_header = (balancer.get("consistent_hash") or {}).get("http_header_name")  # type: ignore[attr-defined]
    seen.mirrors = [m.get("cluster") for m in (result.mirrors or [])]  # type: ignore[attr-defined]
    return seen


def retries_503(policy) -> bool:
    """Whether a retry policy as simulate reports it (``{"retry_on": ..., "attempts"/"num_retries": n,
    "retriable_status_codes": [...]}``) retries a 503 answer."""
    if not policy:
        return False
    attempts = policy.get("attempts", policy.get("num_retries", 0))
    on = {part.strip() for part in str(policy.get("retry_on") or policy.get("retryOn") or "").split(",")}
    codes = set(policy.get("retriable_status_codes") or [])
    if not attempts:
        return False
    return bool(on & {"5xx", "gateway-error", "503"}) or ("retriable-status-codes" in on and 503 in codes)


# ----- comparing -----------------------------------------------------------------------------------
def differences(want: Want, seen: Seen, via: str) -> list[str]:
    """What differs between Istio's answer and what ``via`` ("envoy" | "simulate") gave."""
    out: list[str] = []
    if want.timeout and via == "envoy":
        if seen.status != 504:
            out.append(f"status {seen.status}, want 504 (route timeout {want.timeout})")
        if want.max_seconds and seen.seconds > want.max_seconds:
            out.append(f"answered after {seen.seconds:.2f} s, want at most {want.max_seconds} s")
        return out
    if want.timeout and via == "simulate":
        if getattr(seen, "timeout", None) != want.timeout:
            out.append(f"timeout {getattr(seen, 'timeout', None)!r}, want {want.timeout!r}")
        return out
    if want.retries_503 is not None and via == "simulate":
        policy = getattr(seen, "retries", None)
        if retries_503(policy) != want.retries_503:
            out.append(f"retry policy {policy!r}: retries a 503 = {retries_503(policy)}, want {want.retries_503}")
    if want.backend_fails and via == "simulate":
        # simulate cannot know what the backend answers: it must route there (checked below)
        seen = Seen(want.status, seen.backend, seen.path, seen.authority, seen.headers, seen.response)
    if seen.status != want.status:
        out.append(f"status {seen.status!r}, want {want.status!r}")
    if want.hash_header or want.spread:
        if seen.status != want.status:
            out.append(f"status {seen.status!r}, want {want.status!r}")
        if via == "envoy":
            endpoints = sorted(seen.counts)
            if want.hash_header and len(endpoints) != 1:
                out.append(f"consistent hash on {want.hash_header}: requests spread over {seen.counts}")
            if want.spread and len(endpoints) < 2:
                out.append(f"without hashing both endpoints should answer: {seen.counts}")
        else:
            got = getattr(seen, "hash_header", None)
            if got != want.hash_header:
                out.append(f"simulate reports hashing on {got!r}, want {want.hash_header!r}")
        return out
    if want.split is not None:
        for name, (low, high) in want.split.items():
            got = seen.counts.get(name, 0)
            if via == "envoy" and not low <= got <= high:
                out.append(f"{name} answered {got} times, want {low}..{high}")
            if via == "simulate" and got <= 0:
                out.append(f"{name} is not among the weighted destinations {seen.counts}")
        extra = set(seen.counts) - set(want.split)
        if extra:
            out.append(f"unexpected destinations {sorted(extra)}")
        return out
    if want.backend is not None and seen.backend != want.backend:
        out.append(f"backend {seen.backend!r}, want {want.backend!r}")
    if want.path is not None and seen.path != want.path:
        out.append(f"backend saw path {seen.path!r}, want {want.path!r}")
    if want.authority is not None and seen.authority != want.authority:
        out.append(f"backend saw authority {seen.authority!r}, want {want.authority!r}")
    for name, value in want.seen.items():
        if seen.headers.get(name) != value:
            out.append(f"backend saw {name}: {seen.headers.get(name)!r}, want {value!r}")
    expected_response = dict(want.response)
    if want.location is not None:
        expected_response["location"] = want.location
    for name, value in expected_response.items():
        if seen.response.get(name) != value:
            out.append(f"response header {name}: {seen.response.get(name)!r}, want {value!r}")
    if via == "envoy" and want.min_seconds and seen.seconds < want.min_seconds:
        out.append(f"answered after {seen.seconds:.2f} s, want at least {want.min_seconds} s")
    if want.mirrored_to:
        if via == "envoy" and not seen.counts.get(want.mirrored_to):
            out.append(f"{want.mirrored_to} received no mirrored copy")
        if via == "simulate" and want.mirrored_to not in getattr(seen, "mirrors", []):
            out.append(f"mirrors {getattr(seen, 'mirrors', [])}, want {want.mirrored_to}")
    return out
