"""The dispute and arbitration log: raise, escalate, facilitate, arbitrate, decide, learn, close.

The escalation process of each kind of dispute is data (`DisputeStageRule`, seeded from the
London SCG process of 000 Appendix 5 case study 1): its stages, who takes part, target
durations and the value above which the formal process (a facilitated meeting, then an
arbitration panel) applies. Disputes are commercially sensitive: every export carries
OFFICIAL-SENSITIVE: COMMERCIAL.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, inspect, or_, select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.formatting import format_date, format_money
from app.models import (
    Contract,
    Dispute,
    DisputeAction,
    DisputeAssignee,
    DisputeIssue,
    DisputeKind,
    DisputeParty,
    DisputeStage,
    DisputeStageRule,
    DisputeStatus,
    FacilitatedMeetingMember,
    FinancialYear,
    LogDocument,
    MeetingCapacity,
    Organisation,
    PanelLevel,
    PanelMember,
    Upheld,
)
from app.models.base import utc_now
from app.services import scg_areas
from app.services.access import Area, require_write
from app.services.case_studies import Confirmation, confirm_not_nhs_numbers
from app.services.dispute_access import (
    CONFIDENTIAL_TITLE,
    WITHHELD,
    Reader,
    may_read_in_full,
    reader,
    require_full_read,
)
from app.services.reference_data import load_dispute_process, read_json
from app.services.references import next_reference
from app.services.table_export import Table, export_table

log = logging.getLogger(__name__)

MARKING = "OFFICIAL-SENSITIVE: COMMERCIAL"
RECORD = "dispute"
FACILITATED_MEETING = "facilitated_meeting"
ARBITRATION_PANEL = "arbitration_panel"
# Organisation types whose SCG is the dispute's home SCG (terms.csv categories).
COMMISSIONING = ("commissioner", "commissioning group")
BINDING_STATEMENT = (
    "The decision of the arbitration panel is binding on all parties to the dispute."
)


def _record_access(session: Session, record_id: uuid.UUID, action: str, detail: str) -> None:
    """Who opened, exported or printed a confidential dispute: kept in the access log."""
    from app.services.audit import record_access

    record_access(session, record_id, action, detail)
    log.info(
        "access to confidential dispute %s by %s: %s (%s)",
        record_id,
        session.info.get("user", ""),
        action,
        detail,
    )


# ---------------------------------------------------------------------------------------------
# The process as data


@dataclass(frozen=True)
class StageRule:
    kind: str
    key: str
    position: int
    name: str
    who: str
    target_days: int | None
    applies_above: Decimal | None
    entered_when: str


def stage_rules(session: Session, kind: str) -> list[StageRule]:
    """The escalation stages of a kind of dispute, in order (seeded on first use if absent)."""
    if not session.scalar(select(func.count()).select_from(DisputeStageRule)):
        load_dispute_process(session)  # a database upgraded from before the rules existed
        session.flush()
    rules = session.scalars(
        select(DisputeStageRule)
        .where(DisputeStageRule.kind == kind, DisputeStageRule.deleted_at.is_(None))
        .order_by(DisputeStageRule.position)
    )
    return [
        StageRule(
            r.kind,
            r.key,
            r.position,
            r.name,
            r.who,
            r.target_days,
            r.applies_above,
            r.entered_when,
        )
        for r in rules
    ]


def stage_applies(rule: StageRule, value: Decimal) -> bool:
    """A stage with a threshold applies only when the value is above it ("in excess of")."""
    return rule.applies_above is None or value > rule.applies_above


def applicable_stages(session: Session, kind: str, value: Decimal) -> list[StageRule]:
    return [rule for rule in stage_rules(session, kind) if stage_applies(rule, value)]


def threshold(session: Session) -> Decimal:
    """The value above which the formal two-stage process applies (£100,000 as seeded)."""
    values = [
        r.applies_above
        for kind in DisputeKind.TITLES
        for r in stage_rules(session, kind)
        if r.applies_above is not None
    ]
    return min(values) if values else Decimal(read_json("dispute_process.json")["threshold_gbp"])


def stage_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(DisputeStageRule.key, DisputeStageRule.name)).all())


# ---------------------------------------------------------------------------------------------
# Listing


@dataclass(frozen=True)
class DisputeRow:
    id: uuid.UUID
    reference: str
    kind: str
    title: str
    parties: str
    services: str
    value: Decimal | None  # None in a summary: the sum at stake is the parties' business
    raised_on: date
    stage: str
    stage_target: date | None
    overdue: bool
    status: str
    confidential: bool
    summary_only: bool = False  # confidential, and the reader is not one of its handlers


def _parties_text(session: Session, dispute: Dispute) -> str:
    ids = [p.organisation_id for p in dispute.parties if p.deleted_at is None]
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        ).all()
    )
    return "; ".join(names.get(i, "") for i in ids)


def current_stage(dispute: Dispute) -> DisputeStage | None:
    stages = [s for s in dispute.stages if s.deleted_at is None]
    return stages[-1] if stages else None


def is_overdue(stage: DisputeStage | None, as_of: date) -> bool:
    """A stage still open after its target date."""
    return (
        stage is not None
        and stage.ended_on is None
        and stage.target_on is not None
        and stage.target_on < as_of
    )


def _dispute_row(
    session: Session, dispute: Dispute, names: dict[str, str], as_of: date, person: Reader
) -> DisputeRow:
    stage = current_stage(dispute)
    open_ = dispute.status == DisputeStatus.OPEN
    full = may_read_in_full(session, dispute, person)
    return DisputeRow(
        id=dispute.id,
        reference=dispute.reference,
        kind=DisputeKind.TITLES.get(dispute.kind, dispute.kind),
        title=dispute.title if full else CONFIDENTIAL_TITLE,
        parties=_parties_text(session, dispute),
        services=dispute.service_codes if full else "",
        value=dispute.value if full else None,
        raised_on=dispute.raised_on,
        stage=names.get(dispute.stage, dispute.stage),
        stage_target=stage.target_on if stage and open_ else None,
        overdue=open_ and is_overdue(stage, as_of),
        status=dispute.status,
        confidential=dispute.confidential,
        summary_only=not full,
    )


def list_disputes(session: Session, as_of: date, open_only: bool = False) -> list[DisputeRow]:
    query = select(Dispute).where(Dispute.deleted_at.is_(None)).order_by(Dispute.raised_on)
    if open_only:
        query = query.where(Dispute.status == DisputeStatus.OPEN)
    names = stage_names(session)
    person = reader(session)
    return [_dispute_row(session, d, names, as_of, person) for d in session.scalars(query)]


def _dispute(session: Session, dispute_id: uuid.UUID) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or dispute.deleted_at is not None:
        raise NotFound(f"There is no dispute {dispute_id}.")
    return dispute


def _handled_dispute(session: Session, dispute_id: uuid.UUID) -> Dispute:
    """A dispute the acting user may change: they may change disputes and, if it is
    confidential, they are one of the people who may read it in full."""
    require_write(session, Area.DISPUTES)
    dispute = _dispute(session, dispute_id)
    require_full_read(session, dispute)
    return dispute


def _summary_only(session: Session, dispute: Dispute) -> bool:
    return not may_read_in_full(session, dispute)


def may_read(session: Session, dispute_id: uuid.UUID) -> bool:
    """Whether the acting user may read this dispute in full (else only its summary)."""
    return may_read_in_full(session, _dispute(session, dispute_id))


def find_dispute(session: Session, reference: str) -> uuid.UUID:
    """A dispute by its reference, or the start of one (DSP-2026-007)."""
    matches = list(
        session.scalars(select(Dispute.id).where(Dispute.reference.startswith(reference)))
    )
    if len(matches) != 1:
        raise NotFound(
            f"No dispute has the reference {reference}."
            if not matches
            else f"{reference} matches {len(matches)} disputes; give the whole reference."
        )
    return matches[0]


# ---------------------------------------------------------------------------------------------
# Raising and escalating


@dataclass(frozen=True)
class PartyInput:
    organisation_code: str
    side: str
    position: str = ""
    final_offer: Decimal | None = None


@dataclass
class DisputeInput:
    kind: str
    title: str
    value: Decimal
    raised_on: date
    issue: str
    parties: list[PartyInput]
    raised_by: str = ""
    service_codes: str = ""
    contract_id: uuid.UUID | None = None
    spans_scgs: bool = False
    confidential: bool = True
    confirmations: list[Confirmation] = field(default_factory=list)


def _organisation(session: Session, code: str) -> Organisation:
    organisation = session.scalars(select(Organisation).where(Organisation.code == code)).first()
    if organisation is None:
        raise NotFound(f"There is no organisation with the code {code}.")
    return organisation


def _start_stage(
    dispute: Dispute, rule: StageRule, started_on: date, sequence: int, notes: str = ""
) -> DisputeStage:
    stage = DisputeStage(
        dispute=dispute,
        sequence=sequence,
        stage=rule.key,
        started_on=started_on,
        target_on=None if rule.target_days is None else started_on + timedelta(rule.target_days),
        who=rule.who,
        notes=notes,
    )
    dispute.stage = rule.key
    return stage


def raise_dispute(session: Session, values: DisputeInput) -> uuid.UUID:
    """Record a new dispute at the first stage of its kind's process; return its id."""
    user = require_write(session, Area.DISPUTES)
    problems = []
    if values.kind not in DisputeKind.TITLES:
        problems.append(Problem(RECORD, None, "kind", f"'{values.kind}' is not a kind of dispute."))
    if not values.title.strip():
        problems.append(Problem(RECORD, None, "title", "A dispute needs a title."))
    if values.value < 0:
        problems.append(Problem(RECORD, None, "value", "The value cannot be negative."))
    if len(values.parties) < 2:
        problems.append(Problem(RECORD, None, "parties", "A dispute has at least two parties."))
    if problems:
        raise InputRejected(problems)
    rules = applicable_stages(session, values.kind, values.value)
    dispute = Dispute(
        id=uuid.uuid4(),
        reference=next_reference(session, "DSP", values.raised_on.year),
        kind=values.kind,
        title=values.title.strip(),
        contract_id=values.contract_id,
        service_codes=values.service_codes,
        value=values.value,
        raised_on=values.raised_on,
        raised_by=values.raised_by,
        issue=values.issue,
        stage=rules[0].key,
        status=DisputeStatus.OPEN,
        confidential=values.confidential,
        spans_scgs=values.spans_scgs,
    )
    session.add(dispute)
    for party in values.parties:
        session.add(
            DisputeParty(
                dispute=dispute,
                organisation_id=_organisation(session, party.organisation_code).id,
                side=party.side,
                position=party.position,
                final_offer=party.final_offer,
            )
        )
    session.add(_start_stage(dispute, rules[0], values.raised_on, 1))
    confirm_not_nhs_numbers(session, RECORD, dispute.id, values.confirmations, user)
    session.flush()
    return dispute.id


