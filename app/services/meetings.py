"""Meetings of the SCG and its sub-groups: agenda, attendance, votes, decisions and actions."""

from __future__ import annotations

import hashlib
import io
import math
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import InputRejected, NotFound, Problem
from app.formatting import format_date, format_percent
from app.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Attendance,
    AttendanceRecord,
    Body,
    Decision,
    Declaration,
    FinancialYear,
    LogDocument,
    Meeting,
    Numbering,
    Purpose,
    Seat,
    VotingRule,
)
from app.services.access import Area, require_write

# An uploaded paper is kept as a document owned by its agenda item.
PAPER_OWNER = "agenda_item"

# The reports an agenda item's paper may be (the `report` command's kinds).
PAPER_REPORTS = {
    "monitoring": "Contract monitoring report",
    "disputes": "Disputes report",
    "directory": "Service directory",
    "annual": "Annual report",
    "decisions": "Decision summary",
    "attention": "What needs attention",
}

# ---------------------------------------------------------------------------------------------
# Binding votes


@dataclass(frozen=True)
class VoteOutcome:
    """Whether a binding vote carries under a body's rule, and the arithmetic that says so."""

    rule: str
    in_favour: Decimal
    eligible: Decimal
    needed: Decimal
    carried: bool
    arithmetic: str


def _share_text(value: Decimal) -> str:
    return format_percent(value, 2)


def vote_outcome(
    rule: str,
    threshold: Decimal,
    in_favour: Decimal,
    eligible: Decimal,
    rule_of: int | None = None,
) -> VoteOutcome:
    """Apply a body's voting rule, kept as data.

    - weighted share: the capitation shares in favour must reach `threshold` (a fraction)
      of the eligible shares (75% in the Northern SCG; otherwise the proposal lapses);
    - proportion: the members in favour must reach `threshold` of the members, rounded up
      to a whole member (70% of 16 is 11.2, so 12 are needed and 11 are not enough);
    - count: at least `threshold` members in favour (6 of 8 in North West London).
    """
    in_favour, eligible, threshold = Decimal(in_favour), Decimal(eligible), Decimal(threshold)
    if in_favour < 0 or eligible < 0 or in_favour > eligible:
        raise InputRejected("votes in favour must be between none and all of the eligible votes")
    if rule == VotingRule.WEIGHTED_SHARE:
        needed = eligible * threshold
        carried = eligible > 0 and in_favour >= needed
        fraction = in_favour / eligible if eligible else Decimal(0)
        arithmetic = (
            f"{_share_text(in_favour)} of capitation in favour out of {_share_text(eligible)} "
            f"eligible = {format_percent(fraction, 1)} of eligible votes; "
            f"{format_percent(threshold, 0)} or more needed "
            f"({_share_text(needed)}): "
            + ("carried" if carried else "not carried, the proposal lapses")
        )
    elif rule == VotingRule.PROPORTION:
        needed = (eligible * threshold).to_integral_value(rounding=ROUND_CEILING)
        carried = eligible > 0 and in_favour >= needed
        arithmetic = (
            f"{in_favour:.0f} of {eligible:.0f} members in favour; "
            f"{format_percent(threshold, 0)} of {eligible:.0f} is "
            f"{(eligible * threshold).normalize():f}, so {needed:.0f} are needed: "
            f"{'carried' if carried else 'not carried'}"
        )
    elif rule == VotingRule.COUNT:
        needed = threshold
        carried = in_favour >= needed
        out_of = f" of {rule_of}" if rule_of else ""
        arithmetic = (
            f"{in_favour:.0f} of {eligible:.0f} members in favour; {needed:.0f}{out_of} needed: "
            f"{'carried' if carried else 'not carried'}"
        )
    else:
        raise InputRejected(f"'{rule}' is not a voting rule")
    return VoteOutcome(rule, in_favour, eligible, needed, carried, arithmetic)


def body_vote_outcome(body: Body, in_favour: Decimal, eligible: Decimal) -> VoteOutcome:
    return vote_outcome(body.voting_rule, body.threshold, in_favour, eligible, body.rule_of)


class HasRule(Protocol):
    @property
    def voting_rule(self) -> str: ...
    @property
    def threshold(self) -> Decimal: ...
    @property
    def rule_of(self) -> int | None: ...


