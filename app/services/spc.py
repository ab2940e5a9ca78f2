"""Statistical process control: XmR charts and the signals that are not ordinary variation."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class XmrChart:
    """An XmR chart: centre the mean, limits the mean ± 2.66 × the mean moving range."""

    values: list[float]
    labels: list[str]
    centre: float
    mean_moving_range: float
    upper: float
    lower: float
    signals: list[tuple[int, str]]

    def signal_at(self, index: int) -> list[str]:
        return [kind for i, kind in self.signals if i == index]


OUTSIDE = "outside the limits"
SHIFT = "shift: a run on one side of the centre"
TREND = "trend: a run rising or falling"
RUN = 7  # points, as NHS "Making Data Count" uses for shifts and trends


def xmr(values: Sequence[float], labels: Sequence[str] | None = None, run: int = RUN) -> XmrChart:
    """The chart of `values`, with the points that are signals rather than noise."""
    data = [float(v) for v in values]
    if len(data) < 2:
        raise ValueError("an XmR chart needs at least two points")
    centre = sum(data) / len(data)
    moving = [abs(b - a) for a, b in itertools.pairwise(data)]
    mean_range = sum(moving) / len(moving)
    upper, lower = centre + 2.66 * mean_range, centre - 2.66 * mean_range
    signals: list[tuple[int, str]] = [
        (i, OUTSIDE) for i, v in enumerate(data) if v > upper or v < lower
    ]
    sides = [(v > centre) - (v < centre) for v in data]
    signals += _runs(sides, run, SHIFT)
    steps = [0] + [(b > a) - (b < a) for a, b in itertools.pairwise(data)]
    signals += _runs(steps, run - 1, TREND, include_previous=True)
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(data))]
    return XmrChart(data, labels, centre, mean_range, upper, lower, sorted(set(signals)))


def _runs(
    marks: list[int], length: int, kind: str, include_previous: bool = False
) -> list[tuple[int, str]]:
    """Points in maximal runs of equal non-zero marks at least `length` long.

    For trends the marks are the steps between points, so a run of n steps covers the n + 1
    points it joins (`include_previous`).
    """
    found: list[tuple[int, str]] = []
    start = 0
    for i in range(1, len(marks) + 1):
        if i == len(marks) or marks[i] != marks[start]:
            if marks[start] != 0 and i - start >= length:
                first = start - 1 if include_previous else start
                found += [(j, kind) for j in range(first, i)]
            start = i
    return found
