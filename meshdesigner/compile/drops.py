"""Codes of what the compiler drops as istiod does.

Drops with a check of their own elsewhere keep that code (a rule without action MD0216, a duplicate SNI
route MD0420, a delegate that names nothing MD0511);
the rest are MD08xx, reported by ``analysis/rules/compile_drops.py`` (catalogue entries there).
"""

from __future__ import annotations

SERVER_UNSUPPORTED = "MD0801"      # a server whose protocol/TLS has no Envoy equivalent
PORT_CONFLICT = "MD0802"           # mergeGateways: protocols that cannot share a port (same bind)
DUPLICATE_TLS_HOST = "MD0803"      # mergeGateways CheckDuplicates: a TLS host twice on one port
DUPLICATE_ROUTE_NAME = "MD0804"    # mergeGateways: two HTTPS servers with one route name
NO_TCP_ROUTE = "MD0805"            # a TCP/TLS server without a matching tcp route gets no filter chain
NOTHING_TO_SERVE = "MD0806"        # a port left without any filter chain
DELEGATE_CONFLICT = "MD0807"       # a delegate child's rule whose match conflicts with its root's (mergeHTTPRoute)

DUPLICATE_SNI_ROUTE = "MD0420"     # a tls route whose SNI hosts are already routed on the port
RULE_WITHOUT_ACTION = "MD0216"     # an http rule without route, redirect or direct response
DELEGATE_MISSING = "MD0511"        # a delegate naming no VirtualService (or one with hosts)

COMPILER_CODES = (SERVER_UNSUPPORTED, PORT_CONFLICT, DUPLICATE_TLS_HOST, DUPLICATE_ROUTE_NAME, NO_TCP_ROUTE,
                  NOTHING_TO_SERVE, DELEGATE_CONFLICT)
