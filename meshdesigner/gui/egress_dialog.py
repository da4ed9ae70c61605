"""The egress dialog: which shape of egress path (TLS passthrough, TLS origination, plain HTTP) and what
applying it creates, line by line. Applying is one undo step (:meth:`Document.apply_changes`)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..model import Project
from .egress import MODE_TITLES, EgressError, EgressPlan, modes_for, plan_egress


class EgressDialog(QDialog):
    """Shows the plan for one gateway + external service; ``plan`` is what OK applies (None on an error)."""

    def __init__(self, project: Project, gateway_id: str, external_id: str, parent: QWidget | None = None,
                 virtual_service_id: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("egressDialog")
        self.project, self.gateway_id, self.external_id = project, gateway_id, external_id
        self.virtual_service_id = virtual_service_id
        self.plan: EgressPlan | None = None
        gw, ext = project.node(gateway_id), project.node(external_id)
        self.setWindowTitle("Route through the egress gateway")
        layout = QVBoxLayout(self)
        hosts = ext.service_entry.spec.hosts or ["(no host)"]  # type: ignore[attr-defined]
        intro = QLabel(f"Sidecars send traffic for <b>{hosts[0]}</b> to egress gateway <b>{gw.name}</b>, which "
                       f"sends it on to <b>{ext.name}</b>. Chosen from the external service's ports:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.mode_buttons: dict[str, QRadioButton] = {}
        self.group = QButtonGroup(self)
        for mode in modes_for(ext):  # type: ignore[arg-type]
            button = QRadioButton(MODE_TITLES[mode])
            button.setObjectName(f"egressMode_{mode}")
            self.group.addButton(button)
            self.mode_buttons[mode] = button
            layout.addWidget(button)
            button.toggled.connect(lambda on, m=mode: on and self.choose(m))
        layout.addWidget(QLabel("Applying this (one undo step) will:"))
        self.changes = QListWidget()
        self.changes.setObjectName("egressChanges")
        self.changes.setWordWrap(True)
        self.changes.setMinimumSize(560, 200)
        layout.addWidget(self.changes)
        self.problem = QLabel()
        self.problem.setObjectName("egressProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create the egress path")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        first = next(iter(self.mode_buttons))
        self.mode_buttons[first].setChecked(True)

    @property
    def mode(self) -> str | None:
        return self.plan.mode if self.plan else None

    def choose(self, mode: str) -> None:
        """Recompute the plan for ``mode`` and list it."""
        self.mode_buttons[mode].setChecked(True)
        self.changes.clear()
        try:
            self.plan = plan_egress(self.project, self.gateway_id, self.external_id, mode, self.virtual_service_id)
        except EgressError as exc:
            self.plan = None
            self.problem.setText(str(exc))
        else:
            self.problem.setText("" if self.plan.lines else "Nothing to add: the path is already there.")
            self.changes.addItems(self.plan.lines)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.plan and self.plan.lines))
