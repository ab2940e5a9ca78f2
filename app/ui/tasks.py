"""Long work off the GUI thread: a callable run on the pool, its result sent back by signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("app.ui.tasks")


class TaskSignals(QObject):
    """Signals are queued to the receiver's thread, so slots run on the GUI thread."""

    finished = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work
        self.signals = TaskSignals()
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
    task.signals.finished.connect(on_finished)
    task.signals.failed.connect(on_failed)
    QThreadPool.globalInstance().start(task)
    return task
