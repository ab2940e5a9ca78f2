"""Quality standards of contract lines, their results, and contract notices and sanctions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import (
    Contract,
    ContractLine,
    ContractNotice,
    FinancialYear,
    Frequency,
    NoticeKind,
    NoticeStatus,
    QualityResult,
    QualityStandard,
)
from app.models.base import utc_now
from app.models.identifiable import NumberConfirmation, confirm_while_writing
from app.services.access import Area, require_write
from app.services.monitoring import _names
from app.store.database import Database

MINIMUM_STANDARDS = 2  # per service (000 Appendix 14, measure 3)


def _line(session: Session, contract: str, service_line: str, point: str) -> ContractLine:
    names = _names(session)
    line = session.scalar(
        select(ContractLine)
        .join(Contract)
        .where(
            Contract.reference == contract,
            ContractLine.service_line_id == names.line_by_code.get(service_line),
            ContractLine.point_of_delivery == point,
            ContractLine.deleted_at.is_(None),
        )
    )
    if line is None:
        raise InputRejected(f"{contract} has no line {service_line} {point}".rstrip())
    return line


def add_quality_standard(
    database: Database,
    contract: str,
    service_line: str,
    point_of_delivery: str,
    name: str,
    target: str,
    frequency: str = Frequency.QUARTERLY,
) -> uuid.UUID:
    """A standard for a contract line, monitored monthly or quarterly (never less often)."""
    if frequency not in Frequency.ALL:
        raise InputRejected(
            f"'{frequency}' is too rare: standards are monitored at least quarterly "
            f"({' or '.join(Frequency.ALL)})"
        )
    if not name.strip():
        raise InputRejected("a standard needs a name")
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        line = _line(session, contract, service_line, point_of_delivery)
        standard = QualityStandard(
            id=uuid.uuid4(), line=line, name=name.strip(), target=target, frequency=frequency,
            created_by=user, updated_by=user,
        )  # fmt: skip
        session.add(standard)
        return standard.id


@dataclass(frozen=True)
class ResultValues:
    """A result as recorded, so that a change can be put back."""

    result: str
    met: bool | None
    comment: str


def record_quality_result(
    database: Database, standard_id: uuid.UUID, period: str, result: str, met: bool | None,
    comment: str = "", confirmations: Sequence[NumberConfirmation] = (),
) -> ResultValues | None:  # fmt: skip
    """The result of a standard for a period; recording it again replaces it.

    Returns what was recorded for the period before, None when nothing was.
    """
    if not period.strip():
        raise InputRejected("a result needs its period, such as 2026/27 Q1")
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        confirm_while_writing(session, confirmations)
        if session.get(QualityStandard, standard_id) is None:
            raise InputRejected("no such quality standard")
        record = session.scalar(
            select(QualityResult).where(
                QualityResult.standard_id == standard_id, QualityResult.period == period
            )
        )
        before = None
        if record is None:
            record = QualityResult(standard_id=standard_id, period=period, created_by=user)
            session.add(record)
        elif record.deleted_at is None:
            before = ResultValues(record.result, record.met, record.comment)
        record.result, record.met, record.comment, record.updated_by = result, met, comment, user
        record.deleted_at = None
        return before


def remove_quality_result(database: Database, standard_id: uuid.UUID, period: str) -> None:
    """Take a period's result away (to undo its recording)."""
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        record = session.scalar(
            select(QualityResult).where(
                QualityResult.standard_id == standard_id, QualityResult.period == period
            )
        )
        if record is not None:
            record.deleted_at = utc_now()


def remove_quality_standard(database: Database, standard_id: uuid.UUID) -> None:
    """Take a standard away (softly, so that the removal travels to other copies)."""
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        standard = session.get(QualityStandard, standard_id)
        if standard is None:
            raise InputRejected("no such quality standard")
        standard.deleted_at = utc_now()


def restore_quality_standard(database: Database, standard_id: uuid.UUID) -> None:
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        standard = session.get(QualityStandard, standard_id)
        if standard is None:
            raise InputRejected("no such quality standard")
        standard.deleted_at = None


@dataclass(frozen=True)
class StandardRow:
    """A standard as the Quality page shows it, with its latest result."""

    id: uuid.UUID
    contract: str
    service_line: str
    point_of_delivery: str
    name: str
    target: str
    frequency: str
    latest_period: str
    latest_result: str
    met: str


def list_standards(
    database: Database, year: FinancialYear | None = None, contract: str | None = None
) -> list[StandardRow]:
    with database.reader() as session:
        names = _names(session)
        query = (
            select(QualityStandard, ContractLine, Contract.reference)
            .join(ContractLine, QualityStandard.line_id == ContractLine.id)
            .join(Contract, ContractLine.contract_id == Contract.id)
            .where(QualityStandard.deleted_at.is_(None), Contract.deleted_at.is_(None))
            .order_by(Contract.reference, QualityStandard.name)
        )
        if year is not None:
            query = query.where(Contract.financial_year == year)
        if contract:
            query = query.where(Contract.reference == contract)
        found = session.execute(query).all()
        latest: dict[uuid.UUID, QualityResult] = {}
        for result in session.scalars(
            select(QualityResult)
            .where(
                QualityResult.standard_id.in_([s.id for s, _l, _r in found]),
                QualityResult.deleted_at.is_(None),
            )
            .order_by(QualityResult.period)
        ):
            latest[result.standard_id] = result
        rows = []
        for standard, line, reference in found:
            last = latest.get(standard.id)
            met = "" if last is None or last.met is None else ("met" if last.met else "not met")
            rows.append(
                StandardRow(
                    standard.id, reference, names.lines.get(line.service_line_id, ("?", ""))[0],
                    line.point_of_delivery, standard.name, standard.target, standard.frequency,
                    last.period if last else "", last.result if last else "", met,
                )
            )  # fmt: skip
        return rows