def end_stage(
    session: Session, dispute_id: uuid.UUID, ended_on: date, agreed: bool, notes: str = ""
) -> None:
    """Record how the current stage ended: agreed (resolved there) or not."""
    dispute = _handled_dispute(session, dispute_id)
    stage = current_stage(dispute)
    if stage is None or stage.ended_on is not None:
        raise InputRejected(f"{dispute.reference} has no stage in progress to end.")
    if ended_on < stage.started_on:
        raise InputRejected("A stage cannot end before it started.")
    stage.ended_on = ended_on
    stage.agreed = agreed
    if notes:
        stage.notes = f"{stage.notes}\n{notes}".strip()
    session.flush()


def next_stage(session: Session, dispute: Dispute) -> StageRule | None:
    """The stage a dispute escalates to next, or None when its process has no further stage."""
    rules = applicable_stages(session, dispute.kind, dispute.value)
    keys = [r.key for r in rules]
    if dispute.stage not in keys:
        return None
    position = keys.index(dispute.stage)
    return rules[position + 1] if position + 1 < len(rules) else None


def escalate(session: Session, dispute_id: uuid.UUID, started_on: date, notes: str = "") -> str:
    """Move a dispute to the next stage of its process; return the stage's name.

    Refused while the current stage is in progress or ended in agreement, when the value is
    not above the threshold for the formal process, and at the end of the process.
    """
    dispute = _handled_dispute(session, dispute_id)
    if dispute.status != DisputeStatus.OPEN:
        raise InputRejected(f"{dispute.reference} is closed.")
    stage = current_stage(dispute)
    if stage is not None and stage.ended_on is None:
        raise InputRejected(
            f"Record how the current stage ended before escalating {dispute.reference}."
        )
    if stage is not None and stage.agreed:
        raise InputRejected(
            f"{dispute.reference} was resolved at its last stage; close it instead."
        )
    following = next_stage(session, dispute)
    if following is None:
        all_rules = stage_rules(session, dispute.kind)
        keys = [r.key for r in all_rules]
        later = all_rules[keys.index(dispute.stage) + 1 :] if dispute.stage in keys else []
        if later and later[0].applies_above is not None:
            raise InputRejected(
                f"{dispute.reference} is worth £{dispute.value:,.2f}: the formal process "
                f"({later[0].name.lower()}) applies only to disputes worth more than "
                f"£{later[0].applies_above:,.0f}."
            )
        raise InputRejected(f"{dispute.reference} is at the last stage of its process.")
    sequence = max((s.sequence for s in dispute.stages), default=0) + 1
    session.add(_start_stage(dispute, following, started_on, sequence, notes))
    session.flush()
    return following.name


