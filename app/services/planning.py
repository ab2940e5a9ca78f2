"""The annual work programme (Appendix 9) and prioritising cost pressures (Thames Valley)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models import (
    CostPressure,
    CostPressureScore,
    DatabaseFact,
    FinancialYear,
    PrioritisationWeight,
    WorkProgrammeEntry,
)
from app.models.nds_rules import LEVELS, ScoreWorking, score
from app.services.access import Area, require_write
from app.services.reference_data import read_json

A_HIGHEST = "prioritisation_a_highest"


def work_categories() -> list[str]:
    return [c["name"] for c in read_json("work_programme.json")["categories"]]


def work_criteria() -> list[str]:
    return [c["text"] for c in read_json("work_programme.json")["criteria"]]


def impact_categories() -> list[tuple[str, str]]:
    return [(c["key"], c["name"]) for c in read_json("prioritisation.json")["impact_categories"]]


def pressure_headings() -> list[tuple[str, str]]:
    return [(h["key"], h["text"]) for h in read_json("prioritisation.json")["headings"]]


@dataclass(frozen=True)
class WorkProgrammeRow:
    id: uuid.UUID
    service_line_id: uuid.UUID
    category: str
    criteria: str
    notes: str


def set_work_programme(
    session: Session,
    year: FinancialYear,
    service_line_id: uuid.UUID,
    category: int,
    criteria: list[int],
    notes: str = "",
) -> None:
    """A service's focus for the year: one of the four categories and the criteria that apply."""
    require_write(session, Area.DEFINITIONS)
    problems = []
    if not 1 <= category <= len(work_categories()):
        problems.append(Problem("", None, "category", f"{category} is not a category (1 to 4)"))
    wrong = [n for n in criteria if not 1 <= n <= len(work_criteria())]
    if wrong:
        problems.append(Problem("", None, "criteria", f"{wrong} are not criteria (1 to 9)"))
    if problems:
        raise InputRejected(problems)
    entry = session.scalars(
        select(WorkProgrammeEntry).where(
            WorkProgrammeEntry.financial_year == year,
            WorkProgrammeEntry.service_line_id == service_line_id,
        )
    ).first()
    if entry is None:
        entry = WorkProgrammeEntry(financial_year=year, service_line_id=service_line_id)
        session.add(entry)
    entry.deleted_at = None
    entry.category = category
    entry.criteria = ",".join(str(n) for n in sorted(set(criteria)))
    entry.notes = notes
    session.flush()


def work_programme(session: Session, year: FinancialYear) -> dict[uuid.UUID, WorkProgrammeRow]:
    names = work_categories()
    return {
        e.service_line_id: WorkProgrammeRow(
            e.id, e.service_line_id, names[e.category - 1], e.criteria, e.notes
        )
        for e in session.scalars(
            select(WorkProgrammeEntry).where(
                WorkProgrammeEntry.financial_year == year, WorkProgrammeEntry.deleted_at.is_(None)
            )
        )
    }


def a_scores_highest(session: Session) -> bool:
    fact = session.get(DatabaseFact, A_HIGHEST)
    return fact is not None and fact.value == "yes"


def set_a_scores_highest(session: Session, value: bool) -> None:
    require_write(session, Area.DEFINITIONS)
    fact = session.get(DatabaseFact, A_HIGHEST)
    if fact is None:
        session.add(DatabaseFact(key=A_HIGHEST, value="yes" if value else "no"))
    else:
        fact.value = "yes" if value else "no"
    session.flush()


def weights(session: Session) -> dict[str, Decimal]:
    held = {w.category: w.weight for w in session.scalars(select(PrioritisationWeight))}
    return {key: held.get(key, Decimal(1)) for key, _ in impact_categories()}


def set_weight(session: Session, category: str, weight: Decimal) -> None:
    require_write(session, Area.DEFINITIONS)
    if category not in dict(impact_categories()):
        raise InputRejected(f"'{category}' is not an impact category")
    if weight < 0:
        raise InputRejected("a weight cannot be negative")
    row = session.scalars(
        select(PrioritisationWeight).where(PrioritisationWeight.category == category)
    ).first()
    if row is None:
        session.add(PrioritisationWeight(category=category, weight=weight))
    else:
        row.weight = weight
    session.flush()


def save_cost_pressure(
    session: Session,
    year: FinancialYear,
    title: str,
    heading: str,
    levels: dict[str, str],
    amount: Decimal = Decimal(0),
    service_line_id: uuid.UUID | None = None,
    notes: str = "",
    pressure_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add (or change) a cost pressure with its level on each of the eight impact categories."""
    require_write(session, Area.DEFINITIONS)
    problems = []
    if not title.strip():
        problems.append(Problem("", None, "title", "a cost pressure needs a title"))
    if heading not in dict(pressure_headings()):
        problems.append(
            Problem("", None, "heading", f"'{heading}' is not one of the five headings")
        )
    categories = dict(impact_categories())
    for key in categories:
        if levels.get(key) not in LEVELS:
            problems.append(
                Problem("", None, key, f"{categories[key]}: choose a level A, B, C or D")
            )
    for key in set(levels) - set(categories):
        problems.append(Problem("", None, key, "is not an impact category"))
    if problems:
        raise InputRejected(problems)
    pressure = session.get(CostPressure, pressure_id) if pressure_id else None
    if pressure_id and pressure is None:
        raise NotFound(f"no cost pressure {pressure_id}")
    if pressure is None:
        pressure = CostPressure(financial_year=year, title=title, heading=heading)
        session.add(pressure)
    pressure.financial_year, pressure.title, pressure.heading = year, title.strip(), heading
    pressure.amount, pressure.service_line_id, pressure.notes = amount, service_line_id, notes
    held = {s.category: s for s in pressure.scores}
    for key, level in levels.items():
        if key in held:
            held[key].level = level
        else:
            pressure.scores.append(CostPressureScore(category=key, level=level))
    session.flush()
    return pressure.id


@dataclass(frozen=True)
class RankedPressure:
    id: uuid.UUID
    rank: int
    title: str
    heading: str
    amount: Decimal
    total: Decimal
    working: str
    levels: str


def ranked_pressures(session: Session, year: FinancialYear) -> list[RankedPressure]:
    """Cost pressures of a year, highest score first, each with its arithmetic."""
    chosen, a_high = weights(session), a_scores_highest(session)
    headings = dict(pressure_headings())
    scored: list[tuple[CostPressure, ScoreWorking]] = []
    for pressure in session.scalars(
        select(CostPressure).where(
            CostPressure.financial_year == year, CostPressure.deleted_at.is_(None)
        )
    ):
        levels = {s.category: s.level for s in pressure.scores}
        scored.append((pressure, score(levels, chosen, a_high)))
    scored.sort(key=lambda item: (-item[1].total, item[0].title))
    order = [key for key, _ in impact_categories()]
    return [
        RankedPressure(
            pressure.id,
            rank,
            pressure.title,
            headings.get(pressure.heading, pressure.heading),
            pressure.amount,
            working.total,
            working.explanation,
            "".join({s.category: s.level for s in pressure.scores}[k] for k in order),
        )
        for rank, (pressure, working) in enumerate(scored, start=1)
    ]


def pressures_by_heading(
    session: Session, year: FinancialYear
) -> list[tuple[str, list[RankedPressure]]]:
    """The five headings in their order, each with its pressures in score order."""
    ranked = ranked_pressures(session, year)
    return [(text, [p for p in ranked if p.heading == text]) for _, text in pressure_headings()]
