"""Wiring the route tests into the main window: the Tests panel, "Save as test" on the Try panel, and
the double-clicked test's path lit like a tried request's."""

from __future__ import annotations

from .panel import TestsPanel


def install(window) -> TestsPanel:
    panel = TestsPanel()
    window.add_panel(panel, "Tests", "bottom", "tests")
    flow_panels = getattr(window, "flow_panels", None)

    def light(path) -> None:
        if flow_panels is not None:
            flow_panels.flow.show_path(path)
        if path is None:
            window.view.clear_highlight()
        else:
            window.view.highlight_path(path.model_nodes, path.model_edges)

    panel.sig_path.connect(light)
    window.sig_document_changed.connect(panel.set_document)
    panel.set_document(window.document)
    window.tests_panel = panel
    return panel
