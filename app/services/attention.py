"""What needs someone's attention today, across every area: the Home tab and `report attention`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.formatting import format_date
from app.models import (
    Action,
    ActionStatus,
    Contract,
    ContractStatus,
    Designation,
    Dispute,
    DisputeStage,
    FinancialYear,
    LineKind,
    Meeting,
    Organisation,
    Purpose,
    ReturnSubmission,
    ServiceDefinition,
    ServiceReview,
)
from app.services.dispute_access import CONFIDENTIAL_TITLE, may_read_in_full, reader
from app.services.reference_data import current_edition

# A month's return is expected within this many days of the month's end (the local rule;
# change it here if the SCG's contracts say otherwise).
RETURN_DUE_DAYS = 20
REVIEW_YEARS = 5
DESIGNATION_WARNING_DAYS = 365
MEETING_PAPERS_DAYS = 30
ACTIONS_DUE_DAYS = 7


class Kind:
    """The headings of the list, in the order they are shown."""

    ACTIONS = "Actions overdue or due this week"
    CONTRACTS = "Contracts not signed by 1 April"
    RETURNS = "Monthly returns late"
    OVER_PERFORMANCE = "Over-performance without an investigation"
    DESIGNATIONS = "Designations ending within 12 months"
    REVIEWS = "Services without a review in five years"
    DISPUTES = "Dispute stages past their target date"
    MEETINGS = "Meetings in the next 30 days without their papers"
    ORDER = (ACTIONS, CONTRACTS, RETURNS, OVER_PERFORMANCE, DESIGNATIONS, REVIEWS, DISPUTES,
             MEETINGS)  # fmt: skip


@dataclass(frozen=True)
class AttentionItem:
    """One line of the list: what, why, by when, and the record it opens."""

    id: uuid.UUID  # the record's id
    kind: str
    area: str  # the tab that shows the record (`area` of the tab class)
    record_type: str  # e.g. "action", "meeting", "contract"
    title: str
    detail: str
    due_on: date | None
    overdue: bool
    confidential: bool = False  # its title is left out of anything published

    @property
    def public_title(self) -> str:
        return self.title.split(" ")[0] + " (confidential)" if self.confidential else self.title


Source = Callable[[Session, date], list[AttentionItem]]


def _live(entity: type) -> ColumnElement[bool]:
    column: ColumnElement[bool] = entity.deleted_at.is_(None)  # type: ignore[attr-defined]
    return column


def actions_due(session: Session, today: date) -> list[AttentionItem]:
    horizon = today + timedelta(days=ACTIONS_DUE_DAYS)
    rows = session.execute(
        select(Action, Meeting)
        .join(Meeting, Meeting.id == Action.meeting_id)
        .where(_live(Action), Action.status == ActionStatus.OPEN, Action.due_on <= horizon)
        .order_by(Action.due_on)
    ).all()
    return [
        AttentionItem(
            id=action.id,
            kind=Kind.ACTIONS,
            area="meetings",
            record_type="action",
            title=action.text,
            detail=f"{action.owner}; from the {meeting.body.short_name} meeting of "
            f"{format_date(meeting.held_on)}",
            due_on=action.due_on,
            overdue=action.due_on < today,
        )
        for action, meeting in rows
    ]


def contracts_unsigned(session: Session, today: date) -> list[AttentionItem]:
    """This year's contracts still unsigned, and next year's once April is three months off."""
    years = [FinancialYear.containing(today)]
    if (years[0] + 1).starts_on - today <= timedelta(days=92):
        years.append(years[0] + 1)
    contracts = session.scalars(
        select(Contract)
        .where(
            _live(Contract),
            Contract.financial_year.in_(years),
            Contract.status != ContractStatus.SIGNED,
        )
        .order_by(Contract.reference)
    ).all()
    return [
        AttentionItem(
            id=contract.id,
            kind=Kind.CONTRACTS,
            area="contracts",
            record_type="contract",
            title=f"{contract.reference} {contract.provider.name}",
            detail=f"{contract.financial_year}: {contract.status}",
            due_on=contract.financial_year.starts_on,
            overdue=contract.financial_year.starts_on <= today,
        )
        for contract in contracts
    ]


def returns_late(session: Session, today: date) -> list[AttentionItem]:
    year = FinancialYear.containing(today)
    # One contract per provider (its first by reference) opens when the line is chosen.
    first_contract: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for provider_id, name, contract_id in session.execute(
        select(Organisation.id, Organisation.name, Contract.id)
        .join(Contract, Contract.provider_id == Organisation.id)
        .where(_live(Contract), Contract.financial_year == year)
        .order_by(Organisation.name, Contract.reference)
    ):
        first_contract.setdefault(provider_id, (contract_id, name))
    providers = [(p, name, c) for p, (c, name) in first_contract.items()]
    received = set(
        session.execute(
            select(ReturnSubmission.provider_id, ReturnSubmission.month).where(
                _live(ReturnSubmission), ReturnSubmission.financial_year == year
            )
        ).all()
    )
    items = []
    for provider_id, name, contract_id in providers:
        for index in range(1, 13):
            month = FinancialYear.calendar_month(index)
            start = year.month_start(month)
            next_month = (start + timedelta(days=32)).replace(day=1)
            due = next_month - timedelta(days=1) + timedelta(days=RETURN_DUE_DAYS)
            if due >= today:
                break
            if (provider_id, month) not in received:
                items.append(
                    AttentionItem(
                        id=contract_id,
                        kind=Kind.RETURNS,
                        area="contracts",
                        record_type="contract",
                        title=f"{name}: {start.strftime('%B %Y')} return",
                        detail=f"due {format_date(due)}, not received",
                        due_on=due,
                        overdue=True,
                    )
                )
    return items


def over_performance_uninvestigated(session: Session, today: date) -> list[AttentionItem]:
    """Lines of this year's contracts above plan and margin with no investigation opened."""
    from app.services.monitoring import uninvestigated

    items = []
    for contract_id, reference, row in uninvestigated(session, FinancialYear.containing(today)):
        over = "" if row.variance_percent is None else f" {row.variance_percent * 100:+.1f}%"
        items.append(
            AttentionItem(
                id=contract_id,
                kind=Kind.OVER_PERFORMANCE,
                area="contracts",
                record_type="contract",
                title=f"{reference}: {row.label}",
                detail=f"over plan{over} to date, beyond its margin; no investigation opened",
                due_on=None,
                overdue=True,
            )
        )
    return items


