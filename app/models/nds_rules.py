"""Rules of the National Definitions Set: code forms, the designation limit, review and scores."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ICD10 = "ICD-10"
OPCS4 = "OPCS-4"
SCHEMES = (ICD10, OPCS4)
_FORMS = {
    ICD10: (re.compile(r"^[A-Z][0-9]{2}(\.[0-9X]{1,2})?$"), "like C34 or C34.1"),
    OPCS4: (re.compile(r"^[A-Z][0-9]{2}(\.[0-9])?$"), "like K40 or K40.1"),
}
DESIGNATION_YEARS = 5
REVIEW_YEARS = 5
LEVELS = ("A", "B", "C", "D")
IMPACT_CATEGORIES = 8


def normalise_code(code: str) -> str:
    return code.strip().upper()


def code_problem(scheme: str, code: str) -> str | None:
    """Why `code` is not a well-formed code of `scheme`, or None when it is."""
    if scheme not in _FORMS:
        return f"'{scheme}' is not a code scheme: use {' or '.join(SCHEMES)}"
    pattern, example = _FORMS[scheme]
    if not pattern.match(normalise_code(code)):
        return f"'{code}' is not an {scheme} code ({example})"
    return None


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def latest_designation_end(starts_on: date) -> date:
    """A designation lasts five years at most: from 1 Apr 2026 to 31 Mar 2031 at the latest."""
    return years_later(starts_on, DESIGNATION_YEARS) - timedelta(days=1)


def designation_problem(starts_on: date, ends_on: date) -> str | None:
    if ends_on < starts_on:
        return "a designation cannot end before it starts"
    latest = latest_designation_end(starts_on)
    if ends_on > latest:
        return (
            f"a designation lasts at most {DESIGNATION_YEARS} years: one starting "
            f"{starts_on:%d %b %Y} must end by {latest:%d %b %Y}"
        )
    return None


def ends_within_a_year(ends_on: date, today: date) -> bool:
    return today <= ends_on <= years_later(today, 1)


def review_overdue(last_review: date | None, today: date) -> bool:
    """The aim is every service reviewed within five years."""
    return last_review is None or last_review <= years_later(today, -REVIEW_YEARS)


@dataclass(frozen=True)
class ScoreWorking:
    """A cost pressure's score with the arithmetic that produced it."""

    total: Decimal
    points: dict[str, int]
    explanation: str


def level_points(level: str, a_highest: bool = False) -> int:
    """A scores 1 and D scores 4, unless the setting says A is the highest."""
    if level not in LEVELS:
        raise ValueError(f"'{level}' is not a level: use A, B, C or D")
    position = LEVELS.index(level) + 1
    return len(LEVELS) + 1 - position if a_highest else position


def score(
    levels: Mapping[str, str],
    weights: Mapping[str, Decimal] | None = None,
    a_highest: bool = False,
) -> ScoreWorking:
    """The total on the 8-to-32 scale: 8 times the weighted mean of the category scores.

    With equal weights the total is the plain sum of the eight scores.
    """
    if len(levels) != IMPACT_CATEGORIES:
        raise ValueError(
            f"a cost pressure is scored on all {IMPACT_CATEGORIES} impact categories "
            f"({len(levels)} given)"
        )
    points = {category: level_points(level, a_highest) for category, level in levels.items()}
    chosen = {c: Decimal(weights.get(c, 1)) if weights else Decimal(1) for c in points}
    weight_sum = sum(chosen.values(), Decimal(0))
    if weight_sum <= 0 or any(w < 0 for w in chosen.values()):
        raise ValueError("weights must not be negative and must not all be zero")
    weighted = sum((chosen[c] * points[c] for c in points), Decimal(0))
    total = (IMPACT_CATEGORIES * weighted / weight_sum).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    if all(w == chosen[next(iter(chosen))] for w in chosen.values()):
        explanation = " + ".join(str(points[c]) for c in points) + f" = {total}"
    else:
        terms = " + ".join(f"{_plain(chosen[c])}×{points[c]}" for c in points)
        explanation = f"8 × ({terms}) ÷ {_plain(weight_sum)} = {total}"
    return ScoreWorking(total=total, points=points, explanation=explanation)


def _plain(value: Decimal) -> str:
    """10 rather than 1E+1; 0.5 rather than 0.500000."""
    return f"{value.normalize():f}"