def record_stage_notes(
    session: Session, stage_id: uuid.UUID, notes: str, who: str | None = None
) -> None:
    require_write(session, Area.DISPUTES)
    stage = session.get(DisputeStage, stage_id)
    if stage is None:
        raise NotFound(f"There is no dispute stage {stage_id}.")
    _handled_dispute(session, stage.dispute_id)
    stage.notes = notes
    if who is not None:
        stage.who = who
    session.flush()


@dataclass(frozen=True)
class StageRow:
    id: uuid.UUID
    sequence: int
    stage: str
    who: str
    started_on: date
    target_on: date | None
    ended_on: date | None
    agreed: bool | None
    overdue: bool
    notes: str


def stages_of(session: Session, dispute_id: uuid.UUID, as_of: date) -> list[StageRow]:
    """The stages as they happened; in a summary, without who took part or the notes."""
    dispute = _dispute(session, dispute_id)
    full = may_read_in_full(session, dispute)
    names = stage_names(session)
    return [
        StageRow(
            s.id,
            s.sequence,
            names.get(s.stage, s.stage),
            s.who if full else "",
            s.started_on,
            s.target_on,
            s.ended_on,
            s.agreed,
            dispute.status == DisputeStatus.OPEN and is_overdue(s, as_of),
            s.notes if full else WITHHELD,
        )
        for s in dispute.stages
        if s.deleted_at is None
    ]


# ---------------------------------------------------------------------------------------------
# Facilitated meeting


def _facilitated_rule() -> dict[str, Any]:
    rule: dict[str, Any] = read_json("dispute_process.json")["facilitated_meeting"]
    return rule


def missing_from_meeting(capacities: list[str], spans_scgs: bool) -> list[str]:
    """What a facilitated meeting lacks to be constituted as the source describes."""
    rule = _facilitated_rule()
    present = Counter(capacities)
    missing = []
    wanted = [
        (
            MeetingCapacity.COMMISSIONER,
            int(rule["commissioner_representatives"]),
            "commissioner representatives",
        ),
        (MeetingCapacity.TRUST, int(rule["trust_representatives"]), "trust representatives"),
        (MeetingCapacity.SHA_DIRECTOR, int(rule["sha_director"]), "a Director from the SHA"),
        (
            MeetingCapacity.HEAD_OF_SPECIALISED_COMMISSIONING,
            int(rule["head_of_specialised_commissioning"]),
            "the Head of Specialised Commissioning",
        ),
    ]
    for capacity, count, words in wanted:
        short = count - present[capacity]
        if short > 0:
            missing.append(f"{short} more {words}" if count > 1 else words[0].upper() + words[1:])
    if rule.get("expert_clinical_advice") and not present[MeetingCapacity.CLINICAL_ADVICE]:
        missing.append("Expert clinical advice")
    if (
        spans_scgs
        and rule.get("neighbouring_scg_where_spanning")
        and not present[MeetingCapacity.NEIGHBOURING_SCG]
    ):
        missing.append("Representation from the neighbouring SCG(s) the consortium spans")
    return missing


def add_meeting_member(
    session: Session, dispute_id: uuid.UUID, name: str, capacity: str, organisation: str = ""
) -> uuid.UUID:
    dispute = _handled_dispute(session, dispute_id)
    if capacity not in MeetingCapacity.TITLES:
        raise InputRejected(f"'{capacity}' is not a capacity at a facilitated meeting.")
    if not name.strip():
        raise InputRejected("Give the name of the person attending.")
    member = FacilitatedMeetingMember(
        id=uuid.uuid4(),
        dispute=dispute,
        name=name.strip(),
        capacity=capacity,
        organisation=organisation,
    )
    session.add(member)
    session.flush()
    return member.id


def meeting_check(session: Session, dispute_id: uuid.UUID) -> list[str]:
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    members = [m for m in dispute.meeting_members if m.deleted_at is None]
    missing = missing_from_meeting([m.capacity for m in members], dispute.spans_scgs)
    if dispute.spans_scgs:
        neighbours = [m for m in members if m.capacity == MeetingCapacity.NEIGHBOURING_SCG]
        missing += _neighbour_attendance(session, dispute, neighbours)
    return missing


def _known_organisation(session: Session, text: str) -> Organisation | None:
    """The organisation an attendee came from, written as its code or its name."""
    text = text.strip()
    if not text:
        return None
    return session.scalars(
        select(Organisation).where(
            (func.upper(Organisation.code) == text.upper())
            | (func.lower(Organisation.name) == text.lower())
        )
    ).first()


