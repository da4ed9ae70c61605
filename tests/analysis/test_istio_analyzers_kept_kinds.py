"""Istio's analyzers of Sidecar, Telemetry, EnvoyFilter, Kubernetes Gateway policies, deprecated kinds and the
mesh config, ported: one table per analyzer, cases written by hand from the Go conditions (the analyzer is named
above each table). Same row shape as ``test_istio_analyzers.py``: ``(case id, manifests, code, istio code,
severity, triggers)``; a near miss (``triggers=False``) must not report ``code``.
"""

from __future__ import annotations

import json

import pytest

from meshdesigner.analysis import analyze

from .builders import design, meta, se

E, W, I = "error", "warning", "info"  # noqa: E741


def pod(name, labels, ns="default", annotations=None):
    extra = {"annotations": annotations} if annotations else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, ns, labels=labels, **extra),
            "spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]}}


def namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def sidecar(name="sc", ns="default", labels=None, **spec):
    if labels is not None:
        spec["workloadSelector"] = {"labels": labels}
    spec.setdefault("egress", [{"hosts": ["./*"]}])
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": meta(name, ns), "spec": spec}


def telemetry(name="tel", ns="default", selector=None, **spec):
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": meta(name, ns), "spec": spec}


def mesh_config(text):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("istio", "istio-system"),
            "data": {"mesh": text}}


def envoy_filter(*patches, name="ef", ns="default", priority=None):
    spec = {"configPatches": list(patches)}
    if priority is not None:
        spec["priority"] = priority
    return {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter", "metadata": meta(name, ns),
            "spec": spec}


def patch(apply_to, operation, value=None, proxy_version=None, filter_name=None):
    match = {"context": "SIDECAR_INBOUND"}
    if proxy_version:
        match["proxy"] = {"proxyVersion": proxy_version}
    if filter_name:
        match["listener"] = {"filterChain": {"filter": {"name": filter_name}}}
    body = {"operation": operation}
    if value is not None:
        body["value"] = value
    return {"applyTo": apply_to, "match": match, "patch": body}


LUA = {"name": "envoy.lua", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}}

# sidecar/selector.go SelectorAnalyzer: a selector matching no Pod of the Sidecar's namespace (IST0101), a Pod
# selected by several Sidecars (IST0110), several Sidecars without selector in a namespace (IST0111), workloads
# in ambient mode (IST0167). Pod checks only with Pods in the input.
APP = {"app": "reviews"}
SIDECARS = [
    ("sidecar-selector-no-pod", [sidecar(labels=APP), pod("p", {"app": "other"})], "MD1013", "IST0101", E, True),
    ("sidecar-selector-pod-in-other-namespace", [sidecar(labels=APP), pod("p", APP, ns="other")],
     "MD1013", "IST0101", E, True),
    ("sidecar-selector-matches", [sidecar(labels=APP), pod("p", APP)], "MD1013", "IST0101", E, False),
    ("sidecar-selector-no-pods-in-input", [sidecar(labels=APP)], "MD1013", "IST0101", E, False),
    ("two-sidecars-one-pod", [sidecar("a", labels=APP), sidecar("b", labels={"version": "v1"}),
                              pod("p", {"app": "reviews", "version": "v1"})], "MD1014", "IST0110", E, True),
    ("two-sidecars-two-pods", [sidecar("a", labels=APP), sidecar("b", labels={"version": "v1"}), pod("p", APP),
                               pod("q", {"version": "v1"})], "MD1014", "IST0110", E, False),
    ("two-namespace-wide-sidecars", [sidecar("a"), sidecar("b")], "MD1015", "IST0111", E, True),
    ("empty-labels-is-namespace-wide", [sidecar("a"), sidecar("b", labels={})], "MD1015", "IST0111", E, True),
    ("namespace-wide-in-two-namespaces", [sidecar("a"), sidecar("b", ns="other")], "MD1015", "IST0111", E, False),
    ("namespace-wide-and-selector", [sidecar("a"), sidecar("b", labels=APP)], "MD1015", "IST0111", E, False),
    ("ambient-namespace-wide", [sidecar("a"), sidecar("b"),
                                namespace("default", **{"istio.io/dataplane-mode": "ambient"})],
     "MD1016", "IST0167", W, True),
    ("ambient-namespace-not-ist0111", [sidecar("a"), sidecar("b"),
                                       namespace("default", **{"istio.io/dataplane-mode": "ambient"})],
     "MD1015", "IST0111", E, False),
    ("ambient-label-but-injection-enabled", [sidecar("a"), namespace("default", **{
        "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled"})], "MD1016", "IST0167", W, False),
    ("ambient-pod-one-sidecar", [sidecar(labels=APP),
                                 pod("p", APP, annotations={"ambient.istio.io/redirection": "enabled"})],
     "MD1016", "IST0167", W, True),
    ("sidecar-pod-one-sidecar", [sidecar(labels=APP), pod("p", APP)], "MD1016", "IST0167", W, False),
]

# deprecation/deprecation.go FieldAnalyzer: analyzeSidecar (outboundTrafficPolicy.egressProxy) and analyzeCRD.
CRD_RBAC = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "serviceroles.rbac.istio.io"},
            "spec": {"group": "rbac.istio.io", "names": {"kind": "ServiceRole", "plural": "serviceroles"}}}
CRD_OTHER = {**CRD_RBAC, "metadata": {"name": "sidecars.networking.istio.io"},
             "spec": {"group": "networking.istio.io", "names": {"kind": "Sidecar", "plural": "sidecars"}}}
DEPRECATION = [
    ("sidecar-egress-proxy", [sidecar(outboundTrafficPolicy={
        "mode": "REGISTRY_ONLY", "egressProxy": {"host": "egress.istio-system.svc.cluster.local"}})],
     "MD1029", "IST0002", W, True),
    ("sidecar-outbound-policy-without-egress-proxy", [sidecar(outboundTrafficPolicy={"mode": "REGISTRY_ONLY"})],
     "MD1029", "IST0002", W, False),
    ("removed-rbac-crd", [CRD_RBAC], "MD1030", "IST0002", W, True),
    ("current-crd", [CRD_OTHER], "MD1030", "IST0002", W, False),
]

