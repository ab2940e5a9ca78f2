"""Who is using the application: choose a profile (with its password), or create the first."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import CommissioningError
from app.services.users import UserRow

SignIn = Callable[[str, str], None]
"""Checks a name and password; raises CommissioningError (a wrong password, say)."""
CreateFirst = Callable[[str, str, str], None]
"""Creates the first administrator from name, full name and password ("" for none)."""

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class WhoAreYouDialog(QDialog):
    """Asked at start: lists the profiles, or, when there are none, creates the first one."""

    def __init__(
        self,
        profiles: list[UserRow],
        suggested: str,
        sign_in: SignIn,
        create_first: CreateFirst,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.profiles = {profile.name: profile for profile in profiles if profile.active}
        self._sign_in = sign_in
        self._create_first = create_first
        self.chosen_name = ""
        self.setWindowTitle(self.tr("Who are you?"))
        self.setAccessibleName(self.tr("Who are you?"))

        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setAccessibleName(self.tr("Explanation"))
        layout.addWidget(self.intro)

        form = QFormLayout()
        self.people = QListWidget()
        self.people.setAccessibleName(self.tr("People with a profile"))
        self.name = QLineEdit(suggested)
        self.name.setAccessibleName(self.tr("Your user name"))
        self.full_name = QLineEdit()
        self.full_name.setAccessibleName(self.tr("Your full name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName(self.tr("Password again"))

        if self.profiles:
            self.intro.setText(
                self.tr("Choose your name. What you may change depends on your role.")
            )
            for profile in self.profiles.values():
                label = profile.full_name or profile.name
                if profile.full_name:
                    label += f" ({profile.name})"
                item = QListWidgetItem(f"{label} — {profile.role_title}")
                item.setData(NAME_ROLE, profile.name)
                self.people.addItem(item)
                if profile.name.lower() == suggested.lower():
                    self.people.setCurrentItem(item)
            if self.people.currentRow() < 0:
                self.people.setCurrentRow(0)
            form.addRow(self.tr("&Person:"), self.people)
            form.addRow(self.tr("Pass&word:"), self.password)
            self.people.currentItemChanged.connect(self._person_changed)
            self.people.itemDoubleClicked.connect(self.accept)
        else:
            self.intro.setText(
                self.tr(
                    "This database has no users yet. Create the first administrator: you, "
                    "who will then add the others and give each a role. A password is "
                    "optional but recommended on a laptop that travels."
                )
            )
            form.addRow(self.tr("User &name:"), self.name)
            form.addRow(self.tr("&Full name:"), self.full_name)
            form.addRow(self.tr("Pass&word:"), self.password)
            form.addRow(self.tr("&Again:"), self.confirm)
        layout.addLayout(form)

        self.problem = QLabel()
        self.problem.setAccessibleName(self.tr("Problem"))
        self.problem.setStyleSheet("color: palette(highlight);")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            self.tr("Continue") if self.profiles else self.tr("Create and continue")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Quit"))
        self.buttons.setAccessibleName(self.tr("Continue or quit"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._person_changed()
        self.setMinimumWidth(460)

    def selected_name(self) -> str:
        item = self.people.currentItem()
        return str(item.data(NAME_ROLE)) if item is not None else ""

    @Slot()
    def _person_changed(self) -> None:
        if not self.profiles:
            return
        profile = self.profiles.get(self.selected_name())
        needs = profile is not None and profile.has_password
        self.password.setEnabled(needs)
        self.password.setPlaceholderText("" if needs else self.tr("no password"))
        self.password.clear()
        self.problem.clear()
        if needs:
            self.password.setFocus()

    def accept(self) -> None:
        try:
            if self.profiles:
                name = self.selected_name()
                if not name:
                    return
                self._sign_in(name, self.password.text())
            else:
                name = self.name.text().strip()
                if not name:
                    self.problem.setText(self.tr("Give a user name."))
                    return
                if self.password.text() != self.confirm.text():
                    self.problem.setText(self.tr("The two passwords differ."))
                    return
                self._create_first(name, self.full_name.text().strip(), self.password.text())
        except CommissioningError as error:
            self.problem.setText(str(error))
            self.password.selectAll()
            return
        self.chosen_name = name
        super().accept()
