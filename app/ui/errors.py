"""Unexpected errors: written to the log file with their traceback, shown to people without one."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from app.errors import CommissioningError

log = logging.getLogger("app.ui")


def error_message(error: BaseException, log_file: Path) -> str:
    if isinstance(error, CommissioningError):
        return str(error)
    return (
        f"Something unexpected went wrong: {error.__class__.__name__}: {error}\n\n"
        "Your data has not been changed by this error. The details were written to the log "
        f"file:\n{log_file}\n\nPlease send that file to your support team."
    )


def show_error(error: BaseException, log_file: Path, title: str = "") -> None:
    parent = QApplication.activeWindow()
    QMessageBox.critical(
        parent, title or "Specialised Commissioning", error_message(error, log_file)
    )


def install_error_handler(log_file: Path) -> None:
    """Route every uncaught exception on the GUI thread to the log and a dialog."""

    def handle(
        kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.error("unexpected error", exc_info=(kind, error, trace))
        show_error(error, log_file)

    sys.excepthook = handle
