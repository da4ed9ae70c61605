"""Istio's Gateway API CRD version analyzer (MD1036), ported from istio/istio
``pkg/config/analysis/analyzers/k8sgateway/crdversion.go`` (CRDVersionAnalyzer.analyzeCRD) with the minimum
versions of ``pkg/config/schema/gatewayapi/minimumversions.go`` (istio master 86c9f01, after 1.31.0-rc.0): a
CustomResourceDefinition of the input named in that table whose ``gateway.networking.k8s.io/bundle-version``
annotation, pre-release dropped, is below the minimum is IST0176; istiod does not watch it, so objects of that
kind are never processed. No annotation, or one that is not a version: nothing (as Istio).
"""

from __future__ import annotations

import re

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, ref_of

BUNDLE_VERSION = "gateway.networking.k8s.io/bundle-version"
MINIMUM_CRD_VERSIONS = {
    "grpcroutes.gateway.networking.k8s.io": (1, 1, 0),
    "backendtlspolicies.gateway.networking.k8s.io": (1, 4, 0),
    "tlsroutes.gateway.networking.k8s.io": (1, 5, 0),
    "tcproutes.gateway.networking.k8s.io": (1, 6, 0),
}
# Masterminds semver.NewVersion (loose: a leading v, minor and patch optional)
_SEMVER = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?")

CRD_VERSION_BELOW_MINIMUM = register(MessageType(
    "MD1036", "GatewayAPICRDVersionBelowMinimum", WARNING,
    template="Gateway API CRD {crd!r} is at version {installed!r} but Istio requires at least {minimum!r}; "
             "resources of this kind will not be processed. Upgrade the Gateway API CRDs to satisfy the minimum "
             "version.",
    explain="istiod only watches Gateway API CRDs at or above the bundle version it was built for; this CRD of "
            "the input is older, so its routes or policies are silently ignored (k8sgateway/crdversion.go "
            "CRDVersionAnalyzer, IST0176). Install the Gateway API release Istio requires.",
    istio="IST0176"))


def _version_text(match: re.Match) -> str:
    """Version.String(): major.minor.patch[-pre][+meta], without the leading v."""
    major, minor, patch, pre, meta = match.groups()
    return f"{major}.{minor or 0}.{patch or 0}" + (f"-{pre}" if pre else "") + (f"+{meta}" if meta else "")


@rule("istio.k8sgateway_crd_version", codes=("MD1036",), kinds=(), scope=DESIGN)
def k8sgateway_crd_version(ctx):
    for crd in ctx.cluster.crds:
        md = mapping(crd.get("metadata"))
        minimum = MINIMUM_CRD_VERSIONS.get(str(md.get("name")))
        bundle = mapping(md.get("annotations")).get(BUNDLE_VERSION)
        if minimum is None or not isinstance(bundle, str):
            continue
        match = _SEMVER.fullmatch(bundle)
        if match is None:
            continue
        installed = tuple(int(part or 0) for part in match.groups()[:3])
        if installed < minimum:
            yield CRD_VERSION_BELOW_MINIMUM.at(ref_of(crd), f"metadata.annotations[{BUNDLE_VERSION}]",
                                               crd=str(md.get("name")), installed=_version_text(match),
                                               minimum=".".join(map(str, minimum)))