def rule_description(body: HasRule) -> str:
    """The body's rule in words, as the agenda and the minutes state it."""
    if body.voting_rule == VotingRule.WEIGHTED_SHARE:
        return (
            f"a vote weighted by capitation share carries at {format_percent(body.threshold, 0)}"
            " or more of the eligible votes; otherwise the proposal lapses"
        )
    if body.voting_rule == VotingRule.PROPORTION:
        return f"binding when {format_percent(body.threshold, 0)} of members agree"
    of = f" of {body.rule_of}" if body.rule_of else ""
    return f"binding when {body.threshold:.0f}{of} members agree"


def notice_warning(decision: Decision, meeting: Meeting, body: Body) -> str:
    """A warning when a financial commitment comes to a vote with too little notice."""
    if not (decision.financial_commitment and decision.binding):
        return ""
    required = body.notice_days
    if decision.notice_given_on is None:
        return (
            f"Financial commitment: no notice is recorded; the rules ask for {required} days "
            "before a binding decision."
        )
    given = (meeting.held_on - decision.notice_given_on).days
    if given < required:
        return (
            f"Financial commitment with {given} days' notice (given "
            f"{format_date(decision.notice_given_on)}); the rules ask for {required} days."
        )
    return ""


# ---------------------------------------------------------------------------------------------
# Rows for lists and reports


@dataclass(frozen=True)
class MeetingRow:
    id: uuid.UUID
    body: str
    body_short_name: str
    held_on: date
    starts_at: str
    venue: str
    status: str
    items: int
    papers_missing: int


@dataclass(frozen=True)
class AgendaRow:
    id: uuid.UUID
    sequence: int
    reference: str
    title: str
    presenter: str
    purpose: str
    minutes_allotted: int
    starts_at: str
    confidential: bool
    paper: str
    paper_report: str
    minutes: str

    @property
    def needs_paper(self) -> bool:
        return self.purpose != Purpose.INFORMATION

    @property
    def has_paper(self) -> bool:
        return bool(self.paper or self.paper_report)


@dataclass(frozen=True)
class AttendanceRow:
    id: uuid.UUID | None
    seat_id: uuid.UUID | None
    name: str
    representing: str
    status: str
    as_deputy: bool
    voting: bool
    weight: Decimal


@dataclass(frozen=True)
class DecisionRow:
    id: uuid.UUID
    reference: str
    subject: str
    text: str
    binding: bool
    financial_commitment: bool
    confidential: bool
    votes_for: Decimal | None
    votes_eligible: Decimal | None
    carried: bool | None
    arithmetic: str
    warning: str
    meeting_id: uuid.UUID
    held_on: date


@dataclass(frozen=True)
class ActionRow:
    id: uuid.UUID
    reference: str
    text: str
    owner: str
    due_on: date
    status: str
    done_on: date | None
    raised_on: date
    carried_forward: bool
    overdue: bool


@dataclass(frozen=True)
class DeclarationRow:
    id: uuid.UUID
    member_name: str
    held_on: date
    body: str
    item_reference: str
    interest: str
    action_taken: str


@dataclass(frozen=True)
class Quorum:
    present: int
    required: int

    @property
    def quorate(self) -> bool:
        return self.present >= self.required

    @property
    def text(self) -> str:
        verdict = "quorate" if self.quorate else "NOT quorate"
        return f"{self.present} voting members present; quorum {self.required}: {verdict}"


@dataclass(frozen=True)
class MeetingDetail:
    """Everything about one meeting, as its tab and its pack show it."""

    id: uuid.UUID
    body_id: uuid.UUID
    body: str
    body_short_name: str
    rule: str
    rule_text: str
    notice_days: int
    held_on: date
    starts_at: time
    ends_at: time
    venue: str
    status: str
    chair: str
    agenda: list[AgendaRow]
    attendance: list[AttendanceRow]
    quorum: Quorum
    declarations: list[DeclarationRow]
    decisions: list[DecisionRow]
    actions: list[ActionRow]
    previous_meeting_id: uuid.UUID | None

    @property
    def has_confidential(self) -> bool:
        return any(item.confidential for item in self.agenda)


# ---------------------------------------------------------------------------------------------
# Reading


def _live(entity: type) -> ColumnElement[bool]:
    column: ColumnElement[bool] = entity.deleted_at.is_(None)  # type: ignore[attr-defined]
    return column


def list_meetings(session: Session) -> list[MeetingRow]:
    """Every meeting, latest first."""
    meetings = session.scalars(
        select(Meeting).where(_live(Meeting)).order_by(Meeting.held_on.desc())
    ).all()
    rows = []
    for meeting in meetings:
        items = [i for i in meeting.items if i.deleted_at is None]
        missing = sum(
            1 for i in items if i.purpose != Purpose.INFORMATION and not (i.paper or i.paper_report)
        )
        rows.append(
            MeetingRow(
                id=meeting.id,
                body=meeting.body.name,
                body_short_name=meeting.body.short_name,
                held_on=meeting.held_on,
                starts_at=meeting.starts_at.strftime("%H:%M"),
                venue=meeting.venue,
                status=meeting.status,
                items=len(items),
                papers_missing=missing,
            )
        )
    return rows