def _neighbour_attendance(
    session: Session, dispute: Dispute, attendees: list[FacilitatedMeetingMember]
) -> list[str]:
    """Those attending for a neighbouring SCG must come from one: the same SCG data as the
    panel's check (an attendee's organisation given by code or name)."""
    if not attendees:
        return []
    home = home_scgs(session, dispute)
    if not home:
        return []
    neighbours = set().union(*(scg_areas.neighbours_of(session, scg) for scg in home)) - home
    home_names = ", ".join(sorted(scg_areas.name_of(session, scg) for scg in home))
    problems = []
    for attendee in attendees:
        if not attendee.organisation.strip():
            continue  # the capacity alone, as recorded before the SCGs were known
        organisation = _known_organisation(session, attendee.organisation)
        if organisation is None:
            problems.append(
                f"{attendee.name} attends for a neighbouring SCG, but their organisation "
                f"('{attendee.organisation}') is not one the product knows, so it cannot be "
                "checked"
            )
            continue
        scg = scg_areas.scg_of(session, organisation.id, dispute.raised_on)
        if scg in home:
            problems.append(
                f"{attendee.name} ({organisation.name}) attends for a neighbouring SCG but is "
                f"from the home SCG, {home_names}"
            )
        elif scg not in neighbours:
            problems.append(
                f"{attendee.name} ({organisation.name}) is not from an SCG neighbouring "
                f"{home_names}"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Arbitration panel


@dataclass(frozen=True)
class PanelRow:
    id: uuid.UUID
    name: str
    role: str
    organisation: str
    level: str
    interests: str
    declared_on: date | None


def add_panel_member(
    session: Session,
    dispute_id: uuid.UUID,
    name: str,
    role: str,
    organisation_code: str,
    level: str,
    interests: str = "",
    declared_on: date | None = None,
) -> uuid.UUID:
    """Seat a panel member; refused from an organisation that is a party (the panel is neutral)."""
    dispute = _handled_dispute(session, dispute_id)
    organisation = _organisation(session, organisation_code)
    problems = []
    if not name.strip():
        problems.append(Problem("panel member", None, "name", "Give the member's name."))
    if level not in PanelLevel.ALL:
        problems.append(
            Problem(
                "panel member",
                None,
                "level",
                f"The panel sits at Chief Executive and Director level, not '{level}'.",
            )
        )
    parties = {p.organisation_id for p in dispute.parties if p.deleted_at is None}
    if organisation.id in parties:
        problems.append(
            Problem(
                "panel member",
                None,
                "organisation",
                f"{organisation.name} is a party to {dispute.reference}: the arbitration panel "
                "must be neutral to the dispute, so its members cannot come from a party.",
            )
        )
    if problems:
        raise InputRejected(problems)
    member = PanelMember(
        id=uuid.uuid4(),
        dispute=dispute,
        name=name.strip(),
        role=role,
        organisation_id=organisation.id,
        level=level,
        interests=interests,
        declared_on=declared_on,
    )
    session.add(member)
    session.flush()
    return member.id


def panel_of(session: Session, dispute_id: uuid.UUID) -> list[PanelRow]:
    """The panel; none in a summary (who sits on it is for those handling the dispute)."""
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    rows = []
    for m in dispute.panel:
        if m.deleted_at is None:
            organisation = session.get(Organisation, m.organisation_id)
            rows.append(
                PanelRow(
                    m.id,
                    m.name,
                    m.role,
                    organisation.name if organisation else "",
                    m.level,
                    m.interests,
                    m.declared_on,
                )
            )
    return rows


def home_scgs(session: Session, dispute: Dispute) -> set[uuid.UUID]:
    """The SCG(s) whose dispute it is: those of its commissioning parties (of every party
    when none is a commissioner, as when a provider's SCG is the only one known)."""
    parties = [
        session.get(Organisation, p.organisation_id)
        for p in dispute.parties
        if p.deleted_at is None
    ]
    commissioning = [
        o
        for o in parties
        if o is not None and o.type is not None and o.type.category in COMMISSIONING
    ]
    found = {
        scg_areas.scg_of(session, o.id, dispute.raised_on)
        for o in (commissioning or [o for o in parties if o is not None])
    }
    return {scg for scg in found if scg is not None}


def neighbour_problems(session: Session, dispute: Dispute, members: list[PanelMember]) -> list[str]:
    """Where a consortium spans SCGs the panel needs a representative of a neighbouring L/SCG:
    a member from an SCG or LSCG in the area of an SCG that borders the dispute's own."""
    home = home_scgs(session, dispute)
    if not home:
        return [
            "The SCG of the dispute's parties is not recorded, so neighbouring L/SCG "
            "representation cannot be checked"
        ]
    neighbours = set().union(*(scg_areas.neighbours_of(session, scg) for scg in home)) - home
    home_names = ", ".join(sorted(scg_areas.name_of(session, scg) for scg in home))
    if not neighbours:
        return [f"No SCG is recorded as neighbouring {home_names}"]
    problems = []
    representing = []
    for member in members:
        organisation = session.get(Organisation, member.organisation_id)
        if organisation is None or scg_areas.kind_of(organisation) not in scg_areas.GROUPS:
            continue
        scg = scg_areas.scg_of(session, organisation.id, dispute.raised_on)
        if scg in neighbours:
            representing.append(member)
        elif scg in home:
            problems.append(
                f"{member.name} ({organisation.name}) represents the home SCG, {home_names}, "
                "not a neighbouring one"
            )
        else:
            problems.append(
                f"{member.name} ({organisation.name}) is not from an SCG neighbouring {home_names}"
            )
    if representing:
        return []
    names = ", ".join(sorted(scg_areas.name_of(session, scg) for scg in neighbours))
    return [
        *problems,
        f"No representative of a neighbouring L/SCG ({names}), and the consortium spans SCGs",
    ]


def panel_check(session: Session, dispute_id: uuid.UUID) -> list[str]:
    """What is wrong with a panel as constituted (empty when it is in order, or unread)."""
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    members = [m for m in dispute.panel if m.deleted_at is None]
    parties = {p.organisation_id for p in dispute.parties if p.deleted_at is None}
    problems = []
    if not members:
        problems.append("The panel has no members yet")
    for member in members:
        if member.organisation_id in parties:
            problems.append(f"{member.name} comes from a party to the dispute")
    if dispute.spans_scgs and members:
        problems += neighbour_problems(session, dispute, members)
    return problems


def declare_interest(
    session: Session, member_id: uuid.UUID, interests: str, declared_on: date
) -> None:
    require_write(session, Area.DISPUTES)
    member = session.get(PanelMember, member_id)
    if member is None:
        raise NotFound(f"There is no panel member {member_id}.")
    _handled_dispute(session, member.dispute_id)
    member.interests = interests
    member.declared_on = declared_on
    session.flush()


def set_hearing(session: Session, dispute_id: uuid.UUID, hearing_on: date) -> None:
    _handled_dispute(session, dispute_id).hearing_on = hearing_on
    session.flush()


def record_submission(
    session: Session, dispute_id: uuid.UUID, side: str, submission: str, submitted_on: date
) -> None:
    dispute = _handled_dispute(session, dispute_id)
    parties = [p for p in dispute.parties if p.side == side and p.deleted_at is None]
    if not parties:
        raise InputRejected(f"{dispute.reference} has no party on the side '{side}'.")
    for party in parties:
        party.submission = submission
        party.submitted_on = submitted_on
    session.flush()


# ---------------------------------------------------------------------------------------------
# Decisions and actions


@dataclass(frozen=True)
class DecisionRow:
    id: uuid.UUID
    sequence: int
    question: str
    upheld: str
    decision: str
    amount: Decimal | None
    decided_on: date | None


def record_decision(
    session: Session,
    dispute_id: uuid.UUID,
    question: str,
    upheld: str,
    decided_on: date,
    decision: str = "",
    amount: Decimal | None = None,
) -> uuid.UUID:
    """The panel's decision on one issue: one side's final position wholly (a pendulum award,
    the amount being that side's final offer unless given) or another settlement."""
    dispute = _handled_dispute(session, dispute_id)
    sides = {p.side: p for p in dispute.parties if p.deleted_at is None}
    if not question.strip():
        raise InputRejected("Say which issue in dispute the decision is on.")
    if upheld != Upheld.OTHER and upheld not in sides:
        raise InputRejected(
            f"'{upheld}' is not a side of {dispute.reference}: choose "
            f"{', '.join(sorted(sides))} or '{Upheld.OTHER}' for another settlement."
        )
    if upheld == Upheld.OTHER and not decision.strip():
        raise InputRejected("Describe the settlement when neither side's position is upheld.")
    if upheld in sides and amount is None:
        amount = sides[upheld].final_offer
    sequence = max((i.sequence for i in dispute.issues), default=0) + 1
    issue = DisputeIssue(
        id=uuid.uuid4(),
        dispute=dispute,
        sequence=sequence,
        question=question,
        upheld=upheld,
        decision=decision,
        amount=amount,
        decided_on=decided_on,
    )
    session.add(issue)
    if not dispute.binding_statement:
        dispute.binding_statement = BINDING_STATEMENT
    session.flush()
    return issue.id


def decisions_of(session: Session, dispute_id: uuid.UUID) -> list[DecisionRow]:
    """The panel's decisions issue by issue; in a summary, the outcome says enough."""
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    return [
        DecisionRow(i.id, i.sequence, i.question, i.upheld, i.decision, i.amount, i.decided_on)
        for i in dispute.issues
        if i.deleted_at is None
    ]


@dataclass(frozen=True)
class ActionRow:
    id: uuid.UUID
    description: str
    owner: str
    due_on: date | None
    done_on: date | None
    overdue: bool


def add_action(
    session: Session,
    dispute_id: uuid.UUID,
    description: str,
    owner: str,
    due_on: date | None,
    issue_id: uuid.UUID | None = None,
) -> uuid.UUID:
    dispute = _handled_dispute(session, dispute_id)
    if not description.strip() or not owner.strip():
        raise InputRejected("An action needs a description and an owner.")
    action = DisputeAction(
        id=uuid.uuid4(),
        dispute=dispute,
        issue_id=issue_id,
        description=description,
        owner=owner,
        due_on=due_on,
    )
    session.add(action)
    session.flush()
    return action.id


def complete_action(session: Session, action_id: uuid.UUID, done_on: date) -> None:
    require_write(session, Area.DISPUTES)
    action = session.get(DisputeAction, action_id)
    if action is None:
        raise NotFound(f"There is no action {action_id}.")
    _handled_dispute(session, action.dispute_id)
    action.done_on = done_on
    session.flush()


def actions_of(session: Session, dispute_id: uuid.UUID, as_of: date) -> list[ActionRow]:
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    return [
        ActionRow(
            a.id,
            a.description,
            a.owner,
            a.due_on,
            a.done_on,
            a.done_on is None and a.due_on is not None and a.due_on < as_of,
        )
        for a in dispute.actions
        if a.deleted_at is None
    ]


# ---------------------------------------------------------------------------------------------
# Editing, learning and closing


@dataclass
class DisputeDetail:
    id: uuid.UUID
    reference: str
    kind: str
    title: str
    value: Decimal | None
    raised_on: date
    raised_by: str
    service_codes: str
    issue: str
    status: str
    stage: str
    confidential: bool
    spans_scgs: bool
    hearing_on: date | None
    binding_statement: str
    outcome: str
    learning: str
    closed_on: date | None
    parties: list[tuple[str, str, str, Decimal | None, str]]
    version: int
    contract: str = ""
    summary_only: bool = False  # confidential, and the reader is not one of its handlers
    assigned: list[str] = field(default_factory=list)


def get_dispute(session: Session, dispute_id: uuid.UUID, purpose: str = "opened") -> DisputeDetail:
    """The dispute's record: in full for those who may read it, else its summary.

    Opening a confidential dispute, in full or in summary, is noted in the access log.
    """
    dispute = _dispute(session, dispute_id)
    full = may_read_in_full(session, dispute)
    if dispute.confidential:
        _record_access(
            session, dispute.id, "open", purpose if full else f"{purpose} (summary only)"
        )
    names = stage_names(session)
    parties = []
    for p in dispute.parties:
        if p.deleted_at is None:
            organisation = session.get(Organisation, p.organisation_id)
            parties.append(
                (
                    organisation.name if organisation else "",
                    p.side,
                    p.position if full else "",
                    p.final_offer if full else None,
                    p.submission if full else "",
                )
            )
    if not full:
        return _summary(session, dispute, names, parties)
    return DisputeDetail(
        id=dispute.id,
        reference=dispute.reference,
        kind=dispute.kind,
        title=dispute.title,
        value=dispute.value,
        raised_on=dispute.raised_on,
        raised_by=dispute.raised_by,
        service_codes=dispute.service_codes,
        issue=dispute.issue,
        status=dispute.status,
        stage=names.get(dispute.stage, dispute.stage),
        confidential=dispute.confidential,
        spans_scgs=dispute.spans_scgs,
        hearing_on=dispute.hearing_on,
        binding_statement=dispute.binding_statement,
        outcome=dispute.outcome,
        learning=dispute.learning,
        closed_on=dispute.closed_on,
        parties=parties,
        version=dispute.version,
        contract=_contract_reference(session, dispute),
        assigned=assignees_of(session, dispute.id),
    )


def _summary(
    session: Session,
    dispute: Dispute,
    names: dict[str, str],
    parties: list[tuple[str, str, str, Decimal | None, str]],
) -> DisputeDetail:
    """What the meeting papers say of a confidential dispute: reference, parties, stage and
    dates, and once it is closed its outcome and learning."""
    closed = dispute.status == DisputeStatus.CLOSED
    return DisputeDetail(
        id=dispute.id,
        reference=dispute.reference,
        kind=dispute.kind,
        title=CONFIDENTIAL_TITLE,
        value=None,
        raised_on=dispute.raised_on,
        raised_by="",
        service_codes="",
        issue=WITHHELD,
        status=dispute.status,
        stage=names.get(dispute.stage, dispute.stage),
        confidential=True,
        spans_scgs=dispute.spans_scgs,
        hearing_on=dispute.hearing_on,
        binding_statement="",
        outcome=dispute.outcome if closed else "",
        learning=dispute.learning if closed else "",
        closed_on=dispute.closed_on,
        parties=parties,
        version=dispute.version,
        summary_only=True,
    )


# ---------------------------------------------------------------------------------------------
# The commissioners assigned


def assignees_of(session: Session, dispute_id: uuid.UUID) -> list[str]:
    """The names of the commissioners assigned to a dispute (none shown in a summary)."""
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    return sorted(
        session.scalars(
            select(DisputeAssignee.user_name).where(
                DisputeAssignee.dispute_id == dispute_id, DisputeAssignee.deleted_at.is_(None)
            )
        )
    )


def assign_commissioner(session: Session, dispute_id: uuid.UUID, user_name: str) -> uuid.UUID:
    """Assign a commissioner (a user profile with that role) to handle a dispute."""
    from app.models.people import Role, UserProfile

    dispute = _handled_dispute(session, dispute_id)
    profile = session.scalars(
        select(UserProfile).where(
            func.lower(UserProfile.name) == user_name.strip().lower(),
            UserProfile.deleted_at.is_(None),
        )
    ).first()
    if profile is None:
        raise InputRejected(
            [Problem(RECORD, None, "assigned", f"There is no user called '{user_name}'.")]
        )
    if profile.role != Role.COMMISSIONER:
        raise InputRejected(
            [
                Problem(
                    RECORD,
                    None,
                    "assigned",
                    f"'{profile.name}' is a {Role.TITLES.get(profile.role, profile.role)}: "
                    "only commissioners are assigned to handle a dispute.",
                )
            ]
        )
    if profile.name in assignees_of(session, dispute.id):
        raise InputRejected(f"'{profile.name}' is already assigned to {dispute.reference}.")
    assignee = DisputeAssignee(id=uuid.uuid4(), dispute=dispute, user_name=profile.name)
    session.add(assignee)
    session.flush()
    return assignee.id


def unassign_commissioner(session: Session, dispute_id: uuid.UUID, user_name: str) -> None:
    dispute = _handled_dispute(session, dispute_id)
    found = [
        a
        for a in dispute.assignees
        if a.deleted_at is None and a.user_name.lower() == user_name.strip().lower()
    ]
    if not found:
        raise NotFound(f"'{user_name}' is not assigned to {dispute.reference}.")
    for assignee in found:
        assignee.deleted_at = utc_now()
    session.flush()


def _contract_reference(session: Session, dispute: Dispute) -> str:
    if dispute.contract_id is None:
        return ""
    contract = session.get(Contract, dispute.contract_id)
    return contract.reference if contract is not None else ""


EDITABLE = ("title", "issue", "outcome", "learning", "service_codes", "raised_by")


def edit_dispute(
    session: Session,
    dispute_id: uuid.UUID,
    changes: dict[str, str],
    confirmations: list[Confirmation] | None = None,
) -> None:
    """Change the dispute's own text (title, issue, outcome, learning...)."""
    user = require_write(session, Area.DISPUTES)
    dispute = _handled_dispute(session, dispute_id)
    confirm_not_nhs_numbers(session, RECORD, dispute.id, confirmations or [], user)
    for name, value in changes.items():
        if name not in EDITABLE:
            raise InputRejected(f"'{name}' cannot be changed here.")
        setattr(dispute, name, value)
    session.flush()


def close_dispute(
    session: Session, dispute_id: uuid.UUID, closed_on: date, outcome: str = ""
) -> None:
    """Close a dispute, which is refused until its learning is written up (Appendix 14)."""
    dispute = _handled_dispute(session, dispute_id)
    if dispute.status == DisputeStatus.CLOSED:
        raise InputRejected(f"{dispute.reference} is already closed.")
    if not dispute.learning.strip():
        raise InputRejected(
            [
                Problem(
                    RECORD,
                    None,
                    "learning",
                    f"{dispute.reference} cannot be closed until its learning is written up: "
                    "each dispute is written up to capture the learning (Appendix 14, "
                    "measure 10).",
                )
            ]
        )
    if outcome:
        dispute.outcome = outcome
    stage = current_stage(dispute)
    if stage is not None and stage.ended_on is None:
        stage.ended_on = closed_on
    dispute.status = DisputeStatus.CLOSED
    dispute.closed_on = closed_on
    session.flush()


# ---------------------------------------------------------------------------------------------
# Undo: a dispute and all that belongs to it, as stored, put back as it was

_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "created_by", "updated_by", "version"})
_PARTS: tuple[type[Any], ...] = (
    Dispute,
    DisputeParty,
    DisputeStage,
    FacilitatedMeetingMember,
    PanelMember,
    DisputeIssue,
    DisputeAction,
    DisputeAssignee,
    LogDocument,
)


