"""Monthly contract monitoring returns: read a file, check every row, apply all of it or none.

A return is shaped like the aggregate contract monitoring return: financial year, month,
provider, commissioner, service line, point of delivery, planned and actual activity, price
and actual cost. Checking is vectorised (pandas): the happy path never loops per row in
Python; only problems are turned into `FILE:ROW:COLUMN: message` one by one.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.errors import CommissioningError, InputRejected, Problem
from app.formatting import format_money
from app.models import (
    Contract,
    ContractLine,
    Edition,
    FinancialYear,
    Membership,
    Organisation,
    PlannedActivity,
    ReturnColumnMapping,
    ReturnSubmission,
    ServiceDefinition,
    ServiceLine,
    Term,
    Vocabulary,
)
from app.services import workbook_rows, xlsx_stream
from app.services.access import Area, require_write
from app.services.return_sheets import STREAMED_WORKBOOKS, is_workbook, sheet_names
from app.services.table_export import unguard_cell
from app.store.database import Database

# progress(phase, fraction done) -> False to cancel.
Progress = Callable[[str, float], bool | None]

WARNING = "warning: "
CHUNK = 50_000
# Enough for rows that arrive in index order; a larger cache was no faster and counted
# against the import's memory.
IMPORT_CACHE_KIB = 16 * 1024


@dataclass(frozen=True)
class ReturnField:
    key: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()


FIELDS = (
    ReturnField("financial_year", "Financial year", True, ("fy", "year", "fin year")),
    ReturnField("month", "Month", True, ("month number", "period")),
    ReturnField("provider_code", "Provider code", True, ("provider", "trust code")),
    ReturnField("commissioner_code", "Commissioner code", True, ("commissioner", "pct code")),
    ReturnField("service_line", "Service line", True, ("service line code", "service")),
    ReturnField("point_of_delivery", "Point of delivery", True, ("pod",)),
    ReturnField("planned_activity", "Planned activity", False, ("plan", "planned")),
    ReturnField("actual_activity", "Actual activity", True, ("activity", "actual")),
    ReturnField("price", "Price", False, ("tariff", "unit price")),
    ReturnField("actual_cost", "Actual cost", False, ("cost",)),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
CODE_FIELDS = ("financial_year", "provider_code", "commissioner_code", "service_line")
TEXT_FIELDS = (*CODE_FIELDS, "point_of_delivery")
NUMBER_FIELDS = ("month", "planned_activity", "actual_activity", "price", "actual_cost")
KEY_FIELDS = ("financial_year", "month", *TEXT_FIELDS[1:])


class ImportCancelled(CommissioningError):
    """The person cancelled the import; nothing was changed."""


def normalise(header: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(header).lower()).strip()


_KNOWN_HEADERS = {
    name: f.key
    for f in FIELDS
    for name in (normalise(f.header), normalise(f.key), *(normalise(a) for a in f.aliases))
}


def header_key(headers: Sequence[object]) -> str:
    """What a mapping is remembered by: the file's header row, case and spacing aside."""
    text = "\x1f".join(normalise(h) for h in headers)
    return hashlib.sha256(text.encode()).hexdigest()


# Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnFile:
    """A return file: where it is and how problems in it are named."""

    path: Path
    label: str
    sheet: str | None

    @classmethod
    def at(cls, path: str | Path, sheet: str | None = None) -> ReturnFile:
        """The file at `path`; for a workbook, the sheet named, or else the sheet that holds
        a return (the first whose header has every required column; else the first)."""
        path = Path(path)
        if not path.exists():
            raise InputRejected([Problem(str(path), None, None, "no such file")])
        if not is_workbook(path):
            return cls(path, path.name, None)
        names = sheet_names(path)
        if sheet is None:
            sheet = _return_sheet(path, names)
        elif sheet not in names:
            raise InputRejected(
                [
                    Problem(
                        path.name,
                        None,
                        None,
                        f"there is no sheet named '{sheet}': its sheets are {', '.join(names)}",
                    )
                ]
            )
        return cls(path, f"{path.name}[{sheet}]", sheet)

    @property
    def is_workbook(self) -> bool:
        return self.sheet is not None

    @property
    def is_streamed(self) -> bool:
        """An xlsx workbook, streamed to CSV rather than loaded whole."""
        return self.path.suffix.lower() in STREAMED_WORKBOOKS


def _return_sheet(path: Path, names: list[str]) -> str:
    """The first sheet whose header row holds every required column; else the first."""
    if len(names) > 1:
        required = {f.key for f in FIELDS if f.required}
        for name in names:
            try:
                source = ReturnFile(path, name, name)
                if required <= set(guess_mapping(read_source_headers(source))):
                    return name
            except InputRejected:
                continue  # a sheet that cannot be read does not hold the return
    return names[0]


def read_headers(path: str | Path, sheet: str | None = None) -> list[str]:
    """The header row of a return file (for a workbook, of the sheet named or chosen), as
    the column-mapping step shows it."""
    return read_source_headers(ReturnFile.at(path, sheet))


def read_source_headers(source: ReturnFile) -> list[str]:
    if source.is_streamed:
        try:
            return xlsx_stream.header_row(source.path, source.sheet)
        except xlsx_stream.WorkbookUnreadable as error:
            raise InputRejected(
                [Problem(source.label, None, None, f"cannot read ({error})")]
            ) from error
    return _headers(source, _sheet_rows(source, limit=1) if source.is_workbook else None)


@dataclass
class _Readable:
    """A return file made ready to read: its header, and where its rows are.

    A CSV file is read where it is; an xlsx workbook from the CSV streamed out of it; an
    older workbook from its rows, loaded whole.
    """

    headers: list[str]
    header_row: int = 1
    csv: Path | None = None
    rows: list[workbook_rows.Row] | None = None


@contextlib.contextmanager
def _readable(source: ReturnFile, step: Callable[[str, float], None]) -> Iterator[_Readable]:
    if not source.is_workbook:
        yield _Readable(_headers(source, None), csv=source.path)
        return
    if not source.is_streamed:
        rows = _sheet_rows(source)
        yield _Readable(_headers(source, rows), rows=rows)
        return
    handle, name = tempfile.mkstemp(prefix="return-", suffix=".csv")
    csv = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                sheet = xlsx_stream.write_csv(
                    source.path, out, lambda done: step("reading", 0.2 * done), source.sheet
                )
            except xlsx_stream.WorkbookUnreadable as error:
                raise InputRejected(
                    [Problem(source.label, None, None, f"cannot read ({error})")]
                ) from error
        yield _Readable(sheet.headers, header_row=max(sheet.header_row, 1), csv=csv)
    finally:
        csv.unlink(missing_ok=True)


def _sheet_rows(source: ReturnFile, limit: int | None = None) -> list[workbook_rows.Row]:
    """A workbook's rows, loaded once for both its header row and its data."""
    try:
        return workbook_rows.sheet_rows(source.path, source.sheet, limit)
    except Exception as error:
        raise InputRejected([Problem(source.label, 1, None, f"cannot read ({error})")]) from error


