"""The History dialog (one click from any table) and the "who are you" dialog at start."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from sqlalchemy import select

from app.cli.context import CommandContext
from app.models import Contract
from app.services.users import add_user, list_users
from app.settings import Settings
from app.store.database import Database
from app.ui.application import identify_user
from app.ui.context import UiContext
from app.ui.history_dialog import HistoryDialog
from app.ui.main_window import MainWindow
from app.ui.record_model import Column, RecordTableModel
from app.ui.table_view import DataTableView
from app.ui.who_dialog import WhoAreYouDialog

AS_OF = date(2026, 11, 24)
SCREENSHOTS = os.environ.get("COMMISSIONING_SCREENSHOTS", "")


def _shoot(widget: object, name: str) -> None:
    """Render to PNG when asked (COMMISSIONING_SCREENSHOTS=folder), to look at the screens."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SCREENSHOTS) / f"{name}.png"))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Row:
    id: str
    name: str


def test_the_history_action_is_enabled_only_on_rows_with_an_id(qtbot) -> None:
    model = RecordTableModel([Column("name", "Name")])
    model.set_rows([Row("abc", "with an id")])
    view = DataTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    opened: list[str] = []
    view.set_history_opener(opened.append)
    assert not view.history_action.isEnabled()
    view.setCurrentIndex(model.index(0, 0))
    assert view.history_action.isEnabled()
    view.history_action.trigger()
    assert opened == ["abc"]

    plain = QStandardItemModel(1, 1)
    plain.setItem(0, 0, QStandardItem("no row object"))
    view.setModel(plain)
    view.setCurrentIndex(plain.index(0, 0))
    assert not view.history_action.isEnabled()
    view.setCurrentIndex(QModelIndex())
    assert not view.history_action.isEnabled()


def test_the_record_model_passes_its_row_objects(qtmodeltester) -> None:
    model = RecordTableModel([Column("name", "Name")])
    model.set_rows([Row("abc", "one"), Row("def", "two")])
    qtmodeltester.check(model)


@pytest.fixture
def window(qtbot, demo_database: Database, tmp_path: Path) -> MainWindow:
    context = UiContext(
        database=demo_database,
        settings=Settings.load(),
        log_file=tmp_path / "logs" / "commissioning.log",
        as_of=AS_OF,
        is_demo=True,
    )
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.show()
    return main


def test_history_is_one_click_from_a_tab_table(qtbot, window: MainWindow) -> None:
    home = window.current_page()
    qtbot.waitUntil(
        lambda: home.is_loaded, timeout=60_000
    )  # Home's list is gathered after the first paint
    table = home.findChild(DataTableView)
    assert table is not None
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 1))
    assert table.history_action.isEnabled()
    table.history_action.trigger()
    dialogs = [d for d in window.findChildren(HistoryDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.table.model().rowCount() > 0
    operations = {dialog.model.row_at(i).operation for i in range(dialog.model.rowCount())}
    assert "created" in operations


def test_the_history_dialog_shows_old_and_new_values_and_exports(
    qtbot, window: MainWindow, demo_database: Database, tmp_path: Path
) -> None:
    with demo_database.session() as session:
        contract = session.scalars(
            select(Contract).where(Contract.reference == "DSCG-2023-RX1")
        ).one()
        old_notes = contract.notes
        contract.notes = "Renegotiated in the autumn"
    dialog = window.show_history(str(contract.id))
    assert isinstance(dialog, HistoryDialog)
    qtbot.addWidget(dialog)
    dialog.resize(1100, 560)
    table = dialog.table.current_table()
    assert table.headers == ["No.", "When (UTC)", "Who", "What", "Field", "Old value", "New value"]
    last = table.rows[-1]
    assert last[2:] == ["tester", "changed", "notes", old_notes, "Renegotiated in the autumn"]
    assert dialog.windowTitle() == "History of contract DSCG-2023-RX1"
    path = tmp_path / "history.csv"
    dialog.table._write(str(path))
    assert "Renegotiated in the autumn" in path.read_text(encoding="utf-8-sig")
    _shoot(dialog, "history_dialog")


def test_an_unknown_record_gives_a_message_not_a_traceback(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr("app.ui.main_window.show_error", lambda error, *_: shown.append(str(error)))
    assert window.show_history("00000000-0000-0000-0000-000000000000") is None
    assert shown and "No record" in shown[0]


def _command(database: Database) -> CommandContext:
    return CommandContext(
        database_target=str(database.path), user="login", as_of=AS_OF, settings=Settings.load()
    )


def test_the_first_start_creates_the_first_administrator(
    qtbot, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(dialog: WhoAreYouDialog) -> int:
        qtbot.addWidget(dialog)
        assert not dialog.profiles
        dialog.full_name.setText("Ann Administrator")
        dialog.password.setText("a good password")
        dialog.confirm.setText("a good password")
        _shoot(dialog, "who_are_you_first_start")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(WhoAreYouDialog, "exec", fill)
    command = _command(database)
    assert identify_user(command, database) == "login"
    with database.reader() as session:
        (profile,) = list_users(session)
    assert (profile.name, profile.role, profile.has_password) == ("login", "administrator", True)
    assert Settings.load().user_name == "login"


def test_a_profile_with_a_password_must_give_it(
    qtbot, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database.user = "ann"
    with database.session() as session:
        add_user(session, "ann", "administrator", full_name="Ann Smith")
        add_user(session, "bob", "commissioner", password="bob's password", full_name="Bob Jones")
        add_user(session, "vic", "viewer")

    def choose_bob(dialog: WhoAreYouDialog) -> int:
        qtbot.addWidget(dialog)
        names = [dialog.people.item(i).text() for i in range(dialog.people.count())]
        assert names[1] == "Bob Jones (bob) — Commissioner"
        dialog.people.setCurrentRow(1)
        assert dialog.password.isEnabled()
        dialog.password.setText("wrong")
        dialog.accept()
        assert dialog.result() != QDialog.DialogCode.Accepted
        assert "not right" in dialog.problem.text()
        _shoot(dialog, "who_are_you_wrong_password")
        dialog.password.setText("bob's password")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(WhoAreYouDialog, "exec", choose_bob)
    command = _command(database)
    command.settings.user_name = "bob"
    assert identify_user(command, database) == "bob"


def test_a_remembered_profile_without_a_password_is_not_asked_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database.user = "ann"
    with database.session() as session:
        add_user(session, "ann", "administrator")
    monkeypatch.setattr(WhoAreYouDialog, "exec", lambda _: pytest.fail("asked again"))
    command = _command(database)
    command.settings.user_name = "ann"
    assert identify_user(command, database) == "ann"


def test_quitting_the_dialog_quits(qtbot, database: Database, monkeypatch) -> None:
    def quit_(dialog: WhoAreYouDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
        return dialog.result()

    monkeypatch.setattr(WhoAreYouDialog, "exec", quit_)
    assert identify_user(_command(database), database) is None