def designations_ending(session: Session, today: date) -> list[AttentionItem]:
    horizon = today + timedelta(days=DESIGNATION_WARNING_DAYS)
    names = _line_names(session)
    rows = session.execute(
        select(Designation, Organisation.name)
        .join(Organisation, Organisation.id == Designation.provider_id)
        .where(
            _live(Designation),
            Designation.status.in_(("designated", "provisional")),
            Designation.ends_on >= today,
            Designation.ends_on <= horizon,
        )
        .order_by(Designation.ends_on)
    ).all()
    return [
        AttentionItem(
            id=designation.service_line_id,
            kind=Kind.DESIGNATIONS,
            area="definitions",
            record_type="service_line",
            title=f"{names.get(designation.service_line_id, '')} at {provider}",
            detail=f"{designation.status}, ends {format_date(designation.ends_on)}",
            due_on=designation.ends_on,
            overdue=False,
        )
        for designation, provider in rows
    ]


def _line_names(session: Session) -> dict[uuid.UUID, str]:
    edition = current_edition(session)
    return {
        line: f"{code} {name}"
        for line, code, name in session.execute(
            select(
                ServiceDefinition.service_line_id, ServiceDefinition.code, ServiceDefinition.name
            ).where(ServiceDefinition.edition_id == edition.id)
        )
    }


