"""The dispute log: the escalation process, the £100,000 threshold, the facilitated meeting,
the neutral panel, decisions, the closing rule and the marking of every export."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.errors import InputRejected
from app.models import DisputeKind, MeetingCapacity, PanelLevel, Upheld
from app.services import disputes
from app.services.disputes import MARKING, DisputeInput, PartyInput

AS_OF = date(2026, 11, 24)
RAISED = date(2026, 6, 1)


def raise_provider_dispute(session, value: str, spans_scgs: bool = False):  # type: ignore[no-untyped-def]
    return disputes.raise_dispute(
        session,
        DisputeInput(
            kind=DisputeKind.COMMISSIONERS_PROVIDER,
            title="Excess bed days in cardiac surgery",
            value=Decimal(value),
            raised_on=RAISED,
            issue="The trust charged excess bed days beyond the spell price.",
            parties=[
                PartyInput("5A1", "commissioner", "Included in the price.", Decimal("20000")),
                PartyInput("RX8", "provider", "Chargeable beyond ten days.", Decimal("150000")),
            ],
            service_codes="3",
            spans_scgs=spans_scgs,
        ),
    )


def walk_to_the_end_of_chief_executives(session, dispute_id) -> None:  # type: ignore[no-untyped-def]
    disputes.end_stage(session, dispute_id, RAISED + timedelta(20), agreed=False)
    disputes.escalate(session, dispute_id, RAISED + timedelta(21))
    disputes.end_stage(session, dispute_id, RAISED + timedelta(40), agreed=False)


def test_a_new_dispute_gets_a_reference_and_the_first_stage_with_its_target(
    demo_database,
) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        detail = disputes.get_dispute(session, dispute_id)
        stages = disputes.stages_of(session, dispute_id, AS_OF)
    assert detail.reference.startswith("DSP-2026-") and len(detail.reference.split("-")) == 4
    assert detail.confidential is True
    assert [s.stage for s in stages] == ["Finance Directors"]
    assert stages[0].target_on == RAISED + timedelta(days=30)


@pytest.mark.parametrize(
    ("value", "formal"),
    [("99999.99", False), ("100000.00", False), ("100000.01", True), ("412300", True)],
)
def test_the_formal_process_applies_only_above_100000(demo_database, value, formal) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, value)
        walk_to_the_end_of_chief_executives(session, dispute_id)
        if formal:
            assert disputes.escalate(session, dispute_id, AS_OF) == "Facilitated meeting"
        else:
            with pytest.raises(InputRejected, match=r"more than £100,000"):
                disputes.escalate(session, dispute_id, AS_OF)


def test_the_threshold_and_targets_are_data(demo_database) -> None:
    with demo_database.session() as session:
        assert disputes.threshold(session) == Decimal("100000")
        rules = disputes.stage_rules(session, DisputeKind.COMMISSIONERS_PROVIDER)
        assert [r.key for r in rules] == [
            "finance_directors",
            "chief_executives",
            "facilitated_meeting",
            "arbitration_panel",
        ]
        assert all(r.target_days for r in rules)
        between = disputes.stage_rules(session, DisputeKind.BETWEEN_COMMISSIONERS)
        assert [r.key for r in between][-1] == "resolution_process_agreed"


def test_escalation_waits_for_the_stage_to_end_and_stops_when_agreed(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        with pytest.raises(InputRejected, match="current stage ended"):
            disputes.escalate(session, dispute_id, AS_OF)
        disputes.end_stage(session, dispute_id, RAISED + timedelta(10), agreed=True)
        with pytest.raises(InputRejected, match="resolved"):
            disputes.escalate(session, dispute_id, AS_OF)


def test_arbitration_follows_a_failed_facilitation_and_is_the_last_stage(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        walk_to_the_end_of_chief_executives(session, dispute_id)
        disputes.escalate(session, dispute_id, RAISED + timedelta(41))
        disputes.end_stage(session, dispute_id, RAISED + timedelta(60), agreed=False)
        assert disputes.escalate(session, dispute_id, RAISED + timedelta(61)) == (
            "Arbitration panel"
        )
        disputes.end_stage(session, dispute_id, RAISED + timedelta(90), agreed=False)
        with pytest.raises(InputRejected, match="last stage"):
            disputes.escalate(session, dispute_id, AS_OF)


def test_a_stage_past_its_target_is_flagged_relative_to_the_date_given(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        target = RAISED + timedelta(days=30)
        by_day = {
            day: next(r for r in disputes.list_disputes(session, day) if r.id == dispute_id)
            for day in (target, target + timedelta(1))
        }
    assert not by_day[target].overdue
    assert by_day[target + timedelta(1)].overdue


def test_the_facilitated_meeting_says_what_is_missing(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000", spans_scgs=True)
        assert disputes.meeting_check(session, dispute_id) == [
            "3 more commissioner representatives",
            "3 more trust representatives",
            "A Director from the SHA",
            "The Head of Specialised Commissioning",
            "Expert clinical advice",
            "Representation from the neighbouring SCG(s) the consortium spans",
        ]
        for n in range(3):
            disputes.add_meeting_member(session, dispute_id, f"C{n}", MeetingCapacity.COMMISSIONER)
        for n in range(2):
            disputes.add_meeting_member(session, dispute_id, f"T{n}", MeetingCapacity.TRUST)
        for capacity in (
            MeetingCapacity.SHA_DIRECTOR,
            MeetingCapacity.HEAD_OF_SPECIALISED_COMMISSIONING,
            MeetingCapacity.CLINICAL_ADVICE,
        ):
            disputes.add_meeting_member(session, dispute_id, capacity, capacity)
        assert disputes.meeting_check(session, dispute_id) == [
            "1 more trust representatives",
            "Representation from the neighbouring SCG(s) the consortium spans",
        ]
        disputes.add_meeting_member(session, dispute_id, "T2", MeetingCapacity.TRUST)
        disputes.add_meeting_member(session, dispute_id, "N", MeetingCapacity.NEIGHBOURING_SCG)
        assert disputes.meeting_check(session, dispute_id) == []


def test_a_meeting_needs_no_neighbouring_scg_when_the_consortium_does_not_span(
    demo_database,
) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000", spans_scgs=False)
        assert not any("neighbouring" in m for m in disputes.meeting_check(session, dispute_id))


def test_the_panel_refuses_a_member_from_a_party(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        with pytest.raises(InputRejected, match="must be neutral"):
            disputes.add_panel_member(
                session,
                dispute_id,
                "Ann Hale",
                "Chief Executive",
                "RX8",
                PanelLevel.CHIEF_EXECUTIVE,
            )
        with pytest.raises(InputRejected, match="Chief Executive and Director level"):
            disputes.add_panel_member(session, dispute_id, "Bob Ray", "Manager", "RX1", "Manager")
        disputes.add_panel_member(
            session,
            dispute_id,
            "Cath Orme",
            "Chief Executive",
            "5A2",
            PanelLevel.CHIEF_EXECUTIVE,
            interests="None declared",
            declared_on=AS_OF,
        )
        disputes.add_panel_member(
            session, dispute_id, "Dev Iyer", "Director of Finance", "DSHA", PanelLevel.DIRECTOR
        )
        panel = disputes.panel_of(session, dispute_id)
        assert [(m.name, m.organisation, m.level) for m in panel] == [
            ("Cath Orme", "Northgate PCT", "Chief Executive"),
            ("Dev Iyer", "Demo Vale Strategic Health Authority", "Director"),
        ]
        assert disputes.panel_check(session, dispute_id) == []


def test_decisions_are_pendulum_or_another_settlement_and_bind_all_parties(
    demo_database,
) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        disputes.record_decision(
            session, dispute_id, "Are bed days beyond ten chargeable?", "provider", AS_OF
        )
        disputes.record_decision(
            session,
            dispute_id,
            "Critical care days",
            Upheld.OTHER,
            AS_OF,
            decision="Half the days at the critical care rate",
            amount=Decimal("41000"),
        )
        with pytest.raises(InputRejected, match="not a side"):
            disputes.record_decision(session, dispute_id, "Drugs", "trust", AS_OF)
        with pytest.raises(InputRejected, match="Describe the settlement"):
            disputes.record_decision(session, dispute_id, "Drugs", Upheld.OTHER, AS_OF)
        decisions = disputes.decisions_of(session, dispute_id)
        detail = disputes.get_dispute(session, dispute_id)
        action = disputes.add_action(
            session,
            dispute_id,
            "Credit note for the disallowed days",
            "Trust Finance Director",
            AS_OF - timedelta(1),
            decisions[0].id,
        )
        assert disputes.actions_of(session, dispute_id, AS_OF)[0].overdue
        disputes.complete_action(session, action, AS_OF)
        assert not disputes.actions_of(session, dispute_id, AS_OF)[0].overdue
    assert [(d.upheld, d.amount) for d in decisions] == [
        ("provider", Decimal("150000")),  # the provider's final offer, wholly
        ("other", Decimal("41000")),
    ]
    assert "binding on all parties" in detail.binding_statement


def test_a_dispute_cannot_be_closed_until_its_learning_is_written(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        with pytest.raises(InputRejected, match="learning is written up"):
            disputes.close_dispute(session, dispute_id, AS_OF)
        disputes.edit_dispute(session, dispute_id, {"learning": "   "})
        with pytest.raises(InputRejected, match="learning"):
            disputes.close_dispute(session, dispute_id, AS_OF)
        disputes.edit_dispute(
            session, dispute_id, {"learning": "Define excess bed days in the schedule."}
        )
        disputes.close_dispute(session, dispute_id, AS_OF, outcome="Settled")
        assert disputes.get_dispute(session, dispute_id).status == "closed"
        assert dispute_id not in {r.id for r in disputes.list_disputes(session, AS_OF, True)}


def test_measure_10_counts_arbitrations_results_and_learning(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        walk_to_the_end_of_chief_executives(session, dispute_id)
        disputes.escalate(session, dispute_id, RAISED + timedelta(41))
        disputes.end_stage(session, dispute_id, RAISED + timedelta(60), agreed=False)
        disputes.escalate(session, dispute_id, RAISED + timedelta(61))
        disputes.record_decision(session, dispute_id, "Bed days", "commissioner", AS_OF)
        disputes.edit_dispute(session, dispute_id, {"learning": "Write bed days down."})
        figures = {f.year: f for f in disputes.measure_10(session)}
    year = figures["2026/27"]
    assert (year.needing_arbitration, year.decided, year.upheld_for_commissioners) == (1, 1, 1)
    assert year.learning_written == 1 and "Write bed days down." in year.learning[0]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".pdf"])
def test_every_export_of_disputes_carries_the_marking(
    demo_database, tmp_path: Path, suffix: str
) -> None:
    with demo_database.session() as session:
        first = disputes.list_disputes(session, AS_OF)[0].id
        disputes.export_disputes(session, tmp_path / f"log{suffix}", AS_OF)
        disputes.export_dispute(session, first, tmp_path / f"one{suffix}", AS_OF)
    for name in ("log", "one"):
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".xlsx":
            sheet = load_workbook(path).active
            assert sheet["A1"].value == MARKING
            assert MARKING in sheet.oddHeader.center.text
        elif suffix == ".csv":
            with path.open(encoding="utf-8-sig") as stream:
                assert next(csv.reader(stream)) == [MARKING]
        else:
            pages = PdfReader(path).pages
            assert all(MARKING in page.extract_text() for page in pages)


def test_a_panel_members_interests_are_declared_and_kept(demo_database) -> None:
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000")
        member = disputes.add_panel_member(
            session, dispute_id, "Cath Orme", "Chief Executive", "5A2", PanelLevel.CHIEF_EXECUTIVE
        )
        disputes.declare_interest(
            session, member, "Sister works in the trust's finance team", AS_OF
        )
        row = disputes.panel_of(session, dispute_id)[0]
    assert (row.interests, row.declared_on) == ("Sister works in the trust's finance team", AS_OF)


def test_a_panel_spanning_scgs_needs_a_member_from_a_neighbouring_scg(demo_database) -> None:
    """The demo's SCG borders the Marches SCG (with its Marches West LSCG), not the Fells SCG."""
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000", spans_scgs=True)
        disputes.add_panel_member(
            session, dispute_id, "Cath Orme", "Chief Executive", "5A2", PanelLevel.CHIEF_EXECUTIVE
        )
        problems = disputes.panel_check(session, dispute_id)
        assert problems == [
            "No representative of a neighbouring L/SCG (Demo Marches Specialised Commissioning "
            "Group), and the consortium spans SCGs"
        ]
        # The home SCG is an SCG, but not a neighbouring one.
        disputes.add_panel_member(
            session, dispute_id, "Sam Reed", "Director", "DSCG", PanelLevel.DIRECTOR
        )
        problems = disputes.panel_check(session, dispute_id)
        assert (
            "Sam Reed (Demo Specialised Commissioning Group) represents the home SCG"
            in (problems[0])
        )
        assert "No representative of a neighbouring L/SCG" in problems[-1]
        # An SCG that does not border the home one does not count either.
        disputes.add_panel_member(
            session, dispute_id, "Flo Kerr", "Director", "DFSCG", PanelLevel.DIRECTOR
        )
        assert any(
            "Flo Kerr (Demo Fells Specialised Commissioning Group) is not from an SCG "
            "neighbouring Demo Specialised Commissioning Group" in p
            for p in disputes.panel_check(session, dispute_id)
        )
        # An LSCG in the neighbouring SCG's area does.
        disputes.add_panel_member(
            session,
            dispute_id,
            "Ravi Moss",
            "Chief Executive",
            "DMLSCG",
            PanelLevel.CHIEF_EXECUTIVE,
        )
        assert disputes.panel_check(session, dispute_id) == []


