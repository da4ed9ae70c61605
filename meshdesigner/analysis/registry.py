"""The rule registry: small functions that yield diagnostics, registered with ``@rule``.

How to add rules (another engineer's area included)
==================================================
1. Pick your range. MD00xx–MD05xx belong to validation (issue 3); **MD06xx is TLS** (files
   ``analysis/rules/tls_*.py``); **MD07xx is gateway functions** — firewall, JWT, rate limits ... (files
   ``analysis/rules/functions_*.py``). Take the next free code of your range; never reuse a code, and when a
   check is retired leave its code as a comment (``# MD0612 retired: ...``).
2. Declare the messages in your own rule file with :func:`meshdesigner.analysis.messages.register`, so you
   never edit another team's file::

       from ..catalogue import MessageType
       from ..diagnostic import WARNING
       from ..messages import register

       CERT_EXPIRES_SOON = register(MessageType(
           "MD0601", "CertificateExpiresSoon", WARNING,
           template="certificate {file} expires in {days} days",
           explain="One paragraph: why it matters and how to fix it.",
           istio=None))      # Istio's IST code when Istio has the same check

3. Write one small function per check in ``analysis/rules/<area>_<topic>.py`` (every module in that
   package is imported by :func:`load_rules`; no list to edit)::

       from ..registry import rule

       @rule("tls.cert_expiry", codes=("MD0601",), kinds=("ingress-gateway", "egress-gateway"))
       def cert_expiry(ctx, node):
           for i, server in enumerate(node.gateway.spec.servers or []):
               ...
               yield CERT_EXPIRES_SOON.at(node.gateway.ref, f"spec.servers[{i}].tls", file=..., days=...)

   * ``scope="node"`` (default): called as ``fn(ctx, node)`` for each node whose kind is in ``kinds``.
     It may look at other nodes only through ``ctx`` look-ups (``ctx.gateway``, ``ctx.destination``,
     ``ctx.binders`` ...): they are recorded, so after an edit the GUI's :class:`Analyzer` re-runs the rule
     only for the edited node and the nodes whose look-ups the edit can change.
   * ``scope="design"``: called as ``fn(ctx)`` once; re-run whole after an edit of a node whose kind is in
     ``kinds`` (declare the kinds it reads; the default, every kind, re-runs it after every edit) or of the
     verbatim resources, so keep it cheap (well under 10 ms on the 2,000-resource bench mesh).
   * Field paths use the manifest (camelCase) names: ``spec.servers[0].tls.credentialName``; the
     diagnostic then carries the file and line of an imported manifest.
   * Checks that need what a design does not hold (Secrets, pods, files inside the gateway pod) stay
     silent or report at info level what they could not check.
4. Tests: in ``tests/analysis`` every code needs a case that triggers it and one that must stay silent
   (``tests/analysis/test_rule_grid.py`` shows the shape); the meta-tests fail on a code without tests or
   explanation. Regenerate ``docs/diagnostics.md`` with ``meshdesigner validate --list-codes >
   docs/diagnostics.md``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model.nodes import NodeKind
from .diagnostic import Diagnostic

NODE, DESIGN = "node", "design"
ALL_KINDS = tuple(k.value for k in NodeKind)
GATEWAY_KINDS = (NodeKind.INGRESS_GATEWAY.value, NodeKind.EGRESS_GATEWAY.value)


@dataclass(frozen=True)
class Rule:
    name: str
    fn: Callable[..., Iterable[Diagnostic]]
    codes: tuple[str, ...]
    kinds: tuple[str, ...]
    scope: str
    module: str
    # a node field the rule is about: a one-shot run skips the nodes where it is None (the rule finds nothing
    # there), e.g. the DestinationRule checks on the many Services without one
    needs: str | None = None


RULES: dict[str, Rule] = {}


def rule(name: str, codes: Iterable[str], kinds: Iterable[str] = ALL_KINDS, scope: str = NODE,
         needs: str | None = None):
    """Register a rule function. ``codes`` lists every code it may emit (the meta-tests check this).
    ``needs``: a node field without which the rule finds nothing (see :class:`Rule`)."""
    kinds = tuple(str(k) for k in kinds)
    if scope not in (NODE, DESIGN):
        raise ValueError(f"rule {name}: scope must be {NODE!r} or {DESIGN!r}")
    unknown = set(kinds) - set(ALL_KINDS)
    if unknown:
        raise ValueError(f"rule {name}: unknown node kinds {sorted(unknown)}")

    def decorate(fn):
        existing = RULES.get(name)
        if existing is not None and (existing.module, existing.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"rule name {name!r} is already registered by {existing.module}")
        RULES[name] = Rule(name, fn, tuple(codes), kinds, scope, fn.__module__, needs)
        return fn

    return decorate


_loaded = False


def load_rules() -> dict[str, Rule]:
    """Import every module of :mod:`meshdesigner.analysis.rules` (once) and return the registry."""
    global _loaded
    if not _loaded:
        from . import rules as package

        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            importlib.import_module(f"{package.__name__}.{info.name}")
        _loaded = True
    return RULES


def registered_rules() -> list[Rule]:
    """Every rule, sorted by name (the order they run in)."""
    return [RULES[name] for name in sorted(load_rules())]
