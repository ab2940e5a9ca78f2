"""The National Definitions Set: editions, service lines, their definitions and codes."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.financial_year import FinancialYear
from app.models.types import FinancialYearType, Money, Share


class LineKind:
    SERVICE = "service"
    SUB_LINE = "sub-line"
    ADDITIONAL = "additional"


class Edition(Record, Base):
    """An edition of the Definitions Set, named by its label (the first is `2002`)."""

    __tablename__ = "edition"

    label: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[date | None] = mapped_column(Date)
    based_on_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("edition.id"))


def service_title(name: str, age_group: str, is_sub_line: bool) -> str:
    """A service's name as Appendix 1 writes it: an age group other than children in brackets
    (a sub-line takes its age group from its service, so it is not repeated)."""
    if not is_sub_line and age_group not in ("", "children"):
        return f"{name} ({age_group})"
    return name


class ServiceLine(Record, Base):
    """The stable identity of a service or sub-line: its number is a label that may change."""

    __tablename__ = "service_line"

    kind: Mapped[str] = mapped_column(String(20))


class ServiceDefinition(Record, Base):
    """What a service line is in one edition: number, name, and the standard headings."""

    __tablename__ = "service_definition"
    __table_args__ = (
        UniqueConstraint("edition_id", "code"),
        UniqueConstraint("edition_id", "service_line_id"),
    )

    edition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("edition.id"), index=True)
    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    parent_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_line.id"))
    code: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    age_group: Mapped[str] = mapped_column(String(40), default="")
    commissioning_level: Mapped[str] = mapped_column(String(40), default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # The standard headings of a definition (Appendix 12 of the review), in order.
    population_served: Mapped[str] = mapped_column(Text, default="")
    needs_assessment: Mapped[str] = mapped_column(Text, default="")
    service_purpose: Mapped[str] = mapped_column(Text, default="")
    service_model: Mapped[str] = mapped_column(Text, default="")
    critical_mass: Mapped[str] = mapped_column(Text, default="")
    standards_outcomes: Mapped[str] = mapped_column(Text, default="")
    codes_note: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(60), default="")
    denominator: Mapped[str] = mapped_column(Text, default="")
    activity_cost_comparisons: Mapped[str] = mapped_column(Text, default="")
    agreed_activity_cost: Mapped[str] = mapped_column(Text, default="")
    tariff_benchmark: Mapped[str] = mapped_column(Text, default="")
    in_national_tariff: Mapped[bool] = mapped_column(Boolean, default=False)
    tariff_exclusion_reason: Mapped[str] = mapped_column(String(60), default="")
    alternative_payment: Mapped[str] = mapped_column(String(60), default="")

    edition: Mapped[Edition] = relationship()
    service_line: Mapped[ServiceLine] = relationship(foreign_keys=[service_line_id])

    @property
    def title(self) -> str:
        """The name as Appendix 1 writes it, with the age group in brackets."""
        return service_title(self.name, self.age_group, self.parent_line_id is not None)


class ServiceCode(Record, Base):
    """An ICD-10 diagnosis or OPCS-4 procedure code of a service line in one edition."""

    __tablename__ = "service_code"
    __table_args__ = (UniqueConstraint("definition_id", "scheme", "code"),)

    definition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_definition.id"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(10), index=True)
    description: Mapped[str] = mapped_column(String(300), default="")


class NationalService(Record, Base):
    """A nationally commissioned service (Appendix 2 of the review)."""

    __tablename__ = "national_service"

    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    funded: Mapped[bool] = mapped_column(Boolean, default=True)
    designated_from_april_2006: Mapped[bool] = mapped_column(Boolean, default=False)
    being_evaluated: Mapped[bool] = mapped_column(Boolean, default=False)


class CommissioningResponsibility(Record, Base):
    """Which body commissions a service line and who leads, effective-dated with the reason."""

    __tablename__ = "commissioning_responsibility"

    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    lead_commissioner: Mapped[str] = mapped_column(String(200), default="")
    lead_contact: Mapped[str] = mapped_column(String(200), default="")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = narrative_column()


class Designation(Record, Base):
    """A provider designated to provide a service line, for at most five years."""

    __tablename__ = "designation"

    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = narrative_column()


class ServiceReview(Record, Base):
    """An Initial, Full or Monitoring review of a service, or a Commissioning Strategy."""

    __tablename__ = "service_review"

    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    lead: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str] = narrative_column()
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"))


class DesignationStatus:
    PROVISIONAL = "provisional"
    DESIGNATED = "designated"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ALL = (PROVISIONAL, DESIGNATED, WITHDRAWN, EXPIRED)


class DesignationCriterion(Record, Base):
    """One of the six designation criteria of the review (§125), met or not, with evidence."""

    __tablename__ = "designation_criterion"
    __table_args__ = (UniqueConstraint("designation_id", "number"),)

    designation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("designation.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    met: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str] = narrative_column()


class WorkProgrammeEntry(Record, Base):
    """A service's focus in a year's work programme (Appendix 9) and the criteria that apply."""

    __tablename__ = "work_programme_entry"
    __table_args__ = (UniqueConstraint("financial_year", "service_line_id"),)

    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    category: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = narrative_column()


class CostPressure(Record, Base):
    """A cost pressure to be prioritised (Thames Valley case study), scored on eight impacts."""

    __tablename__ = "cost_pressure"

    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    title: Mapped[str] = mapped_column(String(300))
    service_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_line.id"))
    heading: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    notes: Mapped[str] = narrative_column()

    scores: Mapped[list[CostPressureScore]] = relationship(
        back_populates="pressure", cascade="all, delete-orphan"
    )


class CostPressureScore(Record, Base):
    """The level (A to D) a cost pressure reaches on one impact category."""

    __tablename__ = "cost_pressure_score"
    __table_args__ = (UniqueConstraint("pressure_id", "category"),)

    pressure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cost_pressure.id"), index=True)
    category: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(1))

    pressure: Mapped[CostPressure] = relationship(back_populates="scores")


class PrioritisationWeight(Record, Base):
    """The weight of an impact category when cost pressures are scored (equal by default)."""

    __tablename__ = "prioritisation_weight"

    category: Mapped[str] = mapped_column(String(60), unique=True)
    weight: Mapped[Decimal] = mapped_column(Share(), default=Decimal(1))
