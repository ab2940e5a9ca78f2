"""Editable lists of terms (organisation types, points of delivery, topics) and database facts."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Record


class Vocabulary:
    """The names of the editable lists the product ships with."""

    ORGANISATION_TYPE = "organisation_type"
    POINT_OF_DELIVERY = "point_of_delivery"
    CASE_STUDY_TOPIC = "case_study_topic"
    AGE_GROUP = "age_group"
    COMMISSIONING_LEVEL = "commissioning_level"


class Term(Record, Base):
    """One entry of an editable list: users may add, rename or retire entries."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("vocabulary", "code"),)

    vocabulary: Mapped[str] = mapped_column(String(60), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class DatabaseFact(Base):
    """Facts about this copy of the database: its identity, its site code, whether it is a demo."""

    __tablename__ = "database_fact"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class ReferenceCounter(Base):
    """The last number used for a human reference (such as DSP-2026-007) on this copy."""

    __tablename__ = "reference_counter"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
