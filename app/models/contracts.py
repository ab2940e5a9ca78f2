"""Contracts with providers, their activity plans, and the monthly returns measured against them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import NARRATIVE, Base, Record, narrative_column
from app.models.financial_year import FinancialYear
from app.models.organisations import Organisation
from app.models.types import Activity, FinancialYearType, Money, Share


class ContractStatus:
    DRAFT = "draft"
    AGREED = "agreed"
    SIGNED = "signed"
    ALL = (DRAFT, AGREED, SIGNED)


class Contract(Record, Base):
    """A service agreement between a host commissioner (for its members) and a provider."""

    __tablename__ = "contract"

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType, index=True)
    status: Mapped[str] = mapped_column(String(20), default=ContractStatus.DRAFT)
    agreed_on: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    expected_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    notes: Mapped[str] = narrative_column()

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id], lazy="joined")
    host: Mapped[Organisation] = relationship(foreign_keys=[host_id], lazy="joined")
    lines: Mapped[list[ContractLine]] = relationship(back_populates="contract")


class ContractShare(Record, Base):
    """A member PCT's part of a contract's plan, where the contract sets its own split;
    without one, each PCT's part is its capitation share."""

    __tablename__ = "contract_share"
    __table_args__ = (UniqueConstraint("contract_id", "commissioner_id"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    commissioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    share: Mapped[Decimal] = mapped_column(Share())


class ContractLine(Record, Base):
    """A service line of a contract with its price and the agreed margin around its plan."""

    __tablename__ = "contract_line"
    __table_args__ = (UniqueConstraint("contract_id", "service_line_id", "point_of_delivery"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"), index=True)
    point_of_delivery: Mapped[str] = mapped_column(String(60), default="")
    price: Mapped[Decimal] = mapped_column(Money())
    margin: Mapped[Decimal] = mapped_column(Share(), default=Decimal("0.03"))

    contract: Mapped[Contract] = relationship(back_populates="lines")
    plan: Mapped[list[PlannedActivity]] = relationship(back_populates="line")


class PlannedActivity(Record, Base):
    """The indicative activity plan of a contract line for one month; a range where agreed."""

    __tablename__ = "planned_activity"
    __table_args__ = (UniqueConstraint("line_id", "month"),)

    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract_line.id"), index=True)
    month: Mapped[int] = mapped_column(Integer)
    activity: Mapped[Decimal] = mapped_column(Activity())
    minimum: Mapped[Decimal | None] = mapped_column(Activity())
    maximum: Mapped[Decimal | None] = mapped_column(Activity())

    line: Mapped[ContractLine] = relationship(back_populates="plan")


class ReturnSubmission(Record, Base):
    """One provider's monthly return as received; a later one for the same month replaces it."""

    __tablename__ = "return_submission"

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    month: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(400))
    file_hash: Mapped[str] = mapped_column(String(64), default="")
    received_on: Mapped[date] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("return_submission.id"))


class ReturnRow(Base):
    """A row of a return: an immutable fact, audited and synced with its submission.

    Rows carry no audit columns of their own: there are millions of them, they are never
    edited, and a correction arrives as a new submission.
    """

    __tablename__ = "return_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("return_submission.id"), index=True)
    commissioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    service_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_line.id"))
    point_of_delivery: Mapped[str] = mapped_column(String(60))
    planned_activity: Mapped[Decimal | None] = mapped_column(Activity())
    actual_activity: Mapped[Decimal] = mapped_column(Activity())
    price: Mapped[Decimal | None] = mapped_column(Money())
    actual_cost: Mapped[Decimal | None] = mapped_column(Money())


class ReturnColumnMapping(Record, Base):
    """How the columns of a provider's return file map to the fields of a return.

    Remembered by the file's header row, so the next file with the same headers is read
    without asking again.
    """

    __tablename__ = "return_column_mapping"

    header_key: Mapped[str] = mapped_column(String(64), unique=True)
    headers: Mapped[str] = mapped_column(Text, default="")
    mapping: Mapped[str] = mapped_column(Text, default="{}")


# The summaries are derived data, rebuilt from the return rows at will, and an import
# rewrites a million of their rows at a time. Each is one B-tree, keyed by what it sums
# (in SQLite, a table without rowid), so a row is written once rather than into a table
# and its indexes; no foreign keys, which would slow a million-row write several times over.
ACTIVITY_SUMMARY_KEY = (
    "financial_year",
    "commissioner_id",
    "month",
    "provider_id",
    "service_line_id",
    "point_of_delivery",
)
LINE_SUMMARY_KEY = (
    "financial_year",
    "month",
    "provider_id",
    "service_line_id",
    "point_of_delivery",
)


class ActivitySummary(Base):
    """Activity and cost of the current returns by month, provider, commissioner and line.

    Kept up to date at import, so monitoring never adds up raw return rows on demand. The
    commissioner is the successor of any merged PCT, so histories stay whole.
    """

    __tablename__ = "activity_summary"
    # Keyed commissioner first after the year: the monitoring view sums by commissioner and
    # month, filters included, from the key's order without a sort.
    __table_args__ = (
        PrimaryKeyConstraint(*ACTIVITY_SUMMARY_KEY),
        {"sqlite_with_rowid": False},
    )

    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    month: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    commissioner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    service_line_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    point_of_delivery: Mapped[str] = mapped_column(String(60))
    reported_plan: Mapped[Decimal] = mapped_column(Activity(), default=Decimal(0))
    actual_activity: Mapped[Decimal] = mapped_column(Activity(), default=Decimal(0))
    actual_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    row_count: Mapped[int] = mapped_column(Integer, default=0)


class LineSummary(Base):
    """The same totals without the commissioner: what a contract line did each month."""

    __tablename__ = "line_summary"
    __table_args__ = (
        PrimaryKeyConstraint(*LINE_SUMMARY_KEY),
        {"sqlite_with_rowid": False},
    )

    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    month: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    service_line_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    point_of_delivery: Mapped[str] = mapped_column(String(60))
    reported_plan: Mapped[Decimal] = mapped_column(Activity(), default=Decimal(0))
    actual_activity: Mapped[Decimal] = mapped_column(Activity(), default=Decimal(0))
    actual_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    row_count: Mapped[int] = mapped_column(Integer, default=0)


class InvestigationStatus:
    OPEN = "open"
    CLOSED = "closed"
    ALL = (OPEN, CLOSED)


class OverperformanceInvestigation(Record, Base):
    """The six questions of the 2006 framework (004 C.24-C.31) put to an over-performing line."""

    __tablename__ = "overperformance_investigation"
    __table_args__ = (UniqueConstraint("line_id"),)

    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract_line.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    month: Mapped[int] = mapped_column(Integer)
    variance: Mapped[Decimal] = mapped_column(Share(), default=Decimal(0))
    answers: Mapped[str] = mapped_column(Text, default="{}", info={NARRATIVE: True})
    root_cause: Mapped[str] = mapped_column(String(40), default="")
    actions: Mapped[str] = narrative_column()
    status: Mapped[str] = mapped_column(String(20), default=InvestigationStatus.OPEN)
    closed_on: Mapped[date | None] = mapped_column(Date)

    line: Mapped[ContractLine] = relationship()


class Frequency:
    """How often a quality standard is monitored: at least quarterly (000 Appendix 14)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ALL = (MONTHLY, QUARTERLY)


class QualityStandard(Record, Base):
    """A standard a contract line is held to, with its target and how often it is measured."""

    __tablename__ = "quality_standard"

    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract_line.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.QUARTERLY)

    line: Mapped[ContractLine] = relationship()


class QualityResult(Record, Base):
    """A standard's result for one period (`2026/27 Q1`, `2026/27 M05`)."""

    __tablename__ = "quality_result"
    __table_args__ = (UniqueConstraint("standard_id", "period"),)

    standard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quality_standard.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(200), default="")
    met: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = narrative_column()


class NoticeKind:
    NON_PAYMENT = "non-payment"
    DELAYED_PAYMENT = "delayed payment"
    FINE = "fine"
    ACTIVITY_CAP = "activity cap"
    RATE_BELOW_TARIFF = "rate below tariff"
    ALL = (NON_PAYMENT, DELAYED_PAYMENT, FINE, ACTIVITY_CAP, RATE_BELOW_TARIFF)


class NoticeStatus:
    ISSUED = "issued"
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"
    RESOLVED = "resolved"
    ALL = (ISSUED, APPLIED, WITHDRAWN, RESOLVED)


class ContractNotice(Record, Base):
    """A contract notice or sanction (000 §132; 004 C.31): what, how much, why, when."""

    __tablename__ = "contract_notice"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    reason: Mapped[str] = narrative_column()
    issued_on: Mapped[date] = mapped_column(Date)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.ISSUED)

    contract: Mapped[Contract] = relationship()
