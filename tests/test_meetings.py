"""Meetings: binding votes by each rule at their boundaries, numbering, quorum, actions."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import InputRejected
from app.models import Action, Body, Meeting, Numbering, Seat, VotingRule
from app.services import meetings
from app.services.meetings import vote_outcome
from app.store.database import Database

# --- binding votes ------------------------------------------------------------------------


def test_weighted_vote_carries_at_exactly_75_percent_of_eligible_votes() -> None:
    outcome = vote_outcome(
        VotingRule.WEIGHTED_SHARE, Decimal("0.75"), Decimal("0.6"), Decimal("0.8")
    )
    assert outcome.carried
    assert outcome.needed == Decimal("0.6")
    assert "75.0% of eligible votes" in outcome.arithmetic


def test_weighted_vote_just_below_75_percent_lapses() -> None:
    outcome = vote_outcome(
        VotingRule.WEIGHTED_SHARE, Decimal("0.75"), Decimal("0.599999"), Decimal("0.8")
    )
    assert not outcome.carried
    assert "lapses" in outcome.arithmetic


@pytest.mark.parametrize(
    ("members", "in_favour", "carried", "needed"),
    [
        (16, 12, True, 12),
        (16, 11, False, 12),
        (15, 11, True, 11),
        (10, 7, True, 7),
        (10, 6, False, 7),
    ],
)
def test_proportion_rule_rounds_up_to_a_whole_member(
    members: int, in_favour: int, carried: bool, needed: int
) -> None:
    outcome = vote_outcome(
        VotingRule.PROPORTION, Decimal("0.70"), Decimal(in_favour), Decimal(members)
    )
    assert outcome.carried is carried
    assert outcome.needed == needed
    assert f"{needed} are needed" in outcome.arithmetic


@pytest.mark.parametrize(("in_favour", "carried"), [(6, True), (8, True), (5, False)])
def test_count_rule_six_of_eight(in_favour: int, carried: bool) -> None:
    outcome = vote_outcome(VotingRule.COUNT, Decimal(6), Decimal(in_favour), Decimal(8), rule_of=8)
    assert outcome.carried is carried
    assert "6 of 8 needed" in outcome.arithmetic


def test_more_votes_in_favour_than_eligible_are_refused() -> None:
    with pytest.raises(InputRejected):
        vote_outcome(VotingRule.COUNT, Decimal(6), Decimal(9), Decimal(8))


# --- a meeting of our own -----------------------------------------------------------------


def _body(database: Database, **options: object) -> Body:
    with database.session() as session:
        body = Body(name="Test SCG", short_name="TST", quorum=3, notice_days=30, **options)
        session.add(body)
        for number in range(4):
            session.add(
                Seat(
                    body=body,
                    position=number,
                    member_name=f"Member {number}",
                    deputy_name=f"Deputy {number}",
                    weight=Decimal("0.25"),
                )
            )
        session.flush()
        session.expunge(body)
        return body


def _meeting(database: Database, body: Body, held_on: date) -> str:
    with database.session() as session:
        return str(meetings.create_meeting(session, body.id, held_on, time(10, 0), "Room 1"))


def test_items_number_on_through_the_calendar_year_and_restart(database: Database) -> None:
    body = _body(database)
    first = _meeting(database, body, date(2026, 3, 5))
    second = _meeting(database, body, date(2026, 11, 5))
    third = _meeting(database, body, date(2027, 1, 14))
    with database.session() as session:
        refs = [meetings.add_agenda_item(session, first, f"Item {n}").reference for n in range(2)]
        refs.append(meetings.add_agenda_item(session, second, "Later").reference)
        refs.append(meetings.add_agenda_item(session, third, "New year").reference)
    assert refs == ["TST 26/01", "TST 26/02", "TST 26/03", "TST 27/01"]


def test_financial_year_numbering_runs_april_to_march(database: Database) -> None:
    body = _body(database, numbering=Numbering.FINANCIAL)
    march = _meeting(database, body, date(2026, 3, 5))
    april = _meeting(database, body, date(2026, 4, 9))
    feb = _meeting(database, body, date(2027, 2, 11))
    with database.session() as session:
        refs = [meetings.add_agenda_item(session, m, "Item").reference for m in (march, april, feb)]
    assert refs == ["TST 25/01", "TST 26/01", "TST 26/02"]


def test_agenda_shows_start_times_and_reordering_keeps_the_numbers_in_order(
    database: Database,
) -> None:
    body = _body(database)
    meeting = _meeting(database, body, date(2026, 5, 7))
    with database.session() as session:
        a = meetings.add_agenda_item(session, meeting, "Welcome", minutes_allotted=5)
        b = meetings.add_agenda_item(session, meeting, "Finance", minutes_allotted=30)
        meetings.add_agenda_item(session, meeting, "AOB", minutes_allotted=10)
    with database.session() as session:
        detail = meetings.meeting_detail(session, meeting)
    assert [i.starts_at for i in detail.agenda] == ["10:00", "10:05", "10:35"]
    assert detail.ends_at == time(10, 45)
    with database.session() as session:
        meetings.move_agenda_item(session, b.id, -1)
    with database.session() as session:
        detail = meetings.meeting_detail(session, meeting)
    assert [i.title for i in detail.agenda] == ["Finance", "Welcome", "AOB"]
    assert [i.reference for i in detail.agenda] == ["TST 26/01", "TST 26/02", "TST 26/03"]
    assert [i.starts_at for i in detail.agenda] == ["10:00", "10:30", "10:35"]
    assert a.id == detail.agenda[1].id


def test_quorum_counts_members_and_deputies_present(database: Database) -> None:
    body = _body(database)
    meeting = _meeting(database, body, date(2026, 5, 7))
    with database.session() as session:
        seats = session.scalars(select(Seat).where(Seat.body_id == body.id)).all()
        meetings.record_attendance(session, meeting, seats[0].id, "present")
        meetings.record_attendance(session, meeting, seats[1].id, "present", as_deputy=True)
        meetings.record_attendance(session, meeting, seats[2].id, "apologies")
    with database.session() as session:
        detail = meetings.meeting_detail(session, meeting)
    assert detail.quorum.present == 2 and not detail.quorum.quorate
    assert any(a.name == "Deputy 1" and a.as_deputy for a in detail.attendance)
    with database.session() as session:
        meetings.record_attendance(session, meeting, seats[2].id, "present")
    with database.session() as session:
        assert meetings.meeting_detail(session, meeting).quorum.quorate


def test_declarations_form_a_register_per_member_across_meetings(database: Database) -> None:
    body = _body(database)
    first = _meeting(database, body, date(2026, 5, 7))
    second = _meeting(database, body, date(2026, 7, 9))
    with database.session() as session:
        meetings.add_declaration(session, first, "Member 1", "Trustee of a provider charity")
        meetings.add_declaration(session, second, "Member 1", "Spouse works at a provider")
        meetings.add_declaration(session, second, "Member 2", "Shares in a supplier")
    with database.session() as session:
        register = meetings.declaration_register(session)
    assert [d.held_on for d in register["Member 1"]] == [date(2026, 5, 7), date(2026, 7, 9)]
    assert len(register["Member 2"]) == 1


def test_binding_decision_records_whether_it_carried_with_the_arithmetic(
    database: Database,
) -> None:
    body = _body(database, voting_rule=VotingRule.COUNT, threshold=Decimal(6), rule_of=8)
    meeting = _meeting(database, body, date(2026, 5, 7))
    with database.session() as session:
        row = meetings.record_decision(
            session, meeting, "Drugs", "Fund it", binding=True,
            votes_for=Decimal(5), votes_eligible=Decimal(8),
        )  # fmt: skip
    assert row.carried is False
    assert row.arithmetic == "5 of 8 members in favour; 6 of 8 needed: not carried"


@pytest.mark.parametrize(("days", "warned"), [(29, True), (30, False), (None, True)])
def test_financial_commitment_with_less_than_30_days_notice_is_warned(
    database: Database, days: int | None, warned: bool
) -> None:
    body = _body(database)
    held_on = date(2026, 5, 7)
    meeting = _meeting(database, body, held_on)
    notice = held_on - timedelta(days=days) if days is not None else None
    with database.session() as session:
        row = meetings.record_decision(
            session, meeting, "Investment", "Invest", binding=True, financial_commitment=True,
            votes_for=Decimal("0.8"), votes_eligible=Decimal(1), notice_given_on=notice,
        )  # fmt: skip
    assert bool(row.warning) is warned
    if days == 29:
        assert "29 days' notice" in row.warning


def test_actions_are_carried_forward_until_done(database: Database) -> None:
    body = _body(database)
    first = _meeting(database, body, date(2026, 3, 5))
    second = _meeting(database, body, date(2026, 5, 7))
    third = _meeting(database, body, date(2026, 7, 9))
    with database.session() as session:
        action = meetings.add_action(session, first, "Write to the trust", "Lead", date(2026, 4, 1))
    with database.session() as session:
        log = meetings.meeting_detail(session, second).actions
    assert [(a.text, a.carried_forward, a.overdue) for a in log] == [
        ("Write to the trust", True, True)
    ]
    with database.session() as session:
        meetings.set_action_status(session, action, "done", date(2026, 6, 1))
    with database.session() as session:
        assert meetings.meeting_detail(session, second).actions  # still open at that meeting
        assert meetings.meeting_detail(session, third).actions == []


def test_demo_meetings_have_members_attendance_and_papers(demo_database: Database) -> None:
    with demo_database.session() as session:
        rows = meetings.list_meetings(session)
        held = next(r for r in rows if r.status == "held" and r.body_short_name == "SCG")
        detail = meetings.meeting_detail(session, held.id)
        assert detail.quorum.quorate
        assert any(item.paper_report == "monitoring" for item in detail.agenda)
        assert detail.decisions and detail.actions
        assert session.scalars(select(Action)).first() is not None
        assert session.scalars(select(Meeting)).first() is not None


def test_meeting_found_by_date_or_id(demo_database: Database) -> None:
    with demo_database.session() as session:
        row = meetings.list_meetings(session)[0]
        assert meetings.find_meeting(session, row.held_on.isoformat()).id == row.id
        assert meetings.find_meeting(session, str(row.id)).id == row.id
        with pytest.raises(InputRejected):
            meetings.find_meeting(session, "not-a-meeting")


def test_the_rules_of_the_sources_decide_as_the_sources_say() -> None:
    presets = {p.key: p for p in meetings.rule_presets()}
    northern = presets["northern_scg"]
    assert vote_outcome(
        northern.voting_rule, northern.threshold, Decimal("0.75"), Decimal(1)
    ).carried
    assert not vote_outcome(
        northern.voting_rule, northern.threshold, Decimal("0.749999"), Decimal(1)
    ).carried
    thames = presets["thames_valley_lscg"]
    assert vote_outcome(thames.voting_rule, thames.threshold, Decimal(12), Decimal(16)).carried
    assert not vote_outcome(thames.voting_rule, thames.threshold, Decimal(11), Decimal(16)).carried
    nwl = presets["north_west_london_lscg"]
    assert nwl.rule_of == 8 and nwl.notice_days == 30
    assert vote_outcome(nwl.voting_rule, nwl.threshold, Decimal(6), Decimal(8), 8).carried
    assert not vote_outcome(nwl.voting_rule, nwl.threshold, Decimal(5), Decimal(8), 8).carried
