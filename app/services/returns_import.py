"""Monthly contract monitoring returns: read a file, check every row, apply all of it or none.

A return is shaped like the aggregate contract monitoring return: financial year, month,
provider, commissioner, service line, point of delivery, planned and actual activity, price
and actual cost. Checking is vectorised (pandas): the happy path never loops per row in
Python; only problems are turned into `FILE:ROW:COLUMN: message` one by one.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    tuple_,
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
    Term,
    Vocabulary,
)
from app.services.access import Area, require_write
from app.services.table_export import unguard_cell
from app.store.database import Database

# progress(phase, fraction done) -> False to cancel.
Progress = Callable[[str, float], bool | None]

WARNING = "warning: "
CHUNK = 50_000


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
    def at(cls, path: str | Path) -> ReturnFile:
        path = Path(path)
        if not path.exists():
            raise InputRejected([Problem(str(path), None, None, "no such file")])
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            from python_calamine import CalamineWorkbook

            try:
                sheet = CalamineWorkbook.from_path(str(path)).sheet_names[0]
            except Exception as error:
                raise InputRejected(
                    [Problem(path.name, None, None, f"not a readable workbook ({error})")]
                ) from error
            return cls(path, f"{path.name}[{sheet}]", sheet)
        return cls(path, path.name, None)

    @property
    def is_workbook(self) -> bool:
        return self.sheet is not None


def read_headers(path: str | Path) -> list[str]:
    """The header row of a return file, as the column-mapping step shows it."""
    source = ReturnFile.at(path)
    try:
        if source.is_workbook:
            frame = pd.read_excel(source.path, sheet_name=0, nrows=0, engine="calamine")
        else:
            frame = pd.read_csv(source.path, nrows=0)
    except Exception as error:
        raise InputRejected([Problem(source.label, 1, None, f"cannot read ({error})")]) from error
    return [str(h) for h in frame.columns]


def _read_frame(source: ReturnFile, columns: dict[str, str]) -> pd.DataFrame:
    """Read the mapped columns only: text fields as text, numbers as the reader finds them."""
    wanted = list(columns.values())
    try:
        if source.is_workbook:
            frame = pd.read_excel(source.path, sheet_name=0, engine="calamine", usecols=wanted)
        else:
            text = {columns[k]: "str" for k in TEXT_FIELDS if k in columns}
            frame = pd.read_csv(
                source.path,
                engine="pyarrow",
                usecols=wanted,
                dtype=text,
                keep_default_na=False,
                na_values=[""],
            )
    except Exception as error:
        raise InputRejected(
            [Problem(source.label, None, None, f"cannot read ({error})")]
        ) from error
    return frame.rename(columns={header: key for key, header in columns.items()})


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


@dataclass(frozen=True)
class Lookups:
    """What the codes in a return mean in this database."""

    years_with_contracts: set[int]
    providers: dict[str, uuid.UUID]
    commissioners: dict[str, uuid.UUID]
    successors: dict[uuid.UUID, uuid.UUID]
    service_lines: dict[str, uuid.UUID]
    points_of_delivery: set[str]


def load_lookups(session: Session) -> Lookups:
    organisations = session.execute(
        select(Organisation.id, Organisation.code, Organisation.successor_id, Term.category)
        .join(Term, Organisation.type_id == Term.id)
        .where(Organisation.deleted_at.is_(None))
    ).all()
    successor_of = {org_id: successor for org_id, _c, successor, _k in organisations if successor}
    successors = {}
    for org_id, _code, _successor, _kind in organisations:
        final, seen = org_id, {org_id}
        while final in successor_of and successor_of[final] not in seen:
            final = successor_of[final]
            seen.add(final)
        successors[org_id] = final
    lines: dict[str, uuid.UUID] = {}
    for code, line_id in session.execute(
        select(ServiceDefinition.code, ServiceDefinition.service_line_id)
        .join(Edition)
        .order_by(Edition.published_on.asc().nulls_first(), Edition.label)
    ):
        lines[code] = line_id  # a later edition's code wins
    return Lookups(
        years_with_contracts={
            fy.start_year
            for fy in session.scalars(
                select(Contract.financial_year).where(Contract.deleted_at.is_(None)).distinct()
            )
        },
        providers={code: i for i, code, _s, kind in organisations if kind == "provider"},
        commissioners={code: i for i, code, _s, kind in organisations if kind == "commissioner"},
        successors=successors,
        service_lines=lines,
        points_of_delivery=set(
            session.scalars(
                select(Term.code).where(
                    Term.vocabulary == Vocabulary.POINT_OF_DELIVERY, Term.retired.is_(False)
                )
            )
        ),
    )


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
                self.label, int(self.rows[i]), column, (WARNING if warning else "") + message(i)
            )
            for i in positions
        )
        if not warning:
            self.error_mask |= mask


def _as_text(series: pd.Series) -> pd.Series:
    """Codes as text: a workbook may hold 3 or 3.0 where the code is '3'."""
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
    text = series.astype("str").str.strip().str.replace(r"^£|,", "", regex=True)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return values, np.isnan(values) & ~_blank(series)


def _scaled(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hundredths as integers, and where a value has more than two decimal places."""
    hundredths = values * 100
    rounded = np.round(hundredths)
    with np.errstate(invalid="ignore"):
        too_fine = np.abs(hundredths - rounded) > 1e-6 * np.maximum(1, np.abs(hundredths))
    return np.nan_to_num(rounded).astype("int64"), too_fine & ~np.isnan(values)