def _headers(source: ReturnFile, rows: list[workbook_rows.Row] | None) -> list[str]:
    try:
        if rows is not None:
            frame = workbook_rows.header_frame(rows)
        else:
            frame = pd.read_csv(source.path, nrows=0)
    except Exception as error:
        raise InputRejected([Problem(source.label, 1, None, f"cannot read ({error})")]) from error
    return [str(h) for h in frame.columns]


def _read_frame(source: ReturnFile, columns: dict[str, str], readable: _Readable) -> pd.DataFrame:
    """Read the mapped columns only: codes as text, numbers as the reader finds them."""
    wanted = list(columns.values())
    try:
        if readable.rows is not None:
            frame = workbook_rows.sheet_frame(readable.rows, wanted)
            readable.rows.clear()  # the cells' objects go now, not when the check ends
        else:
            assert readable.csv is not None
            frame = _read_csv(readable.csv, wanted, [columns[k] for k in TEXT_FIELDS])
    except _NotUtf8 as error:
        row = readable.header_row + 1 + error.position
        raise InputRejected(
            [
                Problem(
                    source.label,
                    row,
                    error.column,
                    "the cell is not UTF-8 text: save the file as CSV UTF-8",
                )
            ]
        ) from error
    except Exception as error:
        raise InputRejected(
            [Problem(source.label, None, None, f"cannot read ({error})")]
        ) from error
    _release_arrow_memory()
    return frame.rename(columns={header: key for key, header in columns.items()})


