"""The demo's members, attendance, declarations, papers and self-assessment for the meetings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.models import (
    Attendance,
    AttendanceRecord,
    BenchmarkEntry,
    Body,
    Decision,
    Declaration,
    FinancialYear,
    FitnessScore,
    Meeting,
    Seat,
)
from app.services.reference_data import read_json

# Invented names for the members' representatives and their deputies.
FIRST_NAMES = (
    "Alison", "Bernard", "Catriona", "Desmond", "Eleanor", "Fergus", "Gillian", "Hamish",
    "Imogen", "Julian", "Katherine", "Lionel", "Marian", "Nigel", "Olwen", "Patrick",
    "Rosalind", "Stuart", "Theresa", "Vernon",
)  # fmt: skip
SURNAMES = (
    "Ashby", "Brereton", "Colley", "Dunmore", "Ellery", "Fairclough", "Gedling", "Hartigan",
    "Ingleby", "Jessop", "Kettlewell", "Lansdowne", "Mallory", "Netherwood", "Orchard",
    "Pennington", "Quarrie", "Rushworth", "Stanhope", "Tillotson",
)  # fmt: skip
PAPERS = {
    "Contract monitoring report": "monitoring",
    "Designations due for renewal": "attention",
    "Disputes and arbitration update": "disputes",
    "Finance report": "monitoring",
    "Financial exposure from open disputes": "disputes",
}
FITNESS = {
    "1.1": ("Y", "Establishment Agreement signed by every member PCT; reviewed in 2025.", ""),
    "1.2": ("P", "Patient representatives sit on two service review groups.",
            "Extend to every review group by the end of the year."),
    "2.1": ("Y", "Terms of reference and scheme of delegation agreed.", ""),
    "4.1": ("P", "Commissioning plan drafted; stakeholder survey outstanding.",
            "Run the survey before the plan is agreed."),
    "9.1": ("Y", "Monthly activity reports by PCT circulated with commentary.", ""),
}  # fmt: skip


def add_meetings_demo(demo: object) -> None:
    """Seats, attendance, declarations and papers for the demo's meetings."""
    session = demo.session  # type: ignore[attr-defined]
    session.flush()
    bodies = {b.short_name: b for b in session.scalars(select(Body))}
    scg, finance = bodies["SCG"], bodies["FIN"]
    members = demo.current_members  # type: ignore[attr-defined]
    scg_seats = []
    for position, member in enumerate(members):
        first = FIRST_NAMES[position % len(FIRST_NAMES)]
        surname = SURNAMES[(position * 7) % len(SURNAMES)]
        deputy_first = FIRST_NAMES[(position + 9) % len(FIRST_NAMES)]
        deputy = f"{deputy_first} {SURNAMES[(position * 3 + 5) % len(SURNAMES)]}"
        seat = Seat(
            body=scg,
            position=position,
            member_name=f"{first} {surname}",
            deputy_name=deputy,
            organisation_id=member.organisation.id,
            representing=member.organisation.name,
            voting=True,
            weight=member.share,
        )
        scg_seats.append(seat)
    officers = [
        ("Harriet Quayle", "Head of Specialised Commissioning"),
        ("Owen Marchbank", "SCG finance lead"),
        ("Patience Oduya", "Patient and public involvement representative"),
    ]
    for offset, (name, role) in enumerate(officers):
        scg_seats.append(
            Seat(body=scg, position=100 + offset, member_name=name, representing=role, voting=False)
        )
    finance_seats = [
        Seat(body=finance, position=p, member_name=seat.member_name, representing=seat.representing,
             deputy_name=seat.deputy_name, organisation_id=seat.organisation_id, weight=seat.weight)
        for p, seat in enumerate(scg_seats[:6])
    ]  # fmt: skip
    session.add_all(scg_seats + finance_seats)
    session.flush()

    meetings = session.scalars(select(Meeting).order_by(Meeting.held_on)).all()
    rng = demo.random  # type: ignore[attr-defined]
    for meeting in meetings:
        seats = scg_seats if meeting.body_id == scg.id else finance_seats
        meeting.chair = "Alison Ashby" if meeting.body_id == scg.id else "Owen Marchbank"
        for item in meeting.items:
            for start, kind in PAPERS.items():
                if item.title.startswith(start) and (
                    meeting.status == "held" or rng.random() < 0.5
                ):
                    item.paper_report = kind
                    item.paper = ""
        if meeting.status != "held":
            continue
        for seat in seats:
            roll = rng.random()
            if roll < 0.1:
                status, as_deputy = Attendance.APOLOGIES, False
            elif roll < 0.22 and seat.deputy_name:
                status, as_deputy = Attendance.PRESENT, True
            else:
                status, as_deputy = Attendance.PRESENT, False
            session.add(
                AttendanceRecord(
                    meeting=meeting,
                    seat_id=seat.id,
                    name=seat.deputy_name if as_deputy else seat.member_name,
                    status=status,
                    as_deputy=as_deputy,
                )
            )
        items = sorted(meeting.items, key=lambda i: i.sequence)
        if meeting.body_id == scg.id and len(items) > 2:
            declarer = seats[(meeting.held_on.month * 3) % len(members)]
            session.add(
                Declaration(
                    meeting=meeting,
                    member_name=declarer.member_name,
                    agenda_item_id=items[2].id,
                    interest="Spouse employed by a provider named in the paper (non-clinical).",
                    action_taken="Took part in the discussion; did not vote.",
                )
            )
    session.flush()
    for decision in session.scalars(select(Decision)):
        if decision.financial_commitment:
            meeting = session.get(Meeting, decision.meeting_id)
            # One commitment came with too little notice, so the warning has a case to show.
            days = 21 if decision.subject.startswith("Pooled") else 35
            decision.notice_given_on = meeting.held_on - timedelta(days=days)

    add_self_assessment(demo)


def add_self_assessment(demo: object) -> None:
    """A part-done fitness-for-purpose review and two benchmark figures entered by hand."""
    session = demo.session  # type: ignore[attr-defined]
    year = FinancialYear.containing(demo.as_of)  # type: ignore[attr-defined]
    framework = read_json("fitness_framework.json")
    codes = {c["code"] for d in framework["dimensions"] for c in d["criteria"]}
    for code, (score, evidence, plans) in FITNESS.items():
        if code in codes:
            session.add(
                FitnessScore(
                    year_start=year.start_year, criterion=code, score=score, evidence=evidence,
                    plans=plans,
                )
            )  # fmt: skip
    for back, value in ((2, "0.40"), (1, "0.55"), (0, "0.70")):
        session.add(
            BenchmarkEntry(
                year_start=year.start_year - back,
                measure="3",
                value=Decimal(value),
                comment="Quality dashboards agreed with providers." if back == 0 else "",
            )
        )
