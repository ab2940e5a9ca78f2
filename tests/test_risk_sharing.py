"""Every risk-sharing method against figures worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.services.risk_sharing import (
    by_baseline_share,
    by_capitation,
    by_historical_usage,
    capitation_against_usage,
    graduated_tolerance,
)

D = Decimal
PLAN = D("1000000")


def test_the_hiv_worked_example():
    result = graduated_tolerance(PLAN, D("1042000"), D(3))
    assert [s.commissioner for s in result.steps] == [D(2500), D(5000), D(7500), D(12000)]
    assert [s.provider for s in result.steps] == [D(7500), D(5000), D(2500), D(0)]
    assert result.commissioner_pays == D(27000)
    assert result.provider_bears == D(15000)
    assert result.payment == D(1027000)
    assert result.explanation[-1] == (
        "The commissioner pays £27,000.00 of the over-performance and the provider bears "
        "£15,000.00."
    )


@pytest.mark.parametrize(
    ("actual", "commissioner", "provider"),
    [
        (D("1000000"), D(0), D(0)),
        (D("1010000"), D(2500), D(7500)),  # exactly 1%: all in the first band
        (D("1010001"), D("2500.50"), D("7500.50")),  # a pound into the second band
        (D("1020000"), D(7500), D(12500)),  # exactly 2%
        (D("1030000"), D(15000), D(15000)),  # exactly 3%: the tolerance used up
        (D("1030001"), D(15001), D(15000)),  # a pound beyond: all the commissioner's
        (D("990000"), D(0), D(0)),  # below plan nothing is shared
    ],
)
def test_boundaries_at_one_two_and_three_percent(actual, commissioner, provider):
    result = graduated_tolerance(PLAN, actual, D(3))
    assert (result.commissioner_pays, result.provider_bears) == (commissioner, provider)


def test_a_two_percent_tolerance_stops_after_the_second_band():
    result = graduated_tolerance(PLAN, D("1042000"), D(2))
    # 2,500 + 5,000 shared; the 22,000 beyond 2% all the commissioner's.
    assert result.commissioner_pays == D(29500)
    assert result.provider_bears == D(12500)


def test_capitation_shares_add_up_to_the_penny():
    result = by_capitation(
        D("100.00"), {"A": D("0.333333"), "B": D("0.333333"), "C": D("0.333334")}
    )
    assert [line.amount for line in result.lines] == [D("33.33"), D("33.33"), D("33.34")]
    assert result.explanation[0] == "A: capitation share 0.333333 = 33.33% of £100.00 = £33.33"


def test_historical_usage_is_a_rolling_average_over_the_period():
    usage = {"A": [D(90), D(10), D(20), D(30)], "B": [D(0), D(40), D(60), D(50)]}
    # Three-year averages 20 and 50: A pays 2/7, B 5/7.
    result = by_historical_usage(D("700.00"), usage, years=3)
    assert [line.amount for line in result.lines] == [D("200.00"), D("500.00")]
    # Two years: 25 and 55.
    two = by_historical_usage(D("800.00"), usage, years=2)
    assert [line.amount for line in two.lines] == [D("250.00"), D("550.00")]


def test_an_overspend_is_split_by_baseline_share():
    result = by_baseline_share(D("30000"), {"A": D("2000000"), "B": D("1000000")})
    assert [line.amount for line in result.lines] == [D(20000), D(10000)]


def test_capitation_against_usage_shows_the_difference_for_each_pct():
    rows = capitation_against_usage(
        D("1000.00"),
        {"A": D("0.5"), "B": D("0.5")},
        {"A": [D(30), D(30), D(30)], "B": [D(10), D(10), D(10)]},
    )
    assert [(r.code, r.by_capitation, r.by_usage, r.difference) for r in rows] == [
        ("A", D(500), D(750), D(250)),
        ("B", D(500), D(250), D(-250)),
    ]
