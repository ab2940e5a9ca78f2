"""Full-text search across case studies, disputes and their documents, ranked, with snippets.

The index is a table of its own (an FTS5 virtual table on SQLite, a tsvector column on
PostgreSQL), made by the logs migration. It is kept up to date at every commit that touched
a case study, a dispute or anything belonging to one, whatever the road in (GUI, command
line, imports, demo): a session listener notes what changed and rewrites those entries.
Each database engine has its own `FullTextIndex`; the rest of the product sees `search()`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from app.models import (
    CaseStudy,
    CaseStudyOutcome,
    DatabaseFact,
    Dispute,
    DisputeAction,
    DisputeIssue,
    DisputeKind,
    DisputeParty,
    DisputeStage,
    LogDocument,
    Organisation,
)
from app.services.dispute_access import CONFIDENTIAL_TITLE, may_read_in_full, summary_text

CASE_STUDY = "case study"
DISPUTE = "dispute"
BUILT_FACT = "log_search_built"
MARK_START = "\u0002"
MARK_END = "\u0003"
_PENDING = "log_search_pending"


@dataclass(frozen=True)
class SearchFilters:
    """What the results are narrowed to; empty means any."""

    kind: str = ""
    topic: str = ""
    party: str = ""
    service: str = ""
    year: int | None = None
    status: str = ""


@dataclass(frozen=True)
class IndexEntry:
    """One record as the index sees it."""

    kind: str
    record_id: uuid.UUID
    title: str
    body: str
    parties: str
    services: str
    topic: str
    year: int | None
    status: str


@dataclass(frozen=True)
class SearchHit:
    """One result: the record, where the words were found, and how well it matched."""

    id: uuid.UUID
    kind: str
    title: str
    snippet: str
    topic: str
    year: int | None
    status: str
    rank: float

    @property
    def snippet_text(self) -> str:
        """The snippet with the matched words in [brackets], for a terminal."""
        return self.snippet.replace(MARK_START, "[").replace(MARK_END, "]")

    @property
    def snippet_html(self) -> str:
        """The snippet as HTML with the matched words in bold."""
        from html import escape

        return escape(self.snippet).replace(MARK_START, "<b>").replace(MARK_END, "</b>")


# ---------------------------------------------------------------------------------------------
# What goes into the index


def _join(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _documents_text(session: Session, owner_ids: Iterable[uuid.UUID]) -> str:
    ids = list(owner_ids)
    if not ids:
        return ""
    texts = session.scalars(
        select(LogDocument.text).where(
            LogDocument.owner_id.in_(ids), LogDocument.deleted_at.is_(None)
        )
    )
    return _join(*texts)


_YEAR = re.compile(r"\b(19|20)\d\d\b")


def case_study_entry(session: Session, study: CaseStudy) -> IndexEntry:
    outcomes = [
        f"{o.description} {o.figure} {o.unit}".strip()
        for o in study.measured_outcomes
        if o.deleted_at is None
    ]
    period_year = _YEAR.search(study.period or "")
    return IndexEntry(
        kind=CASE_STUDY,
        record_id=study.id,
        title=study.title,
        body=_join(
            study.context,
            study.what_was_done,
            study.outcomes,
            *outcomes,
            study.learning,
            study.tags,
            _documents_text(session, [study.id]),
        ),
        parties=study.organisation,
        services=study.services,
        topic=study.topic,
        year=int(period_year.group()) if period_year else None,
        status=study.status,
    )


def dispute_entry(session: Session, dispute: Dispute) -> IndexEntry:
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([p.organisation_id for p in dispute.parties])
            )
        ).all()
    )
    parties = [p for p in dispute.parties if p.deleted_at is None]
    stages = [s for s in dispute.stages if s.deleted_at is None]
    return IndexEntry(
        kind=DISPUTE,
        record_id=dispute.id,
        title=f"{dispute.reference} {dispute.title}",
        body=_join(
            dispute.issue,
            *(p.position for p in parties),
            *(p.submission for p in parties),
            *(s.notes for s in stages),
            *(i.question + "\n" + i.decision for i in dispute.issues if i.deleted_at is None),
            *(a.description for a in dispute.actions if a.deleted_at is None),
            dispute.outcome,
            dispute.learning,
            _documents_text(session, [dispute.id, *(s.id for s in stages)]),
        ),
        parties=", ".join(names.get(p.organisation_id, "") for p in parties),
        services=dispute.service_codes,
        topic=DisputeKind.TITLES.get(dispute.kind, dispute.kind),
        year=dispute.raised_on.year if dispute.raised_on else None,
        status=dispute.status,
    )


# ---------------------------------------------------------------------------------------------
# The index, one implementation per database engine


class FullTextIndex(Protocol):
    def replace(self, session: Session, entries: list[IndexEntry]) -> None: ...

    def remove(self, session: Session, keys: list[tuple[str, uuid.UUID]]) -> None: ...

    def clear(self, session: Session) -> None: ...

    def search(
        self, session: Session, words: list[str], filters: SearchFilters, limit: int
    ) -> list[SearchHit]: ...


def _filter_sql(filters: SearchFilters, params: dict[str, Any]) -> str:
    clauses = []
    for name in ("kind", "topic", "status"):
        value = getattr(filters, name)
        if value:
            clauses.append(f"{name} = :{name}")
            params[name] = value
    if filters.year is not None:
        clauses.append("year = :year")
        params["year"] = filters.year
    if filters.party:
        clauses.append("lower(parties) LIKE :party")
        params["party"] = f"%{filters.party.lower()}%"
    if filters.service:
        # Services are listed as "14, 22c": match one code exactly, not 1 inside 14.
        clauses.append("(', ' || services || ',') LIKE :service")
        params["service"] = f"%, {filters.service},%"
    return "".join(f" AND {clause}" for clause in clauses)


def _id(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class SqliteFullTextIndex:
    """SQLite FTS5 with the porter stemmer; ranked by bm25, titles weighing most."""

    _COLUMNS = "kind, record_id, title, body, parties, services, topic, year, status"

    def replace(self, session: Session, entries: list[IndexEntry]) -> None:
        self.remove(session, [(e.kind, e.record_id) for e in entries])
        if entries:
            session.connection().execute(
                text(
                    f"INSERT INTO log_search ({self._COLUMNS}) VALUES (:kind, :record_id, "
                    ":title, :body, :parties, :services, :topic, :year, :status)"
                ),
                [{**e.__dict__, "record_id": str(e.record_id)} for e in entries],
            )

    def remove(self, session: Session, keys: list[tuple[str, uuid.UUID]]) -> None:
        if keys:
            session.connection().execute(
                text("DELETE FROM log_search WHERE kind = :kind AND record_id = :record_id"),
                [{"kind": kind, "record_id": str(record_id)} for kind, record_id in keys],
            )

    def clear(self, session: Session) -> None:
        session.connection().execute(text("DELETE FROM log_search"))

    def search(
        self, session: Session, words: list[str], filters: SearchFilters, limit: int
    ) -> list[SearchHit]:
        # Each word quoted (so AND, OR, NEAR and punctuation are just words); the last one
        # also matches as a prefix, for results while typing.
        terms = ['"' + w.replace('"', '""') + '"' for w in words]
        terms[-1] += "*"
        params: dict[str, Any] = {"query": " ".join(terms), "limit": limit}
        where = _filter_sql(filters, params)
        rows = session.connection().execute(
            text(
                "SELECT kind, record_id, title, topic, year, status, "
                f"snippet(log_search, 3, '{MARK_START}', '{MARK_END}', '…', 16) AS body_snip, "
                f"highlight(log_search, 2, '{MARK_START}', '{MARK_END}') AS title_marked, "
                "bm25(log_search, 0, 0, 10.0, 1.0, 3.0, 3.0) AS score "
                f"FROM log_search WHERE log_search MATCH :query{where} "
                "ORDER BY score LIMIT :limit"
            ),
            params,
        )
        hits = []
        for row in rows:
            snippet = row.body_snip if MARK_START in (row.body_snip or "") else row.title_marked
            hits.append(
                SearchHit(
                    id=_id(row.record_id),
                    kind=row.kind,
                    title=row.title,
                    snippet=snippet or "",
                    topic=row.topic,
                    year=row.year,
                    status=row.status,
                    rank=-float(row.score),  # bm25 is lower for better matches
                )
            )
        return hits


class PostgresFullTextIndex:
    """PostgreSQL: a generated, weighted tsvector with a GIN index, ranked by ts_rank_cd."""

    def replace(self, session: Session, entries: list[IndexEntry]) -> None:
        self.remove(session, [(e.kind, e.record_id) for e in entries])
        if entries:
            session.connection().execute(
                text(
                    "INSERT INTO log_search (kind, record_id, title, body, parties, services, "
                    "topic, year, status) VALUES (:kind, :record_id, :title, :body, :parties, "
                    ":services, :topic, :year, :status)"
                ),
                [e.__dict__ for e in entries],
            )

    def remove(self, session: Session, keys: list[tuple[str, uuid.UUID]]) -> None:
        if keys:
            session.connection().execute(
                text("DELETE FROM log_search WHERE kind = :kind AND record_id = :record_id"),
                [{"kind": kind, "record_id": record_id} for kind, record_id in keys],
            )

    def clear(self, session: Session) -> None:
        session.connection().execute(text("DELETE FROM log_search"))

    def search(
        self, session: Session, words: list[str], filters: SearchFilters, limit: int
    ) -> list[SearchHit]:
        # Plain words go to to_tsquery, the last as a prefix for results while typing. A word
        # with punctuation inside (a reference such as DSP-2026-004-V3D) is parsed by the
        # same parser as the documents, as a phrase, so it matches as it was written.
        plain = [w for w in words if re.fullmatch(r"\w+", w)]
        punctuated = [w for w in words if not re.fullmatch(r"\w+", w) and re.search(r"\w", w)]
        if not plain and not punctuated:
            return []
        params: dict[str, Any] = {"limit": limit}
        parts = []
        if plain:
            last = "" if plain[-1] != words[-1] else ":*"
            params["query"] = " & ".join([*plain[:-1], plain[-1] + last])
            parts.append("to_tsquery('english', :query)")
        for number, word in enumerate(punctuated):
            params[f"phrase{number}"] = word
            parts.append(f"phraseto_tsquery('english', :phrase{number})")
        where = _filter_sql(filters, params)
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=24"
        rows = session.connection().execute(
            text(
                "SELECT kind, record_id, title, topic, year, status, "
                "ts_headline('english', body, q, :options) AS body_snip, "
                "ts_rank_cd(document, q) AS score "
                f"FROM log_search, (SELECT {' && '.join(parts)} AS q) AS typed "
                f"WHERE document @@ q{where} ORDER BY score DESC LIMIT :limit"
            ),
            {**params, "options": options},
        )
        return [
            SearchHit(
                id=_id(row.record_id),
                kind=row.kind,
                title=row.title,
                snippet=row.body_snip or "",
                topic=row.topic,
                year=row.year,
                status=row.status,
                rank=float(row.score),
            )
            for row in rows
        ]


def index_for(session: Session) -> FullTextIndex:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresFullTextIndex()
    return SqliteFullTextIndex()


# ---------------------------------------------------------------------------------------------
# Keeping it up to date


def _roots(instance: object) -> list[tuple[str, uuid.UUID]]:
    """The case study or dispute a changed object belongs to."""
    if isinstance(instance, CaseStudy):
        return [(CASE_STUDY, instance.id)]
    if isinstance(instance, CaseStudyOutcome):
        return [(CASE_STUDY, instance.case_study_id)]
    if isinstance(instance, Dispute):
        return [(DISPUTE, instance.id)]
    if isinstance(instance, DisputeParty | DisputeStage | DisputeIssue | DisputeAction):
        return [(DISPUTE, instance.dispute_id)]
    if isinstance(instance, LogDocument):
        return [("owner", instance.owner_id)]
    return []


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    pending: set[tuple[str, uuid.UUID]] = session.info.setdefault(_PENDING, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        for kind, record_id in _roots(instance):
            if record_id is not None:
                pending.add((kind, record_id))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "before_commit")
def _update_index(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending:
        refresh(session, pending)


def refresh(session: Session, keys: Iterable[tuple[str, uuid.UUID]]) -> None:
    """Rewrite the index entries of these records (removing those deleted)."""
    entries: list[IndexEntry] = []
    removed: list[tuple[str, uuid.UUID]] = []
    for kind, record_id in set(keys):
        if kind == "owner":
            stage = session.get(DisputeStage, record_id)
            if stage is not None:
                kind, record_id = DISPUTE, stage.dispute_id
            elif session.get(Dispute, record_id) is not None:
                kind = DISPUTE
            else:
                kind = CASE_STUDY
        if kind == CASE_STUDY:
            study = session.get(CaseStudy, record_id)
            if study is None or study.deleted_at is not None:
                removed.append((kind, record_id))
            else:
                entries.append(case_study_entry(session, study))
        else:
            dispute = session.get(Dispute, record_id)
            if dispute is None or dispute.deleted_at is not None:
                removed.append((kind, record_id))
            else:
                entries.append(dispute_entry(session, dispute))
    index = index_for(session)
    index.remove(session, removed)
    unique = {(e.kind, e.record_id): e for e in entries}
    index.replace(session, list(unique.values()))


def rebuild(session: Session) -> int:
    """Index every case study and dispute afresh; return how many entries were written."""
    index = index_for(session)
    index.clear(session)
    entries = [
        case_study_entry(session, s)
        for s in session.scalars(select(CaseStudy).where(CaseStudy.deleted_at.is_(None)))
    ] + [
        dispute_entry(session, d)
        for d in session.scalars(select(Dispute).where(Dispute.deleted_at.is_(None)))
    ]
    index.replace(session, entries)
    fact = session.get(DatabaseFact, BUILT_FACT)
    if fact is None:
        session.add(DatabaseFact(key=BUILT_FACT, value="yes"))
    return len(entries)


def years(session: Session, kind: str = "") -> list[int]:
    """The years the index knows (raised, or a case study's period), for a filter to offer."""
    if session.get(DatabaseFact, BUILT_FACT) is None:
        rebuild(session)
    where = " AND kind = :kind" if kind else ""
    return [
        int(year)
        for year in session.connection()
        .execute(
            text(
                f"SELECT DISTINCT year FROM log_search WHERE year IS NOT NULL{where} "
                "ORDER BY year DESC"
            ),
            {"kind": kind},
        )
        .scalars()
    ]


_WORD = re.compile(r"\w+(?:['’\-]\w+)*")  # a reference such as DSP-2026-004-V3D is one word


def search(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 50,
) -> list[SearchHit]:
    """The records matching every word of `query`, best first, with highlighted snippets."""
    if session.get(DatabaseFact, BUILT_FACT) is None:
        rebuild(session)  # a database upgraded from before the index existed
    words = _WORD.findall(query)
    if not words:
        return []
    filters = filters or SearchFilters()
    # Room for the confidential hits that a summary reader does not get.
    hits = index_for(session).search(session, words, filters, limit * 2)
    shown = [
        found
        for found in (_as_read(session, hit, words, filters) for hit in hits)
        if found is not None
    ]
    return shown[:limit]


# ---------------------------------------------------------------------------------------------
# Confidential disputes: a summary reader finds them only by their summary's words


def _as_read(
    session: Session, hit: SearchHit, words: list[str], filters: SearchFilters
) -> SearchHit | None:
    """The hit as the acting user may see it: as found; for a confidential dispute they read
    only in summary, found by the summary's words and shown with a snippet of it; else none
    (that the words are in its positions or evidence would itself tell them something)."""
    if hit.kind != DISPUTE:
        return hit
    dispute = session.get(Dispute, hit.id)
    if dispute is None:
        return None
    if may_read_in_full(session, dispute):
        return hit
    if filters.service:
        return None  # its services are not in the summary
    text_ = summary_text(session, dispute)
    spans = _matched_spans(text_, words)
    if spans is None:
        return None
    return SearchHit(
        id=hit.id,
        kind=hit.kind,
        title=f"{dispute.reference} {CONFIDENTIAL_TITLE}",
        snippet=_marked(text_, spans),
        topic=hit.topic,
        year=hit.year,
        status=hit.status,
        rank=hit.rank,
    )


_SUFFIXES = ("ing", "es", "ed", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _matched_spans(text_: str, words: list[str]) -> list[tuple[int, int]] | None:
    """Where each word is in the text (the last also as a prefix), or None if one is not."""
    tokens = [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text_)]
    spans: list[tuple[int, int]] = []
    for position, word in enumerate(words):
        wanted = word.casefold()
        last = position == len(words) - 1
        found = [
            (start, end)
            for start, end, token in tokens
            if token == wanted
            or _stem(token) == _stem(wanted)
            or (last and token.startswith(wanted))
        ]
        if not found:
            return None
        spans += found
    return sorted(set(spans))


def _marked(text_: str, spans: list[tuple[int, int]]) -> str:
    first = spans[0][0]
    start = max(0, text_.rfind("\n", 0, first) + 1)
    parts, cursor = [], start
    for begin, end in spans:
        if begin < cursor:
            continue
        parts += [text_[cursor:begin], MARK_START, text_[begin:end], MARK_END]
        cursor = end
    parts.append(text_[cursor : cursor + 160])
    return "".join(parts).replace("\n", " · ")
