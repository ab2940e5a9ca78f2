"""A return workbook, read once, gives exactly the frame and headers `pandas.read_excel` gives."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from app.services import workbook_rows


def outcome(read):  # type: ignore[no-untyped-def]
    try:
        return read()
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def assert_read_as_pandas_reads(path: Path, columns: list[str] | None = None) -> None:
    expected_headers = outcome(lambda: pd.read_excel(path, engine="calamine", nrows=0))
    expected = outcome(lambda: pd.read_excel(path, engine="calamine", usecols=columns))
    rows = workbook_rows.sheet_rows(path)
    headers = outcome(lambda: workbook_rows.header_frame(rows))
    if isinstance(expected_headers, str):
        assert headers == expected_headers
        return
    assert list(headers.columns) == list(expected_headers.columns)
    wanted = columns if columns is not None else list(headers.columns)
    frame = outcome(lambda: workbook_rows.sheet_frame(rows, wanted))
    if isinstance(expected, str):
        assert frame == expected
    else:
        pd.testing.assert_frame_equal(frame, expected)


def save(path: Path, cells: dict[str, object] | None = None, rows: list[list] | None = None):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows or []:
        sheet.append(row)
    for where, value in (cells or {}).items():
        sheet[where] = value
    book.save(path)
    return path


MIXED = [
    ["Code", "Month", "Code", "Flag", None, "Price"],
    [1.0, "x", date(2026, 4, 1), True, None, "n/a"],
    [2.5, "007", datetime(2026, 4, 1, 3), False, 3, ""],
    [None, 3, "NA", "3", None, "null"],
    [4, "y", 5.0, None, None, 1e20],
    ["05", 6.0, time(3, 4), "TRUE", "", "£1,200.50"],
]


@pytest.mark.parametrize("columns", [None, ["Code", "Price"], ["Code.1", "Month"]])
def test_mixed_cells_duplicate_and_blank_headers(tmp_path: Path, columns: list[str] | None):
    assert_read_as_pandas_reads(save(tmp_path / "mixed.xlsx", rows=MIXED), columns)


def test_a_sheet_that_starts_below_and_right_of_a1(tmp_path: Path):
    cells = {"B1": "Month", "C1": "Code", "B3": 1, "C3": "5A3", "B5": "x", "C6": 22}
    path = save(tmp_path / "offset.xlsx", cells)
    assert_read_as_pandas_reads(path)
    assert_read_as_pandas_reads(path, ["Code"])


def test_a_header_row_that_is_blank_fails_as_pandas_fails(tmp_path: Path):
    cells = {"B2": "Month", "C2": "Code", "B3": 1, "C3": "5A3"}
    assert_read_as_pandas_reads(save(tmp_path / "low.xlsx", cells), ["Code"])


@pytest.mark.parametrize("rows", [[], [["Only a header"]]])
def test_empty_sheets(tmp_path: Path, rows: list[list]):
    assert_read_as_pandas_reads(save(tmp_path / "empty.xlsx", rows=rows))


def test_a_named_sheet_is_read_and_the_first_by_default(tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Sent by the contracts team"])
    data = book.create_sheet("Return")
    for row in [["Code", "Month"], ["A1", 4], ["B2", 5]]:
        data.append(row)
    path = tmp_path / "two.xlsx"
    book.save(path)
    assert workbook_rows.sheet_names(path) == ["Notes", "Return"]
    assert workbook_rows.sheet_rows(path) == [["Sent by the contracts team"]]
    assert workbook_rows.sheet_rows(path, "Return") == [["Code", "Month"], ["A1", 4], ["B2", 5]]
    assert workbook_rows.sheet_rows(path, "Return", limit=1) == [["Code", "Month"]]
