"""One gateway of a design in a real Envoy on loopback, with name-answering backends, and a client
that sends a :class:`~meshdesigner.analysis.simulate.Request` the way a real client would."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from envoy_support import Backends, Credentials, free_port, running_envoy, trial_options, validate

from meshdesigner.analysis.simulate import Request
from meshdesigner.compile.plan import PASSTHROUGH, server_hosts
from meshdesigner.export.envoy import Address, bootstrap_from_plan, build_plan
from meshdesigner.io.yamlio import dump

IO_TIMEOUT = 5.0


@dataclass
class Observation:
    """What the client saw: ``backend`` (a backend answered), ``envoy`` (Envoy answered itself),
    ``refused`` (nothing listens), ``tls_failed`` (handshake failed), ``closed`` (connection dropped)."""

    kind: str
    status: int | None = None
    backend: str | None = None
    body: str = ""
    location: str | None = None
    headers: dict | None = None


def _cluster_kinds(plan) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for listener in plan.listeners:
        for chain in listener.chains:
            if chain.tcp_route is not None:
                kind = "tls-tcp" if chain.server_class == PASSTHROUGH else "tcp"
                for d in chain.tcp_route.destinations:
                    kinds[d.cluster] = kind
    for name in plan.clusters:
        kinds.setdefault(name, "http")
    return kinds


class Trial:
    def __init__(self, project, gateway, tmp: str) -> None:
        self.project = project
        self.gateway = gateway
        self.tmp = tmp
        self.plan = build_plan(project, gateway)
        hosts = [h for lst in self.plan.listeners for c in lst.chains for s in c.servers
                 for h in server_hosts(s.server)]
        hosts += [c.host for c in self.plan.clusters.values()]
        self.credentials = Credentials(hosts + ["localhost"])
        self.backends = Backends(self.credentials, tmp)
        self.client_cert = self.credentials.write_client(os.path.join(tmp, "client"))
        self.port_map = {lst.port: free_port() for lst in self.plan.listeners}
        self.admin_port = free_port()
        self.closed_port = free_port()   # nothing listens here: a port the gateway lacks

    def start_backends(self) -> dict[str, Address]:
        probe = bootstrap_from_plan(self.project, self.plan, trial_options(self.tmp))
        upstream_tls = {c["name"] for c in probe["static_resources"]["clusters"] if "transport_socket" in c}
        endpoints = {}
        for name, kind in sorted(_cluster_kinds(self.plan).items()):
            tls = kind == "tls-tcp" or name in upstream_tls
            port = self.backends.start(name, "http" if kind == "http" else "tcp", tls=tls)
            endpoints[name] = Address("127.0.0.1", port)
        return endpoints

    def write_config(self, endpoints) -> tuple[str, dict]:
        options = trial_options(self.tmp, endpoints=endpoints, listen_address="127.0.0.1",
                                port_map=self.port_map, admin_port=self.admin_port)
        bootstrap = bootstrap_from_plan(self.project, self.plan, options)
        for listener in bootstrap["static_resources"]["listeners"]:
            # Envoy's default SO_REUSEPORT lets a second Envoy (another test run on this machine that got
            # the same free_port()) listen on our port and silently answer part of our requests.
            # Without it a port clash fails Envoy's start loudly instead.
            listener["enable_reuse_port"] = False
        self.credentials.write_for(bootstrap, self.tmp)
        path = os.path.join(self.tmp, "envoy.yaml")
        with open(path, "w") as fh:
            fh.write(dump(bootstrap))
        return path, bootstrap

    def counters(self, contains: str) -> dict[str, int]:
        """This trial's Envoy counters whose name contains ``contains`` (from its admin /stats)."""
        url = f"http://127.0.0.1:{self.admin_port}/stats?usedonly&filter={urllib.request.quote(contains)}"
        with urllib.request.urlopen(url, timeout=IO_TIMEOUT) as resp:
            lines = resp.read().decode().splitlines()
        out = {}
        for line in lines:
            name, _, value = line.rpartition(": ")
            if value.isdigit():
                out[name] = int(value)
        return out

    # ----- the client --------------------------------------------------------------------------
    def _tls_context(self, verify: bool) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.client_cert[2])
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(self.client_cert[0], self.client_cert[1])
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def send(self, request: Request, verify: bool = False) -> Observation:
        parts = urlsplit(request.url)
        scheme = parts.scheme
        default = {"http": 80, "https": 443, "tls": 443}.get(scheme)
        port = parts.port or default
        local = self.port_map.get(port, self.closed_port)
        sni = request.sni if request.sni is not None else parts.hostname
        try:
            sock = socket.create_connection(("127.0.0.1", local), timeout=IO_TIMEOUT)
        except ConnectionRefusedError:
            return Observation("refused")
        try:
            if scheme in ("https", "tls"):
                try:
                    sock = self._tls_context(verify).wrap_socket(sock, server_hostname=sni or None)
                except (ssl.SSLError, ConnectionError, OSError) as exc:
                    return Observation("tls_failed", body=str(exc))
            if scheme in ("tcp", "tls"):
                return self._read_name(sock)
            return self._http(sock, request, parts)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    @staticmethod
    def _read_name(sock) -> Observation:
        data = b""
        try:
            while len(data) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
                if b"\n" in data:
                    break
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
            pass
        if not data:
            return Observation("closed")
        return Observation("backend", backend=data.decode().strip())

    @staticmethod
    def _http(sock, request: Request, parts) -> Observation:
        conn = http.client.HTTPConnection("127.0.0.1", timeout=IO_TIMEOUT)
        conn.sock = sock
        headers = dict(request.headers)
        if not any(k.lower() == "host" for k in headers):
            headers["Host"] = parts.netloc
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(request.method, target, headers=headers)
            resp = conn.getresponse()
            body = resp.read().decode(errors="replace")
        except (http.client.HTTPException, ConnectionError, ssl.SSLError, TimeoutError, OSError):
            return Observation("closed")
        got = {k.lower(): v for k, v in resp.getheaders()}
        if "x-backend" in got:
            return Observation("backend", resp.status, got["x-backend"], body, headers=got)
        return Observation("envoy", resp.status, None, body, got.get("location"), headers=got)


