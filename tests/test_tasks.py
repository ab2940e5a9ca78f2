"""Background work: results come back on the GUI thread; a closed window is told nothing."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

from app.ui.tasks import start_task


class Page(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[Exception] = []

    def failed(self, error: Exception) -> None:
        self.errors.append(error)


def _failing(release: threading.Event):  # type: ignore[no-untyped-def]
    def work() -> None:
        release.wait(10)
        raise RuntimeError("the database was closed")

    return work


def _pool_free() -> None:
    """Work left on the shared pool by earlier tests would delay this test's task."""
    assert QThreadPool.globalInstance().waitForDone(120_000)


def test_a_failure_reaches_an_open_window(qtbot) -> None:
    _pool_free()
    page = Page()
    qtbot.addWidget(page)
    page.show()
    release = threading.Event()
    task = start_task(_failing(release), lambda _r: None, page.failed)
    with qtbot.waitSignal(task.signals.failed, timeout=60_000):
        release.set()
    qtbot.waitUntil(lambda: len(page.errors) == 1, timeout=5_000)


def test_a_window_closed_while_its_work_ran_is_not_told_of_its_failure(qtbot) -> None:
    """Otherwise an error box would appear from nowhere (and, in a test's teardown, block)."""
    _pool_free()
    page = Page()
    qtbot.addWidget(page)
    page.show()
    release = threading.Event()
    task = start_task(_failing(release), lambda _r: None, page.failed)
    page.close()
    with qtbot.waitSignal(task.signals.failed, timeout=60_000):
        release.set()
    qtbot.wait(50)
    assert page.errors == []
