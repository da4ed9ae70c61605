"""Units Istio and Envoy write differently: Go/protobuf durations (``1h30m``, ``0.5s``) and percentages."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(text: str | None) -> float | None:
    """A Go/protobuf duration in seconds; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos > 0 else None


def envoy_duration(text: str | None) -> str | None:
    """The protobuf JSON form Envoy reads (``90s``, ``0.250s``)."""
    seconds = duration_seconds(text)
    if seconds is None:
        return None
    return format_seconds(seconds)


def format_seconds(seconds: float) -> str:
    nanos = round(seconds * 1e9)
    whole, frac = divmod(nanos, 1_000_000_000)
    if not frac:
        return f"{whole}s"
    return f"{whole}.{frac:09d}".rstrip("0") + "s"


def fraction_million(percent: float) -> dict:
    """An Istio ``Percent`` (0-100, fractional) as Envoy's FractionalPercent over a million
    (pilot's ``translatePercentToFractionalPercent``)."""
    return {"numerator": int(round(float(percent) * 10000)), "denominator": "MILLION"}


def fraction_hundred(percent: int) -> dict:
    """An integer percent (pilot's ``translateIntegerToFractionalPercent``)."""
    return {"numerator": int(percent), "denominator": "HUNDRED"}


def fraction_value(fraction: dict) -> float:
    """A FractionalPercent as a percentage (0-100)."""
    scale = {"HUNDRED": 1.0, "TEN_THOUSAND": 100.0, "MILLION": 10000.0}[fraction.get("denominator", "HUNDRED")]
    return fraction.get("numerator", 0) / scale
