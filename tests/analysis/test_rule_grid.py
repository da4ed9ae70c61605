"""Every code: one design that triggers it, one close variant that must stay silent."""

from __future__ import annotations

import pytest

from meshdesigner.analysis import analyze

from .builders import design
from .grid import CASES


def codes_of(docs) -> dict[str, list]:
    out: dict[str, list] = {}
    for diag in analyze(design(*docs)):
        out.setdefault(diag.code, []).append(diag)
    return out


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_triggers(code, trigger, silent):
    found = codes_of(trigger)
    assert code in found, f"{code} not reported; got {sorted(found)}"
    for diag in found[code]:
        assert diag.node_id is not None
        assert diag.message and "{" not in diag.message


@pytest.mark.parametrize(("code", "trigger", "silent"), CASES, ids=[c[0] for c in CASES])
def test_stays_silent(code, trigger, silent):
    found = codes_of(silent)
    assert code not in found, [d.format() for d in found[code]]
