"""The National Definitions Set tab: the list, type-to-filter, sorting and counts."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from app.settings import Settings
from app.ui.context import UiContext
from app.ui.definitions_tab import DefinitionsTab
from app.ui.record_model import RAW_ROLE


@pytest.fixture
def tab(qtbot, database, tmp_path) -> DefinitionsTab:
    context = UiContext(database, Settings(), tmp_path / "log", date(2026, 11, 24))
    widget = DefinitionsTab(context)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_list_shows_every_service_and_sub_line(tab: DefinitionsTab) -> None:
    assert tab.proxy.rowCount() == 81
    assert tab.count_label.text() == "81 services and sub-lines"
    assert tab.proxy.index(0, 1).data() == "Specialised cancer services (adult)"
    assert tab.proxy.index(1, 0).data() == "1a"


def test_typing_filters_across_names_and_codes(qtbot, tab: DefinitionsTab) -> None:
    qtbot.keyClicks(tab.filter_edit, "secure forensic")
    names = {tab.proxy.index(r, 1).data() for r in range(tab.proxy.rowCount())}
    assert names == {"High secure forensic", "Medium secure forensic", "Low secure forensic"}
    assert tab.count_label.text() == "3 of 81 services and sub-lines"
    tab.filter_edit.clear()
    qtbot.keyClicks(tab.filter_edit, "22e")
    assert [tab.proxy.index(r, 0).data() for r in range(tab.proxy.rowCount())] == ["22e"]


def test_filtering_in_one_column(qtbot, tab: DefinitionsTab) -> None:
    tab.column_choice.setCurrentIndex(tab.column_choice.findText("Age group"))
    qtbot.keyClicks(tab.filter_edit, "children")
    codes = [tab.proxy.index(r, 0).data() for r in range(tab.proxy.rowCount())]
    assert codes[0] == "23" and all(c.startswith("23") for c in codes) and len(codes) == 9


def test_ctrl_f_goes_to_the_filter(qtbot, tab: DefinitionsTab) -> None:
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert tab.filter_edit.hasFocus()


def test_sorting_by_number_keeps_definitions_set_order(tab: DefinitionsTab) -> None:
    tab.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    tab.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert tab.proxy.index(0, 0).data() == "36c"
    tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    codes = [tab.proxy.index(r, 0).data() for r in range(12)]
    assert codes[:8] == ["1", "1a", "1b", "1c", "1d", "1e", "1f", "2"]


def test_the_table_model_passes_qt_model_tester(qtmodeltester, tab: DefinitionsTab) -> None:
    qtmodeltester.check(tab.model)
    qtmodeltester.check(tab.proxy)


def test_raw_values_are_kept_for_export(tab: DefinitionsTab) -> None:
    exported = tab.table.current_table()
    assert exported.headers[:2] == ["No.", "Service"]
    assert len(exported.rows) == 81
    assert tab.proxy.index(0, 0).data(RAW_ROLE) == "1"


def test_the_list_is_read_in_one_query_per_table_with_none_repeated(demo_database) -> None:
    """Opening the list must not pause: a handful of queries, however many services there
    are, and no table read twice (the designation flags used to read them again)."""
    from sqlalchemy import event

    from app.services import definitions

    statements: list[str] = []

    def record(_connection, _cursor, statement, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(demo_database.engine, "before_cursor_execute", record)
    try:
        with demo_database.session() as session:
            rows = definitions.list_services(session, None, date(2026, 11, 24))
    finally:
        event.remove(demo_database.engine, "before_cursor_execute", record)
    assert len(rows) == 81
    reads = [s for s in statements if s.startswith("SELECT")]
    tables = [s.split(" FROM ")[1].split()[0] for s in reads]
    assert len(tables) == len(set(tables)), tables
    assert len(reads) <= 9
