"""The whole Definitions Set to an xlsx workbook and back: a round trip changes nothing.

Each sheet keeps the record's id, so an import updates what it came from and adds rows
that have none; rows missing from the file are left alone. An import reports every problem
with its sheet, row and column and applies nothing until the whole file is clean.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, Problem
from app.models import (
    CommissioningResponsibility,
    Designation,
    DesignationStatus,
    Edition,
    FinancialYear,
    Organisation,
    ServiceCode,
    ServiceDefinition,
    ServiceReview,
    WorkProgrammeEntry,
)
from app.models.nds_rules import code_problem, designation_problem, normalise_code
from app.services.access import Area, require_write
from app.services.definition_editing import EDITABLE, problems_with
from app.services.designations import REVIEW_KINDS, REVIEW_STATUSES
from app.services.planning import work_categories
from app.services.spreadsheets import Sheet, read_sheets

DEFINITION_FIELDS = list(EDITABLE)


@dataclass
class SheetSpec:
    name: str
    headers: list[str]


SHEETS = [
    SheetSpec("Definitions", ["id", "Edition", "Number", "Parent", *DEFINITION_FIELDS]),
    SheetSpec("Codes", ["id", "Edition", "Number", "Scheme", "Code", "Description"]),
    SheetSpec(
        "Designations",
        ["id", "Service", "Provider code", "Starts", "Ends", "Status", "Notes"],
    ),
    SheetSpec(
        "Reviews",
        ["id", "Service", "Kind", "Status", "Lead", "Started", "Completed", "Findings"],
    ),
    SheetSpec("Work programme", ["id", "Year", "Service", "Category", "Criteria", "Notes"]),
    SheetSpec(
        "Commissioners",
        ["id", "Service", "Body code", "Lead commissioner", "Contact", "From", "To", "Reason"],
    ),
]


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return str(value) if isinstance(value, uuid.UUID | FinancialYear) else value


def export_workbook(session: Session, path: Path) -> None:
    """Write every edition's definitions and codes, and the designations, reviews, work
    programme and responsibilities, one sheet each."""
    from openpyxl import Workbook  # loaded when a workbook is written, not at start

    editions = list(session.scalars(select(Edition).order_by(Edition.created_at)))
    latest = editions[-1]
    definitions = list(
        session.scalars(
            select(ServiceDefinition)
            .where(ServiceDefinition.deleted_at.is_(None))
            .order_by(ServiceDefinition.position)
        )
    )
    label = {e.id: e.label for e in editions}
    current_code = {d.service_line_id: d.code for d in definitions if d.edition_id == latest.id}
    code_in = {(d.edition_id, d.service_line_id): d.code for d in definitions}
    by_id = {d.id: d for d in definitions}
    orgs = {o.id: o.code for o in session.scalars(select(Organisation))}
    rows: dict[str, list[list[Any]]] = {spec.name: [] for spec in SHEETS}
    for edition in editions:
        for d in (x for x in definitions if x.edition_id == edition.id):
            parent = code_in.get((edition.id, d.parent_line_id), "") if d.parent_line_id else ""
            rows["Definitions"].append(
                [d.id, edition.label, d.code, parent, *(getattr(d, f) for f in DEFINITION_FIELDS)]
            )
    for c in session.scalars(select(ServiceCode).where(ServiceCode.deleted_at.is_(None))):
        d = by_id[c.definition_id]
        rows["Codes"].append([c.id, label[d.edition_id], d.code, c.scheme, c.code, c.description])
    for g in session.scalars(select(Designation).where(Designation.deleted_at.is_(None))):
        rows["Designations"].append(
            [
                g.id,
                current_code.get(g.service_line_id, ""),
                orgs[g.provider_id],
                g.starts_on,
                g.ends_on,
                g.status,
                g.notes,
            ]
        )
    for r in session.scalars(select(ServiceReview).where(ServiceReview.deleted_at.is_(None))):
        rows["Reviews"].append(
            [
                r.id,
                current_code.get(r.service_line_id, ""),
                r.kind,
                r.status,
                r.lead,
                r.started_on,
                r.completed_on,
                r.findings,
            ]
        )
    categories = work_categories()
    for w in session.scalars(
        select(WorkProgrammeEntry).where(WorkProgrammeEntry.deleted_at.is_(None))
    ):
        rows["Work programme"].append(
            [
                w.id,
                w.financial_year,
                current_code.get(w.service_line_id, ""),
                categories[w.category - 1],
                w.criteria,
                w.notes,
            ]
        )
    for responsibility in session.scalars(
        select(CommissioningResponsibility).where(CommissioningResponsibility.deleted_at.is_(None))
    ):
        rows["Commissioners"].append(
            [
                responsibility.id,
                current_code.get(responsibility.service_line_id, ""),
                orgs[responsibility.body_id],
                responsibility.lead_commissioner,
                responsibility.lead_contact,
                responsibility.effective_from,
                responsibility.effective_to,
                responsibility.reason,
            ]
        )
    book = Workbook()
    book.remove(book.active)
    for spec in SHEETS:
        sheet = book.create_sheet(spec.name)
        sheet.append(spec.headers)
        for row in rows[spec.name]:
            sheet.append([_text(v) for v in row])
            for cell in sheet[sheet.max_row]:
                cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@dataclass
class ImportPlan:
    """What an import would change, worked out before anything is applied."""

    problems: list[Problem] = field(default_factory=list)
    actions: list[Callable[[], None]] = field(default_factory=list)
    changed: int = 0
    added: int = 0


def import_workbook(session: Session, path: Path, dry_run: bool = False) -> ImportPlan:
    """Bring a workbook made by `export_workbook` (or filled in by hand) back in."""
    require_write(session, Area.DEFINITIONS)
    sheets = {s.label.split("[", 1)[1].rstrip("]"): s for s in read_sheets(path, None)}
    plan = ImportPlan()
    context = _Context(session)
    for spec in SHEETS:
        sheet = sheets.get(spec.name)
        if sheet is None:
            continue
        missing = [h for h in spec.headers if h not in sheet.frame.columns]
        if missing:
            plan.problems.extend(
                Problem(sheet.label, 1, name, "this column is missing") for name in missing
            )
            continue
        handler = _HANDLERS[spec.name]
        for position, record in enumerate(sheet.frame.to_dict("records")):
            if not any(str(v).strip() for v in record.values()):
                continue
            handler(context, sheet, sheet.row_number(position), record, plan)
    if plan.problems:
        raise InputRejected(plan.problems)
    if not dry_run:
        for action in plan.actions:
            action()
        session.flush()
    return plan


class _Context:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.editions = {e.label: e for e in session.scalars(select(Edition))}
        self.latest = max(self.editions.values(), key=lambda e: e.created_at)
        self.definitions = {
            (d.edition_id, d.code): d
            for d in session.scalars(
                select(ServiceDefinition).where(ServiceDefinition.deleted_at.is_(None))
            )
        }
        self.organisations = {o.code: o for o in session.scalars(select(Organisation))}

    def line(self, code: str) -> uuid.UUID | None:
        definition = self.definitions.get((self.latest.id, code))
        return definition.service_line_id if definition else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _date(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _apply(plan: ImportPlan, record: Any, values: dict[str, Any], new: Callable[[], Any]) -> None:
    """Change only what differs, so a round trip leaves every record (and version) alone."""
    if record is None:
        plan.added += 1
        plan.actions.append(new)
        return
    differing = {k: v for k, v in values.items() if getattr(record, k) != v}
    if differing:
        plan.changed += 1

        def change() -> None:
            for name, value in differing.items():
                setattr(record, name, value)

        plan.actions.append(change)


def _existing(
    context: _Context, model: type, text: str, sheet: Sheet, row: int, plan: ImportPlan
) -> tuple[bool, Any]:
    if not text:
        return True, None
    key = _uuid(text)
    found = context.session.get(model, key) if key else None
    if found is None:
        plan.problems.append(Problem(sheet.label, row, "id", f"no record with id '{text}'"))
        return False, None
    return True, found


def _definitions(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, ServiceDefinition, record["id"], sheet, row, plan)
    if not ok:
        return
    if existing is None:
        plan.problems.append(
            Problem(
                sheet.label,
                row,
                "id",
                "new services are added in the application or with their own command; "
                "this sheet updates existing definitions",
            )
        )
        return
    values: dict[str, Any] = {}
    for name in DEFINITION_FIELDS:
        text = record[name]
        if name == "in_national_tariff":
            if text not in ("Yes", "No"):
                plan.problems.append(Problem(sheet.label, row, name, "write Yes or No"))
                return
            values[name] = text == "Yes"
        else:
            values[name] = text
    for problem in problems_with(context.session, values):
        plan.problems.append(Problem(sheet.label, row, problem.column, problem.message))
    if record["Number"] != existing.code:
        values["code"] = record["Number"]
    _apply(plan, existing, values, lambda: None)  # existing definitions only: see above


def _codes(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, ServiceCode, record["id"], sheet, row, plan)
    if not ok:
        return
    edition = context.editions.get(record["Edition"])
    if edition is None:
        plan.problems.append(
            Problem(sheet.label, row, "Edition", f"no edition '{record['Edition']}'")
        )
        return
    definition = context.definitions.get((edition.id, record["Number"]))
    if definition is None:
        plan.problems.append(
            Problem(
                sheet.label, row, "Number", f"no service '{record['Number']}' in {edition.label}"
            )
        )
        return
    problem = code_problem(record["Scheme"], record["Code"])
    if problem:
        plan.problems.append(Problem(sheet.label, row, "Code", problem))
        return
    values = {
        "definition_id": definition.id,
        "scheme": record["Scheme"],
        "code": normalise_code(record["Code"]),
        "description": record["Description"],
    }

    def new() -> ServiceCode:
        code = ServiceCode(**values)
        context.session.add(code)
        return code

    _apply(plan, existing, values, new)


def _designations(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, Designation, record["id"], sheet, row, plan)
    if not ok:
        return
    line = context.line(record["Service"])
    provider = context.organisations.get(record["Provider code"])
    problems = []
    if line is None:
        problems.append(Problem(sheet.label, row, "Service", f"no service '{record['Service']}'"))
    if provider is None:
        problems.append(
            Problem(
                sheet.label,
                row,
                "Provider code",
                f"no provider with code '{record['Provider code']}'",
            )
        )
    try:
        starts, ends = _date(record["Starts"]), _date(record["Ends"])
    except ValueError:
        problems.append(Problem(sheet.label, row, "Starts", "dates are written 2026-04-01"))
        starts = ends = None
    if starts is None or ends is None:
        problems.append(Problem(sheet.label, row, "Ends", "a designation needs both dates"))
    elif (problem := designation_problem(starts, ends)) is not None:
        problems.append(Problem(sheet.label, row, "Ends", problem))
    if record["Status"] not in DesignationStatus.ALL:
        problems.append(
            Problem(sheet.label, row, "Status", f"'{record['Status']}' is not a status")
        )
    if problems:
        plan.problems.extend(problems)
        return
    assert provider is not None
    values = {
        "service_line_id": line,
        "provider_id": provider.id,
        "starts_on": starts,
        "ends_on": ends,
        "status": record["Status"],
        "notes": record["Notes"],
    }

    def new() -> Designation:
        designation = Designation(**values)
        context.session.add(designation)
        return designation

    _apply(plan, existing, values, new)


def _reviews(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, ServiceReview, record["id"], sheet, row, plan)
    if not ok:
        return
    line = context.line(record["Service"])
    problems = []
    if line is None:
        problems.append(Problem(sheet.label, row, "Service", f"no service '{record['Service']}'"))
    if record["Kind"] not in REVIEW_KINDS:
        problems.append(
            Problem(sheet.label, row, "Kind", f"'{record['Kind']}' is not a kind of review")
        )
    if record["Status"] not in REVIEW_STATUSES:
        problems.append(
            Problem(sheet.label, row, "Status", f"'{record['Status']}' is not a status")
        )
    try:
        started, completed = _date(record["Started"]), _date(record["Completed"])
    except ValueError:
        problems.append(Problem(sheet.label, row, "Started", "dates are written 2026-04-01"))
        started = completed = None
    if problems:
        plan.problems.extend(problems)
        return
    values = {
        "service_line_id": line,
        "kind": record["Kind"],
        "status": record["Status"],
        "lead": record["Lead"],
        "started_on": started,
        "completed_on": completed,
        "findings": record["Findings"],
    }

    def new() -> ServiceReview:
        review = ServiceReview(**values)
        context.session.add(review)
        return review

    _apply(plan, existing, values, new)


def _work(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, WorkProgrammeEntry, record["id"], sheet, row, plan)
    if not ok:
        return
    problems = []
    line = context.line(record["Service"])
    if line is None:
        problems.append(Problem(sheet.label, row, "Service", f"no service '{record['Service']}'"))
    try:
        year = FinancialYear.parse(record["Year"])
    except ValueError as error:
        problems.append(Problem(sheet.label, row, "Year", str(error)))
        year = None
    categories = work_categories()
    if record["Category"] not in categories:
        problems.append(
            Problem(
                sheet.label,
                row,
                "Category",
                f"'{record['Category']}' is not one of " + ", ".join(categories),
            )
        )
    criteria = [c.strip() for c in record["Criteria"].split(",") if c.strip()]
    if any(not c.isdigit() or not 1 <= int(c) <= 9 for c in criteria):
        problems.append(
            Problem(sheet.label, row, "Criteria", "list criteria numbers 1 to 9, such as 1,4")
        )
    if problems:
        plan.problems.extend(problems)
        return
    values = {
        "financial_year": year,
        "service_line_id": line,
        "category": categories.index(record["Category"]) + 1,
        "criteria": ",".join(sorted(set(criteria), key=int)),
        "notes": record["Notes"],
    }

    def new() -> WorkProgrammeEntry:
        entry = WorkProgrammeEntry(**values)
        context.session.add(entry)
        return entry

    _apply(plan, existing, values, new)


def _commissioners(
    context: _Context, sheet: Sheet, row: int, record: dict[str, str], plan: ImportPlan
) -> None:
    ok, existing = _existing(context, CommissioningResponsibility, record["id"], sheet, row, plan)
    if not ok:
        return
    problems = []
    line = context.line(record["Service"])
    body = context.organisations.get(record["Body code"])
    if line is None:
        problems.append(Problem(sheet.label, row, "Service", f"no service '{record['Service']}'"))
    if body is None:
        problems.append(
            Problem(sheet.label, row, "Body code", f"no organisation '{record['Body code']}'")
        )
    try:
        starts, ends = _date(record["From"]), _date(record["To"])
    except ValueError:
        problems.append(Problem(sheet.label, row, "From", "dates are written 2026-04-01"))
        starts = ends = None
    if starts is None and not problems:
        problems.append(Problem(sheet.label, row, "From", "say from when"))
    if problems:
        plan.problems.extend(problems)
        return
    assert body is not None
    values = {
        "service_line_id": line,
        "body_id": body.id,
        "lead_commissioner": record["Lead commissioner"],
        "lead_contact": record["Contact"],
        "effective_from": starts,
        "effective_to": ends,
        "reason": record["Reason"],
    }

    def new() -> CommissioningResponsibility:
        entry = CommissioningResponsibility(**values)
        context.session.add(entry)
        return entry

    _apply(plan, existing, values, new)


_HANDLERS = {
    "Definitions": _definitions,
    "Codes": _codes,
    "Designations": _designations,
    "Reviews": _reviews,
    "Work programme": _work,
    "Commissioners": _commissioners,
}
