"""Undo commands: every user edit is exactly one of these, and they call only the Project's public API.

``MacroCommand`` groups several into one step (remove several nodes, paste). ``ReplaceNodeCommand``
with a ``merge_key`` merges consecutive edits of one field into one step (a burst of typing).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand

from ..model import NodeBase, Project

MERGE_ID = 0x6D64  # "md": every mergeable command shares it and compares merge keys in mergeWith
POLICY_MERGE_ID = 0x6D70  # "mp": mergeable policy edits (a burst of typing in one policy field)


class AddNodeCommand(QUndoCommand):
    def __init__(self, project: Project, node: NodeBase, text: str = "") -> None:
        super().__init__(text or f"Add {node.name}")
        self.project, self.node = project, node

    def redo(self) -> None:
        self.project.add_node(self.node)

    def undo(self) -> None:
        self.project.remove_node(self.node.id)


class RemoveNodeCommand(QUndoCommand):
    def __init__(self, project: Project, node: NodeBase) -> None:
        super().__init__(f"Delete {node.name}")
        self.project, self.node = project, node

    def redo(self) -> None:
        self.project.remove_node(self.node.id)

    def undo(self) -> None:
        self.project.add_node(self.node)


class ReplaceNodeCommand(QUndoCommand):
    """Put ``new`` in place of ``old``: property edits, connections, renames (the id may follow the name).

    ``followers`` are ``(old, new)`` nodes changed with it, e.g. virtual services whose references follow
    a rename (:mod:`meshdesigner.gui.rename`); they are replaced after ``new`` and restored before ``old``.
    """

    def __init__(self, project: Project, old: NodeBase, new: NodeBase, text: str = "",
                 merge_key: object = None, followers: Sequence[tuple[NodeBase, NodeBase]] = ()) -> None:
        super().__init__(text or f"Edit {new.name}")
        self.project, self.old, self.new, self.merge_key = project, old, new, merge_key
        self.followers: dict[str, tuple[NodeBase, NodeBase]] = {o.id: (o, n) for o, n in followers}

    def id(self) -> int:
        return MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ReplaceNodeCommand) or other.merge_key != self.merge_key:
            return False
        if other.old.id != self.new.id:  # the other edit continues this one on the same node (ids may follow)
            return False
        self.new = other.new
        for node_id, (_first, latest) in other.followers.items():
            first = self.followers.get(node_id, (_first, latest))[0]
            self.followers[node_id] = (first, latest)
        self.setObsolete(self.new == self.old and all(o == n for o, n in self.followers.values()))
        return True

    def redo(self) -> None:
        # A rename whose id follows the name moves the node to its new id (Project.id_after_rename).
        self.project.rename_node(self.old.id, self.new)
        for _old, new in self.followers.values():
            self.project.replace_node(new)

    def undo(self) -> None:
        for old, _new in reversed(list(self.followers.values())):
            self.project.replace_node(old)
        self.project.rename_node(self.new.id, self.old)


class MoveNodesCommand(QUndoCommand):
    """Nodes moved by a drag or by automatic layout: ``{id: (old_position, new_position)}``."""

    def __init__(self, project: Project, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = "") -> None:
        super().__init__(text or ("Move " + (f"{len(moves)} nodes" if len(moves) > 1 else "node")))
        self.project, self.moves = project, moves

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.project.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.project.move_node(node_id, old)


class SetTestsCommand(QUndoCommand):
    """Replace the design's route tests (add, remove or edit one: the whole tuple before and after)."""

    def __init__(self, project: Project, old: tuple, new: tuple, text: str) -> None:
        super().__init__(text)
        self.project, self.old, self.new = project, tuple(old), tuple(new)

    def redo(self) -> None:
        self.project.set_tests(self.new)

    def undo(self) -> None:
        self.project.set_tests(self.old)


class SetSettingsCommand(QUndoCommand):
    """Replace the project's settings (one undo step for everything the settings dialog changed)."""

    def __init__(self, project: Project, old, new, text: str = "Project settings") -> None:
        super().__init__(text)
        self.project, self.old, self.new = project, old, new

    def redo(self) -> None:
        self.project.set_settings(self.new)

    def undo(self) -> None:
        self.project.set_settings(self.old)


class MacroCommand(QUndoCommand):
    """Several commands as one undo step (redo in order, undo in reverse)."""

    def __init__(self, text: str, commands: Sequence[QUndoCommand]) -> None:
        super().__init__(text)
        self.commands = list(commands)

    def redo(self) -> None:
        for command in self.commands:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


class SetPolicyCommand(QUndoCommand):
    """Add, replace or remove one security/telemetry/EnvoyFilter resource (``old`` or ``new`` may be None).

    A replaced resource keeps its place in the design: an imported, hand-written policy edited in the
    app is written back as the same resource. With a ``merge_key`` (a field's path), consecutive edits
    of that field of the same resource merge into one step (a burst of typing)."""

    def __init__(self, project: Project, old, new, text: str = "", merge_key: object = None) -> None:
        what = new if new is not None else old
        super().__init__(text or f"Edit {what.KIND} {what.metadata.qualified}")
        self.project, self.old, self.new, self.merge_key = project, old, new, merge_key

    def id(self) -> int:
        return POLICY_MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetPolicyCommand) or other.merge_key != self.merge_key:
            return False
        if self.new is None or other.old is None or other.new is None or other.old.ref != self.new.ref:
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def _apply(self, before, after) -> None:
        if before is None:
            self.project.add_policy(after)
        elif after is None:
            self.project.remove_policy(before.ref)
        else:
            self.project.replace_policy(before.ref, after)

    def redo(self) -> None:
        self._apply(self.old, self.new)

    def undo(self) -> None:
        self._apply(self.new, self.old)
