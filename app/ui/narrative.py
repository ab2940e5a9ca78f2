"""Narrative text and the identifiable-data guard on the screens: an editor that marks a
refused stretch in place, and `run_guarded`, which does one user action and lets the user
confirm a ten-digit number as not an NHS number wherever the guard refuses one, in any
narrative field of any record (minutes, positions, notes, evidence...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, Qt, Slot
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QInputDialog, QLineEdit, QPlainTextEdit, QTextEdit, QWidget
from sqlalchemy.orm import Session

from app.errors import CommissioningError
from app.models.identifiable import (
    Finding,
    IdentifiableDataRefused,
    NumberConfirmation,
    Refusal,
    confirm_while_writing,
)
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.theme import is_dark, warning_colour

TextEditor = QPlainTextEdit | QLineEdit
AskReason = Callable[[QWidget | None, Refusal], str | None]
# Where a refused field is shown: its editor, the editors sharing its name, or a function that
# finds it (a cell of a table).
Marker = QPlainTextEdit | QLineEdit | Sequence[TextEditor] | Callable[[Refusal], None]
T = TypeVar("T")


class NarrativeEdit(QPlainTextEdit):
    """Free text checked by the identifiable-data guard; a refusal is marked in place."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setTabChangesFocus(True)  # Tab moves on, as in every other field of a form
        self.setMinimumHeight(60)

    def mark(self, start: int, end: int) -> None:
        """Select the refused text and underline it in red until the text is changed."""
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor  # type: ignore[attr-defined]
        style = QTextCharFormat()
        style.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        style.setUnderlineColor(warning_colour(self.palette()))
        highlight = self.palette().highlight().color()
        # A pale tint of the highlight behind dark text; a deep one behind light text.
        tint = highlight.darker(170) if is_dark(self.palette()) else highlight.lighter(160)
        style.setBackground(tint)
        selection.format = style  # type: ignore[attr-defined]
        self.setExtraSelections([selection])
        self.textChanged.connect(self._clear_mark, Qt.ConnectionType.SingleShotConnection)
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.ensureCursorVisible()

    @Slot()
    def _clear_mark(self) -> None:
        self.setExtraSelections([])


def ask_reason(parent: QWidget | None, refusal: Refusal) -> str | None:
    """Ask whether a ten-digit number is a reference rather than an NHS number, and why."""

    def tr(text: str) -> str:
        return parent.tr(text) if parent is not None else QCoreApplication.translate("Guard", text)

    reason, ok = QInputDialog.getText(
        parent,  # type: ignore[arg-type]
        tr("Not an NHS number?"),
        tr(
            "{text} in {field} ({record}) passes the NHS number check.\n\nIf it is not an NHS "
            "number (an invoice or order number, for example), say what it is; the confirmation "
            "is kept with the record. Cancel to correct the text instead."
        ).format(
            text=refusal.found.text,
            field=refusal.field.replace("_", " "),
            record=refusal.record_label,
        ),
    )
    return reason.strip() if ok and reason.strip() else None


def _text_of(editor: TextEditor) -> str:
    return editor.text() if isinstance(editor, QLineEdit) else editor.toPlainText()


def show_refusal(fields: Mapping[str, Marker], refusal: Refusal) -> None:
    """Put the cursor on the refused text, selected, in the field it was found in.

    Fields are named `table.column` or just `column`; where several editors share a name
    (the positions of two parties), the one holding the refused text is marked.
    """
    marker = fields.get(f"{refusal.record_type}.{refusal.field}", fields.get(refusal.field))
    if marker is None:
        return
    if isinstance(marker, QPlainTextEdit | QLineEdit):
        candidates: list[TextEditor] = [marker]
    elif isinstance(marker, Sequence):
        candidates = list(marker)
    else:
        marker(refusal)
        return
    found = refusal.found
    editor = next(
        (e for e in candidates if _text_of(e)[found.start : found.end] == found.text),
        next((e for e in candidates if found.text in _text_of(e)), None),
    )
    if editor is None:
        return
    # The service may have written the text into a longer one (notes added to a stage's).
    start = found.start
    if _text_of(editor)[start : found.end] != found.text:
        start = _text_of(editor).find(found.text)
    end = start + len(found.text)
    if isinstance(editor, NarrativeEdit):
        editor.mark(start, end)
    elif isinstance(editor, QPlainTextEdit):
        cursor = editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
    else:
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        editor.setSelection(start, end - start)


def number_confirmations(
    parent: QWidget | None,
    error: IdentifiableDataRefused,
    ask: AskReason,
    already: list[NumberConfirmation] | None = None,
) -> list[NumberConfirmation] | None:
    """Reasons for every refused number, when all refusals are possible NHS numbers and the
    user confirms each is not one; None otherwise (the text must be corrected)."""
    if any(r.found.kind != Finding.NHS_NUMBER for r in error.refusals):
        return None
    asked = {(c.record_type, c.field, c.digits) for c in already or []}
    if any((r.record_type, r.field, r.found.digits) in asked for r in error.refusals):
        return None  # confirmed once and still refused: never ask in a loop
    confirmations: list[NumberConfirmation] = []
    for refusal in error.refusals:
        key = (refusal.record_type, refusal.field, refusal.found.digits)
        if key in {(c.record_type, c.field, c.digits) for c in confirmations}:
            continue  # the same number twice in one field: one answer will do
        reason = ask(parent, refusal)
        if reason is None:
            return None
        confirmations.append(NumberConfirmation(*key, reason))
    return confirmations


def run_confirming(
    parent: QWidget | None,
    context: UiContext,
    work: Callable[[list[NumberConfirmation]], T],
    title: str,
    fields: Mapping[str, Marker] | None = None,
    ask: AskReason = ask_reason,
    on_error: Callable[[CommissioningError], None] | None = None,
) -> tuple[bool, T | None]:
    """Do one user action, given the numbers confirmed so far as not NHS numbers: a refusal
    by the identifiable-data guard is shown selected in its field, and a ten-digit number the
    user confirms is not an NHS number (with a reason) is let through by doing the action
    again with it. Errors go to `on_error` if given, else to a message box. Returns whether it
    was done, and what `work` returned."""

    def report(error: CommissioningError) -> None:
        if on_error is None:
            show_error(error, context.log_file, title)
        else:
            on_error(error)

    confirmations: list[NumberConfirmation] = []
    while True:
        try:
            result = work(list(confirmations))
        except IdentifiableDataRefused as error:
            show_refusal(fields or {}, error.refusals[0])
            more = number_confirmations(parent, error, ask, confirmations)
            if more is None:
                report(error)
                show_refusal(fields or {}, error.refusals[0])
                return False, None
            confirmations += more
            continue
        except CommissioningError as error:
            report(error)
            return False, None
        return True, result


def run_guarded(
    parent: QWidget | None,
    context: UiContext,
    work: Callable[[Session], T],
    title: str,
    fields: Mapping[str, Marker] | None = None,
    ask: AskReason = ask_reason,
    on_error: Callable[[CommissioningError], None] | None = None,
) -> tuple[bool, T | None]:
    """Do one user action in one session, whatever narrative field of whatever record it
    writes, letting the user confirm a refused number as not an NHS number (`run_confirming`);
    the confirmation is kept with the record the number is in."""

    def attempt(confirmations: list[NumberConfirmation]) -> T:
        with context.database.session() as session:
            confirm_while_writing(session, confirmations)
            return work(session)

    return run_confirming(parent, context, attempt, title, fields, ask, on_error)
