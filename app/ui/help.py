"""The Help menu's windows: a user guide for each area and the glossary of the field."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app.paths import resources_dir
from app.services.reference_data import glossary
from app.ui.record_model import Column, RecordTableModel
from app.ui.table_view import DataTableView


def guide_path(area: str) -> str:
    return str(resources_dir() / "help" / f"{area}.md")


def read_guide(area: str) -> str:
    with open(guide_path(area), encoding="utf-8") as stream:
        return stream.read()


class GuideDialog(QDialog):
    """A user guide, written in Markdown under `resources/help`."""

    def __init__(self, area: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName(self.tr("Guide text"))
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(read_guide(area))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 640)


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    meaning: str


class GlossaryDialog(QDialog):
    """The acronyms of the field, from Appendix 15 of the review; a table like any other."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Glossary"))
        self.setAccessibleName(self.tr("Glossary"))
        self.model = RecordTableModel(
            [Column("term", self.tr("Term")), Column("meaning", self.tr("Meaning"))], self
        )
        self.model.set_rows([GlossaryEntry(term, meaning) for term, meaning in glossary()])
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Glossary"))
        self.table.setAccessibleName(self.tr("Glossary of acronyms"))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 560)
