"""A Document: the Project being edited, its file, its undo stack, and Qt signals for the views.

Views subscribe to the ``sig_*`` signals (re-emitted from the model's Qt-free signals) and redraw;
they never change the model. Every edit goes through a method here that pushes exactly one
QUndoCommand, whose ``redo`` calls the Project's public methods.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..io.project_file import load_project, save_project
from ..model import NodeBase, NodeKind, Project
from ..model.layout import layered_positions
from . import templates
from .commands import (
    AddNodeCommand,
    MacroCommand,
    MoveNodesCommand,
    RemoveNodeCommand,
    ReplaceNodeCommand,
    SetPolicyCommand,
    SetSettingsCommand,
    SetTestsCommand,
)
from .connect import ConnectResult, connect
from .edits import EditError, Path, with_value
from .rename import references_following

__all__ = ["Document", "EditError"]


class Document(QObject):
    sig_node_added = Signal(object)            # node
    sig_node_removed = Signal(object)          # node
    sig_node_changed = Signal(object, object)  # old, new
    sig_node_renamed = Signal(object, object)  # old, new (new.id differs: the id followed the name)
    sig_settings_changed = Signal(object, object)
    sig_extras_changed = Signal()
    sig_tests_changed = Signal()               # the route tests were added, removed or edited
    sig_policies_changed = Signal()            # a security/telemetry/EnvoyFilter resource changed
    sig_policy_changed = Signal(object, object)  # old, new (None when added, None when removed)
    sig_path_changed = Signal(str)
    sig_dirty_changed = Signal(bool)
    sig_edited = Signal()                      # any model change (analysis timer, recovery file)

    def __init__(self, project: Project | None = None, path: str | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project if project is not None else Project("untitled")
        self.path = path
        self.undo_stack = QUndoStack(self)
        self._disposed = False
        self.undo_stack.cleanChanged.connect(lambda clean: self.sig_dirty_changed.emit(not clean))
        self._bridge = [
            (self.project.node_added, self._on_added), (self.project.node_removed, self._on_removed),
            (self.project.node_changed, self._on_changed),
            (self.project.node_renamed, self._on_renamed),
            (self.project.settings_changed, self._on_settings),
            (self.project.extras_changed, self._on_extras),
            (self.project.tests_changed, self._on_tests),
            (self.project.policy_changed, self._on_policy),
        ]
        for model_signal, slot in self._bridge:
            model_signal.connect(slot)

    # ----- Qt bridge -------------------------------------------------------------------------
    def _on_added(self, node: NodeBase) -> None:
        self.sig_node_added.emit(node)
        self.sig_edited.emit()

    def _on_removed(self, node: NodeBase) -> None:
        self.sig_node_removed.emit(node)
        self.sig_edited.emit()

    def _on_changed(self, old: NodeBase, new: NodeBase) -> None:
        self.sig_node_changed.emit(old, new)
        self.sig_edited.emit()

    def _on_renamed(self, old: NodeBase, new: NodeBase) -> None:
        self.sig_node_renamed.emit(old, new)
        self.sig_edited.emit()

    def _on_settings(self, old: Any, new: Any) -> None:
        self.sig_settings_changed.emit(old, new)
        self.sig_edited.emit()

    def _on_extras(self) -> None:
        self.sig_extras_changed.emit()
        self.sig_edited.emit()

    def _on_tests(self, _old: Any, _new: Any) -> None:
        self.sig_tests_changed.emit()
        self.sig_edited.emit()

    def _on_policy(self, old: Any, new: Any) -> None:
        self.sig_policy_changed.emit(old, new)
        self.sig_policies_changed.emit()
        self.sig_edited.emit()

    def close(self) -> None:
        """Stop listening to the model (the window is switching documents)."""
        for model_signal, slot in self._bridge:
            model_signal.disconnect(slot)
        self.undo_stack.clear()

    def dispose(self) -> None:
        """The window is closing: stop listening and empty the undo stack silently. A non-empty stack
        clears itself while being destroyed and would emit ``cleanChanged``/``canUndoChanged`` into
        this object's lambda and the window's actions after their C++ side is gone (RuntimeError)."""
        if self._disposed:
            return
        self._disposed = True
        self.undo_stack.blockSignals(True)
        self.close()

    # ----- files -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str, parent: QObject | None = None) -> Document:
        return cls(load_project(path), os.path.abspath(path), parent)

    def save(self, path: str | None = None) -> None:
        """Save atomically to ``path`` (or the current path) and mark the undo stack clean."""
        target = path or self.path
        if not target:
            raise ValueError("no file name to save to")
        save_project(self.project, target)
        if os.path.abspath(target) != self.path:
            self.path = os.path.abspath(target)
            self.sig_path_changed.emit(self.path)
        self.undo_stack.setClean()

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return os.path.basename(self.path) if self.path else f"{self.project.name} (not saved)"

    # ----- edits (each one undo step) --------------------------------------------------------
    def add_node(self, node: NodeBase) -> None:
        self.undo_stack.push(AddNodeCommand(self.project, node))

    def create_node(self, kind: NodeKind | str, position: tuple[float, float],
                    namespace: str = "default") -> NodeBase:
        node = templates.new_node(self.project, kind, position, namespace)
        self.add_node(node)
        return node

    def add_nodes(self, nodes: Sequence[NodeBase], text: str) -> None:
        if nodes:
            self.undo_stack.push(MacroCommand(text, [AddNodeCommand(self.project, n) for n in nodes]))

    def remove_nodes(self, node_ids: Iterable[str]) -> None:
        nodes = [self.project.node(i) for i in node_ids if i in self.project]
        if not nodes:
            return
        text = f"Delete {nodes[0].name}" if len(nodes) == 1 else f"Delete {len(nodes)} nodes"
        self.undo_stack.push(MacroCommand(text, [RemoveNodeCommand(self.project, n) for n in nodes]))

    def replace_node(self, new: NodeBase, text: str = "", merge_key: object = None,
                     old_id: str | None = None) -> None:
        """Put ``new`` in place of the node ``old_id`` (default: ``new``'s id; another id when the id
        follows a rename, see :meth:`set_field`); references to a renamed node follow in the same step."""
        old = self.project.node(old_id or new.id)
        if old != new:
            followers = references_following(self.project, old, new)
            self.undo_stack.push(ReplaceNodeCommand(self.project, old, new, text, merge_key, followers))

    def set_field(self, node_id: str, path: Path, value: Any, text: str = "") -> None:
        """Set one field; consecutive edits of the same field merge into one undo step.

        Raises :class:`EditError` (nothing changes) when the model cannot hold the value.
        """
        node = self.project.node(node_id)
        new = with_value(node, path, value)
        new_id = self.project.id_after_rename(node, new)
        if new_id != new.id:
            new = new.model_copy(update={"id": new_id})
        self.replace_node(new, text or f"Edit {path[-1]}", merge_key=("field", tuple(path)), old_id=node_id)

    def move_nodes(self, positions: dict[str, tuple[float, float]], text: str = "") -> None:
        moves = {}
        for node_id, new in positions.items():
            old = self.project.node(node_id).position
            new = (round(float(new[0]), 1), round(float(new[1]), 1))
            if old != new:
                moves[node_id] = (old, new)
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.project, moves, text))

    def auto_layout(self, height_of=None) -> None:
        kwargs = {"height_of": height_of} if height_of else {}
        self.move_nodes(layered_positions(self.project, **kwargs), "Automatic layout")

    def connect_nodes(self, source_id: str, target_id: str) -> ConnectResult:
        """Connect two nodes (one undo step); raises ConnectError with the reason when it makes no sense."""
        result = connect(self.project, source_id, target_id)
        commands = [ReplaceNodeCommand(self.project, self.project.node(n.id), n) for n in result.replaced]
        commands += [AddNodeCommand(self.project, n) for n in result.added]
        self.undo_stack.push(MacroCommand("Connect", commands))
        return result

    def apply_changes(self, replaced: Sequence[NodeBase], added: Sequence[NodeBase], text: str) -> None:
        """Replace and add nodes as one undo step (an egress path, a quick fix)."""
        commands = [ReplaceNodeCommand(self.project, self.project.node(n.id), n) for n in replaced
                    if self.project.node(n.id) != n]
        commands += [AddNodeCommand(self.project, n) for n in added]
        if commands:
            self.undo_stack.push(MacroCommand(text, commands))

    def set_policy(self, old, new, text: str = "", merge_key: object = None) -> None:
        """Add (``old`` None), replace or remove (``new`` None) a design policy: one undo step.

        Consecutive edits with the same ``merge_key`` (one field of one policy) merge into one step."""
        if old != new:
            self.undo_stack.push(SetPolicyCommand(self.project, old, new, text, merge_key))

    def add_policy(self, policy) -> None:
        """Add a new security/telemetry/EnvoyFilter resource (one undo step)."""
        self.set_policy(None, policy, f"New {policy.KIND} {policy.metadata.qualified}")

    def remove_policy(self, policy) -> None:
        """Delete a resource (one undo step; undo puts back exactly this resource)."""
        self.set_policy(policy, None, f"Delete {policy.KIND} {policy.metadata.qualified}")

    def set_settings(self, new) -> None:
        """Replace the project settings (one undo step; nothing when they are unchanged)."""
        old = self.project.settings
        if new != old:
            self.undo_stack.push(SetSettingsCommand(self.project, old, new))

    def add_test(self, case) -> None:
        """Append a route test (one undo step)."""
        old = self.project.tests
        self.undo_stack.push(SetTestsCommand(self.project, old, (*old, case), f"Add test {case.description}"))

    def remove_tests(self, indexes: Iterable[int]) -> None:
        """Remove the route tests at ``indexes`` (one undo step)."""
        drop = set(indexes)
        old = self.project.tests
        new = tuple(c for i, c in enumerate(old) if i not in drop)
        if new != old:
            text = f"Delete test {old[min(drop)].description}" if len(drop) == 1 else f"Delete {len(drop)} tests"
            self.undo_stack.push(SetTestsCommand(self.project, old, new, text))

    def duplicate(self, node_ids: Iterable[str], offset: tuple[float, float] = (40.0, 40.0)) -> list[NodeBase]:
        return self.paste([self.project.node(i) for i in node_ids if i in self.project], offset, "Duplicate")

    def paste(self, nodes: Sequence[NodeBase], offset: tuple[float, float] = (40.0, 40.0),
              text: str = "Paste") -> list[NodeBase]:
        copies: list[NodeBase] = []
        taken: set[tuple[str, str, str]] = set()
        for node in nodes:
            dup = templates.copy_of(self.project, node, offset, taken)
            taken.add((str(dup.kind), dup.namespace, dup.name))
            copies.append(dup)
        self.add_nodes(copies, text)
        return copies
