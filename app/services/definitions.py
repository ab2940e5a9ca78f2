"""The National Definitions Set as users see it: the list of services and sub-lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    CommissioningResponsibility,
    Edition,
    LineKind,
    ServiceCode,
    ServiceDefinition,
    ServiceLine,
    ServiceReview,
    Term,
    Vocabulary,
)
from app.models.definitions import service_title
from app.models.nds_rules import review_overdue
from app.services.designations import designation_facts
from app.services.reference_data import current_edition


@dataclass(frozen=True)
class ServiceListRow:
    """One row of the Definitions Set list."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_code: str
    age_group: str
    commissioning_level: str
    lead_commissioner: str
    tariff_status: str
    designated_providers: str
    last_review: date | None
    flags: str
    position_key: int
    search_text: str


def tariff_status(in_national_tariff: bool, exclusion_reason: str, alternative_payment: str) -> str:
    if in_national_tariff:
        return "In national tariff"
    if exclusion_reason or alternative_payment:
        return "Excluded from tariff"
    return "Not in tariff"


def edition_by_label(session: Session, label: str | None) -> Edition:
    if label is None:
        return current_edition(session)
    edition = session.scalars(select(Edition).where(Edition.label == label)).first()
    if edition is None:
        raise LookupError(f"there is no edition labelled '{label}'")
    return edition


def term_names(session: Session, vocabulary: str) -> dict[str, str]:
    """The names of an editable list's entries, by code."""
    return dict(
        session.execute(select(Term.code, Term.name).where(Term.vocabulary == vocabulary)).all()
    )


def edition_labels(session: Session) -> list[str]:
    """The labels of every edition, oldest first."""
    edition = Edition.__table__.c
    return list(
        session.scalars(
            select(edition.label).where(edition.deleted_at.is_(None)).order_by(edition.created_at)
        )
    )


def _edition_id(session: Session, label: str | None) -> uuid.UUID:
    """The edition's key (the latest edition when no label is given), as `edition_by_label`."""
    edition = Edition.__table__.c
    query = select(edition.id)
    if label is None:
        query = query.order_by(edition.created_at.desc())
    else:
        query = query.where(edition.label == label)
    found = session.scalars(query.limit(1)).first()
    if found is None:
        if label is None:
            raise LookupError("the database holds no edition of the Definitions Set")
        raise LookupError(f"there is no edition labelled '{label}'")
    return found


def list_services(
    session: Session, edition_label: str | None = None, as_of: date | None = None
) -> list[ServiceListRow]:
    """Every service and sub-line of an edition, in Definitions Set order.

    This is the first thing a commissioner sees, so it reads plain columns, one query per
    table, and builds the rows in one pass: no ORM entities, whose loading (and, on a
    process's first query, the configuring of every mapper) cost more than the queries.
    """
    today = as_of or date.today()
    edition_id = _edition_id(session, edition_label)
    definition = ServiceDefinition.__table__.c
    definitions = session.execute(
        select(
            definition.id,
            definition.service_line_id,
            definition.parent_line_id,
            definition.code,
            definition.position,
            definition.name,
            definition.age_group,
            definition.commissioning_level,
            definition.retired,
            definition.in_national_tariff,
            definition.tariff_exclusion_reason,
            definition.alternative_payment,
            definition.population_served,
            definition.service_purpose,
            definition.service_model,
            definition.standards_outcomes,
            ServiceLine.__table__.c.kind,
        )
        .join_from(
            ServiceDefinition.__table__,
            ServiceLine.__table__,
            ServiceLine.__table__.c.id == definition.service_line_id,
        )
        .where(definition.edition_id == edition_id, definition.deleted_at.is_(None))
        .order_by(definition.position)
    ).all()

    responsibility = CommissioningResponsibility.__table__.c
    leads: dict[uuid.UUID, str] = {}
    for line_id, lead, effective_to in session.execute(
        select(
            responsibility.service_line_id,
            responsibility.lead_commissioner,
            responsibility.effective_to,
        )
        .where(responsibility.deleted_at.is_(None), responsibility.effective_from <= today)
        .order_by(responsibility.effective_from)
    ):
        if effective_to is None or effective_to >= today:
            leads[line_id] = lead

    review = ServiceReview.__table__.c
    reviews: dict[uuid.UUID, date] = {
        line_id: completed_on
        for line_id, completed_on in session.execute(
            select(review.service_line_id, func.max(review.completed_on))
            .where(review.deleted_at.is_(None), review.completed_on.is_not(None))
            .group_by(review.service_line_id)
        )
    }

    term = Term.__table__.c
    names: dict[tuple[str, str], str] = {
        (vocabulary, code): name
        for vocabulary, code, name in session.execute(
            select(term.vocabulary, term.code, term.name).where(
                term.vocabulary.in_((Vocabulary.AGE_GROUP, Vocabulary.COMMISSIONING_LEVEL))
            )
        )
    }

    code = ServiceCode.__table__.c
    code_text: dict[uuid.UUID, list[str]] = {}
    for definition_id, code_value in session.execute(
        select(code.definition_id, code.code)
        .join_from(
            ServiceCode.__table__,
            ServiceDefinition.__table__,
            definition.id == code.definition_id,
        )
        .where(definition.edition_id == edition_id, code.deleted_at.is_(None))
    ):
        code_text.setdefault(definition_id, []).append(code_value)

    designated = designation_facts(session, today)
    ending = {line_id for line_id, _, _ in designated.ending}
    not_designated = {line_id for line_id, _ in designated.not_designated}

    codes_by_line = {d.service_line_id: d.code for d in definitions}
    rows = []
    for d in definitions:
        line = d.service_line_id
        title = service_title(d.name, d.age_group, d.parent_line_id is not None)
        flags = []
        if d.retired:
            flags.append("retired")
        if (
            d.parent_line_id is None
            and d.kind == LineKind.SERVICE
            and review_overdue(reviews.get(line), today)
        ):
            flags.append("review due")
        if line in ending:
            flags.append("designation ending")
        if line in not_designated:
            flags.append("provider not designated")
        search_text = " ".join(
            (
                d.code,
                title,
                d.population_served,
                d.service_purpose,
                d.service_model,
                d.standards_outcomes,
                " ".join(code_text.get(d.id, ())),
            )
        )
        rows.append(
            ServiceListRow(
                id=line,
                code=d.code,
                name=title,
                kind=d.kind,
                parent_code=codes_by_line.get(d.parent_line_id, "") if d.parent_line_id else "",
                age_group=names.get((Vocabulary.AGE_GROUP, d.age_group), d.age_group),
                commissioning_level=names.get(
                    (Vocabulary.COMMISSIONING_LEVEL, d.commissioning_level),
                    d.commissioning_level,
                ),
                lead_commissioner=leads.get(line, ""),
                tariff_status=tariff_status(
                    d.in_national_tariff, d.tariff_exclusion_reason, d.alternative_payment
                ),
                designated_providers=", ".join(designated.providers.get(line, ())),
                last_review=reviews.get(line),
                flags="; ".join(flags),
                position_key=d.position,
                search_text=search_text.casefold(),
            )
        )
    return rows
