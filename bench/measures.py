"""The measures and their budgets (from the issues). Each runs in a fresh process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.data import AS_OF, demo_database, large_database
from bench.registry import Scale, measure

BARE_WINDOW = Path(__file__).with_name("bare_window.py")


def _time_process(arguments: list[str], environment: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    # A window that waits for an answer would hang the run: give up after two minutes.
    subprocess.run(arguments, check=True, capture_output=True, env=environment, timeout=120)
    return time.perf_counter() - started


def _returning_user(database: Path) -> Path:
    """A settings folder that remembers a profile of `database` (made if missing), so that the
    window opens without first asking "who are you?" (a dialog nobody answers here)."""
    from app.services.users import add_user, list_users
    from app.settings import Settings
    from app.store.database import open_database

    opened = open_database(database, user="bench")
    try:
        with opened.session() as session:
            if not any(profile.name == "bench" for profile in list_users(session)):
                add_user(session, "bench", "administrator")
    finally:
        opened.close()
    folder = database.with_name(f"{database.stem}-config")
    Settings(user_name="bench").save(folder / "settings.ini")
    return folder


def _application_start(database: Path) -> float:
    """From starting the program to its main window painted (it then quits)."""
    environment = dict(
        os.environ,
        COMMISSIONING_MEASURE_STARTUP="1",
        QT_QPA_PLATFORM="offscreen",
        COMMISSIONING_CONFIG_DIR=str(_returning_user(database)),
    )
    return _time_process(
        [sys.executable, "-m", "app", "--db", str(database), "--as-of", AS_OF.isoformat()],
        environment,
    )


@measure(
    "start_demo_ratio",
    "cold start to a usable window (demo database) / a bare PySide6 window",
    3.0,
    "ratio",
    "benchmarks",
)
def start_demo_ratio(scale: Scale) -> float:
    bare = _time_process([sys.executable, str(BARE_WINDOW)], dict(os.environ))
    return _application_start(demo_database(scale.name)) / bare


@measure("start_large", "cold start to a usable window (large database)", 1.0, "s", "benchmarks")
def start_large(scale: Scale) -> float:
    return _application_start(large_database(scale.name))


def _definitions_tab(scale: Scale):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from app.store.database import open_database
    from app.ui.context import UiContext
    from app.ui.definitions_tab import DefinitionsTab

    application = QApplication.instance() or QApplication([])
    database = open_database(large_database(scale.name), user="bench")
    context = UiContext(database, Settings(), Path(os.devnull), AS_OF)
    started = time.perf_counter()
    tab = DefinitionsTab(context)
    tab.show()
    application.processEvents()
    return tab, application, time.perf_counter() - started


@measure("nds_list_open", "Definitions Set list: open", 0.1, "s", "nds")
def nds_list_open(scale: Scale) -> float:
    _, _, seconds = _definitions_tab(scale)
    return seconds


@measure(
    "nds_list_filter", "Definitions Set list: slowest keystroke of type-to-filter", 0.1, "s", "nds"
)
def nds_list_filter(scale: Scale) -> float:
    tab, application, _ = _definitions_tab(scale)
    slowest = 0.0
    for word in ("cardiac", "secure forensic", "22", "transplant"):
        tab.filter_edit.clear()
        application.processEvents()
        for letter in word:
            started = time.perf_counter()
            tab.filter_edit.insert(letter)
            application.processEvents()
            slowest = max(slowest, time.perf_counter() - started)
    return slowest


def _fresh_copy(source: Path) -> Path:
    """A copy of `source` in a folder of its own, removed when this measure's process ends
    (a full-scale database and its log are over 4 GB: a run would otherwise fill the disk)."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    copy = folder / source.name
    shutil.copyfile(source, copy)
    return copy


CHECK_ROUNDS = 9


