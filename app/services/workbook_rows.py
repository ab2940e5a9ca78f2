"""A workbook's sheet read once with python-calamine, as `pandas.read_excel` sees it.

`pandas.read_excel(engine="calamine")` loads the whole sheet again for each call (reading
the header row alone costs a full load) and converts every cell through a Python function.
Here the sheet is loaded once, its cells are converted as pandas converts them (a whole float
becomes an int, a date a datetime), repeated text is kept once, and pandas' own `TextParser`
then gives the frame `read_excel` would give: the same header names, missing values and
column types.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

Row = list[Any]


def _convert(value: Any) -> Any:
    """What pandas' calamine reader makes of a cell that is not text."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def sheet_names(path: Path) -> list[str]:
    """The names of the workbook's sheets, in the workbook's order."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def sheet_rows(path: Path, sheet_name: str | None = None, limit: int | None = None) -> list[Row]:
    """Every row of a sheet (the first, unless one is named) from A1, as
    `to_python(skip_empty_area=False)` gives them; only the first `limit` rows if given."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    try:
        if sheet_name is None:
            sheet = book.get_sheet_by_index(0)
        else:
            sheet = book.get_sheet_by_name(sheet_name)
        start = sheet.start
        if start is None:
            return []
        padding: Row = [""] * start[1]
        # A few hundred distinct codes repeat a million times: keep one object for each.
        texts: dict[str, str] = {}
        keep = texts.setdefault
        rows: list[Row] = []
        append = rows.append
        for row in sheet.iter_rows():
            cells = [keep(v, v) if v.__class__ is str else _convert(v) for v in row]
            append(padding + cells if padding else cells)
            if limit is not None and len(rows) >= limit:
                break
        del sheet
        return rows
    finally:
        book.close()


def header_frame(rows: list[Row]) -> pd.DataFrame:
    """The empty frame `read_excel(nrows=0)` gives: the header row's names only."""
    return _parse(rows[:1], header=0, nrows=0, skip_blank_lines=False)


def sheet_frame(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    """The frame `read_excel(usecols=columns)` gives for these rows."""
    return _parse(rows, header=0, usecols=columns, skip_blank_lines=False)


def _parse(rows: list[Row], **options: Any) -> pd.DataFrame:
    """pandas' parse of a sheet's rows, with its errors worded as `read_excel` words them."""
    import pandas as pd
    from pandas.errors import EmptyDataError
    from pandas.io.parsers import TextParser

    if not rows:
        return pd.DataFrame()
    try:
        with TextParser(rows, **options) as parser:
            return parser.read(nrows=options.get("nrows"))
    except EmptyDataError:
        return pd.DataFrame()
    except Exception as error:
        error.args = (f"{error.args[0]} (sheet: 0)", *error.args[1:])
        raise
