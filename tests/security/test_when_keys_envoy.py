"""``when`` conditions on the keys Istio lists (``pilot/pkg/security/authz/model/model.go``), enforced by
real Envoy and predicted by the simulator; expected answers written by hand from Istio's semantics.

One DENY policy, one rule per host, each rule with one condition:
* ``open.example.com``: ``request.headers[x-env]`` = ``test`` (header matcher, exact);
* ``api.example.com``: ``source.ip`` = ``127.0.0.2`` (the peer address: ``direct_remote_ip``);
* ``claims.example.com``: ``connection.sni`` notValues ``claims.example.com`` (plain HTTP has no SNI, so
  the negated SNI match holds: every request is denied);
* ``limited.example.com``: ``remote.ip`` = ``127.0.0.2`` (no trusted proxies: the peer, whatever
  X-Forwarded-For says).
"""

from __future__ import annotations

import shutil

import pytest

from .test_policies_envoy_e2e import OTHER, Trial, _both, _project

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")]

POLICY = """\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-when, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
  - to: [{operation: {hosts: ["open.example.com"]}}]
    when: [{key: "request.headers[x-env]", values: ["test"]}]
  - to: [{operation: {hosts: ["api.example.com"]}}]
    when: [{key: source.ip, values: ["127.0.0.2"]}]
  - to: [{operation: {hosts: ["claims.example.com"]}}]
    when: [{key: connection.sni, notValues: ["claims.example.com"]}]
  - to: [{operation: {hosts: ["limited.example.com"]}}]
    when: [{key: remote.ip, values: ["127.0.0.2"]}]
"""


def test_when_keys_deny_what_istio_denies(tmp_path):
    with Trial(_project(tmp_path, extra_yaml=POLICY), tmp_path) as trial:
        assert _both(trial, "open.example.com", headers={"x-env": "test"}) == 403
        assert _both(trial, "open.example.com", headers={"x-env": "prod"}) == 200
        assert _both(trial, "open.example.com") == 200
        assert _both(trial, "api.example.com", source=OTHER) == 403
        assert _both(trial, "api.example.com") == 200
        assert _both(trial, "claims.example.com") == 403
        assert _both(trial, "limited.example.com", source=OTHER) == 403
        assert _both(trial, "limited.example.com", headers={"X-Forwarded-For": "127.0.0.2"}) == 200
        _, _, result = trial.send("api.example.com", source=OTHER)
        assert result.functions["authorization"]["policy"] == "istio-system/deny-when"
        assert "spec.rules[1]" in " ".join(result.explanation)