def reviews_overdue(session: Session, today: date) -> list[AttentionItem]:
    """Services (not sub-lines) whose last completed review is more than five years old."""
    edition = current_edition(session)
    since = today.replace(year=today.year - REVIEW_YEARS)
    last = dict(
        session.execute(
            select(ServiceReview.service_line_id, func.max(ServiceReview.completed_on))
            .where(_live(ServiceReview), ServiceReview.completed_on.is_not(None))
            .group_by(ServiceReview.service_line_id)
        ).all()
    )
    definitions = session.scalars(
        select(ServiceDefinition)
        .where(
            ServiceDefinition.edition_id == edition.id,
            _live(ServiceDefinition),
            ServiceDefinition.retired.is_(False),
            ServiceDefinition.parent_line_id.is_(None),
        )
        .order_by(ServiceDefinition.position)
    ).all()
    items = []
    for definition in definitions:
        if definition.service_line.kind != LineKind.SERVICE:
            continue
        reviewed = last.get(definition.service_line_id)
        if reviewed is not None and reviewed >= since:
            continue
        items.append(
            AttentionItem(
                id=definition.service_line_id,
                kind=Kind.REVIEWS,
                area="definitions",
                record_type="service_line",
                title=f"{definition.code} {definition.title}",
                detail=f"last reviewed {format_date(reviewed)}" if reviewed else "never reviewed",
                due_on=None,
                overdue=True,
            )
        )
    return items


def dispute_stages_late(session: Session, today: date) -> list[AttentionItem]:
    rows = session.execute(
        select(DisputeStage, Dispute)
        .join(Dispute, Dispute.id == DisputeStage.dispute_id)
        .where(
            _live(DisputeStage),
            _live(Dispute),
            Dispute.status == "open",
            DisputeStage.ended_on.is_(None),
            DisputeStage.target_on < today,
        )
        .order_by(DisputeStage.target_on)
    ).all()
    person = reader(session)
    return [
        AttentionItem(
            id=dispute.id,
            kind=Kind.DISPUTES,
            area="disputes",
            record_type="dispute",
            title=f"{dispute.reference} "
            + (dispute.title if may_read_in_full(session, dispute, person) else CONFIDENTIAL_TITLE),
            detail=f"stage '{stage.stage.replace('_', ' ')}' due {format_date(stage.target_on)}",
            due_on=stage.target_on,
            overdue=True,
            confidential=dispute.confidential,
        )
        for stage, dispute in rows
    ]


def meetings_without_papers(session: Session, today: date) -> list[AttentionItem]:
    horizon = today + timedelta(days=MEETING_PAPERS_DAYS)
    meetings = session.scalars(
        select(Meeting)
        .where(_live(Meeting), Meeting.held_on >= today, Meeting.held_on <= horizon)
        .order_by(Meeting.held_on)
    ).all()
    items = []
    for meeting in meetings:
        missing = [
            item.reference
            for item in sorted(meeting.items, key=lambda i: i.sequence)
            if item.deleted_at is None
            and item.purpose != Purpose.INFORMATION
            and not (item.paper or item.paper_report)
        ]
        if missing:
            items.append(
                AttentionItem(
                    id=meeting.id,
                    kind=Kind.MEETINGS,
                    area="meetings",
                    record_type="meeting",
                    title=f"{meeting.body.name}, {format_date(meeting.held_on)}",
                    detail=f"{len(missing)} paper(s) missing: {', '.join(missing)}",
                    due_on=meeting.held_on,
                    overdue=False,
                )
            )
    return items


SOURCES: tuple[Source, ...] = (
    actions_due,
    contracts_unsigned,
    returns_late,
    over_performance_uninvestigated,
    designations_ending,
    reviews_overdue,
    dispute_stages_late,
    meetings_without_papers,
)


def needing_attention(session: Session, today: date) -> list[AttentionItem]:
    """Everything that needs attention on `today`, grouped in the order of `Kind.ORDER`."""
    items: list[AttentionItem] = []
    for source in SOURCES:
        items.extend(source(session, today))
    order = {kind: number for number, kind in enumerate(Kind.ORDER)}
    return sorted(items, key=lambda item: order[item.kind])  # stable: each source's order kept
