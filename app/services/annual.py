"""The SCG's annual self-assessment: the fitness-for-purpose review and the benchmarking tool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import (
    BenchmarkEntry,
    Contract,
    ContractLine,
    Dispute,
    DisputeStage,
    FinancialYear,
    FitnessScore,
    LineKind,
    ReturnRow,
    ReturnSubmission,
    ServiceDefinition,
    ServiceLine,
    ServiceReview,
)
from app.services.access import Area, require_write
from app.services.reference_data import current_edition, read_json

SCORES = ("Y", "N", "P")


@dataclass(frozen=True)
class FitnessRow:
    """One criterion of Appendix 10 with the SCG's score for a year (blank until scored)."""

    id: str  # the criterion code, e.g. "4.2"
    dimension: str
    text: str
    score: str
    evidence: str
    plans: str


def fitness_review(session: Session, year: FinancialYear) -> list[FitnessRow]:
    """Every criterion of the framework (seeded from the reference data) with its score."""
    framework = read_json("fitness_framework.json")
    scored = {
        score.criterion: score
        for score in session.scalars(
            select(FitnessScore).where(
                FitnessScore.year_start == year.start_year, FitnessScore.deleted_at.is_(None)
            )
        )
    }
    rows = []
    for dimension in framework["dimensions"]:
        for criterion in dimension["criteria"]:
            score = scored.get(criterion["code"])
            rows.append(
                FitnessRow(
                    id=criterion["code"],
                    dimension=f"{dimension['number']}. {dimension['name']}",
                    text=criterion["text"],
                    score=score.score if score else "",
                    evidence=score.evidence if score else "",
                    plans=score.plans if score else "",
                )
            )
    return rows


def save_fitness_score(
    session: Session, year: FinancialYear, criterion: str, score: str, evidence: str, plans: str
) -> None:
    require_write(session, Area.MEETINGS)
    codes = {row.id for row in fitness_review(session, year)}
    if criterion not in codes:
        raise InputRejected(f"'{criterion}' is not a criterion of the framework")
    if score not in ("", *SCORES):
        raise InputRejected(f"'{score}' is not a score: use Y, N or P")
    existing = session.scalars(
        select(FitnessScore).where(
            FitnessScore.year_start == year.start_year, FitnessScore.criterion == criterion
        )
    ).first()
    if existing is None:
        existing = FitnessScore(year_start=year.start_year, criterion=criterion)
        session.add(existing)
    existing.score, existing.evidence, existing.plans = score, evidence, plans


# ---------------------------------------------------------------------------------------------
# Benchmarking (Appendix 14)


@dataclass(frozen=True)
class BenchmarkValue:
    text: str
    computed: bool


@dataclass(frozen=True)
class BenchmarkRow:
    id: str  # "1a", "2", "10c"
    measure: str
    years: list[BenchmarkValue]
    comment: str


# Measures given as a percentage of services; the rest are counts, ratings or text.
PERCENT_MEASURES = {"1a", "1b", "2", "3", "4", "6"}


def _service_lines(session: Session) -> set[object]:
    edition = current_edition(session)
    return set(
        session.scalars(
            select(ServiceDefinition.service_line_id)
            .join(ServiceLine, ServiceLine.id == ServiceDefinition.service_line_id)
            .where(
                ServiceDefinition.edition_id == edition.id,
                ServiceDefinition.retired.is_(False),
                ServiceLine.kind == LineKind.SERVICE,
                ServiceDefinition.parent_line_id.is_(None),
            )
        )
    )


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else ""