@measure(
    "returns_check_ratio",
    "parse and validate a return / pandas.read_csv of the same file",
    2.0,
    "ratio",
    "contracts",
)
def returns_check_ratio(scale: Scale) -> float:
    import pandas as pd
    from sqlalchemy.orm import configure_mappers

    from app.services.returns_import import check_returns
    from app.store.database import open_database
    from bench.data import return_file

    source = return_file(scale.name, ".csv")
    database = open_database(_fresh_copy(large_database(scale.name)), user="bench")
    configure_mappers()
    # Each once to warm up (the first of each in a process pays for the page cache, for
    # pandas' and Arrow's threads and for compiling queries), then turn about, nine times
    # each: the ratio of the medians.
    reading, checking = [], []
    for _round in range(1 + CHECK_ROUNDS):
        started = time.perf_counter()
        pd.read_csv(source)
        reading.append(time.perf_counter() - started)
        started = time.perf_counter()
        check = check_returns(database, source)
        checking.append(time.perf_counter() - started)
        assert check.clean, check.errors[:5]
        del check
    database.close()
    return statistics.median(checking[1:]) / statistics.median(reading[1:])


def _import(scale: Scale, suffix: str) -> float:
    from sqlalchemy.orm import configure_mappers

    from app.services.returns_import import import_returns
    from app.store.database import open_database
    from bench.data import return_file

    database = open_database(_fresh_copy(large_database(scale.name)), user="bench")
    configure_mappers()
    started = time.perf_counter()
    import_returns(database, return_file(scale.name, suffix), received_on=AS_OF)
    seconds = time.perf_counter() - started
    database.close()
    return seconds


@measure(
    "returns_import_csv", "the whole import of that return, commit included", 10.0, "s", "contracts"
)
def returns_import_csv(scale: Scale) -> float:
    return _import(scale, ".csv")


@measure("returns_import_xlsx", "the same rows as xlsx", 30.0, "s", "contracts")
def returns_import_xlsx(scale: Scale) -> float:
    return _import(scale, ".xlsx")


@measure(
    "meeting_pack",
    "a meeting pack of about 60 pages with 20 charts",
    5.0,
    "s",
    "meetings",
    repeat=3,
)
def meeting_pack(scale: Scale) -> float:
    from app.services import meetings
    from app.services.reports import ReportRequest, prepare
    from app.store.database import open_database
    from bench.meeting_pack import CHARTS_PER_MONITORING, PAPERS

    database = open_database(_fresh_copy(demo_database(scale.name)), user="bench")
    with database.session() as session:
        meeting = next(r for r in meetings.list_meetings(session) if r.status == "planned")
        for title, kind in PAPERS:
            meetings.add_agenda_item(
                session, meeting.id, title, "Bench", "assurance", 15, paper_report=kind
            )
    out = _fresh_copy(BARE_WINDOW).with_name("pack.pdf")
    request = ReportRequest(
        "meeting-pack", AS_OF, meeting=str(meeting.id), charts=CHARTS_PER_MONITORING
    )
    started = time.perf_counter()
    with database.reader() as session:
        writer = prepare(session, request)
    writer.write(out)
    seconds = time.perf_counter() - started
    database.close()
    return seconds


@measure(
    "log_search",
    "full-text search over 10,000 case studies and disputes: slowest of 6 searches, first cold",
    0.2,
    "s",
    "logs",
)
def log_search(scale: Scale) -> float:
    from app.services import log_search
    from app.services.log_search import SearchFilters
    from app.store.database import open_database
    from bench.log_search import search_database

    searches = [
        ("renal dialysis", SearchFilters()),
        ("cystic fibrosis audit", SearchFilters()),
        ("bariatric", SearchFilters(kind="case study", topic="Risk Sharing")),
        ("tari", SearchFilters()),  # a prefix, as while typing
        ("cancer", SearchFilters(year=2010, service="7")),
        ("the commissioners", SearchFilters(kind="dispute", status="open")),  # most records
    ]
    database = open_database(search_database(scale.name), user="bench")
    slowest = 0.0
    with database.session() as session:
        for words, filters in searches:
            started = time.perf_counter()
            hits = log_search.search(session, words, filters)
            slowest = max(slowest, time.perf_counter() - started)
            assert hits, words
    database.close()
    return slowest


