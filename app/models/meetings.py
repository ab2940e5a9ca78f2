"""Meetings of the SCG and its sub-groups: agenda, minutes, decisions and actions."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.types import Share


class VotingRule:
    WEIGHTED_SHARE = "weighted_share"
    PROPORTION = "proportion"
    COUNT = "count"
    ALL = (WEIGHTED_SHARE, PROPORTION, COUNT)


class Numbering:
    """Which year agenda item numbers run through: `SCG 26/01` starts again each year."""

    CALENDAR = "calendar"
    FINANCIAL = "financial"


class Purpose:
    DECISION = "decision"
    ASSURANCE = "assurance"
    INFORMATION = "information"
    ALL = (DECISION, ASSURANCE, INFORMATION)


class Attendance:
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"
    ALL = (PRESENT, APOLOGIES, ABSENT)


class ActionStatus:
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


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
    # The number of members a COUNT rule is out of (8 in "6 of 8"); None for the others.
    rule_of: Mapped[int | None] = mapped_column(Integer)
    numbering: Mapped[str] = mapped_column(String(20), default=Numbering.CALENDAR)

    seats: Mapped[list[Seat]] = relationship(back_populates="body", order_by="Seat.position")


class Seat(Record, Base):
    """A member of a body (usually a PCT's representative) with a deputy and a vote."""

    __tablename__ = "seat"

    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("body.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    member_name: Mapped[str] = mapped_column(String(200))
    deputy_name: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    representing: Mapped[str] = mapped_column(String(200), default="")
    voting: Mapped[bool] = mapped_column(Boolean, default=True)
    # The weight of the seat's vote where the rule weighs votes (capitation share).
    weight: Mapped[Decimal] = mapped_column(Share(), default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    body: Mapped[Body] = relationship(back_populates="seats")


class Meeting(Record, Base):
    __tablename__ = "meeting"

    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("body.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[time] = mapped_column(Time, default=time(10, 0))
    venue: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    chair: Mapped[str] = mapped_column(String(200), default="")

    body: Mapped[Body] = relationship(lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.sequence"
    )
    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting")
    actions: Mapped[list[Action]] = relationship(back_populates="meeting")
    attendance: Mapped[list[AttendanceRecord]] = relationship(back_populates="meeting")
    declarations: Mapped[list[Declaration]] = relationship(back_populates="meeting")


class AttendanceRecord(Record, Base):
    """Who came for a seat at a meeting: the member, the deputy, or apologies."""

    __tablename__ = "attendance"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    seat_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("seat.id"))
    # A person without a seat (an officer, a provider, a PPI representative) in attendance.
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=Attendance.PRESENT)
    as_deputy: Mapped[bool] = mapped_column(Boolean, default=False)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    seat: Mapped[Seat | None] = relationship()


class Declaration(Record, Base):
    """An interest declared at a meeting; together they form the register per member."""

    __tablename__ = "declaration"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_name: Mapped[str] = mapped_column(String(200), index=True)
    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"))
    interest: Mapped[str] = narrative_column()
    action_taken: Mapped[str] = mapped_column(String(300), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="declarations")


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
    # The paper: an uploaded PDF's file name, or a report the product writes (`paper_report`).
    paper: Mapped[str] = mapped_column(String(200), default="")
    paper_report: Mapped[str] = mapped_column(String(40), default="")
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
    # When members were told a financial commitment would come to a vote.
    notice_given_on: Mapped[date | None] = mapped_column(Date)

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


class FitnessScore(Record, Base):
    """The SCG's own score against one criterion of the fitness-for-purpose framework."""

    __tablename__ = "fitness_score"
    __table_args__ = (UniqueConstraint("year_start", "criterion"),)

    year_start: Mapped[int] = mapped_column(Integer)  # the financial year it starts in
    criterion: Mapped[str] = mapped_column(String(10))
    score: Mapped[str] = mapped_column(String(1), default="")  # Y, N or P
    evidence: Mapped[str] = narrative_column()
    plans: Mapped[str] = narrative_column()


class BenchmarkEntry(Record, Base):
    """A benchmarking measure (Appendix 14) entered by hand for a year, where not computed."""

    __tablename__ = "benchmark_entry"
    __table_args__ = (UniqueConstraint("year_start", "measure"),)

    year_start: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(10))  # "1a", "2", "10c"
    value: Mapped[Decimal | None] = mapped_column(Share())  # a fraction (0.85 = 85%)
    comment: Mapped[str] = narrative_column()
