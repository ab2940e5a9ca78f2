"""The SCG's pooled budget: uplifts, management costs, contributions by agreed share or baseline.

Every figure below is worked by hand.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.errors import InputRejected
from app.models import AgreedShare, FinancialYear, Organisation, PooledBudget, Term
from app.services.contract_exchange import export_commissioners, import_commissioners
from app.services.pooled_budget import (
    Basis,
    BudgetSettings,
    budget_settings,
    pooled_budget,
    remove_pooled_budget,
    set_pooled_budget,
)
from app.store.database import Database

YEAR = FinancialYear(2026)
M = Decimal(1_000_000)


@pytest.fixture
def members(database: Database, tmp_path: Path) -> Database:
    """An SCG with four PCTs whose baselines are £300m, £200m, £100m and £100m."""
    with database.session() as session:
        scg = session.scalar(select(Term.id).where(Term.code == "SCG"))
        session.add(Organisation(code="XSCG", name="Example SCG", type_id=scg))
    path = tmp_path / "members.xlsx"
    export_commissioners(database, path, template=True)
    book = openpyxl.load_workbook(path)
    for code, baseline in (("A", 300), ("B", 200), ("C", 100), ("D", 100)):
        book["Commissioners"].append([code, f"PCT {code}"])
        book["Memberships"].append([code, "XSCG", "2025-04-01", None, 0.25, baseline * 1_000_000])
    book.save(path)
    import_commissioners(database, path)
    return database


def test_contributions_by_agreed_share_and_pro_rata_to_baseline(members: Database) -> None:
    view = set_pooled_budget(
        members,
        BudgetSettings(
            YEAR,
            services_budget=10 * M,
            management_costs=Decimal(150_000),
            uplifts=(("Inflation", Decimal("0.025")), ("Cost pressures", Decimal("0.01"))),
            agreed_shares={"A": Decimal("0.4")},
        ),
    )
    # 2.5% of £10m is £250,000 and 1% is £100,000: £10,350,000 for services, and with the
    # £150,000 of management costs a pool of £10,500,000.
    assert [u.amount for u in view.uplifts] == [Decimal("250000.00"), Decimal("100000.00")]
    assert view.uplifted_services == Decimal("10350000.00")
    assert view.total == Decimal("10500000.00")
    # A agreed 40%: £4,200,000. B, C and D share the other 60% as 200:100:100 of baseline,
    # that is 30%, 15% and 15%: £3,150,000, £1,575,000 and £1,575,000.
    by_code = {c.code: c for c in view.contributions}
    assert {code: c.amount for code, c in by_code.items()} == {
        "A": Decimal("4200000.00"),
        "B": Decimal("3150000.00"),
        "C": Decimal("1575000.00"),
        "D": Decimal("1575000.00"),
    }
    assert by_code["A"].basis == Basis.AGREED
    assert by_code["B"].basis == Basis.PRO_RATA and by_code["B"].share == Decimal("0.3")
    assert "B: pro rata to baseline: £200,000,000 of £400,000,000" in by_code["B"].explanation
    assert "Pooled budget: £10,500,000.00." in view.explanation
    assert pooled_budget(members, YEAR) == view


def test_without_agreement_everyone_pays_pro_rata_to_baseline_to_the_penny(
    members: Database,
) -> None:
    view = set_pooled_budget(
        members, BudgetSettings(YEAR, services_budget=Decimal(1000), management_costs=Decimal(0))
    )
    # Baselines 3:2:1:1 of £1,000: £428.571..., £285.714..., £142.857..., £142.857...;
    # rounded down they leave two pennies, which go to the largest remainders, C's and D's.
    amounts = {c.code: c.amount for c in view.contributions}
    assert amounts == {
        "A": Decimal("428.57"),
        "B": Decimal("285.71"),
        "C": Decimal("142.86"),
        "D": Decimal("142.86"),
    }
    assert sum(amounts.values()) == Decimal(1000)
    assert all(c.basis == Basis.PRO_RATA for c in view.contributions)


def test_setting_again_replaces_and_the_settings_read_back(members: Database) -> None:
    first = BudgetSettings(YEAR, 10 * M, Decimal(0), (("Inflation", Decimal("0.02")),),
                           {"A": Decimal("0.5")}, group="XSCG")  # fmt: skip
    set_pooled_budget(members, first)
    second = BudgetSettings(YEAR, 11 * M, Decimal(5), (), {}, "revised", group="XSCG")
    set_pooled_budget(members, second)
    assert budget_settings(members, YEAR) == second
    with members.reader() as session:
        assert session.scalar(select(func.count()).select_from(AgreedShare)) == 0
    remove_pooled_budget(members, YEAR)
    assert pooled_budget(members, YEAR) is None
    with members.reader() as session:
        assert session.scalar(select(func.count()).select_from(PooledBudget)) == 0


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"A": Decimal("0.6"), "B": Decimal("0.5")}, "add up to 1.1, more than the whole"),
        ({"A": Decimal("1")}, "leave nothing for B, C, D"),
        ({"Z": Decimal("0.1")}, "Z is not a member on 1 April 2026"),
        (
            {"A": Decimal("0.25"), "B": Decimal("0.25"), "C": Decimal("0.25"),
             "D": Decimal("0.2")},
            "they add up to 0.95, not 1",
        ),
    ],
)  # fmt: skip
def test_shares_that_do_not_make_a_whole_are_refused(
    members: Database, shares: dict[str, Decimal], message: str
) -> None:
    with pytest.raises(InputRejected, match=message):
        set_pooled_budget(members, BudgetSettings(YEAR, M, Decimal(0), (), shares))
    assert pooled_budget(members, YEAR) is None


def test_a_year_before_the_members_joined_has_no_members(members: Database) -> None:
    with pytest.raises(InputRejected, match="no members on 1 April 2024"):
        set_pooled_budget(members, BudgetSettings(FinancialYear(2024), M, Decimal(0)))
