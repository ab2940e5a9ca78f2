"""Bring existing data in: providers, commissioners with their memberships, quality standards.

Each kind has an xlsx export, an empty template (the export's headers and a sheet of notes)
and an import. An import checks every row first and applies nothing unless every row is
clean, naming each problem as `FILE[SHEET]:ROW:COLUMN: message`, as the returns import does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, Problem
from app.models import (
    Contract,
    ContractLine,
    Frequency,
    Membership,
    Organisation,
    QualityResult,
    QualityStandard,
    Term,
    Vocabulary,
)
from app.services.access import Area, require_write
from app.services.monitoring import _names
from app.services.table_export import guard_cell, unguard_cell
from app.store.database import Database

NOTES = "Notes"


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of a workbook: its name, its columns and what each holds."""

    name: str
    columns: tuple[tuple[str, str], ...]  # header, what goes in it
    required: tuple[str, ...]
    optional_sheet: bool = False

    @property
    def headers(self) -> list[str]:
        return [header for header, _help in self.columns]


PROVIDERS = SheetSpec(
    "Providers",
    (
        ("Code", "the provider's organisation code, such as RX1"),
        ("Name", "the provider's name"),
        ("Kind", "NHS Trust, NHS Foundation Trust, Independent or Third sector"),
        ("Contact name", "optional"),
        ("Contact email", "optional"),
        ("Address", "optional"),
    ),
    ("Code", "Name", "Kind"),
)
COMMISSIONERS = SheetSpec(
    "Commissioners",
    (
        ("Code", "the PCT's organisation code"),
        ("Name", "the PCT's name"),
        ("Successor code", "the PCT that took this one over, when it merged"),
        ("Merged on", "the day of the merger (2006-10-01)"),
        ("Contact name", "optional"),
        ("Contact email", "optional"),
    ),
    ("Code", "Name"),
)
MEMBERSHIPS = SheetSpec(
    "Memberships",
    (
        ("Commissioner code", "a PCT of the Commissioners sheet or already known"),
        ("Group code", "the SCG or LSCG it is a member of"),
        ("Effective from", "the first day of the membership (2026-04-01)"),
        ("Effective to", "the last day, empty while it lasts"),
        ("Capitation share", "the weighted capitation share as a fraction (0.071234)"),
        ("Baseline allocation", "the baseline allocation in pounds"),
    ),
    ("Commissioner code", "Group code", "Effective from", "Capitation share",
     "Baseline allocation"),
    optional_sheet=True,
)  # fmt: skip
STANDARDS = SheetSpec(
    "Quality standards",
    (
        ("Contract", "the contract's reference"),
        ("Service line", "a Definitions Set code"),
        ("Point of delivery", "as on the contract line (may be empty)"),
        ("Standard", "what is measured"),
        ("Target", "the level to reach, such as 'under 5%'"),
        ("Frequency", "monthly or quarterly (at least quarterly)"),
    ),
    ("Contract", "Service line", "Standard", "Frequency"),
)
RESULTS = SheetSpec(
    "Results",
    (
        ("Contract", "the contract's reference"),
        ("Service line", "a Definitions Set code"),
        ("Point of delivery", "as on the contract line (may be empty)"),
        ("Standard", "a standard of the other sheet or already known"),
        ("Period", "2026/27 Q1 or 2026/27 M05"),
        ("Result", "the value measured"),
        ("Met", "yes, no, or empty when not judged"),
        ("Comment", "optional"),
    ),
    ("Contract", "Service line", "Standard", "Period"),
    optional_sheet=True,
)
PERIOD = re.compile(r"^\d{4}/\d{2} (Q[1-4]|M(0[1-9]|1[0-2]))$")


@dataclass(frozen=True)
class ExchangeReport:
    """What an import applied: rows read and records created or changed, per sheet."""

    file: str
    rows: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0


# Writing ---------------------------------------------------------------------------------