@dataclass(frozen=True)
class DisputeSnapshot:
    """A dispute and every row that belongs to it (parties, stages, meeting, panel, decisions,
    actions, documents), as plain values: what an undo or a redo puts back."""

    dispute_id: uuid.UUID
    rows: dict[tuple[str, uuid.UUID], dict[str, Any]]


def _values(row: Any) -> dict[str, Any]:
    return {
        attribute.key: getattr(row, attribute.key)
        for attribute in inspect(type(row)).column_attrs
        if attribute.key not in _BOOKKEEPING and attribute.key != "content"
    }


def _parts(session: Session, dispute_id: uuid.UUID) -> list[Any]:
    """The dispute's own rows, deleted ones included (an undo may bring them back)."""
    rows: list[Any] = []
    for part in _PARTS:
        query: Select[Any]
        if part is Dispute:
            query = select(Dispute).where(Dispute.id == dispute_id)
        elif part is LogDocument:
            stages = select(DisputeStage.id).where(DisputeStage.dispute_id == dispute_id)
            query = select(LogDocument).where(
                or_(LogDocument.owner_id == dispute_id, LogDocument.owner_id.in_(stages))
            )
        else:
            query = select(part).where(part.dispute_id == dispute_id)
        rows += session.scalars(query)
    return rows


