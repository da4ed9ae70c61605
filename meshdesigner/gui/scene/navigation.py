"""The window's side of the grouped canvas: View menu actions (Back, Forward, Overview, Group by
Namespace) and the outline filter driving the canvas. Installed by the main window in one call."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

MAX_HIGHLIGHTED = 300  # more matches than this: only the groups' counts show them


def install(window) -> None:
    view = window.view
    act = window._action
    window.act_back = act("nav_back", "&Back", view.go_back, QKeySequence("Alt+Left"), None,
                          "Focus the previous node (or the overview)")
    window.act_forward = act("nav_forward", "&Forward", view.go_forward, QKeySequence("Alt+Right"), None,
                             "Focus the next node again")
    window.act_overview = act("nav_overview", "&Overview", view.show_overview, QKeySequence("Alt+Home"), None,
                              "Leave the focus and show every namespace group")
    window.act_grouping = act("nav_grouping", "&Group by Namespace",
                              lambda on: window.scene.navigator.set_enabled(on), None, None,
                              "Show namespaces as groups that collapse to a summary card", checkable=True)
    menu = window.view_menu
    first = menu.actions()[0] if menu.actions() else None
    for action in (window.act_back, window.act_forward, window.act_overview, window.act_grouping):
        menu.insertAction(first, action)
    menu.insertSeparator(first)
    window.outline.sig_filtered.connect(lambda ids: _filtered(window, ids))
    window.sig_document_changed.connect(lambda _doc: _attached(window))
    _attached(window)


def _attached(window) -> None:
    """A new scene: follow its navigator (the actions' states) and apply the outline's filter to it."""
    navigator = window.scene.navigator
    navigator.sig_changed.connect(lambda *_: _update_actions(window))
    _update_actions(window)


def _update_actions(window) -> None:
    navigator = window.scene.navigator
    window.act_grouping.setChecked(navigator.enabled)
    window.act_back.setEnabled(navigator.enabled and navigator.history.can_go_back())
    window.act_forward.setEnabled(navigator.enabled and navigator.history.can_go_forward())
    window.act_overview.setEnabled(navigator.enabled)


def _filtered(window, ids) -> None:
    """The outline's filter on the canvas: groups count their matches (the others fade), matching
    cards light up; a single match is focused."""
    scene = window.scene
    scene.navigator.set_matches(set(ids) if ids is not None else None)
    if ids is None:
        scene.set_highlight((), ())
        return
    scene.set_highlight(ids if len(ids) <= MAX_HIGHLIGHTED else (), ())
    if len(ids) == 1 and scene.navigator.enabled:
        window.view.focus_node(next(iter(ids)))
