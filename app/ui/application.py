"""Starting the application: the Qt application, the database (a demo on first run), the window.

The usual start (an existing file at this version's schema, a remembered user without a
password, nobody else using it) paints the window first, from facts read with `sqlite3`
(`app.store.peek`), and opens the database on a worker after the paint: SQLAlchemy and the
models, the longest part of the start, load then. Every other start (a first run, an upgrade,
an encrypted, damaged or locked file, a server, a sign-in) takes the full road, which opens
the database first and asks or refuses in its dialogs as before.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
)

from app import APP_NAME, APP_TITLE, __version__
from app.errors import CommissioningError, CorruptDatabase, UsageError
from app.logs import configure_logging
from app.paths import resources_dir
from app.store.peek import Glance, Unreadable, glance, needs_upgrade
from app.ui.context import UiContext
from app.ui.errors import install_error_handler, show_error
from app.ui.main_window import MainWindow
from app.ui.sync_dialogs import status_text
from app.ui.tasks import Task, start_task

# The store, the services and the models (SQLAlchemy) are imported where they are used: the
# usual start paints the window before it needs them.
if TYPE_CHECKING:
    from app.cli.context import CommandContext
    from app.store.database import Database, Passphrase

log = logging.getLogger("app.ui")

# Set to 1, the application quits as soon as its main window has been shown and painted, and
# prints how long that took: the installers' smoke test measures start-up with it.
MEASURE_STARTUP = "COMMISSIONING_MEASURE_STARTUP"


def seconds_since_process_start() -> float | None:
    """How long ago the operating system started this process (Linux), else None."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class StartupMeter(QObject):
    """Quits the application once the window it watches has been painted, saying when."""

    def __init__(self, application: QApplication) -> None:
        super().__init__(application)
        self._application = application
        self._begun = time.perf_counter()

    def watch(self, window: QObject) -> None:
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # Queued, so the rest of the window (its tabs and table) is painted first.
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        since_start = seconds_since_process_start()
        in_application = time.perf_counter() - self._begun
        if sys.stdout is not None:
            started = f"{since_start:.2f} s after the process started, " if since_start else ""
            # Processor time does not grow when other programs share the machine.
            print(
                f"Main window shown and painted {started}"
                f"{in_application:.2f} s after the application object was made "
                f"({time.process_time():.2f} s of processor time)",
                flush=True,
            )
        self._application.quit()


def needs_first_run(target: str) -> bool:
    """A SQLite file that does not exist yet is created with demo data on the first start."""
    from app.store.database import resolve_url, sqlite_path

    path = sqlite_path(resolve_url(target))
    return path is not None and (not path.exists() or path.stat().st_size == 0)


def ask_passphrase(confirm: bool = False) -> str:
    """The passphrase of an encrypted database, asked in a dialog (from the environment if set)."""
    if os.environ.get("COMMISSIONING_PASSPHRASE"):
        return os.environ["COMMISSIONING_PASSPHRASE"]
    text, given = QInputDialog.getText(
        None,
        APP_TITLE,
        "This database is encrypted. Its passphrase:",
        QLineEdit.EchoMode.Password,
    )
    if not given:
        raise UsageError("The database is encrypted and no passphrase was given.")
    return str(text)


def prepare_database(
    command: CommandContext,
    first_run: bool,
    passphrase: Passphrase | None = None,
    check_first: bool = False,
) -> Database:
    """Open the database; on a first run, fill the new database with demo data.

    An existing file's quick integrity check runs while the window opens (writes wait for it);
    `watch_integrity` reports its verdict. With `check_first` (a file SQLite could not read
    at the start) it runs before."""
    from app.store.database import open_database

    database = open_database(
        command.database_target,
        user=command.user,
        passphrase=passphrase,
        check_later=not first_run and not check_first,
    )
    if first_run and database.created:
        from app.services.demo import build_demo

        build_demo(database, as_of=command.as_of)
    return database


