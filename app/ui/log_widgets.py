"""Pieces the case study and dispute tabs share: narrative editors that show the guard's
refusals, and the full-text search results with their highlighted snippets."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QTextBrowser,
    QTextEdit,
    QWidget,
)

from app.models.identifiable import Finding, IdentifiableDataRefused, Refusal
from app.services.case_studies import Confirmation
from app.services.log_search import SearchHit

TextEditor = QPlainTextEdit | QLineEdit
AskReason = Callable[[QWidget, Refusal], str | None]


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
        style.setUnderlineColor(Qt.GlobalColor.red)
        style.setBackground(self.palette().highlight().color().lighter(160))
        selection.format = style  # type: ignore[attr-defined]
        self.setExtraSelections([selection])
        self.textChanged.connect(self._clear_mark, Qt.ConnectionType.SingleShotConnection)
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.ensureCursorVisible()

    @Slot()
    def _clear_mark(self) -> None:
        self.setExtraSelections([])


def ask_reason(parent: QWidget, refusal: Refusal) -> str | None:
    """Ask whether a ten-digit number is a reference rather than an NHS number, and why."""
    reason, ok = QInputDialog.getText(
        parent,
        parent.tr("Not an NHS number?"),
        parent.tr(
            "{text} in {field} passes the NHS number check.\n\nIf it is not an NHS number "
            "(an invoice or order number, for example), say what it is; the confirmation is "
            "kept with the record. Cancel to correct the text instead."
        ).format(text=refusal.found.text, field=refusal.field.replace("_", " ")),
    )
    return reason.strip() if ok and reason.strip() else None


def show_refusal(editors: dict[str, TextEditor], refusal: Refusal) -> None:
    """Put the cursor on the refused text, selected, in the field it was found in."""
    editor = editors.get(refusal.field)
    if isinstance(editor, NarrativeEdit):
        editor.mark(refusal.found.start, refusal.found.end)
    elif isinstance(editor, QLineEdit):
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        editor.setSelection(refusal.found.start, refusal.found.end - refusal.found.start)


def confirmations_for(
    parent: QWidget,
    error: IdentifiableDataRefused,
    ask: AskReason,
    already: list[Confirmation] | None = None,
) -> list[Confirmation] | None:
    """Reasons for every refused number, when all refusals are possible NHS numbers and the
    user confirms each is not one; None otherwise (the text must be corrected)."""
    if any(r.found.kind != Finding.NHS_NUMBER for r in error.refusals):
        return None
    asked = {(c.field, c.digits) for c in already or []}
    if any((r.field, r.found.digits) in asked for r in error.refusals):
        return None  # confirmed once and still refused: never ask in a loop
    confirmations = []
    for refusal in error.refusals:
        reason = ask(parent, refusal)
        if reason is None:
            return None
        confirmations.append(Confirmation(refusal.field, refusal.found.digits, reason))
    return confirmations


class SearchResults(QTextBrowser):
    """Ranked results with the words found in bold; a link (or Enter on it) opens the record."""

    opened = Signal(uuid.UUID)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName(self.tr("Search results"))
        self.anchorClicked.connect(self._open)
        self.hits: list[SearchHit] = []

    def show_hits(self, hits: list[SearchHit], query: str) -> None:
        from html import escape

        self.hits = hits
        if not hits:
            self.setHtml(
                "<p>" + self.tr("Nothing found for “{query}”.").format(query=escape(query)) + "</p>"
            )
            return
        parts = [
            f'<p><a href="record:{hit.id}"><b>{escape(hit.title)}</b></a>'
            f' <span style="color:gray">{escape(hit.topic)}'
            f"{' · ' + str(hit.year) if hit.year else ''} · {escape(hit.status)}</span><br>"
            f"{hit.snippet_html.replace(chr(10), ' ')}</p>"
            for hit in hits
        ]
        self.setHtml("".join(parts))

    @Slot(QUrl)
    def _open(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("record:"):
            self.opened.emit(uuid.UUID(text.removeprefix("record:")))


def name_buttons(root: QWidget) -> None:
    """Give every button the words on it as its accessible name, for screen readers."""
    for button in root.findChildren(QAbstractButton):
        if not button.accessibleName():
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
