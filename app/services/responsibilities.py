"""Who commissions what: the body and lead commissioner of each service, effective-dated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, Problem
from app.models import CommissioningResponsibility, Organisation
from app.services.access import Area, require_write


@dataclass(frozen=True)
class ResponsibilityRow:
    id: uuid.UUID
    body: str
    body_code: str
    lead_commissioner: str
    lead_contact: str
    effective_from: date
    effective_to: date | None
    reason: str


def history(session: Session, service_line_id: uuid.UUID) -> list[ResponsibilityRow]:
    """Every change of responsibility for a service, latest first: nothing is overwritten."""
    rows = session.execute(
        select(CommissioningResponsibility, Organisation)
        .join(Organisation, Organisation.id == CommissioningResponsibility.body_id)
        .where(
            CommissioningResponsibility.service_line_id == service_line_id,
            CommissioningResponsibility.deleted_at.is_(None),
        )
        .order_by(CommissioningResponsibility.effective_from.desc())
    ).all()
    return [
        ResponsibilityRow(
            r.id,
            o.name,
            o.code,
            r.lead_commissioner,
            r.lead_contact,
            r.effective_from,
            r.effective_to,
            r.reason,
        )
        for r, o in rows
    ]


def change_responsibility(
    session: Session,
    service_line_id: uuid.UUID,
    body_code: str,
    lead_commissioner: str,
    lead_contact: str,
    effective_from: date,
    reason: str,
) -> uuid.UUID:
    """From `effective_from`, this body and lead commission the service; the current entry
    ends the day before, so the history of responsibility is kept whole."""
    require_write(session, Area.DEFINITIONS)
    problems = []
    body = session.scalars(select(Organisation).where(Organisation.code == body_code)).first()
    if body is None:
        problems.append(Problem("", None, "body", f"no organisation with code '{body_code}'"))
    if not reason.strip():
        problems.append(Problem("", None, "reason", "say why responsibility changes"))
    if not lead_commissioner.strip():
        problems.append(Problem("", None, "lead_commissioner", "name the lead commissioner"))
    current = [r for r in _open_entries(session, service_line_id)]
    for entry in current:
        if effective_from <= entry.effective_from:
            problems.append(
                Problem(
                    "",
                    None,
                    "effective_from",
                    f"must be after {entry.effective_from:%d %b %Y}, when the current "
                    "responsibility began",
                )
            )
    if problems:
        raise InputRejected(problems)
    assert body is not None
    for entry in current:
        entry.effective_to = effective_from - timedelta(days=1)
    responsibility = CommissioningResponsibility(
        service_line_id=service_line_id,
        body_id=body.id,
        lead_commissioner=lead_commissioner.strip(),
        lead_contact=lead_contact.strip(),
        effective_from=effective_from,
        reason=reason.strip(),
    )
    session.add(responsibility)
    session.flush()
    return responsibility.id


def _open_entries(
    session: Session, service_line_id: uuid.UUID
) -> list[CommissioningResponsibility]:
    return list(
        session.scalars(
            select(CommissioningResponsibility).where(
                CommissioningResponsibility.service_line_id == service_line_id,
                CommissioningResponsibility.effective_to.is_(None),
                CommissioningResponsibility.deleted_at.is_(None),
            )
        )
    )
