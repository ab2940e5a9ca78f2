"""The Contracts tab's other pages fill from rows read, and columns fitted, on a worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app.models import FinancialYear
from app.services import contracts, pooled_budget, quality, returns_tracker
from app.settings import Settings
from app.store.database import Database
from app.ui.context import UiContext
from app.ui.contracts_tab import CONTRACT_COLUMNS, ContractsTab, _contract_rows
from app.ui.record_model import RecordTableModel, fitted_widths
from app.ui.table_view import DataTableView

TODAY = date(2026, 11, 24)
YEAR = FinancialYear(2026)
PAGES = ("contracts", "tracker", "quality", "notices", "budget", "year_end")


@pytest.fixture
def gui_thread_sql(demo_database: Database) -> Iterator[list[str]]:
    """Every statement sent to the database from the GUI thread (this test's thread)."""
    gui_thread = threading.get_ident()
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == gui_thread:
            sent.append(statement)

    event.listen(demo_database.engine, "before_cursor_execute", record)
    yield sent
    event.remove(demo_database.engine, "before_cursor_execute", record)


def _tab(qtbot, demo_database: Database, tmp_path: Path) -> ContractsTab:
    context = UiContext(demo_database, Settings(), tmp_path / "log", TODAY, True)
    tab = ContractsTab(context)
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    return tab


@pytest.fixture
def filled(qtbot, demo_database: Database, tmp_path: Path, gui_thread_sql) -> ContractsTab:
    """The tab shown, and left until every page is made and filled in passing."""
    tab = _tab(qtbot, demo_database, tmp_path)
    tab.show()

    def all_filled() -> bool:
        made = all(name in tab._made for name in PAGES)
        return made and not tab._unloaded and not tab._filling

    qtbot.waitUntil(all_filled, timeout=30_000)
    year_end = tab._made["year_end"]
    qtbot.waitUntil(lambda: year_end.result is not None and year_end.clause9 is not None,
                    timeout=30_000)  # fmt: skip
    return tab


def _fitted(table: DataTableView) -> list[int]:
    return [table.columnWidth(c) for c in range(table.model().columnCount())]


def _close(fitted: list[int], resized: list[int]) -> bool:
    """Within a pixel, but for the last column (it stretches to the view's edge)."""
    return all(abs(a - b) <= 1 for a, b in zip(fitted[:-1], resized[:-1], strict=True))


def test_opening_the_tab_and_filling_its_pages_sends_no_sql_from_the_gui_thread(
    filled: ContractsTab, gui_thread_sql: list[str]
) -> None:
    assert filled.monitoring.position is not None
    assert gui_thread_sql == []


def test_the_lists_show_the_rows_the_services_give(
    filled: ContractsTab, demo_database: Database
) -> None:
    listed = contracts.list_contracts(demo_database, YEAR, TODAY)
    page = filled.contracts
    assert page.year_choice.currentData() == YEAR
    assert [page.model.row_at(r).reference for r in range(page.model.rowCount())] == [
        row.reference for row in listed
    ]
    quality_page = filled.quality
    assert quality_page.year_choice.currentData() == YEAR
    assert quality_page.contract_choice.count() == len(listed) + 1  # and "All contracts"
    assert quality_page.model.rows() == quality.list_standards(demo_database, YEAR, None)
    assert not quality_page.warning_label.isHidden()
    notices_page = filled.notices
    assert notices_page.model.rows() == quality.list_notices(demo_database, None)
    assert notices_page.contract_choice.count() == (
        len(contracts.list_contracts(demo_database, None, TODAY)) + 1
    )
    tracker = filled.tracker
    assert tracker.year_choice.currentData() == YEAR
    assert tracker.model.rows() == returns_tracker.returns_tracker(
        demo_database, YEAR, TODAY, tracker.due_days.value()
    )
    budget = filled.budget
    view = pooled_budget.pooled_budget(demo_database, budget.year_choice.currentData())
    assert budget.model.rowCount() == (0 if view is None else len(view.contributions))
    year_end = filled.year_end
    assert year_end.contract_choice.count() == len(listed)
    assert year_end.statements_model.rowCount() == len(year_end.result.statements)


def test_the_columns_are_fitted_as_resizing_to_contents_fits_them(filled: ContractsTab) -> None:
    tables = (filled.contracts.table, filled.tracker.table, filled.quality.table,
              filled.notices.table, filled.monitoring.table,
              filled.year_end.statements, filled.year_end.payments)  # fmt: skip
    for table in tables:
        fitted = _fitted(table)
        table.resizeColumnsToContents()
        assert _close(fitted, _fitted(table)), (table.title(), fitted, _fitted(table))


def test_widths_worked_out_on_another_thread_fit_the_texts(qtbot, demo_database: Database) -> None:
    table = DataTableView()
    qtbot.addWidget(table)
    model = RecordTableModel(CONTRACT_COLUMNS)
    rows = _contract_rows(demo_database, None, TODAY, "overdue")
    model.set_rows(rows)
    table.setModel(model)
    table.show()
    measure, widths = table.cell_measure(), []
    worker = threading.Thread(
        target=lambda: widths.extend(fitted_widths(measure, CONTRACT_COLUMNS, rows))
    )
    worker.start()
    worker.join()
    table.fit_columns(widths)
    fitted = _fitted(table)
    table.resizeColumnsToContents()
    assert _close(fitted, _fitted(table)), (fitted, _fitted(table))


def test_a_page_wanted_while_its_rows_are_on_their_way_fills_at_once_and_keeps_its_choice(
    qtbot, demo_database: Database, tmp_path: Path
) -> None:
    tab = _tab(qtbot, demo_database, tmp_path)  # not shown: nothing fills in passing
    page = tab._page("quality", fill=False)
    assert page.year_choice.count() == 0  # made to be filled: nothing read yet
    tab._load(page, in_passing=True)
    assert tab._filling
    assert tab.quality is page  # wanted now: filled on this thread
    assert page.year_choice.currentData() == YEAR
    page.contract_choice.setCurrentIndex(page.contract_choice.findData("DSCG-2026-RX7"))
    qtbot.waitUntil(lambda: not tab._fill_tasks, timeout=20_000)
    # The rows read in passing came after, and were dropped.
    assert page.contract_choice.currentData() == "DSCG-2026-RX7"
    assert page.model.rows() == quality.list_standards(demo_database, YEAR, "DSCG-2026-RX7")


def test_the_monitoring_worker_starts_once_the_page_has_been_painted(
    qtbot, demo_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QEvent, QObject

    from app.ui import contracts_tab

    painted: list[bool] = []
    started_after_paint: list[bool] = []

    class PaintSpy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.append(True)
            return False

    real_start = contracts_tab.start_task

    def start_task(*arguments: Any, **keywords: Any) -> Any:
        started_after_paint.append(bool(painted))
        return real_start(*arguments, **keywords)

    monkeypatch.setattr(contracts_tab, "start_task", start_task)
    tab = _tab(qtbot, demo_database, tmp_path)
    spy = PaintSpy()
    tab.monitoring.table.viewport().installEventFilter(spy)
    tab.show()
    qtbot.waitUntil(lambda: tab.monitoring.position is not None, timeout=20_000)
    assert started_after_paint[0] is True