# telemetry/default_selector.go DefaultSelectorAnalyzer: two Telemetries without selector in one namespace.
TELEMETRY_DEFAULT = [
    ("two-telemetries-without-selector", [telemetry("a"), telemetry("b")], "MD1017", "IST0160", E, True),
    ("selector-without-labels-counts-as-selector", [telemetry("a"), telemetry("b", selector={})],
     "MD1017", "IST0160", E, False),
    ("telemetries-in-two-namespaces", [telemetry("a"), telemetry("b", ns="other")], "MD1017", "IST0160", E, False),
]

# telemetry/selector.go SelectorAnalyzer: matchLabels matching no Pod of the namespace (IST0101), a Pod selected
# by several Telemetries (IST0159). Only with Pods in the input.
TELEMETRY_SELECTOR = [
    ("telemetry-selector-no-pod", [telemetry(selector=APP), pod("p", {"app": "other"})], "MD1018", "IST0101", E,
     True),
    ("telemetry-selector-pod-in-other-namespace", [telemetry(selector=APP), pod("p", APP, ns="other")],
     "MD1018", "IST0101", E, True),
    ("telemetry-selector-matches", [telemetry(selector=APP), pod("p", APP)], "MD1018", "IST0101", E, False),
    ("telemetry-empty-selector-ignored", [telemetry(selector={}), pod("p", {"app": "other"})],
     "MD1018", "IST0101", E, False),
    ("telemetry-selector-no-pods-in-input", [telemetry(selector=APP)], "MD1018", "IST0101", E, False),
    ("two-telemetries-one-pod", [telemetry("a", selector=APP), telemetry("b", selector={"version": "v1"}),
                                 pod("p", {"app": "reviews", "version": "v1"})], "MD1019", "IST0159", E, True),
    ("two-telemetries-two-pods", [telemetry("a", selector=APP), telemetry("b", selector={"version": "v1"}),
                                  pod("p", APP), pod("q", {"version": "v1"})], "MD1019", "IST0159", E, False),
]

# telemetry/providers.go ProviderAnalyzer: the mesh config has no defaultProviders.accessLogging, and an
# accessLogging entry that is not disabled names no provider. Without a mesh config in the input: info only.
NO_DEFAULTS = mesh_config("rootNamespace: istio-system\n")
WITH_DEFAULTS = mesh_config("defaultProviders:\n  accessLogging: [envoy]\n")
PROVIDERS = [
    ("access-log-without-provider", [telemetry(accessLogging=[{}]), NO_DEFAULTS], "MD1020", "IST0157", W, True),
    ("access-log-without-provider-defaults-set", [telemetry(accessLogging=[{}]), WITH_DEFAULTS],
     "MD1020", "IST0157", W, False),
    ("access-log-disabled", [telemetry(accessLogging=[{"disabled": True}]), NO_DEFAULTS],
     "MD1020", "IST0157", W, False),
    ("access-log-with-provider", [telemetry(accessLogging=[{"providers": [{"name": "envoy"}]}]), NO_DEFAULTS],
     "MD1020", "IST0157", W, False),
    ("access-log-no-mesh-config-not-warned", [telemetry(accessLogging=[{}])], "MD1020", "IST0157", W, False),
    ("access-log-no-mesh-config-is-info", [telemetry(accessLogging=[{}])], "MD1021", None, I, True),
    ("access-log-defaults-set-no-info", [telemetry(accessLogging=[{}]), WITH_DEFAULTS], "MD1021", None, I, False),
]

# telemetry/lightstep.go LightstepAnalyzer: a tracing provider that is a lightstep extension provider.
LIGHTSTEP_MESH = mesh_config("extensionProviders:\n- name: ls\n  lightstep:\n    service: collector.example.com\n"
                             "    port: 8080\n    accessToken: t\n- name: otel\n  opentelemetry:\n"
                             "    service: otel.example.com\n    port: 4317\n")
LIGHTSTEP = [
    ("tracing-to-lightstep", [telemetry(tracing=[{"providers": [{"name": "ls"}]}]), LIGHTSTEP_MESH],
     "MD1022", "IST0002", W, True),
    ("tracing-to-opentelemetry", [telemetry(tracing=[{"providers": [{"name": "otel"}]}]), LIGHTSTEP_MESH],
     "MD1022", "IST0002", W, False),
    ("tracing-no-mesh-config", [telemetry(tracing=[{"providers": [{"name": "ls"}]}])], "MD1022", "IST0002", W,
     False),
    ("lightstep-renamed-by-override", [telemetry(tracing=[{"providers": [{"name": "ls"}]}]), mesh_config(
        "extensionProviders:\n- name: ls\n  lightstep: {service: a.example.com, port: 1}\n"
        "- name: ls\n  zipkin: {service: z.example.com, port: 9411}\n")], "MD1022", "IST0002", W, False),
]

# authz/authorizationpolicies.go meshWidePolicy: the root namespace is the mesh config's rootNamespace.
def authz(name="ap", ns="default", selector=None):
    spec = {"selector": {"matchLabels": selector}} if selector is not None else {}
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta(name, ns),
            "spec": spec}


ROOT_MESH = mesh_config("rootNamespace: mesh-root\n")
ROOT_NAMESPACE = [
    ("root-namespace-from-mesh-config", [authz(ns="mesh-root"), pod("p", APP), ROOT_MESH],
     "MD1009", "IST0127", W, False),
    ("root-namespace-default-without-mesh-config", [authz(ns="mesh-root"), pod("p", APP)],
     "MD1009", "IST0127", W, True),
    ("istio-system-not-root-then", [authz(ns="istio-system"), pod("p", APP), ROOT_MESH],
     "MD1009", "IST0127", W, True),
    ("mesh-config-without-root-namespace", [authz(ns="istio-system"), pod("p", APP), NO_DEFAULTS],
     "MD1009", "IST0127", W, False),
    ("mesh-config-unreadable", [mesh_config("rootNamespace: [a\n")], "MD1031", None, E, True),
    ("mesh-config-readable", [ROOT_MESH], "MD1031", None, E, False),
    ("mesh-root-differs-from-project-setting", [ROOT_MESH], "MD1047", None, W, True),
    ("mesh-root-default-equals-project-setting", [NO_DEFAULTS], "MD1047", None, W, False),
]

