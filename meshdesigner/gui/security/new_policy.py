"""New policies made from the Policies section: one starting resource per kind, for one gateway.

A new resource goes where the gateway's pods run (the namespace of its workload's security plan, the
one istiod looks in) and selects exactly the labels the plan was built for, so it applies to that
gateway at once. Its name is ``<gateway>-<suffix>``, made a DNS-1123 name and unique among the
resources of its kind and namespace. The starting values are valid for Istio's webhook and change as
little as they can (an ALLOW policy allows every request; a DENY policy denies a documentation range):
the user edits them in the field editors.
"""

from __future__ import annotations

import copy
import re

from ...compile.security import security_plan
from ...model.functions_view import free_name
from ...model.names import LABEL_MAX
from ...model.nodes import GatewayNode
from ...model.security import PolicyResource, policy_from_manifest

# (key, menu text, kind, apiVersion, name suffix, spec without the selector)
KINDS: tuple[tuple[str, str, str, str, str, dict], ...] = (
    ("allow", "AuthorizationPolicy: ALLOW", "AuthorizationPolicy", "security.istio.io/v1", "allow",
     {"action": "ALLOW", "rules": [{}]}),
    ("deny", "AuthorizationPolicy: DENY", "AuthorizationPolicy", "security.istio.io/v1", "deny",
     {"action": "DENY", "rules": [{"from": [{"source": {"remoteIpBlocks": ["192.0.2.0/24"]}}]}]}),
    ("audit", "AuthorizationPolicy: AUDIT", "AuthorizationPolicy", "security.istio.io/v1", "audit",
     {"action": "AUDIT", "rules": [{"to": [{"operation": {"paths": ["/admin/*"]}}]}]}),
    ("custom", "AuthorizationPolicy: CUSTOM", "AuthorizationPolicy", "security.istio.io/v1", "ext-authz",
     {"action": "CUSTOM", "provider": {"name": "ext-authz"},
      "rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]}),
    ("jwt", "RequestAuthentication", "RequestAuthentication", "security.istio.io/v1", "jwt",
     {"jwtRules": [{"issuer": "https://issuer.example.com", "jwks": '{"keys":[]}'}]}),
    ("peer", "PeerAuthentication", "PeerAuthentication", "security.istio.io/v1", "mtls",
     {"mtls": {"mode": "STRICT"}}),
    ("telemetry", "Telemetry (access log)", "Telemetry", "telemetry.istio.io/v1", "telemetry",
     {"accessLogging": [{"providers": [{"name": "envoy"}]}]}),
    ("envoyfilter", "EnvoyFilter", "EnvoyFilter", "networking.istio.io/v1alpha3", "filter",
     {"configPatches": []}),
)
KIND_KEYS = tuple(entry[0] for entry in KINDS)
MENU_TEXTS = {entry[0]: entry[1] for entry in KINDS}


def dns_name(text: str, limit: int = LABEL_MAX) -> str:
    """``text`` as a DNS-1123 label: lower case, runs of other characters as one ``-``, at most ``limit``."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return name or "policy"


def new_policy(project, gateway: GatewayNode, key: str) -> PolicyResource:
    """A new resource of the kind ``key`` (see :data:`KINDS`) applying to ``gateway``'s pods."""
    _key, _text, kind, api_version, suffix, spec = next(entry for entry in KINDS if entry[0] == key)
    plan = security_plan(project, gateway)
    base = dns_name(f"{dns_name(gateway.gateway.name, LABEL_MAX - len(suffix) - 4)}-{suffix}")
    name = free_name(project, plan.namespace, kind, base)
    if kind == "EnvoyFilter":
        selector = {"workloadSelector": {"labels": dict(plan.labels)}}
    else:
        selector = {"selector": {"matchLabels": dict(plan.labels)}}
    return policy_from_manifest({"apiVersion": api_version, "kind": kind,
                                 "metadata": {"name": name, "namespace": plan.namespace},
                                 "spec": {**selector, **copy.deepcopy(spec)}})