def _write(path: str | Path, sheets: Sequence[tuple[SheetSpec, list[list[Any]]]]) -> int:
    from openpyxl import Workbook  # loaded when a workbook is written, not at start

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    count = 0
    for spec, rows in sheets:
        sheet = book.create_sheet(spec.name)
        sheet.append(spec.headers)
        for row in rows:
            sheet.append([guard_cell(v) if isinstance(v, str) else v for v in row])
            count += 1
        for index, header in enumerate(spec.headers):
            letter = sheet.cell(row=1, column=index + 1).column_letter
            sheet.column_dimensions[letter].width = max(14, len(header) + 4)
    notes = book.create_sheet(NOTES)
    notes.append(["Sheet", "Column", "What goes in it", "Required"])
    for spec, _rows in sheets:
        for header, text in spec.columns:
            notes.append([spec.name, header, text, "yes" if header in spec.required else ""])
    book.save(path)
    return count


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_providers(database: Database, path: str | Path, template: bool = False) -> int:
    """Every provider, one a row; with `template`, the headers only."""
    rows = []
    if not template:
        with database.reader() as session:
            for org, kind in session.execute(
                select(Organisation, Term.name)
                .join(Term, Organisation.type_id == Term.id)
                .where(Term.category == "provider", Organisation.deleted_at.is_(None))
                .order_by(Organisation.code)
            ).unique():
                rows.append([org.code, org.name, _kind_label(kind), org.contact_name,
                             org.contact_email, org.address])  # fmt: skip
    return _write(path, [(PROVIDERS, rows)])


def export_commissioners(database: Database, path: str | Path, template: bool = False) -> int:
    """Every PCT, and every membership of a group with its share and baseline."""
    commissioners: list[list[Any]] = []
    memberships: list[list[Any]] = []
    if not template:
        with database.reader() as session:
            codes = dict(session.execute(select(Organisation.id, Organisation.code)).all())
            pcts = session.scalars(
                select(Organisation)
                .join(Term, Organisation.type_id == Term.id)
                .where(Term.category == "commissioner", Organisation.deleted_at.is_(None))
                .order_by(Organisation.code)
            ).unique()
            for org in pcts:
                commissioners.append(
                    [org.code, org.name, codes.get(org.successor_id, "") if org.successor_id
                     else "", _iso(org.merged_on), org.contact_name, org.contact_email]
                )  # fmt: skip
            for m in session.scalars(
                select(Membership)
                .where(Membership.deleted_at.is_(None))
                .order_by(Membership.effective_from)
            ):
                memberships.append(
                    [codes[m.member_id], codes[m.group_id], _iso(m.effective_from),
                     _iso(m.effective_to), float(m.capitation_share),
                     float(m.baseline_allocation)]
                )  # fmt: skip
        memberships.sort(key=lambda r: (r[0], r[2]))
    return _write(path, [(COMMISSIONERS, commissioners), (MEMBERSHIPS, memberships)])


def export_quality(database: Database, path: str | Path, template: bool = False) -> int:
    """Every quality standard of every contract line, and every result recorded."""
    standards: list[list[Any]] = []
    results: list[list[Any]] = []
    if not template:
        with database.reader() as session:
            names = _names(session)
            rows = session.execute(
                select(QualityStandard, ContractLine, Contract.reference)
                .join(ContractLine, QualityStandard.line_id == ContractLine.id)
                .join(Contract, ContractLine.contract_id == Contract.id)
                .where(QualityStandard.deleted_at.is_(None))
                .order_by(Contract.reference, QualityStandard.name)
            ).all()
            for standard, line, reference in rows:
                code = names.lines.get(line.service_line_id, ("?", ""))[0]
                where = [reference, code, line.point_of_delivery, standard.name]
                standards.append([*where, standard.target, standard.frequency])
                for result in session.scalars(
                    select(QualityResult)
                    .where(
                        QualityResult.standard_id == standard.id,
                        QualityResult.deleted_at.is_(None),
                    )
                    .order_by(QualityResult.period)
                ):
                    met = "" if result.met is None else ("yes" if result.met else "no")
                    results.append([*where, result.period, result.result, met, result.comment])
    return _write(path, [(STANDARDS, standards), (RESULTS, results)])


# Reading ---------------------------------------------------------------------------------


