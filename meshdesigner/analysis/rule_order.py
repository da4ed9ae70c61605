"""Rules that can never match: a VirtualService rule whose every match is covered by an earlier rule.

Istio tries a VirtualService's rules in order and takes the first that matches, so a rule after a
catch-all (a rule without ``match``), or whose every match is at least as narrow as a match of an
earlier rule, never receives traffic. Istio's webhook warns about the plain cases (IST0130: a rule
after a match-less rule or whose matches all duplicate earlier ones; IST0131: one duplicated
match); this module also sees *covering* matches (``prefix: /api`` before ``prefix: /api/v1``).

Coverage is decided conservatively: when in doubt (regexes, unknown fields) a match is *not*
covered, so a rule is only marked when it truly can never match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..model.common import StringMatch
from ..model.hosts import host_matches
from ..model.virtualservice import (
    HTTPMatchRequest,
    L4MatchAttributes,
    TLSMatchAttributes,
    VirtualService,
)
from .memo import match_identity

SECTIONS = ("http", "tls", "tcp")


@dataclass(frozen=True)
class ShadowedRule:
    """Rule ``section[index]`` can never match; ``by`` is the earlier rule that takes its traffic."""

    section: str
    index: int
    by: int
    reason: str          # plain words, e.g. "rule 1 (catch-all) matches every request first"
    istio_code: str      # IST0130 (unreachable rule)

    @property
    def path(self) -> str:
        return f"spec.{self.section}[{self.index}]"


@dataclass(frozen=True)
class IneffectiveMatch:
    """Match ``section[index].match[match_index]`` is covered by a match of rule ``by`` (IST0131)."""

    section: str
    index: int
    match_index: int
    by: int

    @property
    def path(self) -> str:
        return f"spec.{self.section}[{self.index}].match[{self.match_index}]"


def rule_label(section: str, index: int, name: str | None) -> str:
    """How rules are named to users: ``rule 2 "api"`` (1-based, as drawn)."""
    return f"rule {index + 1}" + (f' "{name}"' if name else "")


# ----- string matches ------------------------------------------------------------------------
def _kind_and_text(match: StringMatch) -> tuple[str | None, str]:
    """``StringMatch.kind`` and its value as text, read once (this runs for every pair of matches)."""
    if match.exact is not None:
        return "exact", str(match.exact)
    if match.prefix is not None:
        return "prefix", str(match.prefix)
    if match.regex is not None:
        return "regex", str(match.regex)
    return None, ""


def string_match_covers(outer: StringMatch | None, inner: StringMatch | None, ignore_case: bool = False) -> bool:
    """Whether every value ``inner`` accepts is accepted by ``outer`` (``None`` = no condition)."""
    if outer is None:
        return True
    if inner is None:
        return False
    outer_kind, a = _kind_and_text(outer)
    if outer_kind is None:  # an empty match means "present": any condition on the field implies it
        return True
    inner_kind, b = _kind_and_text(inner)
    if inner_kind is None:
        return False
    if ignore_case:
        a, b = a.lower(), b.lower()
    if outer_kind == "regex":
        return (inner_kind == "regex" and a == b) or a in (".*", "^.*$")
    if inner_kind == "regex":
        return False
    if outer_kind == "exact":
        return inner_kind == "exact" and a == b
    return b.startswith(a)  # outer prefix covers an exact or a longer prefix


def _mapping_covers(outer: dict[str, StringMatch] | None, inner: dict[str, StringMatch] | None) -> bool:
    inner = inner or {}
    return all(name in inner and string_match_covers(m, inner[name]) for name, m in (outer or {}).items())


def _labels_cover(outer: dict[str, str] | None, inner: dict[str, str] | None) -> bool:
    inner = inner or {}
    return all(inner.get(k) == v for k, v in (outer or {}).items())


def _list_covers(outer: list[str] | None, inner: list[str] | None) -> bool:
    """A list condition (gateways, subnets): no condition covers all; else inner must be a subset."""
    if not outer:
        return True
    return bool(inner) and set(inner) <= set(outer)


def _same_or_absent(outer, inner) -> bool:
    return outer is None or outer == inner


# ----- per-section match coverage --------------------------------------------------------------
_HTTP_KNOWN = {"name", "uri", "scheme", "method", "authority", "headers", "port", "source_labels", "gateways",
               "query_params", "ignore_uri_case", "without_headers", "source_namespace", "stat_prefix"}


def _matches_every_path(uri: StringMatch | None) -> bool:
    # Every request path starts with "/", so ``prefix: /`` is no condition at all.
    return uri is not None and uri.kind == "prefix" and uri.prefix in ("", "/")


def http_match_covers(outer: HTTPMatchRequest, inner: HTTPMatchRequest) -> bool:
    """Whether every request ``inner`` matches is also matched by ``outer``."""
    if outer.__pydantic_extra__ or inner.__pydantic_extra__:   # unknown fields: nothing is known to cover
        return False
    # A case-insensitive inner match accepts /API; a case-sensitive outer one would not.
    if inner.ignore_uri_case and not outer.ignore_uri_case and outer.uri is not None:
        return False
    # each condition is checked only when ``outer`` has it (no condition covers everything): most matches
    # set two or three of these fields, and this runs for every pair of matches of every VirtualService
    outer_uri = None if _matches_every_path(outer.uri) else outer.uri
    if outer_uri is not None and not string_match_covers(outer_uri, inner.uri,
                                                         ignore_case=bool(outer.ignore_uri_case)):
        return False
    for name in ("scheme", "method", "authority"):
        condition = getattr(outer, name)
        if condition is not None and not string_match_covers(condition, getattr(inner, name)):
            return False
    if outer.headers and not _mapping_covers(outer.headers, inner.headers):
        return False
    if outer.query_params and not _mapping_covers(outer.query_params, inner.query_params):
        return False
    if outer.without_headers and not set(outer.without_headers) <= {
            k for k, v in (inner.without_headers or {}).items() if v == outer.without_headers.get(k)}:
        return False
    return (_same_or_absent(outer.port, inner.port)
            and _labels_cover(outer.source_labels, inner.source_labels)
            and _list_covers(outer.gateways, inner.gateways)
            and _same_or_absent(outer.source_namespace, inner.source_namespace))


def _l4_common_covers(outer: L4MatchAttributes | TLSMatchAttributes,
                      inner: L4MatchAttributes | TLSMatchAttributes) -> bool:
    if outer.__pydantic_extra__ or inner.__pydantic_extra__:   # unknown fields: nothing is known to cover
        return False
    return (_same_or_absent(outer.port, inner.port)
            and _list_covers(outer.destination_subnets, inner.destination_subnets)
            and _labels_cover(outer.source_labels, inner.source_labels)
            and _list_covers(outer.gateways, inner.gateways)
            and _same_or_absent(outer.source_namespace, inner.source_namespace))


def tls_match_covers(outer: TLSMatchAttributes, inner: TLSMatchAttributes) -> bool:
    """TLS matches: every SNI host of ``inner`` must fall under some SNI host of ``outer``."""
    outer_sni = outer.sni_hosts or []
    inner_sni = inner.sni_hosts or []
    sni_ok = not outer_sni or (bool(inner_sni) and all(any(host_matches(o, i) for o in outer_sni)
                                                       for i in inner_sni))
    return sni_ok and _l4_common_covers(outer, inner)


_COVERS = {"http": http_match_covers, "tls": tls_match_covers, "tcp": _l4_common_covers}


def _match_covers(section: str, outer, inner) -> bool:
    return _COVERS[section](outer, inner)


def _duplicates(outer, inner) -> bool:
    """validation.go asJSON: two matches are duplicates when equal apart from an HTTP match's name."""
    return match_identity(outer) == match_identity(inner)


