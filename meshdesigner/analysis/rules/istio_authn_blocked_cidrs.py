"""Istio's blocked-CIDRs analyzer (MD1032), ported from istio/istio
``pkg/config/analysis/analyzers/authn/blockedcidrs.go`` (BlockedCIDRsAnalyzer.Analyze): when RequestAuthentications
exist, each Deployment labelled ``app: istiod`` whose containers set no non-empty ``BLOCKED_CIDRS_IN_JWKS_URIS``
is IST0175. Only when the input holds the istiod Deployment (a design does not know the control plane's
settings otherwise).
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

JWKS_FETCH_UNRESTRICTED = register(MessageType(
    "MD1032", "JwksUriFetchUnrestricted", WARNING,
    template="BLOCKED_CIDRS_IN_JWKS_URIS is not configured but {count} RequestAuthentication resource(s) exist "
             "({names}). Consider configuring it to restrict JWKS URI fetches to trusted networks.",
    explain="istiod fetches every jwksUri of the RequestAuthentications itself; the istiod Deployment of the "
            "input does not set BLOCKED_CIDRS_IN_JWKS_URIS, so a jwksUri may make istiod call any address, "
            "internal ones included (authn/blockedcidrs.go BlockedCIDRsAnalyzer, IST0175). Set the variable on "
            "istiod's container to the networks it must not reach.",
    istio="IST0175"))


def _names(names: list[str]) -> str:
    """formatRANames: at most five, then 'and N more'."""
    if len(names) <= 5:
        return ", ".join(names)
    return f"{', '.join(names[:5])}, and {len(names) - 5} more"


def _has_blocked_cidrs(deployment: dict) -> bool:
    containers = items(mapping(mapping(mapping(deployment.get("spec")).get("template")).get("spec"))
                       .get("containers"))
    return any(mapping(env).get("name") == "BLOCKED_CIDRS_IN_JWKS_URIS" and mapping(env).get("value")
               for container in containers for env in items(mapping(container).get("env")))


@rule("istio.authn_blocked_cidrs", codes=("MD1032",), kinds=(), scope=DESIGN)
def authn_blocked_cidrs(ctx):
    istiods = [d for d in ctx.cluster.deployments
               if mapping(mapping(d.get("metadata")).get("labels")).get("app") == "istiod"]
    if not istiods:
        return
    names = [f"{r.namespace}/{r.name}" for r in map(ref_of, ctx.istio_objects("RequestAuthentication"))]
    if not names:
        return
    for deployment in istiods:
        if not _has_blocked_cidrs(deployment):
            yield JWKS_FETCH_UNRESTRICTED.at(ref_of(deployment), "spec.template.spec.containers",
                                             count=len(names), names=_names(names))