@dataclass
class _Row:
    """A row's cells by header, with the means to name a problem in it."""

    label: str
    number: int
    cells: dict[str, Any]
    problems: list[Problem]

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.label, self.number, column, message))

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return unguard_cell(str(value)).strip()

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.fail(column, "a value is required")
        return value

    def decimal(self, column: str, places: int) -> Decimal | None:
        text = self.text(column).replace(",", "").lstrip("£")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.fail(column, f"'{self.text(column)}' is not a number")
            return None
        if not value.is_finite():
            self.fail(column, f"'{self.text(column)}' is not a number")
            return None
        rounded = round(value, places)
        if rounded != value:
            # Spreadsheets store 0.1 as 0.1000000000000000055...: a float's noise is not data.
            if isinstance(self.cells.get(column), float) and abs(rounded - value) < Decimal("1e-9"):
                return rounded
            self.fail(column, f"{text} has more than {places} decimal places")
            return None
        return value

    def day(self, column: str) -> date | None:
        value = self.cells.get(column)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(column)
        if not text:
            return None
        for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
            try:
                return parse(text)
            except ValueError:
                continue
        self.fail(column, f"'{text}' is not a date such as 2026-04-01")
        return None


def _read(path: str | Path, specs: Sequence[SheetSpec]) -> dict[str, list[_Row]]:
    """Every non-empty row of each sheet; a missing sheet or column refuses the whole file."""
    from openpyxl import load_workbook  # loaded when a workbook is read, not at start

    path = Path(path)
    if not path.is_file():
        raise InputRejected([Problem(path.name, None, None, "no such file")])
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise InputRejected(
            [Problem(path.name, None, None, f"not a readable workbook ({error})")]
        ) from error
    problems: list[Problem] = []
    found: dict[str, list[_Row]] = {}
    try:
        for index, spec in enumerate(specs):
            if spec.name in book.sheetnames:
                sheet = book[spec.name]
            elif index == 0 and len(specs) == 1 and book.sheetnames:
                sheet = book.worksheets[0]
            elif spec.optional_sheet:
                found[spec.name] = []
                continue
            else:
                problems.append(
                    Problem(path.name, None, None, f"the sheet '{spec.name}' is missing")
                )
                continue
            label = f"{path.name}[{sheet.title}]"
            values = list(sheet.iter_rows(values_only=True))
            header = [
                str(h).strip() if h is not None else "" for h in (values[0] if values else ())
            ]
            missing = [h for h in spec.required if h not in header]
            for column in missing:
                problems.append(Problem(label, 1, column, f"required column '{column}' is missing"))
            if missing:
                continue
            positions = {h: header.index(h) for h in spec.headers if h in header}
            rows = []
            for number, cells in enumerate(values[1:], start=2):
                if all(v is None or str(v).strip() == "" for v in cells):
                    continue
                rows.append(
                    _Row(label, number,
                         {h: cells[i] if i < len(cells) else None for h, i in positions.items()},
                         problems)
                )  # fmt: skip
            found[spec.name] = rows
    finally:
        book.close()
    if problems:
        raise InputRejected(problems)
    return found


def _apply(
    database: Database,
    path: str | Path,
    specs: Sequence[SheetSpec],
    work: Callable[[Session, str, dict[str, list[_Row]], list[Problem]], tuple[int, int]],
) -> ExchangeReport:
    """Read, then check and apply in one transaction that rolls back on any problem."""
    sheets = _read(path, specs)
    problems = next((row.problems for rows in sheets.values() for row in rows), [])
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        created, updated = work(session, user, sheets, problems)
        if problems:
            session.rollback()
            raise InputRejected(sorted(problems, key=_order(specs)))
    return ExchangeReport(
        Path(path).name, {name: len(rows) for name, rows in sheets.items()}, created, updated
    )


def _order(specs: Sequence[SheetSpec]) -> Callable[[Problem], tuple[int, int, str]]:
    names = [spec.name for spec in specs]

    def key(problem: Problem) -> tuple[int, int, str]:
        sheet = next((i for i, n in enumerate(names) if f"[{n}]" in problem.file), 0)
        return (sheet, problem.row or 0, problem.column or "")

    return key


