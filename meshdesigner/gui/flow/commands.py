"""Moving a virtual service rule to another place in its list: one undo step that calls only the Project's API."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from ...model import Project, VirtualServiceNode


def rules_moved(node: VirtualServiceNode, section: str, source: int, target: int) -> VirtualServiceNode:
    """A copy of ``node`` whose ``section`` rule ``source`` now sits at index ``target``."""
    spec = node.virtual_service.spec
    rules = list(getattr(spec, section) or [])
    if not (0 <= source < len(rules) and 0 <= target < len(rules)):
        raise IndexError(f"no rule {source + 1} or place {target + 1} among {len(rules)} {section} rules")
    rules.insert(target, rules.pop(source))
    new_spec = spec.model_copy(update={section: rules})
    return node.model_copy(update={"virtual_service": node.virtual_service.model_copy(update={"spec": new_spec})})


class MoveRuleCommand(QUndoCommand):
    """Move rule ``source`` of ``section`` to ``target`` (both 0-based); undo moves it back."""

    def __init__(self, project: Project, node_id: str, section: str, source: int, target: int) -> None:
        node = project.node(node_id)
        rules = getattr(node.virtual_service.spec, section) or []
        name = getattr(rules[source], "name", None) if 0 <= source < len(rules) else None
        label = f'rule "{name}"' if name else f"rule {source + 1}"
        super().__init__(f"Move {label} of {node.name} to place {target + 1}")
        self.project, self.node_id, self.section = project, node_id, section
        self.source, self.target = source, target

    def redo(self) -> None:
        node = self.project.node(self.node_id)
        self.project.replace_node(rules_moved(node, self.section, self.source, self.target))

    def undo(self) -> None:
        node = self.project.node(self.node_id)
        self.project.replace_node(rules_moved(node, self.section, self.target, self.source))
