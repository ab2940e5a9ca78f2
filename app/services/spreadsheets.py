"""Reading the spreadsheets people bring (CSV or xlsx) as text, locating each cell for messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import InputRejected, Problem
from app.services.table_export import unguard_cell

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Sheet:
    """A sheet of text cells; `label` names it in messages (`codes.xlsx[Codes]`)."""

    label: str
    frame: pd.DataFrame

    def row_number(self, position: int) -> int:
        """The row a spreadsheet shows for the frame's row at `position` (the header is 1)."""
        return position + 2


def read_sheets(path: Path, sheets: list[str] | None = None) -> list[Sheet]:
    """Every cell as text (empty cells as ''); a CSV file is one sheet."""
    if not path.is_file():
        raise InputRejected([Problem(str(path), None, None, "no such file")])
    import pandas as pd  # here, not at the top: it is slow to load and only imports need it

    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True
            )
            return [Sheet(path.name, _clean(frame))]
        if suffix in (".xlsx", ".xlsm"):
            frames = pd.read_excel(path, sheet_name=sheets, dtype=str, engine="openpyxl")
            if isinstance(frames, pd.DataFrame):
                frames = {sheets[0] if sheets else "Sheet1": frames}
            return [
                Sheet(f"{path.name}[{name}]", _clean(frame.fillna("")))
                for name, frame in frames.items()
            ]
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError, KeyError) as error:
        raise InputRejected([Problem(path.name, None, None, f"cannot be read: {error}")]) from error
    except Exception as error:  # zip, xml and other reader errors for damaged workbooks
        raise InputRejected(
            [Problem(path.name, None, None, f"is not a readable workbook: {error}")]
        ) from error
    raise InputRejected([Problem(path.name, None, None, "is neither a .csv nor an .xlsx file")])


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.map(lambda v: unguard_cell(str(v)).strip())


def require_columns(sheet: Sheet, required: list[str]) -> list[Problem]:
    present = {c.casefold() for c in sheet.frame.columns}
    return [
        Problem(sheet.label, 1, name, "this column is missing")
        for name in required
        if name.casefold() not in present
    ]


def column(sheet: Sheet, name: str) -> str:
    """The frame's own spelling of a column named without regard to case."""
    for existing in sheet.frame.columns:
        if existing.casefold() == name.casefold():
            return str(existing)
    raise KeyError(name)