def _duplicates(rows: list[_Row], key: Callable[[_Row], tuple[str, ...]]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for row in rows:
        value = key(row)
        if all(value) and value in seen:
            row.fail("", f"duplicate of row {seen[value]}")
        seen.setdefault(value, row.number)


# Providers ---------------------------------------------------------------------------------


def _kind_label(name: str) -> str:
    return {
        "Independent sector provider": "Independent",
        "Third sector provider": "Third sector",
    }.get(name, name)


def _kinds(session: Session, category: str) -> dict[str, uuid.UUID]:
    """Term names, labels and codes of an organisation category, in lower case."""
    kinds: dict[str, uuid.UUID] = {}
    for term in session.scalars(
        select(Term).where(
            Term.vocabulary == Vocabulary.ORGANISATION_TYPE, Term.category == category
        )
    ):
        for alias in (term.code, term.name, _kind_label(term.name)):
            kinds[alias.lower()] = term.id
    return kinds


def _organisations(session: Session) -> dict[str, tuple[Organisation, str]]:
    return {
        org.code: (org, category)
        for org, category in session.execute(
            select(Organisation, Term.category).join(Term, Organisation.type_id == Term.id)
        ).unique()
    }


def import_providers(database: Database, path: str | Path) -> ExchangeReport:
    """Add or update providers by code; all rows or none."""

    def work(
        session: Session, user: str, sheets: dict[str, list[_Row]], problems: list[Problem]
    ) -> tuple[int, int]:
        rows = sheets[PROVIDERS.name]
        kinds = _kinds(session, "provider")
        known = _organisations(session)
        _duplicates(rows, lambda r: (r.text("Code").upper(),))
        created = updated = 0
        for row in rows:
            code, name, kind = row.required("Code"), row.required("Name"), row.required("Kind")
            if kind and kind.lower() not in kinds:
                row.fail("Kind", f"'{kind}' is not one of NHS Trust, NHS Foundation Trust, "
                                 "Independent, Third sector")  # fmt: skip
            if code and code in known and known[code][1] != "provider":
                row.fail("Code", f"{code} is already a {known[code][1]}, not a provider")
            if problems or not (code and name):
                continue
            org = known[code][0] if code in known else None
            if org is None:
                org = Organisation(id=uuid.uuid4(), code=code, created_by=user)
                session.add(org)
                created += 1
            else:
                updated += 1
            org.name, org.type_id, org.updated_by = name, kinds[kind.lower()], user
            org.contact_name = row.text("Contact name")
            org.contact_email = row.text("Contact email")
            org.address = row.text("Address")
        return created, updated

    return _apply(database, path, [PROVIDERS], work)


# Commissioners -----------------------------------------------------------------------------


def import_commissioners(database: Database, path: str | Path) -> ExchangeReport:
    """Add or update PCTs by code, and their memberships with shares and baselines.

    The Memberships sheet is the whole history of each commissioner it names: memberships of
    those commissioners that the sheet no longer holds are removed.
    """

    def work(
        session: Session, user: str, sheets: dict[str, list[_Row]], problems: list[Problem]
    ) -> tuple[int, int]:
        rows, members = sheets[COMMISSIONERS.name], sheets.get(MEMBERSHIPS.name, [])
        pct = next(iter(_kinds(session, "commissioner").values()), None)
        known = _organisations(session)
        _duplicates(rows, lambda r: (r.text("Code").upper(),))
        in_file = {r.text("Code") for r in rows if r.text("Code")}
        created = updated = 0
        parsed: dict[str, tuple[_Row, str, date | None]] = {}
        for row in rows:
            code, name = row.required("Code"), row.required("Name")
            if code in known and known[code][1] != "commissioner":
                row.fail("Code", f"{code} is already a {known[code][1]}, not a commissioner")
            successor = row.text("Successor code")
            if successor and successor == code:
                row.fail("Successor code", "an organisation cannot succeed itself")
            elif successor and successor not in in_file and successor not in known:
                row.fail("Successor code", f"unknown organisation '{successor}'")
            merged_on = row.day("Merged on")
            if merged_on and not successor:
                row.fail("Merged on", "a merger needs the successor's code")
            if code and name:
                parsed[code] = (row, successor, merged_on)
        memberships: list[tuple[_Row, str, str, date, date | None, Decimal, Decimal]] = []
        for row in members:
            member, group = row.required("Commissioner code"), row.required("Group code")
            if member and member not in in_file and member not in known:
                row.fail("Commissioner code", f"unknown commissioner '{member}'")
            elif member in known and member not in in_file and known[member][1] != "commissioner":
                row.fail("Commissioner code", f"{member} is a {known[member][1]}")
            if group and group not in known:
                row.fail("Group code", f"unknown organisation '{group}'")
            elif group and known[group][1] != "commissioning group":
                row.fail("Group code", f"{group} is not a commissioning group")
            starts, ends = row.day("Effective from"), row.day("Effective to")
            if not row.text("Effective from"):
                row.fail("Effective from", "a value is required")
            if starts and ends and ends < starts:
                row.fail("Effective to", "the membership cannot end before it starts")
            share = row.decimal("Capitation share", 6)
            if share is None and not row.text("Capitation share"):
                row.fail("Capitation share", "a value is required")
            elif share is not None and not Decimal(0) <= share <= Decimal(1):
                row.fail("Capitation share", f"{share} is not a fraction between 0 and 1")
            baseline = row.decimal("Baseline allocation", 2)
            if baseline is None and not row.text("Baseline allocation"):
                row.fail("Baseline allocation", "a value is required")
            elif baseline is not None and baseline < 0:
                row.fail("Baseline allocation", f"cannot be negative ({baseline})")
            if member and group and starts and share is not None and baseline is not None:
                memberships.append((row, member, group, starts, ends, share, baseline))
        by_pair: dict[tuple[str, str], list[tuple[date, date | None, int]]] = {}
        for row, member, group, starts, ends, _s, _b in memberships:
            for other_start, other_end, number in by_pair.get((member, group), []):
                if starts <= (other_end or date.max) and other_start <= (ends or date.max):
                    row.fail("Effective from", f"overlaps the membership of row {number}")
                    break
            by_pair.setdefault((member, group), []).append((starts, ends, row.number))
        if problems:
            return 0, 0
        assert pct is not None
        for code, (row, _successor, merged_on) in parsed.items():
            org = known[code][0] if code in known else None
            if org is None:
                org = Organisation(id=uuid.uuid4(), code=code, type_id=pct, created_by=user)
                session.add(org)
                known[code] = (org, "commissioner")
                created += 1
            else:
                updated += 1
            org.name, org.merged_on, org.updated_by = row.text("Name"), merged_on, user
            org.contact_name = row.text("Contact name")
            org.contact_email = row.text("Contact email")
        session.flush()
        for code, (_row, successor, _merged) in parsed.items():
            known[code][0].successor_id = known[successor][0].id if successor else None
        named = {member for _r, member, *_rest in memberships}
        existing = {
            (m.member_id, m.group_id, m.effective_from): m
            for m in session.scalars(select(Membership).where(Membership.deleted_at.is_(None)))
        }
        kept = set()
        for _row, member, group, starts, ends, share, baseline in memberships:
            key = (known[member][0].id, known[group][0].id, starts)
            record = existing.get(key)
            if record is None:
                record = Membership(id=uuid.uuid4(), member_id=key[0], group_id=key[1],
                                    effective_from=starts, created_by=user)  # fmt: skip
                session.add(record)
                created += 1
            else:
                updated += 1
            kept.add(key)
            record.effective_to, record.capitation_share = ends, share
            record.baseline_allocation, record.updated_by = baseline, user
        ids = {known[code][0].id for code in named}
        for key, record in existing.items():
            if key[0] in ids and key not in kept:
                session.delete(record)
        return created, updated

    return _apply(database, path, [COMMISSIONERS, MEMBERSHIPS], work)


def _standard_key(row: _Row) -> tuple[str, ...]:
    return (row.text("Contract"), row.text("Service line"), row.text("Point of delivery"),
            row.text("Standard").lower())  # fmt: skip


# Quality standards -------------------------------------------------------------------------


def import_quality(database: Database, path: str | Path) -> ExchangeReport:
    """Add or update quality standards by contract line and name, and their results."""

    def work(
        session: Session, user: str, sheets: dict[str, list[_Row]], problems: list[Problem]
    ) -> tuple[int, int]:
        names = _names(session)
        lines = {
            (reference, names.lines.get(line.service_line_id, ("?", ""))[0],
             line.point_of_delivery): line
            for line, reference in session.execute(
                select(ContractLine, Contract.reference)
                .join(Contract)
                .where(ContractLine.deleted_at.is_(None), Contract.deleted_at.is_(None))
            ).all()
        }  # fmt: skip
        standards = {
            (s.line_id, s.name.lower()): s
            for s in session.scalars(
                select(QualityStandard).where(QualityStandard.deleted_at.is_(None))
            )
        }

        def line_of(row: _Row) -> ContractLine | None:
            reference = row.required("Contract")
            code = row.required("Service line")
            point = row.text("Point of delivery")
            if not (reference and code):
                return None
            line = lines.get((reference, code, point))
            if line is None:
                if not any(key[0] == reference for key in lines):
                    row.fail("Contract", f"no contract has the reference '{reference}'")
                elif code not in names.line_by_code:
                    row.fail("Service line", f"unknown service line '{code}'")
                else:
                    row.fail("Service line", f"{reference} has no line {code} {point}".rstrip())
            return line

        rows = sheets[STANDARDS.name]
        _duplicates(rows, _standard_key)
        new_standards: list[tuple[ContractLine, _Row]] = []
        for row in rows:
            line = line_of(row)
            row.required("Standard")
            frequency = row.required("Frequency").lower()
            if frequency and frequency not in Frequency.ALL:
                row.fail("Frequency", f"'{row.text('Frequency')}' is too rare or unknown: "
                                      f"{' or '.join(Frequency.ALL)}")  # fmt: skip
            if line is not None and row.text("Standard"):
                new_standards.append((line, row))
        in_file = {(line.id, row.text("Standard").lower()) for line, row in new_standards}
        results: list[tuple[ContractLine, _Row, bool | None]] = []
        for row in sheets.get(RESULTS.name, []):
            line = line_of(row)
            name = row.required("Standard")
            period = row.required("Period")
            if period and not PERIOD.match(period):
                row.fail("Period", f"'{period}' is not a period such as 2026/27 Q1 or 2026/27 M05")
            met_text = row.text("Met").lower()
            met = {"yes": True, "y": True, "no": False, "n": False, "": None}.get(met_text, False)
            if met_text not in ("yes", "y", "no", "n", ""):
                row.fail("Met", f"'{row.text('Met')}' is not yes, no or empty")
            if line is not None and name:
                key = (line.id, name.lower())
                if key not in standards and key not in in_file:
                    row.fail("Standard", f"no standard '{name}' on this line")
                results.append((line, row, met))
        _duplicates(sheets.get(RESULTS.name, []), lambda r: (
            r.text("Contract"), r.text("Service line"), r.text("Point of delivery"),
            r.text("Standard").lower(), r.text("Period")))  # fmt: skip
        if problems:
            return 0, 0
        created = updated = 0
        for line, row in new_standards:
            key = (line.id, row.text("Standard").lower())
            standard = standards.get(key)
            if standard is None:
                standard = QualityStandard(id=uuid.uuid4(), line=line, created_by=user)
                session.add(standard)
                standards[key] = standard
                created += 1
            else:
                updated += 1
            standard.name, standard.target = row.text("Standard"), row.text("Target")
            standard.frequency, standard.updated_by = row.text("Frequency").lower(), user
        session.flush()
        for line, row, met in results:
            standard = standards[(line.id, row.text("Standard").lower())]
            record = session.scalar(
                select(QualityResult).where(
                    QualityResult.standard_id == standard.id,
                    QualityResult.period == row.text("Period"),
                )
            )
            if record is None:
                record = QualityResult(
                    id=uuid.uuid4(), standard_id=standard.id, period=row.text("Period"),
                    created_by=user,
                )  # fmt: skip
                session.add(record)
                created += 1
            else:
                updated += 1
            record.result, record.met = row.text("Result"), met
            record.comment, record.updated_by = row.text("Comment"), user
        return created, updated

    return _apply(database, path, [STANDARDS, RESULTS], work)


# The kinds, by name, for the command line and the window ---------------------------------


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    export: Callable[..., int]
    load: Callable[[Database, str | Path], Any]


def kinds() -> list[Kind]:
    """Everything that can be brought in, including contracts with their plans."""
    from app.services import contracts

    def contracts_export(database: Database, path: str | Path, template: bool = False) -> int:
        return contracts.export_contracts(database, path, template=template)

    return [
        Kind("contracts", "Contracts with their monthly plans", contracts_export,
             contracts.import_contracts),
        Kind("providers", "Providers", export_providers, import_providers),
        Kind("commissioners", "Commissioners with shares and baselines", export_commissioners,
             import_commissioners),
        Kind("quality", "Quality standards and results", export_quality, import_quality),
    ]  # fmt: skip


__all__ = [
    "ExchangeReport",
    "Kind",
    "export_commissioners",
    "export_providers",
    "export_quality",
    "import_commissioners",
    "import_providers",
    "import_quality",
    "kinds",
]
