"""The Definitions Set's rules: code forms, the five-year designation limit, reviews, scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.nds_rules import (
    ICD10,
    OPCS4,
    code_problem,
    designation_problem,
    ends_within_a_year,
    latest_designation_end,
    level_points,
    review_overdue,
    score,
)

CATEGORIES = [
    "legal",
    "media",
    "political",
    "health_impact_on_patients",
    "government_policy",
    "evidence_base",
    "financial",
    "patient_numbers",
]


@pytest.mark.parametrize("code", ["C34", "C34.1", "c34.1", " E84.0 ", "Z94.81", "B20"])
def test_well_formed_icd10_codes(code: str) -> None:
    assert code_problem(ICD10, code) is None


@pytest.mark.parametrize("code", ["C3", "C341", "34.1", "CC34", "C34.", "C34.123", ""])
def test_malformed_icd10_codes(code: str) -> None:
    assert "is not an ICD-10 code (like C34 or C34.1)" in str(code_problem(ICD10, code))


@pytest.mark.parametrize("code", ["K40", "K40.1", "w37.1"])
def test_well_formed_opcs4_codes(code: str) -> None:
    assert code_problem(OPCS4, code) is None


@pytest.mark.parametrize("code", ["K4", "K40.12", "K401", "40.1"])
def test_malformed_opcs4_codes(code: str) -> None:
    assert "is not an OPCS-4 code (like K40 or K40.1)" in str(code_problem(OPCS4, code))


def test_an_unknown_scheme() -> None:
    assert "is not a code scheme" in str(code_problem("SNOMED", "123"))


def test_a_designation_lasts_five_years_at_most() -> None:
    assert latest_designation_end(date(2026, 4, 1)) == date(2031, 3, 31)
    assert designation_problem(date(2026, 4, 1), date(2031, 3, 31)) is None
    assert "must end by 31 Mar 2031" in str(designation_problem(date(2026, 4, 1), date(2031, 4, 1)))
    assert "before it starts" in str(designation_problem(date(2026, 4, 1), date(2026, 3, 31)))
    assert latest_designation_end(date(2028, 2, 29)) == date(2033, 2, 28)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)))
def test_the_latest_end_is_the_day_before_the_fifth_anniversary(start: date) -> None:
    latest = latest_designation_end(start)
    assert designation_problem(start, latest) is None
    from datetime import timedelta

    assert designation_problem(start, latest + timedelta(days=1)) is not None


def test_designations_ending_within_twelve_months_are_flagged() -> None:
    today = date(2026, 11, 24)
    assert ends_within_a_year(date(2027, 11, 24), today)
    assert not ends_within_a_year(date(2027, 11, 25), today)
    assert not ends_within_a_year(date(2026, 11, 23), today)


def test_a_service_without_a_review_in_five_years_is_flagged() -> None:
    today = date(2026, 11, 24)
    assert review_overdue(None, today)
    assert review_overdue(date(2021, 11, 24), today)
    assert not review_overdue(date(2021, 11, 25), today)


def test_levels_score_one_to_four_and_the_direction_is_a_setting() -> None:
    assert [level_points(level) for level in "ABCD"] == [1, 2, 3, 4]
    assert [level_points(level, a_highest=True) for level in "ABCD"] == [4, 3, 2, 1]
    with pytest.raises(ValueError, match="not a level"):
        level_points("E")


def test_equal_weights_sum_the_scores_from_8_to_32() -> None:
    assert score(dict.fromkeys(CATEGORIES, "A")).total == 8
    assert score(dict.fromkeys(CATEGORIES, "D")).total == 32
    mixed = dict(zip(CATEGORIES, "ABCDDCBA", strict=True))
    working = score(mixed)
    assert working.total == 20
    assert working.explanation == "1 + 2 + 3 + 4 + 4 + 3 + 2 + 1 = 20.00"


def test_weights_keep_the_total_on_the_same_scale() -> None:
    levels = dict(zip(CATEGORIES, "DAAAAAAA", strict=True))
    weights = {c: Decimal(1) for c in CATEGORIES}
    weights["legal"] = Decimal(3)
    working = score(levels, weights)
    # 8 × (3×4 + 7×1) ÷ 10 = 15.2
    assert working.total == Decimal("15.20")
    assert working.explanation.startswith("8 × (3×4 + 1×1")
    assert working.explanation.endswith("÷ 10 = 15.20")
    assert score(dict.fromkeys(CATEGORIES, "D"), weights).total == 32


def test_scores_need_all_eight_categories_and_sensible_weights() -> None:
    with pytest.raises(ValueError, match="all 8 impact categories"):
        score({"legal": "A"})
    with pytest.raises(ValueError, match="weights"):
        score(dict.fromkeys(CATEGORIES, "A"), dict.fromkeys(CATEGORIES, Decimal(0)))
