"""The definition editor beside the list: validated as typed, saved as one action, undoable."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt

from app.services import definition_editing, service_codes
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
