"""The meeting pack: cover, agenda with timings, papers in agenda order, decisions, actions and
the previous meeting's minutes; in a full edition and a public one without confidential items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from app.formatting import format_date
from app.models import Attendance, FinancialYear
from app.services import meetings
from app.services.meetings import PAPER_REPORTS, AgendaRow, MeetingDetail
from app.services.reports.document import ReportWriter
from app.services.reports.monitoring import add_monitoring, monitoring_data
from app.services.reports.papers import (
    add_annual,
    add_attention,
    add_decisions,
    add_directory,
    add_disputes,
    attention_confidential,
    disputes_confidential,
)

PURPOSES = {
    "decision": "For decision",
    "assurance": "For assurance",
    "information": "For information",
}
WITHHELD = "Confidential item (not published)"


def _public_title(item: AgendaRow, public: bool) -> str:
    return WITHHELD if public and item.confidential else item.title


def _paper_text(item: AgendaRow) -> str:
    if item.paper_report:
        return PAPER_REPORTS.get(item.paper_report, item.paper_report)
    if item.paper:
        return item.paper
    return "Verbal" if item.purpose == "information" else "Awaited"


def paper_is_confidential(session: Session, item: AgendaRow) -> bool:
    """An item is confidential when flagged so, or when its paper holds confidential records."""
    return item.confidential or (item.paper_report == "disputes" and disputes_confidential(session))


def add_paper(
    writer: ReportWriter,
    session: Session,
    detail: MeetingDetail,
    item: AgendaRow,
    today: date,
    charts: int,
    public: bool = False,
) -> None:
    """The paper of one item at the writer's current level (a report, or a note of the file)."""
    year = FinancialYear.containing(detail.held_on)
    kind = item.paper_report
    if kind == "monitoring":
        data = monitoring_data(session, year=year, as_of=today, charts=charts)
        add_monitoring(writer, data, charts=charts)
    elif kind == "disputes":
        add_disputes(writer, session, today)
    elif kind == "directory":
        add_directory(writer, session, today)
    elif kind == "annual":
        add_annual(writer, session, year, today)
    elif kind == "attention":
        add_attention(writer, session, today, public=public)
    elif kind == "decisions":
        previous = detail.previous_meeting_id
        rows = meetings.meeting_detail(session, previous).decisions if previous else []
        add_decisions(writer, rows, public=False)
    elif item.paper:
        document = meetings.paper_document(session, item.id)
        if document is None:
            writer.paragraph(
                f"The paper for this item is the document {item.paper}, circulated separately.",
                "note",
            )
        else:
            writer.paragraph(f"The paper for this item is {document.file_name}:", "note")
            writer.pdf_paper(document.file_name, document.content)


def _minutes(writer: ReportWriter, detail: MeetingDetail, public: bool) -> None:
    for item in detail.agenda:
        if public and item.confidential:
            writer.rich(f"<b>{item.reference}</b> {WITHHELD}.", "body")
            continue
        writer.rich(f"<b>{item.reference} {item.title}</b>", "body")
        writer.paragraph(item.minutes or "No minute recorded.", "body" if item.minutes else "note")


def _decisions_table(writer: ReportWriter, detail: MeetingDetail, public: bool) -> None:
    rows = []
    warnings = []
    for number, decision in enumerate(
        d for d in detail.decisions if not (public and d.confidential)
    ):
        outcome = "Agreed"
        if decision.binding:
            outcome = "Binding: " + (
                "carried" if decision.carried else "not carried" if decision.carried is not None
                else "no vote"
            )  # fmt: skip
        rows.append(
            [decision.reference, decision.subject, decision.text, outcome,
             decision.arithmetic + (f" {decision.warning}" if decision.warning else "")]
        )  # fmt: skip
        if decision.warning:
            warnings.append(number)
    writer.table(
        ["Item", "Subject", "Decision", "Outcome", "Vote"],
        rows,
        widths=[0.9, 1.4, 3.4, 1, 2.6],
        highlight=warnings,
        empty="No decisions recorded.",
    )


def _actions_table(writer: ReportWriter, detail: MeetingDetail, public: bool) -> None:
    private = {i.reference for i in detail.agenda if i.confidential}
    actions = [a for a in detail.actions if not (public and a.reference in private)]
    writer.table(
        ["Raised", "Action", "Owner", "Due", "Status"],
        [
            [
                format_date(a.raised_on) + (" (carried forward)" if a.carried_forward else ""),
                a.text,
                a.owner,
                format_date(a.due_on),
                ("Overdue" if a.overdue else a.status.capitalize())
                + (f" {format_date(a.done_on)}" if a.done_on else ""),
            ]
            for a in actions
        ],
        widths=[1.5, 3.6, 1.5, 1, 1.1],
        highlight=[n for n, a in enumerate(actions) if a.overdue],
        empty="No actions.",
    )