@contextlib.contextmanager
def gateway_trial(project, gateway, tmp: str):
    """Backends, Envoy (validated first), and a :class:`Trial` to send requests; everything stopped after."""
    trial = Trial(project, gateway, tmp)
    try:
        endpoints = trial.start_backends()
        path, _ = trial.write_config(endpoints)
        checked = validate(path, tmp)
        assert checked.returncode == 0, checked.stderr[-3000:]
        if not trial.plan.listeners:
            yield trial
            return
        with running_envoy(path, trial.admin_port, tmp, os.path.join(tmp, "envoy.log")):
            yield trial
    finally:
        trial.backends.close()


def agreement(result, observed: Observation) -> str | None:
    """None when the simulator's answer and Envoy's behaviour agree; otherwise what differs."""
    outcome = result.outcome
    if outcome == "no_listener":
        ok = observed.kind == "refused"
    elif outcome == "tls_no_match":
        ok = observed.kind in ("tls_failed", "closed")
    elif outcome == "routed" and result.status is None:
        clusters = {d["cluster"] for d in result.destinations}
        ok = observed.kind == "backend" and observed.backend in clusters
    else:
        ok = observed.kind == "envoy" and observed.status == result.status
        if ok and outcome == "redirect":
            ok = observed.location == result.redirect["location"]
        if ok and outcome == "direct_response":
            ok = observed.body == result.direct_response.get("body", {}).get("inline_string", observed.body)
    if ok:
        return None
    return (f"simulate said {outcome} status={result.status} to {[d['cluster'] for d in result.destinations]} "
            f"redirect={result.redirect and result.redirect['location']}; Envoy gave {observed}")
