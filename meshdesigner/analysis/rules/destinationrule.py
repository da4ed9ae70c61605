"""DestinationRule webhook rules (MD0320–MD0324) and upstream certificate verification (MD0408/MD0409)."""

from __future__ import annotations

from .. import messages as m
from ..checks import dns1123_label, label_problem, wildcard_domain
from ..registry import rule

HOLDERS = ("mesh-service", "external-service")
CLIENT_TLS_MODES = ("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")


def _rule_of(node):
    return getattr(node, "destination_rule", None)


@rule("destinationrule.host", codes=("MD0320",), kinds=HOLDERS, needs="destination_rule")
def host(ctx, node):
    dr = _rule_of(node)
    if dr is None:
        return
    reason = "host must not be empty" if not dr.spec.host else wildcard_domain(dr.spec.host)
    if reason:
        yield m.DR_HOST_INVALID.at(dr.ref, "spec.host", host=dr.spec.host, reason=reason)


@rule("destinationrule.subsets", codes=("MD0321",), kinds=HOLDERS, needs="destination_rule")
def subsets(ctx, node):
    dr = _rule_of(node)
    if dr is None:
        return
    seen: set[str] = set()
    for i, subset in enumerate(dr.spec.subsets or []):
        path = f"spec.subsets[{i}]"
        if subset.name in seen:
            yield m.DR_SUBSETS_INVALID.at(dr.ref, f"{path}.name", reason=f"duplicate subset names: {subset.name}")
        elif dns1123_label(subset.name):
            yield m.DR_SUBSETS_INVALID.at(dr.ref, f"{path}.name", reason=f"subset name is invalid: {subset.name}")
        seen.add(subset.name)
        for key, value in (subset.labels or {}).items():
            reason = label_problem(key, value)
            if reason:
                yield m.DR_SUBSETS_INVALID.at(dr.ref, f"{path}.labels[{key}]", reason=reason)


def _policies(dr):
    """``(path, TrafficPolicy)`` of the rule and of each subset."""
    if dr.spec.traffic_policy is not None:
        yield "spec.trafficPolicy", dr.spec.traffic_policy
    for i, subset in enumerate(dr.spec.subsets or []):
        if subset.traffic_policy is not None:
            yield f"spec.subsets[{i}].trafficPolicy", subset.traffic_policy


def _client_tls(dr):
    for path, policy in _policies(dr):
        if policy.tls is not None:
            yield f"{path}.tls", policy.tls
        for j, port_policy in enumerate(policy.port_level_settings or []):
            if port_policy.tls is not None:
                yield f"{path}.portLevelSettings[{j}].tls", port_policy.tls


def client_tls_problems(tls):
    if tls.mode is not None and tls.mode not in CLIENT_TLS_MODES:
        yield "mode", f"mode {tls.mode!r} is not one of {', '.join(CLIENT_TLS_MODES)}"
    if tls.mode == "MUTUAL" and not tls.credential_name:
        if not tls.client_certificate:
            yield "clientCertificate", "client certificate required for mutual tls"
        if not tls.private_key:
            yield "privateKey", "private key required for mutual tls"
    if tls.credential_name and (tls.client_certificate or tls.private_key or tls.ca_certificates or tls.ca_crl):
        yield "credentialName", "cannot specify client certificates or CA certificate or CA CRL if credentialName " \
                                "is set"
    if tls.insecure_skip_verify and (tls.ca_certificates or tls.credential_name or tls.subject_alt_names):
        yield "insecureSkipVerify", "cannot specify CaCertificates or CredentialName or SubjectAltNames when " \
                                    "InsecureSkipVerify is set true"


@rule("destinationrule.client_tls", codes=("MD0322",), kinds=HOLDERS, needs="destination_rule")
def client_tls(ctx, node):
    dr = _rule_of(node)
    if dr is None:
        return
    for path, tls in _client_tls(dr):
        for field, reason in client_tls_problems(tls):
            yield m.DR_TLS_INVALID.at(dr.ref, f"{path}.{field}", reason=reason)


@rule("destinationrule.port_policies", codes=("MD0323",), kinds=HOLDERS, needs="destination_rule")
def port_policies(ctx, node):
    dr = _rule_of(node)
    if dr is None:
        return
    for path, policy in _policies(dr):
        for j, port_policy in enumerate(policy.port_level_settings or []):
            ppath = f"{path}.portLevelSettings[{j}]"
            number = port_policy.port.number if port_policy.port else None
            if number is None or not 1 <= number <= 65535:
                yield m.DR_PORT_POLICY_INVALID.at(dr.ref, f"{ppath}.port", reason="portTrafficPolicy must have "
                                                                                 "valid port")
            fields = port_policy.model_dump(exclude_none=True, exclude={"port"})
            if not fields:
                yield m.DR_PORT_POLICY_INVALID.at(dr.ref, ppath, reason="port traffic policy must have at least "
                                                                        "one field")


@rule("destinationrule.export_with_selector", codes=("MD0324",), kinds=HOLDERS, needs="destination_rule")
def export_with_selector(ctx, node):
    dr = _rule_of(node)
    if dr is None or dr.spec.workload_selector is None:
        return
    # validateExportTo(..., isDestinationRuleWithSelector): only a non-empty exportTo is checked
    if any(v not in (".", dr.namespace) for v in dr.spec.export_to or []):
        yield m.DR_EXPORT_WITH_SELECTOR.at(dr.ref, "spec.exportTo")


@rule("destinationrule.ca_certificates", codes=("MD0408", "MD0409"), kinds=HOLDERS, needs="destination_rule")
def ca_certificates(ctx, node):
    """IST0128/IST0129: SIMPLE/MUTUAL upstream TLS that does not verify the server."""
    dr = _rule_of(node)
    if dr is None or dr.spec.traffic_policy is None:
        return
    policy = dr.spec.traffic_policy

    def unverified(tls) -> bool:
        if tls is None or tls.mode not in ("SIMPLE", "MUTUAL") or tls.ca_certificates or tls.insecure_skip_verify:
            return False
        return not (tls.credential_name and dr.spec.workload_selector is not None)

    if unverified(policy.tls):
        yield m.DR_NO_CA.at(dr.ref, "spec.trafficPolicy.tls", mode=policy.tls.mode, host=dr.spec.host)
    for j, port_policy in enumerate(policy.port_level_settings or []):
        if unverified(port_policy.tls):
            port = port_policy.port.number if port_policy.port else "?"
            yield m.DR_PORT_NO_CA.at(dr.ref, f"spec.trafficPolicy.portLevelSettings[{j}].tls",
                                     mode=port_policy.tls.mode, host=dr.spec.host, port=port)
