"""The Case studies and Disputes tabs: lists, search, the editor, the guard's refusal shown in
place, and the dispute process driven from the screen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.settings import Settings
from app.ui.case_studies_tab import CaseStudiesTab
from app.ui.context import UiContext
from app.ui.disputes_tab import DisputesTab

AS_OF = date(2026, 11, 24)
MARKING = "OFFICIAL-SENSITIVE: COMMERCIAL"


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Error dialogs are an edge: record what they would say instead of showing them."""
    shown: list[str] = []

    def critical(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", critical)
    return shown


def context(database, tmp_path: Path) -> UiContext:  # type: ignore[no-untyped-def]
    return UiContext(database, Settings(), tmp_path / "log", AS_OF)


@pytest.fixture
def cases(qtbot, demo_database, tmp_path) -> CaseStudiesTab:
    tab = CaseStudiesTab(context(demo_database, tmp_path), ask=lambda *_: None)
    qtbot.addWidget(tab)
    tab.show()
    return tab


@pytest.fixture
def log(qtbot, demo_database, tmp_path) -> DisputesTab:
    tab = DisputesTab(context(demo_database, tmp_path))
    qtbot.addWidget(tab)
    tab.show()
    return tab


def select(tab, text: str) -> None:  # type: ignore[no-untyped-def]
    for row in range(tab.proxy.rowCount()):
        if text in " ".join(str(tab.proxy.index(row, c).data()) for c in range(2)):
            tab.table.selectRow(row)
            return
    raise AssertionError(f"{text} is not in the list")


def test_the_case_study_list_filters_and_its_model_is_sound(
    qtbot, qtmodeltester, cases: CaseStudiesTab
) -> None:
    qtmodeltester.check(cases.model)
    assert cases.proxy.rowCount() == 13  # ten from the review, three from the demo
    cases.topic_filter.setCurrentIndex(cases.topic_filter.findData("Risk Sharing"))
    assert {cases.proxy.index(r, 2).data() for r in range(cases.proxy.rowCount())} == {
        "Risk Sharing"
    }
    assert cases.count_label.text() == f"{cases.proxy.rowCount()} case studies"


def test_the_search_box_is_reached_by_keyboard_and_opens_a_result(
    qtbot, cases: CaseStudiesTab
) -> None:
    cases.table.setFocus()
    qtbot.keyClick(
        cases.table,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert cases.search_edit.hasFocus()
    qtbot.keyClicks(cases.search_edit, "pendulum")
    assert cases.results.isVisible() and cases.results.hits
    hit = cases.results.hits[0]
    assert "pendulum" in cases.results.toPlainText() and "<b>pendulum</b>" in hit.snippet_html
    cases.results.opened.emit(hit.id)
    assert cases.current_id == hit.id
    assert cases.editors["title"].text() == hit.title


def test_a_refused_nhs_number_is_selected_in_its_field(
    qtbot, cases: CaseStudiesTab, errors: list[str]
) -> None:
    select(cases, "Sharing the risk of bariatric")
    context = cases.editors["context"]
    context.setPlainText("Raised after a complaint about patient 943 476 5919 in March.")
    assert cases.save() is False
    assert errors and "943 476 5919" in errors[0] and "context" in errors[0]
    cursor = context.textCursor()
    assert cursor.selectedText() == "943 476 5919"
    assert context.extraSelections()  # marked until the text changes
    qtbot.keyClicks(context, "x")
    assert not context.extraSelections()


def test_a_date_of_birth_cannot_be_confirmed_away(qtbot, cases, errors) -> None:
    cases.ask = lambda *_: "It is fine"
    select(cases, "Sharing the risk of bariatric")
    cases.editors["learning"].setPlainText("One patient, DOB 12/03/1961, waited longest.")
    assert cases.save() is False
    assert "date of birth" in errors[0]
    assert cases.editors["learning"].textCursor().selectedText() == "DOB 12/03/1961"


def test_an_invoice_number_confirmed_with_a_reason_is_saved(qtbot, cases, errors) -> None:
    asked = []
    cases.ask = lambda _parent, refusal: asked.append(refusal.found.text) or "Trust invoice"
    select(cases, "Sharing the risk of bariatric")
    cases.editors["what_was_done"].setPlainText("Invoice 9434765919 was withheld.")
    assert cases.save() is True
    assert asked == ["9434765919"] and errors == []
    assert cases.editors["what_was_done"].toPlainText() == "Invoice 9434765919 was withheld."


def test_a_new_case_study_is_written_and_listed(qtbot, cases, errors) -> None:
    qtbot.keyClick(cases, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(cases.editors["title"], "Lessons from the PET-CT tender")
    cases.topic_choice.setCurrentIndex(cases.topic_choice.findData("Quality"))
    cases.editors["learning"].setPlainText("Write the activity assumptions down.")
    cases._add_outcome_row()
    cases.outcome_table.item(0, 0).setText("Scans a year")
    cases.outcome_table.item(0, 1).setText("4200")
    cases.outcome_table.item(0, 2).setText("scans")
    assert cases.save() is True and errors == []
    assert cases.proxy.rowCount() == 14
    assert cases.editors["title"].text() == "Lessons from the PET-CT tender"
    assert cases.outcome_table.item(0, 1).text() == "4200"


def test_the_dispute_list_is_marked_and_flags_the_overdue_stage(
    qtmodeltester, log: DisputesTab
) -> None:
    qtmodeltester.check(log.model)
    assert log.table.marking() == MARKING
    for table in (log.stages_table, log.panel_table, log.decisions_table, log.figures_table):
        assert table.marking() == MARKING
    overdue = [
        log.proxy.index(r, 0).data()
        for r in range(log.proxy.rowCount())
        if log.proxy.index(r, 0).data(Qt.ItemDataRole.FontRole) is not None
    ]
    assert overdue == ["DSP-2026-001-DM"]
    assert "1 overdue" in log.count_label.text()


def test_the_meeting_and_panel_checks_are_shown(log: DisputesTab, errors) -> None:
    select(log, "DSP-2026-001")
    text = log.meeting_check.text()
    assert "1 more commissioner" in text and "SHA" in text and "clinical" in text
    select(log, "DSP-2025-001")
    assert log.meeting_check.text() == "Constituted as the process requires."
    assert log.panel_check.text() == "The panel is neutral to the dispute."
    log.panel_name.setText("Pat Doyle")
    log.panel_organisation.setCurrentIndex(log.panel_organisation.findData("RX2"))
    assert log.add_panel_member() is False
    assert "must be neutral" in errors[0]
    assert log.panel_model.rowCount() == 3


def test_closing_needs_the_learning_then_closes(log: DisputesTab, errors) -> None:
    select(log, "DSP-2026-003")
    assert log.close_dispute() is False
    assert "learning is written up" in errors[0]
    log.learning_edit.setPlainText("Agree responsibility rules before PCTs merge.")
    assert log.close_dispute() is True
    assert log.close_button.isEnabled() is False
    assert "closed" in log.summary_label.text()


def test_escalation_from_the_screen(log: DisputesTab, errors) -> None:
    select(log, "DSP-2026-001")
    log.stage_notes.setPlainText("Facilitation was not possible.")
    assert log.end_stage(False) is True
    assert log.escalate() is True
    assert log.stages_model.row_at(log.stages_model.rowCount() - 1).stage == "Arbitration panel"
    assert log.escalate() is False and "current stage ended" in errors[0]


def test_a_decision_from_the_screen(log: DisputesTab, errors) -> None:
    select(log, "DSP-2025-001")
    log.decision_question.setText("Are bed days beyond five chargeable?")
    log.decision_upheld.setCurrentIndex(log.decision_upheld.findData("provider"))
    assert log.record_decision() is True and errors == []
    row = log.decisions_model.row_at(0)
    assert (row.upheld, row.amount) == ("provider", log.decisions_model.row_at(0).amount)
    assert row.amount is not None
    assert "binding on all parties" in log.binding_label.text()


def test_the_printed_record_carries_the_marking(log: DisputesTab, tmp_path: Path) -> None:
    select(log, "DSP-2025-003")
    path = tmp_path / "record.pdf"
    assert log.print_record_to(str(path)) is True
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert MARKING in text and "binding on all parties" in text


def test_a_dispute_is_raised_from_the_dialog(qtbot, log: DisputesTab, errors) -> None:
    from app.ui.raise_dispute_dialog import RaiseDisputeDialog

    with log.context.database.session() as session:
        from app.services.disputes import organisation_choices

        choices = organisation_choices(session)
    dialog = RaiseDisputeDialog(choices, AS_OF, log)
    qtbot.addWidget(dialog)
    dialog.title.setText("Radiotherapy fractions counted twice")
    dialog.value.setText("£120,500")
    dialog.issue.setPlainText("Seen at the clinic in LS1 4AP.")
    dialog.parties[0][0].setCurrentIndex(dialog.parties[0][0].findData("5A1"))
    dialog.parties[1][0].setCurrentIndex(dialog.parties[1][0].findData("RY8"))
    assert log.submit_new_dispute(dialog) is False
    assert "postcode" in errors[0]
    assert dialog.issue.textCursor().selectedText() == "LS1 4AP"
    dialog.issue.setPlainText("Fractions were counted per session and per plan.")
    assert log.submit_new_dispute(dialog) is True
    assert log.summary_label.text().startswith("<b>DSP-2026-004-")
    assert "£120,500 " in log.summary_label.text()
    log.submission_side.setCurrentText("provider")
    log.submission_text.setPlainText("Each fraction is a separate attendance.")
    assert log.record_submission() is True
    assert "Each fraction is a separate attendance." in log.submissions_label.text()


def test_a_save_can_be_undone_and_redone(qtbot, cases: CaseStudiesTab, errors) -> None:
    select(cases, "Sharing the risk of bariatric")
    study = cases.current_id
    original = cases.editors["title"].text()
    cases.editors["title"].setText("Sharing bariatric over-performance risk")
    assert cases.save() is True
    cases.table.setFocus()
    qtbot.keyClick(cases.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert cases.current_id == study and cases.editors["title"].text() == original
    cases.undo_stack.redo()
    assert cases.editors["title"].text() == "Sharing bariatric over-performance risk"
    qtbot.keyClick(cases, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    cases.editors["title"].setText("Short-lived")
    assert cases.save() is True and cases.proxy.rowCount() == 14
    cases.undo_stack.undo()
    assert cases.proxy.rowCount() == 13 and errors == []


def test_a_document_attached_to_a_dispute_is_kept_and_searched(
    qtbot, log: DisputesTab, errors, tmp_path: Path
) -> None:
    select(log, "DSP-2026-002")
    paper = tmp_path / "cot-audit.txt"
    paper.write_text("Audit of step-down cot staffing ratios by shift.", encoding="utf-8")
    assert log.attach_file(str(paper)) is True
    assert "cot-audit.txt" in log.documents_label.text() and "intact" in log.documents_label.text()
    log.search_edit.setText("staffing ratios")
    assert [h.title[:15] for h in log.results.hits] == ["DSP-2026-002-DM"]
    bad = tmp_path / "letter.txt"
    bad.write_text("Re: baby born on 3 April 2026 at the unit.", encoding="utf-8")
    assert log.attach_file(str(bad)) is False
    assert "date of birth" in errors[0]


# Confirming a number as not an NHS number, wherever the guard refuses it -----------------

INVOICE = "9434765919"  # passes the modulus 11 check, as an invoice number may


def confirmed_record_types(database) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import NotAnNhsNumber

    with database.session() as session:
        return set(
            session.scalars(
                select(NotAnNhsNumber.record_type).where(NotAnNhsNumber.digits == INVOICE)
            )
        )


def test_a_number_is_confirmed_in_every_narrative_field_of_the_dispute_screens(
    qtbot, log: DisputesTab, errors, tmp_path: Path
) -> None:
    """Every narrative column the dispute screens write, whatever its record: the guard
    refuses the number, the user says why it is not an NHS number, and it is saved."""
    from app.models.identifiable import narrative_columns
    from app.ui.raise_dispute_dialog import RaiseDisputeDialog

    asked: list[tuple[str, str]] = []
    log.ask = lambda _parent, refusal: (
        asked.append((refusal.record_type, refusal.field)) or "Trust invoice number"
    )
    text = f"Invoice {INVOICE} was queried."
    select(log, "DSP-2026-001")
    log.stage_notes.setPlainText(text)
    assert log.end_stage(False) is True
    log.panel_name.setText("Ann Vale")
    log.panel_organisation.setCurrentIndex(log.panel_organisation.findData("DMLSCG"))
    log.panel_interests.setText(f"Approved {text}")
    assert log.add_panel_member() is True
    log.submission_side.setCurrentIndex(0)
    log.submission_text.setPlainText(text)
    assert log.record_submission() is True
    log.decision_question.setText(f"Is {text}")
    log.decision_upheld.setCurrentIndex(log.decision_upheld.findData("other"))
    log.decision_text.setText(f"Pay {text}")
    assert log.record_decision() is True
    log.action_text.setText(f"Reissue {text}")
    log.action_owner.setText("Finance")
    assert log.add_action() is True
    paper = tmp_path / "letter.txt"
    paper.write_text(text, encoding="utf-8")
    assert log.attach_file(str(paper)) is True
    log.learning_edit.setPlainText(text)
    assert log.save() is True
    with log.context.database.session() as session:
        from app.services.disputes import organisation_choices

        choices = organisation_choices(session)
    dialog = RaiseDisputeDialog(choices, AS_OF, log)
    qtbot.addWidget(dialog)
    dialog.title.setText("Invoices paid twice")
    dialog.value.setText("5000")
    dialog.issue.setPlainText(text)
    dialog.parties[0][0].setCurrentIndex(dialog.parties[0][0].findData("5A1"))
    dialog.parties[1][0].setCurrentIndex(dialog.parties[1][0].findData("RY8"))
    dialog.parties[1][1].setText(text)
    assert log.submit_new_dispute(dialog) is True
    assert errors == []
    written = {
        "dispute_stage.notes",
        "panel_member.interests",
        "dispute_party.submission",
        "dispute_party.position",
        "dispute_issue.question",
        "dispute_issue.decision",
        "dispute_action.description",
        "log_document.text",
        "dispute.learning",
        "dispute.issue",
    }
    assert {f"{record}.{field}" for record, field in asked} == written
    assert confirmed_record_types(log.context.database) == {w.split(".")[0] for w in written}
    # Every narrative column of a dispute is written from the screens, but the binding
    # statement (the product's own words) and the outcome (the same editor as the learning).
    dispute_tables = {
        "dispute",
        "dispute_party",
        "dispute_stage",
        "panel_member",
        "dispute_issue",
        "dispute_action",
        "log_document",
    }
    columns = {f"{c.table.name}.{c.name}" for c in narrative_columns()}
    left = {c for c in columns if c.split(".")[0] in dispute_tables} - written
    assert left == {"dispute.binding_statement", "dispute.outcome"}


def test_a_number_in_an_outcome_or_a_document_of_a_case_study_is_confirmed(
    qtbot, cases: CaseStudiesTab, errors, tmp_path: Path
) -> None:
    asked: list[str] = []
    cases.ask = lambda _parent, refusal: asked.append(refusal.record_type) or "Order number"
    select(cases, "Sharing the risk of bariatric")
    cases._add_outcome_row(None)
    row = cases.outcome_table.rowCount() - 1
    cases.outcome_table.item(row, 0).setText(f"Savings on order {INVOICE}")
    cases.outcome_table.item(row, 1).setText("12000")
    assert cases.save() is True and errors == []
    paper = tmp_path / "order.txt"
    paper.write_text(f"Order {INVOICE}", encoding="utf-8")
    assert cases.attach_file(str(paper)) is True
    assert "order.txt" in cases.documents_label.text()
    assert asked == ["case_study_outcome", "log_document"]
    assert confirmed_record_types(cases.context.database) == {
        "case_study_outcome",
        "log_document",
    }


def test_a_refused_outcome_is_selected_in_the_table(qtbot, cases: CaseStudiesTab, errors) -> None:
    select(cases, "Sharing the risk of bariatric")
    cases._add_outcome_row(None)
    row = cases.outcome_table.rowCount() - 1
    cases.outcome_table.item(row, 0).setText(f"Patient {INVOICE} waited")
    assert cases.save() is False  # the fixture's ask declines
    assert "case study outcome" in errors[0].lower()
    assert cases.outcome_table.currentRow() == row


# Undo and redo of the dispute actions ------------------------------------------------------


def stage_results(log: DisputesTab) -> list[tuple[str, str]]:
    return [
        (log.stages_model.row_at(r).stage, log.stages_model.row_at(r).result)
        for r in range(log.stages_model.rowCount())
    ]


def test_ending_a_stage_and_escalating_are_undone_and_redone(
    qtbot, log: DisputesTab, errors
) -> None:
    select(log, "DSP-2026-001")
    start = stage_results(log)
    log.stage_notes.setPlainText("Facilitation was not possible.")
    assert log.end_stage(False) is True
    ended = stage_results(log)
    assert ended[-1][1] == "Not agreed"
    assert log.escalate() is True
    escalated = stage_results(log)
    assert escalated[-1][0] == "Arbitration panel"
    log.table.setFocus()
    qtbot.keyClick(log.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stage_results(log) == ended
    assert log.undo_stack.undoText() == "End the stage"
    log.undo_stack.undo()
    assert stage_results(log) == start
    assert "Stage: <b>Facilitated meeting</b>" in log.summary_label.text()
    log.undo_stack.redo()
    log.undo_stack.redo()
    assert stage_results(log) == escalated
    assert "Stage: <b>Arbitration panel</b>" in log.summary_label.text()
    assert errors == []


def test_decisions_actions_panel_and_closing_are_undone_and_redone(
    qtbot, log: DisputesTab, errors
) -> None:
    select(log, "DSP-2025-001")
    log.decision_question.setText("Are bed days beyond five chargeable?")
    log.decision_upheld.setCurrentIndex(log.decision_upheld.findData("provider"))
    assert log.record_decision() is True
    log.action_text.setText("Credit note for bed days")
    log.action_owner.setText("Trust finance")
    assert log.add_action() is True
    log.actions_table.selectRow(0)
    assert log.complete_action() is True
    log.panel_name.setText("Ravi Moss")
    log.panel_organisation.setCurrentIndex(log.panel_organisation.findData("DMLSCG"))
    assert log.add_panel_member() is True
    log.learning_edit.setPlainText("Price critical care days in the schedule.")
    assert log.close_dispute() is True
    assert log.close_button.isEnabled() is False
    names = [log.undo_stack.text(i) for i in range(log.undo_stack.count())]
    assert names == [
        "Record a decision",
        "Add an action",
        "Mark the action done",
        "Add Ravi Moss to the panel",
        "Close the dispute",
    ]
    log.undo_stack.undo()
    assert log.close_button.isEnabled() is True and log.learning_edit.toPlainText() == ""
    log.undo_stack.undo()
    assert log.panel_model.rowCount() == 3
    log.undo_stack.undo()
    assert log.actions_model.row_at(0).done_on is None
    log.undo_stack.undo()
    assert log.actions_model.rowCount() == 0
    log.undo_stack.undo()
    assert log.decisions_model.rowCount() == 0 and log.binding_label.text() == ""
    for _ in names:
        log.undo_stack.redo()
    assert log.decisions_model.rowCount() == 1 and "binding" in log.binding_label.text()
    assert log.actions_model.row_at(0).done_on == AS_OF
    assert log.panel_model.rowCount() == 4
    assert log.close_button.isEnabled() is False
    assert log.learning_edit.toPlainText() == "Price critical care days in the schedule."
    assert errors == []


def test_raising_a_dispute_is_undone_and_redone(qtbot, log: DisputesTab, errors) -> None:
    from app.ui.raise_dispute_dialog import RaiseDisputeDialog

    count = log.model.rowCount()
    with log.context.database.session() as session:
        from app.services.disputes import organisation_choices

        choices = organisation_choices(session)
    dialog = RaiseDisputeDialog(choices, AS_OF, log)
    qtbot.addWidget(dialog)
    dialog.title.setText("Radiotherapy fractions counted twice")
    dialog.value.setText("120500")
    dialog.parties[0][0].setCurrentIndex(dialog.parties[0][0].findData("5A1"))
    dialog.parties[1][0].setCurrentIndex(dialog.parties[1][0].findData("RY8"))
    assert log.submit_new_dispute(dialog) is True
    raised = log.current_id
    assert log.model.rowCount() == count + 1
    log.undo_stack.undo()
    assert log.model.rowCount() == count and raised not in {r.id for r in log.model.rows()}
    log.search_edit.setText("Radiotherapy fractions")
    assert log.results.hits == []
    log.undo_stack.redo()
    assert log.model.rowCount() == count + 1 and log.current_id == raised
    log.run_search()
    assert [h.id for h in log.results.hits] == [raised]
    assert errors == []


# The search's filters, as on the command line ----------------------------------------------


def cli_search(capsys, database, text: str, *options: str) -> list[str]:  # type: ignore[no-untyped-def]
    import json

    from app.cli import main

    address = str(database.path) if database.path else database.url.render_as_string(False)
    assert main(["search", text, "--json", "--limit", "50", "--db", address, *options]) == 0
    return [hit["id"] for hit in json.loads(capsys.readouterr().out)]


def test_the_search_offers_every_filter_of_the_command_line(
    qtbot, log: DisputesTab, cases: CaseStudiesTab
) -> None:
    from dataclasses import fields

    from app.cli import build_parser
    from app.services.log_search import SearchFilters

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command" or a.choices)
    search = commands.choices["search"]  # type: ignore[index]
    cli_filters = {a.dest for a in search._actions} & {f.name for f in fields(SearchFilters)}
    assert cli_filters == {f.name for f in fields(SearchFilters)}
    # Each filter of the command line is set from the screen (kind by the tab).
    bar = log.search_filters
    assert bar.topic is not None and bar.status is not None
    bar.topic.setCurrentIndex(bar.topic.findData("Between commissioners in a consortium"))
    bar.party.setText("Fellside")
    bar.service.setText("22c")
    bar.year.setCurrentIndex(bar.year.findData(2025))
    bar.status.setCurrentIndex(bar.status.findData("open"))
    assert log.search_filters.filters() == SearchFilters(
        kind="dispute",
        topic="Between commissioners in a consortium",
        party="Fellside",
        service="22c",
        year=2025,
        status="open",
    )
    cases.search_filters.party.setText("Northern")
    cases.search_filters.service.setText("22c")
    cases.search_filters.year.setCurrentIndex(cases.search_filters.year.findData(2004))
    cases.status_filter.setCurrentIndex(cases.status_filter.findData("published"))
    cases.topic_filter.setCurrentIndex(cases.topic_filter.findData("Service Review"))
    assert cases.search_filters.filters(
        topic=cases.topic_filter.currentData(), status=cases.status_filter.currentData()
    ) == SearchFilters(
        kind="case study",
        topic="Service Review",
        party="Northern",
        service="22c",
        year=2004,
        status="published",
    )


def test_the_screen_and_the_command_line_find_the_same_records(
    qtbot, log: DisputesTab, cases: CaseStudiesTab, capsys
) -> None:
    database = log.context.database
    log.search_edit.setText("trust")
    everything = [str(h.id) for h in log.results.hits]
    assert len(everything) > 2
    log.search_filters.party.setText("Wessex Vale")
    log.search_filters.year.setCurrentIndex(log.search_filters.year.findData(2025))
    found = [str(h.id) for h in log.results.hits]
    assert len(found) == 2 and set(found) < set(everything)
    assert found == cli_search(
        capsys, database, "trust", "--kind", "dispute", "--party", "Wessex Vale", "--year", "2025"
    )
    log.search_filters.status.setCurrentIndex(log.search_filters.status.findData("closed"))
    closed = [str(h.id) for h in log.results.hits]
    assert len(closed) == 1 and closed[0] in found
    log.search_filters.service.setText("19")
    assert log.results.hits == []
    cases.search_edit.setText("services")
    cases.search_filters.service.setText("22c")
    found = [str(h.id) for h in cases.results.hits]
    assert found and found == cli_search(
        capsys, database, "services", "--kind", "case study", "--service", "22c"
    )
    cases.search_filters.year.setCurrentIndex(cases.search_filters.year.findData(1990))
    assert cases.results.hits == []
