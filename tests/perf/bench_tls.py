"""Issue 5: the certificate rules on the 2,000-resource mesh (95 HTTPS gateways with credentialName).

Budgets: the IST0138 rule (a node rule now: after an edit it re-runs only on the gateways sharing a
certificate with the edited one) run on every gateway, as a full validation does, stays under 10 ms;
the per-gateway rules read and check every local certificate, well under a second for all 95 gateways.
"""

from __future__ import annotations

import os
import tempfile


def run(ctx) -> dict:
    from meshdesigner.analysis import Analyzer, registered_rules
    from meshdesigner.analysis.context import Context
    from meshdesigner.analysis.index import DesignIndex
    from meshdesigner.analysis.rules import tls_certificates
    from meshdesigner.tls.generate import create_ca, create_server_cert, write_pair
    from meshdesigner.tls.sources import certificate_location

    project = ctx.project
    rules = [r for r in registered_rules() if r.module == tls_certificates.__name__]
    node_rules = [r for r in rules if r.scope == "node"]
    index = DesignIndex(project)
    design_ctx = Context(project, index)

    gateways = project.gateways()

    def duplicate_rule() -> None:
        for node in gateways:
            list(tls_certificates.duplicate_certificate(design_ctx, node))

    def analyze_tls() -> int:
        return len(Analyzer(project, rules=node_rules).refresh())

    with tempfile.TemporaryDirectory(prefix="meshdesigner-bench-tls-") as base:
        with certificate_location(base):
            no_files = ctx.best_of(analyze_tls, 3)
        ca = create_ca(key_type="ec")
        credentials = os.path.join(base, "credentials")
        for node in project.gateways():
            for server in node.gateway.spec.servers or []:
                if server.tls is not None and server.tls.credential_name:
                    pair = create_server_cert(ca, server.hosts, key_type="ec")
                    write_pair(pair, os.path.join(credentials, server.tls.credential_name))
        with certificate_location(base):
            tls_certificates._read_chain.cache_clear()
            tls_certificates._read_key.cache_clear()
            first = ctx.best_of(analyze_tls, 1)      # reads and parses 95 certificates and keys
            again = ctx.best_of(analyze_tls, 3)      # file contents cached by (path, mtime, size)
            assert analyze_tls() == 0, "the generated certificates should pass every check"
    return {
        "tls.duplicate_rule_ms": ctx.metric(ctx.best_of(duplicate_rule, 5) * 1000, "ms", 10.0),
        "tls.rules_no_local_files_seconds": ctx.metric(no_files, "s", 0.5),
        "tls.rules_95_credentials_first_seconds": ctx.metric(first, "s", 1.0),
        "tls.rules_95_credentials_cached_seconds": ctx.metric(again, "s", 0.5),
    }