def test_who_attends_a_facilitated_meeting_for_a_neighbouring_scg_is_checked_against_the_data(
    demo_database,
) -> None:
    from app.models.logs import MeetingCapacity

    neighbouring = MeetingCapacity.NEIGHBOURING_SCG
    with demo_database.session() as session:
        dispute_id = raise_provider_dispute(session, "250000", spans_scgs=True)
        disputes.add_meeting_member(session, dispute_id, "Sam Reed", neighbouring, "DSCG")
        problems = disputes.meeting_check(session, dispute_id)
        assert any("Sam Reed (Demo Specialised Commissioning Group) attends for a "
                   "neighbouring SCG but is from the home SCG" in p for p in problems)  # fmt: skip
        disputes.add_meeting_member(session, dispute_id, "Flo Kerr", neighbouring, "DFSCG")
        disputes.add_meeting_member(session, dispute_id, "Al Brown", neighbouring, "Elsewhere")
        problems = disputes.meeting_check(session, dispute_id)
        assert any("Flo Kerr (Demo Fells Specialised Commissioning Group) is not from an SCG "
                   "neighbouring" in p for p in problems)  # fmt: skip
        assert any("('Elsewhere') is not one the product knows" in p for p in problems)
        # Someone from the Marches West LSCG, in the neighbouring SCG's area, by its name.
        disputes.add_meeting_member(
            session,
            dispute_id,
            "Ravi Moss",
            neighbouring,
            "Demo Marches West Local Specialised Commissioning Group",
        )
        problems = disputes.meeting_check(session, dispute_id)
        assert not any("Ravi Moss" in p for p in problems)


