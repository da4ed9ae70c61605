"""Meta-tests: the catalogue, the registry, the grid and the mapping to Istio's checks agree."""

from __future__ import annotations

import json
import re
import string

import pytest

from meshdesigner.analysis import coverage, registered_rules
from meshdesigner.analysis.messages import BY_CODE, CATALOGUE
from meshdesigner.analysis.registry import load_rules

from .grid import CASES

OWN_RANGES = ("MD00", "MD01", "MD02", "MD03", "MD04", "MD05")
RELEVANT_KINDS = {"All", "Gateway", "VirtualService", "DestinationRule", "ServiceEntry"}


@pytest.fixture(scope="module", autouse=True)
def _rules_loaded():
    load_rules()


def own_codes() -> list[str]:
    return [m.code for m in CATALOGUE if m.code.startswith(OWN_RANGES)]


def test_codes_unique_sorted_and_well_formed():
    codes = [m.code for m in CATALOGUE]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"MD\d{4}", c) for c in codes)
    names = [m.name for m in CATALOGUE]
    assert len(names) == len(set(names)), "message names must be unique too"


def test_every_code_is_explained():
    for msg in CATALOGUE:
        assert len(msg.explain) > 40 and msg.explain.endswith("."), msg.code
        fields = [f for _, f, _, _ in string.Formatter().parse(msg.template) if f]
        assert all(re.fullmatch(r"\w+", f.split("!")[0]) for f in fields), msg.code


def test_every_own_code_has_a_trigger_and_a_silent_case():
    in_grid = [code for code, _, _ in CASES]
    assert len(in_grid) == len(set(in_grid)), "one grid row per code"
    assert sorted(in_grid) == own_codes()
    for code, trigger, silent in CASES:
        assert trigger and silent, code


def test_rules_declare_existing_codes_and_every_code_has_a_rule():
    declared: dict[str, list[str]] = {}
    for r in registered_rules():
        assert r.codes, r.name
        for code in r.codes:
            assert code in BY_CODE, f"rule {r.name} declares unknown code {code}"
            declared.setdefault(code, []).append(r.name)
    missing = [c for c in own_codes() if c not in declared]
    assert not missing, f"codes no rule emits: {missing}"


# Rule modules of other areas and their ranges (module name prefix -> code prefix).
AREA_RANGES = {"tls_": "MD06", "functions_": "MD07", "compile_": "MD08", "security_": "MD09", "istio_": "MD10", "egress_": "MD11",
               "names_": "MD12"}


def test_rule_files_stay_in_their_ranges():
    for r in registered_rules():
        module = r.module.rsplit(".", 1)[-1]
        area = next((code for prefix, code in AREA_RANGES.items() if module.startswith(prefix)), None)
        for code in r.codes:
            assert code.startswith(area or OWN_RANGES), (r.name, code)


def test_every_webhook_rule_is_mapped(oracle):
    rules = json.loads((oracle / "istio-analysis" / "validation-rules.json").read_text())["rules"]
    relevant = {r["id"] for r in rules if r["kind"] in RELEVANT_KINDS}
    mapped = set(coverage.WEBHOOK_RULES)
    not_applicable = set(coverage.WEBHOOK_NOT_APPLICABLE)
    assert not mapped & not_applicable
    assert relevant == mapped | not_applicable, (relevant - mapped - not_applicable, mapped - relevant)
    for codes in coverage.WEBHOOK_RULES.values():
        for code in codes:
            msg = BY_CODE[code]
            assert msg.istio in ("IST0106", "IST0133", "IST0130", "IST0131", "IST0002", "IST0134", None), code
    for reason in coverage.WEBHOOK_NOT_APPLICABLE.values():
        assert len(reason) > 40


def test_every_relevant_analyzer_is_mapped(oracle):
    messages = json.loads((oracle / "istio-analysis" / "analyzer-messages.json").read_text())["messages"]
    relevant = {m["code"] for m in messages if m.get("gateway_vs_relevant")}
    mapped, not_applicable = set(coverage.ANALYZERS), set(coverage.ANALYZERS_NOT_APPLICABLE)
    assert not mapped & not_applicable
    # every relevant analyzer is mapped; other analyzers ported beyond them (IST0127, IST0150) may be too
    assert relevant <= mapped | not_applicable, relevant - mapped - not_applicable
    for istio, codes in coverage.ANALYZERS.items():
        md_codes = [c for c in codes if re.fullmatch(r"MD\d{4}", c)]
        if istio in ("IST0106", "IST0133"):
            carrying = [m for m in CATALOGUE if m.istio == istio]
            assert len(carrying) >= 5, istio
            continue
        assert md_codes, istio
        for code in md_codes:
            assert code in BY_CODE, (istio, code)
        assert any(BY_CODE[c].istio == istio for c in md_codes), f"no mapped code carries {istio}"


def test_every_istio_code_in_the_catalogue_is_in_the_mapping():
    mapped = set(coverage.ANALYZERS)
    for msg in CATALOGUE:
        if msg.istio and msg.code.startswith(OWN_RANGES):
            assert msg.istio in mapped, msg.code


def test_registry_docstring_explains_how_to_add_a_rule():
    from meshdesigner.analysis import registry

    doc = registry.__doc__
    for needle in ("MD06xx", "rules/tls_*.py", "MD07xx", "rules/functions_*.py", "register(", "@rule",
                   'scope="design"'):
        assert needle in doc