# serviceentry/protocoladdresses.go ProtocolAddressesAnalyzer: silent when the mesh config's proxyMetadata sets
# ISTIO_META_DNS_CAPTURE=true and an auto-allocation flag; the webhook's half (SE-5) remains for resolution NONE or
# an entry opted out of auto-allocation (shouldV2AutoAllocateIPFromPieces).
DNS_MESH = mesh_config("defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n"
                       "    ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\n")
CAPTURE_ONLY_MESH = mesh_config("defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n")
TCP_SE = se(ports=((5432, "tcp", "TCP"),))
PROTOCOL_ADDRESSES = [
    ("tcp-entry-without-addresses", [TCP_SE], "MD0305", "IST0134", W, True),
    ("tcp-entry-dns-auto-allocated", [TCP_SE, DNS_MESH], "MD0305", "IST0134", W, False),
    ("tcp-entry-dns-capture-only", [TCP_SE, CAPTURE_ONLY_MESH], "MD0305", "IST0134", W, True),
    ("tcp-entry-resolution-none", [se(ports=((5432, "tcp", "TCP"),), resolution="NONE"), DNS_MESH],
     "MD0305", "IST0134", W, True),
    ("tcp-entry-opted-out", [se(ports=((5432, "tcp", "TCP"),), metadata=meta(
        "ext", labels={"networking.istio.io/enable-autoallocate-ip": "false"})), DNS_MESH],
     "MD0305", "IST0134", W, True),
]

# envoyfilter/envoyfilter.go EnvoyPatchAnalyzer.analyzeEnvoyFilterPatch / relativeOperationMsg.
ENVOY_FILTERS = [
    ("insert-before-without-priority", [envoy_filter(patch("HTTP_FILTER", "INSERT_BEFORE", LUA))],
     "MD1023", "IST0151", W, True),
    ("insert-after-with-priority", [envoy_filter(patch("HTTP_FILTER", "INSERT_AFTER", LUA), priority=10)],
     "MD1023", "IST0151", W, False),
    ("insert-first-is-absolute", [envoy_filter(patch("HTTP_FILTER", "INSERT_FIRST", LUA))],
     "MD1023", "IST0151", W, False),
    ("merge-is-not-checked", [envoy_filter(patch("HTTP_FILTER", "MERGE", LUA))], "MD1023", "IST0151", W, False),
    ("remove-filter-is-relative", [envoy_filter(patch("HTTP_FILTER", "REMOVE"))], "MD1023", "IST0151", W, True),
    ("add-http-route", [envoy_filter(patch("HTTP_ROUTE", "ADD", {"name": "r"}))], "MD1025", "IST0153", E, True),
    ("add-route-configuration", [envoy_filter(patch("ROUTE_CONFIGURATION", "ADD", {"name": "r"}))],
     "MD1025", "IST0153", E, True),
    ("add-cluster", [envoy_filter(patch("CLUSTER", "ADD", {"name": "c"}))], "MD1025", "IST0153", E, False),
    ("remove-http-route", [envoy_filter(patch("HTTP_ROUTE", "REMOVE"))], "MD1026", "IST0154", E, True),
    ("remove-http-route-not-relative", [envoy_filter(patch("HTTP_ROUTE", "REMOVE"))], "MD1023", "IST0151", W,
     False),
    ("remove-listener", [envoy_filter(patch("LISTENER", "REMOVE"))], "MD1026", "IST0154", E, False),
    ("replace-cluster", [envoy_filter(patch("CLUSTER", "REPLACE", {"name": "c"}))], "MD1024", "IST0152", E, True),
    ("replace-virtual-host", [envoy_filter(patch("VIRTUAL_HOST", "REPLACE", {"name": "v"}))],
     "MD1024", "IST0152", E, False),
    ("replace-network-filter-is-relative", [envoy_filter(patch("NETWORK_FILTER", "REPLACE", LUA))],
     "MD1023", "IST0151", W, True),
    ("same-name-after-proxy-version", [envoy_filter(
        patch("HTTP_FILTER", "INSERT_BEFORE", LUA, proxy_version="^1\\.2.*"),
        patch("HTTP_FILTER", "INSERT_AFTER", LUA))], "MD1027", "IST0155", W, True),
    ("same-name-in-later-filter", [envoy_filter(patch("HTTP_FILTER", "INSERT_FIRST", LUA, proxy_version="^1\\.2.*"),
                                                name="a"),
                                   envoy_filter(patch("HTTP_FILTER", "INSERT_AFTER", LUA), name="b")],
     "MD1027", "IST0155", W, True),
    ("other-name-after-proxy-version", [envoy_filter(
        patch("HTTP_FILTER", "INSERT_BEFORE", LUA, proxy_version="^1\\.2.*"),
        patch("HTTP_FILTER", "INSERT_AFTER", {"name": "envoy.ext_authz"}))], "MD1027", "IST0155", W, False),
    ("value-name-never-equals-filter-name", [envoy_filter(
        patch("HTTP_FILTER", "INSERT_BEFORE", LUA, proxy_version="^1\\.2.*"),
        patch("HTTP_FILTER", "INSERT_AFTER", {"typed_config": {}}, filter_name="envoy.lua"))],
     "MD1027", "IST0155", W, False),
    ("proxy-version-with-priority", [envoy_filter(
        patch("HTTP_FILTER", "INSERT_BEFORE", LUA, proxy_version="^1\\.2.*"),
        patch("HTTP_FILTER", "INSERT_AFTER", LUA), priority=-1)], "MD1027", "IST0155", W, False),
    ("patch-missing-stops-the-filter", [envoy_filter({"applyTo": "HTTP_FILTER"},
                                                     patch("HTTP_FILTER", "INSERT_BEFORE", LUA))],
     "MD1023", "IST0151", W, False),
]

