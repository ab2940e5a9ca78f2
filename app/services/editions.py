"""Editions of the Definitions Set: a new one starts as a copy; services are added, retired,
renumbered; any two can be compared."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound
from app.models import Edition, LineKind, ServiceCode, ServiceDefinition, ServiceLine
from app.services.access import Area, require_write
from app.services.definition_editing import TEXT_HEADINGS
from app.services.definitions import edition_by_label
from app.services.table_export import Table

COPIED = (
    "code",
    "position",
    "name",
    "age_group",
    "commissioning_level",
    "retired",
    "currency",
    "in_national_tariff",
    "tariff_exclusion_reason",
    "alternative_payment",
    "parent_line_id",
    *TEXT_HEADINGS,
)
COMPARED = (
    ("code", "Number"),
    ("name", "Name"),
    ("age_group", "Age group"),
    ("commissioning_level", "Level"),
    ("retired", "Retired"),
    ("currency", "Currency"),
    ("in_national_tariff", "In national tariff"),
    ("tariff_exclusion_reason", "Tariff exclusion reason"),
    ("alternative_payment", "Alternative payment"),
    *((name, name.replace("_", " ").capitalize()) for name in TEXT_HEADINGS),
    ("codes", "Codes"),
)


def _existing(session: Session, label: str) -> Edition | None:
    return session.scalars(select(Edition).where(Edition.label == label)).first()


def _edition(session: Session, label: str) -> Edition:
    try:
        return edition_by_label(session, label)
    except LookupError as error:
        raise NotFound(str(error)) from error


def _definitions(session: Session, edition: Edition) -> list[ServiceDefinition]:
    return list(
        session.scalars(
            select(ServiceDefinition)
            .where(
                ServiceDefinition.edition_id == edition.id, ServiceDefinition.deleted_at.is_(None)
            )
            .order_by(ServiceDefinition.position)
        )
    )


def create_edition(
    session: Session, label: str, based_on: str | None = None, published_on: date | None = None
) -> str:
    """A new edition, a copy of `based_on` (default: the latest) with its codes."""
    require_write(session, Area.DEFINITIONS)
    label = label.strip()
    if not label:
        raise InputRejected("an edition needs a label, such as 2026")
    if _existing(session, label) is not None:
        raise InputRejected(f"there is already an edition labelled '{label}'")
    source = edition_by_label(session, based_on) if based_on else edition_by_label(session, None)
    edition = Edition(
        label=label,
        title=f"{source.title} ({label})",
        based_on_id=source.id,
        published_on=published_on,
    )
    session.add(edition)
    session.flush()
    for old in _definitions(session, source):
        new = ServiceDefinition(
            edition_id=edition.id,
            service_line_id=old.service_line_id,
            **{name: getattr(old, name) for name in COPIED},
        )
        session.add(new)
        session.flush()
        for code in session.scalars(
            select(ServiceCode).where(
                ServiceCode.definition_id == old.id, ServiceCode.deleted_at.is_(None)
            )
        ):
            session.add(
                ServiceCode(
                    definition_id=new.id,
                    scheme=code.scheme,
                    code=code.code,
                    description=code.description,
                )
            )
    session.flush()
    return edition.label


def definition_by_code(session: Session, edition: Edition, code: str) -> ServiceDefinition:
    definition = session.scalars(
        select(ServiceDefinition).where(
            ServiceDefinition.edition_id == edition.id,
            ServiceDefinition.code == code.strip(),
            ServiceDefinition.deleted_at.is_(None),
        )
    ).first()
    if definition is None:
        raise NotFound(f"there is no service or sub-line '{code}' in edition {edition.label}")
    return definition


def _require_free(session: Session, edition: Edition, code: str) -> None:
    clash = session.scalars(
        select(ServiceDefinition).where(
            ServiceDefinition.edition_id == edition.id,
            ServiceDefinition.code == code,
            ServiceDefinition.deleted_at.is_(None),
        )
    ).first()
    if clash is not None:
        raise InputRejected(f"number {code} is already used in edition {edition.label}")


def add_service(
    session: Session,
    edition_label: str,
    code: str,
    name: str,
    age_group: str,
    parent_code: str | None = None,
) -> uuid.UUID:
    """Add a service (or, with a parent, a sub-line) to an edition; returns its identity."""
    require_write(session, Area.DEFINITIONS)
    edition = _edition(session, edition_label)
    code = code.strip()
    if not code or not name.strip():
        raise InputRejected("a new service needs a number and a name")
    _require_free(session, edition, code)
    parent = definition_by_code(session, edition, parent_code) if parent_code else None
    line = ServiceLine(kind=LineKind.SUB_LINE if parent else LineKind.SERVICE)
    session.add(line)
    session.flush()
    last = max((d.position for d in _definitions(session, edition)), default=0)
    position = last + 100
    if parent is not None:
        siblings = [
            d.position
            for d in _definitions(session, edition)
            if d.parent_line_id == parent.service_line_id
        ]
        position = max(siblings, default=parent.position) + 1
    session.add(
        ServiceDefinition(
            edition_id=edition.id,
            service_line_id=line.id,
            parent_line_id=parent.service_line_id if parent else None,
            code=code,
            position=position,
            name=name.strip(),
            age_group=age_group or (parent.age_group if parent else ""),
        )
    )
    session.flush()
    return line.id


def retire_service(session: Session, edition_label: str, code: str, retired: bool = True) -> None:
    require_write(session, Area.DEFINITIONS)
    definition = definition_by_code(session, _edition(session, edition_label), code)
    definition.retired = retired
    session.flush()


def renumber_service(session: Session, edition_label: str, code: str, new_code: str) -> None:
    """Give a service a new number in an edition; its identity (and history) stays."""
    require_write(session, Area.DEFINITIONS)
    edition = _edition(session, edition_label)
    definition = definition_by_code(session, edition, code)
    new_code = new_code.strip()
    if not new_code:
        raise InputRejected("the new number cannot be empty")
    if new_code != code:
        _require_free(session, edition, new_code)
    definition.code = new_code
    session.flush()


@dataclass(frozen=True)
class EditionDifference:
    """One field of one service that differs between two editions."""

    service_line_id: uuid.UUID
    code_a: str
    code_b: str
    name: str
    change: str  # "added", "removed" or "changed"
    field: str
    value_a: str
    value_b: str


def _codes_text(session: Session, definition: ServiceDefinition) -> str:
    codes = session.scalars(
        select(ServiceCode)
        .where(ServiceCode.definition_id == definition.id, ServiceCode.deleted_at.is_(None))
        .order_by(ServiceCode.scheme, ServiceCode.code)
    )
    return ", ".join(f"{c.scheme} {c.code}" for c in codes)


def _value(session: Session, definition: ServiceDefinition, field: str) -> str:
    if field == "codes":
        return _codes_text(session, definition)
    value = getattr(definition, field)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value or "")


def compare_editions(session: Session, label_a: str, label_b: str) -> list[EditionDifference]:
    """What changed from edition A to edition B, service by service, field by field."""
    a = {d.service_line_id: d for d in _definitions(session, _edition(session, label_a))}
    b = {d.service_line_id: d for d in _definitions(session, _edition(session, label_b))}
    order = [d.service_line_id for d in b.values()] + [k for k in a if k not in b]
    differences = []
    for line in order:
        old, new = a.get(line), b.get(line)
        if old is None or new is None:
            present = new or old
            assert present is not None
            differences.append(
                EditionDifference(
                    line,
                    old.code if old else "",
                    new.code if new else "",
                    present.name,
                    "added" if old is None else "removed",
                    "",
                    "" if old is None else present.name,
                    present.name if old is None else "",
                )
            )
            continue
        for field, title in COMPARED:
            before, after = _value(session, old, field), _value(session, new, field)
            if before != after:
                differences.append(
                    EditionDifference(
                        line, old.code, new.code, new.name, "changed", title, before, after
                    )
                )
    return differences


def comparison_table(label_a: str, label_b: str, rows: list[EditionDifference]) -> Table:
    return Table(
        title=f"Definitions Set: edition {label_a} compared with {label_b}",
        headers=[
            f"Number ({label_a})",
            f"Number ({label_b})",
            "Service",
            "Change",
            "Field",
            f"In {label_a}",
            f"In {label_b}",
        ],
        rows=[[r.code_a, r.code_b, r.name, r.change, r.field, r.value_a, r.value_b] for r in rows],
    )
