"""The returns tracker: per contract and month, which returns arrived, are late or replaced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.formatting import format_date
from app.models import Contract, FinancialYear, ReturnSubmission
from app.models.financial_year import MONTH_NAMES
from app.store.database import Database

MONTH_FIELDS = tuple(name.lower() for name in MONTH_NAMES)


class ReturnState:
    ARRIVED = "arrived"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not yet due"


@dataclass(frozen=True)
class MonthReturn:
    month: int
    state: str
    received_on: date | None
    replaced: int
    due_on: date

    @property
    def text(self) -> str:
        if self.state == ReturnState.NOT_DUE:
            return ""
        if self.received_on is None:
            return f"missing, due {format_date(self.due_on)}"
        text = format_date(self.received_on)
        if self.state == ReturnState.LATE:
            text += " (late)"
        if self.replaced:
            text += f", replaced {self.replaced}×"
        return text


@dataclass(frozen=True)
class TrackerRow:
    """A contract's year of returns, a cell a month (April first)."""

    id: uuid.UUID
    contract: str
    provider: str
    months: tuple[MonthReturn, ...]
    late: int
    missing: int

    def __getattr__(self, name: str) -> str:
        if name in MONTH_FIELDS:
            return self.months[MONTH_FIELDS.index(name)].text
        raise AttributeError(name)


def due_on(year: FinancialYear, month: int, due_days: int) -> date:
    """A month's return is due `due_days` days after the month ends."""
    start = year.month_start(month)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - timedelta(days=1) + timedelta(days=due_days)


def returns_tracker(
    database: Database, year: FinancialYear, as_of: date, due_days: int = 15
) -> list[TrackerRow]:
    with database.reader() as session:
        contracts = (
            session.scalars(
                select(Contract)
                .where(Contract.financial_year == year, Contract.deleted_at.is_(None))
                .order_by(Contract.reference)
            )
            .unique()
            .all()
        )
        submissions = session.scalars(
            select(ReturnSubmission).where(
                ReturnSubmission.financial_year == year, ReturnSubmission.deleted_at.is_(None)
            )
        ).all()
        current: dict[tuple[uuid.UUID, int], ReturnSubmission] = {}
        replaced: dict[tuple[uuid.UUID, int], int] = {}
        for submission in submissions:
            key = (submission.provider_id, submission.month)
            if submission.replaced_by_id is None:
                current[key] = submission
            else:
                replaced[key] = replaced.get(key, 0) + 1
        rows = []
        for contract in contracts:
            months = []
            for index in range(1, 13):
                month = FinancialYear.calendar_month(index)
                due = due_on(year, month, due_days)
                key = (contract.provider_id, month)
                found = current.get(key)
                if found is not None:
                    state = ReturnState.LATE if found.received_on > due else ReturnState.ARRIVED
                    received = found.received_on
                else:
                    state = ReturnState.MISSING if as_of > due else ReturnState.NOT_DUE
                    received = None
                months.append(MonthReturn(month, state, received, replaced.get(key, 0), due))
            rows.append(
                TrackerRow(
                    id=contract.id,
                    contract=contract.reference,
                    provider=contract.provider.name,
                    months=tuple(months),
                    late=sum(m.state == ReturnState.LATE for m in months),
                    missing=sum(m.state == ReturnState.MISSING for m in months),
                )
            )
        return rows
