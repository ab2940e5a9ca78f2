"""The main window: a tab for each area of work, menus, and the status bar."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractProxyModel, QByteArray, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app import APP_TITLE, __version__
from app.errors import CommissioningError
from app.store.backup import backup_name
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.lazy_tab import LazyTab
from app.ui.sync_dialogs import ConflictsDialog, SyncController, default_bundle_name
from app.ui.table_view import DataTableView

if TYPE_CHECKING:
    from app.services import sync
    from app.ui.history_dialog import HistoryDialog


# The pages of the areas are imported when they are first wanted: each brings its services
# and models (SQLAlchemy), which the first paint of the window does not wait for.
def _home(context: UiContext) -> QWidget:
    from app.ui.home_tab import HomeTab

    # Its list is gathered once the window has been painted (MainWindow._after_first_paint).
    return HomeTab(context, load=False)


def _definitions(context: UiContext) -> QWidget:
    from app.ui.definitions_tab import DefinitionsTab

    return DefinitionsTab(context)


def _contracts(context: UiContext) -> QWidget:
    from app.ui.contracts_tab import ContractsTab

    return ContractsTab(context)


def _case_studies(context: UiContext) -> QWidget:
    from app.ui.case_studies_tab import CaseStudiesTab

    return CaseStudiesTab(context)


def _disputes(context: UiContext) -> QWidget:
    from app.ui.disputes_tab import DisputesTab

    return DisputesTab(context)


def _meetings(context: UiContext) -> QWidget:
    from app.ui.meetings_tab import MeetingsTab

    return MeetingsTab(context)


# Each area of work: its tab, its title, and its user guide (resources/help/<area>.md).
TabFactory = Callable[[UiContext], QWidget]
AREAS: list[tuple[str, str, TabFactory]] = [
    ("home", "Home", _home),
    ("definitions", "National Definitions Set", _definitions),
    ("contracts", "Contracts", _contracts),
    ("case-studies", "Case studies", _case_studies),
    ("disputes", "Disputes", _disputes),
    ("meetings", "Meetings", _meetings),
]
# Built with the window; every other tab is built when it is first shown or wanted.
FIRST_AREA = "home"
GUIDES = [("getting-started", "Getting started")] + [(a, t) for a, t, _ in AREAS]


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        return QByteArray()


class MainWindow(QMainWindow):
    # Once, two turns of the event loop after the window's first paint.
    first_painted = Signal()

    def __init__(self, context: UiContext) -> None:
        super().__init__()
        self.context = context
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_TITLE} — {context.display_name}")
        self.setAccessibleName(self.tr("Specialised Commissioning main window"))

        self.tabs = QTabWidget()
        self.tabs.setObjectName("areaTabs")
        self.tabs.setAccessibleName(self.tr("Areas of work"))
        self.tabs.setDocumentMode(True)
        self._first_painted = False
        self._add_tabs()
        self.tabs.currentChanged.connect(self.page_at)
        self.setCentralWidget(self.tabs)

        self.sync = SyncController(context, self)
        self.conflicts_dialog: ConflictsDialog | None = None
        # What needs the database: disabled while the start is still opening it.
        self.database_actions: list[QAction] = []
        self._build_menus()
        self._build_status_bar()
        self._build_sync()
        self.resize(1280, 800)
        self._restore_layout()
        if not context.ready:
            for action in self.database_actions:
                action.setEnabled(False)
            context.when_ready(self._database_opened)

    def _add_tabs(self) -> None:
        for area, title, factory in AREAS:
            if area == FIRST_AREA and self.context.ready:
                tab = factory(self.context)
                tab.setObjectName(f"{area}Tab")
                self.tabs.addTab(tab, self.tr(title))
                self._page_built(tab)
                continue
            holder = LazyTab(
                area, self.tr(title), partial(factory, self.context), context=self.context
            )
            holder.built.connect(self._page_built)
            self.tabs.addTab(holder, self.tr(title))
            if area == FIRST_AREA:
                holder.page()  # the first sight says the database is being opened

    @Slot(QWidget)
    def _page_built(self, page: QWidget) -> None:
        opener = getattr(page, "open_requested", None)
        if opener is not None:
            opener.connect(self.open_record)

    @Slot(int)
    def page_at(self, index: int) -> QWidget | None:
        """The page of the tab at `index`, built now if it had not been yet."""
        widget = self.tabs.widget(index)
        return widget.page() if isinstance(widget, LazyTab) else widget

    def current_page(self) -> QWidget | None:
        return self.page_at(self.tabs.currentIndex())

    def built_pages(self) -> list[QWidget]:
        """The pages built so far (the others will be filled afresh when built)."""
        pages = []
        for number in range(self.tabs.count()):
            widget = self.tabs.widget(number)
            page = widget.built_page if isinstance(widget, LazyTab) else widget
            if page is not None:
                pages.append(page)
        return pages

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._first_painted:
            self._first_painted = True
            # Two turns of the event loop later: what the first paint queued (the rest of the
            # window painted, a quit already asked for) goes before the deferred work.
            QTimer.singleShot(0, self._first_paint_done)

    @Slot()
    def _first_paint_done(self) -> None:
        QTimer.singleShot(0, self._after_first_paint)

    @Slot()
    def _after_first_paint(self) -> None:
        """Work that would delay the first sight of the window: Home's list, gathered on a
        worker while the window stays usable (once the database is open)."""
        self.first_painted.emit()
        self.context.when_ready(self._load_home)

    def _load_home(self) -> None:
        home = self.tab_for(FIRST_AREA)
        if home is not None and not getattr(home, "is_loaded", True):
            home.reload()  # type: ignore[attr-defined]

    def _database_opened(self) -> None:
        """The start has opened the database after the first paint: what waited goes ahead
        (the pages wanted meanwhile build themselves)."""
        for action in self.database_actions:
            action.setEnabled(True)
        self.tab_for(FIRST_AREA)
        self._show_storage_warning()

    # Menus -------------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | str | None = None,
        needs_database: bool = False,
    ) -> QAction:
        action = QAction(self.tr(text), self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if needs_database:
            self.database_actions.append(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        bar.setAccessibleName(self.tr("Menu bar"))
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(
            self._action("&Back up database…", self.back_up, "Ctrl+Shift+B", needs_database=True)
        )
        file_menu.addAction(
            self._action("&Report (PDF)…", self.write_report, "Ctrl+R", needs_database=True)
        )
        file_menu.addAction(
            self._action(
                "&Restore from a backup…",
                self.restore_from_backup,
                "Ctrl+Shift+R",
                needs_database=True,
            )
        )
        file_menu.addAction(
            self._action("&Settings…", self.edit_settings, "Ctrl+,", needs_database=True)
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("&Quit", self.close, QKeySequence(QKeySequence.StandardKey.Quit))
        )
        if QKeySequence(QKeySequence.StandardKey.Quit).isEmpty():
            file_menu.actions()[-1].setShortcut(QKeySequence("Ctrl+Q"))

        table_menu = bar.addMenu(self.tr("&Table"))
        table_menu.addAction(self._action("&Copy", self._table_copy))
        table_menu.addAction(self._action("&Export to xlsx or CSV…", self._table_export))
        table_menu.addAction(self._action("&Print to PDF…", self._table_print))
        table_menu.addAction(self._action("&History of the selected record…", self._table_history))

        if self.sync.available:
            sync_menu = bar.addMenu(self.tr("S&ync"))
            self.sync_action = self._action(
                "&Sync with the team's server", self.sync_now, "F9", needs_database=True
            )
            self.sync_action.setToolTip(
                self.tr("Send this laptop's changes and bring back everyone else's (F9)")
            )
            sync_menu.addAction(self.sync_action)
            for text, slot in (
                ("&Conflicts…", self.show_conflicts),
                (None, None),
                ("&Export changes to a file…", self.export_changes),
                ("&Import changes from a file…", self.import_changes),
                ("Team s&erver…", self.choose_server),
            ):
                if text is None or slot is None:
                    sync_menu.addSeparator()
                else:
                    sync_menu.addAction(self._action(text, slot, needs_database=True))

        view_menu = bar.addMenu(self.tr("&View"))
        for number in range(self.tabs.count()):
            action = self._action(
                f"&{number + 1} {self.tabs.tabText(number)}",
                partial(self.tabs.setCurrentIndex, number),
                f"Ctrl+{number + 1}",
            )
            view_menu.addAction(action)

        help_menu = bar.addMenu(self.tr("&Help"))
        for area, title in GUIDES:
            shortcut = (
                QKeySequence(QKeySequence.StandardKey.HelpContents)
                if area == "getting-started"
                else None
            )
            help_menu.addAction(
                self._action(f"{title} guide", partial(self.show_guide, area, title), shortcut)
            )
        help_menu.addSeparator()
        help_menu.addAction(self._action("&Glossary of acronyms", self.show_glossary, "Shift+F1"))
        help_menu.addAction(self._action("&About", self.show_about))

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setAccessibleName(self.tr("Status bar"))
        database = self.tr("Database: {0}").format(self.context.display_name)
        if self.context.is_demo:
            database += self.tr(" (demo data: invented figures)")
        self.database_label = QLabel(database)
        self.database_label.setAccessibleName(self.tr("Open database"))
        self.user_label = QLabel(self.tr("User: {0}").format(self.context.user))
        self.user_label.setAccessibleName(self.tr("Current user"))
        status.addWidget(self.database_label, 1)
        self.storage_label = QLabel()
        self.storage_label.setAccessibleName(self.tr("Storage warning"))
        self._show_storage_warning()
        status.addPermanentWidget(self.storage_label)
        status.addPermanentWidget(self.user_label)

    def _build_sync(self) -> None:
        """The Sync button, the status bar's sync line kept fresh, and sync's reports."""
        self.sync_label = QLabel()
        self.sync_label.setAccessibleName(self.tr("Sync status"))
        if not self.sync.available:
            return
        toolbar = QToolBar(self.tr("Sync"))
        toolbar.setObjectName("syncToolbar")
        toolbar.setAccessibleName(self.tr("Sync toolbar"))
        toolbar.addAction(self.sync_action)
        self.addToolBar(toolbar)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.sync.status_changed.connect(self.sync_label.setText)
        self.sync.progress.changed.connect(
            lambda _percent, message: self.statusBar().showMessage(message)
        )
        self.sync.finished.connect(self._synced)
        self.sync.failed.connect(self._sync_failed)
        # Local changes are counted as they are made, so the line stays true between syncs.
        self.sync_timer = QTimer(self)
        self.sync_timer.setInterval(15_000)
        self.sync_timer.timeout.connect(self.sync.refresh_status)
        self.context.when_ready(self._start_sync_status)

    def _start_sync_status(self) -> None:
        self.sync_timer.start()
        self.sync.refresh_status()

    @Slot()
    def sync_now(self) -> None:
        address = self.sync.server_address()
        if address and self.sync.start(address):
            self.sync_action.setEnabled(False)
            self.statusBar().showMessage(self.tr("Syncing with {0}…").format(address))

    @Slot(object)
    def _synced(self, report: sync.SyncReport) -> None:
        self.sync_action.setEnabled(True)
        message = self.tr(
            "Synced: sent {0} changes, received {1}; {2} conflicts to resolve."
        ).format(report.sent, report.received, report.open_conflicts)
        self.statusBar().showMessage(message, 15_000)
        for page in self.built_pages():
            reload = getattr(page, "reload", None)
            if reload is not None:
                reload()
        if report.open_conflicts:
            self.show_conflicts()

    @Slot(object)
    def _sync_failed(self, error: Exception) -> None:
        self.sync_action.setEnabled(True)
        self.statusBar().clearMessage()
        show_error(error, self.context.log_file, self.tr("Sync"))

    @Slot()
    def show_conflicts(self) -> None:
        if self.conflicts_dialog is None:
            self.conflicts_dialog = ConflictsDialog(self.context, self)
            self.conflicts_dialog.finished.connect(self.sync.refresh_status)
        self.conflicts_dialog.reload()
        self.conflicts_dialog.show()
        self.conflicts_dialog.raise_()

    @Slot()
    def choose_server(self) -> None:
        address, accepted = QInputDialog.getText(
            self,
            self.tr("Team server"),
            self.tr("The team's server (such as postgresql://server/commissioning):"),
            text=self.sync.server_address(ask=False),
        )
        if accepted and address.strip():
            from app.services import sync

            sync.remember_server(self.context.database, address.strip())
            self.sync.refresh_status()

    @Slot()
    def export_changes(self) -> None:
        database = self.context.database
        suggested = str(default_bundle_name(database.path.parent if database.path else Path()))
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export changes"), suggested, self.tr("Change bundles (*.bundle)")
        )
        if not path:
            return
        from app.services import sync

        try:
            count = sync.export_bundle(database, path)
        except (OSError, CommissioningError) as error:
            show_error(error, self.context.log_file, self.tr("Export changes"))
            return
        self.statusBar().showMessage(self.tr("Wrote {0} changes to {1}").format(count, path), 8000)

    @Slot()
    def import_changes(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import changes"), "", self.tr("Change bundles (*.bundle)")
        )
        if not path:
            return
        from app.services import sync

        try:
            report = sync.import_bundle(self.context.database, path)
        except (OSError, CommissioningError) as error:
            show_error(error, self.context.log_file, self.tr("Import changes"))
            return
        self.sync.refresh_status()
        self.statusBar().showMessage(
            self.tr("{0}: {1} changes applied, {2} already here, {3} conflicts").format(
                Path(path).name, report.applied, report.already_held, report.conflicts
            ),
            15_000,
        )
        self.sync.tell_settled(report.renamed, report.refused)
        if report.conflicts:
            self.show_conflicts()

    def _show_storage_warning(self) -> None:
        warnings = self.context.database.warnings if self.context.ready else []
        self.storage_label.setText(self.tr("⚠ Unsafe folder") if warnings else "")
        self.storage_label.setToolTip("\n".join(warnings))
        self.storage_label.setVisible(bool(warnings))

    # The table with focus ----------------------------------------------------------------

    def current_table(self) -> DataTableView | None:
        focused = QApplication.focusWidget()
        while focused is not None and not isinstance(focused, DataTableView):
            focused = focused.parentWidget()
        if focused is not None:
            return focused
        page = self.current_page()
        return page.findChild(DataTableView) if page is not None else None

    def _table_copy(self) -> None:
        table = self.current_table()
        if table is not None:
            table.copy_action.trigger()

    def _table_export(self) -> None:
        table = self.current_table()
        if table is not None:
            table.export_action.trigger()

    def _table_print(self) -> None:
        table = self.current_table()
        if table is not None:
            table.print_action.trigger()

    # Opening a record from another tab -------------------------------------------------

    def _index_of(self, area: str) -> int:
        for number in range(self.tabs.count()):
            if getattr(self.tabs.widget(number), "area", None) == area:
                return number
        return -1

    def tab_for(self, area: str) -> QWidget | None:
        """The page of an area (built now if need be), or None if there is no such tab."""
        number = self._index_of(area)
        return self.page_at(number) if number >= 0 else None

    @Slot(str, str, object)
    def open_record(self, area: str, record_type: str, record_id: object) -> None:
        """Switch to the tab that shows a record and open it there (or at least select it)."""
        tab = self.tab_for(area)
        if tab is None:
            self.statusBar().showMessage(
                self.tr("This version has no tab for {0} yet.").format(area), 8000
            )
            return
        self.tabs.setCurrentIndex(self._index_of(area))
        show = getattr(tab, "show_record", None)
        if show is not None:
            show(record_type, record_id)
            return
        table = tab.findChild(DataTableView)
        if table is not None:
            _select_row_with_id(table, record_id)

    def _table_history(self) -> None:
        table = self.current_table()
        if table is not None:
            table.history_action.trigger()

    # Commands ----------------------------------------------------------------------------

    def show_history(self, record_id: str) -> HistoryDialog | None:
        """The History dialog of a record (what every table's History… action opens)."""
        from app.ui.history_dialog import HistoryDialog

        try:
            dialog = HistoryDialog(self.context.database, record_id, self)
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("History"))
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    @Slot()
    def back_up(self) -> None:
        database = self.context.database
        if database.path is None:
            QMessageBox.information(
                self, self.tr("Back up"), self.tr("A server database is backed up on the server.")
            )
            return
        suggested = str(database.path.parent / backup_name(database.path, "manual"))
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Back up database"), suggested, self.tr("Database (*.sqlite)")
        )
        if not path:
            return
        from app.services import maintenance

        try:
            maintenance.backup_database(database, _with_suffix(path, ".sqlite"))
        except (OSError, CommissioningError) as error:
            show_error(error, self.context.log_file, self.tr("Back up"))
            return
        self.statusBar().showMessage(self.tr("Backed up to {0}").format(path), 8000)

    @Slot()
    def write_report(self) -> None:
        from app.ui.report_dialog import ReportDialog

        ReportDialog(self.context, parent=self).exec()

    def restore_from_backup(self) -> None:
        """Choose a backup, confirm, back up the current state, restore, show the result."""
        from app.services import maintenance
        from app.store.rolling import list_backups
        from app.ui.restore_dialog import RestoreDialog

        database = self.context.database
        if database.path is None:
            QMessageBox.information(
                self,
                self.tr("Restore"),
                maintenance.server_tools_message(database.url, "restore"),
            )
            return
        dialog = RestoreDialog(list_backups(database.path), self)
        if not dialog.exec() or dialog.chosen is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Restore from a backup"),
            self.tr(
                "Replace everything in {0} with the backup {1}?\n\nThe current state is "
                "backed up first."
            ).format(database.path, dialog.chosen.name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.restore(dialog.chosen)

    def restore(self, backup: Path) -> Path | None:
        """Restore `backup` into the open database and reload every tab; returns the copy of
        the state before, or None if the restore was refused."""
        from app.services import maintenance
        from app.services.demo_marker import is_demo
        from app.store.database import open_database

        database = self.context.database
        assert database.path is not None
        try:
            safety = maintenance.restore_database(database, backup)
            database.close()
            self.context.database = open_database(
                database.path, user=database.user, seed=False, passphrase=database.passphrase
            )
        except (OSError, CommissioningError) as error:
            show_error(error, self.context.log_file, self.tr("Restore"))
            return None
        self.context.is_demo = is_demo(self.context.database)
        current = self.tabs.currentIndex()
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if page is not None:
                page.deleteLater()
        self._add_tabs()
        self.tabs.setCurrentIndex(current)
        self.context.when_ready(self._load_home)
        self.statusBar().showMessage(
            self.tr("Restored {0}; the state before is kept at {1}").format(backup.name, safety),
            10000,
        )
        return safety

    @Slot()
    def edit_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.context.settings, self, self.context.database)
        if dialog.exec():
            self.statusBar().showMessage(self.tr("Settings saved"), 5000)

    def show_guide(self, area: str, title: str) -> None:
        from app.ui.help import GuideDialog

        GuideDialog(area, self.tr("{0} guide").format(title), self).exec()

    @Slot()
    def show_glossary(self) -> None:
        from app.ui.help import GlossaryDialog

        GlossaryDialog(self).exec()

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About"),
            self.tr(
                "<b>{0}</b> {1}<br>For the commissioners, secretariats and arbitration panels "
                "of specialised services.<br><br>Database: {2}<br>Log file: {3}"
            ).format(
                APP_TITLE,
                __version__,
                self.context.display_name,
                self.context.log_file,
            ),
        )

    # Layout kept between runs ------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.context.settings
        if settings.window_geometry:
            self.restoreGeometry(_decode(settings.window_geometry))
        if settings.window_state:
            self.restoreState(_decode(settings.window_state))
        for number in range(self.tabs.count()):
            tab = self.tabs.widget(number)
            if tab is not None and tab.objectName() == settings.window_tab:
                self.tabs.setCurrentIndex(number)  # which builds it

    def save_layout(self) -> None:
        settings = self.context.settings
        settings.window_geometry = _encode(self.saveGeometry())
        settings.window_state = _encode(self.saveState())
        current = self.tabs.currentWidget()
        settings.window_tab = current.objectName() if current is not None else ""
        settings.save()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)


def _select_row_with_id(table: DataTableView, record_id: object) -> bool:
    """Select the row whose record has `record_id` (models over rows with an `id`)."""
    proxy = table.model()
    source = proxy.sourceModel() if hasattr(proxy, "sourceModel") else proxy
    rows = source.rows() if hasattr(source, "rows") else []
    for number, row in enumerate(rows):
        if getattr(row, "id", None) == record_id:
            index = source.index(number, 0)
            if isinstance(proxy, QAbstractProxyModel):
                index = proxy.mapFromSource(index)
            if index.isValid():
                table.setCurrentIndex(index)
                table.scrollTo(index)
                table.setFocus()
                return True
    return False


def _with_suffix(path: str, suffix: str) -> Path:
    chosen = Path(path)
    return chosen if chosen.suffix else chosen.with_suffix(suffix)