@cache
def _empty_match(section: str):
    """The match that matches everything of its section (a frozen model: built once, shared)."""
    return {"http": HTTPMatchRequest, "tls": TLSMatchAttributes, "tcp": L4MatchAttributes}[section]()


def _is_catch_all(section: str, match) -> bool:
    if section == "http" and (uri := match.uri) is not None \
            and not (uri.exact is None and uri.prefix in ("", "/")):   # (_matches_every_path, inline)
        return False   # (what http_match_covers would find first: a URI condition the empty match lacks)
    return _match_covers(section, match, _empty_match(section))


# ----- the analysis ----------------------------------------------------------------------------
def shadowed_rules(vs: VirtualService) -> tuple[list[ShadowedRule], list[IneffectiveMatch]]:
    """Rules that can never match and single matches that never apply, in every section of ``vs``.

    A rule without ``match`` catches everything (in TLS sections Istio requires a match, but an
    empty one still catches everything of its kind). A match covered by an earlier match of its own rule
    is ineffective too (analyzeUnreachableHTTPRules records each match as it goes).

    A delegate (a virtual service without hosts) is judged only as Istio's webhook judges it
    (analyzeUnreachableHTTPRules: rules after a rule without match, exact duplicate matches): once istiod
    merges it into its parent, the parent's match narrows every child rule, so a wider covering analysis
    of the child alone would call rules unreachable that serve requests.
    """

    rules_out: list[ShadowedRule] = []
    matches_out: list[IneffectiveMatch] = []
    for section in SECTIONS:
        rules = getattr(vs.spec, section) or []
        covers = _COVERS[section] if vs.spec.hosts else _duplicates
        seen: list[tuple[int, object]] = []   # (rule index, match) of earlier rules
        catch_all: int | None = None
        for index, rule in enumerate(rules):
            if catch_all is not None:
                earlier = rules[catch_all]
                how = "matches every request" if earlier.match else "has no match condition"
                rules_out.append(ShadowedRule(
                    section, index, catch_all,
                    f"{rule_label(section, catch_all, getattr(earlier, 'name', None))} {how}, so it takes "
                    "all traffic before this rule is tried", "IST0130"))
                continue
            matches = rule.match or []
            if not matches:
                catch_all = index
                continue
            covered_by: list[int] = []
            for m_index, match in enumerate(matches):
                by = None
                for i, earlier in seen:
                    if covers(earlier, match):
                        by = i
                        break
                if by is not None:
                    covered_by.append(by)
                    matches_out.append(IneffectiveMatch(section, index, m_index, by))
                elif m_index and any(covers(earlier, match) for earlier in matches[:m_index]):
                    matches_out.append(IneffectiveMatch(section, index, m_index, index))
            if len(covered_by) == len(matches):
                names = sorted(set(covered_by))
                who = ", ".join(rule_label(section, i, getattr(rules[i], "name", None)) for i in names)
                rules_out.append(ShadowedRule(
                    section, index, names[-1],
                    f"every request it matches is already taken by {who}", "IST0130"))
            seen.extend((index, m) for m in matches)
            if vs.spec.hosts and any(_is_catch_all(section, m) for m in matches):
                catch_all = index
    return rules_out, matches_out


def shadowed_rule_indices(vs: VirtualService, section: str) -> dict[int, ShadowedRule]:
    """``{rule index: ShadowedRule}`` for one section (the flow view and the rule list mark these)."""
    return {r.index: r for r in shadowed_rules(vs)[0] if r.section == section}