def dispute_snapshot(session: Session, dispute_id: uuid.UUID) -> DisputeSnapshot:
    """The dispute as stored now (after the pending changes of the session)."""
    session.flush()
    require_full_read(session, _dispute(session, dispute_id))
    return DisputeSnapshot(
        dispute_id,
        {(type(row).__tablename__, row.id): _values(row) for row in _parts(session, dispute_id)},
    )


def restore_dispute(session: Session, snapshot: DisputeSnapshot) -> None:
    """Put a dispute back as the snapshot has it: its values, and its parts, those made since
    deleted (softly, so the deletion travels to other copies) and those deleted since restored."""
    require_write(session, Area.DISPUTES)
    dispute = session.get(Dispute, snapshot.dispute_id)  # deleted, when the undo of a raise
    if dispute is None:
        raise NotFound(f"There is no dispute {snapshot.dispute_id}.")
    require_full_read(session, dispute)
    for row in _parts(session, snapshot.dispute_id):
        wanted = snapshot.rows.get((type(row).__tablename__, row.id))
        if wanted is None:
            if row.deleted_at is None:
                row.deleted_at = utc_now()
            continue
        for name, value in wanted.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
    session.flush()


def delete_dispute(session: Session, dispute_id: uuid.UUID) -> None:
    """Delete a dispute softly (the undo of raising it)."""
    _handled_dispute(session, dispute_id).deleted_at = utc_now()
    session.flush()