# k8sgateway/workloadselector.go SelectorAnalyzer: a policy selector matching a Gateway API gateway's Pod.
GATEWAY_POD = pod("web-istio-1", {"gateway.networking.k8s.io/gateway-name": "web", "app": "web-istio"})
K8S_GATEWAY_SELECTOR = [
    ("authz-selects-gateway-pod", [authz(selector={"app": "web-istio"}), GATEWAY_POD], "MD1028", "IST0166", W,
     True),
    ("telemetry-selects-gateway-pod", [telemetry(selector={"app": "web-istio"}), GATEWAY_POD],
     "MD1028", "IST0166", W, True),
    ("authz-with-target-ref", [{**authz(selector={"app": "web-istio"}), "spec": {
        "selector": {"matchLabels": {"app": "web-istio"}},
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}}}, GATEWAY_POD],
     "MD1028", "IST0166", W, False),
    ("authz-selects-plain-pod", [authz(selector=APP), pod("p", APP)], "MD1028", "IST0166", W, False),
    ("authz-gateway-pod-other-namespace", [authz(selector={"app": "web-istio"}, ns="other"), GATEWAY_POD],
     "MD1028", "IST0166", W, False),
    ("authz-without-selector", [authz(), GATEWAY_POD], "MD1028", "IST0166", W, False),
]

# authn/blockedcidrs.go BlockedCIDRsAnalyzer: RequestAuthentications exist and an app=istiod Deployment sets no
# BLOCKED_CIDRS_IN_JWKS_URIS.
def istiod(env=None):
    container = {"name": "discovery", "image": "pilot", **({"env": env} if env is not None else {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta("istiod", "istio-system", labels={"app": "istiod"}),
            "spec": {"template": {"spec": {"containers": [container]}}}}


REQUEST_AUTHN = {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": meta("jwt"),
                 "spec": {"jwtRules": [{"issuer": "https://issuer.example.com",
                                        "jwksUri": "https://issuer.example.com/jwks"}]}}
BLOCKED_CIDRS = [
    ("istiod-without-blocked-cidrs", [REQUEST_AUTHN, istiod()], "MD1032", "IST0175", W, True),
    ("istiod-with-empty-blocked-cidrs", [REQUEST_AUTHN, istiod([{"name": "BLOCKED_CIDRS_IN_JWKS_URIS",
                                                                  "value": ""}])], "MD1032", "IST0175", W, True),
    ("istiod-with-blocked-cidrs", [REQUEST_AUTHN, istiod([{"name": "BLOCKED_CIDRS_IN_JWKS_URIS",
                                                            "value": "10.0.0.0/8"}])], "MD1032", "IST0175", W, False),
    ("istiod-without-request-authentication", [istiod()], "MD1032", "IST0175", W, False),
    ("request-authentication-without-istiod", [REQUEST_AUTHN], "MD1032", "IST0175", W, False),
]

# deployment/pod.go ApplicationUIDAnalyzer: UID 1337 on a Pod or a Deployment's pod template (pod level, or a
# container other than istio-proxy / istio-operator), except Istio's control plane (an 'istio' or release=istio label).
def workload(kind="Pod", labels=None, pod_uid=None, containers=(("app", None),)):
    spec = {"containers": [{"name": n, "image": "i", **({"securityContext": {"runAsUser": u}} if u else {})}
                           for n, u in containers]}
    if pod_uid:
        spec["securityContext"] = {"runAsUser": pod_uid}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta("w", labels=labels or {"app": "w"}), "spec": spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("w", labels=labels or {"app": "w"}),
            "spec": {"template": {"metadata": {"labels": {"app": "w"}}, "spec": spec}}}


APPLICATION_UID = [
    ("pod-runs-as-1337", [workload(pod_uid=1337)], "MD1033", "IST0144", W, True),
    ("container-runs-as-1337", [workload(containers=(("app", 1337),))], "MD1033", "IST0144", W, True),
    ("deployment-container-runs-as-1337", [workload("Deployment", containers=(("app", 1337),))],
     "MD1033", "IST0144", W, True),
    ("proxy-container-runs-as-1337", [workload(containers=(("istio-proxy", 1337),))], "MD1033", "IST0144", W,
     False),
    ("other-uid", [workload(pod_uid=1000)], "MD1033", "IST0144", W, False),
    ("control-plane-pod", [workload(labels={"istio": "ingressgateway"}, pod_uid=1337)], "MD1033", "IST0144", W,
     False),
    ("release-istio-deployment", [workload("Deployment", labels={"release": "istio"}, pod_uid=1337)],
     "MD1033", "IST0144", W, False),
]


# deployment/services.go ServiceAssociationAnalyzer: an in-mesh Deployment whose pods Services of its namespace
# select with one port number and two protocols (IST0116), or one targetPort behind two port numbers (IST0137).
def deployment(ns="default", inject="true", labels=None):
    template_labels = {"app": "reviews", "sidecar.istio.io/inject": inject}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("reviews", ns, labels=labels or {}),
            "spec": {"template": {"metadata": {"labels": template_labels},
                                  "spec": {"containers": [{"name": "app", "image": "i"}]}}}}


def service(name, *ports, ns="default"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns),
            "spec": {"selector": {"app": "reviews"},
                     "ports": [{"name": f"p{i}", "port": p, **({"protocol": proto} if proto else {}),
                                **({"targetPort": t} if t else {})} for i, (p, proto, t) in enumerate(ports)]}}


SERVICE_ASSOCIATION = [
    ("one-port-two-protocols", [deployment(), service("a", (53, "TCP", None)), service("b", (53, "UDP", None))],
     "MD1034", "IST0116", W, True),
    ("one-port-unset-and-udp", [deployment(), service("a", (53, None, None)), service("b", (53, "UDP", None))],
     "MD1034", "IST0116", W, True),
    ("one-port-tcp-and-unset", [deployment(), service("a", (53, "TCP", None)), service("b", (53, None, None))],
     "MD1034", "IST0116", W, False),
    ("two-protocols-not-in-mesh", [deployment(inject="false"), service("a", (53, "TCP", None)),
                                   service("b", (53, "UDP", None))], "MD1034", "IST0116", W, False),
    ("two-protocols-other-namespace", [deployment(ns="other"), service("a", (53, "TCP", None)),
                                       service("b", (53, "UDP", None))], "MD1034", "IST0116", W, False),
    ("waypoint-deployment", [deployment(labels={"gateway.istio.io/managed": "istio.io-mesh-controller"}),
                             service("a", (53, "TCP", None)), service("b", (53, "UDP", None))],
     "MD1034", "IST0116", W, False),
    ("one-target-port-two-ports", [deployment(), service("a", (80, None, 8080)), service("b", (81, None, 8080))],
     "MD1035", "IST0137", W, True),
    ("target-port-defaults-to-port", [deployment(), service("a", (8080, None, None)), service("b", (81, None, 8080))],
     "MD1035", "IST0137", W, True),
    ("same-port-same-target", [deployment(), service("a", (80, None, 8080)), service("b", (80, None, 8080))],
     "MD1035", "IST0137", W, False),
]

