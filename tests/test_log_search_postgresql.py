"""Full-text search on PostgreSQL (tsvector): run when psycopg and a server are available
(COMMISSIONING_TEST_POSTGRES, default postgresql+psycopg://postgres@127.0.0.1:5432/test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from app.services import case_studies, log_search
from app.services.case_studies import CaseStudyInput
from app.services.log_search import SearchFilters
from app.store.database import Database, open_database

psycopg = pytest.importorskip("psycopg")
SERVER = os.environ.get(
    "COMMISSIONING_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def postgres() -> Iterator[Database]:
    base = SERVER.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server to test against")
    name = f"logs_search_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE DATABASE {name}")
    database = open_database(SERVER.rsplit("/", 1)[0] + f"/{name}", user="tester")
    try:
        yield database
    finally:
        database.close()
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def test_postgresql_search_ranks_highlights_and_filters(postgres: Database) -> None:
    with postgres.session() as session:
        titled = case_studies.save_case_study(
            session, CaseStudyInput(title="Lithotripsy service review", topic="Service Review")
        )
        case_studies.save_case_study(
            session,
            CaseStudyInput(
                title="Audit of outreach clinics",
                topic="Audit",
                context="Lithotripsy sessions were noted in passing.",
            ),
        )
    with postgres.session() as session:
        hits = log_search.search(session, "lithotripsy")
        audits = log_search.search(session, "lithotrip", SearchFilters(topic="Audit"))
        seeded = log_search.search(session, "arbitration panel")
    assert hits[0].id == titled and len(hits) == 2 and hits[0].rank > hits[1].rank
    assert [h.title for h in audits] == ["Audit of outreach clinics"]
    assert "[Lithotripsy]" in audits[0].snippet_text
    assert seeded and seeded[0].kind == "case study"


def test_postgresql_search_finds_a_reference_as_it_was_written(postgres: Database) -> None:
    """References carry hyphens and a site code (DSP-2026-004-V3D): PostgreSQL's parser
    splits them into odd pieces, so the query is parsed by the same parser."""
    with postgres.session() as session:
        wanted = case_studies.save_case_study(
            session,
            CaseStudyInput(title="Learning from DSP-2026-004-V3D", topic="Audit"),
        )
        case_studies.save_case_study(
            session, CaseStudyInput(title="Learning from DSP-2026-005-K2P", topic="Audit")
        )
    with postgres.session() as session:
        exact = log_search.search(session, "DSP-2026-004-V3D")
        with_words = log_search.search(session, "learning DSP-2026-004-V3D")
        typing = log_search.search(session, "DSP-2026-004-V3D learn")
        other = log_search.search(session, "DSP-2026-005-K2P")
    assert [h.id for h in exact] == [wanted]
    assert [h.id for h in with_words] == [wanted]
    assert [h.id for h in typing] == [wanted]
    assert [h.id for h in other] != [wanted] and len(other) == 1
