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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
from app.services import contract_split, workbook_rows, xlsx_stream
from app.services.access import Area, require_write
from app.services.return_sheets import STREAMED_WORKBOOKS, is_workbook, sheet_names
from app.services.table_export import unguard_cell
from app.store.database import Database

# progress(phase, fraction done) -> False to cancel.
Progress = Callable[[str, float], bool | None]

WARNING = "warning: "
CHUNK = 50_000
# Columns besides the return's that are read rather than passed over (see `_read_csv`).
SPARE_COLUMNS = 10
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
SCALED_FIELDS = NUMBER_FIELDS[1:]  # amounts, held in hundredths
BLOCK = 1 << 15  # rows worked on at a time where a column takes several passes
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
            codes = [columns[k] for k in TEXT_FIELDS]
            frame = _read_csv(readable.csv, wanted, codes, len(readable.headers))
    except _NotUtf8 as error:
        advice = "save the file as CSV UTF-8"
        if error.position is None:
            problem = Problem(source.label, None, None, f"the file is not UTF-8 text: {advice}")
        else:
            row = readable.header_row + 1 + error.position
            problem = Problem(
                source.label, row, error.column, f"the cell is not UTF-8 text: {advice}"
            )
        raise InputRejected([problem]) from error
    except Exception as error:
        raise InputRejected(
            [Problem(source.label, None, None, f"cannot read ({error})")]
        ) from error
    return frame.rename(columns={header: key for key, header in columns.items()})


def _read_csv(path: Path, wanted: list[str], codes: list[str], columns: int) -> pd.DataFrame:
    """pandas' C reader, as `read_csv` reads, but only empty cells are missing ('n/a' is
    reported, not dropped) and codes are text as written: a code column that pandas took for
    numbers (`01` read as 1) is read again as text."""
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]}
    try:
        # Without `usecols` pandas reads on both cores; with it, on one. Other columns are
        # read too, then, unless they are many.
        frame = pd.read_csv(
            path, usecols=wanted if columns > len(wanted) + SPARE_COLUMNS else None, **options
        )
        frame = frame[[header for header in frame.columns if header in wanted]]
        numeric = [c for c in codes if not _is_text(frame[c])]
        if numeric:
            text = pd.ArrowDtype(pa.string())
            again = pd.read_csv(
                path, usecols=numeric, dtype=dict.fromkeys(numeric, text), **options
            )
            frame = frame.assign(**{c: again[c] for c in numeric})
    except UnicodeDecodeError:
        raise _first_cell_not_utf8(path, wanted) from None
    return frame


def _is_text(series: pd.Series) -> bool:
    """Text held by Arrow (as pandas' reader gives a column that is all text)."""
    array = series.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray):
        return False
    kind = array.__arrow_array__().type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _first_cell_not_utf8(path: Path, wanted: list[str]) -> _NotUtf8:
    """Where a file saved in another encoding breaks (read again, as bytes, to find it)."""
    from pyarrow import csv as arrow_csv

    table = arrow_csv.read_csv(
        path,
        convert_options=arrow_csv.ConvertOptions(
            include_columns=wanted, column_types=dict.fromkeys(wanted, pa.binary())
        ),
    )
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            column.cast(pa.string())
            continue
        except pa.ArrowInvalid:
            pass
        for position, value in enumerate(column.to_pylist()):
            try:
                if value is not None:
                    value.decode("utf-8")
            except UnicodeDecodeError:
                return _NotUtf8(name, position)
    return _NotUtf8(None, None)


class _NotUtf8(ValueError):
    """A cell of a CSV file that is not UTF-8 text: its column, and its data row from 0
    (neither where the reader failed and the cell was not found again)."""

    def __init__(self, column: str | None, position: int | None) -> None:
        super().__init__(f"{column}: row {position} is not UTF-8")
        self.column = column
        self.position = position


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


@dataclass(frozen=True)
class FileStamp:
    """A file's size and time of last change: what tells that it changed after a check."""

    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        status = path.stat()
        return cls(status.st_size, status.st_mtime_ns)


