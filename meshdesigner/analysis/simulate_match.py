"""Envoy's matching rules in Python, compiled once per gateway: filter chains by SNI, virtual hosts
by Host, routes by path/headers/query. Each check returns None (matches) or the reason in plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..compile.plan import FilterChainPlan, ListenerPlan, RoutePlan, VirtualHostPlan


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def string_matches(matcher: dict, value: str, ignore_case: bool = False) -> bool:
    """Envoy StringMatcher semantics (``safe_regex`` must match the whole value, as RE2 does)."""
    if "exact" in matcher:
        expected = matcher["exact"]
        return value.lower() == expected.lower() if ignore_case else value == expected
    if "prefix" in matcher:
        prefix = matcher["prefix"]
        return value.lower().startswith(prefix.lower()) if ignore_case else value.startswith(prefix)
    if "safe_regex" in matcher:
        rx = _regex(matcher["safe_regex"]["regex"])
        return rx is not None and rx.fullmatch(value) is not None
    return False


def describe_matcher(matcher: dict | None) -> str:
    if matcher is None:
        return "is present"
    if "exact" in matcher:
        return f"equals {matcher['exact']!r}"
    if "prefix" in matcher:
        return f"starts with {matcher['prefix']!r}"
    return f"matches the regex {matcher['safe_regex']['regex']!r}"


def header_matches(header: dict, value: str | None) -> bool:
    """Envoy's ``HeaderUtility::HeaderData::matchesHeaders``: a missing header fails a string match
    (an inverted one too) unless ``treat_missing_header_as_empty``, which compares the empty string."""
    matcher = header.get("string_match")
    invert = bool(header.get("invert_match"))
    if value is None:
        if header.get("treat_missing_header_as_empty"):
            value = ""
        elif matcher is None:            # present_match: a missing header is "not present"
            return invert
        else:
            return False
    ok = True if matcher is None else string_matches(matcher, value)
    return ok != invert


def header_mismatch(header: dict, value: str | None) -> str | None:
    """None when the header condition holds, else why not (in words)."""
    if header_matches(header, value):
        return None
    name, matcher = header["name"], header.get("string_match")
    shown = "is missing" if value is None else f"is {value!r}"
    if header.get("invert_match"):
        if value is None and matcher is not None:
            return (f"header {name} is missing, and an inverted match (withoutHeaders) fails on a missing header "
                    "before Istio 1.22")
        return f"header {name} {shown} and {describe_matcher(matcher)}, but the rule requires it not to"
    return f"header {name} {shown}; the rule requires it {describe_matcher(matcher)}"


@dataclass
class HttpFacts:
    """The parts of a request route matching looks at (header names lower-case)."""

    path: str
    headers: dict[str, str]
    query: dict[str, str]        # first value of each parameter, decoded


class CompiledRoute:
    """A route's Envoy RouteMatch, ready to check requests and to say why one does not match."""

    def __init__(self, plan: RoutePlan) -> None:
        self.plan = plan
        self.match = plan.envoy_match
        self.case_sensitive = self.match.get("case_sensitive", True)

    def mismatch(self, req: HttpFacts) -> str | None:
        m = self.match
        path = req.path
        ci = not self.case_sensitive
        if "path" in m:
            if not string_matches({"exact": m["path"]}, path, ci):
                return f"the path {path!r} is not exactly {m['path']!r}"
        elif "prefix" in m:
            if not string_matches({"prefix": m["prefix"]}, path, ci):
                return f"the path {path!r} does not start with {m['prefix']!r}"
        elif "safe_regex" in m and not string_matches(m, path):
            return f"the path {path!r} does not match the regex {m['safe_regex']['regex']!r}"
        for header in m.get("headers", ()):
            reason = header_mismatch(header, req.headers.get(header["name"].lower()))
            if reason is not None:
                return reason
        for param in m.get("query_parameters", ()):
            name = param["name"]
            value = req.query.get(name)
            matcher = param.get("string_match")
            if value is None or (matcher is not None and not string_matches(matcher, value)):
                shown = "is missing" if value is None else f"is {value!r}"
                return f"query parameter {name} {shown}; the rule requires it {describe_matcher(matcher)}"
        return None


@dataclass
class CompiledVirtualHost:
    plan: VirtualHostPlan
    routes: list[CompiledRoute]


def domain_rank(domain: str, host: str) -> tuple[int, int] | None:
    """How Envoy ranks a virtual host domain for ``host``: exact, then longest ``*.suffix``, then
    longest ``prefix.*``, then ``*``. None: no match. Lower tuples win."""
    domain = domain.lower()
    if domain == host:
        return (0, 0)
    if domain == "*":
        return (3, 0)
    if domain.startswith("*") and host.endswith(domain[1:]) and len(host) > len(domain) - 1:
        return (1, -len(domain))
    if domain.endswith("*") and host.startswith(domain[:-1]) and len(host) > len(domain) - 1:
        return (2, -len(domain))
    return None


def select_virtual_host(vhosts: list[CompiledVirtualHost], host: str) -> CompiledVirtualHost | None:
    best, best_rank = None, None
    for vhost in vhosts:
        for domain in vhost.plan.domains:
            rank = domain_rank(domain, host)
            if rank is not None and (best_rank is None or rank < best_rank):
                best, best_rank = vhost, rank
    return best


def select_chain(listener: ListenerPlan, sni: str | None) -> FilterChainPlan | None:
    """Envoy's filter chain choice on SNI: exact name, then the longest wildcard, then a chain without names."""
    sni = (sni or "").lower()
    best, best_rank = None, None
    for chain in listener.chains:
        if not chain.server_names:
            rank = (3, 0)
        elif not sni:
            continue
        else:
            ranks = [r for r in (domain_rank(n, sni) for n in chain.server_names) if r is not None and r[0] < 2]
            if not ranks:
                continue
            rank = min(ranks)
        if best_rank is None or rank < best_rank:
            best, best_rank = chain, rank
    return best


class ChainIndex:
    """:func:`select_chain` for one listener with the SNI names indexed (a workload may have hundreds of
    TLS chains): exact names, then ``*.suffix`` wildcards longest first, then the chain without names."""

    def __init__(self, listener: ListenerPlan) -> None:
        self.exact: dict[str, FilterChainPlan] = {}
        self.wildcards: list[tuple[str, FilterChainPlan]] = []
        self.any: FilterChainPlan | None = None
        for chain in listener.chains:
            if not chain.server_names:
                self.any = self.any or chain
            for name in chain.server_names:
                name = name.lower()
                if name.startswith("*"):
                    self.wildcards.append((name[1:], chain))
                else:
                    self.exact.setdefault(name, chain)
        self.wildcards.sort(key=lambda item: -len(item[0]))      # stable: the first chain wins a tie

    def select(self, sni: str | None) -> FilterChainPlan | None:
        sni = (sni or "").lower()
        if sni:
            found = self.exact.get(sni)
            if found is not None:
                return found
            for suffix, chain in self.wildcards:
                if sni.endswith(suffix) and len(sni) > len(suffix):
                    return chain
        return self.any
