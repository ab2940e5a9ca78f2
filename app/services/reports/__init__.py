"""PDF reports and papers, written with reportlab (no Qt): one entry point for every kind."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.formatting import format_date
from app.models import Body, FinancialYear
from app.services import meetings
from app.store.database import Database

if TYPE_CHECKING:
    from app.services.reports.document import ReportWriter

KINDS = ("meeting-pack", "monitoring", "disputes", "directory", "annual", "decisions", "attention")
TITLES = {
    "meeting-pack": "Meeting pack",
    "monitoring": "Contract monitoring report",
    "disputes": "Disputes report",
    "directory": "Service directory",
    "annual": "Annual report",
    "decisions": "Decision summary",
    "attention": "What needs attention",
}

Progress = Callable[[int, str], None]


def _quiet(percent: int, message: str) -> None:
    return None


@dataclass(frozen=True)
class ReportRequest:
    """What to report on; `as_of` is the date printed (never the clock's time)."""

    kind: str
    as_of: date
    meeting: str | None = None
    public: bool = False
    contract: str | None = None
    year: FinancialYear | None = None
    start: date | None = None
    end: date | None = None
    charts: int = 6


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    pages: int
    title: str


def scg_name(session: Session) -> str:
    """The name printed at the top of reports that are not a meeting's own."""
    body = session.scalars(
        select(Body).where(Body.deleted_at.is_(None)).order_by(Body.created_at, Body.name)
    ).first()
    return body.name if body is not None else "Specialised Commissioning Group"


def prepare(session: Session, request: ReportRequest, progress: Progress = _quiet) -> ReportWriter:
    """The report laid out in memory, ready to write."""
    # reportlab and the charts are loaded when a report is written, not at start.
    from app.services.reports import meeting_pack, monitoring, papers
    from app.services.reports.document import ReportWriter

    kind, today = request.kind, request.as_of
    if kind not in KINDS:
        raise InputRejected(f"'{kind}' is not a report: choose one of {', '.join(KINDS)}")
    progress(5, "Reading the data")
    if kind == "meeting-pack":
        if not request.meeting:
            raise InputRejected("a meeting pack needs --meeting ID (or the meeting's date)")
        return meeting_pack.build_meeting_pack(
            session, request.meeting, request.public, today, request.charts, progress
        )
    name = scg_name(session)
    writer = ReportWriter(title=TITLES[kind], body_name=name, dated=today)
    if kind == "monitoring":
        data = monitoring.monitoring_data(
            session, request.contract, request.year, today, charts=request.charts
        )
        writer.subtitle = data.scope
        writer.cover_facts = [
            ("Scope", data.scope),
            ("Returns to", f"month {data.months_reported}"),
            ("Date", format_date(today)),
        ]
        monitoring.add_monitoring(writer, data, charts=request.charts)
    elif kind == "disputes":
        writer.subtitle = f"Disputes and arbitration at {format_date(today)}"
        if papers.disputes_confidential(session):
            writer.marking = "CONFIDENTIAL"
        papers.add_disputes(writer, session, today)
    elif kind == "directory":
        writer.subtitle = "Who commissions each specialised service, for publication"
        papers.add_directory(writer, session, today)
    elif kind == "annual":
        year = request.year or FinancialYear.containing(today)
        writer.title = f"Annual report {year}"
        writer.subtitle = f"{name}: annual report for {year}"
        papers.add_annual(writer, session, year, today)
    elif kind == "decisions":
        if request.meeting:
            detail = meetings.meeting_detail(session, request.meeting, as_of=today)
            rows = detail.decisions
            writer.subtitle = f"Decisions of the {detail.body} on {format_date(detail.held_on)}"
            writer.body_name = detail.body
            writer.dated = detail.held_on
        elif request.start and request.end:
            rows = meetings.decisions_between(session, request.start, request.end)
            writer.subtitle = (
                f"Decisions from {format_date(request.start)} to {format_date(request.end)}"
            )
        else:
            raise InputRejected("a decision summary needs --meeting ID, or --from and --to")
        writer.subtitle += ", for member PCT boards"
        papers.add_decisions(writer, rows, public=True)
    elif kind == "attention":
        writer.subtitle = f"Across every area, at {format_date(today)}"
        if papers.attention_confidential(session, today):
            writer.marking = "CONFIDENTIAL"
        papers.add_attention(writer, session, today)
    if not writer.cover_facts:
        writer.cover_facts = [("Body", name), ("Date", format_date(today))]
    return writer


def write_report(
    database: Database,
    request: ReportRequest,
    path: str | os.PathLike[str],
    progress: Progress = _quiet,
) -> WrittenReport:
    """Write one report to `path` (PDF); the same data and `as_of` give the same bytes."""
    with database.session() as session:  # printing a confidential dispute is noted
        writer = prepare(session, request, progress)
    pages = writer.write(path, progress)
    return WrittenReport(Path(path), pages, writer.title)


def write_meeting_packs(
    database: Database,
    meeting: str,
    full_path: str | os.PathLike[str],
    public_path: str | os.PathLike[str],
    as_of: date,
    progress: Progress = _quiet,
) -> tuple[WrittenReport, WrittenReport]:
    """Both editions of a meeting's pack from one action: the full pack and the public one."""

    def half(offset: int) -> Progress:
        return lambda percent, message: progress(offset + percent // 2, message)

    full = write_report(
        database, ReportRequest("meeting-pack", as_of, meeting=meeting), full_path, half(0)
    )
    public = write_report(
        database,
        ReportRequest("meeting-pack", as_of, meeting=meeting, public=True),
        public_path,
        half(50),
    )
    return full, public
