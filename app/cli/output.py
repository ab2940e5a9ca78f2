"""Writing results for people (aligned text) and for programs (JSON)."""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import asdict, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from app.formatting import format_date
from app.models.financial_year import FinancialYear


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | FinancialYear):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def to_json(rows: list[Any], hidden: tuple[str, ...] = ()) -> str:
    """A JSON array of objects; each row is a dataclass with an `id`."""
    objects = []
    for row in rows:
        data = asdict(row) if is_dataclass(row) and not isinstance(row, type) else dict(row)
        objects.append({k: _json_value(v) for k, v in data.items() if k not in hidden})
    return json.dumps(objects, indent=2, ensure_ascii=False)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return format_date(value)
    return str(value)


def print_table(
    rows: list[Any],
    columns: list[tuple[str, str]],
    stream: TextIO | None = None,
) -> None:
    """Aligned columns of (attribute, header) for a terminal."""
    stream = stream or sys.stdout
    cells = [[_text(getattr(row, name)) for name, _ in columns] for row in rows]
    headers = [header for _, header in columns]
    widths = [min(48, max([len(h)] + [len(r[i]) for r in cells])) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v[:w].ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    print(line(headers), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for row in cells:
        print(line(row), file=stream)


def field_names(row_type: type) -> list[str]:
    return [f.name for f in fields(row_type)]
