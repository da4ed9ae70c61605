"""Hand-written Istio policies, imported (never drawn), enforced by real Envoy on loopback; the
simulator gives the same answer on every request.

Each scenario imports ``data/gateway.yaml`` (Gateway + VirtualService + Service) with its policy
files, exports the gateway's Envoy config, runs Envoy on free loopback ports with a counting backend
and sends requests from 127.0.0.1 and 127.0.0.2. Expected statuses are written by hand from Istio's
semantics. Bounded: one Envoy per scenario, a few requests each, every process stopped in ``finally``.
"""

from __future__ import annotations

import http.client
import os
import pathlib
import shutil
import time

import pytest
from functions.e2e_support import CountingBackend, SigningKey, free_port, running_envoy, validate

from meshdesigner.analysis.simulate import Request, simulate
from meshdesigner.export.envoy import Address, EnvoyOptions, gateway_bootstrap
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.yamlio import dump

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")]

DATA = pathlib.Path(__file__).parent / "data"
ISSUER = "https://issuer.example.com"
OTHER = "127.0.0.2"


def _project(tmp_path, *files: str, extra_yaml: str = "", trusted_proxies: int = 0):
    paths = [str(DATA / "gateway.yaml")] + [str(DATA / f) for f in files]
    if extra_yaml:
        extra = tmp_path / "extra.yaml"
        extra.write_text(extra_yaml)
        paths.append(str(extra))
    project = import_manifests(paths).project
    assert project.extra_resources == []  # every policy became a design policy
    if trusted_proxies:
        project.set_settings(project.settings.model_copy(update={"num_trusted_proxies": trusted_proxies}))
    return project