def find_meeting(session: Session, key: str | uuid.UUID) -> Meeting:
    """A meeting by its id, or by its date (ISO) when only one meeting was held that day."""
    text = str(key).strip()
    try:
        meeting = session.get(Meeting, uuid.UUID(text))
    except ValueError:
        meeting = None
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise NotFound(
                f"'{text}' is neither a meeting id nor a date such as 2026-11-12"
            ) from error
        found = session.scalars(select(Meeting).where(_live(Meeting), Meeting.held_on == day)).all()
        if len(found) > 1:
            names = ", ".join(f"{m.id} ({m.body.short_name})" for m in found)
            raise InputRejected(
                f"{len(found)} meetings were held on {text}: give the id ({names})"
            ) from None
        meeting = found[0] if found else None
    if meeting is None or meeting.deleted_at is not None:
        raise NotFound(f"there is no meeting '{text}'")
    return meeting


def _add_minutes(start: time, minutes: int) -> time:
    moment = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)
    return moment.time()


def agenda_rows(meeting: Meeting) -> list[AgendaRow]:
    rows = []
    clock = meeting.starts_at
    for item in sorted(
        (i for i in meeting.items if i.deleted_at is None), key=lambda i: i.sequence
    ):
        rows.append(
            AgendaRow(
                id=item.id,
                sequence=item.sequence,
                reference=item.reference,
                title=item.title,
                presenter=item.presenter,
                purpose=item.purpose,
                minutes_allotted=item.minutes_allotted,
                starts_at=clock.strftime("%H:%M"),
                confidential=item.confidential,
                paper=item.paper,
                paper_report=item.paper_report,
                minutes=item.minutes,
            )
        )
        clock = _add_minutes(clock, item.minutes_allotted)
    return rows


def _ends_at(meeting: Meeting) -> time:
    total = sum(i.minutes_allotted for i in meeting.items if i.deleted_at is None)
    return _add_minutes(meeting.starts_at, total)


def attendance_rows(session: Session, meeting: Meeting) -> list[AttendanceRow]:
    """Every seat of the body (absent unless recorded), then others in attendance."""
    recorded = {r.seat_id: r for r in meeting.attendance if r.deleted_at is None and r.seat_id}
    rows = []
    for seat in meeting.body.seats:
        if seat.deleted_at is not None or not seat.active:
            continue
        record = recorded.get(seat.id)
        as_deputy = bool(record and record.as_deputy)
        rows.append(
            AttendanceRow(
                id=record.id if record else None,
                seat_id=seat.id,
                name=seat.deputy_name if as_deputy else seat.member_name,
                representing=seat.representing,
                status=record.status if record else Attendance.ABSENT,
                as_deputy=as_deputy,
                voting=seat.voting,
                weight=seat.weight,
            )
        )
    for record in sorted(meeting.attendance, key=lambda r: r.name):
        if record.deleted_at is None and record.seat_id is None:
            rows.append(
                AttendanceRow(
                    record.id,
                    None,
                    record.name,
                    "In attendance",
                    record.status,
                    False,
                    False,
                    Decimal(0),
                )
            )
    return rows


def quorum(meeting: Meeting, attendance: list[AttendanceRow]) -> Quorum:
    present = sum(1 for row in attendance if row.voting and row.status == Attendance.PRESENT)
    return Quorum(present=present, required=meeting.body.quorum)


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    return session.scalars(
        select(Meeting)
        .where(
            _live(Meeting), Meeting.body_id == meeting.body_id, Meeting.held_on < meeting.held_on
        )
        .order_by(Meeting.held_on.desc())
        .limit(1)
    ).first()


