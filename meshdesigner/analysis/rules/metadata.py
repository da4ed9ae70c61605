"""Metadata rules the webhook applies to every kind (MD0001, MD0002)."""

from __future__ import annotations

from .. import messages as m
from ..registry import rule

RESERVED = ("internal.istio.io/parent-namespace", "internal.istio.io/parent-names",
            "internal.istio.io/webhook-always-reject")
DRY_RUN = "istio.io/dry-run"


@rule("metadata.annotations", codes=("MD0001", "MD0002"))
def annotations(ctx, node):
    for res in node.resources():
        annotations = res.metadata.annotations
        if not annotations or not res.API_GROUP.endswith("istio.io"):
            continue
        for key in sorted(annotations):
            if key in RESERVED:
                yield m.RESERVED_ANNOTATION.at(res.ref, f"metadata.annotations[{key}]", key=key)
            elif key == DRY_RUN:
                yield m.DRY_RUN_ANNOTATION.at(res.ref, f"metadata.annotations[{key}]")
