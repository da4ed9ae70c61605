"""Kubernetes' object name rules (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label,
IsDNS1123Subdomain, IsDNS1035Label) and which one each kind's name and namespace must meet.

Names also become file names (``resources/<namespace>.<kind>.<name>.yaml``), so the export builds
paths only from names that pass these rules.
"""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(_LABEL)
DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_MAX, SUBDOMAIN_MAX = 63, 253

# Kinds whose name is a DNS-1035 label (core/v1 ValidateServiceName) or a DNS-1123 label
# (ValidateNamespaceName); every other kind, custom resources included, needs a DNS-1123 subdomain.
DNS1035_KINDS = frozenset({"Service"})
LABEL_KINDS = frozenset({"Namespace"})


def label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label (a namespace), or None."""
    if not value:
        return "must not be empty"
    if len(value) > LABEL_MAX:
        return f"must be no more than {LABEL_MAX} characters"
    if not DNS1123_LABEL.fullmatch(value):
        return ("must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
                "letter or digit")
    return None


def subdomain_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain, or None."""
    if not value:
        return "must not be empty"
    if len(value) > SUBDOMAIN_MAX:
        return f"must be no more than {SUBDOMAIN_MAX} characters"
    if not DNS1123_SUBDOMAIN.fullmatch(value):
        return ("must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending "
                "with a letter or digit")
    return None


def dns1035_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1035 label (a Service name), or None."""
    if not value:
        return "must not be empty"
    if len(value) > LABEL_MAX:
        return f"must be no more than {LABEL_MAX} characters"
    if not DNS1035_LABEL.fullmatch(value):
        return ("must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and "
                "ending with a letter or digit")
    return None


def name_problem(kind: str, name: str) -> str | None:
    """Why ``name`` is not a valid ``metadata.name`` for ``kind`` in Kubernetes, or None."""
    if not isinstance(name, str):
        return "must be text"
    if kind in DNS1035_KINDS:
        return dns1035_problem(name)
    if kind in LABEL_KINDS:
        return label_problem(name)
    return subdomain_problem(name)


def namespace_problem(namespace: str) -> str | None:
    """Why ``namespace`` is not a valid namespace name, or None."""
    if not isinstance(namespace, str):
        return "must be text"
    return label_problem(namespace)
