"""The Diagnostics panel's detail pane and row menu: what the selected finding means, how to fix it (the
catalogue's explanation, the text of docs/diagnostics.md), a link to that page, "Go to the field", and a
quick fix where one is safe (:mod:`meshdesigner.gui.quickfix`), applied as one undo step."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ...analysis.messages import lookup
from ...analysis.registry import load_rules
from ...assets import asset_dir
from ..quickfix import QuickFix, quick_fix

DOCS_PAGE = (asset_dir("docs") or Path(__file__).resolve().parents[3] / "docs") / "diagnostics.md"


def docs_link(code: str) -> str:
    """``docs/diagnostics.md#md0404`` as a link when the page is at hand (a source checkout), else the name."""
    if DOCS_PAGE.is_file():
        return f"<a href='{DOCS_PAGE.as_uri()}#{code.lower()}'>docs/diagnostics.md#{code.lower()}</a>"
    return f"docs/diagnostics.md#{code.lower()}"


def explanation(code: str) -> str:
    load_rules()  # rule modules register the MD06xx.. messages
    message = lookup(code)
    return message.explain if message is not None else ""


class DiagnosticDetail(QWidget):
    """Shows one diagnostic: message, explanation, link, Go to the field, and its quick fix."""

    sig_go_to = Signal(object)     # the diagnostic
    sig_fixed = Signal(str)        # a status message after a quick fix

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosticDetail")
        self.document = None
        self.diagnostic = None
        self.fix: QuickFix | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.text = QTextBrowser()  # scrolls when the dock is short; links open in the browser
        self.text.setObjectName("diagnosticExplanation")
        self.text.setOpenExternalLinks(True)
        self.text.setFrameShape(QTextBrowser.Shape.NoFrame)
        layout.addWidget(self.text, 1)
        buttons = QHBoxLayout()
        self.go_button = QPushButton("Go to the field")
        self.go_button.clicked.connect(lambda: self.diagnostic is not None and self.sig_go_to.emit(self.diagnostic))
        self.fix_button = QPushButton()
        self.fix_button.setObjectName("quickFix")
        self.fix_button.clicked.connect(self.apply_fix)
        buttons.addWidget(self.go_button)
        buttons.addWidget(self.fix_button, 1)
        layout.addLayout(buttons)
        self.show_diagnostic(None)

    def show_diagnostic(self, diagnostic) -> None:
        self.diagnostic = diagnostic
        project = self.document.project if self.document is not None else None
        self.fix = quick_fix(project, diagnostic) if diagnostic is not None and project is not None else None
        if diagnostic is None:
            self.text.setHtml("<span style='color:#888'>Select a finding to see what it means and how to fix "
                              "it.</span>")
        else:
            where = f"{diagnostic.resource.kind} {diagnostic.resource.namespace}/{diagnostic.resource.name}"
            self.text.setHtml(
                f"<b>{diagnostic.code}</b> · {html.escape(where)} · <code>{html.escape(diagnostic.path)}</code><br>"
                f"{html.escape(diagnostic.message)}<br><br><b>How to fix:</b> "
                f"{html.escape(explanation(diagnostic.code))}<br>More: {docs_link(diagnostic.code)}")
        self.go_button.setVisible(diagnostic is not None)
        self.go_button.setEnabled(self.reachable(diagnostic))
        self.fix_button.setVisible(self.fix is not None)
        self.fix_button.setText(f"Quick fix: {self.fix.title}" if self.fix else "")
        self.fix_button.setToolTip(self.fix.title if self.fix else "")

    def reachable(self, diagnostic) -> bool:
        """Whether "Go to the field" has somewhere to go: a node on the canvas, or a policy of the design
        (shown in the Properties panel without a card)."""
        if diagnostic is None:
            return False
        project = self.document.project if self.document is not None else None
        return bool(diagnostic.node_id) or (project is not None and project.policy(diagnostic.resource) is not None)

    def apply_fix(self) -> None:
        if self.fix is None or self.document is None:
            return
        fix = self.fix
        self.document.apply_changes(fix.replaced, [], fix.title)
        self.sig_fixed.emit(f"Fixed: {fix.title}")

    def context_menu(self, parent: QWidget, diagnostic) -> QMenu:
        """The row menu: Go to the field, the quick fix (when there is one)."""
        self.show_diagnostic(diagnostic)
        menu = QMenu(parent)
        go = menu.addAction("Go to the field")
        go.setEnabled(self.reachable(diagnostic))
        go.triggered.connect(lambda: self.sig_go_to.emit(diagnostic))
        if self.fix is not None:
            menu.addAction(f"Quick fix: {self.fix.title}").triggered.connect(self.apply_fix)
        return menu