# ---------------------------------------------------------------------------------------------
# Appendix 14 measure 10 and exports


@dataclass(frozen=True)
class ArbitrationFigures:
    """Measure 10 for one financial year: disputes needing arbitration, results, learning."""

    id: str
    year: str
    disputes_raised: int
    needing_arbitration: int
    decided: int
    upheld_for_commissioners: int
    upheld_for_providers: int
    other_settlements: int
    awaiting_decision: int
    learning_written: int
    learning: list[str]


def measure_10(session: Session) -> list[ArbitrationFigures]:
    """The counts, and the learning of each arbitrated dispute (of a confidential one still
    open, only for those who may read it in full)."""
    person = reader(session)
    by_year: dict[FinancialYear, list[Dispute]] = {}
    for dispute in session.scalars(select(Dispute).where(Dispute.deleted_at.is_(None))):
        by_year.setdefault(FinancialYear.containing(dispute.raised_on), []).append(dispute)
    figures = []
    for year in sorted(by_year):
        disputes = by_year[year]
        arbitrated = [
            d
            for d in disputes
            if any(s.stage == ARBITRATION_PANEL and s.deleted_at is None for s in d.stages)
        ]
        decided = {d.id for d in arbitrated if any(i.deleted_at is None for i in d.issues)}
        issues = [i for d in arbitrated for i in d.issues if i.deleted_at is None]
        figures.append(
            ArbitrationFigures(
                id=str(year),
                year=str(year),
                disputes_raised=len(disputes),
                needing_arbitration=len(arbitrated),
                decided=len(decided),
                upheld_for_commissioners=sum(
                    1 for i in issues if i.upheld in ("commissioner", "raising")
                ),
                upheld_for_providers=sum(
                    1 for i in issues if i.upheld in ("provider", "responding")
                ),
                other_settlements=sum(1 for i in issues if i.upheld == Upheld.OTHER),
                awaiting_decision=len(arbitrated) - len(decided),
                learning_written=sum(1 for d in arbitrated if d.learning.strip()),
                learning=[
                    f"{d.reference}: {d.learning}"
                    for d in arbitrated
                    if d.learning.strip()
                    and (d.status == DisputeStatus.CLOSED or may_read_in_full(session, d, person))
                ],
            )
        )
    return figures


EXPORT_HEADERS = [
    "Reference",
    "Kind",
    "Title",
    "Parties",
    "Services",
    "Value (£)",
    "Raised",
    "Stage",
    "Stage target",
    "Overdue",
    "Status",
]