# k8sgateway/crdversion.go CRDVersionAnalyzer with gatewayapi.MinimumCRDVersions (tlsroutes >= 1.5.0): the
# bundle-version annotation, pre-release stripped, below the minimum; no annotation or an unknown CRD: nothing.
def gateway_crd(name="tlsroutes.gateway.networking.k8s.io", bundle="v1.4.0"):
    annotations = {"gateway.networking.k8s.io/bundle-version": bundle} if bundle else {}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": name, "annotations": annotations},
            "spec": {"group": "gateway.networking.k8s.io", "names": {"kind": "TLSRoute", "plural": "tlsroutes"}}}


CRD_VERSIONS = [
    ("tlsroute-crd-too-old", [gateway_crd()], "MD1036", "IST0176", W, True),
    ("tlsroute-crd-rc-of-minimum", [gateway_crd(bundle="v1.5.0-rc.1")], "MD1036", "IST0176", W, False),
    ("tlsroute-crd-minimum", [gateway_crd(bundle="v1.5.0")], "MD1036", "IST0176", W, False),
    ("tlsroute-crd-short-version", [gateway_crd(bundle="1.4")], "MD1036", "IST0176", W, True),
    ("tlsroute-crd-no-annotation", [gateway_crd(bundle=None)], "MD1036", "IST0176", W, False),
    ("httproute-crd-not-listed", [gateway_crd(name="httproutes.gateway.networking.k8s.io")],
     "MD1036", "IST0176", W, False),
]

# annotations/annotations.go K8sAnalyzer.allowAnnotations on Namespaces, Services, Pods, Deployments: an unknown
# *.istio.io annotation (IST0108), a deprecated one (IST0135), one on a kind it does not attach to (IST0107), a value
# the injector refuses (IST0125).
def annotated(kind, annotations, labels=None):
    md = meta("x", annotations=annotations, **({"labels": labels} if labels else {}))
    if kind == "Service":
        return {"apiVersion": "v1", "kind": "Service", "metadata": md,
                "spec": {"selector": {"app": "x"}, "ports": [{"name": "http", "port": 80}]}}
    if kind == "Namespace":
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {k: v for k, v in md.items() if k != "namespace"}}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md, "spec": {"template": {"spec": {}}}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": {"containers": [{"name": "c", "image": "i"}]}}


ANNOTATIONS = [
    ("unknown-istio-annotation", [annotated("Service", {"networking.istio.io/exportThree": "."})],
     "MD1037", "IST0108", W, True),
    ("known-service-annotation", [annotated("Service", {"networking.istio.io/exportTo": "."})],
     "MD1037", "IST0108", W, False),
    ("other-domain-annotation", [annotated("Service", {"example.com/istio": "x"})], "MD1037", "IST0108", W, False),
    ("istio-set-annotation-ignored", [annotated("Pod", {"sidecar.istio.io/status": "{}"})],
     "MD1037", "IST0108", W, False),
    ("deprecated-annotation", [annotated("Pod", {"sidecar.istio.io/statsInclusionPrefixes": "cluster"})],
     "MD1038", "IST0135", I, True),
    ("deprecated-inject-beside-label", [annotated("Pod", {"sidecar.istio.io/inject": "true"},
                                                  labels={"sidecar.istio.io/inject": "true"})],
     "MD1038", "IST0135", I, False),
    ("pod-annotation-on-deployment", [annotated("Deployment", {"sidecar.istio.io/interceptionMode": "REDIRECT"})],
     "MD1039", "IST0107", W, True),
    ("ingress-class-on-namespace", [annotated("Namespace", {"kubernetes.io/ingress.class": "istio"})],
     "MD1039", "IST0107", W, True),
    ("pod-annotation-on-pod", [annotated("Pod", {"sidecar.istio.io/interceptionMode": "REDIRECT"})],
     "MD1039", "IST0107", W, False),
    ("interception-mode-invalid", [annotated("Pod", {"sidecar.istio.io/interceptionMode": "redirect"})],
     "MD1040", "IST0125", W, True),
    ("readiness-delay-not-a-number", [annotated("Pod", {"readiness.status.sidecar.istio.io/initialDelaySeconds":
                                                        "ten"})], "MD1040", "IST0125", W, True),
    ("readiness-delay-number", [annotated("Pod", {"readiness.status.sidecar.istio.io/initialDelaySeconds": "10"})],
     "MD1040", "IST0125", W, False),
    ("merge-metrics-not-bool", [annotated("Pod", {"prometheus.istio.io/merge-metrics": "yes"})],
     "MD1040", "IST0125", W, True),
    ("status-port-out-of-range", [annotated("Pod", {"status.sidecar.istio.io/port": "70000"})],
     "MD1040", "IST0125", W, True),
    ("misplaced-not-validated", [annotated("Deployment", {"sidecar.istio.io/interceptionMode": "redirect"})],
     "MD1040", "IST0125", W, False),
]

# injection/injection.go Analyzer: Namespaces without injection labels (IST0102, or IST0148 with the injector's
# enableNamespacesByDefault), several injection labels (IST0123), a Pod of an istio-injection=enabled namespace
# without istio-proxy (IST0103).
def injector_config_map(by_default=True, name="istio-sidecar-injector"):
    values = json.dumps({"sidecarInjectorWebhook": {"enableNamespacesByDefault": by_default}})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, "istio-system"),
            "data": {"values": values, "config": "{}"}}


PLAIN_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": meta("app", "shop"),
             "spec": {"containers": [{"name": "app", "image": "i"}]}}
