"""Starting the application: the Qt application, the database (a demo on first run), the window."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
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
from app.cli.context import CommandContext
from app.errors import CommissioningError, UsageError
from app.logs import configure_logging
from app.models.people import Role
from app.paths import resources_dir
from app.services.demo import build_demo, is_demo
from app.services.users import add_user, check_password, list_users
from app.store.database import (
    Database,
    Passphrase,
    open_database,
    resolve_url,
    sqlite_path,
)
from app.ui.context import UiContext
from app.ui.errors import install_error_handler, show_error
from app.ui.main_window import MainWindow
from app.ui.tasks import Task, start_task
from app.ui.who_dialog import WhoAreYouDialog

log = logging.getLogger("app.ui")


def needs_first_run(target: str) -> bool:
    """A SQLite file that does not exist yet is created with demo data on the first start."""
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
    command: CommandContext, first_run: bool, passphrase: Passphrase | None = None
) -> Database:
    """Open the database; on a first run, fill the new database with demo data."""
    database = open_database(command.database_target, user=command.user, passphrase=passphrase)
    if first_run and database.created:
        build_demo(database, as_of=command.as_of)
    return database


def identify_user(command: CommandContext, database: Database) -> str | None:
    """Who is using the application: asked at the first start, and whenever a password is due.

    Returns the profile's name, or None if the person chose to quit.
    """
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
    log_file = configure_logging(command.log_dir)
    install_error_handler(log_file)
    first_run = needs_first_run(command.database_target)
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
        window.show()
        return True

    def refuse(error: Exception) -> None:
        log.error("the database could not be opened: %s", error)
        show_error(error, log_file, "Cannot open the database")
        application.exit(1)

    if first_run:
        progress = QProgressDialog("Preparing a demo database for your first start…", "", 0, 0)
        progress.setWindowTitle(APP_TITLE)
        progress.setAccessibleName("Preparing the demo database")
        progress.setCancelButton(None)
        progress.setMinimumDuration(0)
        progress.show()

        def finished(database: object) -> None:
            progress.close()
            assert isinstance(database, Database)
            show(database)

        def failed(error: Exception) -> None:
            progress.close()
            refuse(error)

        task: Task = start_task(lambda: prepare_database(command, True), finished, failed)
        state["task"] = task
    else:
        try:
            if not show(prepare_database(command, False, ask_passphrase)):
                return 0
        except CommissioningError as error:
            QMessageBox.critical(None, "Cannot open the database", str(error))
            return error.exit_code
    code = application.exec()
    window = state.get("window")
    if isinstance(window, MainWindow):
        window.context.database.close()
    return code
