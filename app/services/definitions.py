"""The National Definitions Set as users see it: the list of services and sub-lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    CommissioningResponsibility,
    Designation,
    Edition,
    Organisation,
    ServiceCode,
    ServiceDefinition,
    ServiceReview,
    Term,
    Vocabulary,
)
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


def tariff_status(definition: ServiceDefinition) -> str:
    if definition.in_national_tariff:
        return "In national tariff"
    if definition.tariff_exclusion_reason or definition.alternative_payment:
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
    return list(
        session.scalars(
            select(Edition.label).where(Edition.deleted_at.is_(None)).order_by(Edition.created_at)
        )
    )


def list_services(
    session: Session, edition_label: str | None = None, as_of: date | None = None
) -> list[ServiceListRow]:
    """Every service and sub-line of an edition, in Definitions Set order."""
    today = as_of or date.today()
    edition = edition_by_label(session, edition_label)
    definitions = session.scalars(
        select(ServiceDefinition)
        .options(joinedload(ServiceDefinition.service_line))
        .where(ServiceDefinition.edition_id == edition.id, ServiceDefinition.deleted_at.is_(None))
        .order_by(ServiceDefinition.position)
    ).all()
    codes_by_line = {d.service_line_id: d.code for d in definitions}

    leads: dict[uuid.UUID, str] = {}
    for responsibility in session.scalars(
        select(CommissioningResponsibility)
        .where(
            CommissioningResponsibility.deleted_at.is_(None),
            CommissioningResponsibility.effective_from <= today,
        )
        .order_by(CommissioningResponsibility.effective_from)
    ):
        if responsibility.effective_to is None or responsibility.effective_to >= today:
            leads[responsibility.service_line_id] = responsibility.lead_commissioner

    providers: dict[uuid.UUID, list[str]] = {}
    for line_id, provider in session.execute(
        select(Designation.service_line_id, Organisation.name)
        .join(Organisation, Organisation.id == Designation.provider_id)
        .where(
            Designation.deleted_at.is_(None),
            Designation.status.in_(("designated", "provisional")),
            Designation.starts_on <= today,
            Designation.ends_on >= today,
        )
        .order_by(Organisation.name)
    ):
        providers.setdefault(line_id, []).append(provider)

    reviews = dict(
        session.execute(
            select(ServiceReview.service_line_id, func.max(ServiceReview.completed_on))
            .where(ServiceReview.deleted_at.is_(None), ServiceReview.completed_on.is_not(None))
            .group_by(ServiceReview.service_line_id)
        ).all()
    )

    names = term_names(session, Vocabulary.COMMISSIONING_LEVEL) | term_names(
        session, Vocabulary.AGE_GROUP
    )

    code_text: dict[uuid.UUID, list[str]] = {}
    for definition_id, code in session.execute(
        select(ServiceCode.definition_id, ServiceCode.code).where(ServiceCode.deleted_at.is_(None))
    ):
        code_text.setdefault(definition_id, []).append(code)

    from app.models.nds_rules import review_overdue
    from app.services.designations import designation_flags

    flagged: dict[uuid.UUID, list[str]] = {}
    for flag in designation_flags(session, today):
        text = "designation ending" if flag.due else "provider not designated"
        if text not in flagged.setdefault(flag.id, []):
            flagged[flag.id].append(text)

    rows = []
    for definition in definitions:
        narrative = " ".join(
            (
                definition.population_served,
                definition.service_purpose,
                definition.service_model,
                definition.standards_outcomes,
                " ".join(code_text.get(definition.id, [])),
            )
        )
        line = definition.service_line_id
        rows.append(
            ServiceListRow(
                id=line,
                code=definition.code,
                name=definition.title,
                kind=definition.service_line.kind,
                parent_code=codes_by_line.get(definition.parent_line_id, "")
                if definition.parent_line_id
                else "",
                age_group=names.get(definition.age_group, definition.age_group),
                commissioning_level=names.get(
                    definition.commissioning_level, definition.commissioning_level
                ),
                lead_commissioner=leads.get(line, ""),
                tariff_status=tariff_status(definition),
                designated_providers=", ".join(providers.get(line, [])),
                last_review=reviews.get(line),
                flags="; ".join(
                    (["retired"] if definition.retired else [])
                    + (
                        ["review due"]
                        if definition.parent_line_id is None
                        and definition.service_line.kind == "service"
                        and review_overdue(reviews.get(line), today)
                        else []
                    )
                    + flagged.get(line, [])
                ),
                position_key=definition.position,
                search_text=f"{definition.code} {definition.title} {narrative}".casefold(),
            )
        )
    return rows
