"""Demo data for the logs: a facilitated meeting, an arbitration panel, a decided arbitration
with its actions and learning, and a draft case study, so every screen has something real."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.models import (
    CaseStudy,
    CaseStudyOutcome,
    CaseStudyStatus,
    Dispute,
    DisputeAction,
    DisputeIssue,
    DisputeKind,
    DisputeParty,
    DisputeStage,
    DisputeStatus,
    FacilitatedMeetingMember,
    MeetingCapacity,
    PanelLevel,
    PanelMember,
    ReferenceCounter,
    ScgArea,
    ScgNeighbour,
)
from app.services.disputes import BINDING_STATEMENT

if TYPE_CHECKING:
    from app.services.demo import Demo

HEPATOBILIARY = "Critical care bed days within hepatobiliary surgery spells"
BARIATRIC = "Bariatric surgery activity above the agreed margin"

FULL_MEETING = (
    ("Helen Ashcroft", MeetingCapacity.COMMISSIONER, "Wessex Vale PCT"),
    ("Gareth Lowe", MeetingCapacity.COMMISSIONER, "Northgate PCT"),
    ("Priya Nair", MeetingCapacity.COMMISSIONER, "Eastmere PCT"),
    ("Martin Keel", MeetingCapacity.TRUST, "Wessex Vale University Hospitals NHS Trust"),
    ("Sarah Quinn", MeetingCapacity.TRUST, "Wessex Vale University Hospitals NHS Trust"),
    ("Tom Avery", MeetingCapacity.TRUST, "Wessex Vale University Hospitals NHS Trust"),
    ("Ruth Ellery", MeetingCapacity.SHA_DIRECTOR, "Demo Vale Strategic Health Authority"),
    (
        "Owen Marchbank",
        MeetingCapacity.HEAD_OF_SPECIALISED_COMMISSIONING,
        "Demo Specialised Commissioning Group",
    ),
    ("Dr Anil Mehta", MeetingCapacity.CLINICAL_ADVICE, "Hepatobiliary clinical network"),
)
PARTIAL_MEETING = (
    ("Helen Ashcroft", MeetingCapacity.COMMISSIONER, "Wessex Vale PCT"),
    ("Lucy Brennan", MeetingCapacity.COMMISSIONER, "Saltmarsh Coast PCT"),
    ("Ian Forde", MeetingCapacity.TRUST, "Saltmarsh Coast Hospitals NHS Trust"),
    ("Nadia Shah", MeetingCapacity.TRUST, "Saltmarsh Coast Hospitals NHS Trust"),
    ("Chris Dunn", MeetingCapacity.TRUST, "Saltmarsh Coast Hospitals NHS Trust"),
    (
        "Owen Marchbank",
        MeetingCapacity.HEAD_OF_SPECIALISED_COMMISSIONING,
        "Demo Specialised Commissioning Group",
    ),
)
PANEL = (
    ("Margaret Oyelaran", "Chief Executive", "5A7", PanelLevel.CHIEF_EXECUTIVE, "None"),
    ("David Penrose", "Director of Finance", "RY9", PanelLevel.DIRECTOR, "None"),
    (
        "Janet Corby",
        "Director of Commissioning",
        "DSHA",
        PanelLevel.DIRECTOR,
        "Formerly employed by Wessex Vale University Hospitals (left 2019); no current interest",
    ),
)


# SCGs around the demo's own, for the panel's neighbouring L/SCG representation: code, name,
# type, the SCG whose area it is in (for an LSCG), whether it borders the Demo SCG.
NEIGHBOURING_BODIES = (
    ("DMSCG", "Demo Marches Specialised Commissioning Group", "SCG", None, True),
    ("DMLSCG", "Demo Marches West Local Specialised Commissioning Group", "LSCG", "DMSCG", None),
    ("DFSCG", "Demo Fells Specialised Commissioning Group", "SCG", None, False),
)


def add_scg_areas(demo: Demo) -> None:
    """The SCGs around the demo's, which borders which, and whose area each body is in."""
    from app.services.demo import PROVIDERS, organisation  # demo.py imports this module

    for code, name, kind, _, _ in NEIGHBOURING_BODIES:
        organisation(demo, code, name, kind)
    demo.session.flush()  # the areas and neighbours refer to them by key alone
    for code, _, _, scg, borders in NEIGHBOURING_BODIES:
        if scg is not None:
            demo.add(
                "scg_areas",
                ScgArea(
                    organisation_id=demo.organisations[code].id,
                    scg_id=demo.organisations[scg].id,
                ),
            )
        if borders:
            demo.add(
                "scg_neighbours",
                ScgNeighbour(scg_id=demo.scg.id, neighbour_id=demo.organisations[code].id),
            )
    for code in ("DSHA", *(code for code, _, _ in PROVIDERS)):
        demo.add(
            "scg_areas",
            ScgArea(organisation_id=demo.organisations[code].id, scg_id=demo.scg.id),
        )