def decision_rows(session: Session, meetings: list[Meeting]) -> list[DecisionRow]:
    ids = [m.id for m in meetings]
    by_id = {m.id: m for m in meetings}
    decisions = session.scalars(
        select(Decision).where(_live(Decision), Decision.meeting_id.in_(ids))
    ).all()
    rows = []
    for decision in decisions:
        meeting = by_id[decision.meeting_id]
        item = decision.agenda_item
        arithmetic = ""
        if decision.binding and decision.votes_for is not None and decision.votes_eligible:
            arithmetic = body_vote_outcome(
                meeting.body, decision.votes_for, decision.votes_eligible
            ).arithmetic
        rows.append(
            DecisionRow(
                id=decision.id,
                reference=item.reference if item else "",
                subject=decision.subject,
                text=decision.text,
                binding=decision.binding,
                financial_commitment=decision.financial_commitment,
                confidential=bool(item and item.confidential),
                votes_for=decision.votes_for,
                votes_eligible=decision.votes_eligible,
                carried=decision.carried,
                arithmetic=arithmetic,
                warning=notice_warning(decision, meeting, meeting.body),
                meeting_id=meeting.id,
                held_on=meeting.held_on,
            )
        )
    rows.sort(key=lambda r: (r.held_on, r.reference, r.subject))
    return rows


def action_log(session: Session, meeting: Meeting, as_of: date | None = None) -> list[ActionRow]:
    """The meeting's own actions and every earlier one of the body not done by the meeting."""
    today = as_of or meeting.held_on
    candidates = session.execute(
        select(Action, Meeting)
        .join(Meeting, Meeting.id == Action.meeting_id)
        .where(
            _live(Action),
            _live(Meeting),
            Meeting.body_id == meeting.body_id,
            Meeting.held_on <= meeting.held_on,
        )
        .order_by(Meeting.held_on, Action.due_on, Action.created_at)
    ).all()
    references = {
        item.id: item.reference
        for item in session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id.in_({m.id for _, m in candidates}))
        )
    }
    rows = []
    for action, raised in candidates:
        own = raised.id == meeting.id
        done_before = action.status != ActionStatus.OPEN and (
            action.done_on is None or action.done_on < meeting.held_on
        )
        if not own and done_before:
            continue
        reference = ""
        if action.decision is not None and action.decision.agenda_item_id:
            reference = references.get(action.decision.agenda_item_id, "")
        rows.append(
            ActionRow(
                id=action.id,
                reference=reference,
                text=action.text,
                owner=action.owner,
                due_on=action.due_on,
                status=action.status,
                done_on=action.done_on,
                raised_on=raised.held_on,
                carried_forward=not own,
                overdue=action.status == ActionStatus.OPEN and action.due_on < today,
            )
        )
    return rows


def declaration_rows(
    session: Session, meeting_ids: list[uuid.UUID] | None = None
) -> list[DeclarationRow]:
    query = (
        select(Declaration, Meeting)
        .join(Meeting, Meeting.id == Declaration.meeting_id)
        .where(_live(Declaration), _live(Meeting))
        .order_by(Declaration.member_name, Meeting.held_on)
    )
    if meeting_ids is not None:
        query = query.where(Declaration.meeting_id.in_(meeting_ids))
    rows = []
    for declaration, meeting in session.execute(query):
        item = (
            session.get(AgendaItem, declaration.agenda_item_id)
            if declaration.agenda_item_id
            else None
        )
        rows.append(
            DeclarationRow(
                id=declaration.id,
                member_name=declaration.member_name,
                held_on=meeting.held_on,
                body=meeting.body.short_name,
                item_reference=item.reference if item else "",
                interest=declaration.interest,
                action_taken=declaration.action_taken,
            )
        )
    return rows


def declaration_register(session: Session) -> dict[str, list[DeclarationRow]]:
    """The register of interests: each member's declarations across all meetings."""
    register: dict[str, list[DeclarationRow]] = {}
    for row in declaration_rows(session):
        register.setdefault(row.member_name, []).append(row)
    return register


def meeting_detail(
    session: Session, key: str | uuid.UUID, as_of: date | None = None
) -> MeetingDetail:
    meeting = find_meeting(session, key)
    attendance = attendance_rows(session, meeting)
    previous = previous_meeting(session, meeting)
    body = meeting.body
    return MeetingDetail(
        id=meeting.id,
        body_id=body.id,
        body=body.name,
        body_short_name=body.short_name,
        rule=body.voting_rule,
        rule_text=rule_description(body),
        notice_days=body.notice_days,
        held_on=meeting.held_on,
        starts_at=meeting.starts_at,
        ends_at=_ends_at(meeting),
        venue=meeting.venue,
        status=meeting.status,
        chair=meeting.chair,
        agenda=agenda_rows(meeting),
        attendance=attendance,
        quorum=quorum(meeting, attendance),
        declarations=declaration_rows(session, [meeting.id]),
        decisions=decision_rows(session, [meeting]),
        actions=action_log(session, meeting, as_of),
        previous_meeting_id=previous.id if previous else None,
    )


