"""What needs attention: each kind found from the data, and nothing else."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from app.models import Designation
from app.services import attention, meetings
from app.services.attention import Kind
from app.store.database import Database

AS_OF = date(2026, 11, 24)


def test_demo_gives_items_of_most_kinds_in_order(demo_database: Database) -> None:
    with demo_database.reader() as session:
        items = attention.needing_attention(session, AS_OF)
    kinds = [item.kind for item in items]
    assert kinds == sorted(kinds, key=Kind.ORDER.index)
    for kind in (Kind.ACTIONS, Kind.CONTRACTS, Kind.OVER_PERFORMANCE, Kind.DESIGNATIONS,
                 Kind.REVIEWS, Kind.DISPUTES, Kind.MEETINGS):  # fmt: skip
        assert kind in kinds, kind


def test_actions_due_this_week_or_overdue_but_not_later_or_done(demo_database: Database) -> None:
    with demo_database.session() as session:
        meeting = meetings.list_meetings(session)[-1].id
        due = [AS_OF - timedelta(days=1), AS_OF + timedelta(days=7), AS_OF + timedelta(days=8)]
        ids = [
            meetings.add_action(session, meeting, f"Task {n}", "Me", d) for n, d in enumerate(due)
        ]
        done = meetings.add_action(session, meeting, "Done task", "Me", AS_OF)
        meetings.set_action_status(session, done, "done", AS_OF)
    with demo_database.reader() as session:
        found = {i.id: i for i in attention.actions_due(session, AS_OF)}
    assert ids[0] in found and found[ids[0]].overdue
    assert ids[1] in found and not found[ids[1]].overdue
    assert ids[2] not in found and done not in found


def test_designation_ending_within_twelve_months(demo_database: Database) -> None:
    with demo_database.reader() as session:
        found = attention.designations_ending(session, AS_OF)
        ends = [d.ends_on for d in session.scalars(select(Designation))]
    assert found
    assert all(AS_OF <= item.due_on <= AS_OF + timedelta(days=365) for item in found)
    assert len(found) == sum(1 for e in ends if AS_OF <= e <= AS_OF + timedelta(days=365))


def test_meeting_without_papers_in_the_next_30_days(demo_database: Database) -> None:
    with demo_database.session() as session:
        body = meetings.body_choices(session)[0][0]
        soon = meetings.create_meeting(session, body, AS_OF + timedelta(days=20), time(10, 0))
        meetings.add_agenda_item(session, soon, "Budget", purpose="decision")
        later = meetings.create_meeting(session, body, AS_OF + timedelta(days=40), time(10, 0))
        meetings.add_agenda_item(session, later, "Budget", purpose="decision")
    with demo_database.reader() as session:
        ids = {item.id for item in attention.meetings_without_papers(session, AS_OF)}
    assert soon in ids and later not in ids


def test_over_performance_without_an_investigation_is_listed_until_one_is_opened(
    demo_database: Database,
) -> None:
    from app.models import FinancialYear
    from app.services.monitoring import flag_overperformance

    with demo_database.reader() as session:
        items = attention.over_performance_uninvestigated(session, AS_OF)
    # The demo's DSCG-2026-RX7 runs over plan on line 35 (and RX2 on line 19).
    titles = [item.title for item in items]
    assert any(t.startswith("DSCG-2026-RX7: 35 ") for t in titles), titles
    assert all(item.kind == attention.Kind.OVER_PERFORMANCE for item in items)
    assert all(item.area == "contracts" and item.record_type == "contract" for item in items)
    assert all("no investigation opened" in item.detail for item in items)
    flag_overperformance(demo_database, FinancialYear(2026), AS_OF)
    with demo_database.reader() as session:
        assert attention.over_performance_uninvestigated(session, AS_OF) == []
