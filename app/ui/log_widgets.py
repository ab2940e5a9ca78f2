"""Pieces the case study and dispute tabs share: narrative editors that show the guard's
refusals, and the full-text search results with their highlighted snippets."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextBrowser,
    QTextEdit,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import CommissioningError
from app.models.identifiable import (
    Finding,
    IdentifiableDataRefused,
    NumberConfirmation,
    Refusal,
    confirm_while_writing,
)
from app.services.log_search import SearchFilters, SearchHit
from app.ui.context import UiContext
from app.ui.errors import show_error

TextEditor = QPlainTextEdit | QLineEdit
AskReason = Callable[[QWidget, Refusal], str | None]
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
    parent: QWidget,
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


def run_guarded(
    parent: QWidget,
    context: UiContext,
    work: Callable[[Session], T],
    title: str,
    fields: Mapping[str, Marker] | None = None,
    ask: AskReason = ask_reason,
) -> tuple[bool, T | None]:
    """Do one user action in one session, whatever narrative field of whatever record it
    writes: a refusal by the identifiable-data guard is shown selected in its field, and a
    ten-digit number the user confirms is not an NHS number (with a reason) is let through and
    kept with the record it is in. Returns whether it was done, and what `work` returned."""
    confirmations: list[NumberConfirmation] = []
    while True:
        try:
            with context.database.session() as session:
                confirm_while_writing(session, confirmations)
                result = work(session)
        except IdentifiableDataRefused as error:
            show_refusal(fields or {}, error.refusals[0])
            more = number_confirmations(parent, error, ask, confirmations)
            if more is None:
                show_error(error, context.log_file, title)
                show_refusal(fields or {}, error.refusals[0])
                return False, None
            confirmations += more
            continue
        except CommissioningError as error:
            show_error(error, context.log_file, title)
            return False, None
        return True, result


class SearchFilterBar(QWidget):
    """The search's filters, the same as the command line's `search`: kind (or topic), party,
    service, year and status. A tab may keep its own topic and status choosers (the case
    study list's) and leave them out here; `filters()` then takes them as given."""

    changed = Signal()

    def __init__(
        self,
        kind: str,
        topics: list[tuple[str, str]] | None = None,
        statuses: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setAccessibleName(self.tr("Search filters"))
        self.topic: QComboBox | None = None
        self.status: QComboBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel(self.tr("Narrow the search:"))
        layout.addWidget(caption)
        if topics is not None:
            self.topic = self._choice(self.tr("Kind or topic searched"), topics)
            layout.addWidget(self.topic)
        self.party = QLineEdit()
        self.party.setPlaceholderText(self.tr("Party (part of a name)"))
        self.party.setAccessibleName(self.tr("Party searched"))
        self.party.setClearButtonEnabled(True)
        self.service = QLineEdit()
        self.service.setPlaceholderText(self.tr("Service (such as 14 or 22c)"))
        self.service.setAccessibleName(self.tr("Service searched"))
        self.service.setClearButtonEnabled(True)
        self.year = self._choice(self.tr("Year searched"), [])
        layout.addWidget(self.party, 2)
        layout.addWidget(self.service, 1)
        layout.addWidget(self.year)
        if statuses is not None:
            self.status = self._choice(self.tr("Status searched"), statuses)
            layout.addWidget(self.status)
        self.party.textChanged.connect(self.changed)
        self.service.textChanged.connect(self.changed)
        for combo in (self.topic, self.year, self.status):
            if combo is not None:
                combo.currentIndexChanged.connect(self.changed)

    def _choice(self, name: str, items: list[tuple[str, str]]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        for text, value in items:
            combo.addItem(text, value)
        return combo

    def set_years(self, years: list[int]) -> None:
        """Offer the years the records have (the choice made is kept if still there)."""
        chosen = self.year.currentData()
        self.year.blockSignals(True)
        self.year.clear()
        self.year.addItem(self.tr("Any year"), None)
        for year in years:
            self.year.addItem(str(year), year)
        self.year.setCurrentIndex(max(0, self.year.findData(chosen)))
        self.year.blockSignals(False)

    def filters(self, topic: str = "", status: str = "") -> SearchFilters:
        """The filters chosen; `topic` and `status` are used where this bar has none."""
        return SearchFilters(
            kind=self.kind,
            topic=(self.topic.currentData() or "") if self.topic is not None else topic,
            party=self.party.text().strip(),
            service=self.service.text().strip(),
            year=self.year.currentData(),
            status=(self.status.currentData() or status) if self.status is not None else status,
        )


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