def decisions_between(session: Session, start: date, end: date) -> list[DecisionRow]:
    meetings = session.scalars(
        select(Meeting).where(_live(Meeting), Meeting.held_on >= start, Meeting.held_on <= end)
    ).all()
    return decision_rows(session, list(meetings))


# ---------------------------------------------------------------------------------------------
# Agenda numbering

_REFERENCE = re.compile(r"^\S+ (\d{2})/(\d+)$")


def numbering_period(body: Body, day: date) -> tuple[date, date, int]:
    """The year item numbers run through: (first day, last day, two-digit label)."""
    if body.numbering == Numbering.FINANCIAL:
        year = FinancialYear.containing(day)
        return year.starts_on, year.ends_on, year.start_year % 100
    return date(day.year, 1, 1), date(day.year, 12, 31), day.year % 100


def next_reference(session: Session, meeting: Meeting) -> str:
    """The next number in the year, e.g. `SCG 26/08` after `SCG 26/07` at an earlier meeting."""
    body = meeting.body
    first, last, label = numbering_period(body, meeting.held_on)
    references = session.scalars(
        select(AgendaItem.reference)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            _live(AgendaItem),
            Meeting.body_id == body.id,
            Meeting.held_on >= first,
            Meeting.held_on <= last,
        )
    ).all()
    numbers = [int(m.group(2)) for r in references if (m := _REFERENCE.match(r))]
    return f"{body.short_name} {label:02d}/{max(numbers, default=0) + 1:02d}"


# ---------------------------------------------------------------------------------------------
# Writing


def _meeting_for_change(session: Session, key: str | uuid.UUID) -> Meeting:
    require_write(session, Area.MEETINGS)
    return find_meeting(session, key)


def _item(session: Session, item_id: uuid.UUID) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound("the agenda item no longer exists")
    return item


def create_meeting(
    session: Session,
    body_id: uuid.UUID,
    held_on: date,
    starts_at: time = time(10, 0),
    venue: str = "",
) -> uuid.UUID:
    require_write(session, Area.MEETINGS)
    body = session.get(Body, body_id)
    if body is None:
        raise NotFound("there is no such body")
    meeting = Meeting(body=body, held_on=held_on, starts_at=starts_at, venue=venue)
    session.add(meeting)
    session.flush()
    return meeting.id


def add_agenda_item(
    session: Session,
    meeting_id: uuid.UUID,
    title: str,
    presenter: str = "",
    purpose: str = Purpose.INFORMATION,
    minutes_allotted: int = 15,
    confidential: bool = False,
    paper: str = "",
    paper_report: str = "",
) -> AgendaRow:
    """A new item at the end of the agenda, numbered on from the last in the year."""
    meeting = _meeting_for_change(session, meeting_id)
    _check_item(title, purpose, minutes_allotted, paper_report)
    sequence = max((i.sequence for i in meeting.items if i.deleted_at is None), default=0) + 1
    item = AgendaItem(
        meeting=meeting,
        sequence=sequence,
        reference=next_reference(session, meeting),
        title=title.strip(),
        presenter=presenter,
        purpose=purpose,
        minutes_allotted=minutes_allotted,
        confidential=confidential,
        paper="",
        paper_report=paper_report,
    )
    session.add(item)
    session.flush()
    if paper:
        _set_paper(session, item, paper)
        session.flush()
    session.refresh(meeting)
    return next(row for row in agenda_rows(meeting) if row.id == item.id)


def _check_item(title: str, purpose: str, minutes_allotted: int, paper_report: str) -> None:
    problems = []
    if not title.strip():
        problems.append(Problem("agenda", None, "title", "an item needs a title"))
    if purpose not in Purpose.ALL:
        problems.append(Problem("agenda", None, "purpose", f"'{purpose}' is not a purpose"))
    if not 0 <= minutes_allotted <= 600:
        problems.append(Problem("agenda", None, "time", "time allotted must be 0-600 minutes"))
    if paper_report and paper_report not in PAPER_REPORTS:
        problems.append(Problem("agenda", None, "paper", f"'{paper_report}' is not a report"))
    if problems:
        raise InputRejected(problems)


