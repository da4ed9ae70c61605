"""The main window: the canvas in the centre, docks around it, menus, toolbar and status bar.

Extension points for other features:

* :meth:`MainWindow.add_panel` adds a dock (tabbed with the others in its area);
* :meth:`CanvasView.highlight_path` lights nodes and edges (``self.view``);
* :func:`meshdesigner.gui.panels.properties.register_section` adds a property section per node kind;
* ``sig_document_changed`` tells panels that a new design was opened (connect and call
  ``window.document`` to reach the Project and its signals).
"""

from __future__ import annotations

import gc
import json
import os

from PySide6.QtCore import QByteArray, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..io.errors import InputError
from ..io.project_file import PROJECT_SUFFIX
from ..model import Project, node_from_dict
from ..tls.sources import set_certificate_location
from . import dialogs, recovery, settings
from .background import SnapshotWorker
from .document import Document
from .edits import RESOURCE_ATTRS, node_data
from .insert import build_insert_menu, insert_node
from .opening import ReadDesign, SlicedBuild, read_design
from .panels.diagnostics import FIRST_CHECK_MS, DiagnosticsPanel
from .panels.palette import Outline, PaletteList
from .panels.preview import PreviewPanel
from .panels.properties import PropertiesPanel
from .qtfix import clear_clipboard_at_exit
from .scene.canvas import CanvasScene
from .scene.items import card_height
from .scene.view import CanvasView
from .style import app_icon, apply_theme, icon

NODES_MIME = "application/x-meshdesigner-nodes"
RECOVERY_SNAPSHOT_MS = 300  # a snapshot for the recovery journal at most this long after a change
SIDE_DOCK_WIDTHS = (230, 300)     # palette, properties: the canvas gets the rest
SIDE_DOCK_SHARES = (0.17, 0.3)    # ... and at most these shares of a small window (forms need ~300)
BOTTOM_DOCK_HEIGHT = 180
PANEL_MIN_HEIGHT = 90             # a bottom panel may be squeezed this far (it scrolls or clips)
AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea, "top": Qt.DockWidgetArea.TopDockWidgetArea}


