"""A contract's own split of its plan between the member PCTs, or capitation shares."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import QCheckBox, QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from app.errors import InputRejected
from app.formatting import format_percent
from app.services.contract_split import Member, SplitPart
from app.ui.dialog_parts import ok_cancel


class SplitDialog(QDialog):
    """Each member PCT's part of the contract's plan (0.25 or 25%); blank for none. Left
    ticked, each PCT's part is its capitation share."""

    def __init__(
        self, reference: str, members: list[Member], parts: list[SplitPart], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Split of the plan of {0}").format(reference))
        given = {part.commissioner: part.share for part in parts}
        self.capitation_box = QCheckBox(self.tr("Each PCT's part is its &capitation share"))
        self.capitation_box.setAccessibleName(self.tr("Use capitation shares"))
        self.capitation_box.setChecked(not parts)
        form = QFormLayout(self)
        form.addRow(self.capitation_box)
        form.addRow(
            QLabel(self.tr("Or each PCT's part of the plan (0.25 or 25%), making a whole:"))
        )
        self.edits: dict[str, QLineEdit] = {}
        for member in members:
            part = given.get(member.code)
            edit = QLineEdit("" if part is None else f"{(part * 100).normalize():f}%")
            edit.setPlaceholderText(
                self.tr("capitation {0}").format(format_percent(member.capitation_share, 2))
            )
            edit.setAccessibleName(self.tr("Part of {0}").format(member.code))
            edit.textEdited.connect(lambda _text: self.capitation_box.setChecked(False))
            self.edits[member.code] = edit
            form.addRow(f"{member.code} {member.name}:", edit)
        form.addRow(ok_cancel(self))

    def parts(self) -> dict[str, Decimal]:
        """The parts typed (none where capitation shares are chosen)."""
        if self.capitation_box.isChecked():
            return {}
        parts = {}
        for code, edit in self.edits.items():
            text = edit.text().strip()
            if not text:
                continue
            try:
                parts[code] = (
                    Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
                )
            except InvalidOperation as error:
                raise InputRejected(
                    self.tr("Share: {0}'s part '{1}' is not such as 0.25 or 25%").format(code, text)
                ) from error
        return parts
