"""The audit trail: every change of every record, field by field, chained so tampering shows."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, update

from app.cli import main
from app.models import (
    AuditEntry,
    Contract,
    DatabaseFact,
    Organisation,
    ReturnRow,
    ReturnSubmission,
    Term,
    UserProfile,
)
from app.services.audit import field_changes, record_history
from app.services.maintenance import check_database
from app.services.users import add_user
from app.store.audit import audited_tables
from app.store.database import Database


def _entries(database: Database, record_id: uuid.UUID) -> list[AuditEntry]:
    with database.reader() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.record_id == str(record_id))
                .order_by(AuditEntry.sequence)
            )
        )


def _a_term(database: Database) -> uuid.UUID:
    with database.session() as session:
        term = Term(vocabulary="topic", code="T1", name="Renal")
        session.add(term)
        session.flush()
        return term.id


def test_a_create_records_who_when_and_every_field(database: Database) -> None:
    term_id = _a_term(database)
    (entry,) = _entries(database, term_id)
    assert entry.operation == "create"
    assert entry.user == "tester"
    assert entry.table_name == "term"
    changes = json.loads(entry.changes)
    assert changes["name"] == [None, "Renal"]
    assert changes["code"] == [None, "T1"]
    assert "version" not in changes  # bookkeeping is in the entry itself


def test_a_change_records_each_fields_old_and_new_value(database: Database) -> None:
    term_id = _a_term(database)
    database.user = "someone else"
    with database.session() as session:
        term = session.get(Term, term_id)
        assert term is not None
        term.name = "Renal services"
        term.position = 7
    entry = _entries(database, term_id)[-1]
    assert entry.operation == "update"
    assert entry.user == "someone else"
    assert json.loads(entry.changes) == {"name": ["Renal", "Renal services"], "position": [0, 7]}


def test_a_soft_delete_is_reported_as_a_delete(database: Database) -> None:
    term_id = _a_term(database)
    with database.session() as session:
        term = session.get(Term, term_id)
        assert term is not None
        term.deleted_at = datetime.now(UTC)
    entry = _entries(database, term_id)[-1]
    assert entry.operation == "delete"
    assert json.loads(entry.changes)["deleted_at"][0] is None
    assert check_database(database).ok


def test_a_hard_delete_is_recorded_and_the_check_still_passes(database: Database) -> None:
    term_id = _a_term(database)
    with database.session() as session:
        session.delete(session.get(Term, term_id))
    entry = _entries(database, term_id)[-1]
    assert entry.operation == "delete"
    assert entry.record_hash == ""
    assert json.loads(entry.changes)["name"] == ["Renal", None]
    assert check_database(database).ok


def test_entries_carry_a_rising_sequence_and_the_databases_identity(database: Database) -> None:
    _a_term(database)
    with database.session() as session:
        session.add(Term(vocabulary="topic", code="T2", name="Burns"))
    with database.reader() as session:
        identity = session.get(DatabaseFact, "database_id")
        assert identity is not None
        sequences = list(session.scalars(select(AuditEntry.sequence).order_by(AuditEntry.sequence)))
        identities = set(session.scalars(select(AuditEntry.database_id)))
    assert sequences == list(range(1, len(sequences) + 1))
    assert identities == {identity.value}


def test_sync_reads_the_changes_field_by_field_after_a_sequence(database: Database) -> None:
    with database.reader() as session:
        last = session.scalar(select(func.max(AuditEntry.sequence)))
    term_id = _a_term(database)
    with database.reader() as session:
        changes = list(field_changes(session, after_sequence=last or 0))
    assert {change.id for change in changes} == {str(term_id)}
    assert {change.field for change in changes} >= {"name", "code", "vocabulary"}
    assert all(change.table == "term" and change.operation == "create" for change in changes)


def test_every_record_class_is_audited() -> None:
    tables = audited_tables()
    assert {"contract", "dispute", "user_profile", "return_submission", "term"} <= set(tables)
    assert "return_row" not in tables
    assert "audit_entry" not in tables


def test_a_password_hash_travels_in_the_trail_but_no_history_shows_it(
    database: Database,
) -> None:
    """The trail keeps the scrypt hash (never the password) so that sync carries it; the
    history shows only that the password changed (tests/test_sync_users.py: it travels)."""
    from app.services.audit import record_history
    from app.services.users import set_password

    with database.session() as session:
        row = add_user(session, "ann", "administrator", password="correct horse")
    database.user = "ann"
    with database.session() as session:
        set_password(session, "ann", None)
    with database.reader() as session:
        profile = session.get(UserProfile, row.id)
        assert profile is not None
    first, _second = _entries(database, row.id)
    assert json.loads(first.changes)["password_hash"][1].startswith("scrypt$")
    assert "correct horse" not in first.changes
    with database.session() as session:
        shown = [c for c in record_history(session, "ann").changes if c.field == "password_hash"]
    assert [(c.old, c.new) for c in shown] == [
        (None, "password changed"),
        (None, "password removed"),
    ]


def test_bulk_rows_are_not_audited_but_their_submission_is(demo_database: Database) -> None:
    with demo_database.session() as session:
        provider = session.scalars(select(Organisation).where(Organisation.code == "RX1")).one()
        submission = ReturnSubmission(
            provider_id=provider.id,
            financial_year="2026/27",
            month=7,
            file_name="rx1.csv",
            received_on=datetime(2026, 11, 1).date(),
        )
        session.add(submission)
        session.flush()
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        existing = session.scalars(select(ReturnRow).limit(1)).one()
        template = {
            column.key: getattr(existing, column.key)
            for column in ReturnRow.__table__.columns
            if column.key != "id"
        }
        rows = [dict(template, submission_id=submission.id) for _ in range(2000)]
        session.execute(insert(ReturnRow.__table__), rows)
        after = session.scalar(select(func.count()).select_from(AuditEntry))
    assert after == before
    assert len(_entries(demo_database, submission.id)) == 1
    assert check_database(demo_database).ok


def test_orm_bulk_updates_are_audited_too(demo_database: Database) -> None:
    with demo_database.session() as session:
        session.execute(
            update(Contract).where(Contract.reference == "DSCG-2023-RX1").values(notes="Revised")
        )
    with demo_database.reader() as session:
        history = record_history(session, "DSCG-2023-RX1")
    last = history.changes[-1]
    assert (last.operation, last.field, last.new) == ("update", "notes", "Revised")
    assert check_database(demo_database).ok


def _address(database: Database) -> str:
    """What `--db` takes for the database: its file, or its server's URL."""
    if database.path is not None:
        return str(database.path)
    return database.url.render_as_string(hide_password=False)


