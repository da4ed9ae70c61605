"""VirtualService delegation: a root's ``http[].delegate`` replaced by the child's rules, merged as istiod does.

istiod merges delegates when it builds its VirtualService index (``virtualservice_controller.go``,
``MergeHTTPRoutes`` / ``mergeHTTPRoute`` / ``mergeHTTPMatchRequests`` / ``hasConflict`` /
``stringMatchConflict`` in ``pilot/pkg/model/virtualservice.go``): each child rule's matches are
combined with the root rule's matches (each child match needs a root match it does not conflict
with; a child rule without any is dropped), unset child fields take the root's values, and a
delegate that names no VirtualService is skipped. The child's own short hosts expand in the
child's namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..model.virtualservice import HTTPMatchRequest, HTTPRoute, VirtualService
from . import drops as codes
from .plan import Drop

# Fields a child rule inherits from the root when unset (mergeHTTPRoute).
_INHERITED = ("rewrite", "direct_response", "timeout", "retries", "fault", "mirror", "mirror_percent",
              "mirror_percentage", "cors_policy", "mirrors", "headers")


def _string_conflict(root, leaf) -> bool:
    """``stringMatchConflict``: the child must narrow the root's string match, never widen or change it."""
    if root is None or leaf is None:
        return False
    if root.regex and (leaf.regex or leaf.prefix or leaf.exact):
        return True
    if leaf.regex and (root.regex or root.prefix or root.exact):
        return True
    if root.exact:
        if leaf.prefix:
            return True
        return leaf.exact != root.exact
    if root.prefix:
        if leaf.prefix:
            return not leaf.prefix.startswith(root.prefix)
        if leaf.exact:
            return not leaf.exact.startswith(root.prefix)
    return True


def has_conflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> bool:
    """``hasConflict``."""
    for a, b in ((root.uri, leaf.uri), (root.scheme, leaf.scheme), (root.method, leaf.method),
                 (root.authority, leaf.authority)):
        if _string_conflict(a, b):
            return True
    for mine, theirs in ((root.headers, leaf.headers), (root.without_headers, leaf.without_headers),
                         (root.query_params, leaf.query_params)):
        for key, value in (theirs or {}).items():
            if _string_conflict((mine or {}).get(key), value):
                return True
    if bool(root.ignore_uri_case) != bool(leaf.ignore_uri_case):
        return True
    if root.port and leaf.port and root.port != leaf.port:
        return True
    if root.source_namespace and leaf.source_namespace != root.source_namespace:
        return True
    for key, value in (leaf.source_labels or {}).items():
        if key in (root.source_labels or {}) and root.source_labels[key] != value:
            return True
    return bool(root.gateways and leaf.gateways and (
        len(root.gateways) < len(leaf.gateways) or not set(leaf.gateways) <= set(root.gateways)))


def _joined(root: str | None, leaf: str | None) -> str | None:
    if not leaf:
        return root
    return f"{root}-{leaf}" if root else leaf


