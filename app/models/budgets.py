"""The pooled budget of an SCG for a year: what it holds, how it is uplifted, who pays what."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Record, narrative_column
from app.models.financial_year import FinancialYear
from app.models.organisations import Organisation
from app.models.types import FinancialYearType, Money, Share


class PooledBudget(Record, Base):
    """An SCG's budget pooled from its members' allocations for one year (000 §82-93).

    The services budget is the year's base before uplifts; the management costs are the
    SCG's own running costs, which the pool covers too (Recommendation 10).
    """

    __tablename__ = "pooled_budget"
    __table_args__ = (UniqueConstraint("group_id", "financial_year"),)

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    financial_year: Mapped[FinancialYear] = mapped_column(FinancialYearType)
    services_budget: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    management_costs: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    notes: Mapped[str] = narrative_column()

    group: Mapped[Organisation] = relationship(lazy="joined")
    uplifts: Mapped[list[PooledBudgetUplift]] = relationship(
        back_populates="budget", order_by="PooledBudgetUplift.position"
    )
    agreed_shares: Mapped[list[AgreedShare]] = relationship(back_populates="budget")


class PooledBudgetUplift(Record, Base):
    """An uplift of the services budget: inflation, or another agreed generic cost pressure."""

    __tablename__ = "pooled_budget_uplift"

    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pooled_budget.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    rate: Mapped[Decimal] = mapped_column(Share())

    budget: Mapped[PooledBudget] = relationship(back_populates="uplifts")


class AgreedShare(Record, Base):
    """A member's share of the pool agreed at the outset; members without one pay pro rata to
    their baseline allocations (000 §86)."""

    __tablename__ = "pooled_budget_share"
    __table_args__ = (UniqueConstraint("budget_id", "member_id"),)

    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pooled_budget.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Share())

    budget: Mapped[PooledBudget] = relationship(back_populates="agreed_shares")
    member: Mapped[Organisation] = relationship(lazy="joined")
