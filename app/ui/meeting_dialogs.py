"""The Meetings tab's dialogs: an agenda item, a decision with its vote, an action, a declaration,
and the preview of a finished pack."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QDate, QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import InputRejected
from app.formatting import format_date
from app.models import Purpose, VotingRule
from app.services.meetings import (
    PAPER_REPORTS,
    AgendaRow,
    BodySettings,
    MeetingDetail,
    RulePreset,
    vote_outcome,
)
from app.ui.dialog_parts import ok_cancel
from app.ui.theme import mark_as_warning

NamedWidget = TypeVar("NamedWidget", bound=QWidget)


def _named(widget: NamedWidget, name: str) -> NamedWidget:
    widget.setAccessibleName(name)
    return widget


class AgendaItemDialog(QDialog):
    """An agenda item: title, presenter, purpose, time, confidentiality, paper and minutes."""

    def __init__(self, item: AgendaRow | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Agenda item") if item else self.tr("New agenda item"))
        self.setAccessibleName(self.windowTitle())
        self.title = _named(QLineEdit(item.title if item else ""), self.tr("Title"))
        self.presenter = _named(QLineEdit(item.presenter if item else ""), self.tr("Presenter"))
        self.purpose = _named(QComboBox(), self.tr("Purpose"))
        labels = {
            Purpose.DECISION: self.tr("For decision"),
            Purpose.ASSURANCE: self.tr("For assurance"),
            Purpose.INFORMATION: self.tr("For information"),
        }
        for purpose in Purpose.ALL:
            self.purpose.addItem(labels[purpose], purpose)
        if item:
            self.purpose.setCurrentIndex(Purpose.ALL.index(item.purpose))
        self.minutes_allotted = _named(QSpinBox(), self.tr("Time allotted in minutes"))
        self.minutes_allotted.setRange(0, 600)
        self.minutes_allotted.setSuffix(self.tr(" min"))
        self.minutes_allotted.setValue(item.minutes_allotted if item else 15)
        self.confidential = _named(QCheckBox(self.tr("Confidential (left out of the public pack)")),
                                   self.tr("Confidential"))  # fmt: skip
        self.confidential.setChecked(bool(item and item.confidential))
        self.paper_report = _named(QComboBox(), self.tr("Paper"))
        self.paper_report.addItem(self.tr("No report (verbal, or an uploaded PDF)"), "")
        for key, title in PAPER_REPORTS.items():
            self.paper_report.addItem(title, key)
        if item and item.paper_report:
            self.paper_report.setCurrentIndex(self.paper_report.findData(item.paper_report))
        self.paper = _named(QLineEdit(item.paper if item else ""), self.tr("Uploaded paper"))
        browse = _named(QPushButton(self.tr("&Browse…")), self.tr("Choose a PDF paper"))
        browse.clicked.connect(self._browse)
        paper_row = QHBoxLayout()
        paper_row.addWidget(self.paper, 1)
        paper_row.addWidget(browse)
        self.minutes = _named(QPlainTextEdit(item.minutes if item else ""), self.tr("Minutes"))
        form = QFormLayout()
        form.addRow(self.tr("&Title:"), self.title)
        form.addRow(self.tr("&Presenter:"), self.presenter)
        form.addRow(self.tr("P&urpose:"), self.purpose)
        form.addRow(self.tr("T&ime allotted:"), self.minutes_allotted)
        form.addRow("", self.confidential)
        form.addRow(self.tr("Paper (&report):"), self.paper_report)
        form.addRow(self.tr("Paper (&PDF):"), paper_row)
        form.addRow(self.tr("&Minutes:"), self.minutes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))
        self.resize(560, 420)

    @Slot()
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose the paper"), "", self.tr("PDF (*.pdf)")
        )
        if path:
            self.paper.setText(path)

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.text().strip(),
            "presenter": self.presenter.text().strip(),
            "purpose": self.purpose.currentData(),
            "minutes_allotted": self.minutes_allotted.value(),
            "confidential": self.confidential.isChecked(),
            "paper_report": self.paper_report.currentData(),
            "paper": self.paper.text().strip(),
            "minutes": self.minutes.toPlainText(),
        }


class DecisionDialog(QDialog):
    """A decision; a binding one with its vote, the arithmetic shown as it is typed."""

    def __init__(self, detail: MeetingDetail, rule: tuple[str, Decimal, int | None],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.detail = detail
        self.rule, self.threshold, self.rule_of = rule
        self.setWindowTitle(self.tr("Record a decision"))
        self.setAccessibleName(self.windowTitle())
        self.item = _named(QComboBox(), self.tr("Agenda item"))
        self.item.addItem(self.tr("(no item)"), None)
        for item in detail.agenda:
            self.item.addItem(f"{item.reference} {item.title}", item.id)
        self.subject = _named(QLineEdit(), self.tr("Subject"))
        self.text = _named(QPlainTextEdit(), self.tr("Decision text"))
        self.binding = _named(QCheckBox(self.tr("Binding on all members (vote)")),
                              self.tr("Binding"))  # fmt: skip
        self.financial = _named(QCheckBox(self.tr("A financial commitment")),
                                self.tr("Financial commitment"))  # fmt: skip
        weighted = self.rule == VotingRule.WEIGHTED_SHARE
        self.votes_for = _named(QDoubleSpinBox(), self.tr("Votes in favour"))
        self.votes_eligible = _named(QDoubleSpinBox(), self.tr("Eligible votes"))
        voters = [a for a in detail.attendance if a.voting and a.status == "present"]
        for box in (self.votes_for, self.votes_eligible):
            box.setDecimals(6 if weighted else 0)
            box.setRange(0, 1 if weighted else 999)
            box.setSingleStep(0.01 if weighted else 1)
        eligible = sum((a.weight for a in voters), Decimal(0)) if weighted else Decimal(len(voters))
        self.votes_eligible.setValue(float(eligible))
        self.notice_given = _named(QCheckBox(self.tr("Notice given on")), self.tr("Notice given"))
        self.notice_on = _named(QDateEdit(), self.tr("Date notice was given"))
        self.notice_on.setCalendarPopup(True)
        self.notice_on.setDisplayFormat("d MMM yyyy")
        self.notice_on.setDate(QDate(detail.held_on).addDays(-detail.notice_days))
        notice_row = QHBoxLayout()
        notice_row.addWidget(self.notice_given)
        notice_row.addWidget(self.notice_on, 1)
        self.arithmetic = _named(QLabel(), self.tr("Vote arithmetic"))
        self.arithmetic.setWordWrap(True)
        self.warning = _named(QLabel(), self.tr("Notice warning"))
        self.warning.setWordWrap(True)
        mark_as_warning(self.warning, bold=True)
        unit = self.tr("capitation share") if weighted else self.tr("members")
        form = QFormLayout()
        form.addRow(self.tr("&Item:"), self.item)
        form.addRow(self.tr("&Subject:"), self.subject)
        form.addRow(self.tr("&Decision:"), self.text)
        form.addRow("", self.binding)
        form.addRow("", self.financial)
        form.addRow(self.tr("In &favour ({0}):").format(unit), self.votes_for)
        form.addRow(self.tr("&Eligible ({0}):").format(unit), self.votes_eligible)
        form.addRow(self.tr("Notice:"), notice_row)
        form.addRow(self.tr("Result:"), self.arithmetic)
        form.addRow("", self.warning)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))
        for signal in (self.votes_for.valueChanged, self.votes_eligible.valueChanged):
            signal.connect(self._update)
        for check in (self.binding, self.financial, self.notice_given):
            check.toggled.connect(self._update)
        self.notice_on.dateChanged.connect(self._update)
        self._update()
        self.resize(600, 480)

    @Slot()
    def _update(self) -> None:
        binding = self.binding.isChecked()
        for widget in (self.votes_for, self.votes_eligible):
            widget.setEnabled(binding)
        self.notice_on.setEnabled(self.notice_given.isChecked())
        text = ""
        if binding:
            try:
                text = vote_outcome(
                    self.rule, self.threshold, self._decimal(self.votes_for),
                    self._decimal(self.votes_eligible), self.rule_of,
                ).arithmetic  # fmt: skip
            except InputRejected as error:
                text = str(error)
        self.arithmetic.setText(text or self.tr("No vote: a decision by consensus."))
        warning = ""
        if binding and self.financial.isChecked():
            notice = self.notice_date()
            required = self.detail.notice_days
            if notice is None:
                warning = self.tr("No notice recorded: the rules ask for {0} days.").format(
                    required
                )
            elif (self.detail.held_on - notice).days < required:
                warning = self.tr("Only {0} days' notice: the rules ask for {1} days.").format(
                    (self.detail.held_on - notice).days, required
                )
        self.warning.setText(warning)

    def _decimal(self, box: QDoubleSpinBox) -> Decimal:
        return Decimal(str(round(box.value(), box.decimals())))

    def notice_date(self) -> date | None:
        if not self.notice_given.isChecked():
            return None
        day = self.notice_on.date()
        return date(day.year(), day.month(), day.day())

    def values(self) -> dict[str, Any]:
        binding = self.binding.isChecked()
        return {
            "agenda_item_id": self.item.currentData(),
            "subject": self.subject.text().strip(),
            "text": self.text.toPlainText().strip(),
            "binding": binding,
            "financial_commitment": self.financial.isChecked(),
            "votes_for": self._decimal(self.votes_for) if binding else None,
            "votes_eligible": self._decimal(self.votes_eligible) if binding else None,
            "notice_given_on": self.notice_date(),
        }


class MeetingDialog(QDialog):
    """A new meeting (its body, date, time and venue), or an existing one's details."""

    def __init__(
        self,
        bodies: list[tuple[Any, str]],
        detail: MeetingDetail | None,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Meeting") if detail else self.tr("New meeting"))
        self.setAccessibleName(self.windowTitle())
        self.body = _named(QComboBox(), self.tr("Body"))
        for body_id, name in bodies:
            self.body.addItem(name, body_id)
        if detail is not None:
            self.body.setCurrentIndex(max(0, self.body.findData(detail.body_id)))
            self.body.setEnabled(False)
        self.held_on = _named(QDateEdit(QDate(detail.held_on if detail else today)),
                              self.tr("Date"))  # fmt: skip
        self.held_on.setCalendarPopup(True)
        self.held_on.setDisplayFormat("d MMM yyyy")
        self.starts_at = _named(QTimeEdit(), self.tr("Start time"))
        self.starts_at.setDisplayFormat("HH:mm")
        start = detail.starts_at if detail else None
        self.starts_at.setTime(QTime(start.hour, start.minute) if start else QTime(10, 0))
        self.venue = _named(QLineEdit(detail.venue if detail else ""), self.tr("Venue"))
        self.chair = _named(QLineEdit(detail.chair if detail else ""), self.tr("Chair"))
        self.status = _named(QComboBox(), self.tr("Status"))
        for status in ("planned", "held", "cancelled"):
            self.status.addItem(self.tr(status.capitalize()), status)
        if detail is not None:
            self.status.setCurrentIndex(max(0, self.status.findData(detail.status)))
        form = QFormLayout()
        form.addRow(self.tr("&Body:"), self.body)
        form.addRow(self.tr("&Date:"), self.held_on)
        form.addRow(self.tr("&Starts at:"), self.starts_at)
        form.addRow(self.tr("&Venue:"), self.venue)
        form.addRow(self.tr("&Chair:"), self.chair)
        form.addRow(self.tr("S&tatus:"), self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))
        self.resize(480, 240)

    def values(self) -> dict[str, Any]:
        return {
            "held_on": self.held_on.date().toPython(),
            "starts_at": self.starts_at.time().toPython(),
            "venue": self.venue.text().strip(),
            "chair": self.chair.text().strip(),
            "status": self.status.currentData(),
        }


