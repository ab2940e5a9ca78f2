"""Records for the search benchmark: case studies and disputes written up at length.

    python -m bench.log_search tiny|small|full

A copy of the scale's demo database gets the scale's `records_for_search` records, half case
studies and half disputes (each dispute with two parties), with about 250 words of narrative
each from a commissioning vocabulary, through the ORM as the product writes them; then the
product's own code builds the full-text index. Kept in `bench/data/<scale>/search.sqlite`.
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench.data import AS_OF, data_folder, demo_database
from bench.registry import SCALES, Scale

SEARCH_FORMAT = "1"  # bump when what is generated changes
BATCH = 500


def _words(text: str) -> list[str]:
    return text.split()


SUBJECTS = _words(
    "renal dialysis cystic fibrosis haemophilia bariatric surgery neonatal intensive care "
    "burns plastics spinal cord injury cochlear implants secure forensic mental health "
    "paediatric cardiac surgery specialist cancer genetics lithotripsy adult congenital heart "
    "disease transplantation HIV drugs critical care bed days tariff activity capacity "
    "waiting list"
)
PROSE = _words(
    "the commissioners and the trust agreed to review activity against the contract in each "
    "quarter and to share the risk of over performance where the consortium had planned for "
    "growth the finance directors met twice before the chief executives took the question to "
    "the specialised commissioning group which asked for an independent audit of the coding "
    "of spells and a clinical view of the pathway including outpatient follow up and drugs "
    "outside the tariff the learning was that assumptions must be written down when prices "
    "are set and that a service review should come before any change of provider or of the "
    "level at which the service is commissioned patients and the public were involved through "
    "the reference group and a survey of users of the service"
)
TOPICS = (
    "Arbitration",
    "Audit",
    "Entry/Exit of services",
    "National Commissioning",
    "Patient/Public Involvement",
    "Prioritisation",
    "Public Health",
    "Risk Sharing",
    "Quality",
    "Service Review",
)
STATUSES = ("draft", "reviewed", "published")


def search_database(scale: str) -> Path:
    return data_folder(scale) / "search.sqlite"


def _text(chance: random.Random, words: int) -> str:
    chosen = [
        chance.choice(SUBJECTS) if chance.random() < 0.08 else chance.choice(PROSE)
        for _ in range(words)
    ]
    return " ".join(chosen).capitalize() + "."


def build(scale: Scale) -> Path:
    """The search database of a scale, built once (kept while SEARCH_FORMAT is unchanged)."""
    path = search_database(scale.name)
    marker = path.with_suffix(".built")
    if marker.exists() and marker.read_text() == f"{SEARCH_FORMAT} {scale.records_for_search}":
        return path
    shutil.copyfile(demo_database(scale.name), path)
    _fill(path, scale.records_for_search)
    marker.write_text(f"{SEARCH_FORMAT} {scale.records_for_search}")
    return path


def _fill(path: Path, records: int) -> None:
    from sqlalchemy import select

    from app.models import CaseStudy, Dispute, DisputeParty, Organisation, Term
    from app.services import log_search
    from app.store.database import open_database

    chance = random.Random(5)
    database = open_database(path, user="bench")
    with database.session() as session:
        organisations = list(
            session.execute(
                select(Organisation.id, Term.category).join(Term, Term.id == Organisation.type_id)
            )
        )
    commissioners = [o for o, category in organisations if category == "commissioner"]
    providers = [o for o, category in organisations if category == "provider"]
    services = [str(n) for n in range(1, 36)] + ["13a", "22c", "23d", "32a"]
    for start in range(0, records, BATCH):
        with database.session() as session:
            for n in range(start, min(records, start + BATCH)):
                year = 2004 + n % 23
                if n % 2:
                    session.add(
                        CaseStudy(
                            title=_text(chance, 8),
                            organisation=f"Bench SCG {n % 40}",
                            topic=TOPICS[n % len(TOPICS)],
                            services=", ".join(chance.sample(services, 2)),
                            period=f"{year} to {year + 1}",
                            context=_text(chance, 60),
                            what_was_done=_text(chance, 80),
                            outcomes=_text(chance, 50),
                            learning=_text(chance, 60),
                            status=STATUSES[n % 3],
                        )
                    )
                    continue
                raised = date(year, 1 + n % 12, 1 + n % 28)
                dispute = Dispute(
                    reference=f"BEN-{year}-{n:05d}",
                    kind="commissioners_provider",
                    title=_text(chance, 8),
                    service_codes=chance.choice(services),
                    value=Decimal(chance.randint(5_000, 900_000)),
                    raised_on=raised,
                    issue=_text(chance, 100),
                    stage="finance_directors",
                    status="closed" if raised < AS_OF - timedelta(days=400) else "open",
                    outcome=_text(chance, 60),
                    learning=_text(chance, 80),
                )
                session.add(dispute)
                for side, choices in (("commissioner", commissioners), ("provider", providers)):
                    session.add(
                        DisputeParty(
                            dispute=dispute,
                            organisation_id=chance.choice(choices),
                            side=side,
                            position=_text(chance, 20),
                        )
                    )
    with database.session() as session:
        log_search.rebuild(session)
    database.close()


def main() -> int:
    build(SCALES[sys.argv[1] if len(sys.argv) > 1 else "tiny"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
