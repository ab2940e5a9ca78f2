"""Contracts: the list, and their exchange with spreadsheets (lines and monthly plans)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.errors import InputRejected, Problem
from app.models import (
    Contract,
    ContractLine,
    ContractStatus,
    Edition,
    FinancialYear,
    Organisation,
    PlannedActivity,
    ServiceDefinition,
    Term,
    Vocabulary,
)
from app.models.financial_year import MONTH_NAMES
from app.services.access import Area, require_write
from app.services.table_export import unguard_cell
from app.services.year_end import is_overdue
from app.store.database import Database

SHEET = "Contract lines"
MONTH_HEADERS = [f"Plan {name}" for name in MONTH_NAMES]
HEADERS = ["Reference", "Provider code", "Host code", "Financial year", "Status",
           "Service line", "Point of delivery", "Price", "Margin", *MONTH_HEADERS]  # fmt: skip
# Plans may be ranges (000 §2.63 of 004): optional columns, empty where the plan is a figure.
MINIMUM_HEADERS = [f"Minimum {name}" for name in MONTH_NAMES]
MAXIMUM_HEADERS = [f"Maximum {name}" for name in MONTH_NAMES]
RANGE_HEADERS = [*MINIMUM_HEADERS, *MAXIMUM_HEADERS]


@dataclass(frozen=True)
class ContractRow:
    """A contract as the list shows it."""

    id: uuid.UUID
    reference: str
    provider: str
    provider_name: str
    host: str
    financial_year: str
    status: str
    overdue: bool
    agreed_on: date | None
    expected_value: Decimal
    lines: int


def list_contracts(
    database: Database, year: FinancialYear | None, as_of: date
) -> list[ContractRow]:
    """The contracts (of a year), with their provider, host and number of lines: read as
    plain columns in one query, since every Contracts page lists them."""
    provider, host = aliased(Organisation), aliased(Organisation)
    lines = (
        select(func.count(ContractLine.id))
        .where(ContractLine.contract_id == Contract.id, ContractLine.deleted_at.is_(None))
        .correlate(Contract)
        .scalar_subquery()
    )
    query = (
        select(
            Contract.id,
            Contract.reference,
            provider.code,
            provider.name,
            host.code,
            Contract.financial_year,
            Contract.status,
            Contract.agreed_on,
            Contract.expected_value,
            lines,
        )
        .join(provider, provider.id == Contract.provider_id)
        .join(host, host.id == Contract.host_id)
        .where(Contract.deleted_at.is_(None))
        .order_by(Contract.reference)
    )
    if year is not None:
        query = query.where(Contract.financial_year == year)
    with database.reader() as session:
        return [
            ContractRow(
                id=identity,
                reference=reference,
                provider=provider_code,
                provider_name=provider_name,
                host=host_code,
                financial_year=str(financial_year),
                status=status,
                overdue=is_overdue(status, financial_year, as_of),
                agreed_on=agreed_on,
                expected_value=expected_value,
                lines=int(count or 0),
            )
            for (identity, reference, provider_code, provider_name, host_code, financial_year,
                 status, agreed_on, expected_value, count) in session.execute(query)
        ]  # fmt: skip


def contract_years(database: Database) -> list[FinancialYear]:
    """The financial years that have contracts, oldest first."""
    with database.reader() as session:
        return sorted(
            set(
                session.scalars(
                    select(Contract.financial_year).where(Contract.deleted_at.is_(None))
                )
            )
        )


def _codes(session: Session) -> dict[uuid.UUID, str]:
    result: dict[uuid.UUID, str] = {}
    for code, line_id in session.execute(
        select(ServiceDefinition.code, ServiceDefinition.service_line_id)
        .join(Edition)
        .order_by(Edition.published_on.asc().nulls_first(), Edition.label)
    ):
        result[line_id] = code
    return result


def export_contracts(
    database: Database,
    path: str | Path,
    year: FinancialYear | None = None,
    template: bool = False,
) -> int:
    """Write every contract line with its plan, one row a line; a template has no rows."""
    from openpyxl import Workbook  # loaded when a workbook is written, not at start

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([*HEADERS, *RANGE_HEADERS])
    count = 0
    if template:
        book.save(path)
        return 0
    with database.reader() as session:
        codes = _codes(session)
        query = select(Contract).where(Contract.deleted_at.is_(None)).order_by(Contract.reference)
        if year is not None:
            query = query.where(Contract.financial_year == year)
        for contract in session.scalars(query).unique():
            for line in contract.lines:
                plan = {p.month: p.activity for p in line.plan}
                low = {p.month: p.minimum for p in line.plan}
                high = {p.month: p.maximum for p in line.plan}
                months = [FinancialYear.calendar_month(i) for i in range(1, 13)]
                sheet.append(
                    [contract.reference, contract.provider.code, contract.host.code,
                     str(contract.financial_year), contract.status, codes[line.service_line_id],
                     line.point_of_delivery, float(line.price), float(line.margin),
                     *(float(plan.get(m, 0)) for m in months),
                     *(_optional(low.get(m)) for m in months),
                     *(_optional(high.get(m)) for m in months)]
                )  # fmt: skip
                count += 1
    book.save(path)
    return count


def _optional(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _decimal(text: object, places: int) -> Decimal:
    value = Decimal(str(text).strip().replace(",", "").lstrip("£"))
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{text} has more than {places} decimal places")
    return value


def import_contracts(database: Database, path: str | Path) -> int:
    """Create or replace the contracts in a workbook, all of them or none; lines count."""
    from openpyxl import load_workbook  # loaded when a workbook is read, not at start

    path = Path(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise InputRejected(
            [Problem(path.name, None, None, f"not a readable workbook ({error})")]
        ) from error
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    label = f"{path.name}[{sheet.title}]"
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        raise InputRejected([Problem(label, 1, None, "the sheet is empty")])
    header = [str(h or "").strip() for h in rows[0]]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        raise InputRejected(
            [Problem(label, 1, h, f"required column '{h}' is missing") for h in missing]
        )
    position = {h: header.index(h) for h in [*HEADERS, *RANGE_HEADERS] if h in header}
    problems: list[Problem] = []
    parsed: list[tuple[int, dict[str, object]]] = []
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        organisations = dict(session.execute(select(Organisation.code, Organisation.id)).all())
        lines = {code: line for line, code in _codes(session).items()}
        points = set(
            session.scalars(
                select(Term.code).where(
                    Term.vocabulary == Vocabulary.POINT_OF_DELIVERY, Term.deleted_at.is_(None)
                )
            )
        )
        seen: dict[tuple[str, str, str], int] = {}
        for number, values in enumerate(rows[1:], start=2):
            if all(v in (None, "") for v in values):
                continue
            cell = {h: values[i] if i < len(values) else None for h, i in position.items()}
            text = {
                h: unguard_cell(str(v)).strip() if v is not None else "" for h, v in cell.items()
            }
            record: dict[str, object] = {}

            def fail(column: str, message: str, number: int = number) -> None:
                problems.append(Problem(label, number, column, message))

            for column in ("Reference", "Provider code", "Host code", "Service line"):
                if not text[column]:
                    fail(column, "a value is required")
            for column in ("Provider code", "Host code"):
                if text[column] and text[column] not in organisations:
                    fail(column, f"unknown organisation '{text[column]}'")
            if text["Service line"] and text["Service line"] not in lines:
                fail("Service line", f"unknown service line '{text['Service line']}'")
            if text["Point of delivery"] and text["Point of delivery"] not in points:
                fail(
                    "Point of delivery", f"unknown point of delivery '{text['Point of delivery']}'"
                )
            status = text["Status"] or ContractStatus.DRAFT
            if status not in ContractStatus.ALL:
                fail("Status", f"'{status}' is not one of {', '.join(ContractStatus.ALL)}")
            try:
                record["year"] = FinancialYear.parse(text["Financial year"])
            except ValueError as error:
                fail("Financial year", str(error))
            for column, places in (("Price", 2), ("Margin", 6), *((m, 2) for m in MONTH_HEADERS)):
                try:
                    value = _decimal(text[column] or "0", places)
                except (InvalidOperation, ValueError) as error:
                    message = str(error) if isinstance(error, ValueError) else ""
                    fail(column, message or f"'{text[column]}' is not a number")
                    continue
                if value < 0:
                    fail(column, f"cannot be negative ({value})")
                record[column] = value
            for index, (low_h, high_h) in enumerate(
                zip(MINIMUM_HEADERS, MAXIMUM_HEADERS, strict=True)
            ):
                bounds: list[Decimal | None] = []
                for column in (low_h, high_h):
                    if not text.get(column):
                        bounds.append(None)
                        continue
                    try:
                        bound = _decimal(text[column], 2)
                    except (InvalidOperation, ValueError) as error:
                        message = str(error) if isinstance(error, ValueError) else ""
                        fail(column, message or f"'{text[column]}' is not a number")
                        bounds.append(None)
                        continue
                    if bound < 0:
                        fail(column, f"cannot be negative ({bound})")
                    bounds.append(bound)
                low, high = bounds
                planned = record.get(MONTH_HEADERS[index])
                if low is not None and isinstance(planned, Decimal) and low > planned:
                    fail(low_h, f"the minimum {low} is above the plan {planned}")
                if high is not None and isinstance(planned, Decimal) and high < planned:
                    fail(high_h, f"the maximum {high} is below the plan {planned}")
                record[low_h], record[high_h] = low, high
            key = (text["Reference"], text["Service line"], text["Point of delivery"])
            if key in seen:
                fail("", f"duplicate of row {seen[key]}")
            seen[key] = number
            record.update(text=text, status=status)
            parsed.append((number, record))
        if problems:
            raise InputRejected(problems)
        by_reference: dict[str, Contract] = {}
        for _number, record in parsed:
            text = record["text"]  # type: ignore[assignment]
            assert isinstance(text, dict)
            reference = text["Reference"]
            contract = by_reference.get(reference)
            if contract is None:
                contract = session.scalar(select(Contract).where(Contract.reference == reference))
                if contract is None:
                    contract = Contract(id=uuid.uuid4(), reference=reference, created_by=user)
                    session.add(contract)
                else:
                    for old in list(contract.lines):
                        for planned in list(old.plan):
                            session.delete(planned)
                        session.delete(old)
                    session.flush()
                contract.provider_id = organisations[text["Provider code"]]
                contract.host_id = organisations[text["Host code"]]
                contract.financial_year = record["year"]  # type: ignore[assignment]
                contract.status = str(record["status"])
                contract.updated_by = user
                contract.expected_value = Decimal(0)
                by_reference[reference] = contract
            line = ContractLine(
                contract=contract,
                service_line_id=lines[text["Service line"]],
                point_of_delivery=text["Point of delivery"],
                price=record["Price"],
                margin=record["Margin"],
                created_by=user,
                updated_by=user,
            )
            session.add(line)
            for index, column in enumerate(MONTH_HEADERS, start=1):
                activity = record[column]
                assert isinstance(activity, Decimal)
                session.add(
                    PlannedActivity(
                        line=line,
                        month=FinancialYear.calendar_month(index),
                        activity=activity,
                        minimum=record[MINIMUM_HEADERS[index - 1]],
                        maximum=record[MAXIMUM_HEADERS[index - 1]],
                        created_by=user,
                        updated_by=user,
                    )
                )
                contract.expected_value += activity * line.price
        return len(parsed)
