"""The Definitions Set dialogs: editions compared, the work programme and cost pressures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QMessageBox,
    QWidget,
)

from app.models import FinancialYear
from app.services import definitions, editions, planning
from app.settings import Settings
from app.store.database import Database
from app.ui.context import UiContext
from app.ui.nds_dialogs import (
    AMBER,
    GREEN,
    RED,
    CompareEditionsDialog,
    CostPressuresDialog,
    WorkProgrammeDialog,
    _tint,
)

YEAR = FinancialYear(2026)
KEYS = [key for key, _ in planning.impact_categories()]
HEADINGS = [key for key, _ in planning.pressure_headings()]


def _context(database: Database, tmp_path: Path) -> UiContext:
    return UiContext(database, Settings(), tmp_path / "log", date(2026, 11, 24))


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are the edge of the application: record what they would have said."""
    said: list[str] = []

    def warning(_parent: QWidget, _title: str, text: str, *_args: object) -> int:
        said.append(text)
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return said


def _open(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.raise_()
    if QApplication.activeWindow() is not dialog:
        # The offscreen platform does not always hand activation over from a window closed
        # by an earlier test; keyboard shortcuts need the dialog to be the active window.
        QApplication.setActiveWindow(dialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def _column(dialog: QDialog, header: str) -> int:
    model = dialog.proxy
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return titles.index(header)


def _rows(dialog: QDialog) -> list[dict[str, str]]:
    """The table as shown, one dict per row by header."""
    table = dialog.table.current_table()
    return [
        {
            header: "" if cell is None else str(cell)
            for header, cell in zip(table.headers, row, strict=True)
        }
        for row in table.rows
    ]


def _click_row(qtbot, dialog: QDialog, column: str, text: str) -> None:
    proxy = dialog.proxy
    number = _column(dialog, column)
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, number).data() == text)
    index = proxy.index(row, 1)
    dialog.table.scrollTo(index)
    rect = dialog.table.visualRect(index)
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -- comparing editions ------------------------------------------------------------------------


@pytest.fixture
def changed_edition(database: Database) -> Database:
    """Edition 2026, a copy of 2002 with one service renumbered and one added."""
    with database.session() as session:
        editions.create_edition(session, "2026")
        editions.renumber_service(session, "2026", "22e", "22x")
        editions.add_service(session, "2026", "37", "Specialised proton beam therapy", "all ages")
    return database


def _background(dialog: CompareEditionsDialog, change: str) -> QColor:
    row = next(
        r for r in range(dialog.proxy.rowCount()) if dialog.proxy.index(r, 3).data() == change
    )
    return dialog.proxy.index(row, 5).data(Qt.ItemDataRole.BackgroundRole)


def test_the_comparison_highlights_additions_removals_and_changes(
    qtbot, changed_edition: Database, tmp_path: Path
) -> None:
    dialog = _open(qtbot, CompareEditionsDialog(_context(changed_edition, tmp_path)))
    assert (dialog.edition_a.currentText(), dialog.edition_b.currentText()) == ("2002", "2026")
    rows = _rows(dialog)
    assert {(r["No. in 2002"], r["No. in 2026"], r["Change"], r["Field"]) for r in rows} == {
        ("22e", "22x", "Changed", "Number"),
        ("", "37", "Added", ""),
    }
    assert dialog.count_label.text() == "2 differences"
    assert _background(dialog, "Added") == _tint(GREEN)
    assert _background(dialog, "Changed") == _tint(AMBER)
    changed = next(r for r in rows if r["Change"] == "Changed")
    assert (changed["In 2002"], changed["In 2026"]) == ("22e", "22x")

    dialog.edition_a.setCurrentText("2026")
    dialog.edition_b.setCurrentText("2002")
    removed = next(r for r in _rows(dialog) if r["Change"] == "Removed")
    assert (removed["No. in 2026"], removed["In 2026"]) == ("37", "Specialised proton beam therapy")
    assert _background(dialog, "Removed") == _tint(RED)


