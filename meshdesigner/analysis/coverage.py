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
    "IST0002": ("MD0229", "MD1022", "MD1029", "MD1030"),
    "IST0101": ("MD0401", "MD0402", "MD0403", "MD0404", "MD0405", "MD1002", "MD1003", "MD1004", "MD1005",
                "MD1010", "MD1013", "MD1018"),
    "IST0102": ("MD1041",),
    "IST0103": ("MD1042",),
    "IST0106": ("MD01xx-MD03xx errors",),
    "IST0107": ("MD1039",),
    "IST0108": ("MD1037",),
    "IST0109": ("MD0406",),
    "IST0110": ("MD1014",),
    "IST0111": ("MD1015",),
    "IST0112": ("MD0407",),
    "IST0116": ("MD1034",),
    "IST0118": ("MD0417",),
    "IST0128": ("MD0408",),
    "IST0129": ("MD0409",),
    "IST0130": ("MD0210",),
    "IST0131": ("MD0211",),
    "IST0123": ("MD1043",),
    "IST0125": ("MD1040",),
    "IST0126": ("MD1048",),
    "IST0127": ("MD1009",),
    "IST0132": ("MD0410", "MD1001"),
    "IST0133": ("MD01xx-MD03xx warnings",),
    "IST0134": ("MD0305",),
    "IST0135": ("MD1038",),
    "IST0137": ("MD1035",),
    "IST0138": ("MD0618",),
    "IST0139": ("MD1049", "MD1050"),
    "IST0140": ("MD0412",),
    "IST0144": ("MD1033",),
    "IST0145": ("MD0413",),
    "IST0146": ("MD1045",),
    "IST0147": ("MD1046",),
    "IST0148": ("MD1044",),
    "IST0149": ("MD1012",),
    "IST0150": ("MD1011",),
    "IST0151": ("MD1023",),
    "IST0152": ("MD1024",),
    "IST0153": ("MD1025",),
    "IST0154": ("MD1026",),
    "IST0155": ("MD1027",),
    "IST0157": ("MD1020",),
    "IST0158": ("MD1051",),
    "IST0159": ("MD1019",),
    "IST0160": ("MD1017",),
    "IST0161": ("MD1006",),
    "IST0162": ("MD0701",),
    "IST0163": ("MD1052",),
    "IST0164": ("MD1053",),
    "IST0165": ("MD0419",),
    "IST0166": ("MD1028",),
    "IST0167": ("MD1016",),
    "IST0173": ("MD1007",),
    "IST0174": ("MD0415",),
    "IST0175": ("MD1032",),
    "IST0176": ("MD1036",),
    "IST0177": ("MD0416",),
}