class ActionDialog(QDialog):
    def __init__(self, due_on: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New action"))
        self.setAccessibleName(self.windowTitle())
        self.text = _named(QLineEdit(), self.tr("Action"))
        self.owner = _named(QLineEdit(), self.tr("Owner"))
        self.due_on = _named(QDateEdit(QDate(due_on)), self.tr("Due date"))
        self.due_on.setCalendarPopup(True)
        self.due_on.setDisplayFormat("d MMM yyyy")
        form = QFormLayout()
        form.addRow(self.tr("&Action:"), self.text)
        form.addRow(self.tr("&Owner:"), self.owner)
        form.addRow(self.tr("&Due:"), self.due_on)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))
        self.resize(480, 160)

    def values(self) -> dict[str, Any]:
        return {
            "text": self.text.text().strip(),
            "owner": self.owner.text().strip(),
            "due_on": self.due_on.date().toPython(),
        }


class DeclarationDialog(QDialog):
    def __init__(self, detail: MeetingDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Declaration of interest"))
        self.setAccessibleName(self.windowTitle())
        self.member = _named(QComboBox(), self.tr("Member"))
        self.member.setEditable(True)
        self.member.addItems([a.name for a in detail.attendance])
        self.item = _named(QComboBox(), self.tr("Agenda item"))
        self.item.addItem(self.tr("(the meeting as a whole)"), None)
        for item in detail.agenda:
            self.item.addItem(f"{item.reference} {item.title}", item.id)
        self.interest = _named(QLineEdit(), self.tr("Interest"))
        self.action_taken = _named(QLineEdit(), self.tr("Action taken"))
        form = QFormLayout()
        form.addRow(self.tr("&Member:"), self.member)
        form.addRow(self.tr("&Item:"), self.item)
        form.addRow(self.tr("I&nterest:"), self.interest)
        form.addRow(self.tr("&Action taken:"), self.action_taken)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self))
        self.resize(520, 180)

    def values(self) -> dict[str, Any]:
        return {
            "member_name": self.member.currentText().strip(),
            "agenda_item_id": self.item.currentData(),
            "interest": self.interest.text().strip(),
            "action_taken": self.action_taken.text().strip(),
        }


