"""Confidential disputes: the full record for those handling it, the summary for everyone else.

The full record (positions, offers, evidence, deliberations) is for who raised the dispute,
the commissioners assigned to it, the Head of Specialised Commissioning, its panel once
appointed and administrators; the secretariat, viewers and other commissioners read the
summary the meeting papers use. Each road out is tried as each of them, and each opening,
export or printing is found in the access log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.cli import main
from app.models import AgendaItem, Dispute, DisputeKind, PanelLevel
from app.services import case_studies, disputes, log_search
from app.services.access import Area, NotPermitted
from app.services.audit import access_log, record_history
from app.services.disputes import DisputeInput, PartyInput
from app.services.reports import ReportRequest, write_report
from app.services.users import add_user
from app.store.database import Database

AS_OF = date(2026, 11, 24)
RAISED = AS_OF - timedelta(days=30)

# Words that stand only in the full record: title, issue, a position, a final offer, a
# submission, the evidence (an attached document), the deliberations (stage notes) and the
# panel's decision. None may reach someone who reads the summary.
TITLE = "Kumquat tariff for complex spells"
ISSUE = "The persimmon schedule omits critical care."
POSITION = "Tamarind rates apply from day one."
OFFER = Decimal("987654.32")
SUBMISSION = "Our submission cites the lychee audit."
EVIDENCE = "Quince evidence: the trust's own costing."
DELIBERATION = "Rambutan: the directors could not agree on the cap."
DECISION_QUESTION = "Is the mangosteen device inside the price?"
SECRETS = ("Kumquat", "persimmon", "Tamarind", "987,654", "987654", "lychee", "Quince",
           "Rambutan", "mangosteen")  # fmt: skip
LEARNING = "Write the device list into the schedule."

EVERYONE_FULL = ("rita", "carl", "paula", "hal", "ada")  # raiser, assigned, panel, Head, admin
SUMMARY_ONLY = ("sam", "vic", "otto")  # secretariat, viewer, a commissioner not handling it


@dataclass(frozen=True)
class Story:
    database: Database
    dispute_id: object
    reference: str
    party_id: object


def _as(database: Database, user: str) -> Database:
    database.user = user
    return database


@pytest.fixture
def story(demo_database: Database, tmp_path: Path) -> Iterator[Story]:
    """Profiles of every role, and a confidential dispute raised by Rita, assigned to Carl,
    with a panel on which Paula sits, evidence attached and a decision recorded."""
    database = demo_database
    with _as(database, "tester").session() as session:
        add_user(session, "ada", "administrator")
    with _as(database, "ada").session() as session:
        for name, role, full_name in (
            ("hal", "head", "Hal Head"),
            ("sam", "secretariat", "Sam Secretary"),
            ("vic", "viewer", "Vic Viewer"),
            ("rita", "commissioner", "Rita Raiser"),
            ("carl", "commissioner", "Carl Assigned"),
            ("otto", "commissioner", "Otto Other"),
            ("paula", "panel_member", "Paula Panel"),
        ):
            add_user(session, name, role, full_name=full_name)
    evidence = tmp_path / "costing.txt"
    evidence.write_text(EVIDENCE)
    with _as(database, "rita").session() as session:
        dispute_id = disputes.raise_dispute(
            session,
            DisputeInput(
                kind=DisputeKind.COMMISSIONERS_PROVIDER,
                title=TITLE,
                value=Decimal("250000"),
                raised_on=RAISED,
                issue=ISSUE,
                parties=[
                    PartyInput("5A1", "commissioner", POSITION, OFFER),
                    PartyInput("RX8", "provider", "Chargeable beyond ten days.", None),
                ],
                service_codes="3",
            ),
        )
        disputes.assign_commissioner(session, dispute_id, "carl")
        disputes.end_stage(session, dispute_id, RAISED + timedelta(5), False, DELIBERATION)
        disputes.record_submission(session, dispute_id, "commissioner", SUBMISSION, RAISED)
        case_studies.attach_document(session, "dispute", dispute_id, evidence, Area.DISPUTES)
        disputes.record_decision(
            session, dispute_id, DECISION_QUESTION, "commissioner", RAISED + timedelta(9)
        )
        reference = session.get(Dispute, dispute_id).reference
        party_id = session.get(Dispute, dispute_id).parties[0].id
    _appoint_paula(database, dispute_id)
    yield Story(database, dispute_id, reference, party_id)
    database.user = "tester"


def _appoint_paula(database: Database, dispute_id: object, by: str = "rita") -> None:
    with _as(database, by).session() as session:
        disputes.add_panel_member(
            session, dispute_id, "Paula Panel", "Chief Executive", "5A2", PanelLevel.CHIEF_EXECUTIVE
        )


def _leaks(text: str) -> list[str]:
    return [word for word in SECRETS if word.lower() in text.lower()]


def _opened_by(story: Story, user: str, action: str) -> list[str]:
    with _as(story.database, "tester").session() as session:
        return [
            entry.detail
            for entry in access_log(session, story.dispute_id)
            if entry.user == user and entry.action == action
        ]


# ---------------------------------------------------------------------------------------------
# The rule itself


def test_a_panel_member_reads_in_full_only_once_appointed(demo_database: Database) -> None:
    with _as(demo_database, "tester").session() as session:
        add_user(session, "ada", "administrator")
    with _as(demo_database, "ada").session() as session:
        add_user(session, "paula", "panel_member", full_name="Paula Panel")
        dispute_id = disputes.raise_dispute(
            session,
            DisputeInput(
                kind=DisputeKind.COMMISSIONERS_PROVIDER,
                title=TITLE,
                value=Decimal("250000"),
                raised_on=RAISED,
                issue=ISSUE,
                parties=[PartyInput("5A1", "commissioner"), PartyInput("RX8", "provider")],
            ),
        )
    with _as(demo_database, "paula").session() as session:
        before = disputes.get_dispute(session, dispute_id)
    assert before.summary_only and before.title != TITLE and before.issue != ISSUE
    _appoint_paula(demo_database, dispute_id, by="ada")
    with _as(demo_database, "paula").session() as session:
        after = disputes.get_dispute(session, dispute_id)
    assert not after.summary_only and after.title == TITLE and after.issue == ISSUE


def test_only_a_commissioner_is_assigned_and_assignment_opens_the_record(story: Story) -> None:
    with _as(story.database, "rita").session() as session:
        with pytest.raises(disputes.InputRejected, match="only commissioners"):
            disputes.assign_commissioner(session, story.dispute_id, "sam")
        disputes.assign_commissioner(session, story.dispute_id, "otto")
    with _as(story.database, "otto").session() as session:
        assert disputes.get_dispute(session, story.dispute_id).issue == ISSUE
    with _as(story.database, "rita").session() as session:
        disputes.unassign_commissioner(session, story.dispute_id, "otto")
    with _as(story.database, "otto").session() as session:
        assert disputes.get_dispute(session, story.dispute_id).summary_only


def test_someone_reading_the_summary_may_not_change_the_dispute(story: Story) -> None:
    for user in ("otto", "sam", "vic"):  # a commissioner not handling it; no writers at all
        with pytest.raises(NotPermitted), _as(story.database, user).session() as session:
            disputes.edit_dispute(session, story.dispute_id, {"title": "Overwritten"})
    otto = _as(story.database, "otto")
    with pytest.raises(NotPermitted, match="confidential"), otto.session() as session:
        disputes.add_action(session, story.dispute_id, "Do it", "otto", AS_OF)
    with _as(story.database, "carl").session() as session:
        disputes.edit_dispute(session, story.dispute_id, {"learning": LEARNING})
    with _as(story.database, "tester").session() as session:
        assert session.get(Dispute, story.dispute_id).title == TITLE


# ---------------------------------------------------------------------------------------------
# Every road out


def test_the_service_gives_the_full_record_or_the_summary(story: Story) -> None:
    for user in (*EVERYONE_FULL, *SUMMARY_ONLY):
        with _as(story.database, user).session() as session:
            detail = disputes.get_dispute(session, story.dispute_id)
            everything = repr(
                (
                    detail,
                    disputes.stages_of(session, story.dispute_id, AS_OF),
                    disputes.panel_of(session, story.dispute_id),
                    disputes.decisions_of(session, story.dispute_id),
                    disputes.list_disputes(session, AS_OF),
                    disputes.measure_10(session),
                )
            )
        if user in EVERYONE_FULL:
            assert not detail.summary_only, user
            assert set(_leaks(everything)) >= {"Kumquat", "persimmon", "Tamarind", "lychee"}
            assert "Rambutan" in everything and "mangosteen" in everything, user
        else:
            assert detail.summary_only, user
            assert _leaks(everything) == [], user
            # The summary: reference, parties, stage and dates.
            assert detail.reference == story.reference
            assert [party[:2] for party in detail.parties] == [
                ("Wessex Vale PCT", "commissioner"),
                ("Ravensholm Heart and Lung Centre NHS Foundation Trust", "provider"),
            ]
            assert detail.raised_on == RAISED and detail.stage
        assert _opened_by(story, user, "open"), user


def test_a_closed_summary_shows_the_outcome_and_learning(story: Story) -> None:
    with _as(story.database, "rita").session() as session:
        disputes.edit_dispute(session, story.dispute_id, {"learning": LEARNING})
        disputes.close_dispute(session, story.dispute_id, AS_OF, "Settled half and half.")
    with _as(story.database, "sam").session() as session:
        detail = disputes.get_dispute(session, story.dispute_id)
    assert detail.summary_only
    assert (detail.outcome, detail.learning) == ("Settled half and half.", LEARNING)
    assert detail.closed_on == AS_OF and _leaks(repr(detail)) == []


def test_the_disputes_tab_shows_the_summary(qtbot, story: Story, tmp_path: Path) -> None:
    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.disputes_tab import DisputesTab

    for user in ("sam", "vic", "carl", "hal"):
        _as(story.database, user)
        tab = DisputesTab(UiContext(story.database, Settings(), tmp_path / "log", AS_OF))
        qtbot.addWidget(tab)
        tab.open_record(story.dispute_id)
        shown = " ".join(
            [
                tab.summary_label.text(),
                tab.title_edit.text(),
                tab.issue_edit.toPlainText(),
                tab.documents_label.text(),
                tab.submissions_label.text(),
                *(
                    str(model.index(row, column).data())
                    for model in (tab.stages_model, tab.panel_model, tab.decisions_model)
                    for row in range(model.rowCount())
                    for column in range(model.columnCount())
                ),
                *(
                    str(tab.proxy.index(row, column).data())
                    for row in range(tab.proxy.rowCount())
                    for column in range(tab.proxy.columnCount())
                ),
            ]
        )
        if user in SUMMARY_ONLY:
            assert _leaks(shown) == [] and "costing.txt" not in shown, user
            assert "summary" in tab.summary_label.text() and tab.issue_edit.isReadOnly()
            assert not tab.save_button.isEnabled()
        else:
            assert {"Kumquat", "persimmon", "Tamarind", "Rambutan"} <= set(_leaks(shown)), user
            assert "costing.txt" in shown
            assert not tab.issue_edit.isReadOnly()
        assert _opened_by(story, user, "open"), user
        tab.close()


def run(capsys: pytest.CaptureFixture[str], story: Story, user: str, *argv: str) -> str:
    url = str(story.database.engine.url.render_as_string(hide_password=False))
    code = main(["--db", url, "--user", user, "--as-of", AS_OF.isoformat(), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_the_command_line_shows_and_exports_the_summary(
    story: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for user in ("sam", "vic", "rita", "carl", "paula", "hal", "ada"):
        shown = run(capsys, story, user, "disputes", "show", story.reference)
        as_json = run(capsys, story, user, "disputes", "show", story.reference, "--json")
        listed = run(capsys, story, user, "disputes", "list", "--json")
        record = tmp_path / f"{user}-record.csv"
        run(capsys, story, user, "disputes", "print", story.reference, "--out", str(record))
        log = tmp_path / f"{user}-log.csv"
        run(capsys, story, user, "disputes", "export", "--out", str(log))
        everything = "\n".join(
            [shown, as_json, listed, record.read_text("utf-8-sig"), log.read_text("utf-8-sig")]
        )
        assert story.reference in shown and json.loads(as_json)["reference"] == story.reference
        if user in SUMMARY_ONLY:
            assert _leaks(everything) == [], user
            assert json.loads(as_json)["summary_only"] is True
        else:
            assert {"Kumquat", "persimmon", "Tamarind", "lychee", "Rambutan"} <= set(
                _leaks(everything)
            ), user
        assert _opened_by(story, user, "open"), user
        exports = _opened_by(story, user, "export")
        assert any(str(record) in e for e in exports) and any(str(log) in e for e in exports)


def test_search_finds_a_summary_only_by_its_summary(story: Story) -> None:
    for user in (*EVERYONE_FULL, *SUMMARY_ONLY):
        with _as(story.database, user).session() as session:
            by_position = log_search.search(session, "tamarind")
            by_evidence = log_search.search(session, "quince")
            # (By the parties: PostgreSQL's parser splits a reference such as DSP-2026-004-V3D
            # into "-2026" and "-004", so the reference is not a search term there.)
            by_parties = log_search.search(session, "Ravensholm Wessex")
            by_party = log_search.search(session, "Ravensholm kumquat")
        ours = [h for h in by_parties if h.id == story.dispute_id]
        assert len(ours) == 1, user
        if user in SUMMARY_ONLY:
            assert [
                h for h in by_position + by_evidence + by_party if h.id == story.dispute_id
            ] == []
            assert _leaks(ours[0].title + ours[0].snippet) == [], user
            assert ours[0].title == f"{story.reference} Confidential dispute"
            assert "Ravensholm" in ours[0].snippet_text
        else:
            assert any(h.id == story.dispute_id for h in by_position), user
            assert any(h.id == story.dispute_id for h in by_evidence), user
            assert "Kumquat" in ours[0].title


def test_the_documents_of_a_dispute_are_its_evidence(story: Story, tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(EVIDENCE)
    with _as(story.database, "carl").session() as session:
        [document] = case_studies.documents(session, story.dispute_id)
        assert case_studies.document_matches(session, document.id, copy)
    for user in SUMMARY_ONLY:
        with _as(story.database, user).session() as session:
            assert case_studies.documents(session, story.dispute_id) == [], user
            with pytest.raises(disputes.NotFound):
                case_studies.document_matches(session, document.id, copy)
    with pytest.raises(NotPermitted), _as(story.database, "otto").session() as session:
        case_studies.attach_document(session, "dispute", story.dispute_id, copy, Area.DISPUTES)


def test_the_history_of_a_confidential_record_withholds_what_the_summary_leaves_out(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    for user in (*EVERYONE_FULL, *SUMMARY_ONLY):
        with _as(story.database, user).session() as session:
            of_dispute = record_history(session, story.reference)
            of_party = record_history(session, str(story.party_id))
        cli = run(capsys, story, user, "history", story.reference, "--json")
        everything = repr((of_dispute, of_party)) + cli
        fields = {c.field for c in of_dispute.changes}
        assert {"reference", "title", "issue"} <= fields, user
        if user in SUMMARY_ONLY:
            assert _leaks(everything) == [], user
            assert story.reference in everything  # the summary's fields are shown
        else:
            assert {"Kumquat", "persimmon", "Tamarind", "987654"} <= set(_leaks(everything)), user
        details = _opened_by(story, user, "open")
        assert sum("history" in d for d in details) >= 3, user  # two here, one on the command line


def _pdf_text(path: Path) -> str:
    """The text of a PDF without its spaces (table cells wrap words at any point)."""
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(path).pages))


def test_the_disputes_paper_and_meeting_pack_show_a_summary_reader_the_summary(
    story: Story, tmp_path: Path
) -> None:
    with _as(story.database, "tester").session() as session:
        meeting_id = session.scalars(
            select(AgendaItem.meeting_id).where(AgendaItem.paper_report == "disputes")
        ).first()
    assert meeting_id is not None
    for user in ("sam", "vic", "carl", "hal"):
        _as(story.database, user)
        paper = tmp_path / f"{user}-paper.pdf"
        pack = tmp_path / f"{user}-pack.pdf"
        write_report(story.database, ReportRequest("disputes", AS_OF), paper)
        write_report(
            story.database, ReportRequest("meeting-pack", AS_OF, meeting=str(meeting_id)), pack
        )
        for path in (paper, pack):
            text = _pdf_text(path)
            assert story.reference in text, (user, path.name)
            if user in SUMMARY_ONLY:
                assert "Kumquat" not in text and "987,654" not in text, (user, path.name)
                assert "Confidentialdispute" in text and "withheld" in text
            else:
                assert "Kumquat" in text, (user, path.name)
        assert len(_opened_by(story, user, "print")) >= 2, user


def test_opening_and_exporting_a_confidential_dispute_is_recorded(
    demo_database: Database, tmp_path: Path
) -> None:
    with demo_database.session() as session:
        dispute = session.scalars(select(Dispute).where(Dispute.confidential.is_(True))).first()
        assert dispute is not None
        disputes.get_dispute(session, dispute.id)
        disputes.export_dispute(session, dispute.id, tmp_path / "dispute.pdf", AS_OF)
    with demo_database.session() as session:
        entries = [e for e in access_log(session) if e.record_id == str(dispute.id)]
    assert {e.action for e in entries} >= {"open", "export"}
    assert all(e.user == "tester" for e in entries)


def _table_entries(story: Story, user: str, action: str) -> list[tuple[str, str]]:
    with story.database.reader() as session:  # as whoever is acting: reading records nothing
        return [
            (entry.record_id, entry.detail)
            for entry in access_log(session)
            if entry.user == user and entry.action == action and " table '" in entry.detail
        ]


@pytest.mark.parametrize("user", ["carl", "sam", "vic"])  # full reader, summary readers
def test_exporting_printing_or_copying_the_disputes_table_records_each_confidential_dispute(
    qtbot, story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.disputes_tab import DisputesTab
    from app.ui.table_view import ROW_ROLE

    with _as(story.database, "ada").session() as session:  # one dispute not confidential
        other = session.scalars(
            select(Dispute).where(Dispute.id != story.dispute_id).order_by(Dispute.reference)
        ).first()
        other.confidential = False
    _as(story.database, user)
    tab = DisputesTab(UiContext(story.database, Settings(), tmp_path / "log", AS_OF))
    qtbot.addWidget(tab)
    listed = [tab.proxy.index(row, 0).data(ROW_ROLE) for row in range(tab.proxy.rowCount())]
    confidential = {str(row.id) for row in listed if row.confidential}
    assert str(story.dispute_id) in confidential and len(confidential) < len(listed)
    summary = "" if user == "carl" else " (summary only)"

    for action, file_name in (("export", "log.xlsx"), ("export", "log.csv"), ("print", "log.pdf")):
        path = tmp_path / file_name
        monkeypatch.setattr(tab.table, "_ask_save_path", lambda caption, filters, p=path: str(p))
        before = len(_table_entries(story, user, action))
        (tab.table.print_action if action == "print" else tab.table.export_action).trigger()
        assert path.exists()
        entries = _table_entries(story, user, action)
        new = dict(entry for entry in entries if f"to {path}" in entry[1])
        assert len(entries) - before == len(confidential) == len(new), (action, file_name)
        assert set(new) == confidential
        # Carl handles the story's dispute only: the others he reads, and takes, in summary.
        assert new[str(story.dispute_id)] == f"{action} table 'Disputes' to {path}{summary}"
        assert all(d.startswith(f"{action} table 'Disputes' to {path}") for d in new.values())

    # Ctrl+C: the selected row alone, then (nothing selected) the whole table.
    tab.table.selectRow(0)
    first = tab.proxy.index(0, 0).data(ROW_ROLE)
    qtbot.keyClick(tab.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = _table_entries(story, user, "copy")
    assert QGuiApplication.clipboard().text().splitlines()[1].startswith(first.reference)
    assert [record for record, _d in copied] == ([str(first.id)] if first.confidential else [])
    tab.table.clearSelection()
    qtbot.keyClick(tab.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = _table_entries(story, user, "copy")[len(copied) :]
    assert {record for record, _d in copied} == confidential and len(copied) == len(confidential)
    assert (str(story.dispute_id), f"copy table 'Disputes' to the clipboard{summary}") in copied

    # A table of one dispute's parts (its stages) is that dispute's.
    tab.open_record(story.dispute_id)
    path = tmp_path / "stages.pdf"
    monkeypatch.setattr(tab.stages_table, "_ask_save_path", lambda caption, filters: str(path))
    tab.stages_table.print_action.trigger()
    assert path.exists()
    assert (str(story.dispute_id), f"print table 'Dispute stages' to {path}{summary}") in (
        _table_entries(story, user, "print")
    )
    tab.close()


def test_a_table_not_recorded_is_not_taken(
    qtbot, story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the access log cannot be written, the rows do not leave the window."""
    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.disputes_tab import DisputesTab

    _as(story.database, "sam")
    tab = DisputesTab(UiContext(story.database, Settings(), tmp_path / "log", AS_OF))
    qtbot.addWidget(tab)

    def refuse(*_arguments: object) -> int:
        raise OSError("the access log is unavailable")

    warned: list[str] = []
    monkeypatch.setattr(disputes, "record_table_taken", refuse)
    monkeypatch.setattr(tab.table, "_warn", lambda title, text: warned.append(text))
    path = tmp_path / "log.xlsx"
    monkeypatch.setattr(tab.table, "_ask_save_path", lambda caption, filters: str(path))
    tab.table.export_action.trigger()
    assert not path.exists() and warned == ["the access log is unavailable"]
    tab.close()


def test_the_home_tab_list_records_the_confidential_disputes_it_lists(
    qtbot, story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.home_tab import HomeTab
    from app.ui.table_view import ROW_ROLE

    _as(story.database, "sam")
    tab = HomeTab(UiContext(story.database, Settings(), tmp_path / "log", AS_OF))
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.is_loaded, timeout=60_000)  # gathered on a worker
    items = [tab.proxy.index(row, 0).data(ROW_ROLE) for row in range(tab.proxy.rowCount())]
    listed = {str(item.id) for item in items if item.record_type == "dispute"}
    assert listed  # the demo has dispute stages past their target
    tab.table.clearSelection()
    qtbot.keyClick(tab.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = _table_entries(story, "sam", "copy")
    assert {record for record, _detail in copied} == listed and len(copied) == len(listed)
    path = tmp_path / "attention.pdf"
    monkeypatch.setattr(tab.table, "_ask_save_path", lambda caption, filters: str(path))
    tab.table.print_action.trigger()
    printed = [r for r, d in _table_entries(story, "sam", "print") if str(path) in d]
    assert path.exists() and set(printed) == listed
    tab.close()