def test_rules_only_emit_the_codes_they_declare():
    from meshdesigner.analysis import Analyzer
    from meshdesigner.analysis.registry import RULES

    from .builders import design

    checked = 0
    for _code, trigger, _silent in CASES:
        analyzer = Analyzer(design(*trigger))
        analyzer.refresh()
        for by_rule in analyzer._per_node.values():
            for rule_name, diags in by_rule.items():
                for d in diags:
                    assert d.code in RULES[rule_name].codes, (rule_name, d.code)
                    checked += 1
    assert checked > len(CASES)


# Istio analyzer message levels (pkg/config/analysis/msg/messages.yaml), by hand for the codes we carry. A code
# of ours carrying one of them has Istio's severity, except MD0402 (a host absent from a design that does not
# declare its external resources: info, the design may be partial; MD1003 is the error once it is declared).
ISTIO_LEVELS = {
    "IST0002": "warning", "IST0101": "error", "IST0102": "info", "IST0103": "warning", "IST0107": "warning",
    "IST0108": "warning", "IST0109": "error", "IST0110": "error", "IST0111": "error", "IST0112": "error",
    "IST0116": "warning", "IST0118": "info", "IST0123": "warning", "IST0125": "warning", "IST0126": "error",
    "IST0127": "warning", "IST0128": "warning", "IST0129": "warning", "IST0130": "warning", "IST0131": "info",
    "IST0132": "warning", "IST0134": "warning", "IST0135": "info", "IST0137": "warning", "IST0138": "warning",
    "IST0139": "error", "IST0140": "warning", "IST0144": "warning", "IST0145": "error", "IST0146": "warning",
    "IST0147": "error", "IST0148": "info", "IST0149": "error", "IST0150": "warning", "IST0151": "warning",
    "IST0152": "error", "IST0153": "error", "IST0154": "error", "IST0155": "warning", "IST0157": "warning",
    "IST0158": "warning", "IST0159": "error", "IST0160": "error", "IST0161": "error", "IST0162": "warning",
    "IST0163": "warning", "IST0164": "info", "IST0165": "warning", "IST0166": "warning", "IST0167": "warning",
    "IST0173": "error", "IST0174": "warning", "IST0175": "warning", "IST0176": "warning", "IST0177": "warning",
}
DOCUMENTED_SEVERITY_DIFFERENCES = {"MD0402"}


def test_every_ported_analyzer_code_has_istios_severity():
    from meshdesigner.analysis.messages import BY_CODE as ALL  # every area's codes, rules loaded

    checked = 0
    for code, msg in sorted(ALL.items()):
        if msg.istio in ISTIO_LEVELS and code not in DOCUMENTED_SEVERITY_DIFFERENCES:
            assert msg.severity == ISTIO_LEVELS[msg.istio], (code, msg.istio, msg.severity)
            checked += 1
    assert checked >= 60


def test_istio_levels_agree_with_the_oracle(oracle):
    messages = json.loads((oracle / "istio-analysis" / "analyzer-messages.json").read_text())["messages"]
    levels = {m["code"]: m["level"].lower() for m in messages}
    assert {code: levels[code] for code in ISTIO_LEVELS} == ISTIO_LEVELS


# istio/istio pkg/config/analysis/analyzers/all.go All() (commit 86c9f01), plus maturity.AlphaAnalyzer, which is
# in the directory but not in All() (istioctl analyze does not run it).
ISTIO_ANALYZERS = [
    "annotations.K8sAnalyzer", "authn.BlockedCIDRsAnalyzer", "authz.AuthorizationPoliciesAnalyzer",
    "conditions.ConditionAnalyzer", "deployment.ServiceAssociationAnalyzer", "deployment.ApplicationUIDAnalyzer",
    "destinationrule.CaCertificateAnalyzer", "destinationrule.PodNotSelectedAnalyzer", "deprecation.FieldAnalyzer",
    "envoyfilter.EnvoyPatchAnalyzer", "externalcontrolplane.ExternalControlPlaneAnalyzer",
    "gateway.IngressGatewayPortAnalyzer", "gateway.CertificateAnalyzer", "gateway.SecretAnalyzer",
    "gateway.ConflictingGatewayAnalyzer", "injection.Analyzer", "injection.ImageAnalyzer",
    "injection.ImageAutoAnalyzer", "k8sgateway.SelectorAnalyzer", "k8sgateway.CRDVersionAnalyzer",
    "multicluster.MeshNetworksAnalyzer", "multicluster.ServiceAnalyzer", "service.PortNameAnalyzer",
    "sidecar.SelectorAnalyzer", "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
    "virtualservice.DestinationHostAnalyzer", "virtualservice.DestinationRuleAnalyzer",
    "virtualservice.GatewayAnalyzer", "virtualservice.JWTClaimRouteAnalyzer", "serviceentry.ProtocolAddressesAnalyzer",
    "serviceentry.ConflictingServiceEntryProtocolAnalyzer", "webhook.Analyzer", "telemetry.ProviderAnalyzer",
    "telemetry.SelectorAnalyzer", "telemetry.DefaultSelectorAnalyzer", "telemetry.LightstepAnalyzer",
    "schema.ValidationAnalyzer", "maturity.AlphaAnalyzer",
]


def test_the_docs_table_lists_every_istio_analyzer_with_a_status():
    import pathlib

    text = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md").read_text()
    table = text[text.index("### Istio's analyzers (pkg/config/analysis/analyzers), one by one"):]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and "." in cells[0] and cells[0] != "analyzer":
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(ISTIO_ANALYZERS)
    for name, (_, _codes, status, why, *_rest) in rows.items():
        assert status in ("covered", "partly", "no"), (name, status)
        if status != "covered":
            assert len(why) > 30, name  # what is missing, or why not