@dataclass
class ReturnsCheck:
    """A file read and checked: its rows ready to apply, and every problem found."""

    file: str
    path: Path
    stamp: FileStamp
    rows: pd.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    invoice_total: Decimal | None = None
    lookups: Lookups | None = None
    _hash: str | None = field(default=None, repr=False)

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

    def file_hash(self) -> str:
        """The file's SHA-256, taken when its rows are applied (the check does not need it);
        refused if the file has changed or gone since it was checked, as it would no longer
        be the file whose rows were checked."""
        if self._hash is None:
            try:
                stamp = FileStamp.of(self.path)
                digest = _file_hash(self.path)
                unchanged = stamp == self.stamp == FileStamp.of(self.path)
            except OSError:
                unchanged = False
            if not unchanged:
                raise InputRejected(
                    [
                        Problem(
                            self.file,
                            None,
                            None,
                            "the file has changed since it was checked: check it again",
                        )
                    ]
                )
            self._hash = digest
        return self._hash

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
                    Term.vocabulary == Vocabulary.POINT_OF_DELIVERY,
                    Term.retired.is_(False),
                    Term.deleted_at.is_(None),
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


@dataclass
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
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
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


@dataclass
class _Codes:
    """A column of codes numbered: each row's position in `texts` (-1 where blank), the
    distinct codes (cleaned), each row's code as looked up (-1 where unknown or blank), and
    the codes not known."""

    numbers: np.ndarray
    texts: list[str]
    found: np.ndarray
    unknown: list[str]
    complete: bool = False  # known to have no blank

    def categorical(self) -> pd.Categorical:
        # Valid by construction: each number a position in `texts`, or -1.
        return pd.Categorical.from_codes(self.numbers, categories=self.texts, validate=False)


def _codes(series: pd.Series, known: _Known, ordered: bool = False) -> _Codes:
    """Each distinct code cleaned and looked up once (they are few), not each row; numbered
    in the codes' order if `ordered`, else as found."""
    if _is_text(series):
        array = series.array.__arrow_array__()
        # Arrow's own look-ups and encoding, which let go of Python's lock while they work.
        # First each row against the codes known here, as written (no cleaning): in a clean
        # file every row is found.
        texts = sorted(known.texts)
        found = pc.index_in(array, value_set=pa.array(texts, type=array.type))
        if found.null_count == 0:
            numbers = found.to_numpy()
            lookup = np.array([known(code) for code in texts], np.int32)
            return _Codes(numbers, texts, np.take(lookup, numbers), [], complete=True)
        # Else each distinct code, chunk by chunk (one dictionary for them all).
        encoded = array.dictionary_encode()
        indices = pa.chunked_array([c.indices for c in encoded.chunks], type=pa.int32())
        positions = pc.fill_null(indices, -1).to_numpy()
        distinct = encoded.chunk(0).dictionary.to_pylist() if encoded.num_chunks else []
    else:
        positions, distinct = pd.factorize(_as_text(series))
    cleaned = [unguard_cell(str(code).strip()) for code in distinct]
    found = {code: known(code) for code in cleaned}
    unknown = sorted({code for code, number in found.items() if number is None} - {""})
    # -1 (blank) takes the last entry of each table: -1.
    lookup = np.array([-1 if found[c] is None else found[c] for c in cleaned] + [-1], np.int32)
    if not ordered and "" not in found and len(found) == len(cleaned):
        # Cleaning changed no code into another or into a blank: numbered as found.
        return _Codes(positions, cleaned, np.take(lookup, positions), unknown)
    texts = sorted(set(cleaned) - {""})
    number = {code: index for index, code in enumerate(texts)}
    numbers = np.take(np.array([number.get(c, -1) for c in cleaned] + [-1], np.int32), positions)
    return _Codes(numbers, texts, np.take(lookup, positions), unknown)


