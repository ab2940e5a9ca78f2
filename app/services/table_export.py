"""Tables as people take them away: clipboard text, CSV, xlsx workbooks and printed PDFs."""

from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from app import APP_TITLE
from app.errors import InputRejected
from app.formatting import format_date


@dataclass
class Table:
    """A table as the user sees it: visible columns in order, rows in the order shown."""

    title: str
    headers: list[str]
    rows: list[list[object]]
    subtitle: str = ""
    marking: str = ""


# ---------------------------------------------------------------------------------------------
# Cell text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _plain_number(value: int | float | Decimal) -> str:
    """Digits a spreadsheet reads as a number: no pound sign, no separators, no exponent."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    return str(value)


def _time_of_day(value: datetime) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _spreadsheet_text(value: object) -> str:
    """A cell as tab-separated clipboard text: dates for people, numbers for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if _is_number(value):
        return _plain_number(value)  # type: ignore[arg-type]
    if isinstance(value, datetime):
        return f"{format_date(value)} {_time_of_day(value)}"
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def _csv_text(value: object) -> str:
    """A cell as CSV text: ISO dates, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if _is_number(value):
        return _plain_number(value)  # type: ignore[arg-type]
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _printed_text(value: object) -> str:
    """A cell as printed for people: dates as 22 Nov 2026, numbers with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return f"{value:,f}" if value.is_finite() else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,}" if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime):
        return f"{format_date(value)} {_time_of_day(value)}"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def to_tsv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Tab-separated text with a header line, as pasted into a spreadsheet."""

    def line(cells: Sequence[object]) -> str:
        return "\t".join(_flatten(_spreadsheet_text(cell)) for cell in cells)

    return "".join(line(cells) + "\n" for cells in [list(headers), *rows])


_LINE_BREAKS = re.compile(r"\r\n|[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def _flatten(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text)


# ---------------------------------------------------------------------------------------------
# Writing a file safely

# Text that is (after any apostrophes) a formula start gets one more apostrophe, so text that
# already began with an apostrophe also round-trips exactly through unguard_cell.
_GUARDED = re.compile(r"'*[=+\-@\t\r]")
_UNGUARD = re.compile(r"'+[=+\-@\t\r]")


def guard_cell(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would otherwise run as a formula."""
    return "'" + text if _GUARDED.match(text) else text


