"""Column types that keep the domain's values exact: money, shares and financial years."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, Dialect, Integer
from sqlalchemy.types import TypeDecorator

from app.models.financial_year import FinancialYear


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as a scaled integer, so SQLite keeps it exactly and SUM stays exact."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self._scale = 10**places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        exact = Decimal(value)
        rounded = exact.quantize(self._quantum, rounding=ROUND_HALF_UP)
        if rounded != exact:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(rounded * self._scale)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._scale).quantize(self._quantum)


def Money() -> ScaledDecimal:
    """Pounds and pence."""
    return ScaledDecimal(2)


def Share() -> ScaledDecimal:
    """A fraction such as a capitation share (0.071234), to six places."""
    return ScaledDecimal(6)


def Activity() -> ScaledDecimal:
    """A count of activity (spells, bed days, patient years), to two places."""
    return ScaledDecimal(2)


class FinancialYearType(TypeDecorator[FinancialYear]):
    """A financial year stored as the calendar year in which it starts."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = FinancialYear.parse(value)
        return int(value.start_year)

    def process_result_value(self, value: Any, dialect: Dialect) -> FinancialYear | None:
        return None if value is None else FinancialYear(int(value))