INJECTION = [
    ("namespace-without-labels", [namespace("shop")], "MD1041", "IST0102", I, True),
    ("namespace-injection-disabled", [namespace("shop", **{"istio-injection": "disabled"})],
     "MD1041", "IST0102", I, False),
    ("namespace-with-revision", [namespace("shop", **{"istio.io/rev": "canary"})], "MD1041", "IST0102", I, False),
    ("istio-system-skipped", [namespace("istio-system")], "MD1041", "IST0102", I, False),
    ("ambient-namespace", [namespace("shop", **{"istio.io/dataplane-mode": "ambient"})],
     "MD1041", "IST0102", I, False),
    ("enabled-by-default", [namespace("shop"), injector_config_map()], "MD1044", "IST0148", I, True),
    ("enabled-by-default-false", [namespace("shop"), injector_config_map(False)], "MD1044", "IST0148", I, False),
    ("injection-and-revision", [namespace("shop", **{"istio-injection": "enabled", "istio.io/rev": "canary"})],
     "MD1043", "IST0123", W, True),
    ("disabled-and-revision", [namespace("shop", **{"istio-injection": "disabled", "istio.io/rev": "canary"})],
     "MD1043", "IST0123", W, False),
    ("revision-and-ambient", [namespace("shop", **{"istio.io/rev": "canary", "istio.io/dataplane-mode": "ambient"})],
     "MD1043", "IST0123", W, True),
    ("pod-without-proxy", [namespace("shop", **{"istio-injection": "enabled"}), PLAIN_POD],
     "MD1042", "IST0103", W, True),
    ("pod-injection-disabled", [namespace("shop", **{"istio-injection": "enabled"}),
                                {**PLAIN_POD, "metadata": meta("app", "shop",
                                                                labels={"sidecar.istio.io/inject": "False"})}],
     "MD1042", "IST0103", W, False),
    ("pod-host-network", [namespace("shop", **{"istio-injection": "enabled"}),
                          {**PLAIN_POD, "spec": {**PLAIN_POD["spec"], "hostNetwork": True}}],
     "MD1042", "IST0103", W, False),
    ("pod-in-revision-namespace", [namespace("shop", **{"istio.io/rev": "canary"}), PLAIN_POD],
     "MD1042", "IST0103", W, False),
    ("pod-with-proxy", [namespace("shop", **{"istio-injection": "enabled"}), pod("app", APP, ns="shop")],
     "MD1042", "IST0103", W, False),
]


# injection/image-auto.go ImageAutoAnalyzer: istio-proxy with image auto on a Pod (IST0147) or on a Deployment no
# Istio webhook selects (IST0146; only with MutatingWebhookConfigurations in the input).
def auto_workload(kind="Deployment", ns="shop", labels=None):
    spec = {"containers": [{"name": "istio-proxy", "image": "auto"}]}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta("gw", ns), "spec": spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("gw", ns),
            "spec": {"template": {"metadata": {"labels": labels or {"app": "gw"}}, "spec": spec}}}


def istio_webhook(namespace_selector=None, object_selector=None, name="namespace.sidecar-injector.istio.io"):
    hook = {"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system"}}}
    if namespace_selector is not None:
        hook["namespaceSelector"] = namespace_selector
    if object_selector is not None:
        hook["objectSelector"] = object_selector
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "istio-sidecar-injector"}, "webhooks": [hook]}


INJECTION_SELECTOR = {"matchLabels": {"istio-injection": "enabled"}}
IMAGE_AUTO = [
    ("pod-image-auto", [auto_workload("Pod")], "MD1046", "IST0147", E, True),
    ("deployment-image-auto-not-selected", [auto_workload(), istio_webhook(INJECTION_SELECTOR),
                                            namespace("shop")], "MD1045", "IST0146", W, True),
    ("deployment-image-auto-selected", [auto_workload(), istio_webhook(INJECTION_SELECTOR),
                                        namespace("shop", **{"istio-injection": "enabled"})],
     "MD1045", "IST0146", W, False),
    ("deployment-image-auto-object-selector", [auto_workload(labels={"sidecar.istio.io/inject": "true"}),
                                               istio_webhook(None, {"matchExpressions": [
                                                   {"key": "sidecar.istio.io/inject", "operator": "In",
                                                    "values": ["true"]}]})], "MD1045", "IST0146", W, False),
    ("non-istio-webhook-does-not-count", [auto_workload(), istio_webhook(name="other.example.com")],
     "MD1045", "IST0146", W, True),
    ("no-webhooks-in-input", [auto_workload()], "MD1045", "IST0146", W, False),
]

# destinationrule/subset.go PodNotSelectedAnalyzer with label.AugmentLabels: a pod also carries its Node's region,
# zone and subzone (when the input holds the Node) and kubernetes.io/hostname = its nodeName.
def node(name="n1", **labels):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


def reviews_dr(subset_labels):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta("reviews"),
            "spec": {"host": "reviews", "subsets": [{"name": "s", "labels": subset_labels}]}}


REVIEWS_SVC = {"apiVersion": "v1", "kind": "Service", "metadata": meta("reviews"),
               "spec": {"selector": APP, "ports": [{"name": "http", "port": 9080}]}}
