"""Running the rules: :func:`analyze` for one-shot use, :class:`Analyzer` for the GUI's re-validation."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

from ..compile.cache import NodeChanges
from ..io.gcpause import gc_paused
from ..model.nodes import NodeBase
from ..model.project import Project
from .context import Context
from .diagnostic import Diagnostic, parse_path, sort_diagnostics
from .index import DesignIndex, Key, changed_keys
from .registry import DESIGN, NODE, Rule, registered_rules

IGNORE_ANNOTATION = "meshdesigner.io/ignore"


def parse_codes(text: str | Iterable[str] | None) -> frozenset[str]:
    """``"MD0123, md0456"`` (or a list of such strings) -> ``{"MD0123", "MD0456"}``."""
    if not text:
        return frozenset()
    parts = [text] if isinstance(text, str) else list(text)
    return frozenset(code.strip().upper() for part in parts for code in part.split(",") if code.strip())


def _suppressed(diag: Diagnostic, ignored: frozenset[str]) -> bool:
    return diag.code in ignored or (diag.istio_code is not None and diag.istio_code in ignored)


class Analyzer:
    """Holds the diagnostics of a project per node and recomputes only what an edit can affect.

    Call :meth:`refresh` (cheap when nothing changed) after edits; it finds the changed nodes by identity
    (nodes are immutable, every edit replaces one), re-runs every per-node rule of the changed nodes, and
    for other nodes only the rules whose tracked look-ups the change touches; design-wide rules re-run whole.
    """

    def __init__(self, project: Project, sources: Mapping | None = None,
                 rules: Iterable[Rule] | None = None, track: bool = True, secrets: Iterable[dict] = (),
                 freeze_after_first: bool = False, between_nodes: Callable[[], None] | None = None) -> None:
        """``track=False`` skips recording look-ups: for one-shot runs (:func:`analyze`), never refreshed.
        ``secrets``: Secret references read with the input (an ImportResult's), which a project never holds.
        ``freeze_after_first``: end the first refresh with ``gc.freeze()`` instead of a full collection (see
        :meth:`refresh`), for a process that keeps what it checks for good (the GUI freezes its design too).
        ``between_nodes``: called between two nodes' rules (the GUI's checks worker gives way to the window
        there, see gui/give_way.py)."""
        self.project = project
        self.between_nodes = between_nodes
        self.freeze_after_first = freeze_after_first
        self.secrets = tuple(secrets)
        self.track = track
        self.sources = dict(sources or {})
        all_rules = list(rules) if rules is not None else registered_rules()
        self._node_rules: dict[str, list[Rule]] = defaultdict(list)
        for r in all_rules:
            if r.scope == NODE:
                for kind in r.kinds:
                    self._node_rules[kind].append(r)
        self._design_rules = [r for r in all_rules if r.scope == DESIGN]
        # kind -> ((rule name, function), ...) of the rules a one-shot run calls on every node of the kind, and
        # ((field, ((rule name, function), ...)), ...) of those it calls only where the node field is set
        self._node_fns: dict[str, tuple[tuple, tuple]] = {}
        for kind, rules in self._node_rules.items():
            needing: dict[str, list] = defaultdict(list)
            for r in rules:
                if r.needs is not None:
                    needing[r.needs].append((r.name, r.fn))
            self._node_fns[kind] = (tuple((r.name, r.fn) for r in rules if r.needs is None),
                                    tuple((field, tuple(fns)) for field, fns in needing.items()))
        self.index = DesignIndex()
        self.context = Context(project, self.index, self.secrets)
        self._seen: dict[str, NodeBase] = {}
        self._settings = None
        self._per_node: dict[str, dict[str, list[Diagnostic]]] = {}   # node id -> rule name -> findings (if any)
        self._design_by_rule: dict[str, list[Diagnostic]] = {}  # rule name -> findings of its last run
        self._extras_revision: int | None = None
        self._deps: dict[Key, set[tuple[str, str]]] = defaultdict(set)  # key -> {(node id, rule name)}
        self._recorded: dict[str, dict[str, set[Key]]] = {}  # node id -> rule name -> keys it looked up
        self._result: list[Diagnostic] | None = None
        # sorted findings of the node rules and of the design rules, kept between refreshes
        self._node_sorted: list[Diagnostic] | None = None
        self._design_sorted: list[Diagnostic] | None = None
        self.last_recomputed: set[str] = set()   # node ids re-run by the last refresh (for tests and the GUI)
        self._generation = 0     # counts the refreshes that found changed nodes (NodeChanges)
        self._policies: tuple | None = None     # the design's policies at the last refresh (design rules read them)

    # ----- public ----------------------------------------------------------------------------------------
    def refresh(self) -> list[Diagnostic]:
        """Bring the diagnostics up to date with the project and return them, sorted."""
        if self._result is not None:
            return self._refresh()
        # a first run builds the index and every finding: many small objects, none of them cyclic garbage, so
        # the cyclic GC is paused for all of it (a third of the time) ...
        with gc_paused():
            found = self._refresh()
            if self.track and self.freeze_after_first:
                # Out of the collector's reach before it runs again: no full pass over it, and no young
                # pass over all of it when the pause ends either (each ~50 ms on the bench mesh, holding
                # the interpreter lock: a stall of the GUI thread while the worker checks).
                gc.freeze()
                return found
        if self.track:
            # ... and what it built is moved to the old generation now, on the run that built it, by a FULL
            # collection: a young one would leave it all "pending" in the old generation, and CPython collects
            # the old generation in full once the pending objects outnumber a quarter of those its last full
            # collection kept (none before the first), which fell on some later edit (130 ms on the bench
            # mesh, after ~100 edits). A full collection resets that count: later edits leave little behind.
            gc.collect()
        return found

    def _refresh(self) -> list[Diagnostic]:
        current = self.project.nodes
        dirty: set[str] = set()
        touched: set[Key] = set()
        changed_kinds: set[str] = set()   # design rules re-run when a node of a kind they read changed
        extras_changed = self.project.extras_revision != self._extras_revision
        self._extras_revision = self.project.extras_revision
        settings = self.project.settings.model_copy(update={"ignore": ()})
        if settings != self._settings or (extras_changed and self._result is not None):
            # settings other than the ignore list, or the verbatim resources (Pods, Secrets, Gateway API
            # objects) may change any rule's view: start again (rare)
            self._settings = settings
            self.index = DesignIndex()
            self.context = Context(self.project, self.index, self.secrets)
            self._seen, self._per_node, self._deps, self._recorded = {}, {}, defaultdict(set), {}
            self._design_by_rule = {}
            self._node_sorted = self._design_sorted = None
        seen = self._seen
        # The keys an edit touches select the other nodes' rules to re-run by their recorded look-ups: with
        # none recorded (a first or untracked run) they select nothing, and are not gathered.
        gather_keys = bool(self._deps)
        removed: set[str] = set()
        pairs: list[tuple[NodeBase | None, NodeBase | None]] = []   # every node not the same object any more
        if seen.keys() != current.keys():    # some node was removed (or renamed)
            for node_id in [i for i in seen if i not in current]:
                removed.add(node_id)
                old = seen.pop(node_id)
                pairs.append((old, None))
                changed_kinds.add(str(old.kind))
                touched |= self.index.remove(old)
                self._per_node.pop(node_id, None)
                self._forget(node_id, None)
        for node_id, node in current.items():
            old = seen.get(node_id)
            if old is node:
                continue
            pairs.append((old, node))
            if old is not None and old.position != node.position and old.moved(node.position) == node:
                # only moved on the canvas: no rule reads positions, keep every result
                self.index.moved(node)
                seen[node_id] = node
                continue
            changed_kinds.add(node.kind)
            if old is not None:
                changed_kinds.add(old.kind)
                keys = changed_keys(self.index.remove(old), self.index.add(node))
            else:
                keys = self.index.add(node)
            if gather_keys:
                touched |= keys
            seen[node_id] = node
            dirty.add(node_id)
        dirty &= current.keys()
        if pairs:     # the compile cache applies these instead of comparing every node again
            self.context.node_changes = NodeChanges(self._generation, self._generation + 1, tuple(pairs))
            self._generation += 1
        partial: dict[str, set[str]] = defaultdict(set)   # node id -> rules to re-run
        for key in touched:
            for node_id, rule_name in self._deps.get(key, ()):
                if node_id in current and node_id not in dirty:
                    partial[node_id].add(rule_name)
        self.last_recomputed = dirty | set(partial)
        policies = tuple(self.project.policies)
        policies_changed = policies != self._policies
        self._policies = policies
        if dirty or touched or policies_changed or extras_changed or self._result is None:
            self.context._references = None
            # an edit of many nodes allocates many small objects: pausing the cyclic GC saves a third of the time
            with gc_paused() if len(dirty) > 100 else contextlib.nullcontext():
                run_new = self._run_node_once if not self.track else lambda node: self._run_node(node, None)
                pause = self.between_nodes
                for node_id in sorted(dirty):
                    run_new(current[node_id])
                    if pause is not None:
                        pause()
                for node_id in sorted(partial):
                    self._run_node(current[node_id], partial[node_id])
            design_changed = False
            for r in self._design_rules:
                if extras_changed or policies_changed or r.name not in self._design_by_rule \
                        or changed_kinds.intersection(r.kinds):
                    found = [self._finish(d, None) for d in r.fn(self.context)]
                    kept = [d for d in found if not self._annotated_ignore(d)]
                    design_changed = design_changed or kept != self._design_by_rule.get(r.name)
                    self._design_by_rule[r.name] = kept
            if design_changed or self._design_sorted is None:
                self._design_sorted = sort_diagnostics(
                    d for r in self._design_rules for d in self._design_by_rule[r.name])
            self._sort_node_findings(self.last_recomputed | removed)
            self._result = None
        if self._result is None:
            self._result = _merged(self._node_sorted, self._design_sorted)
        ignored = parse_codes(self.project.settings.ignore)
        if ignored:
            return [d for d in self._result if not _suppressed(d, ignored)]
        return list(self._result)

    diagnostics = refresh

    def for_node(self, node_id: str) -> list[Diagnostic]:
        """The current diagnostics of one node (call :meth:`refresh` first)."""
        ignored = parse_codes(self.project.settings.ignore)
        own = [d for d in (self._result or []) if d.node_id == node_id]
        return [d for d in own if not _suppressed(d, ignored)]

    # ----- internals -------------------------------------------------------------------------------------
    def _sort_node_findings(self, rerun: set[str]) -> None:
        """Bring the sorted findings of the node rules up to date after the rules of ``rerun`` (node ids, some
        maybe removed) ran again: theirs are taken out and their new ones merged in."""
        if self._node_sorted is None or len(rerun) > 100:
            self._node_sorted = sort_diagnostics(
                d for by_rule in self._per_node.values() for diags in by_rule.values() for d in diags)
            return
        if not rerun:
            return
        kept = [d for d in self._node_sorted if d.node_id not in rerun]
        fresh = [d for node_id in rerun for diags in self._per_node.get(node_id, {}).values() for d in diags]
        self._node_sorted = _merged(kept, fresh) if fresh else kept

    def _run_node(self, node: NodeBase, only: set[str] | None) -> None:
        """Run the node's rules (``only`` those named), recording each rule's look-ups."""
        ctx = self.context
        node_id = node.id
        if only is None and not self.track:
            self._run_node_once(node)
            return
        if only is None:
            self._forget(node_id, None)
            results: dict[str, list[Diagnostic]] = {}
        else:
            results = self._per_node.get(node_id, {})
        track = self.track
        for r in self._node_rules.get(str(node.kind), ()):
            if only is not None:
                if r.name not in only:
                    continue
                self._forget(node_id, r.name)
            if track:
                ctx._begin()
                try:
                    found = list(r.fn(ctx, node))
                finally:
                    recorded = ctx._end()
                if recorded:
                    self._recorded.setdefault(node_id, {})[r.name] = recorded
                    for key in recorded:
                        self._deps[key].add((node_id, r.name))
            else:
                found = list(r.fn(ctx, node))
            if found:
                kept = [d for d in (self._finish(diag, node_id) for diag in found) if not self._annotated_ignore(d)]
                if kept:
                    results[r.name] = kept
                    continue
            if only is not None:
                results.pop(r.name, None)
        if results:
            self._per_node[node_id] = results
        else:
            self._per_node.pop(node_id, None)

    def _run_node_once(self, node: NodeBase) -> None:
        """:meth:`_run_node` for a one-shot run (nothing recorded, nothing to forget): every rule of the
        node's kind runs, but those that ``need`` a field the node lacks, so the loop is kept to the minimum."""
        results: dict[str, list[Diagnostic]] = {}
        every, needing = self._node_fns.get(node.kind, ((), ()))
        self._run_fns(node, every, results)
        for field, fns in needing:
            if getattr(node, field) is not None:
                self._run_fns(node, fns, results)
        if results:
            self._per_node[node.id] = results

    def _run_fns(self, node: NodeBase, fns: tuple, results: dict[str, list[Diagnostic]]) -> None:
        ctx = self.context
        for name, fn in fns:
            found = iter(fn(ctx, node))   # (a rule may return a list)
            for first in found:    # (most rules find nothing: no list is built for them)
                node_id = node.id
                kept = [d for d in (self._finish(diag, node_id) for diag in (first, *found))
                        if not self._annotated_ignore(d)]
                if kept:
                    results[name] = kept
                break

    def _forget(self, node_id: str, rule_name: str | None) -> None:
        """Drop the recorded look-ups of one rule on a node (``None``: of all its rules)."""
        by_rule = self._recorded.get(node_id)
        if not by_rule:
            return
        names = [rule_name] if rule_name is not None else list(by_rule)
        for name in names:
            for key in by_rule.pop(name, ()):
                deps = self._deps.get(key)
                if deps is not None:
                    deps.discard((node_id, name))
                    if not deps:
                        del self._deps[key]
        if not by_rule:
            del self._recorded[node_id]

    def _annotated_ignore(self, diag: Diagnostic) -> bool:
        node_id = diag.node_id
        if node_id is None:
            return False
        node = self.index.nodes.get(node_id)
        if node is None:
            return False
        for res in node.held_resources():
            if res.ref == diag.resource:
                annotations = res.metadata.annotations or {}
                return _suppressed(diag, parse_codes(annotations.get(IGNORE_ANNOTATION)))
        return False

    def _finish(self, diag: Diagnostic, node_id: str | None) -> Diagnostic:
        """Attach the node id and, for imported manifests, the file and line of the field."""
        if node_id is None:
            node_id = self.index.node_of(diag.resource)
        source = self.sources.get(tuple(diag.resource))
        file = line = None
        if source is not None:
            file = source.file
            line = source.line_of(parse_path(diag.path)) if diag.path else source.line
        return dataclasses.replace(diag, node_id=node_id, file=file, line=line)


def _merged(many: list[Diagnostic], few: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted ``many`` with ``few`` (any order) placed among them: by bisection when they are a few, which
    spares computing the sort key of every finding again."""
    if len(few) > 64:
        return sort_diagnostics(many + few)
    out = list(many)
    for diag in few:
        insort(out, diag, key=Diagnostic.sort_key)
    return out


def analyze(project: Project, sources: Mapping | None = None, secrets: Iterable[dict] = ()) -> list[Diagnostic]:
    """Every diagnostic of ``project``, sorted by severity, resource, path and code.

    ``sources`` is an :class:`~meshdesigner.io.importer.ImportResult`'s ``sources`` mapping, so diagnostics
    of imported manifests carry their file and line. Suppressions apply: the project's
    ``settings.ignore`` and the ``meshdesigner.io/ignore: MD0123,MD0456`` annotation on a resource.
    """
    # The run builds an index and many small objects that die with the Analyzer. The cyclic GC stays paused
    # until reference counting has freed them: re-enabled earlier (as refresh() alone does), its first
    # collection would walk every one of them (~30 ms on the 2,000-resource mesh) only to promote them.
    with gc_paused():
        return Analyzer(project, sources, track=False, secrets=secrets).refresh()
