"""Editing a service's definition under the standard headings, validated field by field."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models import ServiceDefinition, Vocabulary
from app.services.access import Area, require_write
from app.services.definitions import edition_by_label, term_names
from app.services.reference_data import read_json

TEXT_HEADINGS = (
    "population_served",
    "needs_assessment",
    "service_purpose",
    "service_model",
    "critical_mass",
    "standards_outcomes",
    "codes_note",
    "denominator",
    "activity_cost_comparisons",
    "agreed_activity_cost",
    "tariff_benchmark",
)


@dataclass(frozen=True)
class DefinitionDetail:
    """Everything the definition editor shows and edits, as plain values."""

    service_line_id: uuid.UUID
    edition: str
    code: str
    name: str
    age_group: str
    commissioning_level: str
    retired: bool
    population_served: str
    needs_assessment: str
    service_purpose: str
    service_model: str
    critical_mass: str
    standards_outcomes: str
    codes_note: str
    currency: str
    denominator: str
    activity_cost_comparisons: str
    agreed_activity_cost: str
    tariff_benchmark: str
    in_national_tariff: bool
    tariff_exclusion_reason: str
    alternative_payment: str


EDITABLE = tuple(
    name
    for name in DefinitionDetail.__dataclass_fields__
    if name not in ("service_line_id", "edition", "code", "retired")
)


@dataclass(frozen=True)
class Choice:
    key: str
    text: str


def headings() -> list[tuple[str, str]]:
    """(field, title) of the twelve standard headings, in the order of Appendix 12."""
    titles = {h["key"]: h["title"] for h in read_json("definition_headings.json")["headings"]}
    field_of = {"codes": "codes_note", "currency": "currency"}
    return [(field_of.get(key, key), title) for key, title in titles.items()]


def currency_options() -> list[Choice]:
    data = read_json("definition_headings.json")["currency_options"]
    return [Choice(item["key"], item["text"]) for item in data]


def exclusion_reasons() -> list[Choice]:
    return [Choice(i["key"], i["text"]) for i in read_json("tariff.json")["exclusion_reasons"]]


def alternative_payments() -> list[Choice]:
    return [Choice(i["key"], i["text"]) for i in read_json("tariff.json")["alternative_payments"]]


def _definition(session: Session, line_id: uuid.UUID, edition: str | None) -> ServiceDefinition:
    chosen = edition_by_label(session, edition)
    definition = session.scalars(
        select(ServiceDefinition).where(
            ServiceDefinition.edition_id == chosen.id,
            ServiceDefinition.service_line_id == line_id,
            ServiceDefinition.deleted_at.is_(None),
        )
    ).first()
    if definition is None:
        raise NotFound(f"no service {line_id} in edition {chosen.label}")
    return definition


def get_definition(
    session: Session, line_id: uuid.UUID, edition: str | None = None
) -> DefinitionDetail:
    definition = _definition(session, line_id, edition)
    values = {name: getattr(definition, name) for name in EDITABLE}
    return DefinitionDetail(
        service_line_id=line_id,
        edition=definition.edition.label,
        code=definition.code,
        retired=definition.retired,
        **values,
    )


def problems_with(session: Session, changes: dict[str, Any]) -> list[Problem]:
    """Every problem with a set of changes, by field; an empty list when they can be saved."""
    problems: list[Problem] = []

    def refuse(field: str, message: str) -> None:
        problems.append(Problem("", None, field, message))

    unknown = sorted(set(changes) - set(EDITABLE))
    for field in unknown:
        refuse(field, "is not a field of a definition that can be edited")
    if "name" in changes and not str(changes["name"]).strip():
        refuse("name", "a service needs a name")
    if changes.get("age_group") and changes["age_group"] not in term_names(
        session, Vocabulary.AGE_GROUP
    ):
        refuse("age_group", f"'{changes['age_group']}' is not an age group")
    level = changes.get("commissioning_level")
    if level and level not in term_names(session, Vocabulary.COMMISSIONING_LEVEL):
        refuse("commissioning_level", f"'{level}' is not a commissioning level")
    currency = changes.get("currency")
    if currency and currency not in {c.key for c in currency_options()}:
        refuse("currency", f"'{currency}' is not one of the listed currencies")
    reason = changes.get("tariff_exclusion_reason")
    if reason and reason not in {c.key for c in exclusion_reasons()}:
        refuse("tariff_exclusion_reason", f"'{reason}' is not one of the listed reasons")
    payment = changes.get("alternative_payment")
    if payment and payment not in {c.key for c in alternative_payments()}:
        refuse("alternative_payment", f"'{payment}' is not one of the listed approaches")
    if changes.get("in_national_tariff") and (reason or payment):
        refuse(
            "in_national_tariff",
            "a service in national tariff has no exclusion reason or alternative payment",
        )
    return problems


def update_definition(
    session: Session, line_id: uuid.UUID, changes: dict[str, Any], edition: str | None = None
) -> DefinitionDetail:
    """Save a set of changes to one definition as one action, or none of them."""
    require_write(session, Area.DEFINITIONS)
    problems = problems_with(session, changes)
    if problems:
        raise InputRejected(problems)
    definition = _definition(session, line_id, edition)
    for name, value in changes.items():
        setattr(definition, name, value.strip() if isinstance(value, str) else value)
    if changes.get("in_national_tariff"):
        definition.tariff_exclusion_reason = ""
        definition.alternative_payment = ""
    session.flush()
    return get_definition(session, line_id, definition.edition.label)


def as_changes(detail: DefinitionDetail) -> dict[str, Any]:
    values = asdict(detail)
    return {name: values[name] for name in EDITABLE}
