"""The NHS financial year, April to March, written `2025/26`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

_PATTERN = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")
MONTH_NAMES = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


@total_ordering
@dataclass(frozen=True)
class FinancialYear:
    """A financial year named by the calendar year in which it starts."""

    start_year: int

    def __post_init__(self) -> None:
        if not 1948 <= self.start_year <= 2200:
            raise ValueError(f"{self.start_year} is not a plausible financial year")

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Read `2025/26` (or `2025-26`, `2025/2026`); anything else is a ValueError."""
        match = _PATTERN.match(str(text))
        if not match:
            raise ValueError(f"'{text}' is not a financial year such as 2025/26")
        start, end = int(match.group(1)), match.group(2)
        expected = start + 1
        if int(end) != (expected if len(end) == 4 else expected % 100):
            raise ValueError(f"'{text}' is not a financial year: the years must be consecutive")
        return cls(start)

    @classmethod
    def containing(cls, day: date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @property
    def starts_on(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def ends_on(self) -> date:
        return date(self.start_year + 1, 3, 31)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FinancialYear):
            return NotImplemented
        return self.start_year < other.start_year

    def __add__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + years)

    def __sub__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year - years)

    def __str__(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    def month_start(self, month: int) -> date:
        """The first day of calendar month `month` (4 = April) within this year."""
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is outside 1-12")
        return date(self.start_year if month >= 4 else self.start_year + 1, month, 1)

    @staticmethod
    def month_index(month: int) -> int:
        """Position of calendar month `month` in the year: April is 1, March is 12."""
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is outside 1-12")
        return (month - 4) % 12 + 1

    @staticmethod
    def calendar_month(index: int) -> int:
        """The calendar month at position `index` (1 = April) of a financial year."""
        if not 1 <= index <= 12:
            raise ValueError(f"month position {index} is outside 1-12")
        return (index + 2) % 12 + 1