def unguard_cell(text: str) -> str:
    """Undo guard_cell: what the product's importers apply to every text cell they read."""
    return text[1:] if _UNGUARD.match(text) else text


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write beside the target and then replace it, so a failure never leaves half a file."""
    temporary = path.with_name(f".~{path.stem}-{secrets.token_hex(4)}{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# CSV


def write_csv(table: Table, path: str | os.PathLike[str]) -> None:
    """UTF-8 CSV with a byte order mark, the marking (if any) alone on the first line."""

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            if table.marking:
                writer.writerow([guard_cell(table.marking)])
            writer.writerow([guard_cell(header) for header in table.headers])
            for row in table.rows:
                writer.writerow(
                    [guard_cell(cell) if isinstance(cell, str) else _csv_text(cell) for cell in row]
                )

    _write_atomically(Path(path), write)


# ---------------------------------------------------------------------------------------------
# xlsx

_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
# The characters openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE), kept here so that
# naming a sheet does not load openpyxl.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_DATE_FORMAT = "d mmm yyyy"
_DATETIME_FORMAT = "d mmm yyyy hh:mm"
_MAX_COLUMN_WIDTH = 60


def sheet_name(title: str) -> str:
    """A title Excel accepts for a sheet: at most 31 characters, none of \\ / ? * [ ] :."""
    name = _SHEET_NAME_FORBIDDEN.sub("", ILLEGAL_CHARACTERS_RE.sub("", title)).strip()
    name = name[:31].strip().strip("'").strip()
    return name or "Table"


def _header_footer_text(text: str) -> str:
    # "&" starts a field code in Excel's page header and footer.
    return text.replace("&", "&&")


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, Decimal | float) and not _is_finite(value):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: show the time as it was on the user's own clock.
        return value.astimezone().replace(tzinfo=None)
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        return value
    return str(value)


def _is_finite(value: Decimal | float) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return value == value and abs(value) != float("inf")


def _decimal_format(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return "#,##0"
    return "#,##0." + "0" * min(-exponent, 10)


def write_xlsx(table: Table, path: str | os.PathLike[str]) -> None:
    """One sheet: marking, a bold frozen header row with filters, real dates and numbers."""
    # openpyxl is loaded when a workbook is written, not at start.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has a sheet
    sheet.title = sheet_name(table.title)
    workbook.properties.title = table.title
    workbook.properties.creator = APP_TITLE
    bold = Font(bold=True)

    header_row = 1
    if table.marking:
        marking = sheet.cell(row=1, column=1, value=ILLEGAL_CHARACTERS_RE.sub("", table.marking))
        marking.data_type = "s"
        marking.font = bold
        header_row = 2

    widths = [len(header) * 1.1 for header in table.headers]
    for column, header in enumerate(table.headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=_xlsx_value(header))
        cell.data_type = "s"
        cell.font = bold
        cell.alignment = Alignment(vertical="top")

    for row_number, row in enumerate(table.rows, start=header_row + 1):
        for column, raw in enumerate(row, start=1):
            value = _xlsx_value(raw)
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, datetime):
                cell.number_format = _DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = _DATE_FORMAT
            elif isinstance(value, Decimal):
                cell.number_format = _decimal_format(value)
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], len(_printed_text(raw)))
            else:
                widths.append(len(_printed_text(raw)))

    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(
            max(width + 2, 8), _MAX_COLUMN_WIDTH
        )

    if table.headers:
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate
        last = get_column_letter(len(table.headers))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(table.rows)}"
        sheet.print_title_rows = f"{header_row}:{header_row}"

    if len(widths) > 6:
        sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.oddHeader.left.text = _header_footer_text(table.title)
    sheet.oddFooter.right.text = "Page &P of &N"
    if table.marking:
        sheet.oddHeader.center.text = _header_footer_text(table.marking)
        sheet.oddFooter.center.text = _header_footer_text(table.marking)

    _write_atomically(Path(path), lambda target: workbook.save(target))


# ---------------------------------------------------------------------------------------------
# PDF (written by app.services.table_pdf, which loads reportlab)


def column_widths(natural: list[float], minimum: list[float], available: float) -> list[float]:
    """Share the width out: every column its minimum, then the narrow ones all they want and
    the wide ones an equal share of what is left (the table may come out narrower)."""
    count = len(natural)
    if count == 0:
        return []
    floor = sum(minimum)
    if floor >= available:
        return [width * available / floor for width in minimum]
    widths = list(minimum)
    wanting = {i for i in range(count) if natural[i] > minimum[i]}
    spare = available - floor
    while wanting:
        share = spare / len(wanting)
        satisfied = {i for i in wanting if natural[i] - widths[i] <= share}
        if not satisfied:
            for i in wanting:
                widths[i] += share
            return widths
        for i in satisfied:
            spare -= natural[i] - widths[i]
            widths[i] = natural[i]
        wanting -= satisfied
    return widths  # everything fits: a narrow table stays narrow rather than spread thin


def write_pdf(table: Table, path: str | os.PathLike[str], printed_on: date) -> None:
    """A4 (landscape beyond six columns), the header row on every page, fonts embedded."""
    from app.services.table_pdf import write_table_pdf  # reportlab: loaded when printing

    write_table_pdf(table, path, printed_on)


# ---------------------------------------------------------------------------------------------
# One entry point

_WRITERS: dict[str, Callable[[Table, Path, date], None]] = {
    ".csv": lambda table, path, _printed_on: write_csv(table, path),
    ".xlsx": lambda table, path, _printed_on: write_xlsx(table, path),
    ".pdf": write_pdf,
}


def export_table(table: Table, path: str | os.PathLike[str], printed_on: date) -> None:
    """Write the table in the format its file name asks for: .csv, .xlsx or .pdf."""
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise InputRejected(
            f"{target.name} cannot be written: choose a file ending .xlsx, .csv or .pdf"
        )
    writer(table, target, printed_on)
