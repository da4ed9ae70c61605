"""How Istio's checks map to codes: every webhook rule of ``validation-rules.json`` (Gateway, VirtualService,
DestinationRule, ServiceEntry, and the rules for every kind) and every analyzer message flagged
``gateway_vs_relevant`` in ``analyzer-messages.json`` has codes here, or a reason it does not apply.
The meta-tests compare these tables with the oracle files; ``docs/diagnostics.md`` prints them.
"""

from __future__ import annotations

WEBHOOK_RULES: dict[str, tuple[str, ...]] = {
    "ALL-1": ("MD0001",), "ALL-2": ("MD0002",),
    "GW-1": ("MD0101",), "GW-2": ("MD0102",), "GW-3": ("MD0103",), "GW-4": ("MD0104",), "GW-5": ("MD0105",),
    "GW-6": ("MD0106",), "GW-7": ("MD0107",), "GW-8": ("MD0108",), "GW-9": ("MD0109",), "GW-11": ("MD0110",),
    "GW-12": ("MD0111",), "GW-13": ("MD0112",), "GW-14": ("MD0113",), "GW-15": ("MD0114",), "GW-16": ("MD0115",),
    "GW-17": ("MD0116",), "GW-18": ("MD0117",), "GW-19": ("MD0118",), "GW-20": ("MD0119",), "GW-21": ("MD0120",),
    "GW-22": ("MD0121", "MD0502"), "GW-23": ("MD0122",), "GW-24": ("MD0123",), "GW-25": ("MD0124",),
    "GW-26": ("MD0125",), "GW-27": ("MD0126",), "GW-CRD-1": ("MD0127",),
    "VS-1": ("MD0201",), "VS-2": ("MD0202", "MD0203"), "VS-3": ("MD0204",), "VS-4": ("MD0205",),
    "VS-5": ("MD0206",), "VS-6": ("MD0207",), "VS-7": ("MD0208",), "VS-8": ("MD0209",), "VS-9": ("MD0210",),
    "VS-10": ("MD0211",), "VS-11": ("MD0210", "MD0211"), "VS-12": ("MD0212",), "VS-13": ("MD0213",),
    "VS-14": ("MD0214",), "VS-15": ("MD0215",), "VS-16": ("MD0216",), "VS-17": ("MD0217",), "VS-18": ("MD0218",),
    "VS-19": ("MD0219",), "VS-20": ("MD0220",), "VS-21": ("MD0221",), "VS-22": ("MD0222",), "VS-23": ("MD0223",),
    "VS-24": ("MD0223",), "VS-25": ("MD0224",), "VS-26": ("MD0225",), "VS-27": ("MD0226", "MD0227"),
    "VS-28": ("MD0228", "MD0229"), "VS-29": ("MD0230",), "VS-30": ("MD0231", "MD0232"), "VS-31": ("MD0233",),
    "VS-32": ("MD0234",), "VS-33": ("MD0235",), "VS-34": ("MD0236",), "VS-35": ("MD0223",), "VS-36": ("MD0237",),
    "VS-37": ("MD0238",), "VS-38": ("MD0239", "MD0240"), "VS-39": ("MD0241",), "VS-40": ("MD0242",),
    "SE-1": ("MD0301",), "SE-2": ("MD0302",), "SE-3": ("MD0303",), "SE-4": ("MD0304",), "SE-5": ("MD0305",),
    "SE-6": ("MD0306",), "SE-7": ("MD0307",), "SE-8": ("MD0308",),
    "DR-1": ("MD0320",), "DR-2": ("MD0321",), "DR-3": ("MD0322",), "DR-4": ("MD0323",), "DR-5": ("MD0324",),
}

WEBHOOK_NOT_APPLICABLE: dict[str, str] = {
    "GW-10": "a server without a port cannot be represented by the model: importing such a manifest fails "
             "with an input error naming the file, line and field (exit code 2), and the editor always "
             "creates servers with a port",
}

