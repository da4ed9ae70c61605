"""Issue 12: hand-written security resources must not make the design slow. The 2,000-resource mesh gets
200 policies (see ``_policies``; the quick ``--small`` mesh, a tenth of it, gets 20): full analysis, the
Istio export and the Envoy export each stay within 1.2x of the same design without them, measured side by
side in one run.

Every policy attaches to a gateway workload of the design (``security.policies`` counts the policies some
workload's plan holds, so a policy selecting nothing cannot inflate it). The mesh's 95 ingress Gateways
share one workload (selector ``istio: ingressgateway``) and so one Envoy config with 96 HTTP connection
managers; istiod puts the proxy's RBAC and JWT filters into each of them, built once per proxy, and the
export writes them once (a YAML anchor) and refers to them from every other chain."""

from __future__ import annotations

BUDGET_RATIO = 1.2
JWKS = '{"keys":[{"kty":"RSA","kid":"k","e":"AQAB","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]}'  # noqa: E501


def _policies(project, limit: int) -> list[dict]:
    """``limit`` policies, all in the namespace where the pods they select run: a mesh-wide Telemetry and
    AUDIT policy; per gateway workload a RequestAuthentication and a local rate limit EnvoyFilter; then
    per gateway a DENY on client ranges and admin paths for its own hosts (with a claim condition) and,
    while the limit allows, an ALLOW for its hosts."""
    from meshdesigner.compile import gateway_workloads
    from meshdesigner.compile.workloads import own_workload, pods_namespace

    out: list[dict] = [
        {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
         "metadata": {"name": "mesh-default", "namespace": "istio-system"},
         "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}]}},
        {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "audit-all", "namespace": "istio-system"},
         "spec": {"action": "AUDIT", "rules": [{}]}},
    ]
    nodes = list(project.nodes.values())
    workloads = gateway_workloads(project)
    for index, workload in enumerate(workloads):
        namespace, labels = pods_namespace(workload, nodes), workload.label_dict
        out.append({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
                    "metadata": {"name": f"jwt-{index}", "namespace": namespace},
                    "spec": {"selector": {"matchLabels": labels},
                             "jwtRules": [{"issuer": "https://issuer.bench", "jwks": JWKS}]}})
        out.append({"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
                    "metadata": {"name": f"ratelimit-{index}", "namespace": namespace},
                    "spec": {"workloadSelector": {"labels": labels}, "configPatches": [{
                        "applyTo": "HTTP_FILTER",
                        "match": {"context": "GATEWAY", "listener": {"filterChain": {"filter": {
                            "name": "envoy.filters.network.http_connection_manager"}}}},
                        "patch": {"operation": "INSERT_BEFORE", "value": {
                            "name": "envoy.filters.http.local_ratelimit", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit"
                                         ".v3.LocalRateLimit",
                                "stat_prefix": "http_local_rate_limiter"}}}}]}})
    gateways = sorted(project.gateways(), key=lambda g: g.id)
    for kind in ("DENY", "ALLOW"):
        for gateway in gateways:
            if len(out) >= limit:
                break
            workload = own_workload(workloads, gateway)
            labels, namespace = workload.label_dict, pods_namespace(workload, nodes)
            hosts = sorted({h.split("/")[-1] for s in gateway.gateway.spec.servers or [] for h in s.hosts or []})
            rules = ([{"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}], "to": [{"operation": {"hosts": hosts}}]},
                      {"to": [{"operation": {"hosts": hosts, "paths": ["/admin*"]}}],
                       "when": [{"key": "request.auth.claims[groups]", "notValues": ["admin"]}]}]
                     if kind == "DENY" else [{"to": [{"operation": {"hosts": hosts}}]}])
            out.append({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                        "metadata": {"name": f"{gateway.gateway.name}-{kind.lower()}", "namespace": namespace},
                        "spec": {"selector": {"matchLabels": labels}, "action": kind, "rules": rules}})
    return out


def _attached(project) -> int:
    """How many of the design's policies some gateway workload's plan holds."""
    from meshdesigner.compile import security_plan

    return len({p.ref for g in project.gateways() for p in security_plan(project, g).policies})


def run(ctx) -> dict:
    from meshdesigner.analysis import analyze
    from meshdesigner.export.envoy import export_envoy_files
    from meshdesigner.export.istio import export_files
    from meshdesigner.io.project_file import load_project
    from meshdesigner.model.security import policy_from_manifest

    plain = load_project(str(ctx.project_file))
    secured = load_project(str(ctx.project_file))
    limit = int(ctx.budget(200, 20))
    for manifest in _policies(secured, limit):
        secured.add_policy(policy_from_manifest(manifest))
    count = _attached(secured)

    def ratio(fn) -> tuple[float, float]:
        return ctx.side_by_side(fn, plain, secured)

    analysis_ratio, analysis_seconds = ratio(analyze)
    istio_ratio, _istio_seconds = ratio(export_files)
    envoy_ratio, envoy_seconds = ratio(export_envoy_files)
    return {
        "security.policies": ctx.metric(count, "count", limit, lower_is_better=False),
        "security.analysis_ratio": ctx.metric(analysis_ratio, "ratio", BUDGET_RATIO),
        "security.analysis_seconds": ctx.metric(analysis_seconds, "s", float("inf")),
        "security.istio_export_ratio": ctx.metric(istio_ratio, "ratio", BUDGET_RATIO),
        "security.envoy_export_ratio": ctx.metric(envoy_ratio, "ratio", BUDGET_RATIO),
        "security.envoy_export_seconds": ctx.metric(envoy_seconds, "s", float("inf")),
    }
