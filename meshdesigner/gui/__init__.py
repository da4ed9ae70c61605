"""The desktop editor (the only package that imports PySide6 or pyqtgraph).

Layout: ``app`` (entry point), ``main_window``, ``document`` (project + undo stack + Qt bridge),
``commands`` (QUndoCommands), ``edits`` (building edited nodes), ``connect`` (what a drag from one
node to another means), ``scene/`` (canvas items and view), ``panels/`` (docks), ``dialogs``
(every native dialog, patched in tests), ``settings`` (QSettings), ``style`` (themes and icons).
"""

from .qtfix import immortalize_singletons

immortalize_singletons()  # before any painting: see qtfix (PySide6 6.12 on CPython 3.11)
