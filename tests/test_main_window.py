"""The main window: its tabs, menus, keyboard use, accessible names and kept layout."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QTabBar,
    QWidget,
)

from app.settings import Settings
from app.ui.context import UiContext
from app.ui.errors import install_error_handler
from app.ui.help import GlossaryDialog, GuideDialog
from app.ui.home_tab import HomeTab
from app.ui.lazy_tab import LazyTab
from app.ui.main_window import AREAS, GUIDES, MainWindow
from app.ui.table_view import DataTableView

AS_OF = date(2026, 11, 24)


@pytest.fixture
def window(qtbot, demo_database, tmp_path: Path) -> MainWindow:
    context = UiContext(
        database=demo_database,
        settings=Settings.load(),
        log_file=tmp_path / "logs" / "commissioning.log",
        as_of=AS_OF,
        is_demo=True,
    )
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


def test_the_window_opens_with_a_tab_for_each_area(window: MainWindow) -> None:
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == [title for _, title, _ in AREAS]
    assert titles[0] == "Home"


def test_the_status_bar_names_the_database_and_the_user(window: MainWindow) -> None:
    assert window.context.database.display_name in window.database_label.text()
    shown = window.context.database.path or window.context.database.url.database
    assert str(shown) in window.database_label.text()
    assert "demo data" in window.database_label.text()
    assert window.user_label.text() == "User: tester"


def _unnamed_widgets(root: QWidget) -> list[str]:
    """Every widget a person can reach or read must say what it is."""
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        interactive = widget.focusPolicy() != Qt.FocusPolicy.NoFocus or isinstance(
            widget, QAbstractButton | QLineEdit | QComboBox
        )
        if not interactive or (isinstance(widget, QTabBar) and widget.parent() is not None):
            continue
        # Qt's own scroll bars and the viewports inside scroll areas are named by Qt.
        inner = widget.parent() is not None and widget.parent().parent() is not None
        if type(widget).__name__ in ("QScrollBar", "QWidget") and inner:
            continue
        if not widget.accessibleName():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_tab_names_every_widget_for_screen_readers(window: MainWindow) -> None:
    assert window.tabs.accessibleName()
    for number in range(window.tabs.count()):
        window.tabs.setCurrentIndex(number)  # builds a tab not built yet
        page = window.tabs.currentWidget()
        assert not isinstance(page, LazyTab) or page.is_built, window.tabs.tabText(number)
        assert page.accessibleName(), f"tab {number} has no accessible name"
        assert _unnamed_widgets(page) == [], window.tabs.tabText(number)


def test_only_home_is_built_with_the_window_and_the_others_when_first_shown(
    qtbot, window: MainWindow
) -> None:
    home = window.tabs.widget(0)
    assert isinstance(home, HomeTab)
    holders = [window.tabs.widget(n) for n in range(1, window.tabs.count())]
    assert all(isinstance(h, LazyTab) and not h.is_built for h in holders)
    assert window.built_pages() == [home]

    window.tabs.setCurrentIndex(2)  # as clicking the Contracts tab does
    contracts = holders[1]
    assert isinstance(contracts, LazyTab) and contracts.is_built
    page = window.current_page()
    assert page is contracts.built_page and getattr(page, "area", None) == "contracts"
    assert page.isVisible() and page.findChild(DataTableView) is not None
    assert window.current_table() is not None  # Table > Copy, Export and Print reach it
    assert not any(isinstance(h, LazyTab) and h.is_built for h in holders[2:])
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(2)
    assert window.current_page() is page  # built once, kept


def test_a_tab_is_built_when_a_record_is_opened_in_it(qtbot, window: MainWindow) -> None:
    meetings = window.tab_for("meetings")
    assert meetings is not None and getattr(meetings, "area", None) == "meetings"
    assert window.tab_for("meetings") is meetings
    assert window.tab_for("no such area") is None
    window.open_record("definitions", "service", None)
    assert window.tabs.currentIndex() == 1
    assert getattr(window.current_page(), "area", None) == "definitions"


def test_the_view_menu_shortcut_builds_and_shows_a_tab(qtbot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 5
    page = window.current_page()
    assert getattr(page, "area", None) == "meetings" and page.isVisible()
    assert page.undo_stack is not None  # its undo stack came with it


def test_home_says_it_is_loading_until_its_list_arrives_after_the_first_paint(
    qtbot, demo_database, tmp_path: Path
) -> None:
    context = UiContext(demo_database, Settings.load(), tmp_path / "log.txt", AS_OF)
    main = MainWindow(context)
    qtbot.addWidget(main)
    home = main.tabs.widget(0)
    assert isinstance(home, HomeTab)
    assert not home.is_loaded and home.model.rowCount() == 0
    assert home.summary.text() == "Loading what needs attention…"
    with qtbot.waitSignal(home.loaded, timeout=60_000):
        main.show()  # the list is gathered on a worker once the window has been painted
    assert home.model.rowCount() > 0
    assert "need attention on 24 Nov 2026" in home.summary.text()


def test_the_tab_shown_last_time_is_built_and_shown_at_the_next_start(
    qtbot, demo_database, tmp_path: Path
) -> None:
    settings = Settings.load()
    first = MainWindow(UiContext(demo_database, settings, tmp_path / "log.txt", AS_OF))
    qtbot.addWidget(first)
    first.show()
    first.tabs.setCurrentIndex(4)
    first.close()
    second = MainWindow(UiContext(demo_database, Settings.load(), tmp_path / "log.txt", AS_OF))
    qtbot.addWidget(second)
    second.show()
    assert second.tabs.currentIndex() == 4
    assert getattr(second.current_page(), "area", None) == "disputes"
    assert second.current_page().isVisible()


def test_tabs_are_reached_from_the_keyboard(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentIndex(0)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    view_menu = next(m for m in window.menuBar().actions() if m.text() == "&View").menu()
    shortcuts = [a.shortcut().toString() for a in view_menu.actions()]
    assert shortcuts == [f"Ctrl+{n + 1}" for n in range(window.tabs.count())]


def test_every_menu_has_a_mnemonic(window: MainWindow) -> None:
    for action in window.menuBar().actions():
        assert "&" in action.text(), action.text()


def test_the_layout_is_kept_between_runs(qtbot, demo_database, tmp_path: Path) -> None:
    settings = Settings.load()
    context = UiContext(demo_database, settings, tmp_path / "log.txt", AS_OF)
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 560)
    first.move(40, 30)
    first.close()
    assert Settings.load().window_geometry
    second = MainWindow(UiContext(demo_database, Settings.load(), tmp_path / "log.txt", AS_OF))
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (760, 560)


def test_the_guides_and_the_glossary_open(qtbot, window: MainWindow) -> None:
    for area, title in GUIDES:
        dialog = GuideDialog(area, title, window)
        qtbot.addWidget(dialog)
        assert len(dialog.browser.toPlainText()) > 200, area
    glossary = GlossaryDialog(window)
    qtbot.addWidget(glossary)
    assert glossary.model.rowCount() == 30
    assert isinstance(glossary.table, DataTableView)


def test_an_unexpected_error_is_logged_and_shown_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, qapp: QApplication
) -> None:
    import sys

    log_file = tmp_path / "logs" / "commissioning.log"
    from app.logs import configure_logging

    configure_logging(log_file.parent)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    original = sys.excepthook
    install_error_handler(log_file)
    try:
        try:
            raise ZeroDivisionError("the pooled budget was empty")
        except ZeroDivisionError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = original
        for handler in logging.getLogger("app").handlers:
            handler.flush()
    [message] = shown
    assert "the pooled budget was empty" in message and str(log_file) in message
    assert "Traceback" not in message
    logged = log_file.read_text()
    assert "Traceback" in logged and "ZeroDivisionError" in logged


def test_opening_the_window_loads_no_report_or_spreadsheet_library(demo_database) -> None:
    """The window and every tab's first fill, in a fresh process: no PDF, Word or spreadsheet
    library is loaded until someone asks for a report, an export or an import. (The Contracts
    tab's worker may load pandas to work out its figures: that is off the GUI thread.)"""
    import subprocess
    import sys

    if demo_database.path is None:
        pytest.skip("a fresh process opens the demo database by its file")
    demo_database.close()  # its lock would refuse the other process
    script = f"""
import os, sys, time
from datetime import date
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from app.settings import Settings
from app.store.database import open_database
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
application = QApplication([])
database = open_database({str(demo_database.path)!r}, user="tester")
context = UiContext(database, Settings(), Path(os.devnull), date(2026, 11, 24), is_demo=True)
window = MainWindow(context)
window.show()
contracts = window.tab_for("contracts")
ends = time.monotonic() + 60
while contracts._unloaded and time.monotonic() < ends:  # pages that fill once it is up
    application.processEvents()
assert not contracts._unloaded
heavy = {{"openpyxl", "xlsxwriter", "python_calamine", "reportlab", "PIL", "docx", "lxml",
         "pypdf", "pypdfium2"}}
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & heavy)), flush=True)
os._exit(0)  # not waiting for the Contracts tab's worker, which may still be computing
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_window_is_made_without_configuring_every_mapper(demo_database) -> None:
    """Before its first paint the start reads only tables (who may use it, whether it is the
    demo, the sync line): configuring the ORM's mappers waits for the first real query."""
    import subprocess
    import sys

    if demo_database.path is None:
        pytest.skip("a fresh process opens the demo database by its file")
    demo_database.close()  # its lock would refuse the other process
    script = f"""
import os
from datetime import date
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from app.models import UserProfile
from app.services.demo_marker import is_demo
from app.services.users import list_users
from app.settings import Settings
from app.store.database import open_database
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
application = QApplication([])
database = open_database({str(demo_database.path)!r}, user="tester")
with database.reader() as session:
    list_users(session)
context = UiContext(database, Settings(), Path(os.devnull), date(2026, 11, 24), is_demo(database))
assert context.is_demo
window = MainWindow(context)
print(UserProfile.__mapper__.configured, flush=True)
os._exit(0)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
