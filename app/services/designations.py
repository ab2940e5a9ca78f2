"""Designation of providers per service (at most five years) and service reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models import (
    AgendaItem,
    Body,
    Contract,
    ContractLine,
    Decision,
    Designation,
    DesignationCriterion,
    DesignationStatus,
    FinancialYear,
    Meeting,
    Organisation,
    ServiceDefinition,
    ServiceReview,
)
from app.models.base import utc_now
from app.models.nds_rules import designation_problem, ends_within_a_year, review_overdue
from app.services.access import Area, require_write
from app.services.reference_data import read_json

REVIEW_KINDS = (
    "Initial Service Review",
    "Full Service Review",
    "Monitoring Review",
    "Commissioning Strategy",
)
REVIEW_STATUSES = ("planned", "in progress", "completed")


def designation_criteria() -> list[str]:
    """The six criteria of §125 of the review, in order."""
    return [c["text"] for c in read_json("designation_criteria.json")["criteria"]]


@dataclass(frozen=True)
class DesignationRow:
    id: uuid.UUID
    service_line_id: uuid.UUID
    provider: str
    provider_code: str
    starts_on: date
    ends_on: date
    status: str
    criteria_met: int
    ending_soon: bool
    notes: str


@dataclass(frozen=True)
class CriterionRow:
    number: int
    text: str
    met: bool
    evidence: str


def _provider(session: Session, code: str) -> Organisation:
    provider = session.scalars(select(Organisation).where(Organisation.code == code)).first()
    if provider is None:
        raise InputRejected([Problem("", None, "provider", f"no provider with code '{code}'")])
    return provider


def _check(starts_on: date, ends_on: date, status: str) -> None:
    problems = []
    problem = designation_problem(starts_on, ends_on)
    if problem:
        problems.append(Problem("", None, "ends_on", problem))
    if status not in DesignationStatus.ALL:
        problems.append(
            Problem(
                "", None, "status", f"'{status}' is not one of {', '.join(DesignationStatus.ALL)}"
            )
        )
    if problems:
        raise InputRejected(problems)


def designate(
    session: Session,
    service_line_id: uuid.UUID,
    provider_code: str,
    starts_on: date,
    ends_on: date,
    status: str = DesignationStatus.DESIGNATED,
    notes: str = "",
) -> uuid.UUID:
    require_write(session, Area.DEFINITIONS)
    _check(starts_on, ends_on, status)
    designation = Designation(
        service_line_id=service_line_id,
        provider_id=_provider(session, provider_code).id,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        notes=notes,
    )
    session.add(designation)
    session.flush()
    for number in range(1, len(designation_criteria()) + 1):
        session.add(DesignationCriterion(designation_id=designation.id, number=number))
    session.flush()
    return designation.id


def update_designation(
    session: Session,
    designation_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    status: str,
    notes: str,
) -> None:
    require_write(session, Area.DEFINITIONS)
    _check(starts_on, ends_on, status)
    designation = session.get(Designation, designation_id)
    if designation is None:
        raise NotFound(f"no designation {designation_id}")
    designation.starts_on, designation.ends_on = starts_on, ends_on
    designation.status, designation.notes = status, notes
    session.flush()


def set_criterion(
    session: Session, designation_id: uuid.UUID, number: int, met: bool, evidence: str
) -> None:
    require_write(session, Area.DEFINITIONS)
    if not 1 <= number <= len(designation_criteria()):
        raise InputRejected(f"criterion {number} does not exist (1 to 6)")
    row = session.scalars(
        select(DesignationCriterion).where(
            DesignationCriterion.designation_id == designation_id,
            DesignationCriterion.number == number,
        )
    ).first()
    if row is None:
        row = DesignationCriterion(designation_id=designation_id, number=number)
        session.add(row)
    row.met, row.evidence = met, evidence.strip()
    session.flush()


def set_criteria(
    session: Session, designation_id: uuid.UUID, criteria: Sequence[tuple[bool, str]]
) -> None:
    """Every criterion of a designation at once, (met, evidence) in the order of §125."""
    if len(criteria) != len(designation_criteria()):
        raise InputRejected(f"give all {len(designation_criteria())} criteria, not {len(criteria)}")
    _designation(session, designation_id)
    for number, (met, evidence) in enumerate(criteria, start=1):
        set_criterion(session, designation_id, number, met, evidence)


def _designation(session: Session, designation_id: uuid.UUID) -> Designation:
    designation = session.get(Designation, designation_id)
    if designation is None:
        raise NotFound(f"no designation {designation_id}")
    return designation


def delete_designation(session: Session, designation_id: uuid.UUID) -> None:
    """Take a designation away (softly, with its criteria, so the deletion can travel)."""
    require_write(session, Area.DEFINITIONS)
    when = utc_now()
    _designation(session, designation_id).deleted_at = when
    for criterion in _criteria_rows(session, designation_id):
        criterion.deleted_at = when
    session.flush()


def restore_designation(session: Session, designation_id: uuid.UUID) -> None:
    """Bring back a deleted designation and the criteria deleted with it."""
    require_write(session, Area.DEFINITIONS)
    designation = _designation(session, designation_id)
    for criterion in _criteria_rows(session, designation_id):
        if criterion.deleted_at == designation.deleted_at:
            criterion.deleted_at = None
    designation.deleted_at = None
    session.flush()


def _criteria_rows(session: Session, designation_id: uuid.UUID) -> list[DesignationCriterion]:
    return list(
        session.scalars(
            select(DesignationCriterion).where(
                DesignationCriterion.designation_id == designation_id
            )
        )
    )


def criteria_of(session: Session, designation_id: uuid.UUID) -> list[CriterionRow]:
    held = {
        c.number: c
        for c in session.scalars(
            select(DesignationCriterion).where(
                DesignationCriterion.designation_id == designation_id,
                DesignationCriterion.deleted_at.is_(None),
            )
        )
    }
    return [
        CriterionRow(
            number,
            text,
            held[number].met if number in held else False,
            held[number].evidence if number in held else "",
        )
        for number, text in enumerate(designation_criteria(), start=1)
    ]


def designations_of(
    session: Session, service_line_id: uuid.UUID, today: date
) -> list[DesignationRow]:
    met = dict(
        session.execute(
            select(DesignationCriterion.designation_id, func.count())
            .where(DesignationCriterion.met.is_(True))
            .group_by(DesignationCriterion.designation_id)
        ).all()
    )
    rows = session.execute(
        select(Designation, Organisation)
        .join(Organisation, Organisation.id == Designation.provider_id)
        .where(Designation.service_line_id == service_line_id, Designation.deleted_at.is_(None))
        .order_by(Designation.starts_on.desc())
    ).all()
    return [
        DesignationRow(
            d.id,
            d.service_line_id,
            p.name,
            p.code,
            d.starts_on,
            d.ends_on,
            d.status,
            met.get(d.id, 0),
            is_current(d, today) and ends_within_a_year(d.ends_on, today),
            d.notes,
        )
        for d, p in rows
    ]


def is_current(designation: Designation, today: date) -> bool:
    return (
        designation.status in (DesignationStatus.DESIGNATED, DesignationStatus.PROVISIONAL)
        and designation.starts_on <= today <= designation.ends_on
    )


@dataclass(frozen=True)
class DesignationFlag:
    """Something about a service's designations that needs attention."""

    id: uuid.UUID  # the service line
    code: str
    service: str
    provider: str
    reason: str
    due: date | None