ANALYZERS: dict[str, tuple[str, ...]] = {
    "IST0002": ("MD0229",),
    "IST0101": ("MD0401", "MD0402", "MD0403", "MD0404", "MD0405", "MD1002", "MD1003", "MD1004", "MD1005",
                "MD1010"),
    "IST0106": ("MD01xx-MD03xx errors",),
    "IST0109": ("MD0406",),
    "IST0112": ("MD0407",),
    "IST0118": ("MD0417",),
    "IST0128": ("MD0408",),
    "IST0129": ("MD0409",),
    "IST0130": ("MD0210",),
    "IST0131": ("MD0211",),
    "IST0127": ("MD1009",),
    "IST0132": ("MD0410", "MD1001"),
    "IST0133": ("MD01xx-MD03xx warnings",),
    "IST0134": ("MD0305",),
    "IST0138": ("MD0618",),
    "IST0140": ("MD0412",),
    "IST0145": ("MD0413",),
    "IST0149": ("MD1012",),
    "IST0150": ("MD1011",),
    "IST0161": ("MD1006",),
    "IST0162": ("MD0701",),
    "IST0165": ("MD0419",),
    "IST0173": ("MD1007",),
    "IST0174": ("MD0415",),
    "IST0177": ("MD0416",),
}

# Parts of mapped analyzers that stay silent on purpose (a design holds no pods, Secrets or cluster state).
ANALYZER_PARTS_NOT_CHECKED: dict[str, str] = {
    "IST0101": "'selector not found' (MD1004) and 'credentialName not found' (MD1005) are checked only when the "
               "input holds Pods / Secrets, and namespaces (MD1010) only when it holds Namespaces: otherwise "
               "nothing is guessed. Hosts missing from the design are info (MD0402) unless the project declares "
               "its external resources (then MD1003, an error as in Istio).",
    "IST0145": "gateways with different selectors are compared only through Pods of the input (MD0413).",
    "IST0161": "only the Secret's key names are checked (tls.crt+tls.key or cert+key): the certificate itself "
               "is never in a project (values of imported Secrets are dropped).",
    "IST0173": "checked only when the input holds Pods; node topology labels (AugmentLabels) are not added.",
    "IST0127": "only AuthorizationPolicy (not RequestAuthentication/Telemetry selectors); only with Pods in the "
               "input; the root namespace is istio-system (istioctl's default mesh config).",
}

ANALYZERS_NOT_APPLICABLE: dict[str, str] = {
}


def mapped_codes() -> set[str]:
    """Every MD code named by the tables above."""
    codes = {c for cs in WEBHOOK_RULES.values() for c in cs}
    codes |= {c for cs in ANALYZERS.values() for c in cs if c.startswith("MD") and len(c) == 6}
    return codes


