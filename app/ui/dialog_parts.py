"""Parts every dialog and undoable change shares: OK and Cancel, and a change already made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QDialog, QDialogButtonBox


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK and Cancel, named for screen readers and wired to accept and reject."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.setAccessibleName(dialog.tr("Dialog buttons"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class AppliedChange(QUndoCommand):
    """A change already made (and checked) through a service when it is pushed, so a refusal
    is shown and nothing is pushed; undone and redone by callables, then `after` refreshes."""

    def __init__(
        self, text: str, redo: Callable[[], Any], undo: Callable[[], Any], after: Callable[[], Any]
    ) -> None:
        super().__init__(text)
        self._redo, self._undo, self._after = redo, undo, after
        self._done = True

    def redo(self) -> None:
        if self._done:  # pushing calls redo: the change is made already
            self._done = False
            return
        self._redo()
        self._after()

    def undo(self) -> None:
        self._undo()
        self._after()