@dataclass(frozen=True)
class DesignationFacts:
    """What the list and the flags need to know about designations on one day, read in one
    query per table: the providers designated now, those ending within 12 months, and the
    providers holding a contract line for a service they are not designated for."""

    providers: dict[uuid.UUID, list[str]]  # by service line, in order of name
    ending: list[tuple[uuid.UUID, str, date]]  # service line, provider, last day
    not_designated: list[tuple[uuid.UUID, str]]  # service line, provider
    year: FinancialYear


_CURRENT_STATUSES = (DesignationStatus.DESIGNATED, DesignationStatus.PROVISIONAL)


def designation_facts(session: Session, today: date) -> DesignationFacts:
    # Plain columns rather than entities: the list of services reads these when it opens.
    designation = Designation.__table__.c
    organisation = Organisation.__table__.c
    providers: dict[uuid.UUID, list[str]] = {}
    ending: list[tuple[uuid.UUID, str, date]] = []
    designated: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for line_id, provider_id, name, ends_on in session.execute(
        select(
            designation.service_line_id,
            designation.provider_id,
            organisation.name,
            designation.ends_on,
        )
        .join_from(
            Designation.__table__,
            Organisation.__table__,
            organisation.id == designation.provider_id,
        )
        .where(
            designation.deleted_at.is_(None),
            designation.status.in_(_CURRENT_STATUSES),
            designation.starts_on <= today,
            designation.ends_on >= today,
        )
        .order_by(organisation.name)
    ):
        providers.setdefault(line_id, []).append(name)
        designated.add((line_id, provider_id))
        if ends_within_a_year(ends_on, today):
            ending.append((line_id, name, ends_on))
    year = FinancialYear.containing(today)
    line = ContractLine.__table__.c
    contract = Contract.__table__.c
    contracted = session.execute(
        select(line.service_line_id, organisation.id, organisation.name)
        .join_from(ContractLine.__table__, Contract.__table__, contract.id == line.contract_id)
        .join(Organisation.__table__, organisation.id == contract.provider_id)
        .where(contract.financial_year == year, line.deleted_at.is_(None))
        .distinct()
    ).all()
    not_designated = [
        (line_id, provider_name)
        for line_id, provider_id, provider_name in contracted
        if (line_id, provider_id) not in designated
    ]
    return DesignationFacts(providers, ending, not_designated, year)


