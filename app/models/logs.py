"""The case study log and the dispute and arbitration log."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.types import Money


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
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author: Mapped[str] = mapped_column(String(200), default="")
    reviewer: Mapped[str] = mapped_column(String(200), default="")


class DisputeKind:
    BETWEEN_COMMISSIONERS = "between_commissioners"
    COMMISSIONERS_PROVIDER = "commissioners_provider"
    FOUNDATION_TRUST = "foundation_trust"


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
    status: Mapped[str] = mapped_column(String(20), default="open")
    confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    outcome: Mapped[str] = narrative_column()
    learning: Mapped[str] = narrative_column()
    closed_on: Mapped[date | None] = mapped_column(Date)

    parties: Mapped[list[DisputeParty]] = relationship(back_populates="dispute")
    stages: Mapped[list[DisputeStage]] = relationship(back_populates="dispute")


class DisputeParty(Record, Base):
    """A party to a dispute, with its position and final offer."""

    __tablename__ = "dispute_party"

    dispute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispute.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    side: Mapped[str] = mapped_column(String(20))
    position: Mapped[str] = narrative_column()
    final_offer: Mapped[Decimal | None] = mapped_column(Money())

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
