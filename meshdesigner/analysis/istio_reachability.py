"""Istio's own unreachable-rule and ineffective-match warnings (IST0130, IST0131), ported from istio/istio
``pkg/config/validation/validation.go``: analyzeUnreachableHTTPRules / analyzeUnreachableTCPRules /
analyzeUnreachableTLSRules, with genMatchHTTPRoutes and coveredValidation for overlapping prefixes.

Istio's webhook (and ``istioctl analyze``, through schema/validation.go) reports, per section in order:

* a rule after a rule without ``match``: unreachable (IST0130), its matches are not examined;
* a match equal to an earlier one (asJSON, an HTTP match's name left out): ineffective (IST0131), and a
  rule whose matches are all such duplicates is also unreachable (IST0130);
* HTTP only: a later ``uri.prefix`` match that an earlier prefix match covers with the same port, method,
  authority, headers, query parameters and withoutHeaders (each compared as ``exact:``/``prefix:`` text, a
  method defaulting to ``exact:GET``): ineffective (IST0131), never unreachable.

The wider coverage analysis of ``rule_order`` (regexes aside, any condition that narrows an earlier one) is
our own check (MD0513) and is not reported under Istio's codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .memo import match_identity
from .rule_order import SECTIONS

MATCH_EXACT, MATCH_PREFIX = "exact:", "prefix:"


@dataclass(frozen=True)
class IstioUnreachable:
    section: str
    index: int
    reason: str           # Istio's words: "only the last rule can have no matches", ...


@dataclass(frozen=True)
class IstioIneffective:
    section: str
    index: int
    match_index: int
    by: int               # the rule holding the earlier match


@dataclass(frozen=True)
class _PrefixMatch:
    """genMatchHTTPRoutes: OverlappingMatchValidationForHTTPRoute."""

    index: int
    match_index: int
    prefix: str
    port: int
    method: str
    authority: str
    headers: dict[str, str]
    query_params: dict[str, str]
    without_headers: dict[str, str]


def _exact_or_prefix(match) -> str:
    """assignExactOrPrefix: ``exact:v`` or ``prefix:v``; anything else (regex, absent) is ''."""
    if match is None:
        return ""
    if match.exact:
        return MATCH_EXACT + match.exact
    if match.prefix:
        return MATCH_PREFIX + match.prefix
    return ""


def _prefix_match(match, index: int, match_index: int) -> _PrefixMatch | None:
    if match.uri is None or not match.uri.prefix:
        return None  # only prefix URI matches take part
    return _PrefixMatch(
        index, match_index, match.uri.prefix, match.port or 0,
        _exact_or_prefix(match.method) or MATCH_EXACT + "GET", _exact_or_prefix(match.authority),
        {k: _exact_or_prefix(v) for k, v in (match.headers or {}).items()},
        {k: _exact_or_prefix(v) for k, v in (match.query_params or {}).items()},
        {k: _exact_or_prefix(v) for k, v in (match.without_headers or {}).items()})


def _same_or_prefixed(a: dict[str, str], b: dict[str, str]) -> bool:
    """coveredValidation on headers, query params and withoutHeaders: same keys, each value of ``a`` equal to
    or starting with ``b``'s (Istio's comparison, kept as written)."""
    if len(a) != len(b):
        return False
    return all(key in b and (value == b[key] or value.startswith(b[key])) for key, value in a.items())


def _covered(a: _PrefixMatch, b: _PrefixMatch) -> bool:
    """coveredValidation(vA, vB): the earlier match ``a`` covers the later ``b``."""
    return (b.prefix.startswith(a.prefix) and b.port == a.port
            and (a.method == b.method or a.method.startswith(b.method))
            and (a.authority == b.authority or a.authority.startswith(b.authority))
            and _same_or_prefixed(a.headers, b.headers) and _same_or_prefixed(a.query_params, b.query_params)
            and _same_or_prefixed(a.without_headers, b.without_headers))


def _coarse_key(match) -> tuple:
    """Fields that two matches with the same asJSON form have equal (port, URI, how many headers)."""
    uri = getattr(match, "uri", None)
    return (match.port, None if uri is None else (uri.exact, uri.prefix, uri.regex),
            len(getattr(match, "headers", None) or ()))


def _earlier_duplicate(encountered: dict[tuple, list[list]], match, index: int) -> int | None:
    """The first earlier rule holding a match equal to ``match`` (asJSON without the name), else record
    ``match`` as held by rule ``index`` and return None."""
    group = encountered.setdefault(_coarse_key(match), [])
    if group:
        identity = match_identity(match)
        for entry in group:
            if entry[0] is None:
                entry[0] = match_identity(entry[2])
            if entry[0] == identity:
                return entry[1]
    group.append([None, index, match])
    return None


def istio_unreachable(vs) -> tuple[list[IstioUnreachable], list[IstioIneffective]]:
    """What Istio's webhook warns about in the rules of one virtual service (every section)."""
    rules_out: list[IstioUnreachable] = []
    matches_out: list[IstioIneffective] = []
    for section in SECTIONS:
        routes = getattr(vs.spec, section) or []
        # matchesEncountered, grouped by a cheap key that equal matches share (most matches differ in it, so
        # few need their full identity): coarse key -> [[match identity or None, rule index, match]]
        encountered: dict[tuple, list[list]] = {}
        prefixes: list[tuple[str, int, int, object]] = []   # (uri prefix, rule index, match index, match)
        empty_match_at = -1
        for index, route in enumerate(routes):
            matches = route.match or []
            if not matches:
                if empty_match_at >= 0:
                    rules_out.append(IstioUnreachable(section, index, "only the last rule can have no matches"))
                empty_match_at = index
                continue
            duplicates = 0
            for match_index, match in enumerate(matches):
                if empty_match_at >= 0:
                    rules_out.append(IstioUnreachable(section, index, "route without matches defined before"))
                    continue
                by = _earlier_duplicate(encountered, match, index)
                if by is not None:
                    matches_out.append(IstioIneffective(section, index, match_index, by))
                    duplicates += 1
                    continue
                if section == "http" and match.uri is not None and match.uri.prefix:
                    prefixes.append((match.uri.prefix, index, match_index, match))
            if duplicates == len(matches):
                rules_out.append(IstioUnreachable(section, index, "all matches used by prior rules"))
        # only pairs whose later prefix extends the earlier one can be covered: build those matches' forms
        built: dict[int, _PrefixMatch] = {}
        for i, (prefix, index, match_index, match) in enumerate(prefixes):
            for later_prefix, later_index, later_match_index, later_match in prefixes[i + 1:]:
                if later_prefix == prefix or not later_prefix.startswith(prefix):
                    continue
                earlier = built.get(i) or built.setdefault(i, _prefix_match(match, index, match_index))
                later = _prefix_match(later_match, later_index, later_match_index)
                if _covered(earlier, later):
                    matches_out.append(IstioIneffective(section, later.index, later.match_index, earlier.index))
    return _unique(rules_out), matches_out


def _unique(found: list[IstioUnreachable]) -> list[IstioUnreachable]:
    """A rule after a match-less rule is reported once per match by Istio; once here (same resource, path)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for item in found:
        if (item.section, item.index) not in seen:
            seen.add((item.section, item.index))
            out.append(item)
    return out