class MainWindow(QMainWindow):
    sig_document_changed = Signal(object)   # Document

    def __init__(self, theme: str | None = None) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.theme_name = theme or settings.theme()
        self.document = Document(Project("untitled"), parent=self)
        self.scene = CanvasScene(self.document, self)
        self.view = CanvasView(self.scene)
        self.view.setObjectName("Canvas")
        self.start_page: QWidget | None = None
        self.centre = QStackedWidget()
        self.centre.addWidget(self.view)
        self.setCentralWidget(self.centre)
        self._docks: dict[str, QDockWidget] = {}
        self.opener = SnapshotWorker("open", self)   # reads a design being opened
        self.scene_build: SlicedBuild | None = None  # then builds its canvas in slices
        self._build_panels()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        # Started by the first change and not restarted by later ones: steady editing never postpones it.
        self.recovery_timer = QTimer(self, singleShot=True, interval=RECOVERY_SNAPSHOT_MS)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.journal: recovery.Journal | None = None
        self.view.sig_status.connect(self.show_message)
        self.view.sig_zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.view.sig_mode_changed.connect(self._mode_changed)
        self._attach(self.document)
        # The checks of the empty design run on a worker once the window is painted: loading the rules
        # (~0.1 s) and a first check on this thread delayed the first window by ~0.15 s.
        self.view.after_next_paint(self.diagnostics.recheck_in_background, FIRST_CHECK_MS)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # follow the system's light/dark switch live
            hints.colorSchemeChanged.connect(self._system_scheme_changed)
        self.resize(1500, 940)
        from .flow.install import install as install_flow  # Request flow, Try a request, Traffic split

        install_flow(self)
        from .functions import install as install_functions  # gateway functions: property section, card tags

        install_functions(self)
        from .security import install as install_security  # policies: property section, card tags

        install_security(self)
        from .scene.navigation import install as install_navigation  # Back, Forward, groups, filter

        install_navigation(self)
        from .route_tests.install import install as install_route_tests  # the Tests panel

        install_route_tests(self)
        self.settle_docks()
        self.restore_layout()

    def restore_layout(self) -> bool:
        """Put the docks back where the last session left them (saved on close); the defaults stay when
        nothing was saved or the saved state does not fit."""
        state = settings.settings().value("windowState")
        return isinstance(state, QByteArray | bytes) and self.restoreState(QByteArray(state))

    def settle_docks(self) -> None:
        """The one place the starting dock sizes are set (after features added their tabs): the canvas gets
        most of the window, the panels a narrow strip each; diagnostics in front."""
        self._docks["diagnostics"].raise_()
        widths = [min(w, int(self.width() * share)) for w, share in zip(SIDE_DOCK_WIDTHS, SIDE_DOCK_SHARES,
                                                                               strict=True)]
        self.resizeDocks([self._docks["palette"], self._docks["properties"]], widths, Qt.Orientation.Horizontal)
        self.resizeDocks([self._docks["diagnostics"]], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)

    # ----- building ----------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.palette = PaletteList()
        self.palette.sig_kind_activated.connect(self._add_in_view)
        self.outline = Outline()
        self.outline.sig_node_activated.connect(self.view.focus_node)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 6, 6)
        caption = QLabel("Drag onto the canvas")
        caption.setObjectName("Muted")
        left_layout.addWidget(caption)
        left_layout.addWidget(self.palette)
        outline_title = QLabel("Outline")
        outline_title.setObjectName("SectionTitle")
        left_layout.addWidget(outline_title)
        left_layout.addWidget(self.outline, 1)
        self.add_panel(left, "Palette", "left", "palette")
        self.properties = PropertiesPanel()
        self.properties.sig_message.connect(lambda m: self.show_message(m, 6000))
        self.properties.sig_node_requested.connect(self.view.focus_node)
        self.add_panel(self.properties, "Properties", "right", "properties")
        self.diagnostics = DiagnosticsPanel()
        self.diagnostics.sig_diagnostics_changed.connect(self._diagnostics_changed)
        self.diagnostics.sig_go_to.connect(self.go_to_diagnostic)
        self.diagnostics.detail.sig_fixed.connect(self.show_message)
        self.add_panel(self.diagnostics, "Diagnostics", "bottom", "diagnostics")
        self.preview = PreviewPanel()
        self.add_panel(self.preview, "YAML", "bottom", "yaml")

    def add_panel(self, widget: QWidget, title: str, area: str = "bottom", key: str | None = None) -> QDockWidget:
        """Add a dockable panel in ``area`` (left, right, bottom, top); panels in one area become tabs."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key or title}")
        dock.setWidget(widget)
        if area in ("bottom", "top"):  # a tall panel must not set the window's minimum height
            widget.setMinimumHeight(min(widget.minimumSizeHint().height(), PANEL_MIN_HEIGHT))
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        same_area = [d for d in self._docks.values() if self.dockWidgetArea(d) == AREAS[area]]
        self.addDockWidget(AREAS[area], dock)
        if same_area and area == "bottom":
            self.tabifyDockWidget(same_area[-1], dock)
        self._docks[key or title] = dock
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _action(self, name: str, text: str, slot, shortcut=None, icon_name: str | None = None,
                tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name))
            action.setData(icon_name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip or text.replace("&", "").replace("…", ""))
        action.setToolTip(f"{text.replace('&', '').replace('…', '')}"
                          + (f" ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
                             if shortcut else ""))
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        A, K = self._action, QKeySequence.StandardKey
        self.act_new = A("new", "&New", self.new_file, K.New, "new")
        self.act_open = A("open", "&Open…", self.open_dialog, K.Open, "open")
        self.act_save = A("save", "&Save", self.save, K.Save, "save")
        self.act_save_as = A("save_as", "Save &As…", self.save_as, K.SaveAs)
        self.act_import = A("import", "&Import Manifests…", self.import_dialog, "Ctrl+I", "import")
        self.act_export = A("export", "&Export…", self.export_dialog, "Ctrl+E", "export",
                            "Export Istio manifests (and Envoy configs)")
        self.act_quit = A("quit", "&Quit", self.close, K.Quit)
        stack = self.document.undo_stack
        self.act_undo = A("undo", "&Undo", lambda: self.document.undo_stack.undo(), K.Undo, "undo")
        self.act_redo = A("redo", "&Redo", lambda: self.document.undo_stack.redo(), "Ctrl+Shift+Z", "redo")
        del stack
        self.act_copy = A("copy", "&Copy", self.copy, K.Copy)
        self.act_paste = A("paste", "&Paste", self.paste, K.Paste)
        self.act_duplicate = A("duplicate", "&Duplicate", self.duplicate, "Ctrl+D", "duplicate")
        self.act_delete = A("delete", "&Delete", self.delete_selected, QKeySequence(Qt.Key.Key_Delete), "delete")
        self.act_select_all = A("select_all", "Select &All", lambda: [i.setSelected(True) for i in
                                                                     self.scene.items_by_id.values()], K.SelectAll)
        self.act_find = A("find", "&Find a Node…", self.find_node, K.Find, "find")
        self.act_project_settings = A("project_settings", "Project &Settings…", self.edit_project_settings,
                                      tip="Root namespace, Istio version, resources that live elsewhere, "
                                          "ignored checks")
        self.act_fit = A("fit", "Zoom to &Fit", self.view.fit_all, QKeySequence(Qt.Key.Key_F), "fit")
        self.act_zoom_in = A("zoom_in", "Zoom &In", lambda: self.view.zoom_by(1.25), K.ZoomIn, "zoom-in")
        self.act_zoom_out = A("zoom_out", "Zoom &Out", lambda: self.view.zoom_by(0.8), K.ZoomOut, "zoom-out")
        self.act_zoom_reset = A("zoom_reset", "&Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+0")
        self.act_layout = A("layout", "Automatic &Layout", self.auto_layout, "Ctrl+L", "layout",
                            "Place every node in its lane")
        self.act_snap = A("snap", "&Snap to Grid", lambda on: setattr(self.scene, "snap_to_grid", on),
                          checkable=True)
        self.act_snap.setChecked(True)
        self.mode_group = QActionGroup(self)
        self.mode_actions = {}
        for mode, text, key, tip in (("select", "Select", "V", "Select and move nodes; drag on empty canvas "
                                                              "to select several"),
                                     ("connect", "Connect", "C", "Drag from one node to another to connect them"),
                                     ("pan", "Pan", "H", "Drag to move the view (or hold Space)")):
            action = A(f"mode_{mode}", text, lambda _c=False, m=mode: self.view.set_mode(m), key, mode, tip,
                       checkable=True)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        self.mode_actions["select"].setChecked(True)
        self.act_recheck = A("recheck", "Run the Checks Now", lambda: self.diagnostics.recheck_from_scratch(background=True), "F5", "check")
        self.theme_group = QActionGroup(self)
        self.theme_actions = {}
        for name, text in (("system", "Follow the System"), ("light", "Light"), ("dark", "Dark")):
            action = A(f"theme_{name}", text, lambda _c=False, n=name: self.set_theme(n), checkable=True)
            self.theme_group.addAction(action)
            self.theme_actions[name] = action
        self.theme_actions.get(self.theme_name, self.theme_actions["system"]).setChecked(True)
        self.act_about = A("about", "&About MeshDesigner", self.about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.act_new, self.act_open):
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        for action in (self.act_save, self.act_save_as):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.act_import)
        file_menu.addAction(self.act_export)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        for action in (self.act_undo, self.act_redo, None, self.act_copy, self.act_paste, self.act_duplicate,
                       self.act_delete, None, self.act_select_all, self.act_find, None, self.act_project_settings):
            edit.addSeparator() if action is None else edit.addAction(action)
        self.insert_menu, self.insert_actions = build_insert_menu(self)
        bar.addMenu(self.insert_menu)
        self.view_menu = bar.addMenu("&View")
        for action in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, None,
                       self.act_layout, self.act_snap, None):
            self.view_menu.addSeparator() if action is None else self.view_menu.addAction(action)
        theme_menu = self.view_menu.addMenu(icon("theme"), "&Theme")
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        self.view_menu.addSeparator()
        for dock in self._docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        tools = bar.addMenu("&Tools")
        for action in self.mode_actions.values():
            tools.addAction(action)
        tools.addSeparator()
        tools.addAction(self.act_recheck)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        from PySide6.QtCore import QSize

        bar = self.addToolBar("Main")
        bar.setObjectName("MainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        for action in (self.act_new, self.act_open, self.act_save, None, self.act_undo, self.act_redo, None,
                       *self.mode_actions.values(), None, self.act_layout, self.act_fit, None):
            bar.addSeparator() if action is None else bar.addAction(action)
        self.checks_button = QLabel()
        self.checks_button.setObjectName("StatusChecks")
        bar.addWidget(self.checks_button)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.act_export)
        self.toolbar = bar
        bar.widgetForAction(self.act_export).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def _build_status_bar(self) -> None:
        """Permanent labels on the right (file and its state, checks, zoom); the left is only for the
        transient ``showMessage`` texts, so nothing is ever painted over anything else."""
        status = self.statusBar()
        self.file_label = QLabel()
        self.file_label.setObjectName("StatusFile")
        self.dirty_label = QLabel()
        self.dirty_label.setObjectName("StatusState")
        self.checks_label = QLabel()
        self.checks_label.setObjectName("StatusChecks")
        self.zoom_label = QLabel("100%")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("StatusProgress")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("OpeningProgress")
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        status.addWidget(self.progress_label)
        status.addWidget(self.progress_bar)
        self._progress(None)
        for widget in (self.file_label, self.dirty_label, self.checks_label, self.zoom_label):
            status.addPermanentWidget(widget)

    # ----- documents -------------------------------------------------------------------------
    def _attach(self, document: Document, scene: CanvasScene | None = None) -> None:
        """Make ``document`` the one shown: scene (``scene``, already built for it, or a new one),
        panels, undo actions, title."""
        old = getattr(self, "_attached", None)
        if old is not None and old is not document:
            old.close()
            old.deleteLater()
        self._attached = document
        self.document = document
        scene = scene if scene is not None else CanvasScene(document, self)
        old_scene = self.scene
        self.scene = scene
        self.view.set_scene(scene)
        if old_scene is not scene:
            old_scene.deleteLater()
        scene.snap_to_grid = self.act_snap.isChecked()
        scene.selectionChanged.connect(self._selection_changed)
        stack = document.undo_stack
        stack.canUndoChanged.connect(self.act_undo.setEnabled)
        stack.canRedoChanged.connect(self.act_redo.setEnabled)
        stack.undoTextChanged.connect(self._undo_text)
        stack.redoTextChanged.connect(self._redo_text)
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())
        document.sig_dirty_changed.connect(self._update_title)
        document.sig_path_changed.connect(self._update_title)
        document.sig_edited.connect(self._changed_for_recovery)
        self.outline.set_document(document)
        self.properties.set_document(document)
        self.preview.set_document(document)
        self.diagnostics.set_document(document)
        self.centre.setCurrentWidget(self.view)
        self._set_design_open(True)
        for dock in getattr(self, "_hidden_for_start", []):
            dock.show()
        self._hidden_for_start = []
        if any(d.isVisible() for k, d in self._docks.items() if k == "diagnostics"):
            self._docks["diagnostics"].raise_()
        self._update_title()
        self.sig_document_changed.emit(document)

    def set_document(self, document: Document, fit: bool = True, source: str | None = None,
                     scene: CanvasScene | None = None) -> None:
        """Show ``document``; ``source`` is the manifest file/folder an unsaved design was imported from;
        ``scene`` its canvas when already built (opening in the background)."""
        self._locate_certificates(document.path or source)
        if scene is not None:  # built off-screen: its first paint must not draw every namespace box at once
            scene.navigator.reveal_gradually()
        self._attach(document, scene)
        # The design, its scene items and panels live as long as the window shows them: keep them out of
        # the cyclic collector's later passes, which would otherwise walk these hundreds of thousands of
        # objects again and again (a full pass over a 2,000-resource design blocks every thread for
        # 0.3-0.8 s, while the user edits or a check runs). The cost: cyclic garbage among them is not
        # freed until the process ends (reference counting still frees the rest).
        gc.freeze()
        self._checks_running()
        if not self.diagnostics.start_first_check():  # none started while the design was being opened
            self.view.after_next_paint(self.diagnostics.recheck_in_background, FIRST_CHECK_MS)
        if fit:
            QTimer.singleShot(0, self.view, self.view.fit_all)  # cancelled if the view is gone
            self.view.fit_all()

    @staticmethod
    def _locate_certificates(path: str | None) -> None:
        """Relative certificate paths and credentials/ resolve against the design's folder (as the CLI's
        ``open_design``), not against the folder the app was started from."""
        if not path:
            set_certificate_location(None)
            return
        absolute = os.path.abspath(path)
        set_certificate_location(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))

    def _undo_text(self, text: str) -> None:
        self.act_undo.setText(f"&Undo {text}".strip())

    def _redo_text(self, text: str) -> None:
        self.act_redo.setText(f"&Redo {text}".strip())

    def show_start_page(self) -> None:
        """The start page: new, open, import, the examples and recent designs."""
        from .start_page import StartPage

        if self.start_page is not None:
            self.centre.removeWidget(self.start_page)
            self.start_page.deleteLater()
        page = StartPage(settings.recent_files())
        page.sig_new.connect(self.new_file)
        page.sig_open.connect(self.open_dialog)
        page.sig_import.connect(self.import_dialog)
        page.sig_open_path.connect(self.open_in_background)
        self.start_page = page
        self.centre.addWidget(page)
        self.centre.setCurrentWidget(page)
        self._set_design_open(False)
        # Only the palette stays: the other panels have nothing to show until a design is open.
        self._hidden_for_start = [d for k, d in self._docks.items() if k != "palette" and not d.isHidden()]
        for dock in self._hidden_for_start:
            dock.hide()
        self.file_label.setText("No design open")
        self.dirty_label.setText("")
        self.setWindowTitle("MeshDesigner")

    def _update_title(self, *_args) -> None:
        doc = self.document
        mark = "*" if doc.dirty else ""
        self.setWindowTitle(f"{mark}{doc.display_name} — MeshDesigner")
        self.file_label.setText(doc.path or doc.project.name)
        self.file_label.setToolTip(doc.path or "")
        # A new or imported design has no file: "not saved yet", never "saved".
        self.dirty_label.setText("● unsaved changes" if doc.dirty else "saved" if doc.path else "not saved yet")

    def maybe_save(self) -> bool:
        """Ask before discarding unsaved changes; False means the user cancelled."""
        if not self.document.dirty:
            return True
        answer = dialogs.ask_save_changes(self, self.document.display_name)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        return True

    def new_file(self) -> None:
        if self.maybe_save():
            self.discard_journal()
            self.set_document(Document(Project("untitled"), parent=self))
            self.view.set_zoom(1.0)
            self.view.centerOn(700, 400)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = dialogs.open_project(self, os.path.dirname(self.document.path or ""))
        if path:
            self.open_in_background(path)

    def open_path(self, path: str) -> bool:
        """Open a project file, or import manifests (a file or folder) as a new unsaved design, in one
        go (tests, ``--screenshot``); the menus open in the background (:meth:`open_in_background`)."""
        self.cancel_opening()
        try:
            read = read_design(path)
        except (InputError, OSError, ValueError) as exc:
            dialogs.error(self, "Cannot open", f"{path}\n\n{exc}")
            return False
        self._show_read(read, Document(read.project, read.path, self))
        return True

    def open_in_background(self, path: str) -> None:
        """Open as :meth:`open_path` does, without blocking the window: the file is read on a worker
        thread, then the canvas is built in slices on the event loop; the design shown until then stays
        usable. A failure is one message; the design shown stays."""
        self.cancel_opening()
        watched = (self.document, self.document.undo_stack.index())
        self._progress(f"Opening {os.path.basename(path.rstrip('/'))}…", 0)
        self.opener.start_on(path, read_design, lambda answer: self._opened(path, answer, watched))

    @property
    def opening(self) -> bool:
        """A design is being opened in the background."""
        return self.opener.busy or self.scene_build is not None

    def cancel_opening(self) -> None:
        """Forget a design being opened in the background (another one is opened, or the window closes)."""
        self.opener.drop()
        self.diagnostics.cancel_ahead()
        if self.scene_build is not None:
            self.scene_build.cancel()
            self.scene_build.deleteLater()
            self.scene_build = None
        self._progress(None)

    def _opened(self, path: str, answer, watched: tuple) -> None:
        """The worker read the file: build the canvas in slices, then show it (or say why not)."""
        if isinstance(answer, BaseException):
            self._progress(None)
            reason = str(answer) if isinstance(answer, InputError | OSError | ValueError) \
                else f"{type(answer).__name__}: {answer}"
            dialogs.error(self, "Cannot open", f"{path}\n\n{reason}")
            return
        document = Document(answer.project, answer.path, self)
        self.diagnostics.check_ahead(answer.project, answer.snapshot)  # checked while its canvas is built
        scene = CanvasScene(document, self, build=False)
        build = SlicedBuild(scene.build_steps(), self, give_way=self.diagnostics.give_way)
        expected = 2 * len(answer.project.nodes) + 1  # cards, then references; the edges after
        self._progress(f"Drawing {len(answer.project.nodes)} nodes…", expected)
        build.sig_progress.connect(lambda done: self.progress_bar.setValue(min(done, expected)))
        build.sig_done.connect(lambda: self._built(answer, document, scene, watched))
        self.scene_build = build
        build.start()

    def _built(self, read: ReadDesign, document: Document, scene: CanvasScene, watched: tuple) -> None:
        self.scene_build = None
        self._progress(None)
        edited_meanwhile = (self.document, self.document.undo_stack.index()) != watched
        if edited_meanwhile and not self.maybe_save():  # the design shown was edited while this one loaded
            self.diagnostics.cancel_ahead()
            scene.deleteLater()
            document.dispose()
            document.deleteLater()
            return
        with self.diagnostics.give_way.window_turn():  # the swap: the check started ahead waits
            self._show_read(read, document, scene)

    def _show_read(self, read: ReadDesign, document: Document, scene: CanvasScene | None = None) -> None:
        if read.path and scene is None:
            settings.add_recent_file(read.source)
        elif read.path:  # opened in the background: the settings file is written in a turn of its own
            QTimer.singleShot(0, self, lambda: settings.add_recent_file(read.source))
        self.discard_journal()
        self.set_document(document, source=read.source, scene=scene)
        if read.message:
            self.show_message(read.message, 8000)

    def _progress(self, text: str | None, steps: int = 0) -> None:
        """The status bar's progress while a design opens: ``steps`` 0 is busy without a measure;
        ``text`` None hides it."""
        self.progress_label.setVisible(text is not None)
        self.progress_bar.setVisible(text is not None)
        if text is not None:
            self.progress_label.setText(text)
            self.progress_bar.setRange(0, steps)
            self.progress_bar.setValue(0)

    def import_dialog(self) -> None:
        paths = dialogs.import_manifests(self)
        if paths:
            self.import_paths(paths)

    def import_paths(self, paths: list[str]) -> bool:
        if not self.maybe_save():
            return False
        from ..io.importer import import_manifests

        try:
            result = import_manifests(paths, name="imported")
        except (InputError, OSError, ValueError) as exc:
            dialogs.error(self, "Cannot import", str(exc))
            return False
        self.discard_journal()
        self.set_document(Document(result.project, None, self), source=paths[0])
        self.show_message(f"Imported {result.summary()}", 8000)
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        suggested = self.document.path or f"{self.document.project.name}{PROJECT_SUFFIX}"
        path = dialogs.save_project_as(self, suggested)
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            dialogs.error(self, "Cannot save", f"The design was not saved.\n\n{exc}")
            return False
        settings.add_recent_file(path)
        self.discard_journal()
        self.show_message(f"Saved {os.path.basename(path)}", 4000)
        self._update_title()
        self._locate_certificates(path)  # saved under a new folder: its certificates are the ones that count
        self.diagnostics.recheck_from_scratch()
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = settings.recent_files()
        if not files:
            self.recent_menu.addAction("No recent designs").setEnabled(False)
        for path in files:
            self.recent_menu.addAction(os.path.basename(path),
                                       lambda p=path: self.maybe_save() and self.open_in_background(p)).setToolTip(path)

    def export_dialog(self) -> None:
        from .export_dialog import ExportDialog

        self.diagnostics.recheck()
        folder = os.path.join(os.path.dirname(self.document.path), "deploy") if self.document.path else ""
        dialog = ExportDialog(self.document.project, self.diagnostics.diagnostics, folder, self)
        if dialog.exec() and dialog.written:
            self.show_message(f"Exported {len(dialog.written)} files to {dialog.options()[0]}", 8000)

    def _changed_for_recovery(self) -> None:
        if not self.recovery_timer.isActive():
            self.recovery_timer.start()

    def write_recovery(self) -> None:
        """Hand a snapshot of the unsaved design to this window's journal (written off this thread)."""
        if not self.document.dirty:
            return
        try:
            if self.journal is None:
                self.journal = recovery.Journal(settings.recovery_dir())
            self.journal.record(self.document.project.copy(), self.document.path)
        except OSError as exc:
            self.show_message(f"Could not write the recovery copy: {exc}", 6000)
            return
        if self.journal.error is not None:
            self.show_message(f"Could not write the recovery copy: {self.journal.error}", 6000)

    def discard_journal(self) -> None:
        """The design was saved, replaced or closed on the user's word: its journal goes."""
        self.recovery_timer.stop()
        if self.journal is not None:
            self.journal.discard()
            self.journal = None

    def offer_recovery(self) -> bool:
        """At start: restore the newest design a window that is gone left unsaved (if the user wants it).
        A journal is deleted only when the user declines it or once restored; one that cannot be read is
        kept, and the user is told where."""
        found = recovery.orphans(settings.recovery_dir())
        if not found:
            return False
        newest, others = found[0], found[1:]
        for orphan in others:
            orphan.release()  # offered at a later start
        import time

        when = time.strftime("%d %b %H:%M", time.localtime(float(newest.meta.get("time") or 0)))
        path = newest.meta.get("path") if isinstance(newest.meta.get("path"), str) else None
        name = os.path.basename(path or "") or "an unsaved design"
        if not dialogs.ask_restore(self, f"on {when}", name):
            newest.discard()
            return False
        try:
            project = newest.load()
        except (InputError, OSError, ValueError) as exc:
            newest.release()
            dialogs.error(self, "Cannot restore", f"{exc}\n\nThe copy is kept in {newest.folder}.")
            return False
        document = Document(project, path, self)
        document.undo_stack.resetClean()  # restored work is unsaved work
        self.set_document(document)
        self._update_title()
        self.write_recovery()  # this window journals it now; only then does the old copy go
        if self.journal is not None and self.journal.wait_written() and self.journal.error is None:
            newest.discard()
        else:
            newest.release()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.maybe_save():
            self.cancel_opening()
            self.discard_journal()
            settings.settings().setValue("windowState", self.saveState())
            self.document.dispose()  # its undo stack must not emit into this window while both are deleted
            event.accept()
        else:
            event.ignore()

    # ----- editing -----------------------------------------------------------------------------
    def _add_in_view(self, kind: str) -> None:
        insert_node(self, kind, at_cursor=False)  # a double-click in the palette: into the kind's lane

    def _set_design_open(self, is_open: bool) -> None:
        """The palette and the Insert menu work only on an open design (not on the start page)."""
        self.palette.setEnabled(is_open)
        for action in self.insert_actions.values():
            action.setEnabled(is_open)

    def delete_selected(self) -> None:
        ids = self.scene.selected_ids()
        if ids:
            self.document.remove_nodes(ids)

    def copy(self) -> None:
        ids = self.scene.selected_ids()
        if not ids:
            return
        nodes = [node_data(self.document.project.node(i)) for i in ids]
        data = QMimeData()
        data.setData(NODES_MIME, QByteArray(json.dumps(nodes).encode()))
        from ..io.yamlio import dump_all

        data.setText(dump_all([r.manifest(f"{r.API_GROUP}/v1" if r.API_GROUP else "v1")
                               for i in ids for r in self.document.project.node(i).resources()]))
        clear_clipboard_at_exit()
        QGuiApplication.clipboard().setMimeData(data)
        self.show_message(f"Copied {len(ids)} node(s)", 3000)

    def paste(self) -> None:
        data = QGuiApplication.clipboard().mimeData()
        if data is None or not data.hasFormat(NODES_MIME):
            self.show_message("Nothing to paste: copy nodes first", 3000)
            return
        try:
            nodes = [node_from_dict(d) for d in json.loads(bytes(data.data(NODES_MIME)).decode())]
        except ValueError:
            return
        copies = self.document.paste(nodes)
        self.scene.select_only([n.id for n in copies])

    def duplicate(self) -> None:
        copies = self.document.duplicate(self.scene.selected_ids())
        self.scene.select_only([n.id for n in copies])

    def auto_layout(self) -> None:
        self.document.auto_layout(card_height)
        self.view.fit_all()

    def edit_project_settings(self) -> None:
        """"Project settings…": applied as one undo step; the checks follow the settings change."""
        new = dialogs.edit_project_settings(self, self.document.project.settings)
        if new is not None:
            self.document.set_settings(new)

    def find_node(self) -> None:
        from .find_dialog import FindNodeDialog

        dialog = FindNodeDialog(self.document.project, self)
        dialog.sig_chosen.connect(self.view.focus_node)
        dialog.exec()

    # ----- views -------------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        ids = self.scene.selected_ids()
        node_id = ids[0] if len(ids) == 1 else None
        self.properties.show_node(node_id)
        self.preview.show_node(node_id)
        if len(ids) > 1:
            self.show_message(f"{len(ids)} nodes selected", 3000)

    def _checks_running(self) -> None:
        for label in (self.checks_label, self.checks_button):
            label.setText("checking…")
            label.setProperty("severity", "")
            label.style().unpolish(label)
            label.style().polish(label)

    def _diagnostics_changed(self, diagnostics: list) -> None:
        by_node: dict[str, list] = {}
        for d in diagnostics:
            if d.node_id:
                by_node.setdefault(d.node_id, []).append(d)
        self.scene.set_diagnostics(by_node)
        counts = self.diagnostics.counts()
        if not self.diagnostics.available:
            text, severity = "checks unavailable", "ok"
        else:
            text = f"{counts['error']} error{'s' if counts['error'] != 1 else ''} · " \
                   f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}"
            severity = "error" if counts["error"] else "warning" if counts["warning"] else "ok"
        for label in (self.checks_label, self.checks_button):
            label.setText(text if label is self.checks_label else f"  {text}  ")
            label.setProperty("severity", severity)
            label.style().unpolish(label)
            label.style().polish(label)
        dock = self._docks["diagnostics"]
        dock.setWindowTitle(f"Diagnostics ({len(diagnostics)})" if diagnostics else "Diagnostics")

    def go_to_diagnostic(self, diagnostic) -> None:
        """Select the node (or the policy) a diagnostic is about and focus the field it names."""
        if self.document.project.policy(diagnostic.resource) is not None:
            self.show_policy(diagnostic.resource, diagnostic.path)
            return
        node_id = diagnostic.node_id
        if not node_id or node_id not in self.document.project:
            self.show_message(f"{diagnostic.resource}: not on the canvas", 4000)
            return
        self.view.focus_node(node_id)
        self.properties.show_node(node_id)
        node = self.document.project.node(node_id)
        attr = RESOURCE_ATTRS.get(diagnostic.resource.kind)
        if diagnostic.resource.kind == "Service":
            attr = "service"
        if attr is None:
            attr = next((a for a in ("gateway", "virtual_service", "service", "service_entry")
                         if getattr(node, a, None) is not None), "gateway")
        self._docks["properties"].raise_()
        self.properties.focus_path(attr, diagnostic.path)

    def show_policy(self, ref, path: str = "") -> None:
        """Open a security/telemetry/EnvoyFilter resource in the Properties panel (it has no card: the outline
        or a diagnostic picked it) and focus the field at ``path``, if given."""
        from .security.focus import focus_policy_field

        if self.document.project.policy(ref) is None:
            self.show_message(f"{ref[0]} {ref[1]}/{ref[2]}: not in the design", 4000)
            return
        self.scene.clearSelection()
        self.properties.show_policy(ref)
        self.outline.select_policy(ref)
        self._docks["properties"].raise_()
        if path:
            focus_policy_field(self.properties, path)

    def show_message(self, message: str, timeout: int = 4000) -> None:
        self.statusBar().showMessage(message, timeout)

    def _mode_changed(self, mode: str) -> None:
        action = self.mode_actions.get(mode)
        if action is not None and not action.isChecked():
            action.setChecked(True)

    def _system_scheme_changed(self, *_args) -> None:
        if self.theme_name == "system":
            self.set_theme("system")

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        apply_theme(app, name)
        self.theme_name = name
        settings.set_theme(name)
        for action in self.findChildren(QAction):
            icon_name = action.data()
            if isinstance(icon_name, str) and icon_name:
                action.setIcon(icon(icon_name))
        self.palette.refresh_icons()
        self.scene.theme_changed()
        self.view.minimap.refresh()
        self.preview.refresh()
        self._diagnostics_changed(self.diagnostics.diagnostics)

    def about(self) -> None:
        from .. import __version__

        dialogs.info(self, "About MeshDesigner",
                     f"MeshDesigner {__version__}\n\nDesign the edge of an Istio service mesh, check it "
                     "offline, and export Istio manifests and Envoy configs.")

    # ----- dropping files ------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        if len(paths) == 1 and paths[0].endswith(PROJECT_SUFFIX):
            if self.maybe_save():
                self.open_in_background(paths[0])
        else:
            self.import_paths(paths)
