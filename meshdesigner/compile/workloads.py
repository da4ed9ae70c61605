"""Which Gateways one gateway workload (a set of pods, one Envoy config) serves.

istiod builds one config per proxy from every Gateway whose ``selector`` is a subset of the proxy's
labels (``PushContext.mergeGateways``; a Gateway without selector applies to every gateway proxy),
searching all namespaces under Istio's default ``PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false``. A design
has no pods: each distinct Gateway selector stands for the pods it selects, labelled exactly so.
So Gateways with the same selector share one workload, and a Gateway whose selector is a subset of
another's (``istio: ingressgateway`` beside ``istio: ingressgateway, app: shop``) also applies to the
larger workload. A Gateway's own workload is the one labelled exactly with its selector.

Merge order is istiod's ``sortConfigByCreationTime``: creation time (none in a design), then name,
then namespace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model.function_targets import workload_namespace
from ..model.nodes import GatewayNode


def _labels_key(labels: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((labels or {}).items()))


def merge_order(gateways: list[GatewayNode]) -> list[GatewayNode]:
    """istiod's ``configCompareByCreationTime`` without creation times: name, then namespace (then node id,
    for two nodes holding one Gateway, which analysis reports)."""
    return sorted(gateways, key=lambda g: (g.gateway.name, g.gateway.namespace, g.id))


@dataclass(frozen=True)
class Workload:
    """Pods labelled ``labels`` and the Gateways that apply to them, in merge order."""

    labels: tuple[tuple[str, str], ...]
    gateways: tuple[GatewayNode, ...]

    @property
    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def key(self) -> str:
        """A stable name: ``istio=ingressgateway`` (``<all gateway proxies>`` for no labels)."""
        return ",".join(f"{k}={v}" for k, v in self.labels) or "<all gateway proxies>"


def gateway_workloads(project) -> list[Workload]:
    """Every workload the design's Gateways define, ordered by their labels."""
    return workloads_of(project.gateways())


def workloads_of(gateways: Iterable[GatewayNode]) -> list[Workload]:
    """Every workload these Gateways define, ordered by their labels (see :func:`gateway_workloads`)."""
    ordered = merge_order(list(gateways))
    by_selector: dict[tuple[tuple[str, str], ...], list[int]] = {}   # selector -> positions in merge order
    for position, gateway in enumerate(ordered):
        by_selector.setdefault(_labels_key(gateway.gateway.spec.selector), []).append(position)
    out = []
    for key in sorted(by_selector):
        labels = dict(key)
        # ``labels.Instance(gw.Selector).SubsetOf(proxy.Labels)`` (no selector applies everywhere), decided
        # per selector group: a design has few distinct selectors and many Gateways
        positions = sorted(p for selector, group in by_selector.items()
                           if all(labels.get(k) == v for k, v in selector) for p in group)
        out.append(Workload(key, tuple(ordered[p] for p in positions)))
    return out


def own_workload(workloads: list[Workload], gateway: GatewayNode) -> Workload:
    """The workload labelled exactly with the Gateway's selector (it always exists)."""
    key = _labels_key(gateway.gateway.spec.selector)
    return next(w for w in workloads if w.labels == key)


def pods_namespace(workload: Workload, nodes) -> str:
    """Where the workload's pods run, so which namespace's policies select them: the workload namespace
    (:func:`~meshdesigner.model.function_targets.workload_namespace`) of its first Gateway in merge
    order. ``nodes`` are the design's nodes or a ``TargetIndex`` of them."""
    return workload_namespace(workload.gateways[0], nodes)
