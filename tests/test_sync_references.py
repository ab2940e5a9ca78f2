"""Contract references made alike offline on two laptops never clash (issue 7).

Two laptops joined to a server (a SQLite hub, and PostgreSQL when a test server is set) both
roll the same year over, or both type the same reference, offline; they sync in either order,
with the server or by bundles. Every copy ends with unique references, no conflict left open
and no change lost, and the same contracts as every other copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.models import Contract, ContractLine, FinancialYear
from app.services import sync
from app.services.audit import record_history
from app.services.references import site_code
from app.services.year_end import roll_contracts
from app.store.audit import verify_audit_trail
from app.store.database import Database, open_database

YEAR = FinancialYear(2026)
Laptops = Callable[[str], Database]


@pytest.fixture
def laptops(demo_database: Database, tmp_path: Path) -> Iterator[Laptops]:
    made: list[Database] = []

    def laptop(name: str) -> Database:
        copy = open_database(tmp_path / f"{name}.sqlite", user=name)
        sync.join(copy, demo_database)
        made.append(copy)
        return copy

    yield laptop
    for copy in made:
        copy.close()


def _site(database: Database) -> str:
    with database.session() as session:
        return site_code(session)


def _contracts(database: Database) -> list[tuple[str, str, int]]:
    """Every contract as (id, reference, lines): what must be equal on every copy."""
    with database.reader() as session:
        lines = dict(
            session.execute(
                select(ContractLine.contract_id, func.count()).group_by(ContractLine.contract_id)
            ).all()
        )
        return sorted(
            (str(c.id), c.reference, int(lines.get(c.id, 0)))
            for c in session.scalars(select(Contract))
        )


def _assert_converged(*copies: Database) -> list[tuple[str, str, int]]:
    final = _contracts(copies[0])
    for copy in copies:
        assert _contracts(copy) == final
        references = [reference for _id, reference, _lines in _contracts(copy)]
        assert len(references) == len(set(references))
        with copy.reader() as session:
            assert sync.sync_status(session).open_conflicts == 0
            assert verify_audit_trail(session.connection()).problems == []
    return final


def _type_contract(database: Database, reference: str, notes: str) -> str:
    """A new contract with a reference typed by hand (copying an existing one's parties)."""
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
        return str(contract.id)


def _sync_until_quiet(server: Database, order: list[Database]) -> list[str]:
    renamed: list[str] = []
    for _round in range(2):
        for copy in order:
            renamed += sync.sync_with_server(copy, server).renamed
    return renamed


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_two_laptops_rolling_the_same_year_over_offline_make_different_references(
    demo_database: Database, laptops: Laptops, first: str
) -> None:
    copies = {"alice": laptops("alice"), "bob": laptops("bob")}
    made = {name: roll_contracts(copy, YEAR, Decimal("0.02")) for name, copy in copies.items()}
    for name, copy in copies.items():
        assert f"DSCG-2027-RX1-{_site(copy)}" in made[name]
    assert not set(made["alice"]) & set(made["bob"])
    order = [copies[first], copies["bob" if first == "alice" else "alice"]]
    renamed = _sync_until_quiet(demo_database, order)
    assert renamed == []  # derived references carry the site code: nothing to rename
    final = _assert_converged(demo_database, *copies.values())
    references = {reference for _id, reference, _lines in final}
    assert set(made["alice"]) | set(made["bob"]) <= references
    # Rolled over on one copy, the year is not rolled again on another after a sync.
    assert roll_contracts(copies["alice"], YEAR, Decimal("0.02")) == []


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_a_reference_typed_on_two_laptops_offline_is_settled_alike_on_every_copy(
    demo_database: Database, laptops: Laptops, first: str
) -> None:
    alice, bob = laptops("alice"), laptops("bob")
    earlier = _type_contract(alice, "DSCG-2027-NEW", "Alice's")
    later = _type_contract(bob, "DSCG-2027-NEW", "Bob's")
    order = [alice, bob] if first == "alice" else [bob, alice]
    renamed = _sync_until_quiet(demo_database, order)
    final = _assert_converged(demo_database, alice, bob)
    by_id = {record: reference for record, reference, _lines in final}
    # The record created first keeps the reference; the later one carries its copy's code.
    assert by_id[earlier] == "DSCG-2027-NEW"
    assert by_id[later] == f"DSCG-2027-NEW-{_site(bob)}"
    assert {r for _i, r, lines in final if r.startswith("DSCG-2027-NEW")} == {
        "DSCG-2027-NEW",
        f"DSCG-2027-NEW-{_site(bob)}",
    }
    assert all(lines == 1 for record, _r, lines in final if record in (earlier, later))
    # The user is told, and the renaming is in the record's history as a change.
    assert any(f"is now DSCG-2027-NEW-{_site(bob)}" in message for message in renamed)
    for copy in (demo_database, alice, bob):
        with copy.session() as session:
            history = record_history(session, later)
        assert any(
            c.field == "reference" and c.new == f"DSCG-2027-NEW-{_site(bob)}"
            for c in history.changes
        )


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_a_reference_typed_on_two_laptops_is_settled_alike_through_bundles(
    demo_database: Database, laptops: Laptops, tmp_path: Path, first: str
) -> None:
    alice, bob = laptops("alice"), laptops("bob")
    earlier = _type_contract(alice, "DSCG-2027-TYPED", "Alice's")
    later = _type_contract(bob, "DSCG-2027-TYPED", "Bob's")
    copies = {"alice": alice, "bob": bob}
    second = "bob" if first == "alice" else "alice"
    renamed: list[str] = []
    for source, target in ((first, second), (second, first), (first, second)):
        bundle = tmp_path / f"{source}.bundle"
        sync.export_bundle(copies[source], bundle)
        renamed += sync.import_bundle(copies[target], bundle).renamed
    final = _assert_converged(alice, bob)
    by_id = {record: reference for record, reference, _lines in final}
    assert by_id[earlier] == "DSCG-2027-TYPED"
    assert by_id[later] == f"DSCG-2027-TYPED-{_site(bob)}"
    assert renamed
    # And the server, told by either laptop, ends the same.
    _sync_until_quiet(demo_database, [copies[second], copies[first]])
    _assert_converged(demo_database, alice, bob)


def test_a_renamed_reference_changed_again_on_its_own_copy_is_no_conflict(
    demo_database: Database, laptops: Laptops
) -> None:
    """Bob renames his contract after a sync that had not yet met Alice's: Alice's copy
    renamed it for the clash, then takes Bob's choice without asking anyone."""
    alice, bob = laptops("alice"), laptops("bob")
    _type_contract(alice, "DSCG-2027-SAME", "Alice's")
    later = _type_contract(bob, "DSCG-2027-SAME", "Bob's")
    sync.sync_with_server(bob, demo_database)
    with bob.session() as session:
        session.get(Contract, uuid.UUID(later)).reference = "DSCG-2027-BOB"
    sync.sync_with_server(bob, demo_database)
    _sync_until_quiet(demo_database, [alice, bob])
    final = _assert_converged(demo_database, alice, bob)
    assert {r for _i, r, _l in final} >= {"DSCG-2027-SAME", "DSCG-2027-BOB"}


def test_the_command_line_says_which_reference_was_renamed(
    demo_database: Database, laptops: Laptops, tmp_path: Path, capsys
) -> None:
    alice, bob = laptops("alice"), laptops("bob")
    _type_contract(alice, "DSCG-2027-CLI", "Alice's")
    _type_contract(bob, "DSCG-2027-CLI", "Bob's")
    code = _site(bob)
    bundle = tmp_path / "alice.bundle"
    sync.export_bundle(alice, bundle)
    path = bob.path
    bob.close()
    capsys.readouterr()
    assert main(["--db", str(path), "--user", "bob", "sync", "--import", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert "Renamed: Contract reference DSCG-2027-CLI" in out and f"DSCG-2027-CLI-{code}" in out
