"""Who commissions what: the body and lead commissioner of each service, effective-dated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models import CommissioningResponsibility, Organisation
from app.models.base import utc_now
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


@dataclass(frozen=True)
class ResponsibilityChange:
    """A change of responsibility as it was made: the new entry and the entries it ended."""

    id: uuid.UUID
    effective_from: date
    ended: tuple[uuid.UUID, ...]


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
) -> ResponsibilityChange:
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
    return ResponsibilityChange(
        responsibility.id, effective_from, tuple(entry.id for entry in current)
    )


def cancel_change(session: Session, change: ResponsibilityChange) -> None:
    """Take a change back: its entry goes (softly) and the entries it ended are open again."""
    require_write(session, Area.DEFINITIONS)
    entry = _entry(session, change.id)
    if entry.deleted_at is not None:
        raise InputRejected("this change of responsibility has already been taken back")
    if entry.effective_to is not None:
        raise InputRejected(
            f"a later change ended this one on {entry.effective_to:%d %b %Y}: take that back first"
        )
    entry.deleted_at = utc_now()
    for ended in change.ended:
        _entry(session, ended).effective_to = None
    session.flush()


def reinstate_change(session: Session, change: ResponsibilityChange) -> None:
    """Make a change that was taken back again, exactly as it was first made."""
    require_write(session, Area.DEFINITIONS)
    entry = _entry(session, change.id)
    ended = [_entry(session, ended) for ended in change.ended]
    if any(e.effective_to is not None or e.deleted_at is not None for e in ended):
        raise InputRejected("responsibility has changed since: record the change again")
    entry.deleted_at = None
    for previous in ended:
        previous.effective_to = change.effective_from - timedelta(days=1)
    session.flush()


def _entry(session: Session, entry_id: uuid.UUID) -> CommissioningResponsibility:
    entry = session.get(CommissioningResponsibility, entry_id)
    if entry is None:
        raise NotFound(f"no entry of responsibility {entry_id}")
    return entry


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