def test_the_comparison_is_exported_under_its_title(
    qtbot, changed_edition: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _open(qtbot, CompareEditionsDialog(_context(changed_edition, tmp_path)))
    assert dialog.table.title() == "Edition 2002 compared with 2026"
    out = tmp_path / "comparison.csv"
    monkeypatch.setattr(dialog.table, "_ask_save_path", lambda *_args: str(out))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    text = out.read_text(encoding="utf-8-sig")
    assert "No. in 2002" in text and "22x" in text and "Specialised proton beam therapy" in text


def test_one_edition_is_compared_with_itself_until_a_new_one_is_made(
    qtbot, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warnings
) -> None:
    dialog = _open(qtbot, CompareEditionsDialog(_context(database, tmp_path)))
    assert (dialog.edition_a.currentText(), dialog.edition_b.currentText()) == ("2002", "2002")
    assert dialog.count_label.text() == "The same edition is on both sides"

    monkeypatch.setattr(dialog, "_ask_label", lambda: "2027")
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert [dialog.edition_b.itemText(i) for i in range(dialog.edition_b.count())] == [
        "2002",
        "2027",
    ]
    assert (dialog.edition_a.currentText(), dialog.edition_b.currentText()) == ("2002", "2027")
    assert dialog.count_label.text() == "No differences: the editions are the same"
    with database.session() as session:
        assert definitions.edition_labels(session) == ["2002", "2027"]

    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert warnings == ["There is already an edition labelled '2027'"]


# -- the work programme ------------------------------------------------------------------------


def _line(database: Database, code: str):
    with database.session() as session:
        return next(r.id for r in definitions.list_services(session) if r.code == code)


def test_the_work_programme_is_saved_from_the_form_and_read_back(
    qtbot, database: Database, tmp_path: Path
) -> None:
    dialog = _open(qtbot, WorkProgrammeDialog(_context(database, tmp_path)))
    assert dialog.year_choice.currentText() == "2026/27"
    assert dialog.proxy.rowCount() == 35
    assert dialog.editor.isEnabled() is False

    _click_row(qtbot, dialog, "No.", "14")
    assert dialog.editor.isEnabled()
    dialog.category_choice.setFocus()
    qtbot.keyClick(dialog.category_choice, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.category_choice, Qt.Key.Key_Down)
    assert dialog.category_choice.currentText() == "2. Service Review"
    qtbot.mouseClick(dialog.criteria_checks[0], Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    fourth = next(
        w
        for w in dialog.editor.findChildren(QWidget)
        if getattr(w, "check", None) is dialog.criteria_checks[3]
    )
    qtbot.mouseClick(fourth, Qt.MouseButton.LeftButton)  # a click on the text ticks it too
    qtbot.keyClicks(dialog.notes_edit, "Designation lapses in 2027")
    qtbot.keyClick(dialog.notes_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    with database.session() as session:
        row = planning.work_programme(session, YEAR)[_line(database, "14")]
    assert (row.category, row.criteria, row.notes) == (
        "Service Review",
        "1,4",
        "Designation lapses in 2027",
    )
    shown = next(r for r in _rows(dialog) if r["No."] == "14")
    assert (shown["Focus"], shown["Criteria"]) == ("Service Review", "1, 4")
    assert "Service Review: 1" in dialog.counts_label.text()
    assert "Not chosen: 34" in dialog.counts_label.text()

    again = _open(qtbot, WorkProgrammeDialog(_context(database, tmp_path)))
    _click_row(qtbot, again, "No.", "14")
    assert again.category_choice.currentText() == "2. Service Review"
    assert [c.isChecked() for c in again.criteria_checks] == [
        True,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert again.notes_edit.toPlainText() == "Designation lapses in 2027"
    again.year_choice.setCurrentText("2027/28")
    assert again.category_choice.currentText() == "(not chosen)"  # each year is its own


def test_a_focus_needs_a_category(qtbot, database: Database, tmp_path: Path, warnings) -> None:
    dialog = _open(qtbot, WorkProgrammeDialog(_context(database, tmp_path)))
    _click_row(qtbot, dialog, "No.", "3")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert warnings == ["Focus: choose one of the four categories."]
    with database.session() as session:
        assert planning.work_programme(session, YEAR) == {}


def test_sub_lines_can_be_shown_too(qtbot, database: Database, tmp_path: Path) -> None:
    dialog = _open(qtbot, WorkProgrammeDialog(_context(database, tmp_path)))
    qtbot.mouseClick(dialog.sub_lines_check, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    assert dialog.proxy.rowCount() == 81


# -- cost pressures ----------------------------------------------------------------------------


def _enter(qtbot, dialog: CostPressuresDialog, title: str, heading: str, levels: str) -> None:
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.title_edit, title)
    dialog.heading_choice.setCurrentIndex(dialog.heading_choice.findData(heading))
    dialog.amount_edit.lineEdit().selectAll()
    qtbot.keyClicks(dialog.amount_edit, "250000")
    for key, level in zip(KEYS, levels, strict=True):
        combo = dialog.level_choices[key]
        combo.setCurrentIndex(combo.findData(level))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def test_a_cost_pressure_entered_in_the_form_is_ranked_with_its_arithmetic(
    qtbot, database: Database, tmp_path: Path
) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(database, tmp_path)))
    _enter(qtbot, dialog, "New PET-CT", HEADINGS[0], "ABABABAB")
    assert dialog.preview_label.text() == "Total: 1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 = 12.00"
    _enter(qtbot, dialog, "Growth in HIV drugs", HEADINGS[3], "DDDDDDDD")

    rows = _rows(dialog)
    assert [(r["Rank"], r["Cost pressure"], r["Total"]) for r in rows] == [
        ("1", "Growth in HIV drugs", "32.00"),
        ("2", "New PET-CT", "12.00"),
    ]
    assert rows[1]["Arithmetic"] == "1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 = 12.00"
    assert rows[1]["Levels"] == "ABABABAB"
    assert dialog.proxy.index(0, _column(dialog, "Total")).data() == "32"
    assert dialog.proxy.index(0, _column(dialog, "Amount")).data() == "£250,000"
    assert dialog.count_label.text() == "2 cost pressures"
    # The pressure just saved stays chosen, its arithmetic spelt out under the table.
    assert "Growth in HIV drugs" in dialog.working_label.text()
    assert "4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 = 32.00" in dialog.working_label.text()

    _click_row(qtbot, dialog, "Cost pressure", "New PET-CT")
    assert dialog.title_edit.text() == "New PET-CT"
    assert "1 + 2 + 1 + 2" in dialog.working_label.text()
    dialog.title_edit.selectAll()
    qtbot.keyClicks(dialog.title_edit, "PET-CT in Oxford")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    with database.session() as session:
        ranked = planning.ranked_pressures(session, YEAR)
    assert [p.title for p in ranked] == ["Growth in HIV drugs", "PET-CT in Oxford"]
    assert ranked[0].amount == Decimal("250000.00")


def test_the_grouped_view_puts_pressures_under_the_five_headings(
    qtbot, database: Database, tmp_path: Path
) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(database, tmp_path)))
    _enter(qtbot, dialog, "New PET-CT", HEADINGS[0], "ABABABAB")
    _enter(qtbot, dialog, "More PET-CT", HEADINGS[0], "DDDDDDDD")
    qtbot.mouseClick(dialog.grouped_check, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    assert dialog.views.currentWidget() is dialog.tree
    assert dialog.tree.topLevelItemCount() == 5
    first = dialog.tree.topLevelItem(0)
    assert first.text(0).startswith("Developments part funded the previous year: 2 cost")
    assert [first.child(i).text(0) for i in range(2)] == ["More PET-CT", "New PET-CT"]
    assert first.child(1).text(5) == "1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 = 12.00"
    dialog.tree.setCurrentItem(first.child(1))
    assert dialog.title_edit.text() == "New PET-CT"


def test_a_refused_cost_pressure_names_its_fields(
    qtbot, database: Database, tmp_path: Path, warnings
) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(database, tmp_path)))
    dialog.level_choices["legal"].setCurrentIndex(1)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    lines = warnings[0].splitlines()
    assert lines[:2] == [
        "Title: a cost pressure needs a title",
        "Heading: '' is not one of the five headings",
    ]
    assert "Media impact: choose a level A, B, C or D" in lines
    assert dialog.title_edit.hasFocus()
    with database.session() as session:
        assert planning.ranked_pressures(session, YEAR) == []