def test_which_scg_an_organisation_is_in_and_its_neighbours_are_data(demo_database) -> None:
    from app.services import scg_areas
    from app.services.disputes import _organisation

    with demo_database.session() as session:
        home = _organisation(session, "DSCG").id
        fells = _organisation(session, "DFSCG").id
        marches = _organisation(session, "DMSCG").id
        # A PCT by its membership, a trust and an SHA by their area, an LSCG by its SCG's.
        for code, scg in (("5A1", home), ("RX8", home), ("DSHA", home), ("DMLSCG", marches)):
            assert scg_areas.scg_of(session, _organisation(session, code).id, AS_OF) == scg
        assert scg_areas.scg_of(session, _organisation(session, "NT1").id, AS_OF) == home
        assert scg_areas.neighbours_of(session, home) == {marches}
        assert scg_areas.neighbours_of(session, marches) == {home}  # the relation is mutual
        scg_areas.add_neighbour(session, "DFSCG", "DSCG")
        assert scg_areas.neighbours_of(session, home) == {marches, fells}
        with pytest.raises(InputRejected, match="not an SCG"):
            scg_areas.add_neighbour(session, "DSCG", "DMLSCG")
        # A trust moved into the Fells' area now belongs there.
        scg_areas.place_in_scg(session, "RX8", "DFSCG")
        assert scg_areas.scg_of(session, _organisation(session, "RX8").id, AS_OF) == fells
        dispute_id = raise_provider_dispute(session, "250000", spans_scgs=True)
        disputes.add_panel_member(
            session, dispute_id, "Flo Kerr", "Director", "DFSCG", PanelLevel.DIRECTOR
        )
        # Fells now borders the home SCG (of the commissioner, not of the trust): in order.
        assert disputes.panel_check(session, dispute_id) == []


def test_each_new_dispute_takes_the_next_reference_of_this_copy(demo_database) -> None:
    with demo_database.session() as session:
        first = disputes.get_dispute(session, raise_provider_dispute(session, "1000")).reference
        second = disputes.get_dispute(session, raise_provider_dispute(session, "1000")).reference
    assert first != second and first.split("-")[-1] == second.split("-")[-1]
