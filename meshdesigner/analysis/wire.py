"""Small readers of Istio objects in wire form (manifest mappings) for the analyzer ports that read them so
(Sidecar, Telemetry, EnvoyFilter ...): a bad shape reads as absent, never raises."""

from __future__ import annotations

from ..model.resource import ResourceRef


def mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def items(value) -> list:
    return value if isinstance(value, list) else []


def ref_of(obj: dict) -> ResourceRef:
    md = mapping(obj.get("metadata"))
    return ResourceRef(str(obj.get("kind")), str(md.get("namespace") or "default"), str(md.get("name") or ""))


def text_map(value) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def selector_string(labels: dict[str, str]) -> str:
    """labels.SelectorFromSet(labels).String(): 'k=v' sorted by key, joined by ','."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def names_list(names) -> str:
    """How Go's %v prints a sorted []string: '[a b]'."""
    return "[" + " ".join(sorted(names)) + "]"


def selector_matches(selector, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(selector).Matches(labels); a nil selector matches everything."""
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    if any(labels.get(k) != v for k, v in text_map(selector.get("matchLabels")).items()):
        return False
    for expression in items(selector.get("matchExpressions")):
        expression = mapping(expression)
        key, operator = str(expression.get("key")), expression.get("operator")
        values = [str(v) for v in items(expression.get("values"))]
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True
