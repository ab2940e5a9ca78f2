"""Sync in the window: the button, the status bar's line, and choosing in a conflict."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from app.models import CaseStudy, Contract, ContractLine, FinancialYear
from app.services import sync
from app.services.references import site_code
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


def test_a_bundle_imported_in_the_window_names_each_reference_it_renamed(
    qtbot, demo_database: Database, tmp_path: Path, monkeypatch, message_boxes_never_block
) -> None:
    """The same reference typed on two laptops offline: importing the other's bundle from
    the File menu says which record was renamed and to what, as a sync does."""
    alice = _laptop(tmp_path / "alice.sqlite", "alice", demo_database)
    bob = _laptop(tmp_path / "bob.sqlite", "bob", demo_database)
    try:
        for copy, notes in ((alice, "Alice's"), (bob, "Bob's")):
            _type_contract(copy, "DSCG-2027-TYPED", notes)
        bundle = tmp_path / "alice.bundle"
        sync.export_bundle(alice, bundle)
        with bob.session() as session:
            site = site_code(session)

        context = UiContext(bob, Settings(), tmp_path / "log", date(2026, 11, 24), False)
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(bundle), ""))
        window.import_changes()

        told = [text for kind, text in message_boxes_never_block if kind == "information"]
        assert len(told) == 1
        assert "DSCG-2027-TYPED" in told[0] and f"DSCG-2027-TYPED-{site}" in told[0]
        with bob.reader() as session:
            references = set(session.scalars(select(Contract.reference)))
        assert {"DSCG-2027-TYPED", f"DSCG-2027-TYPED-{site}"} <= references
    finally:
        alice.close()
        bob.close()


def _type_contract(database: Database, reference: str, notes: str) -> None:
    """A new contract with a reference typed by hand, with an existing contract's parties."""
    with database.session() as session:
        model = session.scalars(select(Contract).where(Contract.reference == "DSCG-2026-RX1")).one()
        contract = Contract(
            reference=reference,
            provider_id=model.provider_id,
            host_id=model.host_id,
            financial_year=FinancialYear(2027),
            notes=notes,
        )
        session.add(contract)
        session.flush()
        session.add(
            ContractLine(
                contract_id=contract.id,
                service_line_id=model.lines[0].service_line_id,
                price=Decimal("100.00"),
            )
        )