ON_NODE = {**pod("r1", APP), "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "i"}]}}
REGION = {"topology.kubernetes.io/region": "us-west"}
TOPOLOGY = [
    ("subset-region-from-node", [REVIEWS_SVC, reviews_dr({**APP, **REGION}), ON_NODE, node(**REGION)],
     "MD1007", "IST0173", E, False),
    ("subset-region-node-not-in-input", [REVIEWS_SVC, reviews_dr({**APP, **REGION}), ON_NODE],
     "MD1007", "IST0173", E, True),
    ("subset-other-region", [REVIEWS_SVC, reviews_dr({**APP, **REGION}), ON_NODE,
                             node(**{"topology.kubernetes.io/region": "eu"})], "MD1007", "IST0173", E, True),
    ("subset-zone-from-node", [REVIEWS_SVC, reviews_dr({"topology.kubernetes.io/zone": "a"}), ON_NODE,
                               node(**REGION, **{"topology.kubernetes.io/zone": "a"})], "MD1007", "IST0173", E, False),
    ("subset-subzone-without-zone", [REVIEWS_SVC, reviews_dr({"topology.istio.io/subzone": "s"}), ON_NODE,
                                     node(**REGION, **{"topology.istio.io/subzone": "s"})],
     "MD1007", "IST0173", E, True),
    ("subset-hostname", [REVIEWS_SVC, reviews_dr({"kubernetes.io/hostname": "n1"}), ON_NODE],
     "MD1007", "IST0173", E, False),
]

# multicluster/meshnetworks.go MeshNetworksAnalyzer: fromRegistry must be Mock, Kubernetes, External or a data key of
# a Secret labelled istio/multiCluster=true.
def networks_mesh(registry):
    return {**mesh_config("{}\n"), "data": {"mesh": "{}\n", "meshNetworks": "networks:\n  net1:\n    endpoints:\n"
                                                                    f"    - fromRegistry: {registry}\n"}}


REMOTE_SECRET = {"apiVersion": "v1", "kind": "Secret",
                 "metadata": meta("istio-remote-secret-west", "istio-system", labels={"istio/multiCluster": "true"}),
                 "type": "Opaque", "data": {"west": ""}}
MESH_NETWORKS = [
    ("registry-kubernetes", [networks_mesh("Kubernetes")], "MD1048", "IST0126", E, False),
    ("registry-lowercase", [networks_mesh("kubernetes")], "MD1048", "IST0126", E, True),
    ("registry-remote-cluster", [networks_mesh("west"), REMOTE_SECRET], "MD1048", "IST0126", E, False),
    ("registry-remote-secret-unlabelled", [networks_mesh("west"), {**REMOTE_SECRET, "metadata": meta(
        "istio-remote-secret-west", "istio-system")}], "MD1048", "IST0126", E, True),
    ("no-mesh-networks-key", [NO_DEFAULTS], "MD1048", "IST0126", E, False),
]

# webhook/webhook.go Analyzer: two Istio webhooks matching one namespace/object label permutation (IST0139); a
# webhook's service absent from a design that declares its external resources (IST0139).
def run_closed(docs):
    from meshdesigner.model.project import ProjectSettings

    project = design(*docs)
    project.set_settings(ProjectSettings(external_resources=("istio-system/Service/declared",)))
    return analyze(project)


def injector_webhook(name, namespace_selector, service="istiod"):
    return {**istio_webhook(namespace_selector, name="sidecar-injector.istio.io"),
            "metadata": {"name": name}, "webhooks": [{
                **istio_webhook(namespace_selector, name="sidecar-injector.istio.io")["webhooks"][0],
                "clientConfig": {"service": {"name": service, "namespace": "istio-system"}}}]}


ISTIOD_SVC = {"apiVersion": "v1", "kind": "Service", "metadata": meta("istiod", "istio-system"),
              "spec": {"selector": {"app": "istiod"}, "ports": [{"name": "https-webhook", "port": 443}]}}
ENABLED = {"matchLabels": {"istio-injection": "enabled"}}
WEBHOOKS = [
    ("two-webhooks-same-selector", [injector_webhook("a", ENABLED), injector_webhook("b", ENABLED)],
     "MD1049", "IST0139", E, True),
    ("webhooks-by-revision", [injector_webhook("a", ENABLED), injector_webhook("b", {"matchLabels": {
        "istio.io/rev": "canary"}, "matchExpressions": [{"key": "istio-injection", "operator": "DoesNotExist"}]})],
     "MD1049", "IST0139", E, False),
    ("non-istio-webhooks", [{**injector_webhook("a", ENABLED), "webhooks": [{
        **injector_webhook("a", ENABLED)["webhooks"][0], "name": "a.example.com"}]},
        {**injector_webhook("b", ENABLED), "webhooks": [{
            **injector_webhook("b", ENABLED)["webhooks"][0], "name": "b.example.com"}]}], "MD1049", "IST0139", E,
     False),
]


@pytest.mark.parametrize(("docs", "triggers"), [
    ([injector_webhook("a", ENABLED, service="missing"), ISTIOD_SVC], True),
    ([injector_webhook("a", ENABLED), ISTIOD_SVC], False),
    ([injector_webhook("a", ENABLED, service="declared")], False),
], ids=["service-missing", "service-in-design", "service-declared-external"])
def test_webhook_service_in_a_closed_world(docs, triggers):
    found = [d for d in run_closed(docs) if d.code == "MD1050"]
    assert bool(found) == triggers and all(d.istio_code == "IST0139" and d.severity == E for d in found)


def test_webhook_service_not_checked_in_an_open_world():
    assert not [d for d in analyze(design(injector_webhook("a", ENABLED, service="missing"))) if d.code == "MD1050"]


# injection/injection-image.go ImageAnalyzer + util/proxyconfig.go ImageType: pods of injected namespaces whose
# istio-proxy image is neither the injector's (hub/image:tag) nor that image with -<variant> (IST0158).
def image_injector(hub="docker.io/istio", tag="1.30.0"):
    values = json.dumps({"global": {"hub": hub, "tag": tag, "proxy": {"image": "proxyv2"}}})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("istio-sidecar-injector", "istio-system"),
            "data": {"values": values, "config": "{}"}}


def proxy_pod(image, annotations=None):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta("app", "shop", **(
        {"annotations": annotations} if annotations else {})),
            "spec": {"containers": [{"name": "app", "image": "i"}, {"name": "istio-proxy", "image": image}]}}


