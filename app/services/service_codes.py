"""ICD-10 and OPCS-4 codes of service lines: adding, importing from a file, finding."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, Problem
from app.models import Edition, ServiceCode, ServiceDefinition
from app.models.base import utc_now
from app.models.nds_rules import SCHEMES, code_problem, normalise_code
from app.services.access import Area, require_write
from app.services.definitions import edition_by_label
from app.services.editions import definition_by_code


@dataclass(frozen=True)
class CodeRow:
    id: object
    scheme: str
    code: str
    description: str


@dataclass(frozen=True)
class CodeMatch:
    """A service line that holds a code (or its category)."""

    id: object
    code: str
    scheme: str
    service_code: str
    service_name: str
    edition: str


def _edition(session: Session, label: str | None) -> Edition:
    try:
        return edition_by_label(session, label)
    except LookupError as error:
        raise InputRejected(str(error)) from error


def codes_of(session: Session, line_code: str, edition: str | None = None) -> list[CodeRow]:
    definition = definition_by_code(session, _edition(session, edition), line_code)
    return [
        CodeRow(c.id, c.scheme, c.code, c.description)
        for c in session.scalars(
            select(ServiceCode)
            .where(ServiceCode.definition_id == definition.id, ServiceCode.deleted_at.is_(None))
            .order_by(ServiceCode.scheme, ServiceCode.code)
        )
    ]


def add_code(
    session: Session,
    line_code: str,
    scheme: str,
    code: str,
    description: str = "",
    edition: str | None = None,
) -> None:
    require_write(session, Area.DEFINITIONS)
    definition = definition_by_code(session, _edition(session, edition), line_code)
    problem = code_problem(scheme, code)
    if problem:
        raise InputRejected([Problem("", None, "code", problem)])
    code = normalise_code(code)
    if any(
        row.scheme == scheme and row.code == code for row in codes_of(session, line_code, edition)
    ):
        raise InputRejected(
            [Problem("", None, "code", f"{scheme} {code} is already on {line_code}")]
        )
    _put(
        session,
        ServiceCode(
            definition_id=definition.id, scheme=scheme, code=code, description=description.strip()
        ),
    )
    session.flush()


def remove_code(
    session: Session, line_code: str, scheme: str, code: str, edition: str | None = None
) -> None:
    require_write(session, Area.DEFINITIONS)
    definition = definition_by_code(session, _edition(session, edition), line_code)
    found = session.scalars(
        select(ServiceCode).where(
            ServiceCode.definition_id == definition.id,
            ServiceCode.scheme == scheme,
            ServiceCode.code == normalise_code(code),
            ServiceCode.deleted_at.is_(None),
        )
    ).first()
    if found is None:
        raise InputRejected(f"{scheme} {code} is not on {line_code}")
    found.deleted_at = utc_now()  # soft, so that the deletion can travel to other copies
    session.flush()


def import_codes(session: Session, path: Path, line_code: str, edition: str | None = None) -> int:
    """Add the codes listed in a CSV or xlsx file (columns Scheme, Code, Description) to a
    line; every problem is reported with its row and nothing is applied unless all are clean."""
    from app.services.spreadsheets import column, read_sheets, require_columns

    require_write(session, Area.DEFINITIONS)
    definition = definition_by_code(session, _edition(session, edition), line_code)
    existing = {(row.scheme, row.code) for row in codes_of(session, line_code, edition)}
    problems: list[Problem] = []
    new: list[ServiceCode] = []
    seen: dict[tuple[str, str], int] = {}
    for sheet in read_sheets(path, None)[:1]:
        missing = require_columns(sheet, ["Scheme", "Code"])
        if missing:
            raise InputRejected(missing)
        scheme_column, code_column = column(sheet, "Scheme"), column(sheet, "Code")
        has_description = any(c.casefold() == "description" for c in sheet.frame.columns)
        for position, record in enumerate(sheet.frame.to_dict("records")):
            row = sheet.row_number(position)
            scheme = _scheme(str(record[scheme_column]))
            raw = str(record[code_column])
            if not scheme:
                problems.append(
                    Problem(
                        sheet.label,
                        row,
                        scheme_column,
                        f"'{record[scheme_column]}' is not a scheme: use {' or '.join(SCHEMES)}",
                    )
                )
                continue
            problem = code_problem(scheme, raw)
            if problem:
                problems.append(Problem(sheet.label, row, code_column, problem))
                continue
            key = (scheme, normalise_code(raw))
            if key in seen:
                problems.append(
                    Problem(
                        sheet.label,
                        row,
                        code_column,
                        f"duplicate of row {seen[key]}: {scheme} {key[1]}",
                    )
                )
                continue
            if key in existing:
                problems.append(
                    Problem(
                        sheet.label,
                        row,
                        code_column,
                        f"{scheme} {key[1]} is already on {line_code}",
                    )
                )
                continue
            seen[key] = row
            description = str(record[column(sheet, "Description")]) if has_description else ""
            new.append(
                ServiceCode(
                    definition_id=definition.id, scheme=scheme, code=key[1], description=description
                )
            )
        if not new and not problems:
            problems.append(Problem(sheet.label, None, None, "holds no codes"))
    if problems:
        raise InputRejected(problems)
    for code in new:
        _put(session, code)
    session.flush()
    return len(new)


def _put(session: Session, code: ServiceCode) -> None:
    """Add a code, bringing back a deleted one rather than adding it twice."""
    deleted = session.scalars(
        select(ServiceCode).where(
            ServiceCode.definition_id == code.definition_id,
            ServiceCode.scheme == code.scheme,
            ServiceCode.code == code.code,
            ServiceCode.deleted_at.is_not(None),
        )
    ).first()
    if deleted is None:
        session.add(code)
    else:
        deleted.deleted_at = None
        deleted.description = code.description


def _scheme(text: str) -> str:
    compact = text.strip().upper().replace(" ", "").replace("-", "")
    return {"ICD10": "ICD-10", "OPCS4": "OPCS-4", "OPCS": "OPCS-4", "ICD": "ICD-10"}.get(
        compact, ""
    )


def find_code(session: Session, code: str, edition: str | None = None) -> list[CodeMatch]:
    """The service lines a code belongs to: the code itself, its category, or its sub-codes."""
    wanted = normalise_code(code)
    category = wanted.split(".")[0]
    chosen = _edition(session, edition)
    rows = session.execute(
        select(ServiceCode, ServiceDefinition)
        .join(ServiceDefinition, ServiceDefinition.id == ServiceCode.definition_id)
        .where(
            ServiceDefinition.edition_id == chosen.id,
            ServiceCode.deleted_at.is_(None),
            ServiceCode.code.like(f"{category}%"),
        )
        .order_by(ServiceDefinition.position)
    ).all()
    matches = []
    for service_code, definition in rows:
        held = service_code.code
        if held in (wanted, category) or held.startswith(wanted + "."):
            matches.append(
                CodeMatch(
                    service_code.id,
                    held,
                    service_code.scheme,
                    definition.code,
                    definition.title,
                    chosen.label,
                )
            )
    return matches
