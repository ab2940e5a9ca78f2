"""Write any PDF report from the application: choose it, write it in a worker, preview it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_date
from app.models import FinancialYear
from app.services import meetings
from app.services.reports import KINDS, TITLES, ReportRequest, WrittenReport, write_report
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.meeting_dialogs import preview_pdf
from app.ui.tasks import Task, start_task

# Which options each report takes.
OPTIONS = {
    "meeting-pack": {"meeting", "public"},
    "monitoring": {"contract", "year"},
    "disputes": set(),
    "directory": set(),
    "annual": {"year"},
    "decisions": {"meeting", "period"},
    "attention": set(),
}


class ReportProgress(QObject):
    changed = Signal(int, str)


class ReportDialog(QDialog):
    """The `report` command as a dialog."""

    written = Signal(object)

    def __init__(self, context: UiContext, kind: str = "attention",
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Write a report"))
        self.setAccessibleName(self.windowTitle())
        self._task: Task | None = None
        self.preview = True
        self.signals = ReportProgress(self)
        self.signals.changed.connect(self._progress)

        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Report"))
        for key in KINDS:
            self.kind.addItem(self.tr(TITLES[key]), key)
        self.kind.setCurrentIndex(KINDS.index(kind))
        self.meeting = QComboBox()
        self.meeting.setAccessibleName(self.tr("Meeting"))
        with context.database.reader() as session:
            for row in meetings.list_meetings(session):
                self.meeting.addItem(
                    f"{format_date(row.held_on)} {row.body_short_name} ({row.status})", row.id
                )
        self.public = QCheckBox(self.tr("Public edition (no confidential items)"))
        self.public.setAccessibleName(self.tr("Public edition"))
        self.contract = QLineEdit()
        self.contract.setAccessibleName(self.tr("Contract reference"))
        self.contract.setPlaceholderText(self.tr("All contracts of the year"))
        self.year = QComboBox()
        self.year.setAccessibleName(self.tr("Financial year"))
        current = FinancialYear.containing(context.today())
        for offset in range(-3, 2):
            self.year.addItem(str(current + offset), (current + offset).start_year)
        self.year.setCurrentIndex(3)
        today = QDate(context.today())
        self.start = QDateEdit(today.addMonths(-6))
        self.start.setAccessibleName(self.tr("From"))
        self.end = QDateEdit(today)
        self.end.setAccessibleName(self.tr("To"))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
        self.use_period = QCheckBox(self.tr("A period instead of one meeting"))
        self.use_period.setAccessibleName(self.tr("Decisions of a period"))
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setVisible(False)

        self.form = QFormLayout()
        self.form.addRow(self.tr("&Report:"), self.kind)
        self.form.addRow(self.tr("&Meeting:"), self.meeting)
        self.form.addRow("", self.public)
        self.form.addRow("", self.use_period)
        self.form.addRow(self.tr("&From:"), self.start)
        self.form.addRow(self.tr("&To:"), self.end)
        self.form.addRow(self.tr("&Contract:"), self.contract)
        self.form.addRow(self.tr("&Year:"), self.year)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.buttons.setAccessibleName(self.tr("Dialog buttons"))
        self.buttons.accepted.connect(self.choose_file)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._show_options)
        self.use_period.toggled.connect(self._show_options)
        self.contract.textChanged.connect(self._show_options)
        self._show_options()
        self.resize(520, 320)

    @Slot()
    def _show_options(self) -> None:
        options = OPTIONS[self.kind.currentData()]
        period = "period" in options and self.use_period.isChecked()
        shown = {
            self.meeting: "meeting" in options and not period,
            self.public: "public" in options,
            self.use_period: "period" in options,
            self.start: period,
            self.end: period,
            self.contract: "contract" in options,
            self.year: "year" in options and not self.contract.text().strip(),
        }
        for widget, visible in shown.items():
            self.form.setRowVisible(widget, visible)

    def request(self) -> ReportRequest:
        kind = self.kind.currentData()
        options = OPTIONS[kind]
        period = "period" in options and self.use_period.isChecked()
        return ReportRequest(
            kind=kind,
            as_of=self.context.today(),
            meeting=str(self.meeting.currentData()) if "meeting" in options and not period
            else None,
            public="public" in options and self.public.isChecked(),
            contract=self.contract.text().strip() or None if "contract" in options else None,
            year=FinancialYear(int(self.year.currentData())) if "year" in options else None,
            start=_day(self.start.date()) if period else None,
            end=_day(self.end.date()) if period else None,
        )  # fmt: skip

    @Slot()
    def choose_file(self) -> None:
        request = self.request()
        name = f"{request.kind}_{request.as_of.isoformat()}.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the report"), str(Path.home() / name), self.tr("PDF (*.pdf)")
        )
        if path:
            self.write_to(Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf"))

    def write_to(self, path: Path) -> None:
        """Write the chosen report in a worker, with progress; preview it when done."""
        if self._task is not None:
            return
        request, database, signals = self.request(), self.context.database, self.signals

        def work() -> WrittenReport:
            return write_report(database, request, path, lambda p, m: signals.changed.emit(p, m))

        self.buttons.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._task = start_task(work, self._written, self._failed)

    @Slot(int, str)
    def _progress(self, percent: int, message: str) -> None:
        self.progress.setValue(percent)
        self.progress.setFormat(f"{message} – %p%")

    def _done(self) -> None:
        self._task = None
        self.buttons.setEnabled(True)
        self.progress.setVisible(False)

    def _written(self, result: Any) -> None:
        self._done()
        self.written.emit(result)
        if self.preview:
            preview_pdf(result.path, self.context.log_file, self)

    def _failed(self, error: Exception) -> None:
        self._done()
        show_error(error, self.context.log_file, self.tr("Report"))


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
