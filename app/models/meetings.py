"""Meetings of the SCG and its sub-groups: agenda, minutes, decisions and actions."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.types import Share


class VotingRule:
    WEIGHTED_SHARE = "weighted_share"
    PROPORTION = "proportion"
    COUNT = "count"


class Body(Record, Base):
    """A decision-making body (the SCG or a sub-group) and the rule its binding votes follow."""

    __tablename__ = "body"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    voting_rule: Mapped[str] = mapped_column(String(20), default=VotingRule.WEIGHTED_SHARE)
    threshold: Mapped[Decimal] = mapped_column(Share(), default=Decimal("0.75"))
    quorum: Mapped[int] = mapped_column(Integer, default=0)
    notice_days: Mapped[int] = mapped_column(Integer, default=30)


class Meeting(Record, Base):
    __tablename__ = "meeting"

    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("body.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[time] = mapped_column(Time, default=time(10, 0))
    venue: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")

    body: Mapped[Body] = relationship(lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.sequence"
    )
    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting")
    actions: Mapped[list[Action]] = relationship(back_populates="meeting")


class AgendaItem(Record, Base):
    """An agenda item, numbered like `SCG 26/01`, with its paper and minutes."""

    __tablename__ = "agenda_item"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    presenter: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(20), default="information")
    minutes_allotted: Mapped[int] = mapped_column(Integer, default=15)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    paper: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[str] = narrative_column()

    meeting: Mapped[Meeting] = relationship(back_populates="items")


class Decision(Record, Base):
    __tablename__ = "decision"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"))
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = narrative_column()
    binding: Mapped[bool] = mapped_column(Boolean, default=False)
    financial_commitment: Mapped[bool] = mapped_column(Boolean, default=False)
    votes_for: Mapped[Decimal | None] = mapped_column(Share())
    votes_eligible: Mapped[Decimal | None] = mapped_column(Share())
    carried: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    agenda_item: Mapped[AgendaItem | None] = relationship()


class Action(Record, Base):
    """An action from a meeting, carried forward to each next meeting until done."""

    __tablename__ = "action"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"))
    text: Mapped[str] = narrative_column()
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_on: Mapped[date | None] = mapped_column(Date)

    meeting: Mapped[Meeting] = relationship(back_populates="actions")
    decision: Mapped[Decision | None] = relationship()
