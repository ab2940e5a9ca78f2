"""The demo database: deterministic, consistent, and free of anything that identifies a patient."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.exc import IntegrityError

from app.models import (
    CaseStudy,
    Contract,
    ContractLine,
    DatabaseFact,
    Designation,
    Dispute,
    DisputeParty,
    DisputeStage,
    FinancialYear,
    Membership,
    Organisation,
    PlannedActivity,
    ReturnRow,
    ReturnSubmission,
    ServiceDefinition,
)
from app.services.demo import build_demo, has_user_data, is_demo
from app.services.maintenance import check_database
from app.services.reference_data import read_csv, read_json
from app.services.references import next_reference
from app.store.database import Database, open_database

AS_OF = date(2026, 11, 24)
NHS_NUMBER = re.compile(r"\d{10}")
FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


# The tests that only read a demo take `demo_database` (conftest.py): a copy of one built
# with as_of 24 November 2026, the same day as AS_OF here.


def new_database(path: Path) -> Database:
    return open_database(path, user="tester")


def fingerprint(database: Database) -> tuple[list[str], int, Decimal]:
    with database.reader() as session:
        references = list(session.scalars(select(Contract.reference).order_by(Contract.reference)))
        rows = session.scalar(select(func.count(ReturnRow.id)))
        cost = session.scalar(select(func.sum(ReturnRow.actual_cost)))
    return references, int(rows or 0), Decimal(cost or 0)


def test_the_same_as_of_builds_the_same_demo(tmp_path: Path) -> None:
    first, second = new_database(tmp_path / "a.sqlite"), new_database(tmp_path / "b.sqlite")
    try:
        assert build_demo(first, AS_OF) == build_demo(second, AS_OF)
        assert fingerprint(first) == fingerprint(second)
        references, rows, cost = fingerprint(first)
        assert "DSCG-2025-RX1" in references
        assert 40_000 <= rows <= 80_000
        assert cost > 0
    finally:
        first.close()
        second.close()


def test_capitation_shares_of_the_members_add_up_to_exactly_one(demo_database: Database) -> None:
    days = [AS_OF] + [FinancialYear(year).starts_on for year in range(2023, 2027)]
    with demo_database.reader() as session:
        for day in days:
            shares = session.scalars(
                select(Membership.capitation_share).where(
                    Membership.effective_from <= day,
                    (Membership.effective_to.is_(None)) | (Membership.effective_to >= day),
                )
            ).all()
            assert len(shares) >= 15, day
            assert sum(shares, Decimal(0)) == Decimal("1.000000"), day


def test_the_merged_pct_points_at_its_successor_and_left_the_group(demo_database: Database) -> None:
    with demo_database.reader() as session:
        merged = session.scalars(
            select(Organisation).where(Organisation.successor_id.is_not(None))
        ).one()
        assert merged.merged_on == date(2024, 4, 1)
        ended = session.scalars(
            select(Membership.effective_to).where(Membership.member_id == merged.id)
        ).one()
        assert ended == date(2024, 3, 31)


def test_no_designation_lasts_more_than_five_years(demo_database: Database) -> None:
    with demo_database.reader() as session:
        designations = session.scalars(select(Designation)).all()
    assert len(designations) >= 25
    for designation in designations:
        start = designation.starts_on
        assert designation.ends_on <= start.replace(year=start.year + 5) - timedelta(days=1)
    ending_soon = [
        d
        for d in designations
        if d.status == "designated" and AS_OF <= d.ends_on <= AS_OF + timedelta(days=365)
    ]
    assert len(ending_soon) >= 2


def test_each_contract_is_worth_its_plan_times_its_prices(demo_database: Database) -> None:
    with demo_database.reader() as session:
        contracts = session.scalars(select(Contract)).all()
        lines = {line.id: line for line in session.scalars(select(ContractLine))}
        plans = session.scalars(select(PlannedActivity)).all()
    worth: dict[uuid.UUID, Decimal] = {}
    months: dict[uuid.UUID, set[int]] = {}
    for plan in plans:
        line = lines[plan.line_id]
        worth[line.contract_id] = (
            worth.get(line.contract_id, Decimal(0)) + plan.activity * line.price
        )
        months.setdefault(line.id, set()).add(plan.month)
    assert len(contracts) >= 4 * 12
    assert all(planned == set(range(1, 13)) for planned in months.values())
    for contract in contracts:
        assert contract.expected_value == worth[contract.id], contract.reference


def test_has_user_data_only_after_the_demo_is_built(tmp_path: Path) -> None:
    database = new_database(tmp_path / "demo.sqlite")
    try:
        assert has_user_data(database) is False
        assert is_demo(database) is False
        build_demo(database, AS_OF)
        assert has_user_data(database) is True
    finally:
        database.close()


def test_returns_cover_every_year_from_2023_24_to_2026_27(demo_database: Database) -> None:
    with demo_database.reader() as session:
        counts = dict(
            session.execute(
                select(ReturnSubmission.financial_year, func.count(ReturnRow.id))
                .join(ReturnRow, ReturnRow.submission_id == ReturnSubmission.id)
                .group_by(ReturnSubmission.financial_year)
            ).all()
        )
        months_2026 = set(
            session.scalars(
                select(ReturnSubmission.month).where(
                    ReturnSubmission.financial_year == FinancialYear(2026)
                )
            )
        )
    assert set(counts) == {FinancialYear(year) for year in range(2023, 2027)}
    assert all(count > 0 for count in counts.values())
    # By 24 November 2026 the returns for April to October are in, and no later ones.
    assert months_2026 == {4, 5, 6, 7, 8, 9, 10}


def test_one_return_was_replaced_by_a_later_one_for_the_same_month(demo_database: Database) -> None:
    with demo_database.reader() as session:
        replaced = session.scalars(
            select(ReturnSubmission).where(ReturnSubmission.replaced_by_id.is_not(None))
        ).one()
        later = session.get(ReturnSubmission, replaced.replaced_by_id)
    assert later is not None
    assert (later.provider_id, later.financial_year, later.month) == (
        replaced.provider_id,
        replaced.financial_year,
        replaced.month,
    )
    assert later.received_on > replaced.received_on


def test_some_lines_over_perform_clearly_in_2025_26(demo_database: Database) -> None:
    with demo_database.reader() as session:
        ratios = session.execute(
            select(
                ReturnSubmission.provider_id,
                ReturnRow.service_line_id,
                ReturnRow.point_of_delivery,
                func.sum(ReturnRow.actual_activity) / func.sum(ReturnRow.planned_activity),
            )
            .join(ReturnSubmission, ReturnSubmission.id == ReturnRow.submission_id)
            .where(
                ReturnSubmission.financial_year == FinancialYear(2025),
                ReturnSubmission.replaced_by_id.is_(None),
            )
            .group_by(
                ReturnSubmission.provider_id,
                ReturnRow.service_line_id,
                ReturnRow.point_of_delivery,
            )
        ).all()
    over = [ratio for *_, ratio in ratios if ratio > 1.03]
    assert 1 <= len(over) <= 2
    assert all(1.08 <= ratio <= 1.15 for ratio in over)


def test_disputes_and_case_studies_carry_no_nhs_number_or_postcode(demo_database: Database) -> None:
    with demo_database.reader() as session:
        for entity in (Dispute, DisputeParty, DisputeStage, CaseStudy):
            columns = [
                column
                for column in entity.__table__.columns
                if isinstance(column.type, String | Text)
            ]
            for record in session.scalars(select(entity)):
                for column in columns:
                    value = getattr(record, column.key) or ""
                    assert not NHS_NUMBER.search(value), (entity.__name__, column.key)
                    assert not FULL_POSTCODE.search(value), (entity.__name__, column.key)
        assert session.scalar(select(func.count(Dispute.id))) >= 6
        assert all(session.scalars(select(Dispute.confidential)))


def test_the_demo_is_marked_and_its_foreign_keys_hold(demo_database: Database) -> None:
    assert check_database(demo_database).ok
    with demo_database.reader() as session:
        assert session.get(DatabaseFact, "demo") is not None
    assert is_demo(demo_database)


def test_definition_keys_are_those_of_the_reference_files(demo_database: Database) -> None:
    headings = read_json("definition_headings.json")
    tariff = read_json("tariff.json")
    currencies = {option["key"] for option in headings["currency_options"]}
    reasons = {reason["key"] for reason in tariff["exclusion_reasons"]}
    payments = {payment["key"] for payment in tariff["alternative_payments"]}
    levels = {
        row["code"] for row in read_csv("terms.csv") if row["vocabulary"] == "commissioning_level"
    }
    with demo_database.reader() as session:
        definitions = session.scalars(select(ServiceDefinition)).all()
    assert {d.currency for d in definitions} - {""} <= currencies
    assert {d.tariff_exclusion_reason for d in definitions} - {""} <= reasons
    assert {d.alternative_payment for d in definitions} - {""} <= payments
    assert {d.commissioning_level for d in definitions} <= levels
    assert sum(1 for d in definitions if d.currency) >= 10


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    database = new_database(tmp_path / "demo.sqlite")
    try:
        with database.session() as session:
            session.add(DatabaseFact(key="demo", value="already here"))
        with pytest.raises(IntegrityError):
            build_demo(database, AS_OF)
        assert has_user_data(database) is False
    finally:
        database.close()


def test_new_disputes_number_on_from_the_demo_ones(demo_database: Database) -> None:
    with demo_database.session() as session:
        this_year = session.scalars(
            select(Dispute.reference).where(Dispute.reference.like("DSP-2026-%"))
        ).all()
        following = next_reference(session, "DSP", 2026)
    assert this_year and all(reference.endswith("-DM") for reference in this_year)
    assert following.startswith(f"DSP-2026-{len(this_year) + 1:03d}-")
