"""Organisations: commissioners (PCTs), providers, SCGs and the other bodies of the field."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
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


class ScgArea(Record, Base):
    """The SCG (or LSCG) whose area an organisation is in, where membership does not tell.

    A PCT's SCG is known from its membership; a trust, an SHA or an LSCG has none, and the
    arbitration panel needs to know who comes from a neighbouring SCG. (A table of its own,
    not a column of `organisation`: a new column would change the content, and so the audit
    hash, of every organisation already recorded.)
    """

    __tablename__ = "scg_area"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), unique=True)
    scg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)


class ScgNeighbour(Record, Base):
    """Two SCGs whose areas border each other (held once per pair; the relation is mutual).

    Disputes of a consortium that spans SCGs (pan-Thames in the London SCG process) call for
    representation from the neighbouring SCGs at the facilitated meeting and on the panel.
    """

    __tablename__ = "scg_neighbour"
    __table_args__ = (UniqueConstraint("scg_id", "neighbour_id"),)

    scg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    neighbour_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