INJECTED_NS = namespace("shop", **{"istio-injection": "enabled"})
DISTROLESS_MESH = mesh_config("defaultConfig:\n  image:\n    imageType: distroless\n")
CURRENT = "docker.io/istio/proxyv2:1.30.0"
PROXY_IMAGES = [
    ("proxy-image-old", [image_injector(), INJECTED_NS, proxy_pod("docker.io/istio/proxyv2:1.29.0")],
     "MD1051", "IST0158", W, True),
    ("proxy-image-current", [image_injector(), INJECTED_NS, proxy_pod(CURRENT)], "MD1051", "IST0158", W, False),
    ("proxy-image-namespace-not-injected", [image_injector(), namespace("shop"),
                                            proxy_pod("docker.io/istio/proxyv2:1.29.0")], "MD1051", "IST0158", W,
     False),
    ("proxy-image-custom-annotation", [image_injector(), INJECTED_NS, proxy_pod(
        "example.com/proxy:1", {"sidecar.istio.io/proxyImage": "example.com/proxy:1"})], "MD1051", "IST0158", W,
     False),
    ("proxy-image-no-injector-config", [INJECTED_NS, proxy_pod("docker.io/istio/proxyv2:1.29.0")],
     "MD1051", "IST0158", W, False),
    ("distroless-variant-from-mesh-config", [image_injector(), INJECTED_NS, DISTROLESS_MESH,
                                             proxy_pod(CURRENT + "-distroless")], "MD1051", "IST0158", W, False),
    ("plain-image-distroless-mesh", [image_injector(), INJECTED_NS, DISTROLESS_MESH, proxy_pod(CURRENT)],
     "MD1051", "IST0158", W, False),
    ("other-variant-than-mesh-config", [image_injector(), INJECTED_NS, DISTROLESS_MESH,
                                        proxy_pod(CURRENT + "-debug")], "MD1051", "IST0158", W, True),
    ("variant-unknown-without-mesh-config", [image_injector(), INJECTED_NS, proxy_pod(CURRENT + "-distroless")],
     "MD1051", "IST0158", W, False),
    ("variant-from-pod-annotation", [image_injector(), INJECTED_NS, proxy_pod(CURRENT + "-distroless", {
        "proxy.istio.io/config": "image:\n  imageType: debug\n"})], "MD1051", "IST0158", W, True),
]

# externalcontrolplane/externalcontrolplane.go: Istio's webhook configurations reaching an external istiod by url:
# unparsable or blank (IST0163), an IP address (IST0164).
def control_plane_webhook(kind="MutatingWebhookConfiguration", name="istio-sidecar-injector-external", url=None,
                          service=False):
    client = {"url": url} if url is not None else {}
    if service:
        client["service"] = {"name": "istiod", "namespace": "istio-system"}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": [{"name": "rev.namespace.sidecar-injector.istio.io", "clientConfig": client,
                          "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}


EXTERNAL_CONTROL_PLANE = [
    ("webhook-url-blank", [control_plane_webhook()], "MD1052", "IST0163", W, True),
    ("validator-url-blank", [control_plane_webhook("ValidatingWebhookConfiguration", "istio-validator-external")],
     "MD1052", "IST0163", W, True),
    ("webhook-url-bad-escape", [control_plane_webhook(url="https://istiod.example.com:15017/inject/%zz")],
     "MD1052", "IST0163", W, True),
    ("webhook-url-hostname", [control_plane_webhook(url="https://istiod.example.com:15017/inject")],
     "MD1052", "IST0163", W, False),
    ("webhook-service", [control_plane_webhook(service=True)], "MD1052", "IST0163", W, False),
    ("other-webhook-name", [control_plane_webhook(name="other-injector")], "MD1052", "IST0163", W, False),
    ("webhook-url-ip", [control_plane_webhook(url="https://10.0.0.1:15017/inject")], "MD1053", "IST0164", I, True),
    ("webhook-url-hostname-not-ip", [control_plane_webhook(url="https://istiod.example.com:15017/inject")],
     "MD1053", "IST0164", I, False),
]

TABLES = (EXTERNAL_CONTROL_PLANE + PROXY_IMAGES + WEBHOOKS + MESH_NETWORKS + TOPOLOGY + PROTOCOL_ADDRESSES + INJECTION + IMAGE_AUTO + ANNOTATIONS + CRD_VERSIONS + APPLICATION_UID + SERVICE_ASSOCIATION + BLOCKED_CIDRS + SIDECARS + DEPRECATION + TELEMETRY_DEFAULT + TELEMETRY_SELECTOR + PROVIDERS + LIGHTSTEP + ROOT_NAMESPACE
          + ENVOY_FILTERS + K8S_GATEWAY_SELECTOR)


@pytest.mark.parametrize(("case", "docs", "code", "istio", "severity", "triggers"), TABLES,
                         ids=[row[0] for row in TABLES])
def test_ported_analyzer(case, docs, code, istio, severity, triggers):
    found = [d for d in analyze(design(*docs)) if d.code == code]
    if triggers:
        assert found, f"{case}: {code} not reported"
        assert all(d.istio_code == istio and d.severity == severity for d in found), [d.format() for d in found]
    else:
        assert not found, [d.format() for d in found]


def test_edits_of_policies_and_context_objects_re_run_the_ports():
    """The engine re-runs these design rules after an edit of the policies or the kept objects (they read no
    node), and the incremental result equals a full analysis."""
    from meshdesigner.analysis import Analyzer
    from meshdesigner.model.security import policy_from_manifest

    project = design(telemetry("a"), pod("p", APP))
    analyzer = Analyzer(project)
    assert "MD1017" not in {d.code for d in analyzer.refresh()}
    project.add_policy(policy_from_manifest(telemetry("b")))
    after = analyzer.refresh()
    assert "MD1017" in {d.code for d in after} and after == analyze(project)
    project.set_extra_resources([pod("p", APP), sidecar("a"), sidecar("b"), ROOT_MESH])
    after = analyzer.refresh()
    assert {"MD1015", "MD1017"} <= {d.code for d in after} and after == analyze(project)
    project.remove_policy(("Telemetry", "default", "b"))
    after = analyzer.refresh()
    assert "MD1017" not in {d.code for d in after} and after == analyze(project)


def test_the_mesh_config_root_namespace_reaches_the_authz_port_through_validate(tmp_path, capsys):
    from meshdesigner.cli import main

    path = tmp_path / "in.yaml"
    policy = ("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ap, namespace: "
              "mesh-root}\nspec: {}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n"
              "spec: {containers: [{name: istio-proxy, image: proxyv2}]}\n")
    path.write_text(policy)
    main(["validate", str(path)])
    assert "MD1009" in capsys.readouterr().out     # mesh-root is an ordinary namespace without pods
    path.write_text(policy + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: "
                             "istio-system}\ndata:\n  mesh: |\n    rootNamespace: mesh-root\n")
    main(["validate", str(path)])
    captured = capsys.readouterr()
    assert "MD1009" not in captured.out and "ConfigMap" not in captured.err   # mesh-wide; the ConfigMap is read
