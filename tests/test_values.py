"""Financial years, exact money and the British way of writing dates and pounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.formatting import format_date, format_money, format_percent
from app.models import Contract, FinancialYear, Membership
from app.models.types import ScaledDecimal


def test_a_financial_year_runs_april_to_march() -> None:
    year = FinancialYear.parse("2025/26")
    assert str(year) == "2025/26"
    assert year.starts_on == date(2025, 4, 1) and year.ends_on == date(2026, 3, 31)
    assert date(2026, 3, 31) in year and date(2026, 4, 1) not in year
    assert FinancialYear.containing(date(2026, 3, 31)) == year
    assert FinancialYear.containing(date(2026, 4, 1)) == year + 1
    assert FinancialYear.parse("2025-26") == FinancialYear.parse("2025/2026") == year
    assert year.month_start(4) == date(2025, 4, 1) and year.month_start(3) == date(2026, 3, 1)
    assert [FinancialYear.month_index(m) for m in (4, 12, 1, 3)] == [1, 9, 10, 12]
    assert [FinancialYear.calendar_month(i) for i in (1, 9, 10, 12)] == [4, 12, 1, 3]
    assert str(FinancialYear(1999)) == "1999/00"


@pytest.mark.parametrize("text", ["2025/27", "2025", "25/26", "year", "2025/6", ""])
def test_a_financial_year_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="financial year"):
        FinancialYear.parse(text)


@given(st.integers(min_value=1948, max_value=2199))
def test_financial_years_round_trip_through_text(start: int) -> None:
    assert FinancialYear.parse(str(FinancialYear(start))) == FinancialYear(start)


def test_dates_and_money_are_written_the_british_way() -> None:
    assert format_date(date(2026, 11, 22)) == "22 Nov 2026"
    assert format_date(date(2026, 4, 1)) == "1 Apr 2026"
    assert format_money(Decimal("1234567")) == "£1,234,567"
    assert format_money(Decimal("1234567.5")) == "£1,234,568"
    assert format_money(Decimal("-2500.25"), pence=True) == "-£2,500.25"
    assert format_percent(Decimal("0.125")) == "12.5%"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_money_is_stored_exactly(amount: Decimal) -> None:
    money = ScaledDecimal(2)
    stored = money.process_bind_param(amount, None)  # type: ignore[arg-type]
    assert isinstance(stored, int)
    assert money.process_result_value(stored, None) == amount  # type: ignore[arg-type]


def test_money_with_fractions_of_a_penny_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal places"):
        ScaledDecimal(2).process_bind_param(Decimal("10.005"), None)  # type: ignore[arg-type]


def test_money_and_years_survive_the_database(database) -> None:
    from sqlalchemy import select

    from app.models import Organisation, Term, Vocabulary

    with database.session() as session:
        pct_type = session.scalars(
            select(Term).where(Term.vocabulary == Vocabulary.ORGANISATION_TYPE, Term.code == "PCT")
        ).one()
        provider_type = session.scalars(select(Term).where(Term.code == "NHS_TRUST")).one()
        host = Organisation(code="5A1", name="Vale PCT", type=pct_type)
        provider = Organisation(code="RX1", name="Northgate NHS Trust", type=provider_type)
        session.add_all([host, provider])
        session.flush()
        session.add(
            Contract(
                reference="C-1",
                provider_id=provider.id,
                host_id=host.id,
                financial_year=FinancialYear(2025),
                expected_value=Decimal("1234567.89"),
            )
        )
        session.add(
            Membership(
                group_id=host.id,
                member_id=host.id,
                effective_from=date(2025, 4, 1),
                capitation_share=Decimal("0.071234"),
                baseline_allocation=Decimal("98765432.10"),
            )
        )
    with database.session() as session:
        contract = session.scalars(select(Contract)).one()
        assert contract.expected_value == Decimal("1234567.89")
        assert contract.financial_year == FinancialYear(2025)
        membership = session.scalars(select(Membership)).one()
        assert membership.capitation_share == Decimal("0.071234")
