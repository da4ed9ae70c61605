"""The tags a gateway card shows for its functions (Qt-free: text, colour, description).

Functions are the real resources applying to the gateway's workload, recognised by shape
(:mod:`meshdesigner.model.functions_view`): a hand-written rate-limit EnvoyFilter gets the same "RL" tag
as one made in the app. Client certificates come from the Gateway's MUTUAL TLS servers.
"""

from __future__ import annotations

from ...compile.security import security_plan
from ...model import functions_view as fv
from ...model.nodes import GatewayNode

# Okabe-Ito hues not used for node kinds or severities, plus neutral greys.
TAG_COLOURS = {"FW": "#56B4E9", "JWT": "#7B61A8", "mTLS": "#009E73", "CACHE": "#5A7D8C", "RL": "#B0683A",
               "LOG": "#6E6E6E"}
TAG_OF_KIND = {fv.IP_DENY: "FW", fv.IP_ALLOW: "FW", fv.DENY: "FW", fv.ALLOW: "FW", fv.JWT: "JWT",
               fv.REQUIRE_JWT: "JWT", fv.CACHE: "CACHE", fv.RATE_LIMIT: "RL", fv.ACCESS_LOG: "LOG"}
TAG_ORDER = ("FW", "JWT", "mTLS", "CACHE", "RL", "LOG")


def function_tags(project, node) -> list[tuple[str, str, str]]:
    """``[(text, colour, description)]`` for a gateway's functions, in a fixed order."""
    if not isinstance(node, GatewayNode):
        return []
    found: dict[str, list[str]] = {}
    if project is not None and project.policies:
        # The workload's security plan is memoized per design state: cards repaint often.
        policies = security_plan(project, node).policies
        for function in fv.as_functions(policies, project.settings.root_namespace):
            tag = TAG_OF_KIND.get(function.kind)
            if tag is not None:
                found.setdefault(tag, []).append(f"{function.title}: {function.summary} "
                                                 f"({function.resource.KIND} {function.resource.name})")
    mutual = sorted({s.port.number for s in node.gateway.spec.servers or []
                     if s.tls is not None and s.tls.mode in ("MUTUAL", "OPTIONAL_MUTUAL")})
    if mutual:
        found["mTLS"] = [f"client certificates (MUTUAL TLS) on port {', '.join(map(str, mutual))}"]
    return [(tag, TAG_COLOURS[tag], "; ".join(found[tag])) for tag in TAG_ORDER if tag in found]
