"""How values are written for people: British dates, pounds, percentages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal


def format_date(value: date | datetime | None) -> str:
    """22 Nov 2026."""
    if value is None:
        return ""
    return f"{value.day} {value.strftime('%b')} {value.year}"


def format_money(value: Decimal | int | None, pence: bool = False) -> str:
    """£1,234,567 (or £1,234,567.89 with pence); negatives as -£1,234."""
    if value is None:
        return ""
    amount = Decimal(value)
    places = Decimal("0.01") if pence else Decimal(1)
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.2f}" if pence else f"{abs(rounded):,.0f}"
    return f"-£{text}" if rounded < 0 else f"£{text}"


def format_number(value: Decimal | int | float | None, places: int = 0) -> str:
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def format_percent(value: Decimal | float | None, places: int = 1) -> str:
    """A fraction (0.125) as a percentage (12.5%)."""
    if value is None:
        return ""
    return f"{format_number(Decimal(str(value)) * 100, places)}%"


def format_signed_percent(value: Decimal | float | None, places: int = 1) -> str:
    """A variance fraction (0.031) as a signed percentage (+3.1%); empty when there is none."""
    if value is None:
        return ""
    return f"{Decimal(str(value)) * 100:+.{places}f}%"