@measure(
    "sync",
    "sync of 10,000 changes each way (a laptop and the server, SQLite files)",
    10.0,
    "s",
    "sync",
)
def sync_each_way(scale: Scale) -> float:
    import shutil
    import tempfile

    from app.services import sync
    from app.store.database import open_database
    from bench.sync_team import CHANGES, build

    team = build(scale.name)
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    for name in ("server.sqlite", "alice.sqlite"):
        shutil.copyfile(team / name, folder / name)
    server = open_database(folder / "server.sqlite", user="alice")
    laptop = open_database(folder / "alice.sqlite", user="alice")
    started = time.perf_counter()
    report = sync.sync_with_server(laptop, server)
    seconds = time.perf_counter() - started
    laptop.close()
    server.close()
    shutil.rmtree(folder, ignore_errors=True)
    assert report.sent >= CHANGES and report.received >= CHANGES, report
    return seconds


class _LatencyProbe:
    """The longest the GUI thread went without serving its event loop: a timer asks for a
    tick every 10 ms and the gaps between ticks are measured."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now


def _monitoring(scale: Scale) -> dict[str, float]:
    """Open the Contracts tab on the large database, then change three filters (a contract,
    then showing by service line, then by commissioner); the seconds
    until the monitoring view shows each result, and the longest block of the GUI thread."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from app.store.database import open_database
    from app.ui.context import UiContext

    application = QApplication.instance() or QApplication([])
    database = open_database(large_database(scale.name), user="bench")
    context = UiContext(database, Settings(), Path(os.devnull), AS_OF)

    def wait_for(signal: object, start: object) -> float:
        loop = QEventLoop()
        signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(60_000, loop.quit)
        began = time.perf_counter()
        start()  # type: ignore[operator]
        loop.exec()
        signal.disconnect(loop.quit)  # type: ignore[attr-defined]
        return time.perf_counter() - began

    from app.ui.contracts_tab import ContractsTab

    probe = _LatencyProbe()
    holder: dict[str, object] = {}

    def open_tab() -> None:
        tab = ContractsTab(context)
        tab.resize(1300, 800)
        tab.show()
        holder["tab"] = tab

    # The page announces its first result by the same signal; it is created inside `open_tab`.
    began = time.perf_counter()
    open_tab()
    page = holder["tab"].monitoring  # type: ignore[attr-defined]
    if page.position is None:
        wait_for(page.loaded, lambda: None)
    opened = time.perf_counter() - began
    contract = page.contract_choice.findData(page.contract_choice.itemData(1))
    filtered = wait_for(page.loaded, lambda: page.contract_choice.setCurrentIndex(contract))
    by_line = wait_for(
        page.loaded,
        lambda: page.dimension_choice.setCurrentIndex(
            page.dimension_choice.findData("service_line")
        ),
    )
    # Grouping by commissioner reads `activity_summary`, the largest of the summaries.
    by_commissioner = wait_for(
        page.loaded,
        lambda: page.dimension_choice.setCurrentIndex(
            page.dimension_choice.findData("commissioner")
        ),
    )
    application.processEvents()
    probe.timer.stop()
    database.close()
    slowest = max(filtered, by_line, by_commissioner)
    return {"open": opened, "filter": slowest, "block": probe.longest}


@measure(
    "monitoring_open",
    "monitoring view on the large database: open to its first result",
    1.0,
    "s",
    "contracts",
)
def monitoring_open(scale: Scale) -> float:
    return _monitoring(scale)["open"]


@measure(
    "monitoring_filter",
    "monitoring view on the large database: a filter change to its new result (slowest of 3)",
    1.0,
    "s",
    "contracts",
)
def monitoring_filter(scale: Scale) -> float:
    return _monitoring(scale)["filter"]


@measure(
    "monitoring_gui_block",
    "longest block of the GUI thread while the monitoring view opens and re-aggregates",
    0.1,
    "s",
    "contracts",
)
def monitoring_gui_block(scale: Scale) -> float:
    return _monitoring(scale)["block"]
