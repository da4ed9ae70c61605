"""Wiring the request-flow features into the main window through its extension points.

* three bottom panels via ``MainWindow.add_panel``: Request flow, Try a request, Traffic split;
* a "Rule order" property section for virtual services via ``register_section``;
* a tried request lights its path on the canvas (``CanvasView.highlight_path``) and in the flow view.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer

from ...model import NodeKind
from ..panels.properties import register_section
from .rule_order import rule_order_section
from .split_chart import SplitChart
from .try_request import TryRequestPanel
from .view import FlowView

RESEND_DELAY_MS = 250
ROOM_SHARE = 0.42


@dataclass
class FlowPanels:
    flow: FlowView
    try_request: TryRequestPanel
    split: SplitChart
    docks: list

    def show(self, which: str) -> None:
        """Bring one panel's tab to the front: ``flow``, ``try_request`` or ``split``."""
        self.docks[("flow", "try_request", "split").index(which)].raise_()


def _give_room(window, dock) -> None:
    """These panels need more height than a table: grow the bottom area when one is shown."""
    wanted = int(window.height() * ROOM_SHARE)
    if not dock.isFloating() and dock.height() < wanted:
        window.resizeDocks([dock], [wanted], Qt.Orientation.Vertical)


def install(window) -> FlowPanels:
    """Add the panels to ``window`` and keep them on its current document."""
    flow = FlowView()
    try_panel = TryRequestPanel()
    split = SplitChart()
    docks = [window.add_panel(flow, "Request flow", "bottom", "flow"),
             window.add_panel(try_panel, "Try a request", "bottom", "try-request"),
             window.add_panel(split, "Traffic split", "bottom", "traffic-split")]
    for dock in docks:
        dock.visibilityChanged.connect(lambda visible, d=dock: visible and _give_room(window, d))
    # Asked after the dock layout settles: Qt briefly reports background tabs visible while showing a window.
    docks[0].visibilityChanged.connect(lambda visible: visible and QTimer.singleShot(0, flow.shown))
    docks[2].visibilityChanged.connect(lambda visible: visible and QTimer.singleShot(0, split.shown))
    register_section(NodeKind.VIRTUAL_SERVICE, rule_order_section)

    def light(path) -> None:
        flow.show_path(path)
        if path is None:
            window.view.clear_highlight()
        else:
            window.view.highlight_path(path.model_nodes, path.model_edges)

    def tried(result) -> None:
        if result is not None:  # the request was valid, or the simulator would not have answered
            split.use_tried_request(try_panel.entry(), try_panel.request(), result)

    # After an edit the old answer may be wrong (or was dropped on its way): ask the simulator again,
    # once the typing stops.
    resend = QTimer(window, singleShot=True, interval=RESEND_DELAY_MS)
    resend.timeout.connect(lambda: (try_panel.result is not None or try_panel.pending) and try_panel.send())

    def attach(document) -> None:
        flow.set_document(document)
        try_panel.set_document(document)
        split.set_document(document)
        document.sig_edited.connect(resend.start)

    try_panel.sig_path.connect(light)
    try_panel.sig_result.connect(tried)
    flow.sig_node_activated.connect(window.view.focus_node)
    window.sig_document_changed.connect(attach)
    attach(window.document)
    window.flow_panels = FlowPanels(flow, try_panel, split, docks)
    return window.flow_panels
