"""Which rolling backups to keep: 7 daily, 4 weekly and 6 monthly copies, older ones pruned.

A pure function over the times the copies were taken. The tiers do not overlap: the daily
copies are the newest copy of each of the 7 latest days with one; the weekly ones the newest
copy of each of the 4 latest ISO weeks not already covered by a daily copy; the monthly ones
the newest copy of each of the 6 latest months covered by neither.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

DAILY = 7
WEEKLY = 4
MONTHLY = 6


def _day(moment: datetime) -> Hashable:
    return moment.date()


def _week(moment: datetime) -> Hashable:
    return tuple(moment.isocalendar())[:2]


def _month(moment: datetime) -> Hashable:
    return (moment.year, moment.month)


def retained(
    moments: Iterable[datetime], daily: int = DAILY, weekly: int = WEEKLY, monthly: int = MONTHLY
) -> dict[datetime, str]:
    """The copies to keep, each with its tier ("daily", "weekly" or "monthly")."""
    newest_first = sorted(set(moments), reverse=True)
    kept: dict[datetime, str] = {}
    tiers: list[tuple[str, int, Callable[[datetime], Hashable]]] = [
        ("daily", daily, _day),
        ("weekly", weekly, _week),
        ("monthly", monthly, _month),
    ]
    for tier, count, period in tiers:
        covered = {period(moment) for moment in kept}
        chosen: set[Hashable] = set()
        for moment in newest_first:
            if len(chosen) == count:
                break
            key = period(moment)
            if moment in kept or key in covered or key in chosen:
                continue
            chosen.add(key)
            kept[moment] = tier
    return kept


def to_prune(moments: Iterable[datetime]) -> list[datetime]:
    """The copies retention lets go, oldest first."""
    moments = list(moments)
    keep = retained(moments)
    return sorted(moment for moment in set(moments) if moment not in keep)
