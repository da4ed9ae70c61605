"""simulate and the real Envoy agree: outcome and backend for requests across examples, samples and a
feature design (weighted splits: the backend is one of the weighted ones).

One Envoy per gateway, many requests each. Requests come from each gateway's plan (one that fits
every route, plus a wrong path, an unknown host, a wrong SNI, a missing port) and from a hand-written
list for the feature design.
"""

from __future__ import annotations

import pathlib
from dataclasses import replace

import pytest
from envoy_support import ENVOY, trial_options
from envoy_trial import agreement, gateway_trial

from conftest import example_files, sample_files
from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.cli.common import open_design
from meshdesigner.compile.plan import PASSTHROUGH, TLS_TERMINATED
from meshdesigner.export.envoy import build_plan
from meshdesigner.io.importer import import_manifests

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]
FEATURES = pathlib.Path(__file__).parent / "data" / "features.yaml"
MIN_REQUESTS = 60


def concrete(host: str) -> str:
    if host == "*":
        return "anything.example.org"
    if host.startswith("*"):
        return "probe" + host[1:]
    return host


def _value(matcher: dict | None) -> str | None:
    if matcher is None:
        return "1"
    if "exact" in matcher:
        return matcher["exact"]
    if "prefix" in matcher:
        return matcher["prefix"] + "x"
    return None  # a regex: no generic example value


def request_for_route(scheme: str, host: str, port: int, sni: str | None, compiled_match: dict) -> Request | None:
    """A request that satisfies an Envoy RouteMatch (None when a regex makes that hard)."""
    if "path" in compiled_match:
        path = compiled_match["path"]
    elif "prefix" in compiled_match:
        prefix = compiled_match["prefix"]
        path = prefix + ("probe" if prefix.endswith("/") else "/probe")
    else:
        return None
    headers, method = {}, "GET"
    authority = f"{host}:{port}" if port not in (80, 443) else host
    for header in compiled_match.get("headers", ()):
        if header.get("invert_match"):
            continue
        value = _value(header.get("string_match"))
        if value is None:
            return None
        if header["name"] == ":method":
            method = value
        elif header["name"] == ":authority":
            authority = value
        elif header["name"] == ":scheme":
            continue
        else:
            headers[header["name"]] = value
    query = []
    for param in compiled_match.get("query_parameters", ()):
        value = _value(param.get("string_match"))
        if value is None:
            return None
        query.append(f"{param['name']}={value}")
    headers["Host"] = authority
    url = f"{scheme}://{host}:{port}{path}" + (f"?{'&'.join(query)}" if query else "")
    return Request(url, method, headers, sni)


def generated_requests(plan) -> list[Request]:
    out: list[Request] = []
    for listener in plan.listeners:
        port = listener.port
        for chain in listener.chains:
            sni = concrete(chain.server_names[0]) if chain.server_names else None
            if chain.route_config is None:
                scheme = "tls" if chain.server_class in (PASSTHROUGH, TLS_TERMINATED) else "tcp"
                out.append(Request(f"{scheme}://{sni or 'tcp.example.org'}:{port}", sni=sni))
                continue
            scheme = "https" if chain.terminates_tls else "http"
            for vhost in chain.route_config.virtual_hosts:
                host = concrete(vhost.domains[0])
                for route in vhost.routes:
                    request = request_for_route(scheme, host, port, sni or host, route.envoy_match)
                    if request is not None:
                        out.append(request)
                out.append(Request(f"{scheme}://{host}:{port}/no/such/path-xyz", sni=sni or host))
            out.append(Request(f"{scheme}://unknown.example.invalid:{port}/", sni=sni))
        if listener.is_tls:
            scheme = "https" if any(c.route_config for c in listener.chains) else "tls"
            out.append(Request(f"{scheme}://wrong-sni.example.invalid:{port}/"))
    out.append(Request("http://nothing-listens.example.org:1/"))
    return out