def _dispute(demo: Demo, title: str) -> Dispute:
    return demo.session.scalars(select(Dispute).where(Dispute.title == title)).one()


def add_logs_demo(demo: Demo) -> None:
    """The dispute log's meetings, panel and a decided arbitration; a draft case study."""
    demo.session.flush()
    add_scg_areas(demo)
    day = demo.as_of
    hepatobiliary = _dispute(demo, HEPATOBILIARY)
    for name, capacity, organisation in FULL_MEETING:
        demo.add(
            "meeting_members",
            FacilitatedMeetingMember(
                dispute=hepatobiliary, name=name, capacity=capacity, organisation=organisation
            ),
        )
    for name, role, code, level, interests in PANEL:
        demo.add(
            "panel_members",
            PanelMember(
                dispute=hepatobiliary,
                name=name,
                role=role,
                organisation_id=demo.organisations[code].id,
                level=level,
                interests=interests,
                declared_on=day - timedelta(days=80),
            ),
        )
    hepatobiliary.hearing_on = day + timedelta(days=14)
    for party in hepatobiliary.parties:
        party.submitted_on = day - timedelta(days=30)
        party.submission = (
            "The schedule prices the whole spell; critical care is part of the pathway."
            if party.side == "commissioner"
            else "Bed days in critical care beyond the fifth day are outside the spell price."
        )
    bariatric = _dispute(demo, BARIATRIC)
    for name, capacity, organisation in PARTIAL_MEETING:
        demo.add(
            "meeting_members",
            FacilitatedMeetingMember(
                dispute=bariatric, name=name, capacity=capacity, organisation=organisation
            ),
        )
    add_decided_arbitration(demo)
    add_draft_case_study(demo)


