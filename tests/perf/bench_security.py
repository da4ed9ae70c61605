"""Issue 12: hand-written security resources must not make the design slow. The 2,000-resource mesh gets
200 policies (see ``_policies``): full analysis, the Istio export and the Envoy export each stay within
1.2x of the same design without them.

The Envoy export writes one config per Gateway and every policy applies to all the Gateways of its
workload (about 20 here), so its output grows with the policies; its ratio is reported against the same
budget."""

from __future__ import annotations

BUDGET_RATIO = 1.2
JWKS = '{"keys":[{"kty":"RSA","kid":"k","e":"AQAB","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]}'  # noqa: E501


def _policies(project) -> list[dict]:
    """200 policies: per gateway a DENY on client ranges and admin paths for its own hosts (with a claim
    condition) and, for most, an ALLOW for its hosts; per workload namespace a RequestAuthentication and a
    local rate limit EnvoyFilter; a mesh-wide Telemetry and AUDIT policy."""
    from meshdesigner.model.function_targets import workload_labels, workload_namespace

    out: list[dict] = [
        {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
         "metadata": {"name": "mesh-default", "namespace": "istio-system"},
         "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}]}},
        {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "audit-all", "namespace": "istio-system"},
         "spec": {"action": "AUDIT", "rules": [{}]}},
    ]
    nodes = project.nodes.values()
    workloads: dict[str, dict] = {}
    gateways = sorted(project.gateways(), key=lambda g: g.id)
    for gateway in gateways:
        workloads.setdefault(workload_namespace(gateway, nodes), workload_labels(gateway))
    for namespace, labels in sorted(workloads.items()):
        out.append({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
                    "metadata": {"name": "jwt", "namespace": namespace},
                    "spec": {"selector": {"matchLabels": labels},
                             "jwtRules": [{"issuer": "https://issuer.bench", "jwks": JWKS}]}})
        out.append({"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
                    "metadata": {"name": "ratelimit", "namespace": namespace},
                    "spec": {"workloadSelector": {"labels": labels}, "configPatches": [{
                        "applyTo": "HTTP_FILTER",
                        "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
                            "name": "envoy.filters.network.http_connection_manager"}}}},
                        "patch": {"operation": "INSERT_BEFORE", "value": {
                            "name": "envoy.filters.http.local_ratelimit", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit"
                                         ".v3.LocalRateLimit",
                                "stat_prefix": "http_local_rate_limiter"}}}}]}})
    for kind in ("DENY", "ALLOW"):
        for gateway in gateways:
            if len(out) >= 200:
                break
            labels, namespace = workload_labels(gateway), workload_namespace(gateway, nodes)
            hosts = sorted({h.split("/")[-1] for s in gateway.gateway.spec.servers or [] for h in s.hosts or []})
            rules = ([{"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}], "to": [{"operation": {"hosts": hosts}}]},
                      {"to": [{"operation": {"hosts": hosts, "paths": ["/admin*"]}}],
                       "when": [{"key": "request.auth.claims[groups]", "notValues": ["admin"]}]}]
                     if kind == "DENY" else [{"to": [{"operation": {"hosts": hosts}}]}])
            out.append({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                        "metadata": {"name": f"{gateway.gateway.name}-{kind.lower()}", "namespace": namespace},
                        "spec": {"selector": {"matchLabels": labels}, "action": kind, "rules": rules}})
    return out


def run(ctx) -> dict:
    from meshdesigner.analysis import analyze
    from meshdesigner.export.envoy import export_envoy_files
    from meshdesigner.export.istio import export_files
    from meshdesigner.io.project_file import load_project
    from meshdesigner.model.security import policy_from_manifest

    plain = load_project(str(ctx.project_file))
    secured = load_project(str(ctx.project_file))
    for manifest in _policies(secured):
        secured.add_policy(policy_from_manifest(manifest))
    count = len(secured.policies)

    def ratio(fn) -> tuple[float, float]:
        base = ctx.best_of(lambda: fn(plain), 2)
        mine = ctx.best_of(lambda: fn(secured), 2)
        return mine / base, mine

    analysis_ratio, analysis_seconds = ratio(analyze)
    istio_ratio, _istio_seconds = ratio(export_files)
    envoy_ratio, envoy_seconds = ratio(export_envoy_files)
    return {
        "security.policies": ctx.metric(count, "count", 200, lower_is_better=False),
        "security.analysis_ratio": ctx.metric(analysis_ratio, "ratio", BUDGET_RATIO),
        "security.analysis_seconds": ctx.metric(analysis_seconds, "s", float("inf")),
        "security.istio_export_ratio": ctx.metric(istio_ratio, "ratio", BUDGET_RATIO),
        "security.envoy_export_ratio": ctx.metric(envoy_ratio, "ratio", BUDGET_RATIO),
        "security.envoy_export_seconds": ctx.metric(envoy_seconds, "s", float("inf")),
    }