@pytest.fixture
def two_pressures(database: Database) -> Database:
    with database.session() as session:
        planning.save_cost_pressure(
            session, YEAR, "Legal challenge", HEADINGS[2], dict(zip(KEYS, "DAAAAAAA", strict=True))
        )
        planning.save_cost_pressure(
            session, YEAR, "Press interest", HEADINGS[2], dict(zip(KEYS, "ADDAAAAA", strict=True))
        )
    return database


def test_changing_a_weight_re_ranks(qtbot, two_pressures: Database, tmp_path: Path) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(two_pressures, tmp_path)))
    assert [r["Cost pressure"] for r in _rows(dialog)] == ["Press interest", "Legal challenge"]
    assert dialog.weight_edits["legal"].value() == 1
    dialog.weight_edits["legal"].lineEdit().selectAll()
    qtbot.keyClicks(dialog.weight_edits["legal"], "10")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    rows = _rows(dialog)
    assert [(r["Cost pressure"], r["Total"]) for r in rows] == [
        ("Legal challenge", "22.12"),
        ("Press interest", "10.82"),
    ]
    assert (
        rows[0]["Arithmetic"] == "8 × (10×4 + 1×1 + 1×1 + 1×1 + 1×1 + 1×1 + 1×1 + 1×1) ÷ 17 = 22.12"
    )
    with two_pressures.session() as session:
        assert planning.weights(session)["legal"] == Decimal(10)