def update_agenda_item(session: Session, item_id: uuid.UUID, **changes: object) -> None:
    """Change an item's title, presenter, purpose, time, confidentiality, paper or minutes."""
    require_write(session, Area.MEETINGS)
    item = _item(session, item_id)
    allowed = {
        "title", "presenter", "purpose", "minutes_allotted", "confidential", "paper",
        "paper_report", "minutes",
    }  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise InputRejected(f"an agenda item has no {', '.join(sorted(unknown))}")
    _check_item(
        str(changes.get("title", item.title)),
        str(changes.get("purpose", item.purpose)),
        int(changes.get("minutes_allotted", item.minutes_allotted)),  # type: ignore[call-overload]
        str(changes.get("paper_report", item.paper_report)),
    )
    paper = changes.pop("paper", None)
    for name, value in changes.items():
        setattr(item, name, value)
    if paper is not None:
        _set_paper(session, item, str(paper))


def _set_paper(session: Session, item: AgendaItem, paper: str) -> None:
    """An uploaded paper: a PDF file's path is read and kept in the database with the item,
    so the pack can carry its pages; the item's name for it stays its file name."""
    paper = paper.strip()
    if paper == item.paper:
        return
    current = paper_document(session, item.id)
    if not paper:
        if current is not None:
            current.deleted_at = datetime.now().astimezone()
        item.paper = ""
        return
    source = Path(paper)
    if not source.is_file():
        # Only a name (a paper circulated some other way): nothing to read.
        item.paper = paper
        return
    content = _read_pdf_paper(source)
    if current is not None:
        current.deleted_at = datetime.now().astimezone()
    session.add(
        LogDocument(
            id=uuid.uuid4(),
            owner_type=PAPER_OWNER,
            owner_id=item.id,
            file_name=source.name,
            media_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            text="",
        )
    )
    item.paper = source.name


def _read_pdf_paper(source: Path) -> bytes:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        content = source.read_bytes()
    except OSError as error:
        raise InputRejected(
            [Problem(str(source), None, "paper", f"could not be read: {error.strerror}")]
        ) from error
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise InputRejected(
                [Problem(str(source), None, "paper", "the PDF is password-protected; "
                         "save an unprotected copy for the pack")]
            )  # fmt: skip
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise InputRejected(
            [Problem(str(source), None, "paper", f"is not a PDF that can be read ({error})")]
        ) from error
    if not pages:
        raise InputRejected([Problem(str(source), None, "paper", "the PDF has no pages")])
    return content


def paper_document(session: Session, item_id: uuid.UUID) -> LogDocument | None:
    """The uploaded PDF kept with an agenda item, if it has one."""
    return session.scalars(
        select(LogDocument).where(
            LogDocument.owner_type == PAPER_OWNER,
            LogDocument.owner_id == item_id,
            LogDocument.deleted_at.is_(None),
        )
    ).first()


def move_agenda_item(session: Session, item_id: uuid.UUID, steps: int) -> None:
    """Move an item up (negative) or down the agenda; the numbers follow the new order."""
    require_write(session, Area.MEETINGS)
    item = _item(session, item_id)
    items = sorted(
        (i for i in item.meeting.items if i.deleted_at is None), key=lambda i: i.sequence
    )
    references = [i.reference for i in items]
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + steps))
    items.insert(target, items.pop(index))
    # Numbers go with positions, so the agenda always reads 26/08, 26/09, 26/10...
    for sequence, (moved, reference) in enumerate(zip(items, references, strict=True), start=1):
        moved.sequence = sequence
        moved.reference = reference


def remove_agenda_item(session: Session, item_id: uuid.UUID) -> None:
    require_write(session, Area.MEETINGS)
    item = _item(session, item_id)
    item.deleted_at = datetime.now().astimezone()


def record_attendance(
    session: Session,
    meeting_id: uuid.UUID,
    seat_id: uuid.UUID | None,
    status: str,
    as_deputy: bool = False,
    name: str = "",
) -> None:
    """Record who came for a seat (or someone in attendance without one)."""
    meeting = _meeting_for_change(session, meeting_id)
    if status not in Attendance.ALL:
        raise InputRejected(f"'{status}' is not an attendance status")
    existing = next(
        (r for r in meeting.attendance if r.deleted_at is None and r.seat_id == seat_id
         and (seat_id is not None or r.name == name)),
        None,
    )  # fmt: skip
    if seat_id is not None:
        seat = session.get(Seat, seat_id)
        if seat is None:
            raise NotFound("there is no such seat")
        name = seat.deputy_name if as_deputy else seat.member_name
        if as_deputy and not seat.deputy_name:
            raise InputRejected(f"{seat.member_name} has no deputy named")
    if existing is None:
        session.add(
            AttendanceRecord(
                meeting=meeting, seat_id=seat_id, name=name, status=status, as_deputy=as_deputy
            )
        )
    else:
        existing.status, existing.as_deputy, existing.name = status, as_deputy, name