def _request(port: int, host: str, path: str = "/", source: str = "127.0.0.1",
             headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Trial:
    """The project's gateway in Envoy; ``send`` returns (Envoy's status, the simulator's status)."""

    def __init__(self, project, tmp_path) -> None:
        self.project, self.tmp_path = project, tmp_path
        self.backend = CountingBackend()
        self.port = free_port()

    def __enter__(self):
        self._backend = self.backend.running()
        self._backend.__enter__()
        options = EnvoyOptions(endpoints={"web.default.svc.cluster.local:8080": Address("127.0.0.1", self.backend.port)},
                               listen_address="127.0.0.1", port_map={80: self.port}, admin_port=free_port())
        config = os.path.join(self.tmp_path, "envoy.yaml")
        (gateway,) = self.project.gateways()
        pathlib.Path(config).write_text(dump(gateway_bootstrap(self.project, gateway, options)))
        result = validate(config, cwd=str(self.tmp_path))
        assert result.returncode == 0, result.stdout + result.stderr
        self.log = self.tmp_path / "envoy.log"
        self._envoy = running_envoy(config, options.admin_port, str(self.tmp_path), str(self.log))
        self._envoy.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            self._envoy.__exit__(*exc)
        finally:
            self._backend.__exit__(*exc)

    def send(self, host: str, path: str = "/", source: str = "127.0.0.1", headers: dict | None = None):
        status = _request(self.port, host, path, source, headers)
        simulated = simulate(self.project, "istio-system/edge",
                             Request(f"http://{host}{path}", headers=dict(headers or {}), client_address=source))
        return status, simulated.status or (200 if simulated.outcome == "routed" else simulated.outcome), simulated


def _both(trial: Trial, *args, **kw) -> int:
    envoy, simulated, _ = trial.send(*args, **kw)
    assert envoy == simulated, (args, kw, envoy, simulated)
    return envoy


def test_deny_on_ip_blocks(tmp_path):
    with Trial(_project(tmp_path, "deny-ipblocks.yaml"), tmp_path) as trial:
        assert _both(trial, "open.example.com", source=OTHER) == 403
        assert _both(trial, "open.example.com") == 200
        _, _, result = trial.send("open.example.com", source=OTHER)
        assert result.functions["authorization"]["policy"] == "istio-system/deny-peer"
        assert "spec.rules[0]" in " ".join(result.explanation)


def test_deny_on_remote_ip_blocks_follows_x_forwarded_for(tmp_path):
    """numTrustedProxies 1: the client is the last X-Forwarded-For entry (Envoy's xff_num_trusted_hops)."""
    project = _project(tmp_path, "deny-remoteipblocks.yaml", trusted_proxies=1)
    with Trial(project, tmp_path) as trial:
        assert _both(trial, "open.example.com", headers={"X-Forwarded-For": "203.0.113.7"}) == 403
        assert _both(trial, "open.example.com", headers={"X-Forwarded-For": "198.51.100.7"}) == 200
        # the denied client behind another proxy hop: only the last entry is trusted
        assert _both(trial, "open.example.com", headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.7"}) == 200
        assert _both(trial, "open.example.com", source=OTHER) == 200


def test_deny_on_remote_ip_blocks_without_trusted_proxies_is_the_peer(tmp_path):
    project = _project(tmp_path, extra_yaml=(DATA / "deny-remoteipblocks.yaml").read_text().replace(
        "203.0.113.0/24", "127.0.0.2/32"))
    with Trial(project, tmp_path) as trial:
        assert _both(trial, "open.example.com", source=OTHER) == 403
        assert _both(trial, "open.example.com", source=OTHER, headers={"X-Forwarded-For": "198.51.100.7"}) == 403
        assert _both(trial, "open.example.com") == 200


def test_an_allow_policy_denies_what_it_does_not_allow(tmp_path):
    with Trial(_project(tmp_path, "allow-only-open.yaml"), tmp_path) as trial:
        assert _both(trial, "open.example.com") == 200
        assert _both(trial, "api.example.com") == 403
        assert _both(trial, "claims.example.com", source=OTHER) == 403
    assert trial.backend.hits == {"/": 1}


def test_audit_denies_nothing(tmp_path):
    with Trial(_project(tmp_path, "audit.yaml"), tmp_path) as trial:
        assert _both(trial, "open.example.com") == 200
        assert _both(trial, "api.example.com", source=OTHER) == 200
        _, _, result = trial.send("api.example.com")
        assert result.functions["authorization"]["audited"] == ["ns[istio-system]-policy[audit-everything]-rule[0]"]


JWT_POLICIES = """
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: "{issuer}"
    jwks: '{jwks}'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt-on-api
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
    to:
    - operation:
        hosts: ["api.example.com"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: admins-only-on-claims
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - to:
    - operation:
        hosts: ["claims.example.com"]
    when:
    - key: request.auth.claims[groups]
      notValues: ["admin"]
"""


def test_request_authentication_with_deny_not_request_principals(tmp_path):
    key, forger = SigningKey(), SigningKey()
    policies = JWT_POLICIES.format(issuer=ISSUER, jwks=key.jwks())
    project = _project(tmp_path, "deny-ipblocks.yaml", extra_yaml=policies)

    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    valid = key.token(ISSUER)
    with Trial(project, tmp_path) as trial:
        assert _both(trial, "api.example.com") == 403                                      # no token
        assert _both(trial, "api.example.com", headers=bearer(forger.token(ISSUER))) == 401   # forged signature
        assert _both(trial, "api.example.com", headers=bearer(key.token(ISSUER, expires_in=-600))) == 401  # expired
        assert _both(trial, "api.example.com", headers=bearer(valid)) == 200                # valid
        assert _both(trial, "api.example.com", source=OTHER, headers=bearer(valid)) == 403  # denied address
        assert _both(trial, "open.example.com") == 200                       # the policy is for one host
        assert _both(trial, "open.example.com", headers=bearer(forger.token(ISSUER))) == 401  # invalid anywhere
        _, _, expired = trial.send("api.example.com", headers=bearer(key.token(ISSUER, expires_in=-600)))
        assert "expired" in " ".join(expired.explanation)
        _, _, missing = trial.send("api.example.com")
        assert missing.functions["authorization"]["policy"] == "istio-system/require-jwt-on-api"


def test_when_on_a_jwt_claim(tmp_path):
    key = SigningKey()
    project = _project(tmp_path, extra_yaml=JWT_POLICIES.format(issuer=ISSUER, jwks=key.jwks()))
    admin = _claims_token(key, {"groups": ["admin", "dev"]})
    dev = _claims_token(key, {"groups": ["dev"]})
    with Trial(project, tmp_path) as trial:
        assert _both(trial, "claims.example.com", headers={"Authorization": f"Bearer {admin}"}) == 200
        assert _both(trial, "claims.example.com", headers={"Authorization": f"Bearer {dev}"}) == 403
        assert _both(trial, "claims.example.com") == 403  # no token: no claim


def _claims_token(key: SigningKey, claims: dict) -> str:
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    payload = {"iss": ISSUER, "sub": "carol", "iat": now - 10, "exp": now + 600, **claims}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = key.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def test_telemetry_access_log_records_the_requests(tmp_path):
    with Trial(_project(tmp_path, "telemetry.yaml"), tmp_path) as trial:
        assert _both(trial, "open.example.com", "/logged-one") == 200
        assert _both(trial, "api.example.com", "/logged-two") == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "/logged-two" not in trial.log.read_text():
            time.sleep(0.1)
        text = trial.log.read_text()
    assert '"GET /logged-one HTTP/1.1" 200' in text and '"open.example.com"' in text
    assert "\"GET /logged-two HTTP/1.1\" 200" in text, text


def test_local_rate_limit_envoy_filter_from_istio_docs(tmp_path):
    with Trial(_project(tmp_path, "ratelimit.yaml"), tmp_path) as trial:
        statuses = [_request(trial.port, "limited.example.com") for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]  # max_tokens 4 per 60 s
