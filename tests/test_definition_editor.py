"""The definition editor beside the list: validated as typed, saved as one action, undoable."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from app.models import (
    CommissioningResponsibility,
    Designation,
    DesignationCriterion,
    ServiceReview,
)
from app.services import definition_editing, designations, responsibilities, service_codes
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.definitions_tab import DefinitionsTab


@pytest.fixture
def tab(qtbot, database, tmp_path) -> DefinitionsTab:
    context = UiContext(database, Settings(), tmp_path / "log", date(2026, 11, 24))
    widget = DefinitionsTab(context)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    return widget


@pytest.fixture
def demo_tab(qtbot, demo_database, tmp_path) -> DefinitionsTab:
    context = UiContext(demo_database, Settings(), tmp_path / "log", date(2026, 11, 24))
    widget = DefinitionsTab(context)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    return widget


def _select(tab: DefinitionsTab, code: str) -> None:
    for number in range(tab.model.rowCount()):
        if tab.model.row_at(number).code == code:
            tab.select_line(tab.model.row_at(number).id)
            return
    raise AssertionError(code)


def _stored(tab: DefinitionsTab, code: str) -> definition_editing.DefinitionDetail:
    with tab.context.database.session() as session:
        line = next(r.id for r in tab.model.rows() if r.code == code)
        return definition_editing.get_definition(session, line)


def test_selecting_a_service_shows_its_definition(tab: DefinitionsTab) -> None:
    _select(tab, "10")
    editor = tab.editor
    assert editor.isEnabled()
    assert editor.name_edit.text() == "Cystic fibrosis services"
    assert "10" in editor.heading_label.text()
    assert not editor.save_button.isEnabled()


def test_an_edit_is_saved_as_one_action_and_undone_with_ctrl_z(qtbot, tab: DefinitionsTab) -> None:
    _select(tab, "10")
    editor = tab.editor
    editor.text_edits["population_served"].setPlainText("All ages with cystic fibrosis")
    editor.currency_choice.setCurrentIndex(editor.currency_choice.findData("treatment_for_a_year"))
    assert editor.definition_message.text() == "2 unsaved change(s)"
    tab.activateWindow()
    editor.name_edit.setFocus()
    qtbot.waitUntil(editor.name_edit.hasFocus)
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    stored = _stored(tab, "10")
    assert stored.population_served == "All ages with cystic fibrosis"
    assert stored.currency == "treatment_for_a_year"
    assert tab.undo_stack.count() == 1 and tab.undo_action.isEnabled()

    tab.table.setFocus()
    qtbot.waitUntil(tab.table.hasFocus)
    qtbot.keyClick(tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    stored = _stored(tab, "10")
    assert (stored.population_served, stored.currency) == ("", "")
    assert editor.text_edits["population_served"].toPlainText() == ""
    tab.redo_action.trigger()
    assert _stored(tab, "10").currency == "treatment_for_a_year"


def test_the_form_is_validated_as_typed(qtbot, tab: DefinitionsTab) -> None:
    _select(tab, "9")
    editor = tab.editor
    editor.name_edit.clear()
    assert not editor.save_button.isEnabled()
    assert "needs a name" in editor.definition_message.text()
    qtbot.keyClicks(editor.name_edit, "Burns")
    assert editor.save_button.isEnabled()
    editor.in_tariff.setChecked(True)
    assert not editor.exclusion_choice.isEnabled() and not editor.payment_choice.isEnabled()


def test_a_code_is_checked_as_typed_added_and_undone(qtbot, tab: DefinitionsTab) -> None:
    _select(tab, "1a")
    editor = tab.editor
    editor.setCurrentIndex(1)
    qtbot.keyClicks(editor.code_edit, "C3")
    assert not editor.add_code_button.isEnabled()
    assert "is not an ICD-10 code" in editor.code_message.text()
    qtbot.keyClicks(editor.code_edit, "4.1")
    assert editor.add_code_button.isEnabled()
    qtbot.keyClick(editor.code_edit, Qt.Key.Key_Return)
    assert [r.code for r in editor.codes_model.rows()] == ["C34.1"]
    tab.undo_action.trigger()
    with tab.context.database.session() as session:
        assert service_codes.codes_of(session, "1a") == []
    assert editor.codes_model.rowCount() == 0
    tab.redo_action.trigger()
    assert [r.code for r in editor.codes_model.rows()] == ["C34.1"]


def test_a_designation_longer_than_five_years_cannot_be_entered(tab: DefinitionsTab) -> None:
    _select(tab, "9")
    editor = tab.editor
    editor.provider_code.setText("RX1")
    editor.starts_edit.setDate(QDate(2026, 4, 1))
    editor.ends_edit.setDate(QDate(2031, 4, 1))
    assert not editor.designate_button.isEnabled()
    assert "must end by 31 Mar 2031" in editor.designation_message.text()
    editor.ends_edit.setDate(QDate(2031, 3, 31))
    assert editor.designate_button.isEnabled()


def test_the_editor_models_pass_qt_model_tester(qtmodeltester, tab: DefinitionsTab) -> None:
    _select(tab, "1")
    for model in (
        tab.editor.codes_model,
        tab.editor.designations_model,
        tab.editor.reviews_model,
        tab.editor.commissioners_model,
    ):
        qtmodeltester.check(model)


def test_services_are_added_renumbered_and_retired_from_the_tab(
    tab: DefinitionsTab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    answers = iter([("37", True), ("Proton beam therapy", True), ("22x", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    _select(tab, "9")
    tab.add_service()
    assert any(r.code == "37" and r.name == "Proton beam therapy" for r in tab.model.rows())
    tab.filter_edit.clear()
    _select(tab, "22e")
    before = tab.selected_line()
    tab.renumber_service()
    assert tab.selected_line() == before
    assert next(r for r in tab.model.rows() if r.id == before).code == "22x"
    tab.retire_service()
    assert "retired" in next(r for r in tab.model.rows() if r.id == before).flags
    tab.retire_service()
    assert "retired" not in next(r for r in tab.model.rows() if r.id == before).flags


# Designations, reviews and who commissions: one action each, undone and redone exactly ----------

BOOKKEEPING = {"created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at"}


def _records(tab: DefinitionsTab) -> dict[str, list[tuple[object, ...]]]:
    """Every live designation, criterion, review and entry of responsibility, column by column
    (all but the bookkeeping that any change moves on)."""
    held = {}
    with tab.context.database.session() as session:
        for model in (
            Designation,
            DesignationCriterion,
            ServiceReview,
            CommissioningResponsibility,
        ):
            table = model.__table__
            columns = [c for c in table.columns if c.name not in BOOKKEEPING]
            rows = session.execute(select(*columns).where(table.c.deleted_at.is_(None))).all()
            held[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return held


def _line(tab: DefinitionsTab, code: str):  # type: ignore[no-untyped-def]
    return next(r.id for r in tab.model.rows() if r.code == code)


def test_designating_a_provider_is_undone_and_redone(qtbot, demo_tab: DefinitionsTab) -> None:
    tab = demo_tab
    _select(tab, "9")
    editor = tab.editor
    editor.setCurrentIndex(2)
    before = _records(tab)
    held = [r.provider_code for r in editor.designations_model.rows()]
    assert "RX5" not in held
    qtbot.keyClicks(editor.provider_code, "rx5")
    editor.starts_edit.setDate(QDate(2026, 4, 1))
    editor.ends_edit.setDate(QDate(2031, 3, 31))
    qtbot.mouseClick(editor.designate_button, Qt.MouseButton.LeftButton)
    after = _records(tab)
    assert len(after["designation"]) == len(before["designation"]) + 1
    assert len(after["designation_criterion"]) == len(before["designation_criterion"]) + 6
    assert sorted(r.provider_code for r in editor.designations_model.rows()) == sorted(
        [*held, "RX5"]
    )
    assert tab.undo_action.text() == "&Undo Designate RX5 for 9"

    tab.undo_action.trigger()
    assert _records(tab) == before
    assert [r.provider_code for r in editor.designations_model.rows()] == held
    assert (
        "Brackenford" not in next(r for r in tab.model.rows() if r.code == "9").designated_providers
    )
    tab.redo_action.trigger()
    assert _records(tab) == after
    assert "RX5" in [r.provider_code for r in editor.designations_model.rows()]
    assert "Brackenford" in next(r for r in tab.model.rows() if r.code == "9").designated_providers


def test_a_designation_is_withdrawn_from_the_form_and_that_is_undone(
    qtbot, demo_tab: DefinitionsTab
) -> None:
    tab = demo_tab
    _select(tab, "10")
    editor = tab.editor
    editor.setCurrentIndex(2)
    editor.designations_table.selectRow(0)
    chosen = editor.designations_model.row_at(0)
    # Selecting a designation shows it in the form.
    assert editor.provider_code.text() == chosen.provider_code
    assert editor.status_choice.currentText() == chosen.status
    assert editor.update_designation_button.isEnabled()
    before = _records(tab)
    editor.status_choice.setCurrentText("withdrawn")
    qtbot.mouseClick(editor.update_designation_button, Qt.MouseButton.LeftButton)
    with tab.context.database.reader() as session:
        rows = designations.designations_of(session, chosen.service_line_id, tab.context.today())
    assert next(r for r in rows if r.id == chosen.id).status == "withdrawn"
    assert tab.undo_action.text() == f"&Undo Change the designation of {chosen.provider_code}"
    tab.undo_action.trigger()
    assert _records(tab) == before
    tab.redo_action.trigger()
    with tab.context.database.reader() as session:
        rows = designations.designations_of(session, chosen.service_line_id, tab.context.today())
    assert next(r for r in rows if r.id == chosen.id).status == "withdrawn"
    # A date beyond the five-year limit cannot be saved.
    editor.designations_table.selectRow(0)
    editor.ends_edit.setDate(QDate(2040, 3, 31))
    assert not editor.update_designation_button.isEnabled()


def test_saving_designation_criteria_is_undone_and_redone(qtbot, demo_tab: DefinitionsTab) -> None:
    tab = demo_tab
    _select(tab, "10")
    editor = tab.editor
    editor.setCurrentIndex(2)
    editor.designations_table.selectRow(0)
    designation = editor.designations_model.row_at(0).id
    with tab.context.database.session() as session:
        criteria_before = designations.criteria_of(session, designation)
    before = _records(tab)
    editor.criterion_checks[0].setChecked(not criteria_before[0].met)
    editor.criterion_evidence[0].setText("Monthly returns since April")
    editor.criterion_evidence[5].setText("Audit against the national standards")
    qtbot.mouseClick(editor.save_criteria_button, Qt.MouseButton.LeftButton)
    after = _records(tab)
    with tab.context.database.session() as session:
        saved = designations.criteria_of(session, designation)
    assert saved[0].met is not criteria_before[0].met
    assert saved[0].evidence == "Monthly returns since April"
    assert tab.undo_stack.count() == 1

    tab.undo_action.trigger()
    assert _records(tab) == before
    # The designation stays selected and its form shows the criteria as they were.
    assert editor.designations_table.selectionModel().selectedRows()[0].row() == 0
    assert editor.criterion_evidence[0].text() == criteria_before[0].evidence
    assert editor.criterion_checks[0].isChecked() is criteria_before[0].met
    tab.redo_action.trigger()
    assert _records(tab) == after
    assert editor.criterion_evidence[5].text() == "Audit against the national standards"


def test_adding_and_editing_a_review_are_undone_and_redone(qtbot, demo_tab: DefinitionsTab) -> None:
    tab = demo_tab
    _select(tab, "4")
    editor = tab.editor
    editor.setCurrentIndex(3)
    original = _records(tab)
    editor.review_kind.setCurrentText("Initial Service Review")
    editor.review_status.setCurrentText("in progress")
    qtbot.keyClicks(editor.review_lead, "A. Lead")
    editor.review_started.setDate(QDate(2026, 10, 1))
    qtbot.mouseClick(editor.add_review_button, Qt.MouseButton.LeftButton)
    added = _records(tab)
    assert len(added["service_review"]) == len(original["service_review"]) + 1
    assert editor.review_message.text() == "Review added"
    # The new review is selected, so the form now edits it.
    assert editor.save_review_button.isEnabled()
    editor.review_status.setCurrentText("completed")
    assert not editor.save_review_button.isEnabled()  # a completed review needs its date
    assert "needs its date" in editor.review_message.text()
    editor.review_completed.setDate(QDate(2026, 11, 20))
    editor.review_findings.setText("Two centres meet the standards")
    qtbot.mouseClick(editor.save_review_button, Qt.MouseButton.LeftButton)
    edited = _records(tab)
    with tab.context.database.session() as session:
        (review,) = designations.reviews_of(session, _line(tab, "4"))
    assert (review.status, review.completed_on, review.findings, review.started_on) == (
        "completed",
        date(2026, 11, 20),
        "Two centres meet the standards",
        date(2026, 10, 1),
    )
    assert next(r for r in tab.model.rows() if r.code == "4").last_review == date(2026, 11, 20)

    tab.undo_action.trigger()
    assert _records(tab) == added
    assert editor.review_status.currentText() == "in progress"
    tab.undo_action.trigger()
    assert _records(tab) == original
    assert editor.reviews_model.rowCount() == 0
    tab.redo_action.trigger()
    assert _records(tab) == added
    tab.redo_action.trigger()
    assert _records(tab) == edited
    assert editor.reviews_model.row_at(0).findings == "Two centres meet the standards"


def test_a_review_shows_and_sets_the_decision_that_followed_it(
    qtbot, demo_tab: DefinitionsTab
) -> None:
    tab = demo_tab
    _select(tab, "28")
    editor = tab.editor
    editor.setCurrentIndex(3)
    with tab.context.database.session() as session:
        choices = designations.decision_choices(session)
    pooled = next(c for c in choices if "Pooled budget approach" in c.label)
    assert pooled.label == "09 Jul 2026 SCG 26/24: Pooled budget approach"
    # Every decision recorded in meetings is offered, latest first, after "no decision".
    offered = [editor.review_decision.itemText(i) for i in range(editor.review_decision.count())]
    assert offered == ["(none)"] + [c.label for c in choices]

    editor.reviews_table.selectRow(0)
    assert editor.review_decision.currentText() == "(none)"
    editor.review_decision.setCurrentIndex(editor.review_decision.findText(pooled.label))
    qtbot.mouseClick(editor.save_review_button, Qt.MouseButton.LeftButton)
    with tab.context.database.session() as session:
        (review,) = designations.reviews_of(session, _line(tab, "28"))
    assert review.decision_id == pooled.id and review.decision == pooled.label
    decision_column = next(
        n for n, c in enumerate(editor.reviews_model.columns) if c.attribute == "decision"
    )
    assert editor.reviews_model.index(0, decision_column).data() == pooled.label

    # Shown again when the review is selected afresh; cleared by choosing "(none)".
    editor.new_review()
    assert editor.review_decision.currentText() == "(none)"
    editor.reviews_table.selectRow(0)
    assert editor.review_decision.currentText() == pooled.label
    editor.review_decision.setCurrentIndex(0)
    qtbot.mouseClick(editor.save_review_button, Qt.MouseButton.LeftButton)
    with tab.context.database.session() as session:
        assert designations.reviews_of(session, _line(tab, "28"))[0].decision_id is None
    tab.undo_action.trigger()
    with tab.context.database.session() as session:
        assert designations.reviews_of(session, _line(tab, "28"))[0].decision_id == pooled.id
    assert editor.review_decision.currentText() == pooled.label


def test_a_change_of_responsibility_is_undone_and_redone(qtbot, demo_tab: DefinitionsTab) -> None:
    tab = demo_tab
    _select(tab, "9")
    editor = tab.editor
    editor.setCurrentIndex(4)
    before = _records(tab)
    previous_lead = next(r for r in tab.model.rows() if r.code == "9").lead_commissioner
    qtbot.keyClicks(editor.body_code, "dscg")
    qtbot.keyClicks(editor.lead_name, "New Lead")
    qtbot.keyClicks(editor.lead_contact, "new.lead@example.org")
    editor.responsibility_from.setDate(QDate(2026, 11, 1))
    qtbot.keyClicks(editor.change_reason, "Lead moved to the new network")
    qtbot.mouseClick(editor.change_button, Qt.MouseButton.LeftButton)
    after = _records(tab)
    assert [r.effective_to for r in editor.commissioners_model.rows()] == [None, date(2026, 10, 31)]
    assert next(r for r in tab.model.rows() if r.code == "9").lead_commissioner == "New Lead"

    tab.undo_action.trigger()
    assert _records(tab) == before
    assert [r.effective_to for r in editor.commissioners_model.rows()] == [None]
    assert next(r for r in tab.model.rows() if r.code == "9").lead_commissioner == previous_lead
    tab.redo_action.trigger()
    assert _records(tab) == after
    assert next(r for r in tab.model.rows() if r.code == "9").lead_commissioner == "New Lead"
    with tab.context.database.session() as session:
        assert responsibilities.history(session, _line(tab, "9"))[0].reason == (
            "Lead moved to the new network"
        )
