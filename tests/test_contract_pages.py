"""The Contracts tab's pages: bringing data in, quality, notices, pooled budget, year end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from app.models import FinancialYear
from app.services import contract_exchange, contracts, pooled_budget, quality
from app.services.references import site_code
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.contract_pages import NoticeValues, StandardValues
from app.ui.contracts_tab import ContractsTab
from app.ui.record_model import RecordTableModel

YEAR = FinancialYear(2026)


@pytest.fixture
def tab(qtbot, demo_database, tmp_path) -> ContractsTab:
    context = UiContext(demo_database, Settings(), tmp_path / "log", date(2026, 11, 24), True)
    widget = ContractsTab(context)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.monitoring.position is not None, timeout=20_000)
    qtbot.waitUntil(lambda: widget.year_end.result is not None, timeout=20_000)
    return widget


def test_the_new_pages_pass_the_model_tester(tab: ContractsTab, qtmodeltester) -> None:
    for model in (tab.quality.model, tab.notices.model, tab.budget.model,
                  tab.year_end.statements_model, tab.year_end.payments_model,
                  tab.year_end.clause9_model):  # fmt: skip
        qtmodeltester.check(model)


def test_a_bad_workbook_brought_in_lists_its_problems_and_changes_nothing(
    qtbot, tab: ContractsTab, demo_database, tmp_path: Path
) -> None:
    button = tab.contracts.bring_in
    path = tmp_path / "providers.xlsx"
    with qtbot.waitSignal(button.finished, timeout=20_000):
        button.export_file("providers", path, template=True)
    assert "empty template" in button.last_message
    book = openpyxl.load_workbook(path)
    book["Providers"].append(["RQ9", "New Trust", "Hospital"])
    book.save(path)
    with qtbot.waitSignal(button.finished, timeout=20_000):
        button.import_file("providers", path)
    assert "nothing was applied" in button.last_message
    dialog = button.problems_dialog
    assert dialog is not None
    problem = dialog.model.row_at(0)
    assert (problem.file, problem.row, problem.column) == ("providers.xlsx[Providers]", 2, "Kind")
    dialog.close()
    book["Providers"]["C2"] = "NHS Trust"
    book.save(path)
    with qtbot.waitSignal(button.imported, timeout=20_000):
        button.import_file("providers", path)
    assert "1 added" in button.last_message


def test_quality_page_warns_and_adds_standards_undoably(tab: ContractsTab) -> None:
    page = tab.quality
    assert not page.warning_label.isHidden()
    assert "DSCG-2026-RX7 35: 0 quality standards" in page.warning_label.text() or (
        "more services" in page.warning_label.text()
    )
    page.contract_choice.setCurrentIndex(page.contract_choice.findData("DSCG-2026-RX7"))
    assert "DSCG-2026-RX7 35: 0 quality standards" in page.warning_label.text()
    for name in ("Readmissions", "Follow-up at 12 months"):
        page.add_standard(StandardValues("DSCG-2026-RX7", "35", "EL", name, "", "quarterly"))
    assert page.model.rowCount() == 2
    assert "DSCG-2026-RX7 35:" not in page.warning_label.text()
    page.table.setCurrentIndex(page.model.index(0, 0))
    standard = page.selected()
    page.record_result(standard.id, "2026/27 Q1", "4%", True, "")
    assert page.model.row_at(0).met == "met"
    tab.undo_stack.undo()  # the result
    assert page.model.row_at(0).latest_result == ""
    tab.undo_stack.undo()  # the second standard
    assert page.model.rowCount() == 1
    assert "DSCG-2026-RX7 35: 1 quality standard" in page.warning_label.text()
    tab.undo_stack.redo()
    assert page.model.rowCount() == 2


def test_notices_are_issued_and_their_status_changed_undoably(tab: ContractsTab) -> None:
    page = tab.notices
    values = NoticeValues("DSCG-2026-RX2", "fine", "Late data", date(2026, 10, 1),
                          Decimal("5000"), None, None)  # fmt: skip
    page.add_notice(values)
    assert [(n.kind, n.amount) for n in page.model.rows()] == [("fine", Decimal("5000.00"))]
    page.table.setCurrentIndex(page.model.index(0, 0))
    page.status_choice.setCurrentIndex(page.status_choice.findData("applied"))
    page.set_status()
    assert page.model.row_at(0).status == "applied"
    tab.undo_stack.undo()
    assert page.model.row_at(0).status == "issued"
    tab.undo_stack.undo()
    assert page.model.rowCount() == 0


def test_the_pooled_budget_is_set_from_its_dialog_and_undone(tab: ContractsTab) -> None:
    page = tab.budget
    page.year_choice.setCurrentIndex(page.year_choice.findText(str(YEAR)))
    assert "No pooled budget has been set for 2026/27" in page.summary.text()
    dialog = page.dialog()
    dialog.services_edit.setText("1000000")
    dialog.management_edit.setText("50000")
    dialog.uplifts_edit.setPlainText("Inflation = 2.5")
    dialog.shares.item(0, 1).setText("10")  # 5A1 agrees 10%
    assert page.set_budget(dialog.values())
    # £1,000,000 + 2.5% (£25,000) + £50,000 = £1,075,000; 5A1 pays 10%: £107,500.
    assert "Pooled budget: £1,075,000.00." in page.summary.text()
    first = page.model.row_at(0)
    assert (first.code, first.basis, first.amount) == ("5A1", "agreed share", Decimal("107500.00"))
    assert sum((r.amount for r in page.model.rows()), Decimal(0)) == Decimal("1075000.00")
    tab.undo_stack.undo()
    assert page.view is None


def test_year_end_statements_clause9_and_roll_over(
    qtbot, tab: ContractsTab, demo_database, tmp_path: Path
) -> None:
    page = tab.year_end
    assert page.statements_model.rowCount() == 16
    assert page.payments_model.rowCount() == page.contract_choice.count()
    qtbot.waitUntil(lambda: page.clause9 is not None, timeout=20_000)
    assert page.clause9_model.row_at(0).member == "Total"
    path = tmp_path / "clause9.xlsx"
    page.export_clause9(path)
    qtbot.waitUntil(path.exists, timeout=20_000)
    created = page.roll_over()
    with demo_database.session() as session:
        rolled = f"DSCG-2027-RX1-{site_code(session)}"
    assert rolled in created
    listed = {r.reference for r in contracts.list_contracts(demo_database, None, date.today())}
    assert rolled in listed
    tab.undo_stack.undo()
    listed = {r.reference for r in contracts.list_contracts(demo_database, None, date.today())}
    assert rolled not in listed


def test_every_kind_can_be_brought_in(demo_database) -> None:
    keys = [kind.key for kind in contract_exchange.kinds()]
    assert keys == ["contracts", "providers", "commissioners", "quality"]
    assert pooled_budget.members(demo_database, YEAR)[0][0] == "5A1"
    assert quality.contract_lines(demo_database, "DSCG-2026-RX7")
    assert RecordTableModel  # the pages' tables are the shared model
