"""File names of the Envoy export: one ``envoy/<labels>.yaml`` per gateway workload.

Istio runs one Envoy per gateway workload (the pods a Gateway ``selector`` picks), and every Gateway whose
selector picks those pods is merged into that Envoy's one config (:mod:`meshdesigner.compile.workloads`).
So the export writes one file per workload, named by the workload's pod labels: ``key-value`` pairs in
key order joined by ``.``, a key's ``/`` written ``_`` — ``envoy/istio-ingressgateway.yaml`` (the name of
Istio's own ingress Deployment), ``envoy/app-blog.istio-ingressgateway.yaml``; the workload of Gateways
without a selector is ``envoy/all-gateway-proxies.yaml``.

Labels are user text and the export writes only names of letters, digits, ``.``, ``_`` and ``-``
(:func:`meshdesigner.io.atomic.write_tree`). A label set whose readable name would be anything else
(other characters, a leading ``.`` or ``-``, longer than a file system allows) or would be the name of
another workload of the design (also when only the letter case differs: one file on a case-insensitive
disk) is named ``<readable part, other characters as _>.<16 hex digits of the labels' SHA-256>``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

FOLDER = "envoy"
NO_LABELS = "all-gateway-proxies"
_READABLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_MAX_STEM = 200   # file systems allow 255 bytes per name; ".yaml" must fit
_HASH_CHARS = 16

Labels = tuple[tuple[str, str], ...]


def readable_stem(labels: Labels) -> str:
    """``key-value[.key-value...]`` of the sorted labels, ``/`` as ``_`` (``all-gateway-proxies`` for none);
    it may still hold characters a file name of the export cannot (see :func:`workload_file_names`)."""
    if not labels:
        return NO_LABELS
    return ".".join(f"{key.replace('/', '_')}-{value}" for key, value in sorted(labels))


def _hashed(labels: Labels) -> str:
    text = "\n".join(f"{key}\0{value}" for key, value in sorted(labels))
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    readable = _UNSAFE_CHAR.sub("_", readable_stem(labels))[:_MAX_STEM - _HASH_CHARS - 1]
    if not _READABLE.match(readable):
        readable = "_" + readable[1:]
    return f"{readable}.{digest}"


def workload_file_names(workloads: Iterable[Labels]) -> dict[Labels, str]:
    """``{labels: "envoy/<name>.yaml"}`` for the workloads of one design: distinct names (also ignoring
    letter case) made only of letters, digits, ``.``, ``_`` and ``-``, each at most 255 bytes."""
    stems: dict[Labels, str] = {}
    for labels in workloads:
        stem = readable_stem(labels)
        stems[labels] = stem if _READABLE.fullmatch(stem) and len(stem) <= _MAX_STEM else _hashed(labels)
    while True:   # a hashed name is its labels' own; a readable one shared with another workload is not
        holders: dict[str, list[Labels]] = {}
        for labels, stem in stems.items():
            holders.setdefault(stem.lower(), []).append(labels)
        shared = [labels for group in holders.values() if len(group) > 1 for labels in group
                  if stems[labels] != _hashed(labels)]
        if not shared:
            break
        for labels in shared:
            stems[labels] = _hashed(labels)
    return {labels: f"{FOLDER}/{stem}.yaml" for labels, stem in stems.items()}