# Parts of mapped analyzers that stay silent on purpose (a design holds no pods, Secrets or cluster state).
ANALYZER_PARTS_NOT_CHECKED: dict[str, str] = {
    "IST0101": "'selector not found' (MD1004, MD1013, MD1018) and 'credentialName not found' (MD1005) are "
               "checked only when the input holds Pods / Secrets, and namespaces (MD1010) only when it holds "
               "Namespaces: otherwise "
               "nothing is guessed. Hosts missing from the design are info (MD0402) unless the project declares "
               "its external resources (then MD1003, an error as in Istio). istioctl analyze without a cluster "
               "adds a stand-in ingress gateway Pod and Service in istio-system (AddDefaultResources, unless the "
               "mesh config's ingressControllerMode is OFF); with Pods in the input the stand-in Pod is added "
               "too (so a Gateway selecting istio=ingressgateway finds it), the stand-in Service is not.",
    "IST0145": "gateways with different selectors are compared only through Pods of the input (MD0413).",
    "IST0161": "only the Secret's key names are checked (tls.crt+tls.key or cert+key): the certificate itself "
               "is never in a project (values of imported Secrets are dropped).",
    "IST0173": "checked only when the input holds Pods (Istio reports every subset when it has none).",
    "IST0127": "only with Pods in the input; the root namespace is the input's mesh config rootNamespace, else "
               "the project's root_namespace setting (istio-system by default, as istioctl's default mesh config).",
    "IST0157": "only with a mesh config in the input (MD1020); without one the same condition is info (MD1021): "
               "istioctl's default mesh config has no default access log provider, the cluster's may have one.",
    "IST0110": "only with Pods in the input.",
    "IST0159": "only with Pods in the input.",
    "IST0166": "only with Pods in the input.",
    "IST0125": "only the interceptionMode, statusPort, readiness probe and merge-metrics values are validated.",
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
    ("annotations.K8sAnalyzer", "IST0107, IST0108, IST0125, IST0135", "partly", "MD1037-MD1040 on Namespaces, "
     "Services, Pods and Deployments; of the injector's value validators (IST0125) interceptionMode, statusPort, "
     "the readiness numbers and merge-metrics are ported, not the IP range, port list, interface, proxyConfig and "
     "resource quantity ones"),
    ("authn.BlockedCIDRsAnalyzer", "IST0175", "covered", "MD1032: an istiod Deployment of the input without "
     "BLOCKED_CIDRS_IN_JWKS_URIS while RequestAuthentications exist (only with that Deployment in the input)"),
    ("authz.AuthorizationPoliciesAnalyzer", "IST0127, IST0101", "covered", "MD1009, MD1010 (with Pods / "
     "Namespaces in the input); the root namespace from the input's mesh config (else the project setting)"),
    ("conditions.ConditionAnalyzer", "IST0171", "no", "reads status conditions of live objects; status is "
     "dropped on import"),
    ("deployment.ServiceAssociationAnalyzer", "IST0116, IST0137", "covered", "MD1034, MD1035: in-mesh Deployments "
     "of the input against the design's Services (only with Deployments in the input)"),
    ("deployment.ApplicationUIDAnalyzer", "IST0144", "covered", "MD1033 on Pods and Deployments of the input"),
    ("destinationrule.CaCertificateAnalyzer", "IST0128, IST0129", "covered", "MD0408, MD0409"),
    ("destinationrule.PodNotSelectedAnalyzer", "IST0174, IST0173", "covered", "MD0415, MD1007 (with Pods in "
     "the input; their labels augmented with their Node's locality and hostname as label.AugmentLabels does)"),
    ("deprecation.FieldAnalyzer", "IST0002", "covered", "MD0229 (fault.delay.percent, and mirrorPercent from "
     "the webhook), MD1029 (Sidecar outboundTrafficPolicy.egressProxy), MD1030 (CustomResourceDefinitions of the "
     "removed rbac.istio.io kinds)"),
    ("envoyfilter.EnvoyPatchAnalyzer", "IST0151-IST0155", "covered", "MD1023-MD1027; the proxyVersion names "
     "carry from one EnvoyFilter to the next in namespace/name order (Istio's store order is not defined)"),
    ("externalcontrolplane.ExternalControlPlaneAnalyzer", "IST0163, IST0164", "covered", "MD1052, MD1053 on "
     "Istio's webhook configurations of the input (Go's url.Parse approximated: control characters, bad % "
     "escapes, a leading ':')"),
    ("gateway.IngressGatewayPortAnalyzer", "IST0101, IST0162", "covered", "MD0701 (the gateway's Service ports), MD1004 (selector not found, with Pods in the input)"),
    ("gateway.CertificateAnalyzer", "IST0138", "covered", "MD0618: a gateway whose selector is a subset of "
     "another's with the same credentialName (or serverCertificate and privateKey), one-way as in Istio"),
    ("gateway.SecretAnalyzer", "IST0101, IST0161", "partly", "MD1004, MD1005, MD1006 with Pods/Secrets in the "
     "input; the certificate inside the Secret is not checked (values never enter a project)"),
    ("gateway.ConflictingGatewayAnalyzer", "IST0145", "covered", "MD0413 (identical selectors, and overlapping "
     "ones through Pods of the input)"),
    ("injection.Analyzer", "IST0102, IST0103, IST0123, IST0148", "covered", "MD1041-MD1044 on the Namespaces, "
     "Pods and sidecar injector ConfigMap of the input"),
    ("injection.ImageAnalyzer", "IST0158", "covered", "MD1051 with the sidecar injector ConfigMap in the input; "
     "the image variant from the mesh config, ProxyConfigs and the pod annotation (unknown without a mesh config: "
     "any -<variant> accepted then)"),
    ("injection.ImageAutoAnalyzer", "IST0146, IST0147", "covered", "MD1045 (Deployments, only with "
     "MutatingWebhookConfigurations in the input), MD1046 (Pods)"),
    ("k8sgateway.SelectorAnalyzer", "IST0166", "covered", "MD1028: AuthorizationPolicy, RequestAuthentication, "
     "Telemetry, WasmPlugin selectors matching a Gateway API gateway's Pod (with Pods in the input)"),
    ("k8sgateway.CRDVersionAnalyzer", "IST0176", "covered", "MD1036 on CustomResourceDefinitions of the input, "
     "with the minimum versions of istio master (gatewayapi.MinimumCRDVersions)"),
    ("multicluster.MeshNetworksAnalyzer", "IST0126", "covered", "MD1048 on the meshNetworks key of the input's "
     "istio ConfigMap and its remote-cluster Secrets (key names)"),
    ("multicluster.ServiceAnalyzer", "IST0170", "no", "compares one Service across the clusters of a multi-cluster "
     "mesh: a design describes one cluster"),
    ("service.PortNameAnalyzer", "IST0118, IST0150", "covered", "MD0417, MD1011 (kube.ConvertProtocol: UDP, "
     "appProtocol, well-known ports); control-plane and gateway-managed Services and the namespaces istioctl "
     "does not read are skipped"),
    ("sidecar.SelectorAnalyzer", "IST0101, IST0110, IST0111, IST0167", "covered", "MD1013-MD1016 on Sidecars "
     "kept with the design; the Pod parts (IST0101, IST0110, ambient pods) only with Pods in the input"),
    ("virtualservice.ConflictingMeshGatewayHostsAnalyzer", "IST0109", "covered", "MD0406 (exact hosts and "
     "wildcards overlapping across exportTo scopes)"),
    ("virtualservice.DestinationHostAnalyzer", "IST0101, IST0112, IST0140", "covered", "MD0402/MD1003 (host "
     "absent), MD1002 (hidden by exportTo; found when any exact or wildcard match is visible, as "
     "GetDestinationHost), MD0403, MD0407, MD0412; a virtual service with a route entry the model cannot hold "
     "('- {}') is MD1008 and its destinations are not looked up"),
    ("virtualservice.DestinationRuleAnalyzer", "IST0101", "covered", "MD0404 (subset not found), MD0405"),
    ("virtualservice.GatewayAnalyzer", "IST0101, IST0132, IST0165", "covered", "MD0401, MD1001, MD0410, MD0419; Istio and Gateway API "
     "gateways of the input"),
    ("virtualservice.JWTClaimRouteAnalyzer", "IST0149", "covered", "MD1012 (with the gateway's Pods in the "
     "input); the webhook half, claim routing on a virtual service without gateways, is MD0204"),
    ("serviceentry.ProtocolAddressesAnalyzer", "IST0134", "partly", "MD0305, silent when the input's mesh "
     "config captures DNS with auto-allocation (then only the webhook's case: resolution NONE or opted out); "
     "addresses allocated in a ServiceEntry's status are not seen, because status is dropped on import"),
    ("serviceentry.ConflictingServiceEntryProtocolAnalyzer", "IST0177", "covered", "MD0416"),
    ("webhook.Analyzer", "IST0139", "covered", "MD1049 (overlapping Istio webhooks of the input), MD1050 (the "
     "webhook's Service, only when the project declares its external resources)"),
    ("telemetry.ProviderAnalyzer", "IST0157", "covered", "MD1020 with a mesh config in the input; without "
     "one MD1021 (info): istioctl's default mesh config has no default access log provider, the cluster's may"),
    ("telemetry.SelectorAnalyzer", "IST0101, IST0159", "covered", "MD1018, MD1019 (with Pods in the input)"),
    ("telemetry.DefaultSelectorAnalyzer", "IST0160", "covered", "MD1017"),
    ("telemetry.LightstepAnalyzer", "IST0002", "covered", "MD1022 (lightstep providers of the input's mesh "
     "config; Istio's default mesh config has none)"),
    ("schema.ValidationAnalyzer", "IST0106, IST0133, IST0130, IST0131", "covered", "MD01xx-MD03xx (webhook "
     "rules), MD0210, MD0211, MD1008 (an object the model cannot hold)"),
    ("maturity.AlphaAnalyzer", "IST0136", "no", "in the analyzers directory but not in all.go All(): istioctl "
     "analyze does not run it (alpha annotations set by default would be noise)"),
)
