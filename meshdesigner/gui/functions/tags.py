"""The tags a gateway card shows for its functions (Qt-free: text, colour, description)."""

from __future__ import annotations

from ...model.nodes import GatewayNode

# Okabe-Ito hues not used for node kinds or severities, plus neutral greys.
TAG_COLOURS = {"FW": "#56B4E9", "JWT": "#7B61A8", "mTLS": "#009E73", "CACHE": "#5A7D8C", "RL": "#B0683A",
               "LOG": "#6E6E6E"}


def function_tags(node) -> list[tuple[str, str, str]]:
    """``[(text, colour, description)]`` for a gateway's functions, in a fixed order."""
    if not isinstance(node, GatewayNode):
        return []
    out = []
    functions = node.functions
    if functions is not None and functions.firewall is not None and functions.firewall.rules:
        deny = len(functions.firewall.rules_for("DENY"))
        allow = len(functions.firewall.rules_for("ALLOW"))
        out.append(("FW", f"firewall: {deny} deny, {allow} allow rule(s)"))
    if functions is not None and functions.jwt is not None and (functions.jwt.rules or functions.jwt.require_principal):
        issuers = ", ".join(r.issuer for r in functions.jwt.rules) or "no issuer"
        required = "; a valid token is required" if functions.jwt.require_principal else ""
        out.append(("JWT", f"JWT from {issuers}{required}"))
    mutual = sorted({s.port.number for s in node.gateway.spec.servers or []
                     if s.tls is not None and s.tls.mode in ("MUTUAL", "OPTIONAL_MUTUAL")})
    if mutual:
        out.append(("mTLS", f"client certificates (MUTUAL TLS) on port {', '.join(map(str, mutual))}"))
    if functions is not None and functions.cache is not None:
        scope = "every route" if functions.cache.routes is None else ", ".join(map(str, functions.cache.routes))
        out.append(("CACHE", f"response cache on {scope}"))
    if functions is not None and functions.rate_limits:
        parts = [f"{r.tokens_per_fill}/{r.fill_interval}" + (f" on {r.route}" if r.route else "")
                 for r in functions.rate_limits]
        out.append(("RL", "rate limit " + "; ".join(parts)))
    if functions is not None and functions.access_log is not None and not functions.access_log.disabled:
        out.append(("LOG", f"access log ({functions.access_log.provider})"))
    return [(text, TAG_COLOURS[text], description) for text, description in out]
