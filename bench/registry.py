"""Measures register themselves here with their budget; the runner runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A measure takes the scale's settings and returns seconds (or another figure in its unit).
MeasureFunction = Callable[["Scale"], float]


@dataclass(frozen=True)
class Scale:
    """How big the generated data is."""

    name: str
    years: int
    rows_per_year: int
    providers: int
    commissioners: int
    records_for_search: int
    import_rows: int


# Search is measured on 10,000 records at every scale: that is the size its budget is set for
# (issue 5), and they take well under a minute to build.
SCALES = {
    "tiny": Scale("tiny", 2, 20_000, 8, 6, 10_000, 20_000),
    "small": Scale("small", 5, 200_000, 20, 15, 10_000, 200_000),
    "full": Scale("full", 5, 1_000_000, 40, 30, 10_000, 1_000_000),
}


@dataclass(frozen=True)
class Measure:
    name: str
    description: str
    budget: float
    unit: str  # "s", "ratio", "MB"
    function: MeasureFunction
    source: str  # which issue set the budget
    repeat: int = 3


MEASURES: dict[str, Measure] = {}


def measure(
    name: str, description: str, budget: float, unit: str, source: str, repeat: int = 3
) -> Callable[[MeasureFunction], MeasureFunction]:
    def register(function: MeasureFunction) -> MeasureFunction:
        MEASURES[name] = Measure(name, description, budget, unit, function, source, repeat)
        return function

    return register
