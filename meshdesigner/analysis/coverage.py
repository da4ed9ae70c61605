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
    "IST0101": ("MD0401", "MD0402", "MD0403", "MD0404", "MD0405"),
    "IST0106": ("MD01xx-MD03xx errors",),
    "IST0109": ("MD0406",),
    "IST0112": ("MD0407",),
    "IST0118": ("MD0417",),
    "IST0128": ("MD0408",),
    "IST0129": ("MD0409",),
    "IST0130": ("MD0210",),
    "IST0131": ("MD0211",),
    "IST0132": ("MD0410",),
    "IST0133": ("MD01xx-MD03xx warnings",),
    "IST0134": ("MD0305",),
    "IST0138": ("MD0618",),
    "IST0140": ("MD0412",),
    "IST0145": ("MD0413",),
    "IST0162": ("MD0701",),
    "IST0165": ("MD0419",),
    "IST0174": ("MD0415",),
    "IST0177": ("MD0416",),
}

# Parts of mapped analyzers that stay silent on purpose (a design holds no pods, Secrets or cluster state).
ANALYZER_PARTS_NOT_CHECKED: dict[str, str] = {
    "IST0101": "'selector not found' needs the cluster's pods and 'credentialName not found' its Secrets: "
               "neither is in a design, so they are never guessed (the TLS rules MD06xx check local copies of "
               "credentials when the user provides them). Hosts missing from the design are reported at info "
               "level (MD0402) because designs often hold only gateways and virtual services.",
    "IST0145": "gateways are compared when their selectors are identical; gateways whose different selectors "
               "might pick the same pods are not (the pods are not in a design).",
}

ANALYZERS_NOT_APPLICABLE: dict[str, str] = {
    "IST0149": "needs the RequestAuthentication objects selecting the gateway pods (cluster state and the "
               "gateway-functions area, MD07xx); the webhook half, JWT claim routing without a gateway, is "
               "MD0204",
    "IST0161": "needs the contents of the credentialName Secret in the cluster; certificates the user provides "
               "locally are checked by the TLS rules (MD06xx)",
    "IST0173": "needs the pods in the cluster to know whether a subset's labels select any",
}


def mapped_codes() -> set[str]:
    """Every MD code named by the tables above."""
    codes = {c for cs in WEBHOOK_RULES.values() for c in cs}
    codes |= {c for cs in ANALYZERS.values() for c in cs if c.startswith("MD") and len(c) == 6}
    return codes