# Every analyzer of istio/istio pkg/config/analysis/analyzers/all.go (plus schema validation): how far it is
# ported. (analyzer, IST codes, status, what is covered / missing / why not). status: covered, partly, no.
ISTIO_ANALYZERS: tuple[tuple[str, str, str, str], ...] = (
    ("annotations.K8sAnalyzer", "IST0108 ...", "no", "annotations on Pods/Deployments/Services: Kubernetes "
     "objects a design does not model (kept verbatim, not checked)"),
    ("authn.BlockedCIDRsAnalyzer", "IST0178", "no", "mesh-wide PeerAuthentication/network settings: not part of "
     "a design's edge"),
    ("authz.AuthorizationPoliciesAnalyzer", "IST0127, IST0101", "covered", "MD1009, MD1010 (with Pods / "
     "Namespaces in the input)"),
    ("conditions.ConditionAnalyzer", "IST0175", "no", "reads status conditions of live objects; status is "
     "dropped on import"),
    ("deployment.ServiceAssociationAnalyzer", "IST0116 ...", "no", "Deployments' pods vs Services' ports: "
     "workload objects a design does not model"),
    ("deployment.ApplicationUIDAnalyzer", "IST0144", "no", "pod security context: not a design concern"),
    ("destinationrule.CaCertificateAnalyzer", "IST0128, IST0129", "covered", "MD0408, MD0409"),
    ("destinationrule.PodNotSelectedAnalyzer", "IST0174, IST0173", "partly", "MD0415, MD1007; node topology "
     "labels not added to pods"),
    ("deprecation.FieldAnalyzer", "IST0002", "partly", "MD0229 (mirrorPercent); deprecated Sidecar/EnvoyFilter "
     "fields are not checked (those kinds are kept, not modelled)"),
    ("envoyfilter.EnvoyPatchAnalyzer", "IST0151-IST0155", "no", "EnvoyFilters are the security helper's "
     "resources (MD09xx); their patch-order analysis is not ported"),
    ("externalcontrolplane.ExternalControlPlaneAnalyzer", "IST0163 ...", "no", "webhook configuration of a "
     "control plane: cluster state"),
    ("gateway.IngressGatewayPortAnalyzer", "IST0162", "covered", "MD0701 (the gateway's Service ports)"),
    ("gateway.CertificateAnalyzer", "IST0138", "covered", "MD0618"),
    ("gateway.SecretAnalyzer", "IST0101, IST0161", "partly", "MD1004, MD1005, MD1006 with Pods/Secrets in the "
     "input; the certificate inside the Secret is not checked (values never enter a project)"),
    ("gateway.ConflictingGatewayAnalyzer", "IST0145", "covered", "MD0413 (identical selectors, and overlapping "
     "ones through Pods of the input)"),
    ("injection.*", "IST0102 ...", "no", "sidecar injection of namespaces and pods: cluster state"),
    ("k8sgateway.SelectorAnalyzer", "IST0127", "no", "Kubernetes Gateway API objects are kept, not modelled; "
     "virtual services may bind to Gateway API Gateways of the input (MD0401/MD1001 read their listeners); "
     "a reference to a generated gateway ('<gw>~istio-autogenerated-k8s-gateway~<listener>') is MD0419 (IST0165)"),
    ("k8sgateway.CRDVersionAnalyzer", "IST0179", "no", "CRD versions installed in a cluster"),
    ("multicluster.*", "IST0158 ...", "no", "multi-cluster mesh networks: cluster state"),
    ("service.PortNameAnalyzer", "IST0118, IST0150", "covered", "MD0417, MD1011"),
    ("sidecar.SelectorAnalyzer", "IST0101, IST0109", "no", "Sidecar resources are kept, not modelled"),
    ("virtualservice.ConflictingMeshGatewayHostsAnalyzer", "IST0109", "covered", "MD0406 (exact hosts and "
     "wildcards overlapping across exportTo scopes)"),
    ("virtualservice.DestinationHostAnalyzer", "IST0101, IST0112", "covered", "MD0402/MD1003 (host absent), "
     "MD1002 (hidden by exportTo), MD0403, MD0407"),
    ("virtualservice.DestinationRuleAnalyzer", "IST0101", "covered", "MD0404 (subset not found), MD0405"),
    ("virtualservice.GatewayAnalyzer", "IST0101, IST0132, IST0165", "covered", "MD0401, MD1001, MD0410, MD0419; Istio and Gateway API "
     "gateways of the input"),
    ("virtualservice.JWTClaimRouteAnalyzer", "IST0149", "covered", "MD1012 (with the gateway's Pods in the "
     "input); the webhook half, claim routing on a virtual service without gateways, is MD0204"),
    ("serviceentry.ProtocolAddressesAnalyzer", "IST0134", "covered", "MD0305"),
    ("serviceentry.ConflictingServiceEntryProtocolAnalyzer", "IST0177", "covered", "MD0416"),
    ("webhook.Analyzer", "IST0159 ...", "no", "admission webhook configurations: cluster state"),
    ("telemetry.*", "IST0157 ...", "no", "Telemetry resources are the security helper's (MD09xx)"),
    ("schema.ValidationAnalyzer", "IST0106, IST0133, IST0130, IST0131", "covered", "MD01xx-MD03xx (webhook "
     "rules), MD0210, MD0211, MD1008 (an object the model cannot hold)"),
)
