"""MD09xx: each check on hand-written policies, with a case that triggers it and one that stays silent."""

from __future__ import annotations

import pathlib

import pytest

from meshdesigner.analysis.engine import analyze
from meshdesigner.io.importer import import_manifests

DATA = pathlib.Path(__file__).parent / "data"

AP = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
{spec}
"""
GW_SELECTOR = "  selector: {matchLabels: {istio: ingressgateway}}\n"

CASES = {
    "MD0901": (AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: DENY\n  rules:\n"
                         "  - from: [{source: {ipBlocks: ['10.0.0.300']}}]"),
               AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: DENY\n  rules:\n"
                         "  - from: [{source: {ipBlocks: ['10.0.0.3']}}]")),
    "MD0902": (AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: CUSTOM\n  provider: {name: opa}\n"
                         "  rules: [{}]"),
               AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: AUDIT\n  rules: [{}]")),
    "MD0903": ("""apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules: [{issuer: "https://a.example.com", jwksUri: "https://a.example.com/jwks.json"}]
""", """apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules: [{issuer: "https://a.example.com", jwks: '{"keys": []}'}]
"""),
    "MD0904": ("""apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: logs, namespace: istio-system}
spec:
  accessLogging: [{providers: [{name: otel-collector}]}]
""", """apiVersion: telemetry.istio.io/v1alpha1
kind: Telemetry
metadata: {name: logs, namespace: istio-system}
spec:
  accessLogging: [{providers: [{name: envoy}]}]
"""),
    "MD0905": ("""apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef, namespace: istio-system}
spec:
  configPatches:
  - applyTo: HTTP_ROUTE
    match: {context: GATEWAY, routeConfiguration: {vhost: {route: {name: no-such-route}}}}
    patch: {operation: MERGE, value: {timeout: 5s}}
""", """apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef, namespace: istio-system}
spec:
  configPatches:
  - applyTo: HTTP_ROUTE
    match: {context: GATEWAY, routeConfiguration: {vhost: {name: "open.example.com:80"}}}
    patch: {operation: MERGE, value: {timeout: 5s}}
"""),
    "MD0906": (AP.format(name="p", ns="istio-system", spec="  selector: {matchLabels: {app: reviews}}\n  rules: [{}]"),
               AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  rules: [{}]")),
    "MD0907": (AP.format(name="p", ns="team-x", spec="  rules: [{}]"),
               AP.format(name="p", ns="istio-system", spec="  rules: [{}]")),
    "MD0908": (AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: DENY\n  rules:\n"
                         "  - when: [{key: 'request.auth.claims[group]', notValues: [admin]}]"),
               AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: DENY\n  rules:\n"
                         "  - when: [{key: 'request.headers[x-group]', notValues: [admin]}]")),
    "MD0909": ("""apiVersion: networking.istio.io/v1
kind: EnvoyFilter
metadata: {name: ef, namespace: istio-system}
spec:
  configPatches: []
""", """apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef, namespace: istio-system}
spec:
  configPatches: []
"""),
}


def _codes(tmp_path, text: str) -> list[str]:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    project = import_manifests([str(DATA / "gateway.yaml"), str(path)]).project
    return [d.code for d in analyze(project) if d.code.startswith("MD09")]


@pytest.mark.parametrize("code", sorted(CASES))
def test_triggers_and_stays_silent(code, tmp_path):
    trigger, silent = CASES[code]
    assert code in _codes(tmp_path, trigger)
    assert code not in _codes(tmp_path, silent)


def test_webhook_messages_are_istios(tmp_path):
    text = AP.format(name="p", ns="istio-system", spec=GW_SELECTOR + "  action: DENY")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    (diag,) = [d for d in analyze(import_manifests([str(DATA / "gateway.yaml"), str(path)]).project)
               if d.code == "MD0901"]
    assert diag.message.startswith("DENY action without `rules` is meaningless")
    assert diag.path == "spec.rules"


def test_the_incremental_analyzer_follows_policy_edits(tmp_path):
    from meshdesigner.analysis.engine import Analyzer
    from meshdesigner.model.security import policy_from_manifest

    project = import_manifests([str(DATA / "gateway.yaml")]).project
    analyzer = Analyzer(project)
    assert not [d for d in analyzer.refresh() if d.code.startswith("MD09")]
    bad = policy_from_manifest({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                                "metadata": {"name": "p", "namespace": "istio-system"},
                                "spec": {"action": "DENY"}})
    project.add_policy(bad)
    assert [d.code for d in analyzer.refresh() if d.code.startswith("MD09")] == ["MD0901"]
    fixed = policy_from_manifest({**bad.manifest(), "spec": {"action": "DENY", "rules": [
        {"to": [{"operation": {"paths": ["/admin*"]}}]}]}})
    project.replace_policy(bad.ref, fixed)
    assert [d.code for d in analyzer.refresh() if d.code.startswith("MD09")] == []
