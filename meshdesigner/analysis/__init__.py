"""Offline validation of a design: Istio's webhook rules, ``istioctl analyze``-style cross-resource checks
and design checks, each with a stable ``MD`` code (catalogue: :mod:`.messages`; rules: :mod:`.registry`).

    from meshdesigner.analysis import analyze
    for diag in analyze(project, sources=import_result.sources):
        print(diag.format())

The GUI keeps an :class:`Analyzer` and calls ``refresh()`` after edits (it re-runs only what changed).
Qt-free.
"""

from .catalogue import MessageType
from .diagnostic import ERROR, INFO, SEVERITIES, WARNING, Diagnostic, sort_diagnostics
from .registry import Rule, registered_rules, rule

# The engine imports the whole compiler: loaded on first use, not by every import of a finding or the
# message catalogue (the desktop app's window shows before its first check makes an Analyzer).
_FROM_ENGINE = ("IGNORE_ANNOTATION", "Analyzer", "analyze", "parse_codes")


def __getattr__(name: str):
    if name in _FROM_ENGINE:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ERROR", "IGNORE_ANNOTATION", "INFO", "SEVERITIES", "WARNING", "Analyzer", "Diagnostic", "MessageType",
    "Rule", "analyze", "parse_codes", "registered_rules", "rule", "sort_diagnostics",
]
