"""Reference data loaded into every new database from the files under `resources/reference`."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    CaseStudy,
    CaseStudyOutcome,
    CaseStudyStatus,
    DatabaseFact,
    DisputeStageRule,
    Edition,
    LineKind,
    NationalService,
    ServiceDefinition,
    ServiceLine,
    Term,
)
from app.paths import resources_dir
from app.services.references import site_code_for

FIRST_EDITION = "2002"


def reference_file(name: str) -> Path:
    return resources_dir() / "reference" / name


def read_csv(name: str) -> Iterator[dict[str, str]]:
    with reference_file(name).open(newline="", encoding="utf-8") as stream:
        yield from csv.DictReader(stream)


def read_json(name: str) -> Any:
    return json.loads(reference_file(name).read_text(encoding="utf-8"))


def _yes(value: str) -> bool:
    return value.strip().lower() == "yes"


def load_reference_data(session: Session) -> None:
    """Seed a new, empty database: its identity, the editable lists and the 2002 Definitions Set."""
    identity = uuid.uuid4()
    session.add_all(
        [
            DatabaseFact(key="database_id", value=str(identity)),
            DatabaseFact(key="site_code", value=site_code_for(identity)),
            DatabaseFact(key="created_at", value=datetime.now(UTC).isoformat()),
        ]
    )
    _load_terms(session)
    _load_first_edition(session)
    for row in read_csv("national_services_2006.csv"):
        session.add(
            NationalService(
                number=int(row["number"]),
                name=row["name"],
                funded=_yes(row["funded"]),
                designated_from_april_2006=_yes(row["designated_from_april_2006"]),
                being_evaluated=_yes(row["being_evaluated"]),
            )
        )
    _load_case_studies(session)
    load_dispute_process(session)
    # The trail the seeding wrote is the same kind of base on every copy: nothing to send.
    session.flush()
    from app.store.audit import last_entry

    sequence = last_entry(session.connection())[0]
    session.add(DatabaseFact(key="sync_seed_sequence", value=str(sequence)))


def load_dispute_process(session: Session) -> None:
    """The escalation stages of each kind of dispute, with the threshold and target durations."""
    process = read_json("dispute_process.json")
    targets = read_json("dispute_targets.json")["target_days"]
    for kind in process["kinds"]:
        for position, stage in enumerate(kind["stages"], start=1):
            above = stage.get("applies_above_gbp")
            session.add(
                DisputeStageRule(
                    kind=kind["key"],
                    key=stage["key"],
                    position=position,
                    name=stage["name"],
                    who=stage["who"],
                    target_days=stage["target_days"] or targets.get(stage["key"]),
                    applies_above=None if above is None else Decimal(above),
                    entered_when=stage.get("entered_when", ""),
                )
            )


def _load_terms(session: Session) -> None:
    positions: dict[str, int] = {}
    for row in read_csv("terms.csv"):
        vocabulary = row["vocabulary"]
        positions[vocabulary] = positions.get(vocabulary, 0) + 1
        session.add(
            Term(
                vocabulary=vocabulary,
                code=row["code"],
                name=row["name"],
                category=row["category"],
                position=positions[vocabulary],
            )
        )


def _load_first_edition(session: Session) -> None:
    edition = Edition(
        label=FIRST_EDITION,
        title="Specialised Services National Definitions Set (2002)",
        published_on=date(2002, 1, 1),
    )
    session.add(edition)
    lines: dict[str, ServiceLine] = {}
    ages: dict[str, str] = {}
    for position, row in enumerate(read_csv("services_2002.csv"), start=1):
        line = ServiceLine(kind=LineKind.SERVICE)
        lines[row["number"]] = line
        ages[row["number"]] = row["age_group"]
        session.add(line)
        session.add(
            ServiceDefinition(
                edition=edition,
                service_line=line,
                code=row["number"],
                position=position * 100,
                name=row["name"],
                age_group=row["age_group"],
            )
        )
    for row in read_csv("sub_lines_2002.csv"):
        line = ServiceLine(kind=row["kind"])
        lines[row["code"]] = line
        session.add(line)
        parent = lines.get(row["parent"]) if row["parent"] else None
        base = int(row["parent"] or row["code"]) * 100
        letter = row["code"][-1]
        offset = ord(letter) - ord("a") + 1 if letter.isalpha() else 0
        session.add(
            ServiceDefinition(
                edition=edition,
                service_line=line,
                parent_line_id=parent.id if parent is not None else None,
                code=row["code"],
                position=base + offset,
                name=row["name"],
                age_group=ages.get(row["parent"], ""),
            )
        )
        session.flush()


def _load_case_studies(session: Session) -> None:
    for study in read_json("case_studies.json"):
        outcomes = [
            CaseStudyOutcome(
                position=position,
                description=item["description"],
                figure=item.get("figure") or "",
                unit=item.get("unit") or "",
            )
            for position, item in enumerate(study["outcomes"], start=1)
        ]
        summary = "\n".join(
            f"{item['description']}"
            + (f" ({item['figure']} {item['unit'] or ''})".rstrip() if item.get("figure") else "")
            for item in study["outcomes"]
        )
        session.add(
            CaseStudy(
                title=study["title"],
                organisation=study["organisation"],
                topic=study["topic"],
                services=", ".join(study["services"]),
                period=study["period"],
                context=study["context"],
                what_was_done=study["what_was_done"],
                outcomes=summary,
                measured_outcomes=outcomes,
                learning=study["learning"],
                tags=", ".join(study["tags"]),
                status=CaseStudyStatus.PUBLISHED,
                author="Review of Commissioning Arrangements for Specialised Services (2006)",
            )
        )


def glossary() -> list[tuple[str, str]]:
    """The acronyms of the field (Appendix 15 of the review)."""
    return [(row["term"], row["meaning"]) for row in read_csv("glossary.csv")]


def current_edition(session: Session) -> Edition:
    edition = session.scalars(select(Edition).order_by(Edition.created_at.desc())).first()
    if edition is None:
        raise LookupError("the database holds no edition of the Definitions Set")
    return edition