def preview_pdf(path: Path, log_file: Path, parent: QWidget | None = None) -> None:
    """Show a written PDF inside the application, page by page."""
    from app.ui.pdf_preview import PdfPreview

    PdfPreview(path, log_file, parent).exec()


class PackReadyDialog(QDialog):
    """Both editions written: open either, or the folder."""

    def __init__(self, full: Path, full_pages: int, public: Path, public_pages: int,
                 log_file: Path, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(self.tr("Meeting pack ready"))
        self.setAccessibleName(self.windowTitle())
        self.full, self.public = full, public
        text = QLabel(
            self.tr("The full pack ({0} pages) and the public pack ({1} pages) are in {2}.")
            .format(full_pages, public_pages, full.parent)
        )  # fmt: skip
        text.setAccessibleName(self.tr("Result"))
        text.setWordWrap(True)
        self.preview_full = _named(QPushButton(self.tr("Preview the &full pack")),
                                   self.tr("Preview the full pack"))  # fmt: skip
        self.preview_public = _named(QPushButton(self.tr("Preview the &public pack")),
                                     self.tr("Preview the public pack"))  # fmt: skip
        self.preview_full.clicked.connect(lambda: preview_pdf(self.full, log_file, self))
        self.preview_public.clicked.connect(lambda: preview_pdf(self.public, log_file, self))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(self.tr("Dialog buttons"))
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.preview_full)
        row.addWidget(self.preview_public)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(close)


