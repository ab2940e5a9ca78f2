"""The case study log: write up, review, publish, attach documents and export case studies."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models import (
    CaseStudy,
    CaseStudyOutcome,
    CaseStudyStatus,
    LogDocument,
    NotAnNhsNumber,
    Term,
    Vocabulary,
)
from app.models.base import utc_now
from app.services.access import Area, require_write
from app.services.dispute_access import dispute_of_owner, may_read_in_full, require_full_read
from app.services.table_export import Table, export_table

RECORD = "case study"


@dataclass(frozen=True)
class OutcomeInput:
    description: str
    figure: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Confirmation:
    """A ten-digit number in one field confirmed by the user as not an NHS number."""

    field: str
    digits: str
    reason: str


@dataclass
class CaseStudyInput:
    """What the editor, an import or the command line gives to save a case study."""

    title: str
    topic: str
    organisation: str = ""
    services: str = ""
    period: str = ""
    context: str = ""
    what_was_done: str = ""
    outcomes: str = ""
    learning: str = ""
    tags: str = ""
    status: str = CaseStudyStatus.DRAFT
    author: str = ""
    reviewer: str = ""
    measured_outcomes: list[OutcomeInput] = field(default_factory=list)


@dataclass(frozen=True)
class CaseStudyRow:
    id: uuid.UUID
    title: str
    organisation: str
    topic: str
    services: str
    period: str
    status: str
    author: str
    reviewer: str
    tags: str
    updated_at: datetime


@dataclass(frozen=True)
class DocumentRow:
    id: uuid.UUID
    file_name: str
    size: int
    sha256: str
    intact: bool
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class CaseStudyDetail:
    row: CaseStudyRow
    values: CaseStudyInput
    documents: list[DocumentRow]
    version: int


def _row(study: CaseStudy) -> CaseStudyRow:
    return CaseStudyRow(
        id=study.id,
        title=study.title,
        organisation=study.organisation,
        topic=study.topic,
        services=study.services,
        period=study.period,
        status=study.status,
        author=study.author,
        reviewer=study.reviewer,
        tags=study.tags,
        updated_at=study.updated_at,
    )


def topics(session: Session) -> list[str]:
    """The topics of the editable list, in its order (retired ones left out)."""
    return list(
        session.scalars(
            select(Term.name)
            .where(
                Term.vocabulary == Vocabulary.CASE_STUDY_TOPIC,
                Term.retired.is_(False),
                Term.deleted_at.is_(None),
            )
            .order_by(Term.position)
        )
    )


def list_case_studies(session: Session, topic: str = "", status: str = "") -> list[CaseStudyRow]:
    query = select(CaseStudy).where(CaseStudy.deleted_at.is_(None)).order_by(CaseStudy.title)
    if topic:
        query = query.where(CaseStudy.topic == topic)
    if status:
        query = query.where(CaseStudy.status == status)
    return [_row(study) for study in session.scalars(query)]


def _study(session: Session, study_id: uuid.UUID) -> CaseStudy:
    study = session.get(CaseStudy, study_id)
    if study is None or study.deleted_at is not None:
        raise NotFound(f"There is no case study {study_id}.")
    return study


def get_case_study(session: Session, study_id: uuid.UUID) -> CaseStudyDetail:
    study = _study(session, study_id)
    values = CaseStudyInput(
        title=study.title,
        topic=study.topic,
        organisation=study.organisation,
        services=study.services,
        period=study.period,
        context=study.context,
        what_was_done=study.what_was_done,
        outcomes=study.outcomes,
        learning=study.learning,
        tags=study.tags,
        status=study.status,
        author=study.author,
        reviewer=study.reviewer,
        measured_outcomes=[
            OutcomeInput(o.description, o.figure, o.unit)
            for o in study.measured_outcomes
            if o.deleted_at is None
        ],
    )
    return CaseStudyDetail(_row(study), values, documents(session, study.id), study.version)


def _check(session: Session, values: CaseStudyInput) -> None:
    problems = []
    if not values.title.strip():
        problems.append(Problem(RECORD, None, "title", "A case study needs a title."))
    known = topics(session)
    if values.topic not in known:
        problems.append(
            Problem(
                RECORD,
                None,
                "topic",
                f"'{values.topic}' is not a topic of the list ({', '.join(known)}); "
                "add it to the list of case study topics first.",
            )
        )
    if values.status not in CaseStudyStatus.ALL:
        problems.append(
            Problem(RECORD, None, "status", f"Status must be one of {CaseStudyStatus.ALL}.")
        )
    elif values.status != CaseStudyStatus.DRAFT:
        if not values.reviewer.strip():
            problems.append(
                Problem(RECORD, None, "reviewer", "A reviewed case study needs its reviewer.")
            )
        elif values.reviewer.strip() == values.author.strip():
            problems.append(
                Problem(RECORD, None, "reviewer", "The reviewer must not be the author.")
            )
    if problems:
        raise InputRejected(problems)


def confirm_not_nhs_numbers(
    session: Session,
    record_type: str,
    record_id: uuid.UUID,
    confirmations: list[Confirmation],
    user: str,
) -> None:
    """Record that these numbers in these fields of the record are not NHS numbers."""
    for confirmation in confirmations:
        digits = re.sub(r"\D", "", confirmation.digits)
        if len(digits) != 10:
            raise InputRejected(f"'{confirmation.digits}' is not a ten-digit number.")
        if not confirmation.reason.strip():
            raise InputRejected(
                f"Say why {confirmation.digits} is not an NHS number (for example, "
                "'invoice number from the trust')."
            )
        session.add(
            NotAnNhsNumber(
                record_type=record_type,
                record_id=record_id,
                field=confirmation.field,
                digits=digits,
                reason=confirmation.reason.strip(),
                confirmed_by=user,
            )
        )


def save_case_study(
    session: Session,
    values: CaseStudyInput,
    study_id: uuid.UUID | None = None,
    confirmations: list[Confirmation] | None = None,
) -> uuid.UUID:
    """Create (no id) or change a case study; narrative text passes the identifiable-data guard."""
    user = require_write(session, Area.CASE_STUDIES)
    _check(session, values)
    if study_id is None:
        study = CaseStudy(id=uuid.uuid4(), title=values.title)
        session.add(study)
    else:
        study = _study(session, study_id)
    # Confirmations first: loading the outcomes below may flush, and the guard checks then.
    confirm_not_nhs_numbers(session, "case_study", study.id, confirmations or [], user)
    for name in (
        "title",
        "topic",
        "organisation",
        "services",
        "period",
        "context",
        "what_was_done",
        "outcomes",
        "learning",
        "tags",
        "status",
        "author",
        "reviewer",
    ):
        value = getattr(values, name)
        setattr(study, name, value.strip() if name == "title" else value)
    with session.no_autoflush:
        existing = [o for o in study.measured_outcomes if o.deleted_at is None]
    wanted = [o for o in values.measured_outcomes if o.description.strip() or o.figure.strip()]
    for position, item in enumerate(wanted, start=1):
        if position <= len(existing):
            outcome = existing[position - 1]
        else:
            outcome = CaseStudyOutcome(case_study=study)
            session.add(outcome)
        outcome.position = position
        outcome.description = item.description
        outcome.figure = item.figure.strip()
        outcome.unit = item.unit.strip()
    for outcome in existing[len(wanted) :]:
        session.delete(outcome)
    session.flush()
    return study.id


def set_status(session: Session, study_id: uuid.UUID, status: str, reviewer: str = "") -> None:
    """Move a case study to draft, reviewed or published."""
    require_write(session, Area.CASE_STUDIES)
    study = _study(session, study_id)
    values = get_case_study(session, study_id).values
    values.status = status
    values.reviewer = reviewer or study.reviewer
    save_case_study(session, values, study_id)


# ---------------------------------------------------------------------------------------------
# Documents (shared with the dispute log)

_TEXT_SUFFIXES = {".txt", ".md", ".csv", ".tsv", ".html", ".htm", ".xml", ".json"}


def document_text(name: str, content: bytes) -> str:
    """The words of a document, for search and for the guard: plain text and Word files."""
    suffix = Path(name).suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        return content.decode("utf-8", errors="replace")
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                xml = archive.read("word/document.xml").decode("utf-8", errors="replace")
        except (KeyError, zipfile.BadZipFile):
            return ""
        xml = re.sub(r"</w:p>", "\n", xml)
        return re.sub(r"<[^>]+>", "", xml)
    return ""


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attach_document(
    session: Session, owner_type: str, owner_id: uuid.UUID, path: str | Path, area: str
) -> uuid.UUID:
    """Keep a copy of a file with a record: its bytes, its SHA-256 and its text."""
    require_write(session, area)
    dispute = dispute_of_owner(session, owner_id)
    if dispute is not None:
        require_full_read(session, dispute)
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as error:
        raise InputRejected(f"{source} could not be read: {error.strerror}") from error
    document = LogDocument(
        id=uuid.uuid4(),
        owner_type=owner_type,
        owner_id=owner_id,
        file_name=source.name,
        media_type=mimetypes.guess_type(source.name)[0] or "application/octet-stream",
        size=len(content),
        sha256=sha256_of(content),
        content=content,
        text=document_text(source.name, content),
    )
    session.add(document)
    session.flush()
    return document.id


def _withheld(session: Session, owner_id: uuid.UUID) -> bool:
    """Whether the owner is a confidential dispute (or a stage of one) that the acting user
    may read only in summary: its documents are its evidence."""
    dispute = dispute_of_owner(session, owner_id)
    return dispute is not None and not may_read_in_full(session, dispute)


def documents(session: Session, owner_id: uuid.UUID) -> list[DocumentRow]:
    """The documents attached to a record (none of a dispute read only in summary)."""
    if _withheld(session, owner_id):
        return []
    rows = session.scalars(
        select(LogDocument)
        .where(LogDocument.owner_id == owner_id, LogDocument.deleted_at.is_(None))
        .order_by(LogDocument.created_at)
    )
    return [
        DocumentRow(
            id=d.id,
            file_name=d.file_name,
            size=d.size,
            sha256=d.sha256,
            intact=sha256_of(d.content) == d.sha256,
            added_by=d.created_by,
            added_at=d.created_at,
        )
        for d in rows
    ]


def document_matches(session: Session, document_id: uuid.UUID, path: str | Path) -> bool:
    """Whether a file someone holds is the very file attached (same SHA-256)."""
    document = session.get(LogDocument, document_id)
    if document is None or _withheld(session, document.owner_id):
        raise NotFound(f"There is no document {document_id}.")
    return sha256_of(Path(path).read_bytes()) == document.sha256


# ---------------------------------------------------------------------------------------------
# Export

EXPORT_HEADERS = [
    "Title",
    "Organisation",
    "Topic",
    "Services",
    "Period",
    "Context",
    "What was done",
    "Outcomes",
    "Learning",
    "Tags",
    "Status",
    "Author",
    "Reviewer",
]


def case_studies_table(session: Session, topic: str = "", status: str = "") -> Table:
    rows: list[list[object]] = []
    for item in list_case_studies(session, topic, status):
        study = _study(session, item.id)
        figures = "\n".join(
            f"{o.description}: {o.figure} {o.unit}".rstrip() if o.figure else o.description
            for o in study.measured_outcomes
            if o.deleted_at is None
        )
        rows.append(
            [
                study.title,
                study.organisation,
                study.topic,
                study.services,
                study.period,
                study.context,
                study.what_was_done,
                figures or study.outcomes,
                study.learning,
                study.tags,
                study.status,
                study.author,
                study.reviewer,
            ]
        )
    return Table("Case studies", EXPORT_HEADERS, rows)


def export_case_studies(
    session: Session, path: str | Path, printed_on: date, topic: str = "", status: str = ""
) -> int:
    """Write the case studies to xlsx, CSV or PDF; return how many."""
    table = case_studies_table(session, topic, status)
    export_table(table, path, printed_on)
    return len(table.rows)


def delete_case_study(session: Session, study_id: uuid.UUID) -> None:
    """Delete softly (the deletion travels to other copies and can be undone)."""
    require_write(session, Area.CASE_STUDIES)
    _study(session, study_id).deleted_at = utc_now()
    session.flush()


def restore_case_study(session: Session, study_id: uuid.UUID) -> None:
    require_write(session, Area.CASE_STUDIES)
    study = session.get(CaseStudy, study_id)
    if study is None:
        raise NotFound(f"There is no case study {study_id}.")
    study.deleted_at = None
    session.flush()