def contract_lines(database: Database, contract: str) -> list[tuple[str, str]]:
    """The service line codes and points of delivery of a contract, for choosing one."""
    with database.reader() as session:
        names = _names(session)
        return sorted(
            (names.lines.get(line_id, ("?", ""))[0], point)
            for line_id, point in session.execute(
                select(ContractLine.service_line_id, ContractLine.point_of_delivery)
                .join(Contract)
                .where(Contract.reference == contract, ContractLine.deleted_at.is_(None))
            )
        )


def quality_warnings(database: Database, year: FinancialYear) -> list[str]:
    """Each service of a contract with fewer than two quality standards."""
    with database.reader() as session:
        names = _names(session)
        counts = session.execute(
            select(Contract.reference, ContractLine.service_line_id, func.count(QualityStandard.id))
            .join(ContractLine, ContractLine.contract_id == Contract.id)
            .outerjoin(
                QualityStandard,
                (QualityStandard.line_id == ContractLine.id) & QualityStandard.deleted_at.is_(None),
            )
            .where(Contract.financial_year == year, Contract.deleted_at.is_(None))
            .group_by(Contract.reference, ContractLine.service_line_id)
            .order_by(Contract.reference)
        ).all()
    return [
        f"{reference} {names.lines[line_id][0]}: {count} quality standard"
        f"{'' if count == 1 else 's'}; at least {MINIMUM_STANDARDS} are expected"
        for reference, line_id, count in counts
        if count < MINIMUM_STANDARDS
    ]


@dataclass(frozen=True)
class NoticeRow:
    id: uuid.UUID
    contract: str
    kind: str
    amount: Decimal | None
    reason: str
    issued_on: date
    effective_from: date | None
    effective_to: date | None
    status: str


def add_notice(
    database: Database,
    contract: str,
    kind: str,
    reason: str,
    issued_on: date,
    amount: Decimal | None = None,
    effective_from: date | None = None,
    effective_to: date | None = None,
    status: str = NoticeStatus.ISSUED,
    confirmations: Sequence[NumberConfirmation] = (),
) -> uuid.UUID:
    """A notice or sanction: non-payment, delayed payment, fine, activity cap, rate below tariff."""
    problems = []
    if kind not in NoticeKind.ALL:
        problems.append(f"'{kind}' is not one of {', '.join(NoticeKind.ALL)}")
    if status not in NoticeStatus.ALL:
        problems.append(f"'{status}' is not one of {', '.join(NoticeStatus.ALL)}")
    if amount is not None and amount < 0:
        problems.append("the amount cannot be negative")
    if effective_from and effective_to and effective_to < effective_from:
        problems.append("the notice cannot end before it starts")
    if not reason.strip():
        problems.append("a notice needs its reason")
    if problems:
        raise InputRejected("; ".join(problems))
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        # Numbers the user confirmed are not NHS numbers pass the guard (with their reason).
        confirm_while_writing(session, confirmations)
        found = session.scalar(select(Contract).where(Contract.reference == contract))
        if found is None:
            raise InputRejected(f"no contract has the reference '{contract}'")
        notice = ContractNotice(
            id=uuid.uuid4(), contract=found, kind=kind, amount=amount, reason=reason.strip(),
            issued_on=issued_on, effective_from=effective_from, effective_to=effective_to,
            status=status, created_by=user, updated_by=user,
        )  # fmt: skip
        session.add(notice)
        return notice.id


def set_notice_status(database: Database, notice_id: uuid.UUID, status: str) -> str:
    """Change a notice's status (applied, withdrawn, resolved); returns the status it had."""
    if status not in NoticeStatus.ALL:
        raise InputRejected(f"'{status}' is not one of {', '.join(NoticeStatus.ALL)}")
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        notice = session.get(ContractNotice, notice_id)
        if notice is None:
            raise InputRejected("no such notice")
        before, notice.status, notice.updated_by = notice.status, status, user
        return before


def remove_notice(database: Database, notice_id: uuid.UUID, restore: bool = False) -> None:
    """Take a notice away softly (or bring it back, with `restore`), to undo its adding."""
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        notice = session.get(ContractNotice, notice_id)
        if notice is None:
            raise InputRejected("no such notice")
        notice.deleted_at = None if restore else utc_now()


def list_notices(database: Database, contract: str | None = None) -> list[NoticeRow]:
    with database.reader() as session:
        query = (
            select(ContractNotice, Contract.reference)
            .join(Contract)
            .where(ContractNotice.deleted_at.is_(None))
            .order_by(ContractNotice.issued_on)
        )
        if contract:
            query = query.where(Contract.reference == contract)
        return [
            NoticeRow(n.id, reference, n.kind, n.amount, n.reason, n.issued_on, n.effective_from,
                      n.effective_to, n.status)
            for n, reference in session.execute(query).all()
        ]  # fmt: skip