def add_declaration(
    session: Session,
    meeting_id: uuid.UUID,
    member_name: str,
    interest: str,
    agenda_item_id: uuid.UUID | None = None,
    action_taken: str = "",
) -> uuid.UUID:
    meeting = _meeting_for_change(session, meeting_id)
    if not member_name.strip() or not interest.strip():
        raise InputRejected("a declaration needs the member's name and the interest")
    declaration = Declaration(
        meeting=meeting,
        member_name=member_name.strip(),
        interest=interest.strip(),
        agenda_item_id=agenda_item_id,
        action_taken=action_taken,
    )
    session.add(declaration)
    session.flush()
    return declaration.id


def record_decision(
    session: Session,
    meeting_id: uuid.UUID,
    subject: str,
    text: str,
    agenda_item_id: uuid.UUID | None = None,
    binding: bool = False,
    financial_commitment: bool = False,
    votes_for: Decimal | None = None,
    votes_eligible: Decimal | None = None,
    notice_given_on: date | None = None,
) -> DecisionRow:
    """A decision; a binding one with its vote, carried or not by the body's rule."""
    meeting = _meeting_for_change(session, meeting_id)
    carried = None
    if binding and votes_for is not None and votes_eligible is not None:
        carried = body_vote_outcome(meeting.body, votes_for, votes_eligible).carried
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=agenda_item_id,
        subject=subject,
        text=text,
        binding=binding,
        financial_commitment=financial_commitment,
        votes_for=votes_for,
        votes_eligible=votes_eligible,
        carried=carried,
        notice_given_on=notice_given_on,
    )
    session.add(decision)
    session.flush()
    return next(r for r in decision_rows(session, [meeting]) if r.id == decision.id)


def add_action(
    session: Session,
    meeting_id: uuid.UUID,
    text: str,
    owner: str,
    due_on: date,
    decision_id: uuid.UUID | None = None,
) -> uuid.UUID:
    meeting = _meeting_for_change(session, meeting_id)
    if not text.strip() or not owner.strip():
        raise InputRejected("an action needs what is to be done and who does it")
    action = Action(
        meeting_id=meeting.id, decision_id=decision_id, text=text, owner=owner, due_on=due_on
    )
    session.add(action)
    session.flush()
    return action.id


def set_action_status(
    session: Session, action_id: uuid.UUID, status: str, done_on: date | None = None
) -> None:
    require_write(session, Area.MEETINGS)
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("the action no longer exists")
    if status not in (ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.DROPPED):
        raise InputRejected(f"'{status}' is not an action status")
    action.status = status
    action.done_on = done_on if status != ActionStatus.OPEN else None


def members_needed(body: Body, eligible: int) -> int:
    """How many members must agree for a binding decision (proportion and count rules)."""
    if body.voting_rule == VotingRule.PROPORTION:
        return math.ceil(Decimal(eligible) * body.threshold)
    return int(body.threshold)


def meeting_of(session: Session, record_type: str, record_id: uuid.UUID) -> uuid.UUID | None:
    """The meeting a record belongs to (a meeting, an action, a decision or an agenda item)."""
    if record_type == "meeting":
        return record_id
    entity = {"action": Action, "decision": Decision, "agenda_item": AgendaItem}.get(record_type)
    record = session.get(entity, record_id) if entity is not None else None
    return getattr(record, "meeting_id", None)


def body_choices(session: Session) -> list[tuple[uuid.UUID, str]]:
    """The bodies a meeting can be of: (id, name)."""
    return [
        (body.id, body.name)
        for body in session.scalars(select(Body).where(_live(Body)).order_by(Body.name))
    ]


MEETING_STATUSES = ("planned", "held", "cancelled")