def _read_csv(path: Path, wanted: list[str], codes: list[str]) -> pd.DataFrame:
    """Arrow's reader: codes as dictionaries of text (a few distinct values, kept once each,
    leading zeros intact); only empty cells are missing, so 'n/a' is reported, not dropped."""
    import pyarrow  # loaded only to read a return: it is large
    from pyarrow import csv as arrow_csv

    text_type = pyarrow.dictionary(pyarrow.int32(), pyarrow.string())
    table = arrow_csv.read_csv(
        path,
        convert_options=arrow_csv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(codes, text_type),
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    for name, column in zip(table.column_names, table.columns, strict=True):
        # Arrow keeps a column as bytes where some cell is not UTF-8 (a file saved in another
        # encoding): name the first such cell.
        if pyarrow.types.is_binary(column.type) or pyarrow.types.is_large_binary(column.type):
            for position, value in enumerate(column.to_pylist()):
                try:
                    if value is not None:
                        value.decode("utf-8")
                except UnicodeDecodeError:
                    raise _NotUtf8(name, position) from None
    # Each column its own block, and Arrow's buffers freed as they are converted: no copy of
    # the whole table is made to stack the columns together.
    return table.to_pandas(split_blocks=True, self_destruct=True)


class _NotUtf8(ValueError):
    """A cell of a CSV file that is not UTF-8 text: its column, and its data row from 0."""

    def __init__(self, column: str, position: int) -> None:
        super().__init__(f"{column}: row {position} is not UTF-8")
        self.column = column
        self.position = position


def _release_arrow_memory() -> None:
    """Hand the reader's freed buffers back, so the check's peak stays low."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    give_back_memory()


def give_back_memory() -> None:
    """Return freed heap pages to the system between the phases of a large import.

    glibc keeps the memory of freed arrays for reuse, so each phase's temporaries would add
    to the next phase's peak; `malloc_trim` hands the free pages back (elsewhere a no-op).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return cast(Callable[[int], int], libc.malloc_trim)
    except (OSError, AttributeError):  # not glibc (musl, say)
        return None


# Column mapping ------------------------------------------------------------------------


def remembered_mapping(database: Database, headers: Sequence[object]) -> dict[str, str] | None:
    with database.reader() as session:
        record = session.scalar(
            select(ReturnColumnMapping).where(
                ReturnColumnMapping.header_key == header_key(headers),
                ReturnColumnMapping.deleted_at.is_(None),
            )
        )
        return None if record is None else dict(json.loads(record.mapping))


def remember_mapping(
    database: Database, headers: Sequence[object], mapping: dict[str, str]
) -> None:
    """Store `mapping` (field key -> header) for files with this header row."""
    unknown = set(mapping) - set(FIELD_BY_KEY)
    if unknown:
        raise InputRejected(f"unknown return fields: {', '.join(sorted(unknown))}")
    with database.session() as session:
        user = require_write(session, Area.RETURNS)
        key = header_key(headers)
        record = session.scalar(
            select(ReturnColumnMapping).where(ReturnColumnMapping.header_key == key)
        )
        if record is None:
            record = ReturnColumnMapping(header_key=key, created_by=user)
            session.add(record)
        record.headers = json.dumps([str(h) for h in headers])
        record.mapping = json.dumps(mapping)
        record.updated_by = user
        record.deleted_at = None


def guess_mapping(headers: Sequence[object]) -> dict[str, str]:
    """Field key -> header for every header the product recognises by name."""
    mapping: dict[str, str] = {}
    for header in headers:
        key = _KNOWN_HEADERS.get(normalise(header))
        if key is not None and key not in mapping:
            mapping[key] = str(header)
    return mapping


# Checking ------------------------------------------------------------------------------


@dataclass
class ReturnsCheck:
    """A file read and checked: its rows ready to apply, and every problem found."""

    file: str
    path: Path
    file_hash: str
    rows: pd.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    invoice_total: Decimal | None = None
    lookups: Lookups | None = None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        return [*self.errors, *self.warnings]

    def blocking_errors(self, exclude_rows: Collection[int] = ()) -> list[Problem]:
        excluded = set(exclude_rows)
        return [p for p in self.errors if p.row is None or p.row not in excluded]

    def total_cost(self, exclude_rows: Collection[int] = ()) -> Decimal:
        rows = self.rows
        if exclude_rows:
            rows = rows[~rows["row"].isin(list(exclude_rows))]
        return Decimal(int(rows["cost_p"].sum())) / 100


@dataclass
class Lookups:
    """What the codes in a return mean in this database.

    Organisations and service lines are numbered (their position in `ids`), so the checks
    and sums work on integer arrays rather than on millions of UUID objects.
    """

    ids: list[uuid.UUID]
    successor: np.ndarray
    years_with_contracts: set[int]
    providers: dict[str, int]
    commissioners: dict[str, int]
    service_lines: dict[str, int]
    points_of_delivery: set[str]
    number: dict[uuid.UUID, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.number = {identity: index for index, identity in enumerate(self.ids)}
        self._hex = np.array([i.hex for i in self.ids] or [""], dtype=object)
        self._uuid = np.array([*self.ids, None], dtype=object)[:-1] if self.ids else None

    def identities(self, numbers: np.ndarray, as_hex: bool) -> np.ndarray:
        """The UUIDs (or SQLite's 32 hex digits) of numbered organisations and lines."""
        if as_hex:
            return self._hex[numbers]
        assert self._uuid is not None
        return self._uuid[numbers]


def load_lookups(session: Session) -> Lookups:
    organisations = session.execute(
        select(Organisation.id, Organisation.code, Organisation.successor_id, Term.category)
        .join(Term, Organisation.type_id == Term.id)
        .where(Organisation.deleted_at.is_(None))
    ).all()
    lines: dict[str, uuid.UUID] = {}
    for code, line_id in session.execute(
        select(ServiceDefinition.code, ServiceDefinition.service_line_id)
        .join(Edition)
        .order_by(Edition.published_on.asc().nulls_first(), Edition.label)
    ):
        lines[code] = line_id  # a later edition's code wins
    # In the order of the UUIDs, so sums ordered by number are in the summaries' key order.
    ids = sorted({org_id for org_id, *_rest in organisations} | set(lines.values()))
    number = {identity: index for index, identity in enumerate(ids)}
    successor_of = {org_id: successor for org_id, _c, successor, _k in organisations if successor}
    successor = np.arange(len(ids), dtype=np.int64)
    for org_id, *_rest in organisations:
        final, seen = org_id, {org_id}
        while (
            final in successor_of
            and successor_of[final] not in seen
            and successor_of[final] in number
        ):
            final = successor_of[final]
            seen.add(final)
        successor[number[org_id]] = number[final]
    return Lookups(
        ids=ids,
        successor=successor,
        years_with_contracts={
            fy.start_year
            for fy in session.scalars(
                select(Contract.financial_year).where(Contract.deleted_at.is_(None)).distinct()
            )
        },
        providers={code: number[i] for i, code, _s, kind in organisations if kind == "provider"},
        commissioners={
            code: number[i] for i, code, _s, kind in organisations if kind == "commissioner"
        },
        service_lines={code: number[line] for code, line in lines.items()},
        points_of_delivery=set(
            session.scalars(
                select(Term.code).where(
                    Term.vocabulary == Vocabulary.POINT_OF_DELIVERY, Term.retired.is_(False)
                )
            )
        ),
    )


def combine(columns: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """One int64 key from several small non-negative integer columns (mixed radix)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        # In place: a million-row key is not copied twice per column.
        key *= int(size)
        np.add(key, column, out=key, casting="unsafe")  # as column.astype(np.int64) would
    return key


class _Findings:
    """Problems gathered column by column, as boolean masks over the rows."""

    def __init__(self, label: str, rows: np.ndarray) -> None:
        self.label = label
        self.rows = rows
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.error_mask = np.zeros(len(rows), dtype=bool)

    def add(
        self,
        mask: np.ndarray,
        column: str,
        message: Callable[[int], str],
        warning: bool = False,
    ) -> None:
        """Record `message(i)` for each row i where `mask` holds (only problems loop)."""
        positions = np.flatnonzero(mask)
        if not len(positions):
            return
        target = self.warnings if warning else self.errors
        target.extend(
            Problem(
                self.label,
                int(self.rows[int(i)]),
                column,
                (WARNING if warning else "") + message(int(i)),
            )
            for i in positions.tolist()
        )
        if not warning:
            self.error_mask |= mask


def _as_text(series: pd.Series) -> pd.Series:
    """Codes as text: a workbook may hold 3 or 3.0 where the code is '3'."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if pd.api.types.is_string_dtype(categories) or pd.api.types.is_object_dtype(categories):
            return series
        series = series.astype(categories.dtype)
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if (whole == np.floor(whole)).all():
            return series.astype("Int64").astype("str").where(series.notna(), None)
    if not pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        return series.astype("str").where(series.notna(), None)
    return series


def _blank(series: pd.Series) -> np.ndarray:
    mask = series.isna().to_numpy()
    if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
        mask = mask | (series.astype("str").str.strip() == "").to_numpy()
    return mask


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as floats (NaN where blank) and where the cell held text that is not a number."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(series), bool)
    if series.isna().all():  # an optional column left empty
        return np.full(len(series), np.nan), np.zeros(len(series), bool)
    text = series.astype("str").str.strip().str.replace(r"^£|,", "", regex=True)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return values, np.isnan(values) & ~_blank(series)


def _scaled(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hundredths as integers, and where a value has more than two decimal places."""
    hundredths = values * 100
    rounded = np.round(hundredths)
    # In place: four columns of a million values, each pass would otherwise allocate.
    with np.errstate(invalid="ignore"):
        off = np.subtract(hundredths, rounded)
        np.abs(off, out=off)
        tolerance = np.abs(hundredths, out=hundredths)
        np.maximum(tolerance, 1, out=tolerance)
        tolerance *= 1e-6
        too_fine = off > tolerance  # False where blank (NaN)
    return np.nan_to_num(rounded, copy=False).astype("int64"), too_fine


def _plain(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


def check_returns(
    database: Database,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    invoice_total: Decimal | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ReturnsCheck:
    """Read and check a return file (for a workbook, the sheet named, or else the one that
    holds the return); apply nothing. Raise InputRejected if it cannot be read."""
    step = _stepper(progress)
    source = ReturnFile.at(path, sheet)
    step("reading", 0.0)
    with _readable(source, step) as readable:
        headers = readable.headers
        if mapping is None:
            mapping = remembered_mapping(database, headers) or guess_mapping(headers)
        missing = [f for f in FIELDS if f.required and f.key not in mapping]
        absent = [key for key, header in mapping.items() if header not in headers]
        at = readable.header_row
        if missing or absent:
            raise InputRejected(
                [
                    Problem(source.label, at, f.header, f"required column '{f.header}' is missing")
                    for f in missing
                ]
                + [
                    Problem(
                        source.label, at, mapping[k], f"mapped column '{mapping[k]}' is not there"
                    )
                    for k in absent
                ]
            )
        digest = _file_hash(source.path)
        frame = _read_frame(source, mapping, readable)
    step("checking", 0.3)
    with database.reader() as session:
        lookups = load_lookups(session)
        rows, findings = _check_frame(frame, source.label, lookups, first_row=at + 1)
        del frame
        step("checking", 0.6)
        _check_plan(session, rows, lookups, findings)
    give_back_memory()  # the file as read and the checks' temporaries
    # Row by row, as a person works down the file (stable: rules keep their order).
    findings.errors.sort(key=lambda p: p.row or 0)
    findings.warnings.sort(key=lambda p: p.row or 0)
    check = ReturnsCheck(
        file=source.label,
        path=source.path,
        file_hash=digest,
        rows=rows,
        errors=findings.errors,
        warnings=findings.warnings,
        ignored_columns=[h for h in headers if h not in mapping.values()],
        error_rows={int(r) for r in rows["row"].to_numpy()[findings.error_mask]},
        invoice_total=invoice_total,
        lookups=lookups,
    )
    if invoice_total is not None:
        total = check.total_cost()
        if total != invoice_total:
            check.errors.append(
                Problem(
                    source.label,
                    None,
                    FIELD_BY_KEY["actual_cost"].header,
                    f"the file's total cost {format_money(total, pence=True)} does not match "
                    f"the invoice total {format_money(invoice_total, pence=True)}",
                )
            )
    step("checking", 1.0)
    return check


def _file_hash(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time (not the whole file held at once)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _stepper(progress: Progress | None) -> Callable[[str, float], None]:
    def step(phase: str, fraction: float) -> None:
        if progress is not None and progress(phase, fraction) is False:
            raise ImportCancelled("The import was cancelled; nothing was changed.")

    return step


def _about(values: np.ndarray, template: str) -> Callable[[int], str]:
    return lambda i: template.format(_plain(float(values[i])))


def _not_a_number(column: pd.Series) -> Callable[[int], str]:
    return lambda i: f"'{column.iat[i]}' is not a number"


def _check_frame(
    frame: pd.DataFrame, label: str, lookups: Lookups, first_row: int = 2
) -> tuple[pd.DataFrame, _Findings]:
    n = len(frame)
    row_numbers = np.arange(first_row, n + first_row)
    findings = _Findings(label, row_numbers)
    header = {f.key: f.header for f in FIELDS}
    # Numbers of rows, codes and months as int32: the checked rows stay in memory until
    # they are written, beside everything the write needs.
    out = pd.DataFrame({"row": row_numbers.astype(np.int32)})

    # Text fields: blanks, then each distinct code looked up once.
    codes: dict[str, pd.Series] = {}
    for key in TEXT_FIELDS:
        # Distinct values are few: clean each once, not each row.
        category = _as_text(frame[key]).astype("category")
        cleaned = [unguard_cell(str(c).strip()) for c in category.cat.categories]
        if len(set(cleaned)) == len(cleaned):
            category = category.cat.rename_categories(cleaned)
        else:
            positions = category.cat.codes.to_numpy()
            texts = np.array([*cleaned, None], dtype=object)[positions]
            category = pd.Series(texts).astype("category")
        if "" in category.cat.categories:
            category = category.cat.remove_categories([""])
        blank = category.cat.codes.to_numpy() < 0
        findings.add(blank, header[key], lambda i: "a value is required")
        codes[key] = category

    def lookup(
        key: str, known: Callable[[str], int | None], message: Callable[[str], str]
    ) -> np.ndarray:
        """Each distinct code looked up once; -1 where unknown (or blank)."""
        category = codes[key]
        found = [known(c) for c in category.cat.categories]
        table = np.array([-1 if f is None else f for f in found] + [-1], dtype=np.int32)
        positions = category.cat.codes.to_numpy()
        mapped = table[positions]
        unknown = (mapped == -1) & (positions >= 0)
        names = np.array([*category.cat.categories, ""], dtype=object)
        findings.add(unknown, header[key], lambda i: message(names[positions[i]]))
        return mapped

    def year_of(text: str) -> int | None:
        try:
            start = FinancialYear.parse(text).start_year
        except ValueError:
            return None
        return start if start in lookups.years_with_contracts else None

    def year_problem(text: str) -> str:
        try:
            year = FinancialYear.parse(text)
        except ValueError as error:
            return str(error)
        return f"financial year {year} does not exist: no contracts are held for it"

    out["financial_year"] = lookup("financial_year", year_of, year_problem)
    out["provider"] = lookup(
        "provider_code", lookups.providers.get, lambda c: f"unknown provider '{c}'"
    )
    commissioner = lookup(
        "commissioner_code", lookups.commissioners.get, lambda c: f"unknown commissioner '{c}'"
    )
    out["commissioner"] = commissioner
    out["counted_for"] = np.where(
        commissioner >= 0, lookups.successor[np.maximum(commissioner, 0)], -1
    ).astype(np.int32)
    out["service_line"] = lookup(
        "service_line", lookups.service_lines.get, lambda c: f"unknown service line '{c}'"
    )
    lookup(
        "point_of_delivery",
        lambda c: 0 if c in lookups.points_of_delivery else None,
        lambda c: f"unknown point of delivery '{c}'",
    )
    out["point_of_delivery"] = codes["point_of_delivery"]

    # Numbers.
    numbers: dict[str, np.ndarray] = {}
    for key in NUMBER_FIELDS:
        if key not in frame:
            numbers[key] = np.full(n, np.nan)
            continue
        values, not_number = _numbers(frame[key])
        column = frame[key]
        findings.add(not_number, header[key], _not_a_number(column))
        if FIELD_BY_KEY[key].required:
            findings.add(_blank(frame[key]), header[key], lambda i: "a value is required")
        numbers[key] = values
    month = numbers["month"]
    with np.errstate(invalid="ignore"):
        bad_month = ~np.isnan(month) & ((month != np.floor(month)) | (month < 1) | (month > 12))
    findings.add(bad_month, header["month"], lambda i: f"month {_plain(month[i])} is outside 1-12")
    out["month"] = np.where(bad_month | np.isnan(month), 0, month).astype(np.int32)

    scaled: dict[str, np.ndarray] = {}
    for key in ("planned_activity", "actual_activity", "price", "actual_cost"):
        values = numbers[key]
        whole, too_fine = _scaled(values)
        findings.add(
            too_fine,
            header[key],
            _about(values, "{} has more than two decimal places"),
        )
        if key.endswith("activity"):
            with np.errstate(invalid="ignore"):
                negative = values < 0
            findings.add(
                negative,
                header[key],
                _about(values, "activity cannot be negative ({})"),
            )
        scaled[key] = whole
    given = {key: ~np.isnan(numbers[key]) for key in scaled}
    out["plan_c"] = scaled["planned_activity"]
    out["plan_given"] = given["planned_activity"]
    out["activity_c"] = scaled["actual_activity"]
    out["price_p"] = scaled["price"]
    out["price_given"] = given["price"]
    out["cost_given_p"] = scaled["actual_cost"]
    out["cost_given"] = given["actual_cost"]

    # Cost against activity times price, in exact integers (hundredths times pence).
    expected = scaled["actual_activity"] * scaled["price"]
    both = given["actual_cost"] & given["price"] & given["actual_activity"]
    off = both & (np.abs(scaled["actual_cost"] * 100 - expected) > 100)
    findings.add(
        off,
        header["actual_cost"],
        lambda i: (
            f"actual cost {scaled['actual_cost'][i] / 100:,.2f} differs from activity × "
            f"price ({expected[i] / 10000:,.2f}) by more than a penny"
        ),
    )
    cost = np.where(given["actual_cost"], scaled["actual_cost"], np.round(expected / 100))
    out["cost_p"] = np.where(given["actual_cost"] | given["price"], cost, 0).astype("int64")

    # Duplicates: the same year, month, provider, commissioner, line and point twice.
    columns = [codes[k].cat.codes.to_numpy() + 1 for k in TEXT_FIELDS]
    sizes = [len(codes[k].cat.categories) + 1 for k in TEXT_FIELDS]
    columns.append(np.nan_to_num(month, nan=0).astype(np.int64) % 100 + 0)
    sizes.append(100)
    if float(np.prod([float(size) for size in sizes])) < 2**62:
        key = pd.Series(combine(columns, sizes))
        later = key.duplicated(keep="first").to_numpy()
    else:
        key = pd.Series(list(zip(*columns, strict=True)))
        later = key.duplicated(keep="first").to_numpy()
    if later.any():
        first_rows = pd.Series(row_numbers).groupby(key.to_numpy()).transform("first").to_numpy()
        findings.add(later, "", lambda i: f"duplicate of row {first_rows[i]}")
    return out, findings


def _check_plan(
    session: Session, rows: pd.DataFrame, lookups: Lookups, findings: _Findings
) -> None:
    """Warn where planned activity differs from the contract's plan for that commissioner.

    Each PCT's part of a line's plan is its capitation share (the membership in force on the
    first day of the month), as the contract sets no other split.
    """
    usable = (
        rows["plan_given"].to_numpy()
        & (rows["financial_year"].to_numpy() > 0)
        & (rows["provider"].to_numpy() >= 0)
        & (rows["month"].to_numpy() > 0)
        & (rows["service_line"].to_numpy() >= 0)
        & (rows["commissioner"].to_numpy() >= 0)
        & (rows["point_of_delivery"].cat.codes.to_numpy() >= 0)
    )
    if not usable.any():
        return
    subset = rows[usable]
    years = sorted({int(y) for y in np.unique(subset["financial_year"].to_numpy())})
    providers = [lookups.ids[i] for i in np.unique(subset["provider"].to_numpy())]
    plan = session.execute(
        select(
            Contract.provider_id,
            Contract.financial_year,
            ContractLine.service_line_id,
            ContractLine.point_of_delivery,
            PlannedActivity.month,
            PlannedActivity.activity,
        )
        .join(ContractLine, ContractLine.contract_id == Contract.id)
        .join(PlannedActivity, PlannedActivity.line_id == ContractLine.id)
        .where(
            Contract.deleted_at.is_(None),
            ContractLine.deleted_at.is_(None),
            Contract.financial_year.in_([FinancialYear(y) for y in years]),
            Contract.provider_id.in_(providers),
        )
    ).all()
    categories = rows["point_of_delivery"].cat.categories
    first_year = years[0]
    sizes = (
        len(lookups.ids),
        len(range(first_year, years[-1] + 1)),
        len(lookups.ids),
        len(categories) + 1,
        13,
    )
    planned: dict[int, float] = {}
    for provider_id, year, line_id, point, month, activity in plan:
        if line_id not in lookups.number or point not in categories:
            continue
        key = combine(
            [np.array([v]) for v in (
                lookups.number[provider_id], year.start_year - first_year,
                lookups.number[line_id], categories.get_loc(point), month,
            )],
            sizes,
        )[0]  # fmt: skip
        planned[int(key)] = planned.get(int(key), 0.0) + float(activity)
    if not planned:
        return
    fy = subset["financial_year"].to_numpy() - first_year
    month = subset["month"].to_numpy()
    keys = combine(
        [subset["provider"].to_numpy(), fy, subset["service_line"].to_numpy(),
         subset["point_of_delivery"].cat.codes.to_numpy(), month],
        sizes,
    )  # fmt: skip
    plan_index = pd.Index(list(planned.keys()))
    plan_values = np.array([*planned.values(), np.nan])
    line_plan = plan_values[plan_index.get_indexer(keys)]

    memberships = session.execute(
        select(
            Membership.member_id,
            Membership.effective_from,
            Membership.effective_to,
            Membership.capitation_share,
        ).where(Membership.deleted_at.is_(None))
    ).all()
    commissioner = subset["commissioner"].to_numpy()
    period_sizes = (len(lookups.ids), sizes[1], 13)
    period_keys = combine([commissioner, fy, month], period_sizes)
    distinct, inverse = np.unique(period_keys, return_inverse=True)
    shares = np.full(len(distinct) + 1, np.nan)
    for position, key in enumerate(distinct):
        key = int(key)
        month_number, key = key % 13, key // 13
        year_offset, member = key % period_sizes[1], key // period_sizes[1]
        day = FinancialYear(first_year + year_offset).month_start(month_number)
        member_id = lookups.ids[member]
        shares[position] = next(
            (
                float(share)
                for who, start, end, share in memberships
                if who == member_id and start <= day and (end is None or day <= end)
            ),
            np.nan,
        )
    expected = np.round(line_plan * shares[inverse] * 100)
    reported = subset["plan_c"].to_numpy()
    with np.errstate(invalid="ignore"):
        differs = ~np.isnan(expected) & (np.abs(reported - expected) > 1)
    if not differs.any():
        return
    positions = subset["row"].to_numpy()[differs] - 2
    by_row = np.zeros(len(rows), dtype=bool)
    by_row[positions] = True
    expected_by_row = np.zeros(len(rows))
    expected_by_row[positions] = expected[differs]
    reported_by_row = rows["plan_c"].to_numpy()
    findings.add(
        by_row,
        FIELD_BY_KEY["planned_activity"].header,
        lambda i: (
            f"planned activity {reported_by_row[i] / 100:,.2f} differs from the "
            f"contract's plan ({expected_by_row[i] / 100:,.2f})"
        ),
        warning=True,
    )


# Applying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedSubmission:
    """One provider's month from the file, and the submission it replaced if any."""

    id: uuid.UUID
    provider_code: str
    financial_year: str
    month: int
    row_count: int
    replaced_id: uuid.UUID | None


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    file: str
    row_count: int
    excluded_rows: int
    total_cost: Decimal
    ignored_columns: list[str]
    warnings: list[Problem]
    submissions: list[AppliedSubmission]
    dry_run: bool


_raw = MetaData()
# The tables as plain integers, so bulk inserts skip per-value conversion.
RAW_ROWS = Table(
    "return_row",
    _raw,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Uuid),
    Column("commissioner_id", Uuid),
    Column("service_line_id", Uuid),
    Column("point_of_delivery", String),
    Column("planned_activity", BigInteger),
    Column("actual_activity", BigInteger),
    Column("price", BigInteger),
    Column("actual_cost", BigInteger),
)
SUMMARY_COLUMNS = ("reported_plan", "actual_activity", "actual_cost", "row_count")
# In the order of activity_summary's key, and without the commissioner, of line_summary's:
# organisations and lines are numbered in the order of their UUIDs, so the sums come out
# in the order of the keys and each table is written at one end of its B-tree.
FINE_KEYS = ("financial_year", "commissioner", "month", "provider", "service_line", "point")
COARSE_KEYS = ("financial_year", "month", "provider", "service_line", "point")
UUID_COLUMNS = {"submission_id", "provider_id", "commissioner_id", "service_line_id"}


def _raw_summary(name: str, with_commissioner: bool) -> Table:
    return Table(
        name,
        _raw,
        Column("financial_year", Integer),
        Column("month", Integer),
        Column("provider_id", Uuid),
        *([Column("commissioner_id", Uuid)] if with_commissioner else []),
        Column("service_line_id", Uuid),
        Column("point_of_delivery", String),
        *(Column(c, BigInteger) for c in SUMMARY_COLUMNS),
    )


RAW_ACTIVITY_SUMMARY = _raw_summary("activity_summary", True)
RAW_LINE_SUMMARY = _raw_summary("line_summary", False)


def import_returns(
    database: Database,
    path: str | Path,
    *,
    dry_run: bool = False,
    invoice_total: Decimal | None = None,
    mapping: dict[str, str] | None = None,
    exclude_rows: Collection[int] = (),
    received_on: date | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a return file and, if it is clean (bad rows excluded), apply all of it."""
    check = check_returns(
        database,
        path,
        mapping=mapping,
        invoice_total=invoice_total,
        sheet=sheet,
        progress=progress,
    )
    return apply_returns(
        database,
        check,
        exclude_rows=exclude_rows,
        dry_run=dry_run,
        received_on=received_on,
        progress=progress,
    )


@dataclass(frozen=True)
class _Groups:
    """The provider months of a file: each row's group, and each group's key and size."""

    of_row: np.ndarray
    provider: np.ndarray
    year: np.ndarray
    month: np.ndarray
    size: np.ndarray


def _groups(rows: pd.DataFrame) -> _Groups:
    provider = rows["provider"].to_numpy()
    year = rows["financial_year"].to_numpy()
    month = rows["month"].to_numpy()
    key = combine([provider, year, month], [1 << 20, 10_000, 13])
    _distinct, first, inverse, size = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    return _Groups(inverse, provider[first], year[first], month[first], size)


def apply_returns(
    database: Database,
    check: ReturnsCheck,
    *,
    exclude_rows: Collection[int] = (),
    dry_run: bool = False,
    received_on: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Apply a checked file in one transaction; refuse it while errors remain."""
    blocking = check.blocking_errors(exclude_rows)
    if blocking:
        raise InputRejected(blocking)
    assert check.lookups is not None
    step = _stepper(progress)
    excluded = set(exclude_rows)
    rows = check.rows
    if excluded:
        rows = rows[~rows["row"].isin(list(excluded))].reset_index(drop=True)
    groups = _groups(rows)
    if dry_run:
        with database.reader() as session:
            submissions, _ids = _replace_submissions(
                session, check, groups, "", date.today(), write=False
            )
        return _report(check, rows, excluded, submissions, dry_run=True)
    with database.bulk_session() as session:
        user = require_write(session, Area.RETURNS)
        _larger_cache(session)
        _check_references(session, check, rows)
        step("writing", 0.0)
        submissions, ids = _replace_submissions(
            session, check, groups, user, received_on or date.today(), write=True
        )
        _insert_rows(session, rows, check.lookups, groups, ids, step)
        if session.connection().dialect.name == "sqlite":
            # Again, now that this transaction holds the write lock: nothing can be deleted
            # under it from here, and SQLite did not look the rows' references up.
            _check_references(session, check, rows)
        give_back_memory()
        step("summarising", 0.9)
        update_summaries(session, rows, check.lookups)
        step("summarising", 1.0)
    return _report(check, rows, excluded, submissions, dry_run=False)


def _check_references(session: Session, check: ReturnsCheck, rows: pd.DataFrame) -> None:
    """Refuse the file if an organisation or line it names has gone since it was checked.

    The bulk write does not look each row's references up (a million look-ups of the same
    few hundred keys): each key is looked up here once, before the write (so the refusal
    names the row and column on every database) and, on SQLite, again after it.
    """
    assert check.lookups is not None
    lookups = check.lookups
    problems = []
    for key, named_as, model, named in (
        ("provider", FIELD_BY_KEY["provider_code"], Organisation, lookups.providers),
        ("commissioner", FIELD_BY_KEY["commissioner_code"], Organisation, lookups.commissioners),
        ("service_line", FIELD_BY_KEY["service_line"], ServiceLine, lookups.service_lines),
    ):
        column = rows[key].to_numpy()
        numbers = [int(n) for n in np.unique(column)]
        wanted = [lookups.ids[n] for n in numbers]
        found = set(session.scalars(select(model.id).where(model.id.in_(wanted))))
        code_of = {number: code for code, number in named.items()}
        for number, identity in zip(numbers, wanted, strict=True):
            if identity not in found:
                first = int(rows["row"].to_numpy()[np.argmax(column == number)])
                problems.append(
                    Problem(
                        check.file,
                        first,
                        named_as.header,
                        f"'{code_of.get(number, identity)}' is no longer "
                        "in the database (removed after the file was checked): nothing was "
                        "applied; check the file again",
                    )
                )
    if problems:
        raise InputRejected(sorted(problems, key=lambda p: p.row or 0))


def _report(
    check: ReturnsCheck,
    rows: pd.DataFrame,
    excluded: set[int],
    submissions: list[AppliedSubmission],
    dry_run: bool,
) -> ImportReport:
    return ImportReport(
        file=check.file,
        row_count=len(rows),
        excluded_rows=len(check.rows) - len(rows),
        total_cost=Decimal(int(rows["cost_p"].sum())) / 100,
        ignored_columns=check.ignored_columns,
        warnings=[w for w in check.warnings if w.row not in excluded],
        submissions=submissions,
        dry_run=dry_run,
    )


def _replace_submissions(
    session: Session,
    check: ReturnsCheck,
    groups: _Groups,
    user: str,
    received_on: date,
    write: bool,
) -> tuple[list[AppliedSubmission], list[uuid.UUID]]:
    """A new submission per provider month; the one it replaces stays, marked replaced."""
    assert check.lookups is not None
    ids = check.lookups.ids
    providers = {ids[p] for p in groups.provider}
    years = {FinancialYear(int(y)) for y in groups.year}
    current: dict[tuple[uuid.UUID, int, int], ReturnSubmission] = {}
    for submission in session.scalars(
        select(ReturnSubmission)
        .where(
            ReturnSubmission.provider_id.in_(providers),
            ReturnSubmission.financial_year.in_(years),
            ReturnSubmission.replaced_by_id.is_(None),
            ReturnSubmission.deleted_at.is_(None),
        )
        .order_by(ReturnSubmission.created_at)
    ):
        key = (submission.provider_id, submission.financial_year.start_year, submission.month)
        current[key] = submission
    codes = dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(providers))
        ).all()
    )
    applied, new_ids, replacing = [], [], []
    for provider, year, month, size in zip(
        groups.provider, groups.year, groups.month, groups.size, strict=True
    ):
        provider_id = ids[provider]
        old = current.get((provider_id, int(year), int(month)))
        submission = ReturnSubmission(
            id=uuid.uuid4(),
            provider_id=provider_id,
            financial_year=FinancialYear(int(year)),
            month=int(month),
            file_name=check.file,
            file_hash=check.file_hash,
            received_on=received_on,
            row_count=int(size),
            created_by=user,
            updated_by=user,
        )
        new_ids.append(submission.id)
        if write:
            session.add(submission)
            if old is not None:
                replacing.append((old, submission.id))
        applied.append(
            AppliedSubmission(
                submission.id, codes[provider_id], str(submission.financial_year),
                int(month), int(size), old.id if old is not None else None,
            )
        )  # fmt: skip
    if write:
        # The new submissions exist before the old ones point at them.
        session.flush()
        for old, new_id in replacing:
            old.replaced_by_id = new_id
            old.updated_by = user
        session.flush()
    return applied, new_ids


def _larger_cache(session: Session) -> None:
    """A bigger page cache for this connection while it writes a large file (SQLite only)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")


# A column to insert: the values at the given positions (made a chunk at a time, so a
# million-row file never holds a million Python objects at once).
ColumnMaker = Callable[[np.ndarray], np.ndarray]


def _take(values: np.ndarray) -> ColumnMaker:
    return lambda positions: values[positions]


def _bulk_insert(
    session: Session,
    table: Table,
    columns: dict[str, ColumnMaker],
    total: int,
    order: np.ndarray | None = None,
    step: Callable[[float], None] | None = None,
) -> None:
    """Insert `total` rows, in `order`, a chunk at a time."""
    names = list(columns)
    connection = session.connection()
    positions = order if order is not None else np.arange(total)

    def chunks() -> Iterator[tuple[int, list[list[Any]]]]:
        for start in range(0, total, CHUNK):
            chosen = positions[start : start + CHUNK]
            yield start, [columns[name](chosen).tolist() for name in names]

    if connection.dialect.name == "sqlite":
        # Fast path: one executemany per chunk on the session's own connection, so the rows
        # stay in its transaction. SQLite stores these UUIDs as 32 hex digits.
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        )
        try:
            for start, chunk in chunks():
                cursor.executemany(sql, zip(*chunk, strict=True))
                if step is not None:
                    step(min(1.0, (start + CHUNK) / total))
        finally:
            cursor.close()
        return
    for start, chunk in chunks():
        connection.execute(
            insert(table),
            [dict(zip(names, values, strict=True)) for values in zip(*chunk, strict=True)],
        )
        if step is not None:
            step(min(1.0, (start + CHUNK) / total))


def _nullable(values: np.ndarray, given: np.ndarray) -> ColumnMaker:
    def make(positions: np.ndarray) -> np.ndarray:
        out = values[positions].astype(object)
        out[~given[positions]] = None
        return out

    return make


def _insert_rows(
    session: Session,
    rows: pd.DataFrame,
    lookups: Lookups,
    groups: _Groups,
    submission_ids: list[uuid.UUID],
    step: Callable[[str, float], None],
) -> None:
    as_hex = session.connection().dialect.name == "sqlite"
    submissions = np.array([u.hex if as_hex else u for u in submission_ids], dtype=object)
    commissioner = rows["commissioner"].to_numpy()
    line = rows["service_line"].to_numpy()
    point = rows["point_of_delivery"]
    points = np.asarray(point.cat.categories, dtype=object)
    point_codes = point.cat.codes.to_numpy()
    _bulk_insert(
        session,
        RAW_ROWS,
        {
            "submission_id": lambda at: submissions[groups.of_row[at]],
            "commissioner_id": lambda at: lookups.identities(commissioner[at], as_hex),
            "service_line_id": lambda at: lookups.identities(line[at], as_hex),
            "point_of_delivery": lambda at: points[point_codes[at]],
            "planned_activity": _nullable(rows["plan_c"].to_numpy(), rows["plan_given"].to_numpy()),
            "actual_activity": _take(rows["activity_c"].to_numpy()),
            "price": _nullable(rows["price_p"].to_numpy(), rows["price_given"].to_numpy()),
            "actual_cost": _nullable(
                rows["cost_given_p"].to_numpy(), rows["cost_given"].to_numpy()
            ),
        },
        len(rows),
        # In submission order, so the index on it grows at one end.
        np.argsort(groups.of_row, kind="stable"),
        lambda fraction: step("writing", 0.9 * fraction),
    )


def update_summaries(session: Session, rows: pd.DataFrame, lookups: Lookups) -> None:
    """Replace the summaries of each provider's months in `rows` by the totals of `rows`.

    A return replaces its provider's whole month, so the new file's totals are the month's.
    """
    point = rows["point_of_delivery"]
    columns = {
        "financial_year": rows["financial_year"].to_numpy(),
        "month": rows["month"].to_numpy(),
        "provider": rows["provider"].to_numpy(),
        "commissioner": rows["counted_for"].to_numpy(),
        "service_line": rows["service_line"].to_numpy(),
        "point": point.cat.codes.to_numpy(),
        "reported_plan": np.where(rows["plan_given"].to_numpy(), rows["plan_c"].to_numpy(), 0),
        "actual_activity": rows["activity_c"].to_numpy(),
        "actual_cost": rows["cost_p"].to_numpy(),
        "row_count": np.ones(len(rows), dtype=np.int64),
    }
    write_summaries(session, columns, lookups, np.asarray(point.cat.categories, dtype=object))


Columns = dict[str, np.ndarray]


def grouped_sums(columns: Columns, keys: Sequence[str], values: Sequence[str]) -> Columns:
    """The sums of `values` for each distinct combination of `keys`, ordered by the keys
    (as a sorted pandas groupby gives them, integer keys as int32 where they fit). Keys are
    small integers, so one int64 key holds them all and a single sort groups the rows."""
    missing = np.zeros(len(columns[keys[0]]), dtype=bool)
    for name in keys:
        if columns[name].dtype.kind == "f":
            missing |= np.isnan(columns[name])
    if missing.any():  # as groupby leaves out rows with a missing key
        columns = {name: columns[name][~missing] for name in (*keys, *values)}
    if len(columns[keys[0]]) == 0:
        return {name: columns[name][:0] for name in (*keys, *values)}
    parts, sizes = [], []
    for name in keys:
        column = columns[name]
        if column.dtype.kind == "f":
            column = column.astype(np.int64)
        low = int(column.min())
        parts.append(column - low if low else column)
        sizes.append(int(column.max()) - low + 1)
    if float(np.prod([float(size) for size in sizes])) >= 2**62:
        grouped = pd.DataFrame({name: columns[name] for name in (*keys, *values)})
        summed = grouped.groupby(list(keys), sort=True)[list(values)].sum().reset_index()
        return {name: summed[name].to_numpy() for name in (*keys, *values)}
    key = combine(parts, sizes)
    del parts
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    del key
    first = order[starts]
    result = {name: _narrow(columns[name][first]) for name in keys}
    for name in values:
        column = columns[name]
        # Whole numbers are summed in int64 whatever their width, as groupby sums them.
        wide = np.int64 if column.dtype.kind == "i" else None
        result[name] = np.add.reduceat(column[order], starts, dtype=wide)
    return result


def _narrow(values: np.ndarray) -> np.ndarray:
    """Integers as int32 where they fit (the key columns of a summary: half the memory)."""
    fits = (
        values.dtype.kind == "i"
        and values.dtype.itemsize > 4
        and len(values) > 0
        and int(values.min()) >= -(2**31)
        and int(values.max()) < 2**31
    )
    return values.astype(np.int32) if fits else values


def write_summaries(session: Session, frame: Columns, lookups: Lookups, points: np.ndarray) -> None:
    """Write both summary tables for the provider months in `frame` (numbered identities).

    `frame` is emptied: a million-row file's columns go as soon as they are summed.
    """
    values = list(SUMMARY_COLUMNS)
    fine = grouped_sums(frame, FINE_KEYS, values)
    frame.clear()
    give_back_memory()
    months = grouped_sums(fine, ("financial_year", "month", "provider"), ["row_count"])
    keys = [
        (int(y), int(m), lookups.ids[p])
        for y, m, p in zip(
            months["financial_year"].tolist(),
            months["month"].tolist(),
            months["provider"].tolist(),
            strict=True,
        )
    ]
    _delete_summaries(session, keys)
    as_hex = session.connection().dialect.name == "sqlite"
    _insert_summary(session, RAW_ACTIVITY_SUMMARY, fine, lookups, points, as_hex)
    give_back_memory()
    coarse = grouped_sums(fine, COARSE_KEYS, values)
    del fine
    _insert_summary(session, RAW_LINE_SUMMARY, coarse, lookups, points, as_hex)


def _delete_summaries(session: Session, keys: list[tuple[int, int, uuid.UUID]]) -> None:
    """Delete both summaries of the given (year, month, provider) months, found by key.

    Statements go month by month with the month's providers listed; for activity_summary,
    whose key has the commissioner before the month, with the year's commissioners listed
    too. (For a list of (year, month, provider) row values, SQLite 3.40 read the whole table
    once per statement.)
    """
    providers_of: dict[tuple[int, int], list[uuid.UUID]] = {}
    for year, month, provider in keys:
        providers_of.setdefault((year, month), []).append(provider)
    commissioners_in = {year: _summary_commissioners(session, year) for year, _m in providers_of}
    fine, coarse = RAW_ACTIVITY_SUMMARY.c, RAW_LINE_SUMMARY.c
    for (year, month), providers in providers_of.items():
        for start in range(0, len(providers), 500):
            chosen = providers[start : start + 500]
            session.execute(
                delete(RAW_LINE_SUMMARY).where(
                    coarse.financial_year == year,
                    coarse.month == month,
                    coarse.provider_id.in_(chosen),
                )
            )
            if commissioners_in[year]:
                session.execute(
                    delete(RAW_ACTIVITY_SUMMARY).where(
                        fine.financial_year == year,
                        fine.commissioner_id.in_(commissioners_in[year]),
                        fine.month == month,
                        fine.provider_id.in_(chosen),
                    )
                )


def _summary_commissioners(session: Session, year: int) -> list[uuid.UUID]:
    """The commissioners in a year's activity_summary, by one look in its key for each
    (a loose index scan: the year's rows are not read)."""
    found = session.execute(
        text(
            "WITH RECURSIVE found(id) AS ("
            " SELECT (SELECT commissioner_id FROM activity_summary WHERE financial_year = :year"
            "  ORDER BY commissioner_id LIMIT 1)"
            " UNION ALL"
            " SELECT (SELECT commissioner_id FROM activity_summary"
            "  WHERE financial_year = :year AND commissioner_id > found.id"
            "  ORDER BY commissioner_id LIMIT 1)"
            " FROM found WHERE found.id IS NOT NULL"
            ") SELECT id FROM found WHERE id IS NOT NULL"
        ),
        {"year": year},
    ).scalars()
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(value) for value in found]


def _insert_summary(
    session: Session,
    table: Table,
    summary: Columns,
    lookups: Lookups,
    points: np.ndarray,
    as_hex: bool,
) -> None:
    columns: dict[str, ColumnMaker] = {
        "financial_year": _take(summary["financial_year"]),
        "month": _take(summary["month"]),
        "provider_id": _identities(lookups, summary["provider"], as_hex),
    }
    if "commissioner" in summary:
        columns["commissioner_id"] = _identities(lookups, summary["commissioner"], as_hex)
    columns["service_line_id"] = _identities(lookups, summary["service_line"], as_hex)
    columns["point_of_delivery"] = _points(points, summary["point"])
    for name in SUMMARY_COLUMNS:
        columns[name] = _take(summary[name])
    _bulk_insert(session, table, columns, len(summary["row_count"]))


def _points(points: np.ndarray, codes: np.ndarray) -> ColumnMaker:
    return lambda positions: points[codes[positions]]


def _identities(lookups: Lookups, numbers: np.ndarray, as_hex: bool) -> ColumnMaker:
    return lambda positions: lookups.identities(numbers[positions], as_hex)


def rebuild_summaries(session: Session) -> int:
    """Rebuild both summary tables from the current (not replaced) submissions' rows."""
    lookups = load_lookups(session)
    result = session.execute(
        select(
            ReturnSubmission.financial_year,
            ReturnSubmission.month,
            ReturnSubmission.provider_id,
            RAW_ROWS.c.commissioner_id,
            RAW_ROWS.c.service_line_id,
            RAW_ROWS.c.point_of_delivery,
            RAW_ROWS.c.planned_activity,
            RAW_ROWS.c.actual_activity,
            RAW_ROWS.c.actual_cost,
            RAW_ROWS.c.price,
        )
        .join(RAW_ROWS, RAW_ROWS.c.submission_id == ReturnSubmission.id)
        .where(ReturnSubmission.replaced_by_id.is_(None), ReturnSubmission.deleted_at.is_(None))
    ).all()
    session.execute(delete(RAW_ACTIVITY_SUMMARY))
    session.execute(delete(RAW_LINE_SUMMARY))
    if not result:
        return 0
    raw = pd.DataFrame(
        result,
        columns=[
            "year", "month", "provider_id", "commissioner_id", "service_line_id", "point",
            "plan", "activity", "cost", "price",
        ],
    )  # fmt: skip
    number = lookups.number
    point = raw["point"].astype("category")
    cost = raw["cost"].astype("float64")
    estimated = (raw["activity"] * raw["price"].astype("float64") / 100).round()
    frame = {
        "financial_year": raw["year"].map(lambda fy: fy.start_year).to_numpy(),
        "month": raw["month"].to_numpy(),
        "provider": raw["provider_id"].map(number).to_numpy(),
        "commissioner": lookups.successor[raw["commissioner_id"].map(number).to_numpy()],
        "service_line": raw["service_line_id"].map(number).to_numpy(),
        "point": point.cat.codes.to_numpy(),
        "reported_plan": raw["plan"].fillna(0).astype("int64").to_numpy(),
        "actual_activity": raw["activity"].astype("int64").to_numpy(),
        "actual_cost": cost.fillna(estimated).fillna(0).astype("int64").to_numpy(),
        "row_count": np.ones(len(raw), dtype=np.int64),
    }
    write_summaries(session, frame, lookups, np.asarray(point.cat.categories, dtype=object))
    return len(raw)


__all__ = [
    "FIELDS",
    "ImportCancelled",
    "ImportReport",
    "ReturnsCheck",
    "apply_returns",
    "check_returns",
    "guess_mapping",
    "import_returns",
    "read_headers",
    "rebuild_summaries",
    "remember_mapping",
    "remembered_mapping",
    "sheet_names",
]
