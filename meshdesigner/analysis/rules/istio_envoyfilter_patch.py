"""Istio's EnvoyFilter patch analyzer (MD1023-MD1027), ported from istio/istio
``pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go`` (EnvoyPatchAnalyzer.analyzeEnvoyFilterPatch and
relativeOperationMsg). For each ``configPatches[i]`` of each EnvoyFilter, stopping at the first patch without
``patch`` (Istio's ``break``):

* ADD with applyTo ROUTE_CONFIGURATION or HTTP_ROUTE: IST0153 (MD1025);
* REMOVE with those applyTo: IST0154 (MD1026); otherwise a relative operation;
* REPLACE with an applyTo other than NETWORK_FILTER, HTTP_FILTER, VIRTUAL_HOST: IST0152 (MD1024); otherwise a
  relative operation;
* INSERT_BEFORE, INSERT_AFTER: a relative operation (MERGE, INSERT_FIRST: nothing);
* a relative operation in an EnvoyFilter without ``priority`` (0): IST0151 (MD1023), or IST0155 (MD1027) when
  an earlier patch with ``match.proxy.proxyVersion`` had the same instance name: the ``name`` of the patch
  value (compared as Go prints a protobuf Value, so never equal to a filter name), else, for a value without
  ``name``, ``match.listener.filterChain.filter.name``; "" without a value.

Istio carries the names with a proxyVersion from one EnvoyFilter to the next in the order its store lists
them, which it does not define; here that order is by namespace, then name.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

RELATIVE_OPERATION = register(MessageType(
    "MD1023", "EnvoyFilterUsesRelativeOperation", WARNING,
    template="This EnvoyFilter does not have a priority and has a relative patch operation set which can cause "
             "the EnvoyFilter not to be applied. Using the INSERT_FIRST of ADD option or setting the priority may "
             "help in ensuring the EnvoyFilter is applied correctly.",
    explain="INSERT_BEFORE, INSERT_AFTER, REPLACE and REMOVE act relative to what other EnvoyFilters (and "
            "istiod) put there; without a priority the order EnvoyFilters apply in is their creation time, so "
            "the patch may not find its anchor (envoyfilter/envoyfilter.go, IST0151). Set spec.priority or use "
            "INSERT_FIRST / ADD.",
    istio="IST0151"))
REPLACE_INCORRECT = register(MessageType(
    "MD1024", "EnvoyFilterUsesReplaceOperationIncorrectly", ERROR,
    template="The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.",
    explain="istiod applies REPLACE only to HTTP_FILTER, NETWORK_FILTER and VIRTUAL_HOST patches and ignores "
            "it elsewhere (envoyfilter/envoyfilter.go, IST0152). Use MERGE, or REMOVE and ADD.",
    istio="IST0152"))
ADD_INCORRECT = register(MessageType(
    "MD1025", "EnvoyFilterUsesAddOperationIncorrectly", ERROR,
    template="The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.",
    explain="A route configuration or an HTTP route cannot be added by an EnvoyFilter; istiod ignores the "
            "patch (envoyfilter/envoyfilter.go, IST0153). Use MERGE, or add a VIRTUAL_HOST.",
    istio="IST0153"))
REMOVE_INCORRECT = register(MessageType(
    "MD1026", "EnvoyFilterUsesRemoveOperationIncorrectly", ERROR,
    template="The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.",
    explain="A route configuration or an HTTP route cannot be removed by an EnvoyFilter; istiod ignores the "
            "patch (envoyfilter/envoyfilter.go, IST0154). Change the VirtualService instead.",
    istio="IST0154"))
RELATIVE_WITH_PROXY_VERSION = register(MessageType(
    "MD1027", "EnvoyFilterUsesRelativeOperationWithProxyVersion", WARNING,
    template="This EnvoyFilter does not have a priority and has a relative patch operation (NSTERT_BEFORE/AFTER, "
             "REPLACE, MERGE, DELETE) and proxyVersion set which can cause the EnvoyFilter not to be applied "
             "during an upgrade. Using the INSERT_FIRST or ADD option or setting the priority may help in "
             "ensuring the EnvoyFilter is applied correctly.",
    explain="A relative patch without priority on a filter that an earlier patch limited to some proxy versions: "
            "during an upgrade the anchor may exist for one proxy version only (envoyfilter/envoyfilter.go, "
            "IST0155; Istio's own message, typos included). Set spec.priority or use INSERT_FIRST / ADD.",
    istio="IST0155"))

ROUTE_LEVELS = ("ROUTE_CONFIGURATION", "HTTP_ROUTE")
REPLACEABLE = ("NETWORK_FILTER", "HTTP_FILTER", "VIRTUAL_HOST")


def instance_name(patch: dict) -> str:
    """The name the analyzer compares: ``tmpValue["name"].String()`` (a protobuf Value, printed as Go prints
    it), else the filter chain's filter name when the value has fields but no name; "" without a value."""
    value = patch.get("patch", {}).get("value")
    if not isinstance(value, dict) or not value:
        return ""
    if "name" in value:
        return f"value:{value['name']!r}"
    chain = mapping(mapping(mapping(patch.get("match")).get("listener")).get("filterChain"))
    return str(mapping(chain.get("filter")).get("name") or "")


def _relative(ref, index: int, priority: int, seen_with_proxy_version: list[str], name: str):
    """relativeOperationMsg."""
    if priority != 0:
        return None
    message = RELATIVE_WITH_PROXY_VERSION if name in seen_with_proxy_version else RELATIVE_OPERATION
    return message.at(ref, f"spec.configPatches[{index}]")


@rule("istio.envoyfilter_patch", codes=("MD1023", "MD1024", "MD1025", "MD1026", "MD1027"), kinds=(),
      scope=DESIGN)
def envoyfilter_patch(ctx):
    seen_with_proxy_version: list[str] = []
    for envoy_filter in ctx.istio_objects("EnvoyFilter"):
        ref = ref_of(envoy_filter)
        spec = mapping(envoy_filter.get("spec"))
        priority = spec.get("priority") if isinstance(spec.get("priority"), int) else 0
        for index, patch in enumerate(items(spec.get("configPatches"))):
            patch = mapping(patch)
            if not isinstance(patch.get("patch"), dict):
                break
            name = instance_name(patch)
            operation, apply_to = patch["patch"].get("operation"), patch.get("applyTo")
            found = None
            if operation == "ADD":
                if apply_to in ROUTE_LEVELS:
                    found = ADD_INCORRECT.at(ref, f"spec.configPatches[{index}]")
            elif operation == "REMOVE":
                found = REMOVE_INCORRECT.at(ref, f"spec.configPatches[{index}]") if apply_to in ROUTE_LEVELS \
                    else _relative(ref, index, priority, seen_with_proxy_version, name)
            elif operation == "REPLACE":
                found = REPLACE_INCORRECT.at(ref, f"spec.configPatches[{index}]") if apply_to not in REPLACEABLE \
                    else _relative(ref, index, priority, seen_with_proxy_version, name)
            elif operation in ("INSERT_BEFORE", "INSERT_AFTER"):
                found = _relative(ref, index, priority, seen_with_proxy_version, name)
            if found is not None:
                yield found
            if mapping(mapping(patch.get("match")).get("proxy")).get("proxyVersion"):
                seen_with_proxy_version.append(name)
