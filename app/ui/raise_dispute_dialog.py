"""The dialog in which a new dispute is raised: kind, value, the issue and the two parties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.errors import InputRejected
from app.models import DisputeKind
from app.services.disputes import DisputeInput, PartyInput
from app.ui.log_widgets import NarrativeEdit, name_buttons

SIDES = {
    DisputeKind.BETWEEN_COMMISSIONERS: ("raising", "responding"),
    DisputeKind.COMMISSIONERS_PROVIDER: ("commissioner", "provider"),
    DisputeKind.FOUNDATION_TRUST: ("commissioner", "provider"),
}


class RaiseDisputeDialog(QDialog):
    """Asks for what a new dispute needs; `values()` gives it to the service."""

    def __init__(
        self, organisations: list[tuple[str, str]], today: date, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Raise a dispute"))
        self.setAccessibleName(self.tr("Raise a dispute"))
        self.resize(820, 560)
        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Kind of dispute"))
        for key, title in DisputeKind.TITLES.items():
            self.kind.addItem(title, key)
        self.kind.setCurrentIndex(self.kind.findData(DisputeKind.COMMISSIONERS_PROVIDER))
        self.title = QLineEdit()
        self.title.setAccessibleName(self.tr("Title"))
        self.value = QLineEdit()
        self.value.setAccessibleName(self.tr("Value in pounds"))
        self.value.setPlaceholderText("250,000.00")
        self.raised = QDateEdit(QDate(today.year, today.month, today.day))
        self.raised.setCalendarPopup(True)
        self.raised.setDisplayFormat("d MMM yyyy")
        self.raised.setAccessibleName(self.tr("Date raised"))
        inner = self.raised.findChild(QLineEdit)
        if inner is not None:
            inner.setAccessibleName(self.tr("Date raised"))
        self.raised_by = QLineEdit()
        self.raised_by.setAccessibleName(self.tr("Raised by"))
        self.services = QLineEdit()
        self.services.setAccessibleName(self.tr("Services concerned"))
        self.services.setPlaceholderText(self.tr("Service numbers, such as 14, 22c"))
        self.spans = QCheckBox(self.tr("The consortium spans SCG &boundaries"))
        self.spans.setAccessibleName(self.tr("The consortium spans SCG boundaries"))
        self.issue = NarrativeEdit(self.tr("The issue"))
        self.parties: list[tuple[QComboBox, QLineEdit, QLineEdit]] = []
        grid = QGridLayout()
        for number in (1, 2):
            organisation = QComboBox()
            organisation.setAccessibleName(self.tr("Party {n}").format(n=number))
            for code, name in organisations:
                organisation.addItem(f"{name} ({code})", code)
            position = QLineEdit()
            position.setAccessibleName(self.tr("Position of party {n}").format(n=number))
            position.setPlaceholderText(self.tr("Position"))
            offer = QLineEdit()
            offer.setAccessibleName(self.tr("Final offer of party {n}").format(n=number))
            offer.setPlaceholderText(self.tr("if made"))
            organisation.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            organisation.setMinimumContentsLength(24)
            offer.setMinimumWidth(110)
            position.setMinimumWidth(220)
            grid.addWidget(organisation, number, 1)
            grid.addWidget(position, number, 2)
            grid.addWidget(offer, number, 3)
            self.parties.append((organisation, position, offer))
        self.side_labels = [QLabel(), QLabel()]
        grid.addWidget(self.side_labels[0], 1, 0)
        grid.addWidget(self.side_labels[1], 2, 0)
        for column, heading in enumerate(
            (self.tr("Organisation"), self.tr("Position"), self.tr("Final offer (£)")), start=1
        ):
            grid.addWidget(QLabel(heading), 0, column)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 1)
        form = QFormLayout(self)
        for label, widget in (
            (self.tr("&Kind:"), self.kind),
            (self.tr("&Title:"), self.title),
            (self.tr("&Value (£):"), self.value),
            (self.tr("&Raised on:"), self.raised),
            (self.tr("Raised &by:"), self.raised_by),
            (self.tr("&Services:"), self.services),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        form.addRow("", self.spans)
        issue_label = QLabel(self.tr("The &issue:"))
        issue_label.setBuddy(self.issue)
        form.addRow(issue_label, self.issue)
        form.addRow(self.tr("Parties:"), grid)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.kind.currentIndexChanged.connect(self._show_sides)
        self._show_sides()
        name_buttons(self)

    def _show_sides(self) -> None:
        first, second = SIDES[self.kind.currentData()]
        self.side_labels[0].setText(first.capitalize())
        self.side_labels[1].setText(second.capitalize())

    @staticmethod
    def _money(text: str, what: str) -> Decimal | None:
        clean = text.replace("£", "").replace(",", "").strip()
        if not clean:
            return None
        try:
            return Decimal(clean)
        except InvalidOperation as error:
            raise InputRejected(f"{what}: '{text}' is not an amount in pounds.") from error

    def values(self) -> DisputeInput:
        """What was entered, as the service takes it (bad amounts raise InputRejected)."""
        kind = self.kind.currentData()
        sides = SIDES[kind]
        value = self._money(self.value.text(), self.tr("Value"))
        return DisputeInput(
            kind=kind,
            title=self.title.text(),
            value=value if value is not None else Decimal(0),
            raised_on=self.raised.date().toPython(),  # type: ignore[arg-type]
            issue=self.issue.toPlainText(),
            raised_by=self.raised_by.text(),
            service_codes=self.services.text(),
            spans_scgs=self.spans.isChecked(),
            parties=[
                PartyInput(
                    organisation.currentData(),
                    side,
                    position.text(),
                    self._money(offer.text(), self.tr("Final offer")),
                )
                for (organisation, position, offer), side in zip(self.parties, sides, strict=True)
            ],
        )
