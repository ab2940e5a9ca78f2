"""The case study log and the dispute and arbitration log."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.types import Money


class CaseStudyStatus:
    DRAFT = "draft"
    REVIEWED = "reviewed"
    PUBLISHED = "published"
    ALL = (DRAFT, REVIEWED, PUBLISHED)


class CaseStudy(Record, Base):
    """Experience written up so that it outlives reorganisations and changes of staff."""

    __tablename__ = "case_study"

    title: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    topic: Mapped[str] = mapped_column(String(100), default="")
    services: Mapped[str] = mapped_column(String(300), default="")
    period: Mapped[str] = mapped_column(String(100), default="")
    context: Mapped[str] = narrative_column()
    what_was_done: Mapped[str] = narrative_column()
    outcomes: Mapped[str] = narrative_column()
    learning: Mapped[str] = narrative_column()
    tags: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default=CaseStudyStatus.DRAFT)
    author: Mapped[str] = mapped_column(String(200), default="")
    reviewer: Mapped[str] = mapped_column(String(200), default="")

    measured_outcomes: Mapped[list[CaseStudyOutcome]] = relationship(
        back_populates="case_study", order_by="CaseStudyOutcome.position"
    )


class CaseStudyOutcome(Record, Base):
    """One outcome of a case study with its figure and unit (such as 100000 GBP, 3 years)."""

    __tablename__ = "case_study_outcome"

    case_study_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_study.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = narrative_column()
    # Text, since the sources give figures such as "1 April 2004" and "25/75" as well as numbers.
    figure: Mapped[str] = mapped_column(String(60), default="")
    unit: Mapped[str] = mapped_column(String(60), default="")

    case_study: Mapped[CaseStudy] = relationship(back_populates="measured_outcomes")


class LogDocument(Record, Base):
    """A file attached to a case study, a dispute or a stage of one, kept with its SHA-256.

    The bytes live in the database, so a document travels with the record through backups
    and sync, cannot be lost or changed behind the product's back, and stays as confidential
    as the dispute it belongs to; the hash shows whether a copy someone holds is the same file.
    """

    __tablename__ = "log_document"

    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # The document's text as read when attached, searched and checked by the guard.
    text: Mapped[str] = narrative_column()


class DisputeKind:
    BETWEEN_COMMISSIONERS = "between_commissioners"
    COMMISSIONERS_PROVIDER = "commissioners_provider"
    FOUNDATION_TRUST = "foundation_trust"
    TITLES: ClassVar[dict[str, str]] = {
        BETWEEN_COMMISSIONERS: "Between commissioners in a consortium",
        COMMISSIONERS_PROVIDER: "Between commissioners and a provider",
        FOUNDATION_TRUST: "Foundation Trust contract dispute",
    }


class DisputeStatus:
    OPEN = "open"
    CLOSED = "closed"


class DisputeStageRule(Record, Base):
    """One step of the escalation process for a kind of dispute: configurable data."""

    __tablename__ = "dispute_stage_rule"

    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    who: Mapped[str] = mapped_column(Text, default="")
    target_days: Mapped[int | None] = mapped_column(Integer)
    # The stage applies only to disputes whose value is above this (the £100,000 threshold).
    applies_above: Mapped[Decimal | None] = mapped_column(Money())
    entered_when: Mapped[str] = mapped_column(String(200), default="")


class Dispute(Record, Base):
    """A dispute between commissioners, or between commissioners and a provider."""

    __tablename__ = "dispute"

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    contract_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contract.id"))
    service_codes: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    raised_on: Mapped[date] = mapped_column(Date)
    raised_by: Mapped[str] = mapped_column(String(200), default="")
    issue: Mapped[str] = narrative_column()
    stage: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=DisputeStatus.OPEN)
    confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    # The consortium spans SCG boundaries (pan-Thames in the source): neighbouring SCGs sit.
    spans_scgs: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_on: Mapped[date | None] = mapped_column(Date)
    binding_statement: Mapped[str] = narrative_column()
    outcome: Mapped[str] = narrative_column()
    learning: Mapped[str] = narrative_column()
    closed_on: Mapped[date | None] = mapped_column(Date)

    parties: Mapped[list[DisputeParty]] = relationship(back_populates="dispute")
    stages: Mapped[list[DisputeStage]] = relationship(
        back_populates="dispute", order_by="DisputeStage.sequence"
    )
    meeting_members: Mapped[list[FacilitatedMeetingMember]] = relationship(back_populates="dispute")
    panel: Mapped[list[PanelMember]] = relationship(back_populates="dispute")
    issues: Mapped[list[DisputeIssue]] = relationship(
        back_populates="dispute", order_by="DisputeIssue.sequence"
    )
    actions: Mapped[list[DisputeAction]] = relationship(back_populates="dispute")
    assignees: Mapped[list[DisputeAssignee]] = relationship(back_populates="dispute")


class DisputeAssignee(Record, Base):
    """A commissioner assigned to handle a dispute, named by their user profile's name.

    With the person who raised it, the Head of Specialised Commissioning, its panel once
    appointed and administrators, the commissioners assigned read a confidential dispute in
    full; everyone else reads its summary.
    """

    __tablename__ = "dispute_assignee"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(120))

    dispute: Mapped[Dispute] = relationship(back_populates="assignees")


class DisputeParty(Record, Base):
    """A party to a dispute, with its position, final offer and submission to the panel."""

    __tablename__ = "dispute_party"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    side: Mapped[str] = mapped_column(String(20))
    position: Mapped[str] = narrative_column()
    final_offer: Mapped[Decimal | None] = mapped_column(Money())
    submission: Mapped[str] = narrative_column()
    submitted_on: Mapped[date | None] = mapped_column(Date)

    dispute: Mapped[Dispute] = relationship(back_populates="parties")


class DisputeStage(Record, Base):
    """A stage of a dispute's escalation as it happened."""

    __tablename__ = "dispute_stage"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(60))
    started_on: Mapped[date] = mapped_column(Date)
    target_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    who: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = narrative_column()
    agreed: Mapped[bool | None] = mapped_column(Boolean)

    dispute: Mapped[Dispute] = relationship(back_populates="stages")


