"""Sync in the window: the button, the status bar's line, and choosing in a conflict."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.models import CaseStudy
from app.services import sync
from app.settings import Settings
from app.store.database import Database, open_database
from app.ui.context import UiContext
from app.ui.main_window import MainWindow


def _laptop(path: Path, user: str, server: Database) -> Database:
    copy = open_database(path, user=user)
    sync.join(copy, server)
    return copy


def test_the_sync_button_syncs_on_a_worker_and_conflicts_are_chosen_in_a_dialog(
    qtbot, database: Database, database_address: str, tmp_path: Path
) -> None:
    other = _laptop(tmp_path / "alice.sqlite", "alice", database)
    mine = _laptop(tmp_path / "bob.sqlite", "bob", database)
    try:
        with database.reader() as session:
            study = session.scalars(select(CaseStudy.id).order_by(CaseStudy.title)).first()
        for copy, title in ((other, "Alice's title"), (mine, "Bob's title")):
            with copy.session() as session:
                session.get(CaseStudy, study).title = title
        sync.sync_with_server(other, database)
        sync.remember_server(mine, database_address)

        context = UiContext(mine, Settings(), tmp_path / "log", date(2026, 11, 24), False)
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        assert window.sync_label.text().endswith("· 1 change waiting")  # joined: a sync
        with qtbot.waitSignal(window.sync.finished, timeout=30_000) as done:
            window.sync_action.trigger()
        report = done.args[0]
        assert (report.sent, report.received, report.open_conflicts) == (1, 1, 1)
        assert "Last sync" in window.sync_label.text()
        assert "1 conflict" in window.sync_label.text()
        dialog = window.conflicts_dialog
        assert dialog is not None and dialog.isVisible()
        row = dialog.model.row_at(0)
        assert (row.field, row.mine_text, row.theirs_text, row.their_user) == (
            "title", "Bob's title", "Alice's title", "alice"
        )  # fmt: skip
        dialog.grab().save(str(tmp_path / "conflicts.png"))
        dialog.keep_theirs.click()
        assert dialog.model.rowCount() == 0
        with mine.reader() as session:
            assert session.get(CaseStudy, study).title == "Alice's title"
        window.sync.refresh_status()
        assert "conflict" not in window.sync_label.text()
    finally:
        other.close()
        mine.close()
