"""Istio's webhook analyzer (MD1049, MD1050), ported from istio/istio
``pkg/config/analysis/analyzers/webhook/webhook.go`` (Analyzer.Analyze, as all.go runs it: the Service check on)
over the MutatingWebhookConfigurations of the input that are Istio's (a webhook named ``*istio.io``, or a
revision in the ``istio.io/rev`` label or in a webhook's selectors):

* MD1049: for every namespace labels ({}, istio-injection enabled / disabled, each with each revision) and
  object labels ({}, sidecar.istio.io/inject true / false, each with each revision), more than one webhook
  matches: IST0139 "overlaps" on each of them;
* MD1050: a webhook's clientConfig.service names a Service the design does not hold: IST0139. Only when the
  project declares its external resources (the design is then taken as complete); the control plane's
  Services are rarely part of a design otherwise.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, GATEWAY_KINDS, rule
from ..wire import items, mapping, ref_of, selector_matches, text_map

REVISION = "istio.io/rev"

WEBHOOK_OVERLAP = register(MessageType(
    "MD1049", "InvalidWebhookOverlap", ERROR,
    template="Webhook overlaps with others: {others}. This may cause injection to occur twice.",
    explain="Two Istio injection webhooks of the input select the same namespace and pod labels, so both "
            "inject a sidecar into such pods (webhook/webhook.go Analyzer, IST0139). Make the namespace and "
            "object selectors of the revisions exclusive.",
    istio="IST0139"))
WEBHOOK_SERVICE_MISSING = register(MessageType(
    "MD1050", "InvalidWebhookService", ERROR,
    template="Injector refers to a control plane service that does not exist: {service}.",
    explain="The injection webhook calls a Service that is neither in the design nor declared as external, so "
            "pod creation in the namespaces it selects fails or goes uninjected (webhook/webhook.go Analyzer, "
            "IST0139). Fix clientConfig.service or declare the Service (NAMESPACE/Service/NAME).",
    istio="IST0139"))


def _revisions(config: dict) -> set[str]:
    """extractRevisions."""
    found = set()
    labels = text_map(mapping(config.get("metadata")).get("labels"))
    if REVISION in labels:
        found.add(labels[REVISION])
    for hook in items(config.get("webhooks")):
        for key in ("namespaceSelector", "objectSelector"):
            selector = mapping(mapping(hook).get(key))
            if REVISION in mapping(selector.get("matchLabels")):
                found.add(str(selector["matchLabels"][REVISION]))
            for expression in items(selector.get("matchExpressions")):
                if mapping(expression).get("key") == REVISION:
                    found |= {str(v) for v in items(mapping(expression).get("values"))}
    return found


def _label_sets(base: list[dict[str, str]], revisions: set[str]) -> list[dict[str, str]]:
    return base + [{**labels, REVISION: rev} for rev in sorted(revisions) for labels in base]


@rule("istio.webhook", codes=("MD1049", "MD1050"), kinds=("mesh-service", *GATEWAY_KINDS), scope=DESIGN)
def webhook(ctx):
    configs = []
    revisions: set[str] = set()
    for config in ctx.cluster.mutating_webhooks:
        found = _revisions(config)
        hooks = [mapping(h) for h in items(config.get("webhooks"))]
        if not found and not any(str(h.get("name", "")).endswith("istio.io") for h in hooks):
            continue
        configs.append((config, hooks))
        revisions |= found
    if not configs:
        return
    namespace_sets = _label_sets([{}, {"istio-injection": "enabled"}, {"istio-injection": "disabled"}], revisions)
    object_sets = _label_sets([{}, {"sidecar.istio.io/inject": "true"}, {"sidecar.istio.io/inject": "false"}],
                              revisions)
    overlapping: dict[tuple[str, str], dict] = {}   # (configuration, others) -> configuration: one message
    for namespace_labels in namespace_sets:
        for object_labels in object_sets:
            matches = {}
            for config, hooks in configs:
                for hook in hooks:
                    if selector_matches(hook.get("namespaceSelector"), namespace_labels) \
                            and selector_matches(hook.get("objectSelector"), object_labels):
                        matches[f"{ref_of(config).name}/{hook.get('name')}"] = config
            if len(matches) > 1:
                for name, config in matches.items():
                    others = "[" + " ".join(sorted(set(matches) - {name})) + "]"
                    overlapping.setdefault((ref_of(config).name, others), config)
    for (_name, others), config in sorted(overlapping.items()):
        yield WEBHOOK_OVERLAP.at(ref_of(config), "webhooks", others=others)
    if not ctx.closed_world:
        return
    services = {(s.metadata.namespace, s.metadata.name) for node in ctx.nodes_of_kind("mesh-service", *GATEWAY_KINDS)
                if (s := getattr(node, "service", None)) is not None}
    for config, hooks in configs:
        for i, hook in enumerate(hooks):
            service = mapping(hook.get("clientConfig")).get("service")
            if not isinstance(service, dict):
                continue
            ns, name = str(service.get("namespace") or ""), str(service.get("name") or "")
            if (ns, name) not in services and not ctx.is_external("Service", name, ns):
                yield WEBHOOK_SERVICE_MISSING.at(ref_of(config), f"webhooks[{i}].clientConfig.service",
                                                 service=f"{ns}/{name}")