def build_meeting_pack(
    session: Session,
    key: str,
    public: bool,
    today: date,
    charts: int = 6,
    progress: Callable[[int, str], None] | None = None,
) -> ReportWriter:
    detail = meetings.meeting_detail(session, key, as_of=today)
    withheld = [i for i in detail.agenda if paper_is_confidential(session, i)]
    confidential = not public and (
        bool(withheld)
        or (
            any(i.paper_report == "attention" for i in detail.agenda)
            and attention_confidential(session, today)
        )
    )
    edition = "public pack" if public else "full pack"
    writer = ReportWriter(
        title=f"{detail.body_short_name} meeting {format_date(detail.held_on)}: {edition}",
        body_name=detail.body,
        dated=detail.held_on,
        subtitle=f"{detail.body}\nMeeting on {format_date(detail.held_on)}"
        + (" — public edition" if public else ""),
        marking="CONFIDENTIAL: contains items not for publication" if confidential else "",
        cover_facts=[
            ("Date", format_date(detail.held_on)),
            ("Time", f"{detail.starts_at:%H:%M} to {detail.ends_at:%H:%M}"),
            ("Venue", detail.venue),
            ("Chair", detail.chair),
            ("Binding decisions", detail.rule_text[:1].upper() + detail.rule_text[1:]),
            ("Papers", f"{sum(1 for i in detail.agenda if i.has_paper)} papers with this pack"),
        ],
    )
    if public and withheld:
        writer.cover_note = (
            f"This public edition leaves out {len(withheld)} confidential item(s) "
            f"({', '.join(i.reference for i in withheld)}): their titles, papers and minutes "
            "are not published (000 §98)."
        )

    writer.heading("Agenda", 0)
    writer.table(
        ["Item", "Time", "Title", "Presenter", "Purpose", "Paper"],
        [
            [item.reference, item.starts_at, _public_title(item, public)
             + (" (confidential)" if item.confidential and not public else ""),
             "" if public and item.confidential else item.presenter,
             PURPOSES.get(item.purpose, item.purpose),
             "" if public and item.confidential else _paper_text(item)]
            for item in detail.agenda
        ]
        + [["", f"{detail.ends_at:%H:%M}", "Close", "", "", ""]],
        widths=[1.1, 0.6, 3.5, 1.6, 1.1, 1.5],
    )  # fmt: skip

    writer.heading("Members and attendance", 0)
    attended = detail.status == "held"
    writer.table(
        ["Member", "Representing", "Vote", "Attendance"],
        [
            [a.name + (" (deputy)" if a.as_deputy else ""), a.representing,
             f"{a.weight * 100:.2f}%" if a.voting and a.weight else ("Yes" if a.voting else ""),
             (a.status.capitalize() if attended else "Expected")]
            for a in detail.attendance
        ],
        widths=[2, 3, 1, 1.2],
        numeric=(2,),
        empty="No members recorded for this body.",
    )  # fmt: skip
    if attended:
        writer.paragraph(f"Quorum: {detail.quorum.text}.")
        apologies = [a.name for a in detail.attendance if a.status == Attendance.APOLOGIES]
        if apologies:
            writer.paragraph(f"Apologies: {', '.join(apologies)}.")
    writer.heading("Declarations of interest", 1)
    writer.table(
        ["Member", "Item", "Interest", "Action taken"],
        [
            [d.member_name, d.item_reference, d.interest, d.action_taken]
            for d in detail.declarations
            if not (public and any(i.reference == d.item_reference and i.confidential
                                   for i in detail.agenda))
        ],
        widths=[1.6, 0.9, 3.5, 2.5],
        empty="No interests declared." if attended else "Declarations are made at the meeting.",
    )  # fmt: skip

    papers = [i for i in detail.agenda if i.has_paper]
    for number, item in enumerate(papers):
        if progress is not None:
            progress(10 + 40 * number // max(len(papers), 1), f"Paper {item.reference}")
        if public and paper_is_confidential(session, item):
            continue
        writer.heading(f"{item.reference} {item.title}", 0, new_page=bool(item.paper_report))
        presented = f" Presented by {item.presenter}." if item.presenter.strip() else ""
        writer.paragraph(f"{PURPOSES.get(item.purpose, item.purpose)}.{presented}", "note")
        writer.base_level = 1
        add_paper(writer, session, detail, item, today, charts, public)
        writer.base_level = 0

    if attended:
        writer.heading("Minutes", 0, new_page=True)
        _minutes(writer, detail, public)
    writer.heading("Decisions", 0, new_page=not attended)
    _decisions_table(writer, detail, public)
    writer.heading("Action log", 0)
    writer.paragraph(
        "Actions from this meeting and every earlier action not yet done, carried forward "
        "until it is.",
        "note",
    )
    _actions_table(writer, detail, public)

    if detail.previous_meeting_id is not None:
        previous = meetings.meeting_detail(session, detail.previous_meeting_id, as_of=today)
        writer.heading(
            f"Minutes of the previous meeting, {format_date(previous.held_on)}", 0, new_page=True
        )
        writer.paragraph(f"Quorum: {previous.quorum.text}.", "note")
        _minutes(writer, previous, public)
        writer.heading("Decisions of the previous meeting", 1)
        _decisions_table(writer, previous, public)
    return writer
