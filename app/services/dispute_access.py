"""Who reads a confidential dispute in full, and what everyone else reads: its summary.

The full record (positions, offers, evidence, deliberations) is for the people handling the
dispute (who raised it and the commissioners assigned to it), the Head of Specialised
Commissioning, the members of its panel once appointed, and administrators. Everyone else,
the secretariat included, reads the summary the meeting papers use: reference, parties,
stage, dates and, once closed, the outcome and learning. Every road out (the dispute log,
search, documents, history, exports and reports) asks here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.formatting import format_date
from app.models import (
    Dispute,
    DisputeAssignee,
    DisputeKind,
    DisputeStage,
    DisputeStageRule,
    DisputeStatus,
    LogDocument,
    Organisation,
    PanelMember,
)
from app.models.people import Role, UserProfile
from app.services.access import NotPermitted, acting_user, role_of

WITHHELD = "(withheld: confidential dispute)"
"""What stands in a summary for text only the people handling the dispute may read."""

CONFIDENTIAL_TITLE = "Confidential dispute"
"""The title a summary shows: a title can say what the dispute is about."""

SEES_EVERY_DISPUTE = frozenset({Role.HEAD, Role.ADMINISTRATOR})

BOOKKEEPING = frozenset(
    {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at"}
)

# The fields of each part of a dispute that its summary shows (in its history too).
SUMMARY_FIELDS: dict[str, frozenset[str]] = {
    "dispute": frozenset(
        {"reference", "kind", "stage", "status", "confidential", "raised_on", "hearing_on",
         "closed_on"}
    ),
    "dispute_party": frozenset({"dispute_id", "organisation_id", "side"}),
    "dispute_stage": frozenset(
        {"dispute_id", "sequence", "stage", "started_on", "target_on", "ended_on"}
    ),
}  # fmt: skip
CLOSED_SUMMARY_FIELDS = frozenset({"outcome", "learning"})

# The tables whose rows belong to a dispute through their dispute_id.
DISPUTE_PARTS = (
    "dispute_party",
    "dispute_stage",
    "facilitated_meeting_member",
    "panel_member",
    "dispute_issue",
    "dispute_action",
    "dispute_assignee",
)


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Reader:
    """The acting user as the rules see them: the names they go by, and their role."""

    name: str
    names: frozenset[str]
    role: str | None


def reader(session: Session) -> Reader:
    """The acting user: their profile's name and full name (panels name people in full)."""
    user = acting_user(session)
    names = {_normal(user)} if user.strip() else set()
    profile = session.scalars(
        select(UserProfile).where(
            UserProfile.deleted_at.is_(None),
            func.lower(UserProfile.name) == user.strip().lower(),
        )
    ).first()
    if profile is not None and profile.full_name.strip():
        names.add(_normal(profile.full_name))
    return Reader(user, frozenset(names), role_of(session, user))


def may_read_in_full(session: Session, dispute: Dispute, person: Reader | None = None) -> bool:
    """Whether the acting user (or `person`, when a caller checks many) may read this
    dispute's whole record."""
    if not dispute.confidential:
        return True
    person = person or reader(session)
    if person.role in SEES_EVERY_DISPUTE:
        return True
    if not person.names:
        return False
    if _normal(dispute.created_by) in person.names or _normal(dispute.raised_by) in person.names:
        return True
    assigned = session.scalars(
        select(DisputeAssignee.user_name).where(
            DisputeAssignee.dispute_id == dispute.id, DisputeAssignee.deleted_at.is_(None)
        )
    )
    if any(_normal(name) in person.names for name in assigned):
        return True
    panel = session.scalars(
        select(PanelMember.name).where(
            PanelMember.dispute_id == dispute.id, PanelMember.deleted_at.is_(None)
        )
    )
    return any(_normal(name) in person.names for name in panel)


def readable(session: Session, disputes: Iterable[Dispute]) -> set[uuid.UUID]:
    """The ids of those disputes the acting user may read in full."""
    person = reader(session)
    return {d.id for d in disputes if may_read_in_full(session, d, person)}


def require_full_read(session: Session, dispute: Dispute) -> None:
    """Refuse (before any change) a user who may read only the dispute's summary."""
    if not may_read_in_full(session, dispute):
        raise NotPermitted(
            f"{dispute.reference} is confidential: only the people handling it, the Head of "
            "Specialised Commissioning, its panel and administrators may read it in full or "
            "change it."
        )


def summary_fields(table: str, dispute: Dispute) -> frozenset[str]:
    """The fields of a row of `table` belonging to `dispute` that its summary shows."""
    shown = SUMMARY_FIELDS.get(table, frozenset()) | BOOKKEEPING
    if table == "dispute" and dispute.status == DisputeStatus.CLOSED:
        shown |= CLOSED_SUMMARY_FIELDS
    return shown


def dispute_of_record(session: Session, table: str, key: uuid.UUID | str) -> Dispute | None:
    """The dispute a record is part of (itself, a party, a stage, a document...), if any."""
    if table not in ("dispute", "log_document", *DISPUTE_PARTS):
        return None
    record_id = key if isinstance(key, uuid.UUID) else uuid.UUID(key)
    if table == "dispute":
        return session.get(Dispute, record_id)
    if table == "log_document":
        owner = session.scalar(select(LogDocument.owner_id).where(LogDocument.id == record_id))
        return None if owner is None else dispute_of_owner(session, owner)
    if table in DISPUTE_PARTS:
        from app.store.audit import audited_tables

        part = audited_tables()[table]
        dispute_id = session.scalar(select(part.c.dispute_id).where(part.c.id == record_id))
        return None if dispute_id is None else session.get(Dispute, dispute_id)
    return None


def dispute_of_owner(session: Session, owner_id: uuid.UUID) -> Dispute | None:
    """The dispute a document's owner is (or whose stage it is), None for a case study."""
    dispute = session.get(Dispute, owner_id)
    if dispute is not None:
        return dispute
    stage = session.get(DisputeStage, owner_id)
    return None if stage is None else session.get(Dispute, stage.dispute_id)


def summary_text(session: Session, dispute: Dispute) -> str:
    """The summary's words, as search may match them: reference, kind, parties, stage,
    status, dates and, once closed, the outcome and learning."""
    parties = session.scalars(
        select(Organisation.name).where(
            Organisation.id.in_(
                [p.organisation_id for p in dispute.parties if p.deleted_at is None]
            )
        )
    )
    stage = session.scalar(
        select(DisputeStageRule.name).where(DisputeStageRule.key == dispute.stage).limit(1)
    )
    dates = [
        f"Raised {format_date(dispute.raised_on)}",
        f"Hearing {format_date(dispute.hearing_on)}" if dispute.hearing_on else "",
        f"Closed {format_date(dispute.closed_on)}" if dispute.closed_on else "",
    ]
    closed = dispute.status == DisputeStatus.CLOSED
    parts = [
        dispute.reference,
        DisputeKind.TITLES.get(dispute.kind, dispute.kind),
        "; ".join(parties),
        stage or dispute.stage,
        dispute.status,
        *dates,
        dispute.outcome if closed else "",
        dispute.learning if closed else "",
    ]
    return "\n".join(part for part in parts if part)
