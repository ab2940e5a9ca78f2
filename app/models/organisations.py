"""Organisations: commissioners (PCTs), providers, SCGs and the other bodies of the field."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record
from app.models.reference import Term
from app.models.types import Money, Share


class Organisation(Record, Base):
    """A PCT, a provider trust, an SCG, an SHA... its kind is a term of `organisation_type`.

    Organisations merge: `successor` points at the organisation that took this one over, so
    returns carrying an old code count towards the successor.
    """

    __tablename__ = "organisation"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("term.id"), index=True)
    successor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    merged_on: Mapped[date | None] = mapped_column(Date)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")

    type: Mapped[Term] = relationship(lazy="joined")
    successor: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")


class Membership(Record, Base):
    """A commissioner's membership of a commissioning group, effective-dated.

    The weighted capitation share and the baseline allocation go with the membership because
    both change from year to year, and both drive the pooled budget and risk sharing.
    """

    __tablename__ = "membership"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    capitation_share: Mapped[Decimal] = mapped_column(Share())
    baseline_allocation: Mapped[Decimal] = mapped_column(Money())

    group: Mapped[Organisation] = relationship(foreign_keys=[group_id])
    member: Mapped[Organisation] = relationship(foreign_keys=[member_id])
