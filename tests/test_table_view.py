"""The shared table widget: copy, export and print what the user sees, in the order shown."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from app.ui.table_view import RAW_ROLE, DataTableView

MARKING = "OFFICIAL-SENSITIVE: COMMERCIAL"
HEADERS = ["Contract", "Provider", "Annual value", "Start"]
ROWS = [
    ("C1002", "The Christie NHS Foundation Trust", Decimal("250000.00"), date(2026, 4, 1)),
    ("C1000", "Leeds Teaching Hospitals NHS Trust", Decimal("1234567.89"), date(2026, 5, 1)),
    ("C1001", '=HYPERLINK("http://example.org")', Decimal("-12.50"), date(2026, 6, 1)),
]


def item(display: str, raw: object = None) -> QStandardItem:
    cell = QStandardItem(display)
    if raw is not None:
        cell.setData(raw, RAW_ROLE)
    return cell


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[DataTableView]:
    model = QStandardItemModel(0, len(HEADERS))
    model.setHorizontalHeaderLabels(HEADERS)
    for code, provider, value, start in ROWS:
        # Codes and providers carry no raw value: the view falls back to the display text.
        model.appendRow(
            [item(code), item(provider), item(f"£{value:,}", value), item(str(start), start)]
        )
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    table = DataTableView()
    table.setModel(proxy)
    table.set_title("Contracts 2026/27")
    table.set_marking(MARKING)
    table.set_today(lambda: date(2026, 11, 22))
    table.resize(900, 300)
    qtbot.addWidget(table)
    table.show()
    yield table


def press_copy(qtbot: QtBot, view: DataTableView) -> str:
    QApplication.clipboard().clear()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    return QApplication.clipboard().text()


def test_ctrl_c_with_nothing_selected_copies_the_whole_table(
    qtbot: QtBot, view: DataTableView
) -> None:
    view.clearSelection()

    assert press_copy(qtbot, view) == (
        "Contract\tProvider\tAnnual value\tStart\n"
        "C1002\tThe Christie NHS Foundation Trust\t250000.00\t1 Apr 2026\n"
        "C1000\tLeeds Teaching Hospitals NHS Trust\t1234567.89\t1 May 2026\n"
        'C1001\t=HYPERLINK("http://example.org")\t-12.50\t1 Jun 2026\n'
    )


def test_ctrl_c_copies_the_selected_rows_in_the_order_shown(
    qtbot: QtBot, view: DataTableView
) -> None:
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.selectRow(2)

    assert press_copy(qtbot, view) == (
        "Contract\tProvider\tAnnual value\tStart\n"
        "C1002\tThe Christie NHS Foundation Trust\t250000.00\t1 Apr 2026\n"
    )


def test_the_copy_action_has_the_standard_shortcut_and_is_on_the_context_menu(
    view: DataTableView,
) -> None:
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    texts = [action.text() for action in view.actions()]
    assert texts == ["&Copy", "&Export…", "&Print to PDF…", "&History…"]
    assert view.export_action.shortcut().toString() == "Ctrl+Shift+E"
    assert view.print_action.shortcut().toString() == "Ctrl+Shift+P"
    assert not view.copy_action.shortcut().isEmpty()


def test_sorting_changes_the_order_of_the_table_taken_away(view: DataTableView) -> None:
    view.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # by the display text

    assert [row[0] for row in view.current_table().rows] == ["C1002", "C1000", "C1001"]

    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)

    assert [row[0] for row in view.current_table().rows] == ["C1000", "C1001", "C1002"]


def test_the_table_taken_away_has_visible_columns_in_view_order_and_raw_values(
    view: DataTableView,
) -> None:
    view.setColumnHidden(1, True)
    view.horizontalHeader().moveSection(3, 0)  # Start first

    table = view.current_table()

    assert table.title == "Contracts 2026/27"
    assert table.marking == MARKING
    assert table.headers == ["Start", "Contract", "Annual value"]
    assert table.rows[0] == [date(2026, 4, 1), "C1002", Decimal("250000.00")]


def test_qt_dates_from_a_model_become_python_dates(view: DataTableView) -> None:
    proxy = view.model()
    assert isinstance(proxy, QSortFilterProxyModel)
    source = proxy.sourceModel()
    assert isinstance(source, QStandardItemModel)
    source.item(0, 3).setData(QDate(2027, 3, 31), RAW_ROLE)

    assert view.current_table().rows[0][3] == date(2027, 3, 31)


def test_export_writes_a_workbook_in_the_order_shown(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contracts.xlsx"
    asked: list[list[str]] = []

    def ask(caption: str, filters: list[str]) -> str:
        asked.append(filters)
        return str(path)

    monkeypatch.setattr(view, "_ask_save_path", ask)
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    view.export_action.trigger()

    assert asked == [["Excel workbook (*.xlsx)", "CSV file (*.csv)"]]
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == MARKING
    assert [cell.value for cell in sheet["A"]][2:] == ["C1002", "C1001", "C1000"]
    assert sheet["B4"].data_type == "s"  # the formula-like provider name is text
    assert sheet["C3"].value == 250000


def test_export_writes_csv(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contracts.csv"
    monkeypatch.setattr(view, "_ask_save_path", lambda caption, filters: str(path))

    view.export_action.trigger()

    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == MARKING
    assert lines[1] == "Contract,Provider,Annual value,Start"
    assert lines[4] == 'C1001,"\'=HYPERLINK(""http://example.org"")",-12.50,2026-06-01'


def test_print_writes_a_pdf_dated_from_the_views_today(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contracts.pdf"
    asked: list[list[str]] = []

    def ask(caption: str, filters: list[str]) -> str:
        asked.append(filters)
        return str(path)

    monkeypatch.setattr(view, "_ask_save_path", ask)

    view.print_action.trigger()

    assert asked == [["PDF document (*.pdf)"]]
    text = PdfReader(path).pages[0].extract_text()
    assert "Contracts 2026/27" in text
    assert "Printed 22 Nov 2026" in text
    assert MARKING in text
    assert "Page 1 of 1" in text


def test_cancelling_the_dialog_writes_nothing(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(view, "_ask_save_path", lambda caption, filters: "")

    view.export_action.trigger()
    view.print_action.trigger()

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["missing folder/contracts.csv", "contracts.docx"])
def test_a_file_that_cannot_be_written_is_reported_by_name(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / name
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(view, "_ask_save_path", lambda caption, filters: str(path))
    monkeypatch.setattr(view, "_warn", lambda title, text: warnings.append((title, text)))

    view.export_action.trigger()

    assert len(warnings) == 1
    title, text = warnings[0]
    assert title == "Could not save the table"
    assert path.name in text
    assert "Traceback" not in text


def test_the_save_dialog_adds_the_suffix_of_the_chosen_filter(
    view: DataTableView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = str(tmp_path / "contracts")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (chosen, "CSV file (*.csv)"))

    path = view._ask_save_path("Export table", ["Excel workbook (*.xlsx)", "CSV file (*.csv)"])

    assert path == chosen + ".csv"


def test_the_view_has_an_accessible_name_that_follows_the_title(view: DataTableView) -> None:
    assert view.accessibleName() == "Table: Contracts 2026/27"

    view.set_title("Disputes")
    assert view.accessibleName() == "Table: Disputes"

    view.setAccessibleName("Open disputes with providers")
    view.set_title("Disputes 2026/27")
    assert view.accessibleName() == "Open disputes with providers"


def test_the_view_is_set_up_for_reading_tables(view: DataTableView) -> None:
    assert view.isSortingEnabled()
    assert view.horizontalHeader().sortIndicatorSection() == -1  # the model's order, unsorted
    assert view.alternatingRowColors()
    assert not view.wordWrap()
    assert view.selectionBehavior() == DataTableView.SelectionBehavior.SelectRows
