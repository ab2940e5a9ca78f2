"""The screens of safe local storage: restoring from a backup in the application, the space the
backups take in Settings, and the warning for an unsafe folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Term
from app.settings import Settings
from app.store.database import Database, open_database
from app.store.rolling import list_backups
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
from app.ui.restore_dialog import RestoreDialog
from app.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.sqlite_only

AS_OF = date(2026, 11, 24)


def _window(qtbot, database: Database, tmp_path: Path) -> MainWindow:
    context = UiContext(database, Settings.load(), tmp_path / "log.txt", AS_OF)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    return window


def _pct_name(database: Database) -> str:
    with database.session() as session:
        return session.scalars(select(Term.name).where(Term.code == "PCT")).one()


def _rename(database: Database, name: str) -> None:
    with database.session() as session:
        session.scalars(select(Term).where(Term.code == "PCT")).one().name = name


def test_restoring_in_the_application_backs_up_first_and_shows_the_restored_data(
    qtbot, database: Database, tmp_path: Path
) -> None:
    path = database.path
    assert path is not None
    _rename(database, "Before")
    database.close()  # a rolling copy holding "Before"
    [copy] = list_backups(path)
    database = open_database(path, user="tester")
    _rename(database, "After")
    window = _window(qtbot, database, tmp_path)
    actions = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Restore from a backup…" in actions

    safety = window.restore(copy.path)
    assert safety is not None and safety.exists()
    assert _pct_name(window.context.database) == "Before"
    kept = open_database(safety)
    assert _pct_name(kept) == "After"  # the state before the restore is kept
    kept.close()
    assert window.tabs.count() >= 1 and "Restored" in window.statusBar().currentMessage()
    window.context.database.close()


def test_the_restore_dialog_lists_the_backups_newest_first(qtbot, database: Database) -> None:
    path = database.path
    assert path is not None
    _rename(database, "One")
    database.close()
    database = open_database(path, user="tester")
    database.close()
    copies = list_backups(path)
    dialog = RestoreDialog(copies)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(copies) >= 1
    assert dialog.table.item(0, 1).text() == "on closing"
    assert dialog.selected() == copies[0].path
    dialog.accept()
    assert dialog.chosen == copies[0].path


def test_settings_show_the_space_the_backups_take(qtbot, database: Database) -> None:
    path = database.path
    assert path is not None
    _rename(database, "One")
    database.close()
    database = open_database(path, user="tester")
    dialog = SettingsDialog(Settings.load(), None, database)
    qtbot.addWidget(dialog)
    text = dialog.backups_label.text()
    assert text.startswith("1 copy taking") and ("KB" in text or "MB" in text)
    assert str(path.parent / "backups") in text and "7 daily, 4 weekly, 6 monthly" in text
    database.close()


def test_the_status_bar_warns_of_a_cloud_folder(
    qtbot, template_database: Path, tmp_path: Path
) -> None:
    path = tmp_path / "OneDrive - NHS" / "commissioning.sqlite"
    path.parent.mkdir()
    shutil.copyfile(template_database, path)
    database = open_database(path, user="tester")
    window = _window(qtbot, database, tmp_path)
    assert window.storage_label.isVisible()
    assert "OneDrive" in window.storage_label.toolTip()
    database.close()
