"""Full-text search across the logs: ranking, snippets, filters, documents and speed."""

from __future__ import annotations

import random
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import CaseStudy, DatabaseFact, LogDocument
from app.services import case_studies, log_search
from app.services.case_studies import CaseStudyInput
from app.services.log_search import CASE_STUDY, DISPUTE, IndexEntry, SearchFilters

AS_OF = date(2026, 11, 24)


def save(session, title: str, **values: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    fields = CaseStudyInput(title=title, topic=values.pop("topic", "Quality"))
    for name, value in values.items():
        setattr(fields, name, value)
    return case_studies.save_case_study(session, fields)


def test_a_title_match_ranks_above_a_passing_mention(database) -> None:
    with database.session() as session:
        mention = save(session, "Audit of outreach clinics", context="Lithotripsy was noted.")
        titled = save(session, "Lithotripsy service review", context="Stone treatment.")
        hits = log_search.search(session, "lithotripsy")
    assert [h.id for h in hits[:2]] == [titled, mention]
    assert hits[0].rank > hits[1].rank


def test_snippets_highlight_the_words_found(database) -> None:
    with database.session() as session:
        save(session, "Cochlear implants", learning="Agree the tolerance before the year starts.")
        hit = log_search.search(session, "tolerance")[0]
    assert "[tolerance]" in hit.snippet_text
    assert "<b>tolerance</b>" in hit.snippet_html


def test_words_are_stemmed_and_the_last_one_matches_as_a_prefix(demo_database) -> None:
    with demo_database.session() as session:
        stemmed = log_search.search(session, "charging")  # finds "charged", "charge"
        typed = log_search.search(session, "hepatobil")
    assert stemmed and any("charg" in h.snippet_text.lower() for h in stemmed)
    assert typed and "hepatobiliary" in typed[0].title.lower()


def test_search_syntax_in_the_query_is_taken_as_words(database) -> None:
    with database.session() as session:
        assert log_search.search(session, 'risk "sharing" AND (') != []
        assert log_search.search(session, "   ") == []


# "the" is in every record; PostgreSQL's English search drops it as a stop word, so this
# test of the filters runs on SQLite, and test_log_search_postgresql covers the server.
WORD = "the"


@pytest.mark.sqlite_only
def test_results_filter_by_kind_topic_party_service_year_and_status(demo_database) -> None:
    with demo_database.session() as session:

        def kinds(**filters) -> set[str]:  # type: ignore[no-untyped-def]
            return {h.kind for h in log_search.search(session, WORD, SearchFilters(**filters))}

        assert kinds(kind=DISPUTE) == {DISPUTE}
        assert kinds(topic="Risk Sharing") == {CASE_STUDY}
        by_party = log_search.search(session, WORD, SearchFilters(party="Saltmarsh Coast"))
        assert by_party and all("Saltmarsh" in h.title or h.kind == DISPUTE for h in by_party)
        by_service = [
            h.title for h in log_search.search(session, WORD, SearchFilters(service="19"))
        ]
        assert any("hepatobiliary" in t for t in by_service)
        assert not any("Bariatric" in t for t in by_service)  # service 35, not 19
        assert {h.year for h in log_search.search(session, WORD, SearchFilters(year=2026))} == {
            2026
        }
        assert {
            h.status for h in log_search.search(session, WORD, SearchFilters(status="closed"))
        } == {"closed"}


def test_the_index_follows_edits_and_deletions(database) -> None:
    with database.session() as session:
        study_id = save(session, "Renal dialysis capacity", context="Satellite units.")
    with database.session() as session:
        values = case_studies.get_case_study(session, study_id).values
        values.context = "Home haemodialysis expanded."
        case_studies.save_case_study(session, values, study_id)
    with database.session() as session:
        assert log_search.search(session, "satellite") == []
        assert [h.id for h in log_search.search(session, "haemodialysis")] == [study_id]
        study = session.get(CaseStudy, study_id)
        assert study is not None
        study.deleted_at = study.created_at
    with database.session() as session:
        assert log_search.search(session, "haemodialysis") == []


def test_document_text_is_searched_and_a_changed_file_is_noticed(database, tmp_path: Path) -> None:
    paper = tmp_path / "panel-papers.txt"
    paper.write_text("The trust's submission on neonatal step-down cots.", encoding="utf-8")
    with database.session() as session:
        study_id = save(session, "Neonatal cots")
        document_id = case_studies.attach_document(
            session, "case_study", study_id, paper, "case studies"
        )
        assert [h.id for h in log_search.search(session, "step-down cots")] == [study_id]
        assert case_studies.document_matches(session, document_id, paper)
    paper.write_text("The trust's submission, since edited.", encoding="utf-8")
    with database.session() as session:
        assert not case_studies.document_matches(session, document_id, paper)
        document = session.scalars(select(LogDocument)).one()
        document.content = b"tampered"
    with database.session() as session:
        assert case_studies.documents(session, study_id)[0].intact is False


def test_an_upgraded_database_builds_its_index_on_first_search(database) -> None:
    with database.session() as session:
        log_search.index_for(session).clear(session)
        fact = session.get(DatabaseFact, log_search.BUILT_FACT)
        if fact is not None:
            session.delete(fact)
    with database.session() as session:
        assert log_search.search(session, "arbitration")


WORDS = [
    "tariff",
    "activity",
    "contract",
    "provider",
    "commissioner",
    "consortium",
    "review",
    "service",
    "audit",
    "quality",
    "outcome",
    "transplant",
    "renal",
    "cardiac",
    "burns",
    "neonatal",
    "genetics",
    "cancer",
    "spinal",
    "bariatric",
    "haemophilia",
    "cystic",
    "fibrosis",
    "lithotripsy",
    "dialysis",
    "capacity",
    "waiting",
    "list",
]
# Ordinary prose around the subject words, so that a query matches some records, not all.
FILLER = [f"word{n}" for n in range(3000)]


def test_search_answers_in_under_200_ms_on_10000_records(database) -> None:
    generator = random.Random(7)
    entries = [
        IndexEntry(
            kind=CASE_STUDY if n % 2 else DISPUTE,
            record_id=uuid.uuid4(),
            title=" ".join(generator.choices(WORDS, k=3) + generator.choices(FILLER, k=5)),
            body=" ".join(generator.choices(FILLER, k=240) + generator.choices(WORDS, k=10)),
            parties="Wessex Vale PCT",
            services=str(n % 35 + 1),
            topic="Quality",
            year=2000 + n % 27,
            status="published",
        )
        for n in range(10_000)
    ]
    with database.session() as session:
        log_search.search(session, "warm")  # builds the index of the seeded records
        log_search.index_for(session).replace(session, entries)
    with database.session() as session:
        timings = []
        for query in ("renal dialysis", "cystic fibrosis audit", "bariatric", "tari"):
            started = time.perf_counter()
            hits = log_search.search(session, query)
            timings.append(time.perf_counter() - started)
            assert hits
        filtered_started = time.perf_counter()
        log_search.search(session, "cancer", SearchFilters(year=2010, service="7"))
        timings.append(time.perf_counter() - filtered_started)
    print(f"\nsearch over 10,000 records: {', '.join(f'{t * 1000:.0f} ms' for t in timings)}")
    assert max(timings) < 0.2
