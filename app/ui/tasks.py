"""Long work off the GUI thread: a callable run on the pool, its result sent back by signal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

log = logging.getLogger("app.ui.tasks")

# While a worker runs Python, the GUI thread waits for the interpreter each time it calls into
# Python (a slot, a model's data(), a chart's paint): up to the switch interval a time, 5 ms by
# default, which adds up to a visible stall over a paint. At 1 ms the worker loses little.
GUI_SWITCH_INTERVAL = 0.001

BackgroundFill = tuple[Callable[[], Any], Callable[[Any], None]]
"""How a page fills off the GUI thread: what a worker reads (its rows, their columns' widths),
and the slot that only sets them in the widgets."""


class TaskSignals(QObject):
    """Signals are queued to the receiver's thread, so slots run on the GUI thread."""

    finished = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work
        # Owned by the application, not by this Python object: the caller may drop the task
        # in its slot while the pool's thread is still returning from the emit. The signals
        # are deleted from the event loop once their report has been delivered.
        self.signals = TaskSignals(QCoreApplication.instance())
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as error:  # handed to the GUI thread, which reports it
            log.exception("background task failed")
            self.signals.failed.emit(error)
        else:
            self.signals.finished.emit(result)


def _closed(receiver: object) -> bool:
    """Whether the widget a report was for has been closed (or deleted) meanwhile."""
    if not isinstance(receiver, QWidget):
        return False
    if not isValid(receiver):
        return True
    return not receiver.window().isVisible()


def _report_failure(
    on_failed: Callable[[Exception], None], owner: object, error: Exception
) -> None:
    # A window closed while its work ran (the database it read was closed with it) has no
    # one to tell: the failure is in the log, and no dialog appears out of nowhere.
    if _closed(owner):
        log.info("a background task failed after its window closed: %s", error)
        return
    on_failed(error)


def start_task(
    work: Callable[[], Any],
    on_finished: Callable[[Any], None],
    on_failed: Callable[[Exception], None],
    owner: QWidget | None = None,
) -> Task:
    """Run `work` on the global thread pool; keep the returned task alive until it reports.

    A failure is not reported once `owner` (by default the widget `on_failed` belongs to)
    has been closed."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    task = Task(work)
    signals = task.signals
    signals.finished.connect(on_finished)
    owner = owner if owner is not None else getattr(on_failed, "__self__", None)
    signals.failed.connect(partial(_report_failure, on_failed, owner))
    # Connected last, so it runs after the report has been handled.
    signals.finished.connect(lambda _result: signals.deleteLater())
    signals.failed.connect(lambda _error: signals.deleteLater())
    QThreadPool.globalInstance().start(task)
    return task
