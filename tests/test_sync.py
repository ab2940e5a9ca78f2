"""Sync between laptops and the team's server, or by bundle files: merges, conflicts, status."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from app.errors import InputRejected
from app.models import CaseStudy, SyncConflict
from app.services import sync
from app.store.audit import verify_audit_trail
from app.store.database import Database, open_database

Laptops = Callable[[str], Database]


def _study_id(database: Database) -> uuid.UUID:
    with database.reader() as session:
        return session.scalars(select(CaseStudy.id).order_by(CaseStudy.title)).first()


def _edit(database: Database, study: uuid.UUID, **values: object) -> None:
    with database.session() as session:
        record = session.get(CaseStudy, study)
        for name, value in values.items():
            setattr(record, name, value)


def _read(database: Database, study: uuid.UUID, *names: str) -> tuple[object, ...]:
    with database.reader() as session:
        record = session.get(CaseStudy, study)
        return tuple(getattr(record, name) for name in names)


def _open_conflicts(database: Database) -> list[sync.ConflictRow]:
    with database.reader() as session:
        return sync.conflicts(session)


def test_a_new_laptop_joins_as_a_copy_with_an_identity_of_its_own(
    database: Database, laptops: Laptops
) -> None:
    a = laptops("alice")
    with a.reader() as mine, database.reader() as theirs:
        assert sync.database_identity(mine.connection()) != sync.database_identity(
            theirs.connection()
        )
        assert sorted(mine.scalars(select(CaseStudy.title))) == sorted(
            theirs.scalars(select(CaseStudy.title))
        )
        assert sync.sync_status(mine).waiting == 0
        assert verify_audit_trail(mine.connection()).problems == []


def test_edits_to_different_fields_merge(database: Database, laptops: Laptops) -> None:
    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, title="Title from Alice")
    _edit(b, study, learning="Learning from Bob")
    with a.reader() as session:
        assert sync.sync_status(session).waiting == 1
    sync.sync_with_server(a, database)
    report = sync.sync_with_server(b, database)
    assert report.conflicts == 0 and report.received == 1 and report.sent == 1
    sync.sync_with_server(a, database)
    expected = ("Title from Alice", "Learning from Bob")
    for copy in (a, b, database):
        assert _read(copy, study, "title", "learning") == expected
        with copy.reader() as session:
            assert verify_audit_trail(session.connection()).problems == []
    with a.reader() as session:
        status = sync.sync_status(session)
    assert status.waiting == 0 and status.last_sync is not None and status.open_conflicts == 0


def test_the_same_field_changed_on_two_laptops_is_a_conflict_never_settled_silently(
    database: Database, laptops: Laptops
) -> None:
    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, title="Alice's title")
    _edit(b, study, title="Bob's title")
    sync.sync_with_server(a, database)
    report = sync.sync_with_server(b, database)
    assert report.conflicts == 1 and report.open_conflicts == 1
    # Until someone chooses, each keeps its value; theirs is kept beside mine.
    assert _read(b, study, "title") == ("Bob's title",)
    assert _read(database, study, "title") == ("Alice's title",)
    [conflict] = _open_conflicts(b)
    assert (conflict.table, conflict.field) == ("case_study", "title")
    assert (conflict.mine, conflict.theirs, conflict.their_user) == (
        "Bob's title", "Alice's title", "alice"
    )  # fmt: skip
    assert conflict.my_user == "bob" and conflict.record
    # Syncing again does not settle it either.
    sync.sync_with_server(b, database)
    assert len(_open_conflicts(b)) == 1
    assert _read(database, study, "title") == ("Alice's title",)

    with b.session() as session:
        sync.resolve_conflict(session, str(conflict.number), "mine")
    sync.sync_with_server(b, database)
    sync.sync_with_server(a, database)
    for copy in (a, b, database):
        assert _read(copy, study, "title") == ("Bob's title",)
    assert _open_conflicts(a) == [] and _open_conflicts(b) == []


@pytest.mark.parametrize(("choice", "merged", "expected"), [
    ("theirs", None, "Alice's title"),
    ("merged", "Alice and Bob's title", "Alice and Bob's title"),
])  # fmt: skip
def test_a_conflict_resolved_as_theirs_or_merged_reaches_every_copy(
    database: Database, laptops: Laptops, choice: str, merged: str | None, expected: str
) -> None:
    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, title="Alice's title")
    _edit(b, study, title="Bob's title")
    sync.sync_with_server(a, database)
    sync.sync_with_server(b, database)
    with b.session() as session:
        sync.resolve_conflict(session, "1", choice, merged)
    sync.sync_with_server(b, database)
    sync.sync_with_server(a, database)
    for copy in (a, b, database):
        assert _read(copy, study, "title") == (expected,)


def test_new_records_and_deletions_travel(database: Database, laptops: Laptops) -> None:
    from app.services.case_studies import delete_case_study

    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    with a.session() as session:
        delete_case_study(session, study)
        fresh = CaseStudy(title="Written offline on a train", topic="Risk sharing")
        session.add(fresh)
        session.flush()
        fresh_id = fresh.id
    sync.sync_with_server(a, database)
    sync.sync_with_server(b, database)
    assert _read(b, study, "deleted_at")[0] is not None
    assert _read(b, fresh_id, "title") == ("Written offline on a train",)


def test_a_bundle_applies_once_and_the_same_bundle_twice_changes_nothing(
    database: Database, laptops: Laptops, tmp_path: Path
) -> None:
    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, title="By bundle", learning="Carried on a stick")
    bundle = tmp_path / "alice.bundle"
    sync.export_bundle(a, bundle)
    first = sync.import_bundle(b, bundle)
    assert first.applied == 1
    assert _read(b, study, "title", "learning") == ("By bundle", "Carried on a stick")
    with b.reader() as session:
        entries = len(list(session.execute(select(1).select_from(SyncConflict))))
        before = session.connection().exec_driver_sql("SELECT count(*) FROM audit_entry").scalar()
    again = sync.import_bundle(b, bundle)
    assert again.applied == 0 and again.already_held == again.received
    with b.reader() as session:
        after = session.connection().exec_driver_sql("SELECT count(*) FROM audit_entry").scalar()
        assert verify_audit_trail(session.connection()).problems == []
    assert after == before and entries == 0


def test_a_damaged_bundle_is_refused_naming_the_line_and_nothing_is_applied(
    database: Database, laptops: Laptops, tmp_path: Path
) -> None:
    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, title="Never half-applied")
    bundle = tmp_path / "alice.bundle"
    sync.export_bundle(a, bundle)
    lines = gzip.decompress(bundle.read_bytes()).decode().splitlines()
    lines.append('{"origin": "x"}')
    damaged = tmp_path / "damaged.bundle"
    damaged.write_bytes(gzip.compress("\n".join(lines).encode()))
    with pytest.raises(InputRejected, match=rf"damaged.bundle:{len(lines)}: not a change"):
        sync.import_bundle(b, damaged)
    assert _read(b, study, "title") != ("Never half-applied",)
    not_a_bundle = tmp_path / "notes.txt"
    not_a_bundle.write_text("hello")
    with pytest.raises(InputRejected, match=r"notes\.txt: not a sync bundle"):
        sync.import_bundle(b, not_a_bundle)


def test_the_command_line_syncs_lists_and_resolves(
    database: Database, database_address: str, tmp_path: Path, capsys
) -> None:
    laptop = tmp_path / "carol.sqlite"
    other = tmp_path / "dan.sqlite"
    for path, user in ((laptop, "carol"), (other, "dan")):
        assert main(["--db", str(path), "--user", user, "init"]) == 0
        assert main(["--db", str(path), "--user", user, "sync", "--join", database_address]) == 0
    copies = {
        user: open_database(path, user=user) for path, user in ((laptop, "carol"), (other, "dan"))
    }
    study = _study_id(copies["carol"])
    _edit(copies["carol"], study, title="Carol's")
    _edit(copies["dan"], study, title="Dan's")
    for copy in copies.values():
        copy.close()
    capsys.readouterr()
    assert main(["--db", str(laptop), "--user", "carol", "sync", "--server", database_address]) == 0
    assert "Sent 1 changes" in capsys.readouterr().out
    assert main(["--db", str(other), "--user", "dan", "sync", "--server", database_address]) == 0
    assert "1 new conflicts, 1 unresolved" in capsys.readouterr().out
    assert main(["--db", str(other), "--user", "dan", "sync", "--status"]) == 0
    out = capsys.readouterr().out
    assert "Unresolved conflicts: 1." in out and "Carol's" in out and "Dan's" in out
    assert main(["--db", str(other), "--user", "dan", "sync", "--resolve", "1", "--keep",
                 "theirs"]) == 0  # fmt: skip
    assert main(["--db", str(other), "--user", "dan", "sync", "--status"]) == 0
    assert "Unresolved conflicts: 0." in capsys.readouterr().out
    bundle = tmp_path / "dan.bundle"
    assert main(["--db", str(other), "--user", "dan", "sync", "--export", str(bundle)]) == 0
    assert main(["--db", str(laptop), "--user", "carol", "sync", "--import", str(bundle)]) == 0
    assert "0 conflicts" in capsys.readouterr().out


def test_a_return_imported_on_a_laptop_reaches_the_server_with_its_rows_and_totals(
    demo_database: Database, tmp_path: Path
) -> None:
    """Rows are facts of their submission: they travel with it; the summaries follow."""
    from app.models import FinancialYear
    from app.services.monitoring import Dimension, MonitoringFilter, position
    from app.services.returns_import import import_returns
    from tests.test_returns_import import counts, plan_rows, write_csv

    laptop = open_database(tmp_path / "laptop.sqlite", user="alice")
    try:
        sync.join(laptop, demo_database)
        rows = plan_rows(laptop)
        for row in rows[:3]:
            row[7] = int(row[7]) + 5  # more activity than planned, at the same price
            row[9] = ""
        import_returns(laptop, write_csv(tmp_path / "returns.csv", rows))
        assert counts(laptop) != counts(demo_database)
        sync.sync_with_server(laptop, demo_database)
        assert counts(laptop) == counts(demo_database)
        flt = MonitoringFilter(FinancialYear(2026), contract="DSCG-2026-RX1")
        here = position(laptop, flt, Dimension.SERVICE_LINE)
        there = position(demo_database, flt, Dimension.SERVICE_LINE)
        assert here.total == there.total and here.rows == there.rows
    finally:
        laptop.close()


def test_a_merged_value_is_held_to_the_identifiable_data_rule(
    database: Database, laptops: Laptops
) -> None:
    from app.models.identifiable import IdentifiableDataRefused

    a, b = laptops("alice"), laptops("bob")
    study = _study_id(database)
    _edit(a, study, learning="Alice's learning")
    _edit(b, study, learning="Bob's learning")
    sync.sync_with_server(a, database)
    sync.sync_with_server(b, database)
    with pytest.raises(IdentifiableDataRefused, match="NHS number"), b.session() as session:
        sync.resolve_conflict(session, "1", "merged", "Both, for patient 943 476 5919")
    assert _read(b, study, "learning") == ("Bob's learning",)
    assert len(_open_conflicts(b)) == 1
