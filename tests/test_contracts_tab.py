"""The Contracts tab: monitoring filters and charts, drill-down, the returns import flow."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPlainTextEdit

from app.settings import Settings
from app.ui.context import UiContext
from app.ui.contracts_tab import ContractsTab
from app.ui.monitoring_model import PositionListRow
from app.ui.record_model import RecordTableModel
from tests.test_returns_import import plan_rows, write_csv


@pytest.fixture
def tab(qtbot, demo_database, tmp_path) -> ContractsTab:
    context = UiContext(demo_database, Settings(), tmp_path / "log", date(2026, 11, 24), True)
    widget = ContractsTab(context)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.monitoring.position is not None, timeout=20_000)
    return widget


def test_monitoring_opens_on_this_year_by_contract(tab: ContractsTab) -> None:
    page = tab.monitoring
    assert page.year_choice.currentText() == "2026/27"
    assert page.position.months_reported == 7
    labels = [page.model.row_at(r).label for r in range(page.model.rowCount())]
    assert "DSCG-2026-RX7" in labels
    assert "7 months of returns" in page.total_label.text()


def test_models_pass_the_model_tester(tab: ContractsTab, qtmodeltester) -> None:
    qtmodeltester.check(tab.monitoring.model)
    qtmodeltester.check(tab.contracts.model)


def test_a_filter_change_re_aggregates_off_the_gui_thread(qtbot, tab: ContractsTab) -> None:
    page = tab.monitoring
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.contract_choice.setCurrentIndex(page.contract_choice.findData("DSCG-2026-RX7"))
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.dimension_choice.setCurrentIndex(page.dimension_choice.findData("service_line"))
    rows = {page.model.row_at(r).id: page.model.row_at(r) for r in range(page.model.rowCount())}
    assert rows["35"].status == "over"
    assert rows["35"].variance_text.startswith("+")
    page.chart_choice.setCurrentIndex(page.chart_choice.findData("xmr"))
    assert page.chart.rules[0].name == "Mean"
    page.chart_choice.setCurrentIndex(page.chart_choice.findData("cumulative"))
    assert [s.name for s in page.chart.series] == ["Plan", "Forecast", "Actual"]


def test_drill_down_and_risk_sharing_from_a_selected_line(qtbot, tab: ContractsTab) -> None:
    page = tab.monitoring
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.contract_choice.setCurrentIndex(page.contract_choice.findData("DSCG-2026-RX7"))
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.dimension_choice.setCurrentIndex(page.dimension_choice.findData("service_line"))
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).id == "35")
    page.table.setCurrentIndex(page.model.index(row, 0))
    with qtbot.waitSignal(page.side_shown, timeout=20_000):
        page.drill_down()
    model = page.drill_dialog.findChild(RecordTableModel)
    assert model.rowCount() == 7 * 16  # seven months, sixteen PCTs
    page.drill_dialog.close()
    with qtbot.waitSignal(page.side_shown, timeout=20_000):
        page.explain_risk_sharing()
    assert page.risk_dialog.windowTitle() == "Risk sharing, service line 35"
    text = page.risk_dialog.findChild(QPlainTextEdit).toPlainText()
    assert "The commissioner pays" in text


def test_import_shows_problems_then_applies_without_the_bad_rows(
    qtbot, tab: ContractsTab, demo_database, tmp_path: Path
) -> None:
    rows = plan_rows(demo_database)[:4]
    rows[2][3] = "9Z9"
    path = write_csv(tmp_path / "returns.csv", rows)
    page = tab.returns
    page.set_file(path)
    page.run_check()
    qtbot.waitUntil(lambda: page.check is not None, timeout=20_000)
    problems = page.model.rows()
    assert [str(p) for p in problems] == [
        "returns.csv:4:Commissioner code: unknown commissioner '9Z9'"
    ]
    page.exclude_box.setChecked(True)
    with qtbot.waitSignal(page.finished, timeout=20_000) as blocker:
        page.run_apply()
    assert blocker.args[0].row_count == 3
    assert "1 rows left out" in page.status_label.text()


def test_a_file_edited_after_its_check_is_refused_on_apply(
    qtbot, tab: ContractsTab, demo_database, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "returns.csv", plan_rows(demo_database)[:4])
    page = tab.returns
    page.set_file(path)
    page.run_check()
    qtbot.waitUntil(lambda: page.check is not None, timeout=20_000)
    with path.open("a") as more:
        more.write(path.read_text().splitlines()[1] + "\n")  # the file edited meanwhile
    page.run_apply()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20_000)
    assert [str(p) for p in page.model.rows()] == [
        "returns.csv::: the file has changed since it was checked: check it again"
    ]
    assert page.status_label.text() == "The file was refused; nothing was applied."
    assert page.check_button.isEnabled()
    assert page.progress.value() < page.progress.minimum()  # no progress shown


def test_the_cancel_button_stops_the_worker_at_its_next_step(
    qtbot, tab: ContractsTab, demo_database, tmp_path
) -> None:
    page = tab.returns
    page.set_file(write_csv(tmp_path / "returns.csv", plan_rows(demo_database)))
    page.run_check()
    qtbot.waitUntil(lambda: page.check is not None, timeout=20_000)
    page.cancel_button.setEnabled(True)
    assert page._report_progress("writing", 0.5) is True
    page.cancel_button.click()
    # What the worker is told at its next step; the service then rolls everything back
    # (test_returns_import.test_cancel_leaves_the_data_as_it_was).
    assert page._report_progress("writing", 0.6) is False


def test_position_rows_write_percentages_for_people(tab: ContractsTab) -> None:
    row = tab.monitoring.model.row_at(0)
    assert isinstance(row, PositionListRow)
    assert row.margin_text == "±3.0%"


def test_the_tracker_page_follows_the_due_days_setting(tab: ContractsTab) -> None:
    page = tab.tracker
    assert page.year_choice.currentText() == "2026/27"
    row = next(
        page.model.row_at(r)
        for r in range(page.model.rowCount())
        if page.model.row_at(r).contract == "DSCG-2026-RX1"
    )
    assert row.apr and not row.nov
    page.due_days.setValue(5)
    assert tab.context.settings.returns_due_days == "5"
    late = sum(page.model.row_at(r).late for r in range(page.model.rowCount()))
    assert late > 0


def test_over_performance_opens_investigations_with_the_six_questions(
    qtbot, tab: ContractsTab, demo_database
) -> None:
    from app.services.monitoring import list_investigations

    page = tab.monitoring
    with qtbot.waitSignal(page.side_shown, timeout=20_000):
        page.over_button.click()
    dialog = page.investigation_dialog
    assert len(dialog.answers) == 6
    index = next(i for i, v in enumerate(dialog.views) if v.service_line == "35")
    dialog.choice.setCurrentIndex(index)
    dialog.answers["volume_realised"].setText("Yes, 11% above profile")
    dialog.root_cause.setCurrentIndex(dialog.root_cause.findData("provider_decisions"))
    dialog.actions_edit.setPlainText("Enhanced scrutiny; cap per quarter if no change.")
    dialog.save()
    saved = next(v for v in list_investigations(demo_database) if v.service_line == "35")
    assert saved.answers == {"volume_realised": "Yes, 11% above profile"}
    assert saved.root_cause == "provider_decisions"


def test_a_file_that_cannot_be_read_is_named_when_its_columns_are_matched(
    tab: ContractsTab, tmp_path: Path
) -> None:
    path = tmp_path / "march.xlsx"
    path.write_text("not a workbook")
    page = tab.returns
    page.set_file(path)
    page.edit_mapping()
    assert [str(p) for p in page.model.rows()] == [
        "march.xlsx::: not a readable workbook (File is not a zip file)"
    ]
    assert page.status_label.text() == "The file cannot be read; nothing was applied."


def test_the_sheet_of_a_workbook_is_found_by_its_columns_or_chosen(
    qtbot, tab: ContractsTab, demo_database, tmp_path: Path
) -> None:
    """A workbook of several sheets shows them; the check reads the one with the return's
    columns unless another is chosen, and a new choice asks for a new check."""
    import openpyxl

    from tests.test_returns_import import HEADERS

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Monthly return for Northgate NHS Trust"])
    for title, rows in (("November", plan_rows(demo_database)[:3]),
                        ("October", plan_rows(demo_database, month=10)[:2])):  # fmt: skip
        sheet = book.create_sheet(title)
        for row in [HEADERS, *rows]:
            sheet.append([float(v) if not isinstance(v, (str, int)) else v for v in row])
    path = tmp_path / "returns.xlsx"
    book.save(path)
    page = tab.returns
    page.set_file(path)
    assert not page.sheet_box.isHidden() and page.sheet_label.buddy() is page.sheet_box
    assert [page.sheet_box.itemText(i) for i in range(page.sheet_box.count())] == [
        "Found by its columns",
        "Notes",
        "November",
        "October",
    ]
    assert page.sheet is None
    page.run_check()
    qtbot.waitUntil(lambda: page.check is not None, timeout=20_000)
    assert page.check.file == "returns.xlsx[November]" and page.check.row_count == 3
    assert page.status_label.text().startswith("returns.xlsx[November]: 3 rows")
    assert page.apply_button.isEnabled()
    page.sheet_box.setCurrentIndex(3)
    page.sheet_box.activated.emit(3)
    assert page.sheet == "October" and page.check is None and not page.apply_button.isEnabled()
    page.run_check()
    qtbot.waitUntil(lambda: page.check is not None, timeout=20_000)
    assert page.check.file == "returns.xlsx[October]" and page.check.row_count == 2
    page.set_file(write_csv(tmp_path / "returns.csv", plan_rows(demo_database)[:1]))
    assert page.sheet_box.isHidden() and page.sheet is None  # a CSV file has no sheets