@dataclass
class _Numbers:
    """A column of numbers: values (NaN where blank), which cells were blank and which held
    something that is not a number; for amounts, the values in hundredths (0 where blank or
    not a number) and where a value has more than two decimal places."""

    values: np.ndarray
    blank: np.ndarray
    not_number: np.ndarray
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    too_fine: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    given: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    negative: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def _numbers(series: pd.Series | None, rows: int, scale: bool = False) -> _Numbers:
    if series is None:  # an optional column not in the file
        column = _Numbers(np.full(rows, np.nan), np.ones(rows, bool), np.zeros(rows, bool))
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        if isinstance(series.dtype, np.dtype):  # NaN already where blank: not copied
            values = series.to_numpy(dtype="float64")
        else:
            values = series.to_numpy(dtype="float64", na_value=np.nan)
        if pd.api.types.is_integer_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
            # Whole numbers with none blank, as pandas reads a full column of them.
            column = _Numbers(values, np.zeros(rows, bool), np.zeros(rows, bool))
        else:
            column = _Numbers(values, np.empty(rows, bool), np.empty(rows, bool))
            for start, end in _blocks(rows):
                np.isnan(values[start:end], out=column.blank[start:end])
                np.isinf(values[start:end], out=column.not_number[start:end])
    elif series.isna().all():  # an optional column left empty
        column = _Numbers(np.full(rows, np.nan), np.ones(rows, bool), np.zeros(rows, bool))
    else:  # text: numbers written with a pound sign or thousands separators, or not numbers
        text = series.astype("str").str.strip()
        blank = series.isna().to_numpy() | (text == "").to_numpy()
        values = pd.to_numeric(text.str.replace(r"^£|,", "", regex=True), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        column = _Numbers(values, blank, ~np.isfinite(values) & ~blank)
    if scale and column.blank.all():  # an optional column left empty
        column.whole, column.too_fine = np.zeros(rows, np.int64), np.zeros(rows, bool)
        column.given, column.negative = np.zeros(rows, bool), np.zeros(rows, bool)
    elif scale:
        column.whole, column.too_fine = _scaled(column.values)
        column.given = ~(column.blank | column.not_number)
        with np.errstate(invalid="ignore"):
            column.negative = column.values < 0
    return column


def _blocks(rows: int) -> Iterator[tuple[int, int]]:
    """Rows a block at a time, small enough for several passes over it to stay in the
    processor's cache: a pass of a million values from memory is several times slower."""
    for start in range(0, rows, BLOCK):
        yield start, min(start + BLOCK, rows)


def _scaled(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hundredths as integers (0 where blank or not a number), and where a value has more
    than two decimal places (off a whole hundredth by more than a millionth of itself)."""
    whole = np.empty(len(values), np.int64)
    too_fine = np.empty(len(values), bool)
    hundredths, rounded, finite = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK, bool)
    with np.errstate(invalid="ignore"):
        for start, end in _blocks(len(values)):
            h, r, f = hundredths[: end - start], rounded[: end - start], finite[: end - start]
            np.multiply(values[start:end], 100, out=h)
            np.rint(h, out=r)
            np.isfinite(r, out=f)
            np.logical_not(f, out=f)
            np.copyto(r, 0, where=f)
            whole[start:end] = r
            np.subtract(h, r, out=h)
            np.copyto(h, 0, where=f)
            np.abs(h, out=h)
            h *= 1e6
            np.abs(r, out=r)
            np.maximum(r, 1, out=r)
            np.greater(h, r, out=too_fine[start:end])
    return whole, too_fine


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
        stamp = FileStamp.of(source.path)
        frame = _read_frame(source, mapping, readable)
    step("checking", 0.3)
    with database.reader() as session:
        lookups = load_lookups(session)
        rows, findings = _check_frame(
            frame,
            source.label,
            lookups,
            first_row=at + 1,
            plan=lambda rows, findings: _check_plan(session, rows, lookups, findings),
        )
        del frame
    # The file as read and the checks' temporaries handed back (once, at the end: between
    # the steps, freeing pages would hold up the other thread's allocations).
    pa.default_memory_pool().release_unused()
    give_back_memory()
    # Row by row, as a person works down the file (stable: rules keep their order).
    findings.errors.sort(key=lambda p: p.row or 0)
    findings.warnings.sort(key=lambda p: p.row or 0)
    check = ReturnsCheck(
        file=source.label,
        path=source.path,
        stamp=stamp,
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
    frame: pd.DataFrame,
    label: str,
    lookups: Lookups,
    first_row: int = 2,
    plan: Callable[[pd.DataFrame, _Findings], None] | None = None,
) -> tuple[pd.DataFrame, _Findings]:
    """Check every row; `plan`, if given, checks the rows against the contracts' plans while
    the search for repeated rows goes on."""
    # Columns are worked on apart, on two threads: each pass is numpy's or Arrow's, which let
    # go of Python's lock while they work.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="return-check") as pool:
        return _check_columns(pool, frame, label, lookups, first_row, plan)


def _check_columns(
    pool: ThreadPoolExecutor,
    frame: pd.DataFrame,
    label: str,
    lookups: Lookups,
    first_row: int,
    plan: Callable[[pd.DataFrame, _Findings], None] | None,
) -> tuple[pd.DataFrame, _Findings]:
    n = len(frame)
    header = {f.key: f.header for f in FIELDS}
    # The codes are looked up and encoded on the two threads, by Arrow, which lets go of
    # Python's lock while it works: the search for repeated rows needs them first.
    numbers = {"month": _numbers(frame["month"], n)}
    month = numbers["month"].values
    coding = {
        key: pool.submit(_codes, frame[key], known, key == "point_of_delivery")
        for key, known in _known_codes(lookups).items()
    }
    codes = {key: future.result() for key, future in coding.items()}
    # The search for repeated rows, the longest step left, on a thread; this one reads the
    # amounts, a block at a time, and compares the costs meanwhile.
    repeating = pool.submit(_repeats, [codes[k] for k in TEXT_FIELDS], month)
    # Two of the amounts, and the months, on the other thread.
    reading = {key: pool.submit(_numbers, frame.get(key), n, True) for key in SCALED_FIELDS[2:]}
    months = pool.submit(_months, frame["month"], month)
    for key in SCALED_FIELDS[:2]:
        numbers[key] = _numbers(frame.get(key), n, scale=True)
    numbers |= {key: future.result() for key, future in reading.items()}
    costs = _costs(numbers)

    row_numbers = np.arange(first_row, n + first_row, dtype=np.int32)
    findings = _Findings(label, row_numbers)
    # Text fields: blanks, then codes not known here (each distinct code was looked up once).
    for key, message in (
        ("financial_year", _year_problem(lookups)),
        ("provider_code", lambda c: f"unknown provider '{c}'"),
        ("commissioner_code", lambda c: f"unknown commissioner '{c}'"),
        ("service_line", lambda c: f"unknown service line '{c}'"),
        ("point_of_delivery", lambda c: f"unknown point of delivery '{c}'"),
    ):
        column = codes[key]
        if not column.complete:
            findings.add(column.numbers < 0, header[key], lambda i: "a value is required")
        if column.unknown:
            unknown = (column.found < 0) & (column.numbers >= 0)
            findings.add(unknown, header[key], _naming(column, message))

    # Numbers.
    for key in NUMBER_FIELDS:
        if key in frame:
            findings.add(numbers[key].not_number, header[key], _not_a_number(frame[key]))
        if FIELD_BY_KEY[key].required:
            findings.add(numbers[key].blank, header[key], lambda i: "a value is required")
    month_number, bad_month = months.result()
    findings.add(bad_month, header["month"], lambda i: f"month {_plain(month[i])} is outside 1-12")
    for key in SCALED_FIELDS:
        values = numbers[key].values
        findings.add(
            numbers[key].too_fine,
            header[key],
            _about(values, "{} has more than two decimal places"),
        )
        if key.endswith("activity"):
            findings.add(
                numbers[key].negative,
                header[key],
                _about(values, "activity cannot be negative ({})"),
            )

    # Cost against activity times price.
    findings.add(
        costs.off,
        header["actual_cost"],
        lambda i: (
            f"actual cost {numbers['actual_cost'].whole[i] / 100:,.2f} differs from activity "
            f"× price ({costs.expected[i] / 10000:,.2f}) by more than a penny"
        ),
    )

    # Numbers of rows, codes and months as int32: the checked rows stay in memory until
    # they are written, beside everything the write needs.
    commissioner = codes["commissioner_code"].found
    successor = np.append(lookups.successor, -1).astype(np.int32)
    given = {key: numbers[key].given for key in SCALED_FIELDS}
    out = {
        "row": row_numbers,
        "financial_year": codes["financial_year"].found,
        "provider": codes["provider_code"].found,
        "commissioner": commissioner,
        "counted_for": np.take(successor, commissioner),  # -1 (unknown) takes the last
        "service_line": codes["service_line"].found,
        "point_of_delivery": codes["point_of_delivery"].categorical(),
        "month": month_number,
        "plan_c": numbers["planned_activity"].whole,
        "plan_given": given["planned_activity"],
        "activity_c": numbers["actual_activity"].whole,
        "price_p": numbers["price"].whole,
        "price_given": given["price"],
        "cost_given_p": numbers["actual_cost"].whole,
        "cost_given": given["actual_cost"],
        "cost_p": costs.cost,
    }
    # Each column its own block: nothing is copied to stack them.
    rows = pd.DataFrame(out, copy=False)
    if plan is not None:
        plan(rows, findings)

    # Duplicates: the same year, month, provider, commissioner, line and point twice.
    later, row_keys = repeating.result()
    if later.any():
        first_rows = pd.Series(row_numbers).groupby(row_keys).transform("first").to_numpy()
        findings.add(later, "", lambda i: f"duplicate of row {first_rows[i]}")
    return rows, findings


def _months(column: pd.Series, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's month as an int32 (0 where it is not one), and where a number is given
    that is not a month."""
    if column.dtype == np.int64:  # whole numbers, none blank: the common case
        whole = column.to_numpy()
        bad = (whole < 1) | (whole > 12)
        month = whole.astype(np.int32)
        if bad.any():
            month[bad] = 0
        return month, bad
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(values) & ((values != np.floor(values)) | (values < 1) | (values > 12))
    return np.where(bad | np.isnan(values), 0, values).astype(np.int32), bad


def _naming(column: _Codes, message: Callable[[str], str]) -> Callable[[int], str]:
    return lambda i: message(column.texts[column.numbers[i]])


@dataclass(frozen=True)
class _Known:
    """The codes of one field known here, and how any code is looked up (its number, or
    None where unknown)."""

    texts: list[str]
    look_up: Callable[[str], int | None]

    def __call__(self, code: str) -> int | None:
        return self.look_up(code)


def _known_codes(lookups: Lookups) -> dict[str, _Known]:
    def year(text: str) -> int | None:
        try:
            start = FinancialYear.parse(text).start_year
        except ValueError:
            return None
        return start if start in lookups.years_with_contracts else None

    def point(code: str) -> int | None:
        return 0 if code in lookups.points_of_delivery else None

    return {
        "financial_year": _Known(
            [str(FinancialYear(y)) for y in sorted(lookups.years_with_contracts)], year
        ),
        "provider_code": _Known(list(lookups.providers), lookups.providers.get),
        "commissioner_code": _Known(list(lookups.commissioners), lookups.commissioners.get),
        "service_line": _Known(list(lookups.service_lines), lookups.service_lines.get),
        "point_of_delivery": _Known(sorted(lookups.points_of_delivery), point),
    }


def _year_problem(lookups: Lookups) -> Callable[[str], str]:
    def problem(text: str) -> str:
        try:
            year = FinancialYear.parse(text)
        except ValueError as error:
            return str(error)
        return f"financial year {year} does not exist: no contracts are held for it"

    return problem


@dataclass
class _Costs:
    """Actual cost against activity times price, in exact integers: where they are more
    than a penny apart, activity × price (hundredths × pence), and each row's cost in pence
    (as given, else activity × price, else 0)."""

    off: np.ndarray
    expected: np.ndarray
    cost: np.ndarray


def _costs(numbers: dict[str, _Numbers]) -> _Costs:
    activity, price, cost = (numbers[k] for k in ("actual_activity", "price", "actual_cost"))
    cost_given, price_given = cost.given, price.given
    both = cost_given & price_given & activity.given
    expected = np.empty(len(both), np.int64)
    off = np.empty(len(both), bool)
    difference = np.empty(BLOCK, np.int64)
    for start, end in _blocks(len(both)):
        d = difference[: end - start]
        np.multiply(activity.whole[start:end], price.whole[start:end], out=expected[start:end])
        np.multiply(cost.whole[start:end], 100, out=d)
        d -= expected[start:end]
        np.abs(d, out=d)
        np.greater(d, 100, out=off[start:end])
        off[start:end] &= both[start:end]
    if cost_given.all():
        return _Costs(off, expected, cost.whole)
    filled = np.where(cost_given, cost.whole, np.round(expected / 100))
    return _Costs(off, expected, np.where(cost_given | price_given, filled, 0).astype("int64"))


def _repeats(codes: list[_Codes], month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows repeat an earlier row's year, month, provider, commissioner, line and
    point of delivery; and each row's key."""
    key = _row_keys(codes, month)
    return pd.Series(key).duplicated(keep="first").to_numpy(), key


def _row_keys(codes: list[_Codes], month: np.ndarray) -> np.ndarray:
    """Each row's year, month, provider, commissioner, line and point of delivery as one
    number (rows with the same number repeat each other)."""
    sizes = [len(c.texts) + 1 for c in codes] + [100]
    if float(np.prod([float(size) for size in sizes])) >= 2**62:
        columns = [c.numbers for c in codes] + [np.nan_to_num(month).astype(np.int64) % 100]
        return np.asarray(pd.Series(list(zip(*columns, strict=True))).factorize()[0])
    # Each code plus 1 (a blank, -1, is 0): the ones are added once, as a constant.
    constant = 0
    for size in sizes[1:]:
        constant = (constant + 1) * size
    key = np.empty(len(month), np.int64)
    whole_month = np.empty(BLOCK, np.int64)
    with np.errstate(invalid="ignore"):
        for start, end in _blocks(len(month)):
            part = key[start:end]
            np.copyto(part, codes[0].numbers[start:end])
            for column, size in zip(codes[1:], sizes[1:], strict=False):
                part *= size
                part += column.numbers[start:end]
            months = whole_month[: end - start]
            np.copyto(months, month[start:end], casting="unsafe")  # (a blank: any number)
            months %= 100
            part *= 100
            part += months
            part += constant
    return key


def _split_parts(
    split_planned: dict[tuple[int, int], float],
    keys: np.ndarray,
    commissioner: np.ndarray,
    commissioners: int,
) -> np.ndarray:
    """Each row's part of the plans of contracts that set their own split: the row's
    commissioner's part (0 where the split leaves it out), NaN where no such plan holds."""
    if not split_planned:
        return np.full(len(keys), np.nan)
    split_lines = pd.Index([key for key, who in split_planned if who == -1])
    parts = {key * commissioners + who: value for (key, who), value in split_planned.items()}
    index = pd.Index(list(parts))
    values = np.array([*parts.values(), 0.0])
    part = values[index.get_indexer(keys * commissioners + commissioner)]
    return np.where(split_lines.get_indexer(keys) >= 0, part, np.nan)


def _check_plan(
    session: Session, rows: pd.DataFrame, lookups: Lookups, findings: _Findings
) -> None:
    """Warn where planned activity differs from the contract's plan for that commissioner.

    Each PCT's part of a line's plan is the contract's own split where it sets one, else the
    PCT's capitation share (the membership in force on the first day of the month).
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
            Contract.id,
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
    own = contract_split.splits(session, list({found[0] for found in plan}))
    planned: dict[int, float] = {}  # by capitation share
    split_planned: dict[tuple[int, int], float] = {}  # by the contract's own split
    for contract_id, provider_id, year, line_id, point, month, activity in plan:
        if line_id not in lookups.number or point not in categories:
            continue
        key = combine(
            [np.array([v]) for v in (
                lookups.number[provider_id], year.start_year - first_year,
                lookups.number[line_id], categories.get_loc(point), month,
            )],
            sizes,
        )[0]  # fmt: skip
        if contract_id in own:
            for commissioner_id, share in own[contract_id].items():
                part = (int(key), lookups.number.get(commissioner_id, -1))
                split_planned[part] = split_planned.get(part, 0.0) + float(activity) * share
            split_planned.setdefault((int(key), -1), 0.0)  # the line's plan is split
        else:
            planned[int(key)] = planned.get(int(key), 0.0) + float(activity)
    if not planned and not split_planned:
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
    commissioner = subset["commissioner"].to_numpy()
    split_part = _split_parts(split_planned, keys, commissioner, len(lookups.ids) + 1)

    memberships = session.execute(
        select(
            Membership.member_id,
            Membership.effective_from,
            Membership.effective_to,
            Membership.capitation_share,
        ).where(Membership.deleted_at.is_(None))
    ).all()
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
    by_share = line_plan * shares[inverse]
    both = np.isnan(by_share) & np.isnan(split_part)
    expected = np.where(both, np.nan, np.nan_to_num(by_share) + np.nan_to_num(split_part))
    expected = np.round(expected * 100)
    reported = subset["plan_c"].to_numpy()
    with np.errstate(invalid="ignore"):
        differs = ~np.isnan(expected) & (np.abs(reported - expected) > 1)
    if not differs.any():
        return
    positions = np.flatnonzero(usable)[differs]
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
    if not dry_run:
        check.file_hash()  # before the write: a file changed since its check is refused
        give_back_memory()  # what the check freed, before the write's own memory is taken
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
            file_hash=check.file_hash() if write else "",
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
                submission.id,
                codes[provider_id],
                str(submission.financial_year),
                int(month),
                int(size),
                old.id if old is not None else None,
            )
        )
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