def _computed(session: Session, year: FinancialYear) -> dict[str, str]:
    """The measures the data answers, for one year."""
    services = _service_lines(session)
    edition = current_edition(session)
    parent = dict(
        session.execute(
            select(ServiceDefinition.service_line_id, ServiceDefinition.parent_line_id).where(
                ServiceDefinition.edition_id == edition.id
            )
        ).all()
    )

    def service_of(line: Any) -> Any:
        return parent.get(line) or line

    contracted = {
        service_of(line)
        for line in session.scalars(
            select(ContractLine.service_line_id)
            .join(Contract, Contract.id == ContractLine.contract_id)
            .where(Contract.financial_year == year, Contract.deleted_at.is_(None))
        )
    }
    reported = {
        service_of(line)
        for line in session.scalars(
            select(ReturnRow.service_line_id)
            .join(ReturnSubmission, ReturnSubmission.id == ReturnRow.submission_id)
            .where(ReturnSubmission.financial_year == year)
            .distinct()
        )
    }
    values: dict[str, str] = {}
    if contracted:
        values["1a"] = _percent(len(contracted & services), len(services))
    if reported:
        values["2"] = _percent(len(reported & services), len(services))
    since = year.ends_on.replace(year=year.ends_on.year - 5)
    reviewed = session.scalar(
        select(func.count(func.distinct(ServiceReview.service_line_id))).where(
            ServiceReview.completed_on > since,
            ServiceReview.completed_on <= year.ends_on,
            ServiceReview.deleted_at.is_(None),
        )
    )
    values["5a"] = f"{reviewed} of {len(services)}"
    following = year + 1
    due = session.scalar(
        select(func.count()).where(
            ServiceReview.started_on >= following.starts_on,
            ServiceReview.started_on <= following.ends_on,
            ServiceReview.deleted_at.is_(None),
        )
    )
    values["5b"] = str(due)
    arbitration = session.scalars(
        select(Dispute)
        .join(DisputeStage, DisputeStage.dispute_id == Dispute.id)
        .where(
            DisputeStage.stage == "arbitration_panel",
            DisputeStage.started_on >= year.starts_on,
            DisputeStage.started_on <= year.ends_on,
        )
        .distinct()
    ).all()
    values["10a"] = str(len(arbitration))
    decided = [d for d in arbitration if d.status == "closed"]
    values["10b"] = f"{len(decided)} decided" if arbitration else "none"
    learned = [d for d in arbitration if d.learning.strip()]
    values["10c"] = f"{len(learned)} written up" if arbitration else "none"
    return values


def benchmark_table(session: Session, year: FinancialYear) -> list[BenchmarkRow]:
    """Ten measures over the three years to `year`: computed where possible, else as entered."""
    tool = read_json("benchmark_measures.json")
    years = [year - 2, year - 1, year]
    computed = {y: _computed(session, y) for y in years}
    entries = {
        (entry.year_start, entry.measure): entry
        for entry in session.scalars(
            select(BenchmarkEntry).where(
                BenchmarkEntry.year_start.in_([y.start_year for y in years]),
                BenchmarkEntry.deleted_at.is_(None),
            )
        )
    }
    rows = []
    for measure in tool["measures"]:
        parts = measure["parts"] or [{"code": "", "text": ""}]
        for part in parts:
            code = f"{measure['number']}{part['code']}"
            text = measure["text"] + (f": {part['text']}" if part["text"] else "")
            values = []
            comments = []
            for y in years:
                if code in computed[y]:
                    values.append(BenchmarkValue(computed[y][code], True))
                    continue
                entry = entries.get((y.start_year, code))
                if entry is None:
                    values.append(BenchmarkValue("", False))
                    continue
                if entry.value is None:
                    shown = ""
                elif code in PERCENT_MEASURES:
                    shown = f"{round(entry.value * 100)}%"
                else:
                    shown = f"{entry.value.normalize():f}"
                values.append(BenchmarkValue(shown, False))
                if entry.comment:
                    comments.append(entry.comment)
            rows.append(
                BenchmarkRow(
                    id=code,
                    measure=text,
                    years=values,
                    comment=" ".join(comments)
                    or (measure["comment"] if not part["code"] or part["code"] == "a" else ""),
                )
            )
    return rows


def save_benchmark_entry(
    session: Session,
    year: FinancialYear,
    measure: str,
    value: Decimal | None,
    comment: str | None = None,
) -> None:
    """Enter a measure the data cannot answer (a fraction for percentages: 0.85 = 85%); a
    comment of None keeps the one already entered."""
    require_write(session, Area.MEETINGS)
    codes = {row.id for row in benchmark_table(session, year)}
    if measure not in codes:
        raise InputRejected(f"'{measure}' is not a benchmarking measure")
    entry = session.scalars(
        select(BenchmarkEntry).where(
            BenchmarkEntry.year_start == year.start_year, BenchmarkEntry.measure == measure
        )
    ).first()
    if entry is None:
        entry = BenchmarkEntry(year_start=year.start_year, measure=measure)
        session.add(entry)
    entry.value = value
    if comment is not None:
        entry.comment = comment


def review_coverage(session: Session, today: date) -> tuple[int, int]:
    """(services reviewed in the last five years, all services)."""
    services = _service_lines(session)
    since = today.replace(year=today.year - 5)
    reviewed = set(
        session.scalars(
            select(ServiceReview.service_line_id).where(
                ServiceReview.completed_on > since,
                ServiceReview.completed_on <= today,
                ServiceReview.deleted_at.is_(None),
            )
        )
    )
    return len(reviewed & services), len(services)