def add_decided_arbitration(demo: Demo) -> None:
    """A dispute of the year before taken to a panel and decided issue by issue."""
    from app.services.demo import STAGE_WHO, dispute_reference  # demo.py imports this module

    raised = demo.as_of - timedelta(days=400)
    reference = dispute_reference(demo, raised)
    counter = demo.session.scalars(
        select(ReferenceCounter).where(
            ReferenceCounter.prefix == "DSP", ReferenceCounter.year == raised.year
        )
    ).first()
    if counter is None:
        demo.session.add(ReferenceCounter(prefix="DSP", year=raised.year, last_number=1))
    else:
        counter.last_number = demo.dispute_numbers[raised.year]
    dispute = Dispute(
        reference=reference,
        kind=DisputeKind.COMMISSIONERS_PROVIDER,
        title="Cochlear implant device costs billed on top of the tariff",
        contract_id=None,
        service_codes="32a",
        value=Decimal("164000.00"),
        raised_on=raised,
        raised_by="Head of Specialised Commissioning",
        issue="The trust billed implant devices separately although the local price "
        "included them; it also billed processor upgrades for existing patients.",
        stage="arbitration_panel",
        status=DisputeStatus.CLOSED,
        confidential=True,
        hearing_on=raised + timedelta(days=200),
        binding_statement=BINDING_STATEMENT,
        outcome="Decided by the arbitration panel: devices within the price; upgrades "
        "shared half and half.",
        learning="State in the price schedule which devices and upgrades it includes; "
        "both issues came from a schedule written before bilateral implants were routine.",
        closed_on=raised + timedelta(days=260),
    )
    demo.add("disputes", dispute)
    parties = (
        ("5A1", "commissioner", "Devices are within the local price.", Decimal("0.00")),
        ("RX9", "provider", "Devices were always excluded.", Decimal("164000.00")),
    )
    for code, side, position, offer in parties:
        demo.session.add(
            DisputeParty(
                dispute=dispute,
                organisation_id=demo.organisations[code].id,
                side=side,
                position=position,
                final_offer=offer,
            )
        )
    steps = (
        ("finance_directors", 0, 30, 28, False),
        ("chief_executives", 29, 59, 55, False),
        ("facilitated_meeting", 56, 98, 90, False),
        ("arbitration_panel", 91, 181, 200, True),
    )
    for sequence, (stage, start, target, end, agreed) in enumerate(steps, start=1):
        demo.session.add(
            DisputeStage(
                dispute=dispute,
                sequence=sequence,
                stage=stage,
                started_on=raised + timedelta(days=start),
                target_on=raised + timedelta(days=target),
                ended_on=raised + timedelta(days=end),
                who=STAGE_WHO[stage],
                agreed=agreed,
                notes="Facilitation was not possible." if stage == "facilitated_meeting" else "",
            )
        )
    devices = DisputeIssue(
        dispute=dispute,
        sequence=1,
        question="Are implant devices within the local price?",
        upheld="commissioner",
        decision="The commissioners' final position is upheld: devices are within the price.",
        amount=Decimal("0.00"),
        decided_on=raised + timedelta(days=200),
    )
    upgrades = DisputeIssue(
        dispute=dispute,
        sequence=2,
        question="Are processor upgrades for existing patients chargeable?",
        upheld="other",
        decision="Neither final position: upgrades are shared half and half this year and "
        "priced in the next contract.",
        amount=Decimal("23500.00"),
        decided_on=raised + timedelta(days=200),
    )
    demo.session.add_all([devices, upgrades])
    demo.session.add_all(
        [
            DisputeAction(
                dispute=dispute,
                issue=upgrades,
                description="Pay half of the upgrade invoices",
                owner="Finance lead, Wessex Vale PCT",
                due_on=raised + timedelta(days=230),
                done_on=raised + timedelta(days=225),
            ),
            DisputeAction(
                dispute=dispute,
                issue=devices,
                description="Rewrite the price schedule to list devices and upgrades",
                owner="Head of Specialised Commissioning",
                due_on=raised + timedelta(days=300),
                done_on=raised + timedelta(days=290),
            ),
        ]
    )


def add_draft_case_study(demo: Demo) -> None:
    demo.add(
        "case_studies",
        CaseStudy(
            title="Settling device costs by arbitration (draft)",
            organisation="Demo Specialised Commissioning Group",
            topic="Arbitration",
            services="32a",
            period="2025",
            context="A dispute over cochlear implant devices went to an arbitration panel.",
            what_was_done="The panel heard both sides and decided each issue separately.",
            outcomes="One issue upheld for the commissioners; one settled half and half.",
            learning="Price schedules must say which devices they include.",
            tags="arbitration, devices, pendulum",
            status=CaseStudyStatus.DRAFT,
            author="Owen Marchbank",
            measured_outcomes=[
                CaseStudyOutcome(
                    position=1, description="Value in dispute", figure="164000", unit="GBP"
                ),
                CaseStudyOutcome(
                    position=2,
                    description="Days from raising to decision",
                    figure="200",
                    unit="days",
                ),
            ],
        ),
    )
