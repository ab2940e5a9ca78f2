"""Clause 9 summaries, risk shares from the data, year-end statements and the roll-over."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import select

from app.models import Contract, ContractStatus, FinancialYear
from app.services.references import site_code
from app.services.risk_sharing import Method
from app.services.year_end import (
    clause9_summary,
    export_clause9,
    is_overdue,
    risk_share,
    roll_contracts,
    year_end,
)
from app.store.database import Database

YEAR = FinancialYear(2026)


def test_clause9_summary_in_total_and_for_each_pct(demo_database: Database, tmp_path: Path):
    summary = clause9_summary(demo_database, "DSCG-2026-RX7")
    total, members = summary.rows[0], summary.rows[1:]
    assert total.member == "Total"
    assert len(members) == 16  # the member PCTs after the 2024 merger
    assert sum((m.risk_share_by_capitation for m in members), Decimal(0)) == total.forecast_variance
    assert abs(sum((m.plan_cost for m in members), Decimal(0)) - total.plan_cost) < 1
    path = tmp_path / "clause9.xlsx"
    export_clause9(demo_database, "DSCG-2026-RX7", path)
    sheet = openpyxl.load_workbook(path).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "Total" in values and "Forecast outturn" in values


def test_risk_share_of_an_over_performing_line(demo_database: Database):
    report = risk_share(demo_database, "35", YEAR)
    over = max(Decimal(0), report.outturn - report.plan)
    assert report.tolerance.commissioner_pays + report.tolerance.provider_bears == over
    assert over > 0
    capitation = sum((line.amount for line in report.by_capitation.lines), Decimal(0))
    usage = sum((line.amount for line in report.by_usage.lines), Decimal(0))
    assert capitation == usage == report.tolerance.commissioner_pays
    assert all(c.difference == c.by_usage - c.by_capitation for c in report.comparison)
    assert report.explanation[0].startswith("Service line 35, 2026/27")


def test_year_end_statements_add_up(demo_database: Database):
    result = year_end(demo_database, FinancialYear(2025))
    budget = sum((p.contract_value for p in result.payments), Decimal(0))
    outturn = sum((p.outturn for p in result.payments), Decimal(0))
    assert sum((s.contribution for s in result.statements), Decimal(0)) == budget
    assert sum((s.adjustment for s in result.statements), Decimal(0)) == outturn - budget
    assert all(s.outturn_share == s.contribution + s.adjustment for s in result.statements)
    usage = year_end(demo_database, FinancialYear(2025), Method.HISTORICAL_USAGE, usage_years=2)
    assert sum((s.adjustment for s in usage.statements), Decimal(0)) == outturn - budget


def test_with_a_pooled_budget_the_statements_start_from_each_members_contribution(
    demo_database: Database,
):
    from app.services.pooled_budget import BudgetSettings, set_pooled_budget

    year = FinancialYear(2025)
    before = year_end(demo_database, year)
    assert "no pooled budget" in before.basis
    pool = set_pooled_budget(
        demo_database,
        BudgetSettings(
            year,
            services_budget=Decimal(90_000_000),
            management_costs=Decimal(250_000),
            uplifts=(("Inflation", Decimal("0.02")),),
        ),
    )
    result = year_end(demo_database, year)
    assert "pooled budget" in result.basis
    paid_in = {c.code: c.amount for c in pool.contributions}
    assert {s.id: s.contribution for s in result.statements} == paid_in
    outturn = sum((p.outturn for p in result.payments), Decimal(0))
    # The outturn is measured against the services part of the pool, £91.8m after 2%.
    assert pool.uplifted_services == Decimal("91800000.00")
    assert sum((s.adjustment for s in result.statements), Decimal(0)) == (
        outturn - pool.uplifted_services
    )
    assert all(s.outturn_share == s.contribution + s.adjustment for s in result.statements)


def test_contracts_roll_into_the_next_year_with_an_uplift(demo_database: Database):
    created = roll_contracts(demo_database, YEAR, Decimal("0.021"))
    with demo_database.session() as session:
        code = site_code(session)
    # The derived reference carries this copy's site code: laptops never make the same.
    assert f"DSCG-2027-RX1-{code}" in created
    with demo_database.reader() as session:
        old, new = (
            session.scalars(select(Contract).where(Contract.reference == reference)).one()
            for reference in ("DSCG-2026-RX1", f"DSCG-2027-RX1-{code}")
        )
        assert new.status == ContractStatus.DRAFT
        assert new.financial_year == FinancialYear(2027)
        old_line, new_line = old.lines[0], new.lines[0]
        assert new_line.price == (old_line.price * Decimal("1.021")).quantize(Decimal("0.01"))
    assert roll_contracts(demo_database, YEAR, Decimal("0.021")) == []  # not twice
    # Rolled on again, the copy's own code is not carried twice.
    assert f"DSCG-2028-RX1-{code}" in roll_contracts(demo_database, FinancialYear(2027), Decimal(0))


def test_a_contract_not_agreed_by_the_first_of_april_is_overdue():
    assert is_overdue(ContractStatus.DRAFT, YEAR, date(2026, 4, 1))
    assert not is_overdue(ContractStatus.DRAFT, YEAR, date(2026, 3, 31))
    assert not is_overdue(ContractStatus.AGREED, YEAR, date(2026, 6, 1))