FEATURE_REQUESTS = [
    Request("http://shop.example.com/api/orders", headers={"end-user": "jason"}),
    Request("http://shop.example.com/api/orders", "POST", headers={"end-user": "jason"}),
    Request("http://shop.example.com/api/orders"),
    Request("http://shop.example.com/items/42?v=2"),
    Request("http://shop.example.com/items/42?v=3"),
    Request("http://shop.example.com/items/abc?v=2"),
    Request("http://shop.example.com/caseinsensitive"),
    Request("http://shop.example.com/CASEINSENSITIVE/no"),
    Request("http://shop.example.com/web/x", headers={"x-beta": "yes-please"}),
    Request("http://shop.example.com/web/x", headers={"x-beta": "no"}),
    Request("http://shop.example.com/public/a"),
    Request("http://shop.example.com/public/a", headers={"x-internal": "1"}),
    Request("http://shop.example.com/versioned", headers={"x-version": "v12"}),
    Request("http://shop.example.com/versioned", headers={"x-version": "v12-beta"}),
    Request("http://shop.example.com/search?q="),
    Request("http://shop.example.com/search?other=1"),
    Request("http://shop.example.com/only-8080"),
    Request("http://shop.example.com/old"),
    Request("http://shop.example.com/old?keep=1"),
    Request("http://shop.example.com/moved/a/b"),
    Request("http://shop.example.com:80/moved/a/b?x=1"),
    Request("http://shop.example.com:80/old"),
    Request("http://shop.example.com/healthz"),
    Request("http://shop.example.com/teapot"),
    Request("http://shop.example.com/broken"),
    Request("http://shop.example.com/cors", headers={"Origin": "https://a.example.com"}),
    Request("http://shop.example.com/scheme"),
    Request("https://shop.example.com/scheme"),
    Request("http://shop.example.com/authority"),
    Request("http://shop.example.com:80/authority"),
    Request("http://shop.example.com/authority", headers={"Host": "SHOP.example.com"}),
    Request("http://shop.example.com/anything", "POST"),
    Request("http://shop.example.com/anything", "DELETE"),
    Request("http://a.wild.example.com/"),
    Request("http://b.wild.example.com/"),
    Request("http://deep.a.wild.example.com/"),
    Request("http://wild.example.com/"),
    Request("http://secure.example.com:8080/login?next=/x"),
    Request("http://shop.example.com:8080/"),
    Request("https://shop.example.com/api/x"),
    Request("https://secure.example.com/"),
    Request("https://shop.example.com/", headers={"Host": "secure.example.com"}),
    Request("https://other.example.com/"),
    Request("https://shop.example.com/", sni=""),
    Request("http://shop.example.com:443/"),
    Request("tls://db.example.com:9443"),
    Request("tls://cache.example.com:9443"),
    Request("tls://nope.example.com:9443"),
    Request("tcp://anything:9000"),
    Request("tcp://anything:9000"),
    Request("https://shop.example.com:9000/"),
]


def _cases():
    for path in example_files() + sample_files():
        project, _ = open_design(str(path))
        for gateway in sorted(project.gateways(), key=lambda g: g.id):
            yield path.name, project, gateway, generated_requests(build_plan(project, gateway))
    project = import_manifests([str(FEATURES)]).project
    for gateway in project.gateways():
        plan_requests = generated_requests(build_plan(project, gateway))
        yield FEATURES.name, project, gateway, plan_requests + FEATURE_REQUESTS


def test_simulate_agrees_with_envoy(tmp_path):
    total, disagreements, outcomes = 0, [], set()
    for n, (name, project, gateway, requests) in enumerate(_cases()):
        workdir = tmp_path / f"g{n}"
        workdir.mkdir()
        with gateway_trial(project, gateway, str(workdir)) as trial:
            for request in requests:
                # the trial's client presents its certificate (signed by the CA the trial writes for the
                # gateway's credentials): tell the simulator so, and where those credentials are
                where = trial_options(str(workdir))
                told = replace(request, client_cert=trial.client_cert[0], client_key=trial.client_cert[1],
                               files_root=where.files_root, credentials_dir=where.credentials_dir)
                result = simulate(project, gateway, told)
                observed = trial.send(request)
                total += 1
                outcomes.add(result.outcome)
                problem = agreement(result, observed)
                if problem:
                    disagreements.append(f"{name} {gateway.gateway.metadata.qualified} {request}: {problem}")
    assert not disagreements, f"{len(disagreements)} of {total} disagree:\n" + "\n".join(disagreements)
    assert total >= MIN_REQUESTS
    # The comparison covered every kind of answer, not just the easy one.
    assert {"routed", "redirect", "direct_response", "no_listener", "tls_no_match", "no_virtual_host",
            "no_route"} <= outcomes