def damaged_database_box(error: CorruptDatabase) -> QMessageBox:
    """Says the database is damaged and offers its latest good backup (changes nothing)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "The database is damaged", str(error))
    box.setAccessibleName("The database is damaged")
    if error.backup is not None:
        box.setInformativeText(
            "Restore the latest good backup? The damaged file is kept in the backups folder."
        )
        restore = box.addButton(
            "&Restore the latest good backup", QMessageBox.ButtonRole.AcceptRole
        )
        restore.setAccessibleName("Restore the latest good backup")
    box.addButton(QMessageBox.StandardButton.Close)
    return box


def open_or_offer_backup(
    command: CommandContext, passphrase: Passphrase | None = None, check_first: bool = False
) -> Database:
    """Open the database; if it is damaged, offer its latest good backup and, only if the
    person accepts, restore it and open again."""
    from app.services.maintenance import restore_file
    from app.store.database import is_encrypted_file

    try:
        return prepare_database(command, False, passphrase, check_first)
    except CorruptDatabase as error:
        box = damaged_database_box(error)
        box.exec()
        if error.backup is None or box.buttonRole(box.clickedButton()) != (
            QMessageBox.ButtonRole.AcceptRole
        ):
            raise
        key = None
        if is_encrypted_file(error.backup) and passphrase is not None:
            key = passphrase if isinstance(passphrase, str) else passphrase()
        restore_file(command.database_target, error.backup, command.user, key)
        return prepare_database(command, False, key if key is not None else passphrase)


def watch_integrity(
    window: MainWindow, database: Database, on_damaged: Callable[[CorruptDatabase], None]
) -> Task | None:
    """Wait, off the GUI thread, for the quick check still running on `database`; call
    `on_damaged` if it failed. The status bar says the check is running meanwhile."""
    check = database.integrity
    if check is None or (check.finished and check.verdict() is None):
        return None
    window.statusBar().showMessage("Checking the database…")

    def finished(verdict: object) -> None:
        window.statusBar().clearMessage()
        if isinstance(verdict, CorruptDatabase):
            on_damaged(verdict)

    return start_task(check.verdict, finished, lambda error: finished(None), owner=window)


def identify_user(command: CommandContext, database: Database) -> str | None:
    """Who is using the application: asked at the first start, and whenever a password is due.

    Returns the profile's name, or None if the person chose to quit.
    """
    from app.models.people import Role
    from app.services.users import add_user, check_password, list_users
    from app.ui.who_dialog import WhoAreYouDialog

    with database.reader() as session:
        profiles = list_users(session)
    remembered = command.settings.user_name
    known = {profile.name.lower(): profile for profile in profiles if profile.active}
    profile = known.get(remembered.lower()) if remembered else None
    if profile is not None and not profile.has_password:
        return profile.name

    def sign_in(name: str, password: str) -> None:
        with database.reader() as session:
            check_password(session, name, password)

    def create_first(name: str, full_name: str, password: str) -> None:
        database.user = name
        with database.session() as session:
            add_user(session, name, Role.ADMINISTRATOR, password or None, full_name)

    dialog = WhoAreYouDialog(profiles, remembered or command.user, sign_in, create_first)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    command.settings.user_name = dialog.chosen_name
    command.settings.save()
    return dialog.chosen_name


def create_window(command: CommandContext, database: Database, log_file: Path) -> MainWindow:
    from app.services.demo_marker import is_demo

    context = UiContext(
        database=database,
        settings=command.settings,
        log_file=log_file,
        as_of=command.as_of,
        is_demo=is_demo(database),
    )
    return MainWindow(context)


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    application = QApplication(argv or [sys.argv[0]])
    application.setApplicationName(APP_NAME)
    application.setApplicationDisplayName(APP_TITLE)
    application.setApplicationVersion(__version__)
    application.setOrganizationName("Specialised Commissioning")
    icon = resources_dir() / "icons" / "commissioning.svg"
    if icon.exists():
        application.setWindowIcon(QIcon(str(icon)))
    return application


def run(command: CommandContext) -> int:
    application = create_application()
    meter = StartupMeter(application) if os.environ.get(MEASURE_STARTUP) == "1" else None
    log_file = configure_logging(command.log_dir)
    install_error_handler(log_file)
    state: dict[str, object] = {}

    def show(database: Database) -> bool:
        name = identify_user(command, database)
        if name is None:
            database.close()
            application.exit(0)
            return False
        database.user = name
        window = create_window(command, database, log_file)
        state["window"] = window
        if meter is not None:
            meter.watch(window)
        window.show()
        opened(window, database)
        return True

    def opened(window: MainWindow, database: Database) -> None:
        state["integrity"] = watch_integrity(window, database, damaged)
        for warning in database.warnings:
            QMessageBox.warning(window, "Database in an unsafe folder", warning)

    def damaged(error: CorruptDatabase) -> None:
        """The check failed after the window opened: nothing was written; offer the backup."""
        from app.services.maintenance import restore_file

        window = state.pop("window", None)
        assert isinstance(window, MainWindow)
        box = damaged_database_box(error)
        box.exec()
        accepted = error.backup is not None and box.buttonRole(box.clickedButton()) == (
            QMessageBox.ButtonRole.AcceptRole
        )
        key = window.context.database.passphrase
        window.context.database.close()
        try:
            if accepted:
                assert error.backup is not None
                restore_file(command.database_target, error.backup, command.user, key)
                # The new window opens before the old one closes, so the application stays.
                show(open_or_offer_backup(command, key if key is not None else ask_passphrase))
            else:
                application.exit(error.exit_code)
        except CommissioningError as failure:
            refuse(failure)
        finally:
            window.close()

    def refuse(error: Exception) -> None:
        log.error("the database could not be opened: %s", error)
        show_error(error, log_file, "Cannot open the database")
        application.exit(1)

    def full_road(check_first: bool = False) -> int | None:
        """Open first, with every question and refusal; None once the window is shown."""
        if needs_first_run(command.database_target):
            open_on_a_worker(
                "Preparing a demo database for your first start…",
                "Preparing the demo database",
                first_run=True,
                failed=refuse,
            )
            return None
        if not check_first and needs_upgrade(command.database_target):
            # For a large database, a minute or more: the window is not left hanging.
            open_on_a_worker(
                "Backing up the database, then upgrading it to this version…\n"
                "A large database can take a minute or more.",
                "Upgrading the database",
                first_run=False,
                failed=upgrade_failed,
            )
            return None
        return open_here(check_first)

    def open_on_a_worker(
        text: str, name: str, first_run: bool, failed: Callable[[Exception], None]
    ) -> None:
        """Open the database (building the demo, or upgrading it) on a worker, a dialog
        saying so meanwhile; then show the window, or hand the failure on."""
        progress = QProgressDialog(text, "", 0, 0)
        progress.setWindowTitle(APP_TITLE)
        progress.setAccessibleName(name)
        progress.setCancelButton(None)
        progress.setMinimumDuration(0)
        progress.show()

        def finished(database: object) -> None:
            progress.close()
            show(database)  # type: ignore[arg-type]

        def failed_here(error: Exception) -> None:
            progress.close()
            failed(error)

        state["task"] = start_task(
            lambda: prepare_database(command, first_run), finished, failed_here
        )

    def upgrade_failed(error: Exception) -> None:
        if isinstance(error, CorruptDatabase):  # said with the backup on offer, as ever
            code = open_here(check_first=True)
            if code is not None:
                application.exit(code)
        elif isinstance(error, CommissioningError):  # newer, in use elsewhere…
            QMessageBox.critical(None, "Cannot open the database", str(error))
            application.exit(error.exit_code)
        else:
            refuse(error)

    def open_here(check_first: bool) -> int | None:
        """Open on this thread, asking and refusing in dialogs; None once the window shows."""
        try:
            if not show(open_or_offer_backup(command, ask_passphrase, check_first)):
                return 0
        except CorruptDatabase as error:  # already said, with the backup on offer
            return error.exit_code
        except CommissioningError as error:
            QMessageBox.critical(None, "Cannot open the database", str(error))
            return error.exit_code
        return None

    def fast_road(seen: Glance) -> None:
        """Paint the window from what `seen` says; open the database once it is painted."""
        context = UiContext(
            None,
            command.settings,
            log_file,
            command.as_of,
            seen.is_demo,
            display_name=str(seen.path),
            user=seen.user,
            file=seen.path,
        )
        window = MainWindow(context)
        if seen.sync is not None and window.sync.available:
            window.sync_label.setText(status_text(seen.sync))  # until the database is open
        state["window"] = window
        if meter is not None:
            meter.watch(window)
        window.show()
        window.first_painted.connect(
            lambda: open_after_paint(window, seen), Qt.ConnectionType.SingleShotConnection
        )

    def open_after_paint(window: MainWindow, seen: Glance) -> None:
        """Open the database on a worker (SQLAlchemy and the models load there), the window
        painted and answering meanwhile."""

        def work() -> Database:
            database = prepare_database(command, False)
            database.user = seen.user
            # Kept so that it is closed should the application quit before `ready`.
            state["opening"] = database
            return database

        def ready(database: object) -> None:
            state.pop("opening", None)
            database = cast("Database", database)
            window.context.database_opened(database)
            opened(window, database)

        def failed(error: Exception) -> None:
            # Something changed since the glance (another copy took the file, it is damaged):
            # the full road asks or refuses as it always has, then this window goes.
            log.info("opening after the paint failed, taking the full road: %s", error)
            state.pop("window", None)
            code = full_road(check_first=True)
            if code is not None:
                application.exit(code)
            window.close()

        state["task"] = start_task(work, ready, failed, owner=window)

    try:
        seen = glance(command.database_target, command.settings.user_name)
        check_first = False
    except Unreadable:
        seen, check_first = None, True
    if seen is not None:
        fast_road(seen)
    else:
        code = full_road(check_first)
        if code is not None:
            return code
    code = application.exec()
    # Work still running on the pool (a tab filling itself, the database opening) finishes
    # before its database is closed and the interpreter shuts down under it.
    QThreadPool.globalInstance().waitForDone()
    window = state.get("window")
    if isinstance(window, MainWindow) and window.context.ready:
        window.context.database.close()
    opening = state.get("opening")
    if opening is not None:
        cast("Database", opening).close()
    return code