def _raw(database: Database, sql: str) -> None:
    """Change the database behind the application's back, as a SQL tool would."""
    if database.path is not None:
        connection = sqlite3.connect(database.path)
        with connection:
            connection.execute(sql)
        connection.close()
        return
    engine = create_engine(database.url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_check_names_an_audit_entry_edited_outside_the_application(
    demo_database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = _address(demo_database)
    demo_database.close()
    _raw(demo_database, """UPDATE audit_entry SET "user" = 'mallory' WHERE sequence = 120""")
    code = main(["--db", address, "check"])
    err = capsys.readouterr().err
    assert code == 1
    assert "entry 120" in err and "altered" in err


def test_check_names_a_record_edited_outside_the_application(
    demo_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    address = _address(demo_database)
    with demo_database.reader() as session:
        contract_id = session.scalars(
            select(Contract.id).where(Contract.reference == "DSCG-2023-RX1")
        ).one()
    demo_database.close()
    _raw(
        demo_database,
        "UPDATE contract SET notes = 'quietly changed' WHERE reference = 'DSCG-2023-RX1'",
    )
    code = main(["--db", address, "check"])
    err = capsys.readouterr().err
    assert code == 1
    assert str(contract_id) in err and "changed outside the application" in err


def test_check_finds_a_deleted_entry_and_a_record_added_outside(
    demo_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    address = _address(demo_database)
    demo_database.close()
    _raw(demo_database, "DELETE FROM audit_entry WHERE sequence = 50")
    _raw(
        demo_database,
        "INSERT INTO term (id, vocabulary, code, name, category, position, retired, created_at,"
        " updated_at, created_by, updated_by, version) VALUES ('0123456789abcdef0123456789abcdef',"
        " 'topic', 'X', 'Smuggled', '', 0, FALSE, '2026-01-01', '2026-01-01', '', '', 1)",
    )
    assert main(["--db", address, "check"]) == 1
    err = capsys.readouterr().err
    assert "entries missing" in err
    assert "01234567-89ab-cdef-0123-456789abcdef of term has no audit entry" in err


def test_history_by_reference_and_by_id_as_text_and_json(
    demo_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _address(demo_database)
    with demo_database.session() as session:
        contract = session.scalars(
            select(Contract).where(Contract.reference == "DSCG-2023-RX1")
        ).one()
        contract.notes = "Renegotiated"
    assert main(["--db", path, "history", "dscg-2023-rx1"]) == 0
    text = capsys.readouterr().out
    assert "History of dscg-2023-rx1" in text and "Renegotiated" in text
    assert main(["--db", path, "history", str(contract.id), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in rows} == {str(contract.id)}
    assert [row["operation"] for row in rows][-1] == "update"
    assert rows[-1]["field"] == "notes" and rows[-1]["new"] == "Renegotiated"


def test_history_of_an_unknown_record_is_input_rejected(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", _address(database), "history", "DSP-1999-001-XXX"]) == 3
    assert "No record" in capsys.readouterr().err


def test_records_added_by_a_later_flush_listener_are_audited_too(database: Database) -> None:
    from sqlalchemy import event

    def add_a_term(session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
        if not any(isinstance(item, Term) and item.code == "LATE" for item in session.new):
            session.add(Term(vocabulary="topic", code="LATE", name="Added late"))

    with database.session() as session:
        event.listen(session, "before_flush", add_a_term)
        session.add(Term(vocabulary="topic", code="FIRST", name="First"))
        session.flush()
        event.remove(session, "before_flush", add_a_term)
        late = session.scalars(select(Term).where(Term.code == "LATE")).one()
    assert [entry.operation for entry in _entries(database, late.id)] == ["create"]
    assert check_database(database).ok


def test_orm_bulk_inserts_of_records_are_audited(database: Database) -> None:
    rows = [{"vocabulary": "bulk", "code": f"B{n}", "name": f"Bulk {n}"} for n in range(50)]
    with database.session() as session:
        session.execute(insert(Term), rows)
    with database.reader() as session:
        ids = session.scalars(select(Term.id).where(Term.vocabulary == "bulk")).all()
    assert len(ids) == 50
    assert all(_entries(database, term_id)[0].operation == "create" for term_id in ids)
    assert check_database(database).ok


def test_two_writers_on_one_file_keep_one_unbroken_chain(database: Database) -> None:
    import threading

    from app.store.database import open_database

    other = open_database(_address(database), user="other laptop user")
    about_to_flush = threading.Event()
    failures: list[BaseException] = []

    def write_from_the_other() -> None:
        try:
            with other.session() as session:
                session.add(Term(vocabulary="topic", code="OTHER", name="From the other"))
                about_to_flush.set()
                session.flush()  # waits for the first writer's lock
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    try:
        with database.session() as session:
            session.add(Term(vocabulary="topic", code="FIRST", name="From the first"))
            session.flush()
            worker = threading.Thread(target=write_from_the_other)
            worker.start()
            about_to_flush.wait(10)
        worker.join(30)
        assert not failures
        report = check_database(database)
        assert report.ok, report.problems
        with database.reader() as session:
            users = session.scalars(
                select(AuditEntry.user).order_by(AuditEntry.sequence.desc()).limit(2)
            ).all()
        assert set(users) == {"tester", "other laptop user"}
    finally:
        other.close()


def test_history_of_a_dispute_by_its_number(
    demo_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.models import Dispute

    with demo_database.reader() as session:
        dispute = session.scalars(select(Dispute).limit(1)).one()
    assert main(["--db", _address(demo_database), "history", dispute.reference, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in rows} == {str(dispute.id)}
    assert {row["table"] for row in rows} == {"dispute"}
    assert any(row["field"] == "reference" and row["new"] == dispute.reference for row in rows)
