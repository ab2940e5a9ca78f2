"""A record's history: who created and changed it, when, and each field's old and new value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.formatting import format_date
from app.services.audit import OPERATION_TITLES, RecordHistory, record_history
from app.store.database import Database
from app.ui.filter_proxy import RecordFilterProxy
from app.ui.record_model import Column, RecordTableModel
from app.ui.table_view import DataTableView


@dataclass(frozen=True)
class HistoryLine:
    """One field change as the table shows it."""

    id: str
    sequence: int
    at: datetime
    when: str
    user: str
    operation: str
    field: str
    old: str
    new: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def history_lines(history: RecordHistory) -> list[HistoryLine]:
    return [
        HistoryLine(
            id=change.id,
            sequence=change.sequence,
            at=change.at,
            when=f"{format_date(change.at.date())} {change.at:%H:%M:%S}",
            user=change.user,
            operation=OPERATION_TITLES.get(change.operation, change.operation),
            field=change.field.replace("_", " "),
            old=_text(change.old),
            new=_text(change.new),
        )
        for change in history.changes
    ]


class HistoryDialog(QDialog):
    """The history of one record as a table that can be copied, exported and printed."""

    COLUMNS = (
        Column("sequence", "No."),
        Column("when", "When (UTC)", sort_by="at"),
        Column("user", "Who"),
        Column("operation", "What"),
        Column("field", "Field"),
        Column("old", "Old value"),
        Column("new", "New value"),
    )

    def __init__(self, database: Database, record_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        with database.session() as session:  # the history of a confidential record is noted
            self.history = record_history(session, record_id)
        title = self.tr("History of {table} {label}").format(
            table=self.history.table.replace("_", " "), label=self.history.label
        )
        self.setWindowTitle(title)
        self.setAccessibleName(title)

        entries = len({change.sequence for change in self.history.changes})
        summary = QLabel(
            self.tr(
                "%n entries of the audit trail, field by field; record %1", "", entries
            ).replace("%1", self.history.id)
        )
        summary.setAccessibleName(self.tr("Summary of the history"))

        self.model = RecordTableModel(self.COLUMNS, self)
        self.model.set_rows(history_lines(self.history))
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView(self)
        self.table.setModel(self.proxy)
        self.table.set_title(title)
        self.table.set_subtitle(self.tr("Record {id}").format(id=self.history.id))
        self.table.resizeColumnsToContents()
        self.table.history_action.setVisible(False)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Close the history"))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(960, 520)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
