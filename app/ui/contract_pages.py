"""The Contracts tab's other pages: bringing data in, quality, notices, pooled budget, year end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
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
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import CommissioningError, InputRejected
from app.formatting import format_money, format_percent
from app.models import FinancialYear, Frequency, NoticeKind, NoticeStatus
from app.services import contract_exchange, contracts, pooled_budget, quality, year_end
from app.services.risk_sharing import Method
from app.store.database import Database
from app.ui.context import UiContext
from app.ui.dialog_parts import AppliedChange, ok_cancel
from app.ui.errors import show_error
from app.ui.narrative import run_confirming
from app.ui.record_model import Column, Kind, RecordTableModel, fitted_widths
from app.ui.table_view import CellMeasure, DataTableView
from app.ui.tasks import BackgroundFill, Task, start_task
from app.ui.theme import mark_as_warning

PROBLEM_COLUMNS = [
    Column("file", "File"),
    Column("row", "Row", Kind.NUMBER),
    Column("column", "Column"),
    Column("message", "Problem"),
]
STANDARD_COLUMNS = [
    Column("contract", "Contract"),
    Column("service_line", "Line"),
    Column("point_of_delivery", "Point"),
    Column("name", "Standard"),
    Column("target", "Target"),
    Column("frequency", "Frequency"),
    Column("latest_period", "Latest period"),
    Column("latest_result", "Result"),
    Column("met", "Met"),
]
NOTICE_COLUMNS = [
    Column("issued_on", "Issued", Kind.DATE),
    Column("contract", "Contract"),
    Column("kind", "Kind"),
    Column("amount", "Amount", Kind.MONEY),
    Column("status", "Status"),
    Column("effective_from", "From", Kind.DATE),
    Column("effective_to", "To", Kind.DATE),
    Column("reason", "Reason"),
]
CONTRIBUTION_COLUMNS = [
    Column("member", "Member"),
    Column("baseline", "Baseline allocation", Kind.MONEY),
    Column("basis", "How it was set"),
    Column("share_text", "Share"),
    Column("amount_text", "Contribution"),
]
STATEMENT_COLUMNS = [
    Column("member", "Member"),
    Column("share_text", "Share"),
    Column("contribution", "Contribution", Kind.MONEY),
    Column("outturn_share", "Share of outturn", Kind.MONEY),
    Column("adjustment", "Year-end adjustment", Kind.MONEY),
]
PAYMENT_COLUMNS = [
    Column("contract", "Contract"),
    Column("provider", "Provider"),
    Column("contract_value", "Contract value", Kind.MONEY),
    Column("outturn", "Outturn", Kind.MONEY),
    Column("difference", "Difference", Kind.MONEY),
]
CLAUSE9_COLUMNS = [
    Column("member", "Member"),
    Column("plan_activity", "Planned activity", Kind.NUMBER),
    Column("plan_cost", "Planned cost", Kind.MONEY),
    Column("actual_activity_ytd", "Activity to date", Kind.NUMBER),
    Column("actual_cost_ytd", "Cost to date", Kind.MONEY),
    Column("forecast_cost", "Forecast outturn", Kind.MONEY),
    Column("forecast_variance", "Forecast variance", Kind.MONEY),
    Column("risk_share_by_capitation", "Variance shared by capitation", Kind.MONEY),
]


def _table(model: RecordTableModel, title: str, context: UiContext) -> DataTableView:
    return DataTableView.titled(model, title, context.today)


def _year_choice(context: UiContext, name: str, years: list[FinancialYear]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    _set_years(combo, years, context.today())
    return combo


def _set_years(combo: QComboBox, years: list[FinancialYear], today: date) -> None:
    """Offer `years`, on this year if it is one of them, else the last (no signal sent)."""
    combo.blockSignals(True)
    combo.clear()
    for year in years:
        combo.addItem(str(year), year)
    index = combo.findText(str(FinancialYear.containing(today)))
    combo.setCurrentIndex(index if index >= 0 else combo.count() - 1)
    combo.blockSignals(False)


def _default_year(years: list[FinancialYear], today: date) -> FinancialYear | None:
    """The year `_set_years` chooses, worked out without a widget (on the worker)."""
    current = FinancialYear.containing(today)
    return current if current in years else (years[-1] if years else None)


def _set_contracts(combo: QComboBox, choices: list[tuple[str, str]], everything: str = "") -> None:
    """Offer the contracts (text, reference), after "all" if `everything` names it."""
    combo.blockSignals(True)
    combo.clear()
    if everything:
        combo.addItem(everything, None)
    for text, reference in choices:
        combo.addItem(text, reference)
    combo.blockSignals(False)


def _contract_choices(
    database: Database, year: FinancialYear | None, today: date
) -> list[tuple[str, str]]:
    return [
        (f"{row.reference} {row.provider_name}", row.reference)
        for row in contracts.list_contracts(database, year, today)
    ]


def _contract_years(context: UiContext) -> list[FinancialYear]:
    return contracts.contract_years(context.database)


def _labelled(text: str, widget: QWidget, layout: QHBoxLayout, characters: int = 12) -> None:
    if isinstance(widget, QComboBox):
        # Long names must not widen the window: the list drops down at full width.
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(characters)
    label = QLabel(text)
    label.setBuddy(widget)
    layout.addWidget(label)
    layout.addWidget(widget)


def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", "").lstrip("£").rstrip("%") or "0")
    except InvalidOperation as error:
        raise InputRejected(f"{what}: '{text}' is not a number") from error


# Bringing data in ----------------------------------------------------------------------


class ProblemsDialog(QDialog):
    """Every problem of a refused file, by sheet, row and column; nothing was applied."""

    def __init__(self, context: UiContext, file: str, problems: list[Any], parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("{0} was refused").format(file))
        self.setAccessibleName(self.tr("Problems in the file"))
        self.model = RecordTableModel(PROBLEM_COLUMNS, self)
        self.model.set_rows(problems)
        self.table = _table(self.model, self.tr("Problems in {0}").format(file), context)
        self.table.resizeColumnsToContents()
        text = QLabel(
            self.tr("{0} problems. Nothing was applied: correct the file and import it again.")
            .format(len(problems))
        )  # fmt: skip
        text.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.table, 1)
        layout.addWidget(close)
        self.resize(860, 420)


class BringInButton(QPushButton):
    """Import, export or an empty template for each kind of record that can be brought in."""

    imported = Signal(str)
    finished = Signal()  # any import, export or template written (or refused)

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._task: Task | None = None
        self.problems_dialog: ProblemsDialog | None = None
        self.last_message = ""
        self.setText(self.tr("&Bring data in…"))
        self.setAccessibleName(self.tr("Bring existing data in, or write it out"))
        menu = QMenu(self)
        for kind in contract_exchange.kinds():
            sub = menu.addMenu(self.tr(kind.title))
            sub.addAction(self.tr("Import…"), partial(self.ask_import, kind))
            sub.addAction(self.tr("Export…"), partial(self.ask_export, kind, False))
            sub.addAction(self.tr("Empty template…"), partial(self.ask_export, kind, True))
        self.setMenu(menu)

    def ask_import(self, kind: contract_exchange.Kind) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import {0}").format(kind.title.lower()),
            "",
            self.tr("Workbooks (*.xlsx)"),
        )
        if path:
            self.import_file(kind.key, Path(path))

    def ask_export(self, kind: contract_exchange.Kind, template: bool) -> None:
        suggested = f"{kind.key}{'-template' if template else ''}.xlsx"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Write {0}").format(kind.title.lower()), suggested,
            self.tr("Workbooks (*.xlsx)"),
        )  # fmt: skip
        if path:
            self.export_file(kind.key, Path(path), template)

    def _kind(self, key: str) -> contract_exchange.Kind:
        return next(k for k in contract_exchange.kinds() if k.key == key)

    def import_file(self, key: str, path: Path) -> None:
        """Check and apply off the GUI thread; a refusal lists every problem."""
        database, load = self.context.database, self._kind(key).load
        self.setEnabled(False)
        self._task = start_task(
            lambda: load(database, path),
            lambda report: self._imported(key, path, report),
            lambda error: self._failed(path, error),
        )

    def export_file(self, key: str, path: Path, template: bool) -> None:
        database, export = self.context.database, self._kind(key).export
        self.setEnabled(False)
        self._task = start_task(
            lambda: export(database, path, template=template),
            lambda count: self._done(
                self.tr("Wrote the empty template to {0}.").format(path.name)
                if template
                else self.tr("Wrote {0} rows to {1}.").format(count, path.name)
            ),
            lambda error: self._failed(path, error),
        )

    def _done(self, message: str) -> None:
        self._task = None
        self.setEnabled(True)
        self.last_message = message
        self.finished.emit()

    def _imported(self, key: str, path: Path, report: Any) -> None:
        if isinstance(report, int):  # contracts report the lines they read
            message = self.tr("{0}: {1} contract lines imported.").format(path.name, report)
        else:
            message = self.tr("{0}: {1} added, {2} updated.").format(
                report.file, report.created, report.updated
            )
        self._done(message)
        self.imported.emit(key)

    def _failed(self, path: Path, error: Exception) -> None:
        self._task = None
        self.setEnabled(True)
        if isinstance(error, InputRejected):
            self.last_message = self.tr("{0} was refused; nothing was applied.").format(path.name)
            self.problems_dialog = ProblemsDialog(
                self.context, path.name, list(error.problems), self.window()
            )
            self.problems_dialog.open()
        else:
            self.last_message = ""
            show_error(error, self.context.log_file, self.tr("Bring data in"))
        self.finished.emit()


# Quality standards ---------------------------------------------------------------------


@dataclass(frozen=True)
class StandardValues:
    contract: str
    service_line: str
    point_of_delivery: str
    name: str
    target: str
    frequency: str


class StandardDialog(QDialog):
    def __init__(self, context: UiContext, contract: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add a quality standard to {0}").format(contract))
        self.contract = contract
        self.line_choice = QComboBox()
        self.line_choice.setAccessibleName(self.tr("Service line"))
        for code, point in quality.contract_lines(context.database, contract):
            self.line_choice.addItem(f"{code} {point}".strip(), (code, point))
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Standard"))
        self.target_edit = QLineEdit()
        self.target_edit.setAccessibleName(self.tr("Target"))
        self.frequency_choice = QComboBox()
        self.frequency_choice.setAccessibleName(self.tr("Frequency"))
        for frequency in Frequency.ALL:
            self.frequency_choice.addItem(self.tr(frequency), frequency)
        self.frequency_choice.setCurrentIndex(self.frequency_choice.findData(Frequency.QUARTERLY))
        form = QFormLayout(self)
        form.addRow(self.tr("&Line:"), self.line_choice)
        form.addRow(self.tr("&Standard:"), self.name_edit)
        form.addRow(self.tr("&Target:"), self.target_edit)
        form.addRow(self.tr("&Frequency:"), self.frequency_choice)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def values(self) -> StandardValues:
        code, point = self.line_choice.currentData() or ("", "")
        name, target = self.name_edit.text(), self.target_edit.text()
        frequency = self.frequency_choice.currentData()
        return StandardValues(self.contract, code, point, name, target, frequency)


class ResultDialog(QDialog):
    def __init__(self, standard: quality.StandardRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Result of “{0}”").format(standard.name))
        self.period_edit = QLineEdit()
        self.period_edit.setPlaceholderText(self.tr("2026/27 Q1 or 2026/27 M05"))
        self.period_edit.setAccessibleName(self.tr("Period"))
        self.result_edit = QLineEdit()
        self.result_edit.setAccessibleName(self.tr("Result"))
        self.met_choice = QComboBox()
        self.met_choice.setAccessibleName(self.tr("Met"))
        for text, value in ((self.tr("(not judged)"), None), (self.tr("Met"), True),
                            (self.tr("Not met"), False)):  # fmt: skip
            self.met_choice.addItem(text, value)
        self.comment_edit = QLineEdit()
        self.comment_edit.setAccessibleName(self.tr("Comment"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Period:"), self.period_edit)
        form.addRow(self.tr("&Result:"), self.result_edit)
        form.addRow(self.tr("&Met:"), self.met_choice)
        form.addRow(self.tr("&Comment:"), self.comment_edit)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, bool | None, str]:
        return (self.period_edit.text().strip(), self.result_edit.text(),
                self.met_choice.currentData(), self.comment_edit.text())  # fmt: skip


@dataclass(frozen=True)
class QualityFill:
    """What the quality page shows first, read on the worker."""

    years: list[FinancialYear]
    contracts: list[tuple[str, str]]
    standards: list[quality.StandardRow]
    warnings: list[str]
    widths: list[int]


def _read_quality(database: Database, today: date, measure: CellMeasure) -> QualityFill:
    years = contracts.contract_years(database)
    year = _default_year(years, today)
    if year is None:
        return QualityFill(years, [], [], [], [])
    standards = quality.list_standards(database, year, None)
    return QualityFill(
        years,
        _contract_choices(database, year, today),
        standards,
        quality.quality_warnings(database, year),
        fitted_widths(measure, STANDARD_COLUMNS, standards),
    )


class QualityPage(QWidget):
    """Each contract line's quality standards and latest results; services short of two warned."""

    def __init__(
        self,
        context: UiContext,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context, self.undo_stack = context, undo_stack
        # Made to be filled later (`load=False`), the page reads nothing here.
        self.year_choice = _year_choice(
            context,
            self.tr("Financial year of the standards"),
            _contract_years(context) if load else [],
        )
        self.contract_choice = QComboBox()
        self.contract_choice.setAccessibleName(self.tr("Contract of the standards"))
        self.model = RecordTableModel(STANDARD_COLUMNS, self)
        self.table = _table(self.model, self.tr("Quality standards"), context)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setAccessibleName(self.tr("Services with fewer than two standards"))
        mark_as_warning(self.warning_label)
        self.add_button = QPushButton(self.tr("&Add standard…"))
        self.result_button = QPushButton(self.tr("Record &result…"))
        self.remove_button = QPushButton(self.tr("Re&move standard"))
        bar = QHBoxLayout()
        _labelled(self.tr("&Year:"), self.year_choice, bar)
        _labelled(self.tr("C&ontract:"), self.contract_choice, bar, 30)
        bar.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.add_button, self.result_button, self.remove_button):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.year_choice.currentIndexChanged.connect(self._fill_contracts)
        self.contract_choice.currentIndexChanged.connect(self.reload)
        self.add_button.clicked.connect(self.ask_add)
        self.result_button.clicked.connect(self.ask_result)
        self.remove_button.clicked.connect(self.remove_selected)
        if load:  # else the tab loads it when first wanted
            self._fill_contracts()

    @Slot()
    def load(self) -> None:
        """Fill the page: its years, its contracts, then the chosen one's standards."""
        _set_years(self.year_choice, _contract_years(self.context), self.context.today())
        self._fill_contracts()

    def background_fill(self) -> BackgroundFill:
        """Fill the page from rows read, and columns fitted, on the worker (the tab fills it
        so in passing): the GUI thread only sets them."""
        database, today = self.context.database, self.context.today()
        measure = self.table.cell_measure()
        return (lambda: _read_quality(database, today, measure)), self._filled

    @Slot(object)
    def _filled(self, fill: QualityFill) -> None:
        _set_years(self.year_choice, fill.years, self.context.today())
        _set_contracts(self.contract_choice, fill.contracts, self.tr("All contracts"))
        self._show(fill.standards, fill.warnings, fill.widths)

    def _fill_contracts(self) -> None:
        year = self.year_choice.currentData()
        choices = [] if year is None else _contract_choices(self.context.database, year,
                                                            self.context.today())  # fmt: skip
        _set_contracts(self.contract_choice, choices, self.tr("All contracts"))
        self.reload()

    @Slot()
    def reload(self) -> None:
        year, contract = self.year_choice.currentData(), self.contract_choice.currentData()
        if year is None:
            return
        self._show(
            quality.list_standards(self.context.database, year, contract),
            quality.quality_warnings(self.context.database, year),
        )

    def _show(
        self,
        standards: list[quality.StandardRow],
        warnings: list[str],
        widths: list[int] | None = None,
    ) -> None:
        contract = self.contract_choice.currentData()
        self.model.set_rows(standards)
        if widths is None:
            self.table.resizeColumnsToContents()
        else:
            self.table.fit_columns(widths)
        warnings = [w for w in warnings if not contract or w.startswith(f"{contract} ")]
        shown = warnings[:6]
        more = len(warnings) - len(shown)
        text = "\n".join(shown)
        if more:
            text += "\n" + self.tr("… and {0} more services.").format(more)
        self.warning_label.setText(
            self.tr("Fewer than two quality standards (000 Appendix 14):") + "\n" + text
            if warnings
            else ""
        )
        self.warning_label.setVisible(bool(warnings))
        self.add_button.setEnabled(bool(contract))

    def selected(self) -> quality.StandardRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    @Slot()
    def ask_add(self) -> None:
        contract = self.contract_choice.currentData()
        if not contract:
            return
        dialog = StandardDialog(self.context, contract, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_standard(dialog.values())

    def add_standard(self, values: StandardValues) -> uuid.UUID | None:
        database = self.context.database
        try:
            standard = quality.add_quality_standard(
                database, values.contract, values.service_line, values.point_of_delivery,
                values.name, values.target, values.frequency,
            )  # fmt: skip
        except Exception as error:
            show_error(error, self.context.log_file, self.tr("Quality standards"))
            return None
        self.undo_stack.push(
            AppliedChange(
                self.tr("Add the standard “{0}”").format(values.name),
                lambda: quality.restore_quality_standard(database, standard),
                lambda: quality.remove_quality_standard(database, standard),
                self.reload,
            )
        )
        self.reload()
        return standard

    @Slot()
    def ask_result(self) -> None:
        standard = self.selected()
        if standard is None:
            return
        dialog = ResultDialog(standard, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.record_result(standard.id, *dialog.values())

    def record_result(
        self, standard_id: uuid.UUID, period: str, result: str, met: bool | None, comment: str
    ) -> None:
        database = self.context.database
        done, before = run_confirming(
            self, self.context,
            lambda confirmations: quality.record_quality_result(
                database, standard_id, period, result, met, comment, confirmations
            ),
            self.tr("Quality standards"),
        )  # fmt: skip
        if not done:
            return

        def undo() -> None:
            if before is None:
                quality.remove_quality_result(database, standard_id, period)
            else:
                quality.record_quality_result(database, standard_id, period, before.result,
                                              before.met, before.comment)  # fmt: skip

        self.undo_stack.push(
            AppliedChange(
                self.tr("Record the result for {0}").format(period),
                lambda: quality.record_quality_result(
                    database, standard_id, period, result, met, comment
                ),
                undo,
                self.reload,
            )
        )
        self.reload()

    @Slot()
    def remove_selected(self) -> None:
        standard = self.selected()
        if standard is None:
            return
        database = self.context.database
        quality.remove_quality_standard(database, standard.id)
        self.undo_stack.push(
            AppliedChange(
                self.tr("Remove the standard “{0}”").format(standard.name),
                lambda: quality.remove_quality_standard(database, standard.id),
                lambda: quality.restore_quality_standard(database, standard.id),
                self.reload,
            )
        )
        self.reload()


# Notices and sanctions -----------------------------------------------------------------


@dataclass(frozen=True)
class NoticeValues:
    contract: str
    kind: str
    reason: str
    issued_on: date
    amount: Decimal | None
    effective_from: date | None
    effective_to: date | None


class NoticeDialog(QDialog):
    def __init__(
        self, context: UiContext, references: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Issue a contract notice or sanction"))
        self.contract_choice = QComboBox()
        self.contract_choice.setAccessibleName(self.tr("Contract"))
        self.contract_choice.addItems(references)
        self.kind_choice = QComboBox()
        self.kind_choice.setAccessibleName(self.tr("Kind of notice"))
        for kind in NoticeKind.ALL:
            self.kind_choice.addItem(self.tr(kind), kind)
        self.amount_edit = QLineEdit()
        self.amount_edit.setAccessibleName(self.tr("Amount"))
        self.amount_edit.setPlaceholderText(self.tr("£, where there is one"))
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName(self.tr("Reason"))
        today = context.today()
        self.issued_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.issued_edit.setCalendarPopup(True)
        self.issued_edit.setAccessibleName(self.tr("Issued on"))
        self.from_edit = QLineEdit()
        self.from_edit.setPlaceholderText("2026-12-01")
        self.from_edit.setAccessibleName(self.tr("Effective from"))
        self.to_edit = QLineEdit()
        self.to_edit.setPlaceholderText("2027-03-31")
        self.to_edit.setAccessibleName(self.tr("Effective to"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Contract:"), self.contract_choice)
        form.addRow(self.tr("&Kind:"), self.kind_choice)
        form.addRow(self.tr("&Amount:"), self.amount_edit)
        form.addRow(self.tr("&Reason:"), self.reason_edit)
        form.addRow(self.tr("&Issued on:"), self.issued_edit)
        form.addRow(self.tr("Effective &from:"), self.from_edit)
        form.addRow(self.tr("Effective &to:"), self.to_edit)
        buttons = ok_cancel(self)
        form.addRow(buttons)

    def values(self) -> NoticeValues:
        def day(edit: QLineEdit) -> date | None:
            text = edit.text().strip()
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError as error:
                raise InputRejected(
                    self.tr("'{0}' is not a date such as 2026-12-01").format(text)
                ) from error

        amount = self.amount_edit.text().strip()
        return NoticeValues(
            self.contract_choice.currentText(),
            self.kind_choice.currentData(),
            self.reason_edit.toPlainText(),
            self.issued_edit.date().toPython(),  # type: ignore[arg-type]
            _decimal(amount, self.tr("Amount")) if amount else None,
            day(self.from_edit),
            day(self.to_edit),
        )


class NoticesPage(QWidget):
    """Contract notices and sanctions: non-payment, delayed payment, fines, caps, rates."""

    def __init__(
        self,
        context: UiContext,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context, self.undo_stack = context, undo_stack
        self.contract_choice = QComboBox()
        self.contract_choice.setAccessibleName(self.tr("Contract of the notices"))
        self.model = RecordTableModel(NOTICE_COLUMNS, self)
        self.table = _table(self.model, self.tr("Contract notices and sanctions"), context)
        self.add_button = QPushButton(self.tr("&Issue notice…"))
        self.status_choice = QComboBox()
        self.status_choice.setAccessibleName(self.tr("New status"))
        for status in NoticeStatus.ALL:
            self.status_choice.addItem(self.tr(status), status)
        self.status_button = QPushButton(self.tr("Set &status"))
        bar = QHBoxLayout()
        _labelled(self.tr("C&ontract:"), self.contract_choice, bar, 30)
        bar.addStretch(1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.status_choice)
        bar.addWidget(self.status_button)
        for button in (self.add_button, self.status_button):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.contract_choice.addItem(self.tr("All contracts"), None)
        self.contract_choice.currentIndexChanged.connect(self.reload)
        self.add_button.clicked.connect(self.ask_add)
        self.status_button.clicked.connect(self.set_status)
        if load:  # else the tab loads it when first wanted
            self.load()

    @Slot()
    def load(self) -> None:
        """Fill the page: its contracts, newest first, then their notices."""
        choices = _contract_choices(self.context.database, None, self.context.today())
        _set_contracts(self.contract_choice, choices[::-1], self.tr("All contracts"))
        self.reload()

    def background_fill(self) -> BackgroundFill:
        """Fill the page from rows read, and columns fitted, on the worker."""
        database, today = self.context.database, self.context.today()
        measure = self.table.cell_measure()

        def read() -> tuple[list[tuple[str, str]], list[Any], list[int]]:
            choices = _contract_choices(database, None, today)[::-1]
            notices = quality.list_notices(database, None)
            return choices, notices, fitted_widths(measure, NOTICE_COLUMNS, notices)

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: tuple[list[tuple[str, str]], list[Any], list[int]]) -> None:
        choices, notices, widths = fill
        _set_contracts(self.contract_choice, choices, self.tr("All contracts"))
        self.model.set_rows(notices)
        self.table.fit_columns(widths)

    @Slot()
    def reload(self) -> None:
        self.model.set_rows(
            quality.list_notices(self.context.database, self.contract_choice.currentData())
        )
        self.table.resizeColumnsToContents()

    @Slot()
    def ask_add(self) -> None:
        references = [
            self.contract_choice.itemData(i) for i in range(1, self.contract_choice.count())
        ]
        dialog = NoticeDialog(self.context, references, self)
        chosen = self.contract_choice.currentData()
        if chosen:
            dialog.contract_choice.setCurrentText(chosen)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                values = dialog.values()
            except InputRejected as error:
                show_error(error, self.context.log_file, self.tr("Contract notices"))
                return
            self.add_notice(values)

    def add_notice(self, values: NoticeValues) -> uuid.UUID | None:
        database = self.context.database
        done, notice = run_confirming(
            self, self.context,
            lambda confirmations: quality.add_notice(
                database, values.contract, values.kind, values.reason, values.issued_on,
                values.amount, values.effective_from, values.effective_to,
                confirmations=confirmations,
            ),
            self.tr("Contract notices"),
        )  # fmt: skip
        if not done or notice is None:
            return None
        self.undo_stack.push(
            AppliedChange(
                self.tr("Issue a {0} notice").format(values.kind),
                lambda: quality.remove_notice(database, notice, restore=True),
                lambda: quality.remove_notice(database, notice),
                self.reload,
            )
        )
        self.reload()
        return notice

    @Slot()
    def set_status(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        notice, status = self.model.row_at(index.row()), self.status_choice.currentData()
        database = self.context.database
        try:
            before = quality.set_notice_status(database, notice.id, status)
        except Exception as error:
            show_error(error, self.context.log_file, self.tr("Contract notices"))
            return
        self.undo_stack.push(
            AppliedChange(
                self.tr("Mark the notice {0}").format(status),
                lambda: quality.set_notice_status(database, notice.id, status),
                lambda: quality.set_notice_status(database, notice.id, before),
                self.reload,
            )
        )
        self.reload()


# Pooled budget -------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionRow:
    contribution: pooled_budget.Contribution

    def __getattr__(self, name: str) -> Any:
        return getattr(self.contribution, name)

    @property
    def share_text(self) -> str:
        return format_percent(self.contribution.share, 4)

    @property
    def amount_text(self) -> str:
        return format_money(self.contribution.amount, pence=True)


class BudgetDialog(QDialog):
    """The year's budget as people set it: base, uplifts, management costs, agreed shares."""

    def __init__(
        self,
        settings: pooled_budget.BudgetSettings,
        members: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Pooled budget {0}").format(settings.year))
        self.services_edit = QLineEdit(f"{settings.services_budget:f}")
        self.services_edit.setAccessibleName(self.tr("Services budget before uplifts"))
        self.management_edit = QLineEdit(f"{settings.management_costs:f}")
        self.management_edit.setAccessibleName(self.tr("Management costs"))
        self.uplifts_edit = QPlainTextEdit(
            "\n".join(f"{name} = {(rate * 100).normalize():f}" for name, rate in settings.uplifts)
        )
        self.uplifts_edit.setAccessibleName(self.tr("Uplifts, one a line: name = percent"))
        self.uplifts_edit.setPlaceholderText(self.tr("Inflation = 2.5\nCost pressures = 1"))
        self.uplifts_edit.setMaximumHeight(90)
        self.shares = QTableWidget(len(members), 2)
        self.shares.setAccessibleName(self.tr("Agreed shares; empty means pro rata to baseline"))
        self.shares.setHorizontalHeaderLabels([self.tr("Member"), self.tr("Agreed share %")])
        for row, (code, name) in enumerate(members):
            item = QTableWidgetItem(f"{code} {name}")
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.shares.setItem(row, 0, item)
            agreed = settings.agreed_shares.get(code)
            text = "" if agreed is None else f"{(agreed * 100).normalize():f}"
            self.shares.setItem(row, 1, QTableWidgetItem(text))
        self.shares.resizeColumnsToContents()
        self.notes_edit = QLineEdit(settings.notes)
        self.notes_edit.setAccessibleName(self.tr("Notes"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Services budget (£):"), self.services_edit)
        form.addRow(self.tr("&Uplifts (name = %):"), self.uplifts_edit)
        form.addRow(self.tr("&Management costs (£):"), self.management_edit)
        form.addRow(self.tr("Agreed &shares:"), self.shares)
        form.addRow(self.tr("&Notes:"), self.notes_edit)
        buttons = ok_cancel(self)
        form.addRow(buttons)
        self.resize(560, 620)

    def values(self) -> pooled_budget.BudgetSettings:
        uplifts = []
        for line in self.uplifts_edit.toPlainText().splitlines():
            if not line.strip():
                continue
            name, sep, rate = line.rpartition("=")
            if not sep:
                raise InputRejected(self.tr("'{0}' is not name = percent").format(line))
            uplifts.append((name.strip(), _decimal(rate, name.strip()) / 100))
        shares = {}
        for row in range(self.shares.rowCount()):
            member = self.shares.item(row, 0)
            assert member is not None
            code = member.data(Qt.ItemDataRole.UserRole)
            cell = self.shares.item(row, 1)
            text = cell.text().strip() if cell is not None else ""
            if text:
                shares[code] = _decimal(text, code) / 100
        return pooled_budget.BudgetSettings(
            year=self.settings.year,
            services_budget=_decimal(self.services_edit.text(), self.tr("Services budget")),
            management_costs=_decimal(self.management_edit.text(), self.tr("Management costs")),
            uplifts=tuple(uplifts),
            agreed_shares=shares,
            notes=self.notes_edit.text(),
            group=self.settings.group,
        )


def _budget_years(database: Database, today: date) -> list[FinancialYear]:
    """The contracts' years and the one after, whose budget is set before its contracts."""
    years = contracts.contract_years(database)
    return [*years, (years[-1] + 1) if years else FinancialYear.containing(today)]


@dataclass(frozen=True)
class BudgetFill:
    """What the budget page shows first, read on the worker."""

    years: list[FinancialYear]
    view: pooled_budget.PooledBudgetView | None
    refusal: str
    widths: list[int]


class BudgetPage(QWidget):
    """The SCG's pooled budget for a year and how each PCT's contribution was set."""

    def __init__(
        self,
        context: UiContext,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context, self.undo_stack = context, undo_stack
        self.view: pooled_budget.PooledBudgetView | None = None
        self.year_choice = _year_choice(
            context,
            self.tr("Financial year of the budget"),
            _budget_years(context.database, context.today()) if load else [],
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("The budget worked out"))
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = RecordTableModel(CONTRIBUTION_COLUMNS, self)
        self.table = _table(self.model, self.tr("Contributions to the pooled budget"), context)
        self.edit_button = QPushButton(self.tr("&Set the budget…"))
        self.edit_button.setAccessibleName(self.tr("Set the budget"))
        bar = QHBoxLayout()
        _labelled(self.tr("&Year:"), self.year_choice, bar)
        bar.addStretch(1)
        bar.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.edit_button.clicked.connect(self.ask_edit)
        if load:  # else the tab loads it when first wanted
            self.reload()

    @Slot()
    def load(self) -> None:
        """Fill the page: its years, then the chosen year's budget."""
        years = _budget_years(self.context.database, self.context.today())
        _set_years(self.year_choice, years, self.context.today())
        self.reload()

    def background_fill(self) -> BackgroundFill:
        """Fill the page from the budget read, and columns fitted, on the worker."""
        database, today = self.context.database, self.context.today()
        measure = self.table.cell_measure()

        def read() -> BudgetFill:
            years = _budget_years(database, today)
            year = _default_year(years, today)
            try:
                view = pooled_budget.pooled_budget(database, year) if year is not None else None
            except InputRejected as error:
                return BudgetFill(years, None, str(error), [])
            rows = [] if view is None else [ContributionRow(c) for c in view.contributions]
            return BudgetFill(years, view, "", fitted_widths(measure, CONTRIBUTION_COLUMNS, rows))

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: BudgetFill) -> None:
        _set_years(self.year_choice, fill.years, self.context.today())
        self._show(fill.view, fill.refusal, fill.widths)

    @Slot()
    def reload(self) -> None:
        year = self.year_choice.currentData()
        try:
            view = pooled_budget.pooled_budget(self.context.database, year)
        except InputRejected as error:
            self._show(None, str(error))
            return
        self._show(view, "")

    def _show(
        self,
        view: pooled_budget.PooledBudgetView | None,
        refusal: str,
        widths: list[int] | None = None,
    ) -> None:
        year = self.year_choice.currentData()
        self.view = view
        if refusal:
            self.summary.setText(refusal)
            self.model.set_rows([])
            return
        if self.view is None:
            self.summary.setText(
                self.tr("No pooled budget has been set for {0}. Set it to see each PCT's "
                        "contribution.").format(year)
            )  # fmt: skip
            self.model.set_rows([])
            return
        self.summary.setText("\n".join(self.view.explanation[: 5 + len(self.view.uplifts)]))
        self.model.set_rows([ContributionRow(c) for c in self.view.contributions])
        if widths is None:
            self.table.resizeColumnsToContents()
        else:
            self.table.fit_columns(widths)

    def dialog(self) -> BudgetDialog:
        year = self.year_choice.currentData()
        database = self.context.database
        settings = pooled_budget.budget_settings(database, year) or pooled_budget.BudgetSettings(
            year, Decimal(0), Decimal(0)
        )
        members = pooled_budget.members(database, year, settings.group or None)
        return BudgetDialog(settings, members, self)

    @Slot()
    def ask_edit(self) -> None:
        try:
            dialog = self.dialog()
        except InputRejected as error:
            show_error(error, self.context.log_file, self.tr("Pooled budget"))
            return
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                settings = dialog.values()
            except InputRejected as error:
                show_error(error, self.context.log_file, self.tr("Pooled budget"))
                return
            self.set_budget(settings)

    def set_budget(self, settings: pooled_budget.BudgetSettings) -> bool:
        """Set the budget as one undoable change; refused whole if a figure is wrong."""
        database = self.context.database
        try:
            before = pooled_budget.budget_settings(database, settings.year)
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("Pooled budget"))
            return False
        done, _view = run_confirming(
            self, self.context,
            lambda confirmations: pooled_budget.set_pooled_budget(
                database, settings, confirmations
            ),
            self.tr("Pooled budget"),
        )  # fmt: skip
        if not done:
            return False

        def undo() -> None:
            if before is None:
                pooled_budget.remove_pooled_budget(database, settings.year, settings.group or None)
            else:
                pooled_budget.set_pooled_budget(database, before)

        self.undo_stack.push(
            AppliedChange(
                self.tr("Set the pooled budget {0}").format(settings.year),
                lambda: pooled_budget.set_pooled_budget(database, settings),
                undo,
                self.reload,
            )
        )
        self.reload()
        return True


# Year end and clause 9 -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    statement: year_end.PctStatement

    def __getattr__(self, name: str) -> Any:
        return getattr(self.statement, name)

    @property
    def share_text(self) -> str:
        return format_percent(self.statement.share, 4)


class YearEndPage(QWidget):
    """Members' statements, payments to providers, the roll-over, and the clause 9 summary."""

    loaded = Signal()
    rolled = Signal(list)

    def __init__(
        self,
        context: UiContext,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context, self.undo_stack = context, undo_stack
        self._task: Task | None = None
        self._clause_task: Task | None = None
        self.result: year_end.YearEnd | None = None
        self.clause9: year_end.Clause9Summary | None = None
        self.year_choice = _year_choice(
            context,
            self.tr("Financial year of the year end"),
            _contract_years(context) if load else [],
        )
        self.method_choice = QComboBox()
        self.method_choice.setAccessibleName(self.tr("How the variance is shared"))
        for key, text in (
            (Method.CAPITATION, self.tr("By weighted capitation")),
            (Method.HISTORICAL_USAGE, self.tr("By historical usage (3 years)")),
            (Method.BASELINE_SHARE, self.tr("By share of the baseline budget")),
        ):
            self.method_choice.addItem(text, key)
        self.statements_model = RecordTableModel(STATEMENT_COLUMNS, self)
        self.statements = _table(self.statements_model, self.tr("Member statements"), context)
        self.payments_model = RecordTableModel(PAYMENT_COLUMNS, self)
        self.payments = _table(self.payments_model, self.tr("Payments to providers"), context)
        self.status_label = QLabel()
        self.status_label.setAccessibleName(self.tr("Year end status"))
        self.uplift_spin = QDoubleSpinBox()
        self.uplift_spin.setRange(-20, 20)
        self.uplift_spin.setDecimals(2)
        self.uplift_spin.setSuffix(" %")
        self.uplift_spin.setValue(2.1)
        self.uplift_spin.setAccessibleName(self.tr("Uplift on plans and prices"))
        self.roll_button = QPushButton(self.tr("&Roll into next year"))
        self.roll_button.setAccessibleName(self.tr("Roll the contracts into the next year"))
        self.contract_choice = QComboBox()
        self.contract_choice.setAccessibleName(self.tr("Contract of the clause 9 summary"))
        self.clause9_model = RecordTableModel(CLAUSE9_COLUMNS, self)
        self.clause9_table = _table(self.clause9_model, self.tr("Clause 9 summary"), context)
        self.export_button = QPushButton(self.tr("&Export clause 9…"))
        self.export_button.setAccessibleName(self.tr("Export the clause 9 summary"))

        bar = QHBoxLayout()
        _labelled(self.tr("&Year:"), self.year_choice, bar)
        _labelled(self.tr("&Share the variance:"), self.method_choice, bar, 28)
        bar.addStretch(1)
        rolling = QHBoxLayout()
        rolling.addStretch(1)
        _labelled(self.tr("U&plift on plans and prices:"), self.uplift_spin, rolling)
        rolling.addWidget(self.roll_button)
        upper = QWidget()
        upper_layout = QHBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.statements, 3)
        upper_layout.addWidget(self.payments, 2)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        clause_bar = QHBoxLayout()
        _labelled(self.tr("Clause 9 summary of &contract:"), self.contract_choice, clause_bar, 36)
        clause_bar.addStretch(1)
        clause_bar.addWidget(self.export_button)
        lower_layout.addLayout(clause_bar)
        lower_layout.addWidget(self.clause9_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(rolling)

        self.year_choice.currentIndexChanged.connect(self._fill_contracts)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.method_choice.currentIndexChanged.connect(self.reload)
        self.contract_choice.currentIndexChanged.connect(self.reload_clause9)
        self.roll_button.clicked.connect(self.roll_over)
        self.export_button.clicked.connect(self.ask_export)
        if load:  # else the tab loads it when first wanted
            self._fill_contracts()
            self.reload()

    @Slot()
    def load(self) -> None:
        """Fill the page: its years and contracts, then (on the worker) the year end."""
        _set_years(self.year_choice, _contract_years(self.context), self.context.today())
        self._fill_contracts()
        self.reload()

    def background_fill(self) -> BackgroundFill:
        """Read the years and contracts on the worker, then work out the year end there."""
        database, today = self.context.database, self.context.today()

        def read() -> tuple[list[FinancialYear], list[tuple[str, str]]]:
            years = contracts.contract_years(database)
            year = _default_year(years, today)
            return years, [] if year is None else _contract_choices(database, year, today)

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: tuple[list[FinancialYear], list[tuple[str, str]]]) -> None:
        years, choices = fill
        _set_years(self.year_choice, years, self.context.today())
        _set_contracts(self.contract_choice, choices)
        self.reload_clause9()
        self.reload()

    @Slot()
    def _fill_contracts(self) -> None:
        year = self.year_choice.currentData()
        choices = [] if year is None else _contract_choices(self.context.database, year,
                                                            self.context.today())  # fmt: skip
        _set_contracts(self.contract_choice, choices)
        self.reload_clause9()

    @Slot()
    def reload(self) -> None:
        year, method = self.year_choice.currentData(), self.method_choice.currentData()
        if year is None:
            return
        database = self.context.database
        statements, payments = self.statements.cell_measure(), self.payments.cell_measure()

        def work() -> tuple[year_end.YearEnd, list[int], list[int]]:
            result = year_end.year_end(database, year, method)
            rows = [StatementRow(s) for s in result.statements]
            return (result, fitted_widths(statements, STATEMENT_COLUMNS, rows),
                    fitted_widths(payments, PAYMENT_COLUMNS, result.payments))  # fmt: skip

        self.status_label.setText(self.tr("Working out the year end…"))
        self._task = start_task(work, self._loaded, self._failed)

    @Slot(object)
    def _loaded(self, worked_out: tuple[year_end.YearEnd, list[int], list[int]]) -> None:
        self._task = None
        result, statement_widths, payment_widths = worked_out
        self.result = result
        self.statements_model.set_rows([StatementRow(s) for s in result.statements])
        self.payments_model.set_rows(result.payments)
        self.statements.fit_columns(statement_widths)
        self.payments.fit_columns(payment_widths)
        value = sum((p.contract_value for p in result.payments), Decimal(0))
        outturn = sum((p.outturn for p in result.payments), Decimal(0))
        self.status_label.setText(
            self.tr("{0}: contracts worth {1}, outturn {2}, to be shared {3}. "
                    "Contributions: {4}.").format(
                result.year, format_money(value), format_money(outturn),
                format_money(outturn - value), result.basis,
            )
        )  # fmt: skip
        self.loaded.emit()

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = self._clause_task = None
        self.status_label.setText("")
        show_error(error, self.context.log_file, self.tr("Year end"))

    @Slot()
    def reload_clause9(self) -> None:
        contract = self.contract_choice.currentData()
        if not contract:
            self.clause9_model.set_rows([])
            return
        database, measure = self.context.database, self.clause9_table.cell_measure()

        def work() -> tuple[year_end.Clause9Summary, list[int]]:
            summary = year_end.clause9_summary(database, contract)
            return summary, fitted_widths(measure, CLAUSE9_COLUMNS, summary.rows)

        self._clause_task = start_task(work, self._clause9_loaded, self._failed)

    @Slot(object)
    def _clause9_loaded(self, worked_out: tuple[year_end.Clause9Summary, list[int]]) -> None:
        self._clause_task = None
        summary, widths = worked_out
        self.clause9 = summary
        self.clause9_model.set_rows(summary.rows)
        self.clause9_table.set_subtitle(
            self.tr("{0}, {1} months of returns").format(summary.year, summary.months_reported)
        )
        self.clause9_table.fit_columns(widths)
        self.loaded.emit()

    @Slot()
    def ask_export(self) -> None:
        contract = self.contract_choice.currentData()
        if not contract:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the clause 9 summary"), f"clause9-{contract}.xlsx",
            self.tr("Workbooks (*.xlsx)"),
        )  # fmt: skip
        if path:
            self.export_clause9(Path(path))

    def export_clause9(self, path: Path) -> None:
        contract, database = self.contract_choice.currentData(), self.context.database
        self._clause_task = start_task(
            lambda: year_end.export_clause9(database, contract, path),
            lambda _none: self.status_label.setText(
                self.tr("Wrote the clause 9 summary to {0}.").format(path.name)
            ),
            self._failed,
        )

    @Slot()
    def roll_over(self) -> list[str]:
        """Roll the year's contracts into the next as drafts; undone by taking them away."""
        year = self.year_choice.currentData()
        uplift = Decimal(str(round(self.uplift_spin.value(), 2))) / 100
        database = self.context.database
        try:
            created = year_end.roll_contracts(database, year, uplift)
        except Exception as error:
            show_error(error, self.context.log_file, self.tr("Year end"))
            return []
        self.status_label.setText(
            self.tr("Rolled {0} contracts into {1} as drafts.").format(len(created), year + 1)
        )
        if created:
            self.undo_stack.push(
                AppliedChange(
                    self.tr("Roll {0} into {1}").format(year, year + 1),
                    lambda: year_end.roll_contracts(database, year, uplift),
                    lambda: year_end.remove_draft_contracts(database, created),
                    lambda: self.rolled.emit(created),
                )
            )
            self.rolled.emit(created)
        return created


__all__ = [
    "BringInButton",
    "BudgetPage",
    "NoticesPage",
    "QualityPage",
    "YearEndPage",
]