def disputes_table(session: Session, as_of: date, open_only: bool = False) -> Table:
    rows = list_disputes(session, as_of, open_only)
    return Table(
        "Disputes",
        EXPORT_HEADERS,
        [
            [
                r.reference,
                r.kind,
                r.title,
                r.parties,
                r.services,
                r.value,
                r.raised_on,
                r.stage,
                r.stage_target,
                r.overdue,
                r.status,
            ]
            for r in rows
        ],
        subtitle=f"As of {format_date(as_of)}",
        marking=MARKING,
    )


def export_disputes(
    session: Session, path: str | Path, as_of: date, open_only: bool = False
) -> int:
    """Write the dispute log to xlsx, CSV or PDF, marked OFFICIAL-SENSITIVE: COMMERCIAL."""
    table = disputes_table(session, as_of, open_only)
    for row in list_disputes(session, as_of, open_only):
        if row.confidential:
            _record_access(session, row.id, "export", str(path))
    export_table(table, path, as_of)
    return len(table.rows)


def record_table_taken(
    session: Session, dispute_ids: Iterable[uuid.UUID], action: str, title: str, where: str
) -> int:
    """A table listing disputes (or parts of one) copied, exported or printed, from any
    screen: one access entry per confidential dispute listed. Returns how many."""
    from app.services.audit import AccessAction

    if action not in (AccessAction.EXPORT, AccessAction.PRINT, AccessAction.COPY):
        raise ValueError(f"unknown way of taking a table: {action!r}")
    wanted = set(dispute_ids)
    if not wanted:
        return 0
    person = reader(session)
    destination = "the clipboard" if where == "clipboard" else where
    recorded = 0
    for dispute in session.scalars(
        select(Dispute).where(Dispute.id.in_(wanted), Dispute.confidential.is_(True))
    ):
        full = may_read_in_full(session, dispute, person)
        detail = f"{action} table '{title}' to {destination}"
        _record_access(session, dispute.id, action, detail if full else f"{detail} (summary only)")
        recorded += 1
    return recorded


def dispute_record_table(
    session: Session, dispute_id: uuid.UUID, as_of: date, detail: DisputeDetail | None = None
) -> Table:
    """One dispute as a printable record: its fields, stages, panel and decisions (its
    summary, to someone who may not read it in full). `detail`, if the caller has opened
    the dispute already."""
    detail = detail or get_dispute(session, dispute_id, "printed")
    rows: list[list[object]] = [
        ["Reference", detail.reference],
        ["Kind", DisputeKind.TITLES.get(detail.kind, detail.kind)],
        ["Title", detail.title],
        ["Value", WITHHELD if detail.value is None else format_money(detail.value, pence=True)],
        ["Raised", detail.raised_on],
        ["Raised by", detail.raised_by],
        ["Contract", detail.contract],
        ["Services", detail.service_codes],
        ["Issue", detail.issue],
        ["Status", detail.status],
        ["Stage", detail.stage],
    ]
    if detail.assigned:
        rows.append(["Assigned", ", ".join(detail.assigned)])
    if detail.summary_only:
        rows.insert(0, ["Access", f"Summary only: {WITHHELD}"])
    for name, side, position, offer, submission in detail.parties:
        rows.append([f"Party ({side})", f"{name}: {position}" if position else name])
        if offer is not None:
            rows.append([f"Final offer ({side})", format_money(offer, pence=True)])
        if submission:
            rows.append([f"Submission ({side})", submission])
    for stage in stages_of(session, dispute_id, as_of):
        result = {True: "agreed", False: "not agreed", None: "in progress"}[stage.agreed]
        rows.append(
            [f"Stage {stage.sequence}: {stage.stage}", f"{stage.who}; {result}. {stage.notes}"]
        )
    for member in panel_of(session, dispute_id):
        rows.append(
            [
                "Panel member",
                f"{member.name}, {member.role}, {member.organisation} ({member.level})",
            ]
        )
    if detail.hearing_on:
        rows.append(["Hearing", detail.hearing_on])
    for decision in decisions_of(session, dispute_id):
        rows.append(
            [
                f"Decision {decision.sequence}",
                f"{decision.question} Upheld: {decision.upheld}"
                + (f", {format_money(decision.amount, pence=True)}" if decision.amount else "")
                + f". {decision.decision}",
            ]
        )
    rows += [
        ["Binding", detail.binding_statement],
        ["Outcome", detail.outcome],
        ["Learning", detail.learning],
    ]
    return Table(f"Dispute {detail.reference}", ["Field", "Value"], rows, marking=MARKING)


def export_dispute(session: Session, dispute_id: uuid.UUID, path: str | Path, as_of: date) -> None:
    """Write one dispute's record (xlsx, CSV or PDF), marked OFFICIAL-SENSITIVE: COMMERCIAL."""
    table = dispute_record_table(session, dispute_id, as_of)
    _record_access(session, dispute_id, "export", str(path))
    export_table(table, path, as_of)


@dataclass(frozen=True)
class MeetingMemberRow:
    id: uuid.UUID
    name: str
    capacity: str
    organisation: str


def meeting_of(session: Session, dispute_id: uuid.UUID) -> list[MeetingMemberRow]:
    dispute = _dispute(session, dispute_id)
    if _summary_only(session, dispute):
        return []
    return [
        MeetingMemberRow(
            m.id, m.name, MeetingCapacity.TITLES.get(m.capacity, m.capacity), m.organisation
        )
        for m in dispute.meeting_members
        if m.deleted_at is None
    ]


def organisation_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every organisation, for choosing panel members' organisations."""
    return [
        (code, name)
        for code, name in session.execute(
            select(Organisation.code, Organisation.name)
            .where(Organisation.deleted_at.is_(None))
            .order_by(Organisation.name)
        )
    ]


def next_stage_name(session: Session, dispute_id: uuid.UUID) -> str | None:
    """The name of the stage an open dispute would escalate to, if its process has one."""
    dispute = _dispute(session, dispute_id)
    if dispute.status != DisputeStatus.OPEN:
        return None
    following = next_stage(session, dispute)
    return following.name if following else None
