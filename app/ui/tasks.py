"""Long work off the GUI thread: a callable run on the pool, its result sent back by signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("app.ui.tasks")


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


def start_task(
    work: Callable[[], Any],
    on_finished: Callable[[Any], None],
    on_failed: Callable[[Exception], None],
) -> Task:
    """Run `work` on the global thread pool; keep the returned task alive until it reports."""
    task = Task(work)
    signals = task.signals
    signals.finished.connect(on_finished)
    signals.failed.connect(on_failed)
    # Connected last, so it runs after the report has been handled.
    signals.finished.connect(lambda _result: signals.deleteLater())
    signals.failed.connect(lambda _error: signals.deleteLater())
    QThreadPool.globalInstance().start(task)
    return task
