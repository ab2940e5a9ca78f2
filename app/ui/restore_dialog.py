"""Choosing a backup to restore: the rolling copies beside the database, or another file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_date
from app.store.rolling import BackupCopy, describe_size

REASONS = {
    "on-closing": "on closing",
    "before-restore": "before a restore",
    "manual": "by hand",
}


def describe_reason(reason: str) -> str:
    if reason.startswith("before-upgrade-"):
        return "before an upgrade"
    return REASONS.get(reason, reason.replace("-", " "))


class RestoreDialog(QDialog):
    """Lists the database's backups, newest first; `chosen` is the one picked."""

    def __init__(self, copies: list[BackupCopy], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.copies = copies
        self.chosen: Path | None = None
        self.setWindowTitle(self.tr("Restore from a backup"))
        self.setAccessibleName(self.tr("Restore from a backup"))
        intro = QLabel(
            self.tr(
                "Choose the copy to go back to. The current state is backed up first, so the "
                "restore can itself be undone by restoring that copy."
            )
        )
        intro.setWordWrap(True)
        intro.setAccessibleName(self.tr("About restoring"))
        self.table = QTableWidget(len(copies), 3)
        self.table.setAccessibleName(self.tr("Backups"))
        self.table.setHorizontalHeaderLabels([self.tr("Taken"), self.tr("Why"), self.tr("Size")])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for row, copy in enumerate(copies):
            local = copy.taken.astimezone()
            taken = f"{format_date(local)} {local:%H:%M:%S}"
            cells = [taken, self.tr(describe_reason(copy.reason)), describe_size(copy.size)]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(str(copy.path))
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        if copies:
            self.table.selectRow(0)
        self.table.doubleClicked.connect(self.accept)
        other = QPushButton(self.tr("&Other file…"))
        other.setAccessibleName(self.tr("Restore from another file"))
        other.clicked.connect(self._choose_file)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Restore…"))
        buttons.addButton(other, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(560, 380)

    def selected(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows()
        return self.copies[rows[0].row()].path if rows else None

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Restore from a backup"), "", self.tr("Database (*.sqlite)")
        )
        if path:
            self.chosen = Path(path)
            super().accept()

    def accept(self) -> None:
        if self.chosen is None:
            self.chosen = self.selected()
        if self.chosen is not None:
            super().accept()
