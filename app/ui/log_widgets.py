"""Pieces the case study and dispute tabs share: the search's filters and its results with
highlighted snippets; the guard's pieces (`app.ui.narrative`) are here too for them."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QWidget,
)

from app.services.log_search import SearchFilters, SearchHit
from app.ui.narrative import (
    AskReason,
    Marker,
    NarrativeEdit,
    TextEditor,
    ask_reason,
    run_guarded,
    show_refusal,
)

__all__ = [
    "AskReason",
    "Marker",
    "NarrativeEdit",
    "SearchFilterBar",
    "SearchResults",
    "TextEditor",
    "ask_reason",
    "name_buttons",
    "run_guarded",
    "show_refusal",
]


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