def designation_flags(session: Session, today: date) -> list[DesignationFlag]:
    """Designations ending within 12 months, and providers of a service that are not
    designated for it (they hold a contract line for it this year)."""
    facts = designation_facts(session, today)
    names = _current_names(session)
    flags = [
        DesignationFlag(
            line_id,
            *names.get(line_id, ("", "")),
            provider,
            f"designation ends on {ends_on:%d %b %Y}",
            ends_on,
        )
        for line_id, provider, ends_on in facts.ending
    ]
    flags.extend(
        DesignationFlag(
            line_id,
            *names.get(line_id, ("", "")),
            provider,
            f"provides the service under a {facts.year} contract but is not designated",
            None,
        )
        for line_id, provider in facts.not_designated
    )
    return sorted(flags, key=lambda f: (f.due or date.max, f.code, f.provider))


def _current_names(session: Session) -> dict[uuid.UUID, tuple[str, str]]:
    from app.services.reference_data import current_edition

    edition = current_edition(session)
    return {
        d.service_line_id: (d.code, d.title)
        for d in session.scalars(
            select(ServiceDefinition).where(ServiceDefinition.edition_id == edition.id)
        )
    }


@dataclass(frozen=True)
class ReviewRow:
    id: uuid.UUID
    kind: str
    started_on: date | None
    completed_on: date | None
    lead: str
    status: str
    findings: str
    decision_id: uuid.UUID | None
    decision: str = ""  # the decision that followed, as `decision_choices` names it


@dataclass(frozen=True)
class DecisionChoice:
    """A decision recorded at a meeting, as a review's link to it is offered and shown."""

    id: uuid.UUID
    held_on: date
    label: str