def test_a_scoring_highest_flips_the_totals(qtbot, two_pressures: Database, tmp_path: Path) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(two_pressures, tmp_path)))
    assert dialog.a_highest_check.isChecked() is False
    assert dialog.level_choices["legal"].itemText(1) == "A (scores 1)"
    qtbot.mouseClick(dialog.a_highest_check, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    assert [(r["Cost pressure"], r["Total"]) for r in _rows(dialog)] == [
        ("Legal challenge", "29.00"),
        ("Press interest", "26.00"),
    ]
    assert dialog.level_choices["legal"].itemText(1) == "A (scores 4)"
    assert "Levels score A = 4, B = 3, C = 2, D = 1" in dialog.working_label.text()
    with two_pressures.session() as session:
        assert planning.a_scores_highest(session) is True


def test_weights_cannot_all_be_zero(
    qtbot, two_pressures: Database, tmp_path: Path, warnings
) -> None:
    dialog = _open(qtbot, CostPressuresDialog(_context(two_pressures, tmp_path)))
    for spin in dialog.weight_edits.values():
        spin.setValue(0)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert warnings == ["Weights: at least one impact category must carry some weight."]
    with two_pressures.session() as session:
        assert set(planning.weights(session).values()) == {Decimal(1)}


# -- every dialog ------------------------------------------------------------------------------

DIALOGS = [CompareEditionsDialog, WorkProgrammeDialog, CostPressuresDialog]


@pytest.fixture(params=DIALOGS, ids=lambda kind: kind.__name__)
def any_dialog(request, qtbot, demo_database: Database, tmp_path: Path) -> Iterator[QDialog]:
    dialog = _open(qtbot, request.param(_context(demo_database, tmp_path)))
    if dialog.table.model().rowCount():
        dialog.table.selectRow(0)  # so the work programme's editor is enabled
    yield dialog


def _focusable(dialog: QDialog) -> list[QWidget]:
    return [
        widget
        for widget in dialog.findChildren(QWidget)
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus
        and widget.window() is dialog
        and widget.isVisibleTo(dialog)
        and not isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox)
    ]


def test_every_focusable_widget_has_an_accessible_name(any_dialog: QDialog) -> None:
    widgets = _focusable(any_dialog)
    assert len(widgets) > 3
    assert [w for w in widgets if not w.accessibleName()] == []
    assert any_dialog.accessibleName()


def test_everything_is_reachable_by_tab(qtbot, any_dialog: QDialog) -> None:
    wanted = {
        w
        for w in _focusable(any_dialog)
        if w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
    }
    assert any_dialog.table in wanted
    first = any_dialog.year_choice if hasattr(any_dialog, "year_choice") else any_dialog.edition_a
    first.setFocus()
    reached = set()
    for _ in range(3 * len(wanted)):
        focused = QApplication.focusWidget()
        reached.add(focused)
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    assert wanted - reached == set()


def test_escape_closes(qtbot, any_dialog: QDialog) -> None:
    any_dialog.table.setFocus()
    qtbot.keyClick(any_dialog.table, Qt.Key.Key_Escape)
    assert not any_dialog.isVisible()


def test_the_models_pass_qt_model_tester(
    qtmodeltester, qtbot, changed_edition: Database, tmp_path: Path
) -> None:
    context = _context(changed_edition, tmp_path)
    with changed_edition.session() as session:
        planning.save_cost_pressure(
            session, YEAR, "Growth", HEADINGS[3], dict.fromkeys(KEYS, "C"), Decimal(5)
        )
        planning.set_work_programme(session, YEAR, _line(changed_edition, "14"), 1, [2])
    for kind in DIALOGS:
        dialog = kind(context)
        qtbot.addWidget(dialog)
        assert dialog.model.rowCount() > 0
        qtmodeltester.check(dialog.model)
        qtmodeltester.check(dialog.proxy)