def update_meeting(session: Session, meeting_id: uuid.UUID, **changes: object) -> None:
    """Change a meeting's date, start time, venue, chair or status."""
    meeting = _meeting_for_change(session, meeting_id)
    allowed = {"held_on", "starts_at", "venue", "chair", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise InputRejected(f"a meeting has no {', '.join(sorted(unknown))}")
    if changes.get("status", meeting.status) not in MEETING_STATUSES:
        raise InputRejected(f"'{changes['status']}' is not a meeting status")
    for name, value in changes.items():
        setattr(meeting, name, value)


@dataclass(frozen=True)
class RulePreset:
    """A voting rule of the sources (voting_rules.json), ready to give a body."""

    key: str
    body: str
    voting_rule: str
    threshold: Decimal  # a fraction for weighted and proportion rules, a count for count
    rule_of: int | None
    notice_days: int


def rule_presets() -> list[RulePreset]:
    """The rules seen in the sources: Northern SCG, Thames Valley and North West London."""
    from app.services.reference_data import read_json

    data = read_json("voting_rules.json")
    presets = []
    for rule in data["rules"]:
        percent = rule["kind"] in (VotingRule.WEIGHTED_SHARE, VotingRule.PROPORTION)
        threshold = Decimal(str(rule["threshold"]))
        presets.append(
            RulePreset(
                key=rule["key"],
                body=rule["body"],
                voting_rule=rule["kind"],
                threshold=threshold / 100 if percent else threshold,
                rule_of=rule["of"],
                notice_days=int(data["financial_notice_days"]),
            )
        )
    return presets


# ---------------------------------------------------------------------------------------------
# Bodies: their voting rule and numbering, kept as data


@dataclass(frozen=True)
class BodySettings:
    """What a body's secretariat may set: names, binding-vote rule, quorum, notice, numbering."""

    id: uuid.UUID
    name: str
    short_name: str
    voting_rule: str
    threshold: Decimal  # a fraction (weighted share, proportion) or a number of members
    rule_of: int | None
    quorum: int
    notice_days: int
    numbering: str
    voting_members: int

    @property
    def rule_in_words(self) -> str:
        return rule_description(self)


BODY_FIELDS = (
    "name", "short_name", "voting_rule", "threshold", "rule_of", "quorum", "notice_days",
    "numbering",
)  # fmt: skip


def body_settings(session: Session, body_id: uuid.UUID) -> BodySettings:
    body = session.get(Body, body_id)
    if body is None or body.deleted_at is not None:
        raise NotFound("there is no such body")
    voting = sum(1 for s in body.seats if s.active and s.voting and s.deleted_at is None)
    return BodySettings(
        body.id, body.name, body.short_name, body.voting_rule, body.threshold, body.rule_of,
        body.quorum, body.notice_days, body.numbering, voting,
    )  # fmt: skip


def _check_body(values: dict[str, Any]) -> None:
    problems = []

    def problem(field_name: str, message: str) -> None:
        problems.append(Problem("body", None, field_name, message))

    if not str(values["name"]).strip():
        problem("name", "a body needs a name")
    short = str(values["short_name"]).strip()
    if not short or len(short) > 20 or " " in short:
        problem("short_name", "the short name (as in 'SCG 26/01') is one word of 1-20 letters")
    rule, threshold, of = values["voting_rule"], values["threshold"], values["rule_of"]
    if rule not in VotingRule.ALL:
        problem("voting_rule", f"'{rule}' is not a voting rule")
    elif rule == VotingRule.COUNT:
        if of is None or int(of) < 1:
            problem("rule_of", "a count rule needs the number of members it is out of")
        if threshold != int(threshold) or threshold < 1 or (of and threshold > int(of)):
            problem("threshold", "a count rule needs a whole number of members, at most 'of'")
    elif not Decimal(0) < Decimal(threshold) <= 1:
        problem("threshold", "the threshold is a percentage above 0 and at most 100")
    if int(values["quorum"]) < 0:
        problem("quorum", "the quorum cannot be negative")
    if not 0 <= int(values["notice_days"]) <= 365:
        problem("notice_days", "notice is 0 to 365 days")
    if values["numbering"] not in (Numbering.CALENDAR, Numbering.FINANCIAL):
        problem("numbering", "numbering runs through the calendar or the financial year")
    if problems:
        raise InputRejected(problems)


def update_body(session: Session, body_id: uuid.UUID, **changes: Any) -> BodySettings:
    """Change a body's rule, quorum, notice or numbering; returns the settings as they were.

    A change of numbering applies to items added from now on: numbers already given stay,
    since papers and minutes have cited them."""
    require_write(session, Area.MEETINGS)
    before = body_settings(session, body_id)
    unknown = set(changes) - set(BODY_FIELDS)
    if unknown:
        raise InputRejected(f"a body has no {', '.join(sorted(unknown))}")
    values = {name: changes.get(name, getattr(before, name)) for name in BODY_FIELDS}
    if values["voting_rule"] != VotingRule.COUNT:
        values["rule_of"] = None
    values["threshold"] = Decimal(str(values["threshold"]))
    _check_body(values)
    body = session.get(Body, body_id)
    assert body is not None
    for name, value in values.items():
        if getattr(body, name) != value:
            setattr(body, name, value.strip() if isinstance(value, str) else value)
    session.flush()
    return before