def merge_match(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> HTTPMatchRequest:
    """``mergeHTTPMatchRequest``: the child's match with the root's conditions it leaves open."""
    update: dict = {"name": _joined(root.name, leaf.name)}
    for name in ("uri", "scheme", "method", "authority"):
        if getattr(leaf, name) is None:
            update[name] = getattr(root, name)
    for name in ("headers", "without_headers", "query_params", "source_labels"):
        merged = {**(getattr(root, name) or {}), **(getattr(leaf, name) or {})}
        update[name] = merged or None
    if not leaf.port:
        update["port"] = root.port
    if not leaf.source_namespace:
        update["source_namespace"] = root.source_namespace
    if not leaf.gateways:
        update["gateways"] = root.gateways
    if not leaf.stat_prefix:
        update["stat_prefix"] = root.stat_prefix
    return leaf.model_copy(update=update)


def merge_matches(root: list[HTTPMatchRequest] | None, leaf: list[HTTPMatchRequest] | None
                  ) -> tuple[list[HTTPMatchRequest] | None, bool]:
    """``mergeHTTPMatchRequests``: (merged matches, conflict)."""
    if not root:
        return leaf, False
    if not leaf:
        return root, False
    out = []
    for sub in leaf:
        found = False
        for root_match in root:
            if has_conflict(root_match, sub):
                continue
            out.append(merge_match(root_match, sub))
            found = True
        if not found:
            return None, True
    return out, not out


def merge_rule(root: HTTPRoute, child: HTTPRoute) -> HTTPRoute | None:
    """``mergeHTTPRoute``: None when the child's matches conflict with the root's."""
    matches, conflict = merge_matches(root.match, child.match)
    if conflict:
        return None
    update: dict = {"match": matches, "name": _joined(root.name, child.name) if child.name else root.name}
    for name in _INHERITED:
        if getattr(child, name) is None:
            update[name] = getattr(root, name)
    return child.model_copy(update=update)


def has_delegates(vs: VirtualService) -> bool:
    """Whether an HTTP rule of ``vs`` delegates to another VirtualService."""
    return any(rule.delegate is not None for rule in vs.spec.http or [])


class DelegateIndex:
    """VirtualServices by ``namespace/name``, to follow ``delegate`` references.

    ``by_ref`` may be given instead of ``virtual_services``: any mapping from ``namespace/name`` to the
    VirtualService that name means (the compile cache passes one it keeps up to date edit by edit).
    ``memo`` keeps merged rules beyond one compile: an entry is reused only while the VirtualService and
    every child its delegates named are the very same (immutable) objects.
    """

    def __init__(self, virtual_services: Iterable[VirtualService] = (),
                 by_ref: Mapping[str, VirtualService] | None = None, memo: dict | None = None) -> None:
        self.by_ref = by_ref if by_ref is not None else {vs.metadata.qualified: vs for vs in virtual_services}
        self._merged: dict[str, tuple] = memo if memo is not None else {}

    def merged_rules(self, vs: VirtualService, drops: list[Drop]
                     ) -> list[tuple[VirtualService, int, HTTPRoute, VirtualService | None]]:
        """(origin VirtualService, rule index in it, rule, root or None) for every HTTP rule of ``vs``
        with delegates replaced by their merged child rules (computed once per VirtualService object and
        the children it names)."""
        key = vs.metadata.qualified
        found = self._merged.get(key)
        if found is not None and found[0] is vs and all(self.by_ref.get(ref) is child for ref, child in found[1]):
            drops.extend(found[3])
            return found[2]
        out = []
        new_drops = []
        children: list[tuple[str, VirtualService | None]] = []   # what the result depends on besides ``vs``
        for i, rule in enumerate(vs.spec.http or []):
            if rule.delegate is None:
                out.append((vs, i, rule, None))
                continue
            namespace = rule.delegate.namespace or vs.namespace
            child_ref = f"{namespace}/{rule.delegate.name}"
            child = self.by_ref.get(child_ref)
            children.append((child_ref, child))
            if child is None or child.spec.hosts:
                reason = "names no VirtualService" if child is None else "names a VirtualService with hosts"
                new_drops.append(Drop(codes.DELEGATE_MISSING, "VirtualService", key, f"spec.http[{i}].delegate",
                                      f"delegate {child_ref} {reason}; istiod ignores this rule"))
                continue
            for j, child_rule in enumerate(child.spec.http or []):
                merged = merge_rule(rule, child_rule)
                if merged is None:
                    new_drops.append(Drop(codes.DELEGATE_CONFLICT, "VirtualService", child_ref, f"spec.http[{j}]",
                                          f"its match conflicts with the match of its root {key} spec.http[{i}]; "
                                          "istiod drops this rule"))
                    continue
                out.append((child, j, merged, vs))
        drops.extend(new_drops)
        self._merged[key] = (vs, tuple(children), out, new_drops)
        return out