def describe(detail: MeetingDetail) -> str:
    """The meeting in one line for the tab's heading."""
    return (
        f"{detail.body}: {format_date(detail.held_on)}, {detail.starts_at:%H:%M}–"
        f"{detail.ends_at:%H:%M}, {detail.venue or 'venue to be confirmed'} ({detail.status})"
    )


class BodyRulesDialog(QDialog):
    """A body's binding-vote rule, quorum, notice and agenda numbering, with the rule's
    arithmetic worked as it is set (a rule of the sources can be taken as it stands)."""

    def __init__(
        self,
        settings: BodySettings,
        presets: list[RulePreset],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.presets = presets
        self.setWindowTitle(self.tr("Rules of {0}").format(settings.name))
        self.setAccessibleName(self.tr("Rules of the body"))
        self.name = _named(QLineEdit(settings.name), self.tr("Name of the body"))
        self.short_name = _named(QLineEdit(settings.short_name), self.tr("Short name"))
        self.short_name.setToolTip(self.tr("Begins each agenda number, as in SCG 26/01"))
        self.preset = _named(QComboBox(), self.tr("A rule from the sources"))
        self.preset.addItem(self.tr("(set the rule below)"), None)
        for preset in presets:
            self.preset.addItem(preset.body, preset.key)
        self.rule = _named(QComboBox(), self.tr("Voting rule"))
        for key, title in (
            (VotingRule.WEIGHTED_SHARE, self.tr("Vote weighted by capitation share")),
            (VotingRule.PROPORTION, self.tr("A proportion of the members")),
            (VotingRule.COUNT, self.tr("A number of the members")),
        ):
            self.rule.addItem(title, key)
        self.percent = _named(QDoubleSpinBox(), self.tr("Threshold percentage"))
        self.percent.setRange(0.1, 100)
        self.percent.setDecimals(1)
        self.percent.setSuffix("%")
        self.count = _named(QSpinBox(), self.tr("Members needed"))
        self.count.setRange(1, 200)
        self.of = _named(QSpinBox(), self.tr("Out of how many members"))
        self.of.setRange(1, 200)
        self.quorum = _named(QSpinBox(), self.tr("Quorum"))
        self.quorum.setRange(0, 200)
        self.notice = _named(QSpinBox(), self.tr("Notice for a financial commitment"))
        self.notice.setRange(0, 365)
        self.notice.setSuffix(self.tr(" days"))
        self.numbering = _named(QComboBox(), self.tr("Agenda numbering"))
        self.numbering.addItem(self.tr("Through the calendar year (January)"), "calendar")
        self.numbering.addItem(self.tr("Through the financial year (April)"), "financial")
        self.worked = _named(QLabel(), self.tr("The rule worked through"))
        self.worked.setWordWrap(True)
        self._show(settings)

        count_row = QHBoxLayout()
        count_row.addWidget(self.count)
        count_row.addWidget(QLabel(self.tr("of")))
        count_row.addWidget(self.of)
        count_row.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name)
        form.addRow(self.tr("&Short name:"), self.short_name)
        form.addRow(self.tr("&Take a rule from:"), self.preset)
        form.addRow(self.tr("&Binding decisions:"), self.rule)
        form.addRow(self.tr("&Threshold:"), self.percent)
        needed_label = QLabel(self.tr("&Members needed:"))
        needed_label.setBuddy(self.count)
        form.addRow(needed_label, count_row)
        form.addRow(self.tr("&Quorum (members present):"), self.quorum)
        form.addRow(self.tr("&Notice for money:"), self.notice)
        form.addRow(self.tr("Agenda n&umbering:"), self.numbering)
        self.form = form
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.worked)
        layout.addWidget(ok_cancel(self))
        for signal in (
            self.rule.currentIndexChanged, self.percent.valueChanged, self.count.valueChanged,
            self.of.valueChanged,
        ):  # fmt: skip
            signal.connect(self._update)
        self.preset.currentIndexChanged.connect(self._take_preset)
        self._update()
        self.resize(560, 420)

    def _show(self, settings: BodySettings | RulePreset) -> None:
        self.rule.setCurrentIndex(self.rule.findData(settings.voting_rule))
        if settings.voting_rule == VotingRule.COUNT:
            self.count.setValue(int(settings.threshold))
            self.of.setValue(settings.rule_of or int(settings.threshold))
        else:
            self.percent.setValue(float(settings.threshold * 100))
        self.notice.setValue(settings.notice_days)
        if isinstance(settings, BodySettings):
            self.quorum.setValue(settings.quorum)
            self.numbering.setCurrentIndex(self.numbering.findData(settings.numbering))

    @Slot()
    def _take_preset(self) -> None:
        key = self.preset.currentData()
        preset = next((p for p in self.presets if p.key == key), None)
        if preset is not None:
            self.preset.blockSignals(True)  # showing it fires the fields' own updates
            self._show(preset)
            self.preset.blockSignals(False)
            self._update()

    def _threshold(self) -> Decimal:
        if self.rule.currentData() == VotingRule.COUNT:
            return Decimal(self.count.value())
        return (Decimal(str(self.percent.value())) / 100).quantize(Decimal("0.001"))

    @Slot()
    def _update(self) -> None:
        counting = self.rule.currentData() == VotingRule.COUNT
        for widget in (self.count, self.of):
            widget.setEnabled(counting)
        self.percent.setEnabled(not counting)
        self.worked.setText(self._worked())
        preset = next((p for p in self.presets if p.key == self.preset.currentData()), None)
        if preset is not None and (
            preset.voting_rule != self.rule.currentData() or preset.threshold != self._threshold()
        ):
            # Changed by hand: no longer the source's rule.
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(0)
            self.preset.blockSignals(False)

    def _worked(self) -> str:
        """The rule at its boundary, so a secretariat sees what it means before saving."""
        rule, threshold = self.rule.currentData(), self._threshold()
        if rule == VotingRule.WEIGHTED_SHARE:
            eligible, needed, step, of = Decimal(1), threshold, Decimal("0.001"), None
        elif rule == VotingRule.PROPORTION:
            eligible = Decimal(self.settings.voting_members or 16)
            needed = (eligible * threshold).to_integral_value(rounding=ROUND_CEILING)
            step, of = Decimal(1), None
        else:
            of = self.of.value()
            eligible, needed, step = Decimal(of), threshold, Decimal(1)
        if needed > eligible:
            return self.tr("More members are needed than there are: check the numbers.")
        lines = [vote_outcome(rule, threshold, needed, eligible, of).arithmetic]
        if needed - step >= 0:
            lines.append(vote_outcome(rule, threshold, needed - step, eligible, of).arithmetic)
        return self.tr("Worked through:") + "\n" + "\n".join(f"• {line}" for line in lines)

    def values(self) -> dict[str, Any]:
        counting = self.rule.currentData() == VotingRule.COUNT
        return {
            "name": self.name.text().strip(),
            "short_name": self.short_name.text().strip(),
            "voting_rule": self.rule.currentData(),
            "threshold": self._threshold(),
            "rule_of": self.of.value() if counting else None,
            "quorum": self.quorum.value(),
            "notice_days": self.notice.value(),
            "numbering": self.numbering.currentData(),
        }
