"""The sheets of a workbook return, read without pandas (the import page lists them at once)."""

from __future__ import annotations

from pathlib import Path

from app.errors import InputRejected, Problem
from app.services import workbook_rows, xlsx_stream

# xlsx is streamed: a million-row return in little memory. The older formats, rare for a
# return, are loaded whole by python-calamine.
STREAMED_WORKBOOKS = (".xlsx", ".xlsm")
LOADED_WORKBOOKS = (".xls", ".ods")


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in STREAMED_WORKBOOKS + LOADED_WORKBOOKS


def sheet_names(path: str | Path) -> list[str]:
    """The sheets of a workbook return, in the workbook's order; none for a CSV file."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in STREAMED_WORKBOOKS:
            return xlsx_stream.sheet_names(path)
        if suffix in LOADED_WORKBOOKS:
            return workbook_rows.sheet_names(path)
    except Exception as error:
        raise InputRejected(
            [Problem(path.name, None, None, f"not a readable workbook ({error})")]
        ) from error
    return []