class MeetingCapacity:
    """Why someone sits at a facilitated meeting (the composition the source sets out)."""

    COMMISSIONER = "commissioner"
    TRUST = "trust"
    SHA_DIRECTOR = "sha_director"
    HEAD_OF_SPECIALISED_COMMISSIONING = "head_of_specialised_commissioning"
    CLINICAL_ADVICE = "clinical_advice"
    NEIGHBOURING_SCG = "neighbouring_scg"
    OTHER = "other"
    TITLES: ClassVar[dict[str, str]] = {
        COMMISSIONER: "Commissioner representative",
        TRUST: "Trust representative",
        SHA_DIRECTOR: "SHA Director",
        HEAD_OF_SPECIALISED_COMMISSIONING: "Head of Specialised Commissioning",
        CLINICAL_ADVICE: "Expert clinical adviser",
        NEIGHBOURING_SCG: "Neighbouring SCG representative",
        OTHER: "Other (facilitator, secretary)",
    }


class FacilitatedMeetingMember(Record, Base):
    """Someone at the facilitated meeting of a dispute, in a stated capacity."""

    __tablename__ = "facilitated_meeting_member"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(60))
    organisation: Mapped[str] = mapped_column(String(300), default="")

    dispute: Mapped[Dispute] = relationship(back_populates="meeting_members")


class PanelLevel:
    CHIEF_EXECUTIVE = "Chief Executive"
    DIRECTOR = "Director"
    ALL = (CHIEF_EXECUTIVE, DIRECTOR)


class PanelMember(Record, Base):
    """A member of a dispute's arbitration panel, neutral to it, with any declared interest."""

    __tablename__ = "panel_member"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    level: Mapped[str] = mapped_column(String(40))
    interests: Mapped[str] = narrative_column()
    declared_on: Mapped[date | None] = mapped_column(Date)

    dispute: Mapped[Dispute] = relationship(back_populates="panel")


class Upheld:
    """Whose final position a decision upholds: one side wholly (pendulum) or neither."""

    UNDECIDED = ""
    OTHER = "other"  # another settlement


class DisputeIssue(Record, Base):
    """One issue in dispute and the panel's decision on it."""

    __tablename__ = "dispute_issue"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = narrative_column()
    # The side (as on DisputeParty.side) whose final position is upheld, "other" or undecided.
    upheld: Mapped[str] = mapped_column(String(20), default=Upheld.UNDECIDED)
    decision: Mapped[str] = narrative_column()
    amount: Mapped[Decimal | None] = mapped_column(Money())
    decided_on: Mapped[date | None] = mapped_column(Date)

    dispute: Mapped[Dispute] = relationship(back_populates="issues")


class DisputeAction(Record, Base):
    """An action that implements a dispute's decision, with its owner and due date."""

    __tablename__ = "dispute_action"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    issue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dispute_issue.id"))
    description: Mapped[str] = narrative_column()
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)

    dispute: Mapped[Dispute] = relationship(back_populates="actions")
    issue: Mapped[DisputeIssue | None] = relationship()