def decision_choices(session: Session, ids: set[uuid.UUID] | None = None) -> list[DecisionChoice]:
    """The decisions recorded in meetings, latest first (only `ids`, when given). A decision
    on a confidential item is named by its reference alone, as elsewhere outside meetings."""
    query = (
        select(Decision, Meeting.held_on, Body.short_name, AgendaItem)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .join(Body, Body.id == Meeting.body_id)
        .outerjoin(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .where(Decision.deleted_at.is_(None), Meeting.deleted_at.is_(None))
        .order_by(Meeting.held_on.desc(), AgendaItem.reference, Decision.subject)
    )
    if ids is not None:
        if not ids:
            return []
        query = query.where(Decision.id.in_(ids))
    choices = []
    for decision, held_on, body, item in session.execute(query):
        reference = item.reference if item is not None else body
        subject = "(confidential)" if item is not None and item.confidential else decision.subject
        choices.append(
            DecisionChoice(decision.id, held_on, f"{held_on:%d %b %Y} {reference}: {subject}")
        )
    return choices


def _check_review(
    kind: str, status: str, started_on: date | None, completed_on: date | None
) -> None:
    problems = []
    if kind not in REVIEW_KINDS:
        problems.append(
            Problem("", None, "kind", f"'{kind}' is not one of {', '.join(REVIEW_KINDS)}")
        )
    if status not in REVIEW_STATUSES:
        problems.append(
            Problem("", None, "status", f"'{status}' is not one of {', '.join(REVIEW_STATUSES)}")
        )
    if status == "completed" and completed_on is None:
        problems.append(Problem("", None, "completed_on", "a completed review needs its date"))
    if started_on and completed_on and completed_on < started_on:
        problems.append(Problem("", None, "completed_on", "a review cannot end before it starts"))
    if problems:
        raise InputRejected(problems)


def record_review(
    session: Session,
    service_line_id: uuid.UUID,
    kind: str,
    status: str,
    lead: str = "",
    started_on: date | None = None,
    completed_on: date | None = None,
    findings: str = "",
    decision_id: uuid.UUID | None = None,
    review_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add a review of a service, or change one (`review_id`); `decision_id` links it to the
    decision that followed it (None: no link, or the link taken away)."""
    require_write(session, Area.DEFINITIONS)
    _check_review(kind, status, started_on, completed_on)
    if decision_id is not None:
        decision = session.get(Decision, decision_id)
        if decision is None or decision.deleted_at is not None:
            raise InputRejected(
                [Problem("", None, "decision", "no such decision is recorded in a meeting")]
            )
    review = session.get(ServiceReview, review_id) if review_id else None
    if review_id and review is None:
        raise NotFound(f"no review {review_id}")
    if review is None:
        review = ServiceReview(service_line_id=service_line_id, kind=kind, status=status)
        session.add(review)
    review.kind, review.status, review.lead = kind, status, lead.strip()
    review.started_on, review.completed_on = started_on, completed_on
    review.findings, review.decision_id = findings, decision_id
    session.flush()
    return review.id


def _review(session: Session, review_id: uuid.UUID) -> ServiceReview:
    review = session.get(ServiceReview, review_id)
    if review is None:
        raise NotFound(f"no review {review_id}")
    return review


def delete_review(session: Session, review_id: uuid.UUID) -> None:
    """Take a review away (softly, so that the deletion can travel to other copies)."""
    require_write(session, Area.DEFINITIONS)
    _review(session, review_id).deleted_at = utc_now()
    session.flush()


def restore_review(session: Session, review_id: uuid.UUID) -> None:
    require_write(session, Area.DEFINITIONS)
    _review(session, review_id).deleted_at = None
    session.flush()


def reviews_of(session: Session, service_line_id: uuid.UUID) -> list[ReviewRow]:
    reviews = session.scalars(
        select(ServiceReview)
        .where(ServiceReview.service_line_id == service_line_id, ServiceReview.deleted_at.is_(None))
        .order_by(ServiceReview.started_on.desc())
    ).all()
    linked = {r.decision_id for r in reviews if r.decision_id is not None}
    labels = {c.id: c.label for c in decision_choices(session, linked)}
    return [
        ReviewRow(
            r.id,
            r.kind,
            r.started_on,
            r.completed_on,
            r.lead,
            r.status,
            r.findings,
            r.decision_id,
            labels.get(r.decision_id, "") if r.decision_id else "",
        )
        for r in reviews
    ]


@dataclass(frozen=True)
class ReviewFlag:
    id: uuid.UUID
    code: str
    service: str
    last_review: date | None


def services_needing_review(session: Session, today: date) -> list[ReviewFlag]:
    """The 35 services (not sub-lines) with no completed review in the last five years."""
    from app.services.definitions import list_services

    return [
        ReviewFlag(row.id, row.code, row.name, row.last_review)
        for row in list_services(session, None, today)
        if row.kind == "service" and review_overdue(row.last_review, today)
    ]
