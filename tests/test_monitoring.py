"""Monitoring: plan against actual from the summaries, forecasts, XmR, drill-down, flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models import (
    Contract,
    ContractLine,
    FinancialYear,
    PlannedActivity,
    ReturnRow,
    ReturnSubmission,
)
from app.services import monitoring
from app.services.monitoring import (
    Dimension,
    MonitoringFilter,
    Status,
    drill_down,
    flag_overperformance,
    list_investigations,
    monthly_series,
    overperformance_questions,
    position,
    record_investigation,
)
from app.services.spc import OUTSIDE, SHIFT, TREND, xmr
from app.store.database import Database

YEAR = FinancialYear(2026)


def test_plan_and_actual_agree_with_the_contracts_and_the_returns(demo_database: Database):
    result = position(demo_database, MonitoringFilter(YEAR, contract="DSCG-2026-RX1"))
    assert result.months_reported == 7  # April to October 2026 are in by 24 November
    with demo_database.reader() as session:
        contract = session.scalars(
            select(Contract).where(Contract.reference == "DSCG-2026-RX1")
        ).one()
        plan = sum(
            (p.activity * line.price for line in contract.lines for p in line.plan),
            Decimal(0),
        )
        plan_ytd = sum(
            (
                p.activity * line.price
                for line in contract.lines
                for p in line.plan
                if FinancialYear.month_index(p.month) <= 7
            ),
            Decimal(0),
        )
        actual = session.scalar(
            select(func.sum(ReturnRow.actual_cost))
            .join(ReturnSubmission)
            .where(
                ReturnSubmission.provider_id == contract.provider_id,
                ReturnSubmission.financial_year == YEAR,
                ReturnSubmission.replaced_by_id.is_(None),
            )
        )
    assert result.total.plan_cost == plan
    assert result.total.plan_cost_ytd == plan_ytd
    assert result.total.actual_cost_ytd == actual
    assert result.total.variance_cost == actual - plan_ytd
    assert result.total.forecast_cost == (actual / 7 * 12).quantize(Decimal("0.01"))
    assert [m.label for m in result.months][:2] == ["Apr", "May"]
    assert result.months[7].actual_cost is None  # November: no return yet
    assert result.months[-1].cumulative_plan_cost == plan


def test_the_seasonal_forecast_scales_by_last_years_profile(demo_database: Database):
    flt = MonitoringFilter(YEAR, contract="DSCG-2026-RX1")
    result = position(demo_database, flt)
    last = position(demo_database, MonitoringFilter(YEAR - 1, contract="DSCG-2025-RX1"))
    last_ytd = sum((m.actual_cost for m in last.months[:7]), Decimal(0))
    expected = result.total.actual_cost_ytd * last.total.actual_cost_ytd / last_ytd
    assert result.total.seasonal_forecast_cost == expected.quantize(Decimal("0.01"))
    first_year = position(demo_database, MonitoringFilter(FinancialYear(2023)))
    assert first_year.total.seasonal_forecast_cost is None  # no year before it


def test_the_over_performing_line_is_flagged_beyond_its_margin(demo_database: Database):
    result = position(
        demo_database, MonitoringFilter(YEAR, contract="DSCG-2026-RX7"), Dimension.SERVICE_LINE
    )
    by_code = {row.id: row for row in result.rows}
    assert by_code["35"].status == Status.OVER
    assert by_code["35"].variance_percent > by_code["35"].margin


def test_commissioner_view_counts_a_merged_pct_under_its_successor(demo_database: Database):
    result = position(demo_database, MonitoringFilter(FinancialYear(2023)), Dimension.COMMISSIONER)
    codes = [row.id for row in result.rows]
    assert "5C1" not in codes and "5A3" in codes
    total = sum((row.actual_cost_ytd for row in result.rows), Decimal(0))
    assert total == result.total.actual_cost_ytd
    shares = sum((row.plan_cost for row in result.rows), Decimal(0))
    assert abs(shares - result.total.plan_cost) < Decimal("1.00")


def test_drill_down_gives_the_rows_that_make_a_total(demo_database: Database):
    flt = MonitoringFilter(YEAR, contract="DSCG-2026-RX3", service_line="8b", commissioner="5A2")
    result = position(demo_database, flt, Dimension.MONTH)
    april = next(row for row in result.rows if row.id == "4")
    rows = drill_down(demo_database, flt, month=4)
    assert rows and {r.commissioner for r in rows} == {"5A2"}
    assert sum((r.actual_cost for r in rows), Decimal(0)) == april.actual_cost_ytd


def test_xmr_limits_against_hand_worked_figures():
    chart = xmr([10, 12, 11, 13, 30, 12, 11])
    # Mean 99/7; moving ranges 2, 1, 2, 17, 18, 1, mean 41/6.
    assert chart.centre == pytest.approx(99 / 7)
    assert chart.mean_moving_range == pytest.approx(41 / 6)
    assert chart.upper == pytest.approx(99 / 7 + 2.66 * 41 / 6)
    assert chart.lower == pytest.approx(99 / 7 - 2.66 * 41 / 6)
    assert chart.signals == []


def test_xmr_tells_signals_from_noise():
    outside = xmr([5, 6, 5, 6, 5, 6, 5, 6, 5, 20])
    assert (9, OUTSIDE) in outside.signals
    shift = xmr([9, 1, 9, 1, 6, 6, 6, 6, 6, 6, 6, 1])
    assert {i for i, kind in shift.signals if kind == SHIFT} == set(range(4, 11))
    trend = xmr([5, 1, 2, 3, 4, 5, 6, 7, 3])
    assert {i for i, kind in trend.signals if kind == TREND} == set(range(1, 8))
    short = xmr([5, 1, 2, 3, 4, 5, 6, 3])
    assert not [s for s in short.signals if s[1] == TREND]


def test_monthly_series_runs_across_years(demo_database: Database):
    chart = monthly_series(demo_database, MonitoringFilter(YEAR, contract="DSCG-2026-RX7"))
    assert chart.labels[0] == "Apr 24"
    assert chart.labels[-1] == "Oct 26"
    assert len(chart.values) == 24 + 7


def test_over_performance_opens_an_investigation_with_the_six_questions(
    demo_database: Database,
):
    views = flag_overperformance(demo_database, YEAR, date(2026, 11, 24))
    assert ("DSCG-2026-RX7", "35") in {(v.contract, v.service_line) for v in views}
    again = flag_overperformance(demo_database, YEAR, date(2026, 11, 25))
    assert len(again) == len(views)  # not opened twice
    questions = overperformance_questions()
    assert [q.number for q in questions] == [1, 2, 3, 4, 5, 6]
    target = next(v for v in views if v.service_line == "35")
    answers = {q.key: "Yes" for q in questions}
    saved = record_investigation(
        demo_database, target.id, answers, "primary_care_referrals", "Benchmark the practices."
    )
    assert saved.answers == answers
    assert {v.id for v in list_investigations(demo_database)} >= {target.id}


def test_the_plan_is_read_from_the_plan_tables_not_the_returns(demo_database: Database):
    with demo_database.session() as session:
        line = session.scalars(
            select(ContractLine).join(Contract).where(Contract.reference == "DSCG-2026-RX1")
        ).first()
        planned = session.scalars(
            select(PlannedActivity).where(
                PlannedActivity.line_id == line.id, PlannedActivity.month == 4
            )
        ).one()
        planned.activity += 10
        price = line.price
    before = position(demo_database, MonitoringFilter(YEAR - 1, contract="DSCG-2025-RX1"))
    after = position(demo_database, MonitoringFilter(YEAR, contract="DSCG-2026-RX1"))
    assert after.months[0].plan_cost - 10 * price >= 0
    assert before.total.plan_cost > 0


def test_the_returns_tracker_shows_arrived_late_missing_and_replaced(demo_database: Database):
    from app.services.returns_tracker import ReturnState, returns_tracker

    rows = {
        r.contract: r
        for r in returns_tracker(demo_database, FinancialYear(2025), date(2026, 11, 24))
    }
    rx3 = rows["DSCG-2025-RX3"]
    september = rx3.months[FinancialYear.month_index(9) - 1]
    assert september.replaced == 1 and "replaced 1×" in rx3.sep
    assert all(m.state == ReturnState.ARRIVED for m in rx3.months)  # 8-12 days after month end
    strict = {
        r.contract: r
        for r in returns_tracker(demo_database, FinancialYear(2025), date(2026, 11, 24), due_days=9)
    }
    assert strict["DSCG-2025-RX3"].late > 0
    this_year = {r.contract: r for r in returns_tracker(demo_database, YEAR, date(2026, 11, 24))}
    row = this_year["DSCG-2026-RX1"]
    assert [m.state for m in row.months[7:]] == [ReturnState.NOT_DUE] * 5  # Nov onwards
    late_view = returns_tracker(demo_database, YEAR, date(2027, 1, 20))
    assert next(r for r in late_view if r.contract == "DSCG-2026-RX1").missing == 2  # Nov, Dec


# The arithmetic without pandas ------------------------------------------------------------


def _add_generated_summaries(database: Database, rows: int, seed: int) -> None:
    """Summary rows for random providers, PCTs, lines, points and months of two years, as an
    import would have left them (amounts in pence and hundredths)."""
    import random

    from app.models import Organisation, ServiceLine, Term, Vocabulary
    from app.services.returns_import import RAW_ACTIVITY_SUMMARY, RAW_LINE_SUMMARY

    chance = random.Random(seed)
    with database.session() as session:
        providers = list(session.scalars(select(Contract.provider_id).distinct()))
        commissioners = list(
            session.scalars(
                select(Organisation.id)
                .join(Term, Organisation.type_id == Term.id)
                .where(Term.category == "commissioner")
            )
        )
        lines = list(session.scalars(select(ServiceLine.id)))
        points = list(
            session.scalars(
                select(Term.code).where(Term.vocabulary == Vocabulary.POINT_OF_DELIVERY)
            )
        )
        columns = RAW_LINE_SUMMARY.c
        taken = set(
            session.execute(
                select(columns.financial_year, columns.month, columns.provider_id,
                       columns.service_line_id, columns.point_of_delivery)
            ).all()
        )  # fmt: skip
        fine: dict[tuple, dict] = {}
        coarse: dict[tuple, dict] = {}
        for _ in range(rows):
            key = {
                "financial_year": chance.choice([2025, 2026]),
                "month": chance.randint(1, 12),
                "provider_id": chance.choice(providers),
                "service_line_id": chance.choice(lines),
                "point_of_delivery": chance.choice(points),
            }
            if tuple(key.values()) in taken:  # the demo's own returns: left as they are
                continue
            activity = chance.randint(0, 90_000)
            cost = activity * chance.randint(1, 6_000_000) // 100 + chance.randint(0, 99)
            commissioner = chance.choice(commissioners)
            # One summary row per key: the rows drawn for a key add up into it.
            empty = {"reported_plan": 0, "actual_activity": 0, "actual_cost": 0, "row_count": 0}
            part = fine.setdefault(
                (*key.values(), commissioner), {**key, "commissioner_id": commissioner, **empty}
            )
            whole = coarse.setdefault(tuple(key.values()), {**key, **empty})
            for summary in (part, whole):
                summary["actual_activity"] += activity
                summary["actual_cost"] += cost
                summary["row_count"] += 1
        session.execute(RAW_ACTIVITY_SUMMARY.insert(), list(fine.values()))
        session.execute(RAW_LINE_SUMMARY.insert(), list(coarse.values()))


@pytest.mark.parametrize("generated", [0, 3000])
def test_the_figures_equal_those_pandas_gave(demo_database: Database, generated: int) -> None:
    """Every figure, for every dimension and a spread of filters, equals the one the pandas
    arithmetic (kept in tests/monitoring_reference.py) gave: on the demo data, and with
    thousands of generated summary rows on top."""
    import math

    from tests import monitoring_reference as reference

    if generated:
        _add_generated_summaries(demo_database, generated, seed=generated)
    filters = [
        MonitoringFilter(YEAR),
        MonitoringFilter(YEAR, contract="DSCG-2026-RX7"),
        MonitoringFilter(YEAR, commissioner="5A3"),
        MonitoringFilter(YEAR, point_of_delivery="EL"),
        MonitoringFilter(YEAR, contract="DSCG-2026-RX1", commissioner="5A3"),
    ]
    with demo_database.reader() as session:
        for flt in filters:
            for dimension in Dimension.ALL:
                figures = monitoring.position_in(session, flt, dimension)
                assert figures == reference.position_in(session, flt, dimension), (flt, dimension)
            chart = monitoring.monthly_series_in(session, flt)
            expected = reference.monthly_series_in(session, flt)
            # Unrounded sums: equal to the last place or two (pandas adds in its own order).
            assert all(
                math.isclose(a, b, rel_tol=1e-12)
                for a, b in zip(chart.values, expected.values, strict=True)
            )
            assert (chart.labels, chart.signals) == (expected.labels, expected.signals)


def test_working_out_a_position_loads_no_pandas() -> None:
    """pandas is not needed for the figures, so a worker never waits for its import (which
    holds up the GUI thread too)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from app.services import monitoring\n"
        "assert 'pandas' not in sys.modules and 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
