"""The measures and their budgets (from the issues). Each runs in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.data import AS_OF, demo_database, large_database
from bench.registry import Scale, measure

BARE_WINDOW = Path(__file__).with_name("bare_window.py")


def _time_process(arguments: list[str], environment: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(arguments, check=True, capture_output=True, env=environment)
    return time.perf_counter() - started


def _application_start(database: Path) -> float:
    """From starting the program to its main window painted (it then quits)."""
    environment = dict(os.environ, COMMISSIONING_MEASURE_STARTUP="1", QT_QPA_PLATFORM="offscreen")
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
