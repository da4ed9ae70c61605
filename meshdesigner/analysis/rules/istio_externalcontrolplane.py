"""Istio's external control plane analyzer (MD1052, MD1053), ported from istio/istio
``pkg/config/analysis/analyzers/externalcontrolplane/externalcontrolplane.go``
(ExternalControlPlaneAnalyzer.Analyze, lintWebhookURL) over the webhook configurations of the input: Istio's
ValidatingWebhookConfigurations (``istiod-default-validator``, ``istio-validator*``) and
MutatingWebhookConfigurations (``istio-sidecar-injector*``). For each webhook:

* a ``clientConfig.url`` that does not parse: IST0163 (MD1052); one whose host is an IP address: IST0164
  (MD1053, info);
* neither ``url`` nor ``service``: IST0163 "is blank".

Go's url.Parse is approximated: it refuses control characters and spaces, a '%' not followed by two hex digits,
and a URL that starts with ':' (missing scheme).
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from ..catalogue import MessageType
from ..diagnostic import INFO, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

INVALID_EXTERNAL_CONTROL_PLANE = register(MessageType(
    "MD1052", "InvalidExternalControlPlaneConfig", WARNING,
    template="The hostname ({hostname}) that was provided for the webhook ({webhook}) to reach the ingress gateway "
             "on the external control plane cluster {problem}. Traffic may not flow properly.",
    explain="An Istio webhook of the input reaches an external control plane through clientConfig.url; this URL "
            "cannot be parsed, or the webhook names neither a url nor a service "
            "(externalcontrolplane/externalcontrolplane.go, IST0163). Set a valid https URL of the external "
            "istiod's ingress gateway.",
    istio="IST0163"))
EXTERNAL_CONTROL_PLANE_IP = register(MessageType(
    "MD1053", "ExternalControlPlaneAddressIsNotAHostname", INFO,
    template="The address ({hostname}) that was provided for the webhook ({webhook}) to reach the ingress gateway "
             "on the external control plane cluster is an IP address. This is not recommended for a production "
             "environment.",
    explain="The webhook reaches the external control plane by IP address; a hostname survives the gateway's "
            "address changing and can match its certificate (externalcontrolplane/externalcontrolplane.go, "
            "IST0164).",
    istio="IST0164"))

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _url_problem_or_host(url: str) -> tuple[str | None, str]:
    """lintWebhookURL: (problem, hostname)."""
    if any(ord(c) < 0x20 or c in " \x7f" for c in url) or _BAD_ESCAPE.search(url) or url.startswith(":"):
        return "was provided in an invalid format", ""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return "was provided in an invalid format", ""
    return None, host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _webhook_findings(config: dict):
    ref = ref_of(config)
    for i, hook in enumerate(items(config.get("webhooks"))):
        hook = mapping(hook)
        name, client = str(hook.get("name") or ""), mapping(hook.get("clientConfig"))
        path = f"webhooks[{i}].clientConfig"
        if isinstance(client.get("url"), str):
            problem, host = _url_problem_or_host(client["url"])
            if problem:
                yield INVALID_EXTERNAL_CONTROL_PLANE.at(ref, f"{path}.url", hostname=client["url"], webhook=name,
                                                        problem=problem)
            elif _is_ip(host):
                yield EXTERNAL_CONTROL_PLANE_IP.at(ref, f"{path}.url", hostname=client["url"], webhook=name)
        elif client.get("service") is None:
            yield INVALID_EXTERNAL_CONTROL_PLANE.at(ref, path, hostname="", webhook=name, problem="is blank")


@rule("istio.externalcontrolplane", codes=("MD1052", "MD1053"), kinds=(), scope=DESIGN)
def externalcontrolplane(ctx):
    cluster = ctx.cluster
    for config in cluster.validating_webhooks:
        name = ref_of(config).name
        if name == "istiod-default-validator" or name.startswith("istio-validator"):
            yield from _webhook_findings(config)
    for config in cluster.mutating_webhooks:
        if ref_of(config).name.startswith("istio-sidecar-injector"):
            yield from _webhook_findings(config)
