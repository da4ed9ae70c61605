""""Project settings…": the settings saved in the project file that change what the checks report.

Root namespace (meshConfig.rootNamespace), the Istio version the design follows, the resources that live
elsewhere (``NAMESPACE/KIND/NAME`` one per line: references to them are fine, and once any is declared every
other missing reference is an error, as in Istio; the same as ``validate --external``) and the codes the
project ignores. The dialog validates with the model (``ProjectSettings``) and keeps itself open, with the
reason, until the values are valid; the window applies the result as one undo step.
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..model.project import ProjectSettings

LABELS = {"root_namespace": "Root namespace", "istio_version": "Istio version",
          "external_resources": "Resources that live elsewhere", "ignore": "Ignored checks"}


def _entries(text: str, separators: str = "\n,") -> tuple[str, ...]:
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return tuple(dict.fromkeys(e.strip() for e in text.split(separators[0]) if e.strip()))


class ProjectSettingsDialog(QDialog):
    """Edits the settings the checks read; :meth:`settings` is the validated result after ``exec()``."""

    def __init__(self, settings: ProjectSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("projectSettingsDialog")
        self.setWindowTitle("Project settings")
        self._base = settings
        self._result: ProjectSettings | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.root_namespace = QLineEdit(settings.root_namespace)
        self.root_namespace.setObjectName("rootNamespace")
        self.root_namespace.setToolTip("meshConfig.rootNamespace: policies there without a selector apply "
                                       "mesh-wide (a mesh config in the design's input takes precedence)")
        form.addRow("Root namespace", self.root_namespace)
        self.istio_version = QLineEdit(settings.istio_version or "")
        self.istio_version.setObjectName("istioVersion")
        self.istio_version.setPlaceholderText("the newest MeshDesigner knows")
        form.addRow("Istio version", self.istio_version)
        self.external = QPlainTextEdit("\n".join(settings.external_resources))
        self.external.setObjectName("externalResources")
        self.external.setPlaceholderText("istio-system/Gateway/shared\nshop/Service/payments")
        self.external.setTabChangesFocus(True)
        form.addRow("Resources that\nlive elsewhere", self.external)
        self.ignore = QLineEdit(", ".join(settings.ignore))
        self.ignore.setObjectName("ignoredCodes")
        self.ignore.setPlaceholderText("MD0509, MD0402")
        form.addRow("Ignored checks", self.ignore)
        layout.addLayout(form)
        hint = QLabel("Resources that live elsewhere: one NAMESPACE/KIND/NAME per line (a namespace of * for any). "
                      "References to them are fine; once one is declared, the design is taken as complete and "
                      "every other missing reference is an error, as in Istio.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def accept(self) -> None:
        values = self._base.model_dump()
        values.update(root_namespace=self.root_namespace.text().strip(),
                      istio_version=self.istio_version.text().strip() or None,
                      external_resources=_entries(self.external.toPlainText()),
                      ignore=_entries(self.ignore.text(), ", \n"))
        if not values["root_namespace"]:
            self._say("Root namespace: a namespace is required (Istio's default is istio-system)")
            return
        try:
            self._result = ProjectSettings.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = LABELS.get(str(first["loc"][0]), str(first["loc"][0]))
            self._say(f"{field}: {first['msg'].removeprefix('Value error, ')}")
            return
        super().accept()

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    def settings(self) -> ProjectSettings | None:
        """The validated settings once accepted (None before, or after Cancel)."""
        return self._result