def _plain(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


def check_returns(
    database: Database,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    invoice_total: Decimal | None = None,
    progress: Progress | None = None,
) -> ReturnsCheck:
    """Read and check a return file; apply nothing. Raise InputRejected if it cannot be read."""
    step = _stepper(progress)
    source = ReturnFile.at(path)
    headers = read_headers(source.path)
    if mapping is None:
        mapping = remembered_mapping(database, headers) or guess_mapping(headers)
    missing = [f for f in FIELDS if f.required and f.key not in mapping]
    absent = [key for key, header in mapping.items() if header not in headers]
    if missing or absent:
        raise InputRejected(
            [
                Problem(source.label, 1, f.header, f"required column '{f.header}' is missing")
                for f in missing
            ]
            + [
                Problem(source.label, 1, mapping[k], f"mapped column '{mapping[k]}' is not there")
                for k in absent
            ]
        )
    digest = hashlib.sha256(source.path.read_bytes()).hexdigest()
    step("reading", 0.0)
    frame = _read_frame(source, mapping)
    step("checking", 0.3)
    with database.reader() as session:
        lookups = load_lookups(session)
        rows, findings = _check_frame(frame, source.label, lookups)
        step("checking", 0.6)
        _check_plan(session, rows, findings)
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


def _stepper(progress: Progress | None) -> Callable[[str, float], None]:
    def step(phase: str, fraction: float) -> None:
        if progress is not None and progress(phase, fraction) is False:
            raise ImportCancelled("The import was cancelled; nothing was changed.")

    return step


def _check_frame(
    frame: pd.DataFrame, label: str, lookups: Lookups
) -> tuple[pd.DataFrame, _Findings]:
    n = len(frame)
    row_numbers = np.arange(2, n + 2)
    findings = _Findings(label, row_numbers)
    header = {f.key: f.header for f in FIELDS}
    out = pd.DataFrame({"row": row_numbers})

    # Text fields: blanks, then each distinct code looked up once.
    codes: dict[str, pd.Series] = {}
    for key in TEXT_FIELDS:
        series = _as_text(frame[key])
        blank = _blank(series)
        findings.add(blank, header[key], lambda i: "a value is required")
        category = series.astype("str").str.strip().astype("category")
        category = category.cat.rename_categories(
            [unguard_cell(c) for c in category.cat.categories]
        )
        codes[key] = category.where(~blank, None)

    def lookup(key: str, known: Callable[[str], Any], message: Callable[[str], str]) -> pd.Series:
        category = codes[key]
        values = {c: known(c) for c in category.cat.categories}
        mapped = category.map(values).astype("object")
        unknown = mapped.isna().to_numpy() & category.notna().to_numpy()
        texts = category.astype("object").to_numpy()
        findings.add(unknown, header[key], lambda i: message(texts[i]))
        return mapped

    def year_of(text: str) -> Any:
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
    out["provider_id"] = lookup(
        "provider_code", lookups.providers.get, lambda c: f"unknown provider '{c}'"
    )
    commissioner = lookup(
        "commissioner_code", lookups.commissioners.get, lambda c: f"unknown commissioner '{c}'"
    )
    out["commissioner_id"] = commissioner
    out["counted_for_id"] = commissioner.map(lookups.successors)
    out["service_line_id"] = lookup(
        "service_line", lookups.service_lines.get, lambda c: f"unknown service line '{c}'"
    )
    lookup(
        "point_of_delivery",
        lambda c: c if c in lookups.points_of_delivery else None,
        lambda c: f"unknown point of delivery '{c}'",
    )
    out["point_of_delivery"] = codes["point_of_delivery"].astype("object")

    # Numbers.
    numbers: dict[str, np.ndarray] = {}
    for key in NUMBER_FIELDS:
        if key not in frame:
            numbers[key] = np.full(n, np.nan)
            continue
        values, not_number = _numbers(frame[key])
        raw = frame[key].astype("object").to_numpy()
        findings.add(not_number, header[key], lambda i, raw=raw: f"'{raw[i]}' is not a number")
        if FIELD_BY_KEY[key].required:
            findings.add(_blank(frame[key]), header[key], lambda i: "a value is required")
        numbers[key] = values
    month = numbers["month"]
    with np.errstate(invalid="ignore"):
        bad_month = ~np.isnan(month) & ((month != np.floor(month)) | (month < 1) | (month > 12))
    findings.add(bad_month, header["month"], lambda i: f"month {_plain(month[i])} is outside 1-12")
    out["month"] = np.where(bad_month | np.isnan(month), 0, month).astype("int64")

    scaled: dict[str, np.ndarray] = {}
    for key in ("planned_activity", "actual_activity", "price", "actual_cost"):
        values = numbers[key]
        whole, too_fine = _scaled(values)
        findings.add(
            too_fine,
            header[key],
            lambda i, v=values: f"{_plain(v[i])} has more than two decimal places",
        )
        if key.endswith("activity"):
            with np.errstate(invalid="ignore"):
                negative = values < 0
            findings.add(
                negative,
                header[key],
                lambda i, v=values: f"activity cannot be negative ({_plain(v[i])})",
            )
        scaled[key] = whole
    given = {key: ~np.isnan(numbers[key]) for key in scaled}
    out["plan_c"] = pd.array(scaled["planned_activity"], dtype="Int64")
    out.loc[~given["planned_activity"], "plan_c"] = pd.NA
    out["activity_c"] = scaled["actual_activity"]
    out["price_p"] = pd.array(scaled["price"], dtype="Int64")
    out.loc[~given["price"], "price_p"] = pd.NA
    out["cost_given_p"] = pd.array(scaled["actual_cost"], dtype="Int64")
    out.loc[~given["actual_cost"], "cost_given_p"] = pd.NA

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
    keys = pd.DataFrame({k: codes[k].cat.codes for k in TEXT_FIELDS})
    keys["month"] = month
    later = keys.duplicated(keep="first").to_numpy()
    if later.any():
        first_rows = (
            keys.assign(row=row_numbers)
            .groupby(list(keys.columns), dropna=False)["row"]
            .transform("first")
        ).to_numpy()
        findings.add(later, "", lambda i: f"duplicate of row {first_rows[i]}")
    return out, findings


def _check_plan(session: Session, rows: pd.DataFrame, findings: _Findings) -> None:
    """Warn where planned activity differs from the contract's plan for that commissioner.

    Each PCT's part of a line's plan is its capitation share (the membership in force on the
    first day of the month), as the contract sets no other split.
    """
    usable = rows["financial_year"].notna() & rows["provider_id"].notna() & rows["month"].gt(0)
    usable &= rows["service_line_id"].notna() & rows["commissioner_id"].notna()
    if not usable.any():
        return
    years = {int(y) for y in rows.loc[usable, "financial_year"].unique()}
    providers = set(rows.loc[usable, "provider_id"].unique())
    plan = pd.DataFrame(
        session.execute(
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
        ).all(),
        columns=[
            "provider_id",
            "financial_year",
            "service_line_id",
            "point_of_delivery",
            "month",
            "plan",
        ],
    )
    if plan.empty:
        return
    plan["financial_year"] = plan["financial_year"].map(lambda fy: fy.start_year)
    plan["plan"] = plan["plan"].astype("float64")
    memberships = session.execute(
        select(
            Membership.member_id,
            Membership.effective_from,
            Membership.effective_to,
            Membership.capitation_share,
        ).where(Membership.deleted_at.is_(None))
    ).all()
    periods = rows.loc[usable, ["commissioner_id", "financial_year", "month"]].drop_duplicates()
    shares = []
    for commissioner_id, year, month in periods.itertuples(index=False, name=None):
        day = FinancialYear(int(year)).month_start(int(month))
        share = next(
            (
                float(s)
                for member, start, end, s in memberships
                if member == commissioner_id and start <= day and (end is None or day <= end)
            ),
            np.nan,
        )
        shares.append(share)
    periods = periods.assign(share=shares)
    keyed = rows.loc[usable, ["row", *plan.columns[:5], "commissioner_id", "plan_c"]]
    keyed = keyed.astype({"financial_year": "int64"})
    merged = keyed.merge(plan, how="left", on=list(plan.columns[:5])).merge(
        periods, how="left", on=["commissioner_id", "financial_year", "month"]
    )
    expected = np.round(merged["plan"].to_numpy() * merged["share"].to_numpy() * 100)
    reported = merged["plan_c"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        differs = ~np.isnan(reported) & ~np.isnan(expected) & (np.abs(reported - expected) > 1)
    if not differs.any():
        return
    by_row = np.zeros(len(rows), dtype=bool)
    expected_by_row = np.zeros(len(rows))
    positions = merged["row"].to_numpy()[differs] - 2
    by_row[positions] = True
    expected_by_row[positions] = expected[differs]
    findings.add(
        by_row,
        FIELD_BY_KEY["planned_activity"].header,
        lambda i: (
            f"planned activity {int(rows['plan_c'].iat[i]) / 100:,.2f} differs from the "
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


def _raw_summary(name: str, with_commissioner: bool) -> Table:
    return Table(
        name,
        _raw,
        Column("id", Integer, primary_key=True),
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
ROW_FIELDS = (
    "submission_id",
    "commissioner_id",
    "service_line_id",
    "point_of_delivery",
    "planned_activity",
    "actual_activity",
    "price",
    "actual_cost",
)


def import_returns(
    database: Database,
    path: str | Path,
    *,
    dry_run: bool = False,
    invoice_total: Decimal | None = None,
    mapping: dict[str, str] | None = None,
    exclude_rows: Collection[int] = (),
    received_on: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a return file and, if it is clean (bad rows excluded), apply all of it."""
    check = check_returns(
        database, path, mapping=mapping, invoice_total=invoice_total, progress=progress
    )
    return apply_returns(
        database,
        check,
        exclude_rows=exclude_rows,
        dry_run=dry_run,
        received_on=received_on,
        progress=progress,
    )


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
    step = _stepper(progress)
    excluded = set(exclude_rows)
    rows = check.rows
    if excluded:
        rows = rows[~rows["row"].isin(list(excluded))]
    groups = rows.groupby(["provider_id", "financial_year", "month"], sort=True).size()
    if dry_run:
        with database.reader() as session:
            submissions = _planned_submissions(session, groups)
        return _report(check, rows, excluded, submissions, dry_run=True)
    with database.session() as session:
        user = require_write(session, Area.RETURNS)
        step("writing", 0.0)
        submissions, ids = _replace_submissions(
            session, check, groups, user, received_on or date.today()
        )
        session.flush()
        _insert_rows(session, rows, ids, step)
        step("summarising", 0.9)
        update_summaries(session, rows)
        step("summarising", 1.0)
    return _report(check, rows, excluded, submissions, dry_run=False)


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
        excluded_rows=len(excluded & set(check.rows["row"].tolist())) if excluded else 0,
        total_cost=Decimal(int(rows["cost_p"].sum())) / 100,
        ignored_columns=check.ignored_columns,
        warnings=[w for w in check.warnings if w.row not in excluded],
        submissions=submissions,
        dry_run=dry_run,
    )


def _current_submission(
    session: Session, provider_id: uuid.UUID, year: FinancialYear, month: int
) -> ReturnSubmission | None:
    return session.scalars(
        select(ReturnSubmission)
        .where(
            ReturnSubmission.provider_id == provider_id,
            ReturnSubmission.financial_year == year,
            ReturnSubmission.month == month,
            ReturnSubmission.replaced_by_id.is_(None),
            ReturnSubmission.deleted_at.is_(None),
        )
        .order_by(ReturnSubmission.created_at.desc())
    ).first()


def _provider_codes(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    return dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(ids))
        ).all()
    )


def _planned_submissions(session: Session, groups: pd.Series) -> list[AppliedSubmission]:
    codes = _provider_codes(session, {p for p, _y, _m in groups.index})
    planned = []
    for (provider_id, year, month), count in groups.items():
        fy = FinancialYear(int(year))
        current = _current_submission(session, provider_id, fy, int(month))
        planned.append(
            AppliedSubmission(
                uuid.uuid4(), codes[provider_id], str(fy), int(month), int(count),
                current.id if current else None,
            )
        )  # fmt: skip
    return planned


def _replace_submissions(
    session: Session,
    check: ReturnsCheck,
    groups: pd.Series,
    user: str,
    received_on: date,
) -> tuple[list[AppliedSubmission], dict[tuple[uuid.UUID, int, int], uuid.UUID]]:
    """A new submission per provider and month; the one it replaces stays, marked replaced."""
    codes = _provider_codes(session, {p for p, _y, _m in groups.index})
    applied, ids = [], {}
    for (provider_id, year, month), count in groups.items():
        fy = FinancialYear(int(year))
        current = _current_submission(session, provider_id, fy, int(month))
        submission = ReturnSubmission(
            id=uuid.uuid4(),
            provider_id=provider_id,
            financial_year=fy,
            month=int(month),
            file_name=check.file,
            file_hash=check.file_hash,
            received_on=received_on,
            row_count=int(count),
            created_by=user,
            updated_by=user,
        )
        session.add(submission)
        session.flush()
        if current is not None:
            current.replaced_by_id = submission.id
            current.updated_by = user
        ids[(provider_id, int(year), int(month))] = submission.id
        applied.append(
            AppliedSubmission(
                submission.id, codes[provider_id], str(fy), int(month), int(count),
                current.id if current else None,
            )
        )  # fmt: skip
    return applied, ids


def _row_table(
    rows: pd.DataFrame, ids: dict[tuple[uuid.UUID, int, int], uuid.UUID]
) -> pd.DataFrame:
    keys = pd.MultiIndex.from_frame(
        rows[["provider_id", "financial_year", "month"]].astype({"financial_year": "int64"})
    )
    submission = pd.Series(list(ids.values()), index=pd.MultiIndex.from_tuples(list(ids.keys())))
    return pd.DataFrame(
        {
            "submission_id": submission.reindex(keys).to_numpy(),
            "commissioner_id": rows["commissioner_id"].to_numpy(),
            "service_line_id": rows["service_line_id"].to_numpy(),
            "point_of_delivery": rows["point_of_delivery"].to_numpy(),
            "planned_activity": rows["plan_c"]
            .astype("object")
            .where(rows["plan_c"].notna(), None)
            .to_numpy(),
            "actual_activity": rows["activity_c"].to_numpy(),
            "price": rows["price_p"]
            .astype("object")
            .where(rows["price_p"].notna(), None)
            .to_numpy(),
            "actual_cost": rows["cost_given_p"]
            .astype("object")
            .where(rows["cost_given_p"].notna(), None)
            .to_numpy(),
        }
    )


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    for start in range(0, len(frame), size):
        yield start, frame.iloc[start : start + size]


def _insert_rows(
    session: Session,
    rows: pd.DataFrame,
    ids: dict[tuple[uuid.UUID, int, int], uuid.UUID],
    step: Callable[[str, float], None],
) -> None:
    table = _row_table(rows, ids)
    total = max(1, len(table))
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Fast path: SQLite stores these UUIDs as 32 hex digits; one executemany per chunk
        # on the same connection keeps the rows in the session's transaction.
        for column in ("submission_id", "commissioner_id", "service_line_id"):
            table[column] = _hex(table[column])
        cursor = connection.connection.driver_connection.cursor()
        sql = (
            f"INSERT INTO return_row ({', '.join(ROW_FIELDS)}) "
            f"VALUES ({', '.join('?' * len(ROW_FIELDS))})"
        )
        try:
            for start, chunk in _chunks(table, CHUNK):
                cursor.executemany(sql, chunk.itertuples(index=False, name=None))
                step("writing", 0.9 * (start + len(chunk)) / total)
        finally:
            cursor.close()
        return
    for start, chunk in _chunks(table, CHUNK):
        connection.execute(insert(RAW_ROWS), chunk.to_dict("records"))
        step("writing", 0.9 * (start + len(chunk)) / total)


def _hex(series: pd.Series) -> pd.Series:
    category = series.astype("category")
    return category.cat.rename_categories([u.hex for u in category.cat.categories]).astype("object")


def update_summaries(session: Session, rows: pd.DataFrame) -> None:
    """Replace the summaries of each provider's months in `rows` by the totals of `rows`.

    A return replaces its provider's whole month, so the new file's totals are the month's.
    """
    frame = pd.DataFrame(
        {
            "financial_year": rows["financial_year"].astype("int64").to_numpy(),
            "month": rows["month"].to_numpy(),
            "provider_id": rows["provider_id"].to_numpy(),
            "commissioner_id": rows["counted_for_id"].to_numpy(),
            "service_line_id": rows["service_line_id"].to_numpy(),
            "point_of_delivery": rows["point_of_delivery"].to_numpy(),
            "reported_plan": rows["plan_c"].fillna(0).astype("int64").to_numpy(),
            "actual_activity": rows["activity_c"].to_numpy(),
            "actual_cost": rows["cost_p"].to_numpy(),
            "row_count": np.ones(len(rows), dtype="int64"),
        }
    )
    write_summaries(session, frame)


def write_summaries(session: Session, frame: pd.DataFrame) -> None:
    """Write both summary tables from rows at the finest grain (hundredths and pence)."""
    months = frame[["financial_year", "month", "provider_id"]].drop_duplicates()
    keys = [(int(y), int(m), p) for y, m, p in months.itertuples(index=False, name=None)]
    for table in (RAW_ACTIVITY_SUMMARY, RAW_LINE_SUMMARY):
        for start in range(0, len(keys), 300):
            session.execute(
                delete(table).where(
                    tuple_(table.c.financial_year, table.c.month, table.c.provider_id).in_(
                        keys[start : start + 300]
                    )
                )
            )
    fine_keys = [
        "financial_year",
        "month",
        "provider_id",
        "commissioner_id",
        "service_line_id",
        "point_of_delivery",
    ]
    fine = (
        frame.groupby(fine_keys, sort=False, observed=True)[list(SUMMARY_COLUMNS)]
        .sum()
        .reset_index()
    )
    coarse_keys = [k for k in fine_keys if k != "commissioner_id"]
    coarse = (
        fine.groupby(coarse_keys, sort=False, observed=True)[list(SUMMARY_COLUMNS)]
        .sum()
        .reset_index()
    )
    for table, summary in ((RAW_ACTIVITY_SUMMARY, fine), (RAW_LINE_SUMMARY, coarse)):
        records = [
            {k: (int(v) if isinstance(v, np.integer) else v) for k, v in record.items()}
            for record in summary.to_dict("records")
        ]
        for start in range(0, len(records), CHUNK):
            session.execute(insert(table), records[start : start + CHUNK])


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
    frame = pd.DataFrame(
        result,
        columns=[
            "financial_year",
            "month",
            "provider_id",
            "commissioner_id",
            "service_line_id",
            "point_of_delivery",
            "reported_plan",
            "actual_activity",
            "actual_cost",
            "price",
        ],
    )
    session.execute(delete(RAW_ACTIVITY_SUMMARY))
    session.execute(delete(RAW_LINE_SUMMARY))
    if frame.empty:
        return 0
    frame["financial_year"] = frame["financial_year"].map(lambda fy: fy.start_year)
    frame["commissioner_id"] = frame["commissioner_id"].map(lambda i: lookups.successors.get(i, i))
    frame["reported_plan"] = frame["reported_plan"].fillna(0).astype("int64")
    missing_cost = frame["actual_cost"].isna()
    frame.loc[missing_cost, "actual_cost"] = (
        frame.loc[missing_cost, "actual_activity"]
        * frame.loc[missing_cost, "price"].fillna(0)
        / 100
    ).round()
    frame["actual_cost"] = frame["actual_cost"].astype("int64")
    frame["row_count"] = 1
    write_summaries(session, frame.drop(columns=["price"]))
    return len(frame)


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
]
