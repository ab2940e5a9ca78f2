"""The Settings dialog: who the user is, their organisation, and where data is kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.settings import Settings
from app.store.database import Database
from app.store.retention import DAILY, MONTHLY, WEEKLY
from app.store.rolling import backups_folder, describe_size, space_taken


class SettingsDialog(QDialog):
    def __init__(
        self, settings: Settings, parent: QWidget | None = None, database: Database | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self.name_edit = QLineEdit(settings.user_name)
        self.name_edit.setAccessibleName(self.tr("Your name"))
        self.organisation_edit = QLineEdit(settings.user_organisation)
        self.organisation_edit.setAccessibleName(self.tr("Your organisation"))
        self.folder_edit = QLineEdit(str(settings.data_dir()))
        self.folder_edit.setAccessibleName(self.tr("Data folder"))
        browse = QPushButton(self.tr("&Browse…"))
        browse.setAccessibleName(self.tr("Choose the data folder"))
        browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        note = QLabel(self.tr("A new data folder is used from the next start."))
        note.setAccessibleName(self.tr("Note about the data folder"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Organisation:"), self.organisation_edit)
        folder_label = QLabel(self.tr("&Data folder:"))
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, folder_row)
        form.addRow(note)
        if database is not None:
            self.backups_label = QLabel(self.backups_summary(database))
            self.backups_label.setWordWrap(True)
            self.backups_label.setAccessibleName(self.tr("Automatic backups"))
            self.backups_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(self.tr("Automatic backups:"), self.backups_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(560, self.sizeHint().height())

    def backups_summary(self, database: Database) -> str:
        """How many rolling backups there are, the space they take, and where."""
        path = database.path
        if path is None:
            return self.tr("A server database is backed up on the server (pg_dump).")
        count, size = space_taken(path)
        copies = self.tr("1 copy") if count == 1 else self.tr("{0} copies").format(count)
        return self.tr("{0} taking {1} in {2} (kept: {3} daily, {4} weekly, {5} monthly)").format(
            copies, describe_size(size), backups_folder(path), DAILY, WEEKLY, MONTHLY
        )

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Data folder"), self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    def accept(self) -> None:
        self.settings.user_name = self.name_edit.text().strip()
        self.settings.user_organisation = self.organisation_edit.text().strip()
        folder = self.folder_edit.text().strip()
        self.settings.data_folder = (
            ""
            if folder == str(self.settings.data_dir()) and not self.settings.data_folder
            else folder
        )
        self.settings.save()
        super().accept()
