"""The Contracts tab: contracts, monitoring (plan, actual, forecast, charts), returns import."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.errors import CommissioningError, InputRejected
from app.models import Contract, FinancialYear, Organisation, Term, Vocabulary
from app.models.financial_year import MONTH_NAMES
from app.services import contract_split, contracts, monitoring, returns_tracker, year_end
from app.services.returns_tracker import MONTH_FIELDS
from app.services.spc import XmrChart
from app.store.database import Database
from app.ui.charts import LineChart, Rule, Series
from app.ui.context import UiContext
from app.ui.contract_pages import BringInButton, BudgetPage, NoticesPage, QualityPage, YearEndPage
from app.ui.dialog_parts import AppliedChange
from app.ui.errors import show_error
from app.ui.monitoring_model import (
    POSITION_COLUMNS,
    PositionTableModel,
    PreparedRows,
    prepare_rows,
)
from app.ui.narrative import run_confirming
from app.ui.points_page import PointsPage
from app.ui.record_model import Column, Kind, RecordTableModel, fitted_widths
from app.ui.split_dialog import SplitDialog
from app.ui.table_view import CellMeasure, DataTableView
from app.ui.tasks import BackgroundFill, Task, start_task

if TYPE_CHECKING:
    from app.services import returns_import

log = logging.getLogger("app.ui.contracts")

CONTRACT_COLUMNS = [
    Column("reference", "Reference"),
    Column("provider_name", "Provider"),
    Column("financial_year", "Year"),
    Column("status", "Status"),
    Column("overdue_text", "Overdue", tooltip="Not agreed by 1 April of its year"),
    Column("agreed_on", "Agreed", Kind.DATE),
    Column("expected_value", "Expected value", Kind.MONEY),
    Column("lines", "Lines", Kind.NUMBER),
]
PROBLEM_COLUMNS = [
    Column("file", "File"),
    Column("row", "Row", Kind.NUMBER),
    Column("column", "Column"),
    Column("message", "Problem"),
]
DRILL_COLUMNS = [
    Column("file_name", "File"),
    Column("month", "Month", Kind.NUMBER),
    Column("commissioner", "Commissioner"),
    Column("service_line", "Service line"),
    Column("point_of_delivery", "Point of delivery"),
    Column("planned_activity", "Planned"),
    Column("actual_activity", "Actual"),
    Column("price", "Price"),
    Column("actual_cost", "Cost"),
]
TRACKER_COLUMNS = [
    Column("contract", "Contract"),
    Column("provider", "Provider"),
    *(Column(field_, name) for field_, name in zip(MONTH_FIELDS, MONTH_NAMES, strict=True)),
    Column("late", "Late", Kind.NUMBER),
    Column("missing", "Missing", Kind.NUMBER),
]
OPEN_AT_THE_LATEST_MS = 250
PLAN_COLOUR = QColor("#005eb8")
ACTUAL_COLOUR = QColor("#009639")
FORECAST_COLOUR = QColor("#ed8b00")
LIMIT_COLOUR = QColor("#8a1538")


@dataclass(frozen=True)
class ContractListRow:
    id: Any
    reference: str
    provider_name: str
    financial_year: str
    status: str
    overdue_text: str
    agreed_on: Any
    expected_value: Decimal
    lines: int


class _Progress(QObject):
    """Progress from the worker, queued to the GUI thread."""

    changed = Signal(str, float)


def _years(context: UiContext) -> list[FinancialYear]:
    with context.database.reader() as session:
        return sorted(
            set(
                session.scalars(
                    select(Contract.financial_year).where(Contract.deleted_at.is_(None))
                )
            )
        )


class ContractsPage(QWidget):
    """The contracts of a year, with overdue drafts flagged."""

    def __init__(
        self,
        context: UiContext,
        parent: QWidget | None = None,
        *,
        load: bool = True,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.year_choice = QComboBox()
        self.year_choice.setAccessibleName(self.tr("Financial year of the contracts"))
        if load:  # else its years come with its rows (`load`, `fill_in_background`)
            self._set_years(_years(context))
        self.model = RecordTableModel(CONTRACT_COLUMNS, self)
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Contracts"))
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Contracts"))
        self.bring_in = BringInButton(context)
        self.split_button = QPushButton(self.tr("&Split of the plan…"))
        self.split_button.setAccessibleName(self.tr("Split of the plan between the PCTs"))
        self.split_button.setToolTip(
            self.tr("Each PCT's part of the chosen contract's plan (else its capitation share)")
        )
        label = QLabel(self.tr("&Year:"))
        label.setBuddy(self.year_choice)
        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.year_choice)
        bar.addStretch(1)
        bar.addWidget(self.split_button)
        bar.addWidget(self.bring_in)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.bring_in.imported.connect(self.reload)
        self.split_button.clicked.connect(self.ask_split)
        if load:  # else the tab loads it when first wanted
            self.reload()

    @Slot()
    def ask_split(self) -> None:
        """Set the chosen contract's own split of its plan, or go back to capitation."""
        index = self.table.currentIndex()
        if not index.isValid():
            return
        reference = self.model.row_at(index.row()).reference
        database = self.context.database
        try:
            dialog = SplitDialog(
                reference,
                contract_split.members(database, reference),
                contract_split.split_of(database, reference),
                self,
            )
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self.set_split(reference, dialog.parts())
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("Split of the plan"))

    def set_split(self, reference: str, parts: dict[str, Decimal]) -> None:
        """Set the split (refusals raise); undoable."""
        database = self.context.database
        before = contract_split.set_split(database, reference, parts)
        self.undo_stack.push(
            AppliedChange(
                self.tr("Set the split of the plan of {0}").format(reference),
                lambda: contract_split.set_split(database, reference, parts),
                lambda: contract_split.set_split(
                    database, reference, {p.commissioner: p.share for p in before}
                ),
                lambda: None,
            )
        )

    def _set_years(self, years: list[FinancialYear]) -> None:
        """All years, then each year; the last chosen (no signal sent)."""
        self.year_choice.blockSignals(True)
        self.year_choice.clear()
        self.year_choice.addItem(self.tr("All years"), None)
        for year in years:
            self.year_choice.addItem(str(year), year)
        self.year_choice.setCurrentIndex(self.year_choice.count() - 1)
        self.year_choice.blockSignals(False)

    @Slot()
    def load(self) -> None:
        """Fill the page: its years, then the last year's contracts."""
        self._set_years(_years(self.context))
        self.reload()

    def background_fill(self) -> BackgroundFill:
        """Fill the page from rows read, and columns fitted, on the worker (the tab fills it
        so in passing): the GUI thread only sets them."""
        database, today = self.context.database, self.context.today()
        overdue, measure = self.tr("overdue"), self.table.cell_measure()

        def read() -> tuple[list[FinancialYear], list[ContractListRow], list[int]]:
            years = contracts.contract_years(database)
            rows = _contract_rows(database, years[-1] if years else None, today, overdue)
            return years, rows, fitted_widths(measure, CONTRACT_COLUMNS, rows)

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: tuple[list[FinancialYear], list[ContractListRow], list[int]]) -> None:
        years, rows, widths = fill
        self._set_years(years)
        self.model.set_rows(rows)
        self.table.fit_columns(widths)

    @Slot()
    def reload(self) -> None:
        self.model.set_rows(
            _contract_rows(
                self.context.database,
                self.year_choice.currentData(),
                self.context.today(),
                self.tr("overdue"),
            )
        )
        self.table.resizeColumnsToContents()


def _contract_rows(
    database: Database, year: FinancialYear | None, today: date, overdue: str
) -> list[ContractListRow]:
    """The contracts of `year` (or of every year) as the list shows them."""
    return [
        ContractListRow(r.id, r.reference, r.provider_name, r.financial_year, r.status,
                        overdue if r.overdue else "", r.agreed_on, r.expected_value, r.lines)
        for r in contracts.list_contracts(database, year, today)
    ]  # fmt: skip


_Figures = tuple[monitoring.Position, XmrChart | None, PreparedRows, list[int]]


def _work_out(
    database: Database, flt: monitoring.MonitoringFilter, dimension: str, measure: CellMeasure
) -> _Figures:
    """The position, its chart, the table's cells and its columns' widths (run on the
    worker)."""
    result = monitoring.position(database, flt, dimension)
    try:
        chart = monitoring.monthly_series(database, flt)
    except ValueError:
        chart = None
    # The cells are written and measured here too: the GUI thread only swaps the rows in.
    prepared = prepare_rows(result.rows)
    return result, chart, prepared, measure.widths(prepared.texts, len(POSITION_COLUMNS))


@dataclass(frozen=True)
class _Choices:
    """What the monitoring filters offer, as (text, code), and the year to open on."""

    years: list[FinancialYear]
    year: FinancialYear | None
    contracts: list[tuple[str, str]]
    lines: list[tuple[str, str]]
    commissioners: list[tuple[str, str]]
    points: list[tuple[str, str]]


def _read_choices(database: Database, today: date) -> _Choices:
    """The filters' choices (run on the worker, with the first figures)."""
    with database.reader() as session:
        years = sorted(
            set(
                session.scalars(
                    select(Contract.financial_year).where(Contract.deleted_at.is_(None))
                )
            )
        )
        names = monitoring._names(session)
        commissioners = session.execute(
            select(Organisation.code, Organisation.name)
            .join(Term, Organisation.type_id == Term.id)
            .where(Term.category == "commissioner", Organisation.successor_id.is_(None))
            .order_by(Organisation.code)
        ).all()
        points = session.execute(
            select(Term.code, Term.name)
            .where(Term.vocabulary == Vocabulary.POINT_OF_DELIVERY)
            .order_by(Term.position)
        ).all()
    current = FinancialYear.containing(today)
    year = current if current in years else (years[-1] if years else None)
    listed = contracts.list_contracts(database, year, today) if year is not None else []
    return _Choices(
        years=years,
        year=year,
        contracts=[(f"{row.reference} {row.provider_name}", row.reference) for row in listed],
        lines=[
            (f"{code} {names.lines[names.line_by_code[code]][1]}", code)
            for code in sorted(names.line_by_code, key=_code_order)
        ],
        commissioners=[(f"{code} {name}", code) for code, name in commissioners],
        points=[(f"{code} {name}", code) for code, name in points],
    )


class MonitoringPage(QWidget):
    """Plan against actual against forecast, filtered, with charts, drill-down and risk share."""

    loaded = Signal()
    side_shown = Signal()  # a drill-down or risk-sharing dialog opened

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._task: Task | None = None
        self._side_task: Task | None = None
        self._pending = False
        self.position: monitoring.Position | None = None
        self.chart_data: XmrChart | None = None

        # The filters' choices come from the worker with the first figures (`_open`): nothing
        # here reads the database on the GUI thread.
        self.year_choice = QComboBox()
        self.year_choice.setAccessibleName(self.tr("Financial year"))
        self.contract_choice = QComboBox()
        self.contract_choice.setAccessibleName(self.tr("Contract"))
        self.line_choice = QComboBox()
        self.line_choice.setAccessibleName(self.tr("Service line"))
        self.commissioner_choice = QComboBox()
        self.commissioner_choice.setAccessibleName(self.tr("Commissioner"))
        self.point_choice = QComboBox()
        self.point_choice.setAccessibleName(self.tr("Point of delivery"))
        self.dimension_choice = QComboBox()
        self.dimension_choice.setAccessibleName(self.tr("Show by"))
        for key, text in (
            (monitoring.Dimension.CONTRACT, self.tr("Contract")),
            (monitoring.Dimension.SERVICE_LINE, self.tr("Service line")),
            (monitoring.Dimension.COMMISSIONER, self.tr("Commissioner")),
            (monitoring.Dimension.POINT_OF_DELIVERY, self.tr("Point of delivery")),
            (monitoring.Dimension.MONTH, self.tr("Month")),
        ):
            self.dimension_choice.addItem(text, key)
        self.chart_choice = QComboBox()
        self.chart_choice.setAccessibleName(self.tr("Chart"))
        self.chart_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.chart_choice.addItem(self.tr("Plan and actual by month"), "months")
        self.chart_choice.addItem(self.tr("Cumulative position"), "cumulative")
        self.chart_choice.addItem(self.tr("XmR chart of actual cost"), "xmr")

        self.model = PositionTableModel(self)
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Contract monitoring"))
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Plan, actual and forecast"))
        self.total_label = QLabel()
        self.total_label.setAccessibleName(self.tr("Totals"))
        self.total_label.setWordWrap(True)
        self.chart = LineChart()
        self.drill_button = QPushButton(self.tr("&Rows behind the total…"))
        self.drill_button.setAccessibleName(self.tr("Show the return rows behind the selected row"))
        self.risk_button = QPushButton(self.tr("Risk &sharing…"))
        self.risk_button.setAccessibleName(self.tr("Explain risk sharing for the service line"))
        self.over_button = QPushButton(self.tr("&Over-performance…"))
        self.over_button.setAccessibleName(
            self.tr("Flag lines beyond their margin and open their investigations")
        )

        form = QGridLayout()
        filters = (
            (self.tr("&Year:"), self.year_choice),
            (self.tr("C&ontract:"), self.contract_choice),
            (self.tr("&Line:"), self.line_choice),
            (self.tr("Show &by:"), self.dimension_choice),
            (self.tr("Co&mmissioner:"), self.commissioner_choice),
            (self.tr("&Point:"), self.point_choice),
        )
        for number, (text, widget) in enumerate(filters):
            # Long names must not widen the window: the list drops down at full width.
            widget.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            widget.setMinimumContentsLength(10)
            label = QLabel(text)
            label.setBuddy(widget)
            row, column = divmod(number, 3)
            form.addWidget(label, row, column * 2)
            form.addWidget(widget, row, column * 2 + 1)
        for column in (1, 3, 5):
            form.setColumnStretch(column, 1)
        buttons = QHBoxLayout()
        chart_label = QLabel(self.tr("C&hart:"))
        chart_label.setBuddy(self.chart_choice)
        buttons.addWidget(chart_label)
        buttons.addWidget(self.chart_choice)
        buttons.addStretch(1)
        buttons.addWidget(self.over_button)
        buttons.addWidget(self.drill_button)
        buttons.addWidget(self.risk_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.total_label)
        splitter.addWidget(upper)
        splitter.addWidget(self.chart)
        splitter.setSizes([320, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        for combo in (
            self.year_choice,
            self.contract_choice,
            self.line_choice,
            self.commissioner_choice,
            self.point_choice,
            self.dimension_choice,
        ):
            combo.currentIndexChanged.connect(self.reload)  # fmt: skip
        self.year_choice.currentIndexChanged.connect(self._fill_contracts)
        self.chart_choice.currentIndexChanged.connect(self._draw_chart)
        self.drill_button.clicked.connect(self.drill_down)
        self.risk_button.clicked.connect(self.explain_risk_sharing)
        self.over_button.clicked.connect(self.investigate)
        # The worker starts once the page has been painted: its Python (on a cold start,
        # SQLAlchemy setting up its mappers) would otherwise compete with the first paint for
        # the interpreter. A page not shown, or not painted soon, starts it anyway.
        self._open_asked = False
        self.table.viewport().installEventFilter(self)
        QTimer.singleShot(0, self, self._open_unless_shown)
        QTimer.singleShot(OPEN_AT_THE_LATEST_MS, self, self._open)

    def _open_unless_shown(self) -> None:
        if not self.isVisible():
            self._open()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._open_asked:
            QTimer.singleShot(0, self, self._open)  # once this paint is done
        return super().eventFilter(watched, event)

    def _open(self) -> None:
        """Read the filters' choices and the first figures on the worker (once)."""
        if self._open_asked:
            return
        self._open_asked = True
        self.table.viewport().removeEventFilter(self)
        database, today = self.context.database, self.context.today()
        dimension, measure = self.dimension_choice.currentData(), self.table.cell_measure()

        def work() -> tuple[_Choices, _Figures | None]:
            choices = _read_choices(database, today)
            if choices.year is None:
                return choices, None
            return choices, _work_out(
                database, monitoring.MonitoringFilter(choices.year), dimension, measure
            )

        self.total_label.setText(self.tr("Working out the position…"))
        self._task = start_task(work, self._opened, self._failed)

    @Slot(object)
    def _opened(self, result: tuple[_Choices, _Figures | None]) -> None:
        choices, figures = result
        combos = (self.year_choice, self.contract_choice, self.line_choice,
                  self.commissioner_choice, self.point_choice)  # fmt: skip
        for combo in combos:
            combo.blockSignals(True)
        for year in choices.years:
            self.year_choice.addItem(str(year), year)
        if choices.year is not None:
            self.year_choice.setCurrentIndex(self.year_choice.findText(str(choices.year)))
        for combo, everything, items in (
            (self.contract_choice, self.tr("All contracts"), choices.contracts),
            (self.line_choice, self.tr("All lines"), choices.lines),
            (self.commissioner_choice, self.tr("All commissioners"), choices.commissioners),
            (self.point_choice, self.tr("All points"), choices.points),
        ):
            combo.addItem(everything, None)
            for text, code in items:
                combo.addItem(text, code)
        for combo in combos:
            combo.blockSignals(False)
        if figures is None:
            self._task = None
            self.total_label.setText("")
            return
        self._loaded(figures)

    @Slot()
    def _fill_contracts(self) -> None:
        year = self.year_choice.currentData()
        self.contract_choice.blockSignals(True)
        self.contract_choice.clear()
        self.contract_choice.addItem(self.tr("All contracts"), None)
        if year is not None:
            for row in contracts.list_contracts(self.context.database, year, self.context.today()):
                self.contract_choice.addItem(f"{row.reference} {row.provider_name}", row.reference)
        self.contract_choice.blockSignals(False)

    def current_filter(self) -> monitoring.MonitoringFilter:
        return monitoring.MonitoringFilter(
            year=self.year_choice.currentData(),
            contract=self.contract_choice.currentData(),
            service_line=self.line_choice.currentData(),
            commissioner=self.commissioner_choice.currentData(),
            point_of_delivery=self.point_choice.currentData(),
        )

    @Slot()
    def reload(self) -> None:
        """Work out the position off the GUI thread; a change meanwhile asks again after."""
        if self._task is not None:
            self._pending = True
            return
        if self.year_choice.currentData() is None:
            return
        flt = self.current_filter()
        dimension = self.dimension_choice.currentData()
        database, measure = self.context.database, self.table.cell_measure()
        self.total_label.setText(self.tr("Working out the position…"))
        self._task = start_task(
            lambda: _work_out(database, flt, dimension, measure), self._loaded, self._failed
        )

    @Slot(object)
    def _loaded(self, result: _Figures) -> None:
        self._task = None
        if self._pending:
            self._pending = False
            self.reload()
            return
        self.position, self.chart_data, prepared, widths = result
        self.model.set_prepared(prepared)
        self.table.fit_columns(widths)
        total = self.position.total
        self.total_label.setText(
            self.tr(
                "{months} months of returns. Plan to date {plan}, actual {actual}, variance "
                "{variance} ({status}). Year-end forecast {forecast} (straight line){seasonal}."
            ).format(
                months=self.position.months_reported,
                plan=_money(total.plan_cost_ytd),
                actual=_money(total.actual_cost_ytd),
                variance=_money(total.variance_cost),
                status=total.status,
                forecast=_money(total.forecast_cost),
                seasonal=(
                    self.tr(", {0} seasonal").format(_money(total.seasonal_forecast_cost))
                    if total.seasonal_forecast_cost is not None
                    else ""
                ),
            )
        )
        self._draw_chart()
        self.loaded.emit()

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = None
        self.total_label.setText("")
        show_error(error, self.context.log_file, self.tr("Monitoring"))

    @Slot()
    def _draw_chart(self) -> None:
        if self.position is None:
            return
        months = self.position.months
        labels = [m.label for m in months]
        kind = self.chart_choice.currentData()
        if kind == "cumulative":
            self.chart.set_data(
                self.tr("Cumulative cost: plan, actual and forecast"),
                labels,
                [
                    Series(self.tr("Plan"), [float(m.cumulative_plan_cost) for m in months],
                           PLAN_COLOUR),
                    Series(self.tr("Forecast"), [float(m.cumulative_forecast_cost) for m in months],
                           FORECAST_COLOUR, dashed=True),
                    Series(self.tr("Actual"), [_float(m.cumulative_actual_cost) for m in months],
                           ACTUAL_COLOUR),
                ],
            )  # fmt: skip
        elif kind == "xmr" and self.chart_data is not None:
            chart = self.chart_data
            self.chart.set_data(
                self.tr("XmR chart of actual cost by month (signals in red)"),
                chart.labels,
                [Series(self.tr("Actual cost"), chart.values, ACTUAL_COLOUR,
                        marked=[i for i, _kind in chart.signals])],
                [Rule(self.tr("Mean"), chart.centre, PLAN_COLOUR, dashed=False),
                 Rule(self.tr("Upper limit"), chart.upper, LIMIT_COLOUR),
                 Rule(self.tr("Lower limit"), chart.lower, LIMIT_COLOUR)],
                from_zero=False,
            )  # fmt: skip
        else:
            self.chart.set_data(
                self.tr("Cost by month: plan and actual"),
                labels,
                [
                    Series(self.tr("Plan"), [float(m.plan_cost) for m in months], PLAN_COLOUR),
                    Series(
                        self.tr("Actual"), [_float(m.actual_cost) for m in months], ACTUAL_COLOUR
                    ),
                ],
            )

    def _selected_filter(self) -> tuple[monitoring.MonitoringFilter, int | None]:
        """The filter narrowed to the selected row."""
        flt = self.current_filter()
        index = self.table.currentIndex()
        if not index.isValid() or self.position is None:
            return flt, None
        row = self.model.row_at(index.row()).row
        dimension = self.position.dimension
        changes: dict[str, Any] = {}
        month = None
        if dimension == monitoring.Dimension.CONTRACT:
            changes["contract"] = row.label
        elif dimension == monitoring.Dimension.SERVICE_LINE:
            changes["service_line"] = row.id
        elif dimension == monitoring.Dimension.COMMISSIONER:
            changes["commissioner"] = row.id
        elif dimension == monitoring.Dimension.POINT_OF_DELIVERY:
            changes["point_of_delivery"] = row.id
        elif dimension == monitoring.Dimension.MONTH:
            month = int(row.id)
        return monitoring.MonitoringFilter(**{**flt.__dict__, **changes}), month

    @Slot()
    def drill_down(self) -> None:
        """Fetch the rows off the GUI thread, then show them."""
        flt, month = self._selected_filter()
        database = self.context.database
        self._side_task = start_task(
            lambda: monitoring.drill_down(database, flt, month),
            self._show_rows,
            lambda error: show_error(error, self.context.log_file, self.tr("Return rows")),
            owner=self,
        )

    @Slot(object)
    def _show_rows(self, rows: list[monitoring.ReturnRowView]) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Return rows behind the total"))
        dialog.setAccessibleName(self.tr("Return rows"))
        model = RecordTableModel(DRILL_COLUMNS, dialog)
        model.set_rows(rows)
        table = DataTableView()
        table.setModel(model)
        table.set_title(self.tr("Return rows"))
        table.setAccessibleName(self.tr("Return rows"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(self.tr("{0} rows of the current returns").format(len(rows))))
        layout.addWidget(table)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.reject)
        layout.addWidget(close)
        dialog.resize(900, 500)
        self.drill_dialog = dialog
        dialog.open()
        self.side_shown.emit()

    @Slot()
    def investigate(self) -> None:
        """Open an investigation for each line beyond its margin (off the GUI thread)."""
        year, database, today = (
            self.current_filter().year,
            self.context.database,
            self.context.today(),
        )
        self._side_task = start_task(
            lambda: monitoring.flag_overperformance(database, year, today),
            self._show_investigations,
            lambda error: show_error(error, self.context.log_file, self.tr("Over-performance")),
            owner=self,
        )

    @Slot(object)
    def _show_investigations(self, views: list[monitoring.InvestigationView]) -> None:
        self.investigation_dialog = InvestigationDialog(self.context, views, self)
        self.investigation_dialog.resize(820, 640)
        self.investigation_dialog.open()
        self.side_shown.emit()

    @Slot()
    def explain_risk_sharing(self) -> None:
        flt, _month = self._selected_filter()
        if not flt.service_line:
            show_error(
                InputRejected(self.tr("Choose a service line (filter, or a row shown by line).")),
                self.context.log_file,
                self.tr("Risk sharing"),
            )
            return
        database = self.context.database
        self._side_task = start_task(
            lambda: year_end.risk_share(database, flt.service_line or "", flt.year),
            self._show_risk_sharing,
            lambda error: show_error(error, self.context.log_file, self.tr("Risk sharing")),
            owner=self,
        )

    @Slot(object)
    def _show_risk_sharing(self, report: year_end.RiskShareReport) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Risk sharing, service line {0}").format(report.service_line))
        text = QPlainTextEdit("\n".join(report.explanation))
        text.setReadOnly(True)
        text.setAccessibleName(self.tr("Risk sharing explained line by line"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.reject)
        layout.addWidget(close)
        dialog.resize(760, 520)
        self.risk_dialog = dialog
        dialog.open()
        self.side_shown.emit()


class InvestigationDialog(QDialog):
    """The over-performance investigations: the six questions, the root cause, the actions."""

    def __init__(
        self,
        context: UiContext,
        views: list[monitoring.InvestigationView],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.views = views
        self.setWindowTitle(self.tr("Over-performance investigations"))
        self.setAccessibleName(self.tr("Over-performance investigations"))
        self.choice = QComboBox()
        self.choice.setAccessibleName(self.tr("Investigation"))
        for view in views:
            self.choice.addItem(
                f"{view.contract} {view.service_line} {view.point_of_delivery} "
                f"({view.variance * 100:+.1f}%, {view.status})",
                view.id,
            )
        form = QFormLayout()
        # Questions above their answers: they are sentences, not field names.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(self.tr("&Investigation:"), self.choice)
        self.answers: dict[str, QLineEdit] = {}
        for question in monitoring.overperformance_questions():
            edit = QLineEdit()
            edit.setAccessibleName(question.text)
            self.answers[question.key] = edit
            form.addRow(QLabel(f"{question.number}. {question.text}"), edit)
        self.root_cause = QComboBox()
        self.root_cause.setAccessibleName(self.tr("Root cause"))
        self.root_cause.addItem(self.tr("(not yet known)"), "")
        self.root_cause.addItem(self.tr("Referrals from primary care"), "primary_care_referrals")
        self.root_cause.addItem(self.tr("Provider decisions"), "provider_decisions")
        form.addRow(self.tr("&Root cause:"), self.root_cause)
        self.actions_edit = QPlainTextEdit()
        self.actions_edit.setAccessibleName(self.tr("Actions agreed"))
        form.addRow(self.tr("&Actions:"), self.actions_edit)
        self.closed_box = QCheckBox(self.tr("&Closed"))
        form.addRow("", self.closed_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.choice.currentIndexChanged.connect(self._show)
        self._show()

    @Slot()
    def _show(self) -> None:
        if not self.views:
            return
        view = self.views[self.choice.currentIndex()]
        for key, edit in self.answers.items():
            edit.setText(view.answers.get(key, ""))
        self.root_cause.setCurrentIndex(max(0, self.root_cause.findData(view.root_cause)))
        self.actions_edit.setPlainText(view.actions)
        self.closed_box.setChecked(view.status == "closed")

    @Slot()
    def save(self) -> None:
        if not self.views:
            return
        index = self.choice.currentIndex()
        answers = {key: edit.text() for key, edit in self.answers.items() if edit.text()}
        root_cause, actions = self.root_cause.currentData(), self.actions_edit.toPlainText()
        status = "closed" if self.closed_box.isChecked() else "open"
        try:
            done, saved = run_confirming(
                self,
                self.context,
                lambda confirmations: monitoring.record_investigation(
                    self.context.database,
                    self.views[index].id,
                    answers,
                    root_cause,
                    actions,
                    status,
                    self.context.today(),
                    confirmations,
                ),
                self.tr("Over-performance"),
                {"actions": self.actions_edit},
            )
        except Exception as error:
            show_error(error, self.context.log_file, self.tr("Over-performance"))
            return
        if not done or saved is None:
            return
        self.views[index] = saved


class ColumnMappingDialog(QDialog):
    """Which column of the file holds each field; remembered for files with the same headers."""

    def __init__(
        self, headers: list[str], guess: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Match the file's columns"))
        self.setAccessibleName(self.tr("Column mapping"))
        from app.services.returns_import import FIELDS  # pandas: loaded for an import only

        self.choices: dict[str, QComboBox] = {}
        form = QFormLayout()
        for field_ in FIELDS:
            combo = QComboBox()
            combo.setAccessibleName(field_.header)
            combo.addItem(self.tr("(not in this file)"), None)
            for header in headers:
                combo.addItem(header, header)
            if field_.key in guess:
                combo.setCurrentIndex(combo.findData(guess[field_.key]))
            self.choices[field_.key] = combo
            form.addRow(field_.header + (" *" if field_.required else ""), combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Fields marked * are required.")))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def mapping(self) -> dict[str, str]:
        return {k: c.currentData() for k, c in self.choices.items() if c.currentData()}


class ReturnsImportPage(QWidget):
    """Choose a file, check it, see every problem, then apply it (or exclude the bad rows)."""

    finished = Signal(object)

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.check: returns_import.ReturnsCheck | None = None
        self._task: Task | None = None
        self._cancel = threading.Event()
        self._progress = _Progress(self)
        self._progress.changed.connect(self._show_progress)
        self.file_label = QLabel(self.tr("No file chosen"))
        self.file_label.setAccessibleName(self.tr("Chosen file"))
        self.choose_button = QPushButton(self.tr("&Choose a return file…"))
        self.sheet_box = QComboBox()
        self.sheet_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sheet_box.setAccessibleName(self.tr("Sheet"))
        self.sheet_box.setToolTip(
            self.tr("The sheet of the workbook to read: by default the first whose header has "
                    "every required column")
        )  # fmt: skip
        self.sheet_label = QLabel(self.tr("S&heet:"))
        self.sheet_label.setBuddy(self.sheet_box)
        self.sheet_label.hide()
        self.sheet_box.hide()
        self.map_button = QPushButton(self.tr("&Match columns…"))
        self.map_button.setEnabled(False)
        self.check_button = QPushButton(self.tr("Chec&k"))
        self.check_button.setEnabled(False)
        self.exclude_box = QCheckBox(self.tr("&Leave out the rows with errors"))
        self.apply_button = QPushButton(self.tr("&Apply"))
        self.apply_button.setEnabled(False)
        self.cancel_button = QPushButton(self.tr("Ca&ncel"))
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Import progress"))
        self.progress.setRange(0, 100)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("Import status"))
        self.model = RecordTableModel(PROBLEM_COLUMNS, self)
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Problems in the return"))
        self.table.setAccessibleName(self.tr("Problems in the return"))
        for button in (
            self.choose_button,
            self.map_button,
            self.check_button,
            self.apply_button,
            self.cancel_button,
        ):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))  # fmt: skip
        self.mapping: dict[str, str] | None = None
        self.path: Path | None = None
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_box)
        top.addWidget(self.map_button)
        actions = QHBoxLayout()
        actions.addWidget(self.check_button)
        actions.addWidget(self.exclude_box)
        actions.addWidget(self.apply_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        self.choose_button.clicked.connect(self.choose_file)
        self.map_button.clicked.connect(self.edit_mapping)
        self.check_button.clicked.connect(self.run_check)
        self.apply_button.clicked.connect(self.run_apply)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.sheet_box.activated.connect(self._sheet_chosen)

    @Slot()
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose a return"),
            "",
            self.tr("Returns (*.csv *.xlsx *.xlsm *.xls *.ods)"),
        )
        if path:
            self.set_file(Path(path))

    def set_file(self, path: Path) -> None:
        from app.services.return_sheets import sheet_names  # no pandas: the names alone

        self.path = path
        self.mapping = None
        self.file_label.setText(str(path))
        self.map_button.setEnabled(True)
        self.check_button.setEnabled(True)
        self.sheet_box.clear()
        try:
            names = sheet_names(path)
        except InputRejected:
            names = []  # the check names what is wrong with the file
        if len(names) > 1:
            self.sheet_box.addItem(self.tr("Found by its columns"), None)
            for name in names:
                self.sheet_box.addItem(name, name)
        self.sheet_label.setVisible(len(names) > 1)
        self.sheet_box.setVisible(len(names) > 1)
        self._sheet_chosen()

    @property
    def sheet(self) -> str | None:
        """The sheet chosen, or None for the one found by its columns (or a CSV file)."""
        return self.sheet_box.currentData() if self.sheet_box.count() else None

    @Slot()
    def _sheet_chosen(self) -> None:
        """Another sheet is another return: checked again before it can be applied."""
        self.check = None
        self.apply_button.setEnabled(False)
        self.model.set_rows([])
        self.status_label.clear()

    @Slot()
    def edit_mapping(self) -> None:
        from app.services import returns_import  # pandas: loaded for an import only

        assert self.path is not None
        try:
            # Only the header row is read, even of a million-row workbook.
            headers = returns_import.read_headers(self.path, self.sheet)
        except InputRejected as error:
            self.model.set_rows(list(error.problems))
            self.status_label.setText(self.tr("The file cannot be read; nothing was applied."))
            return
        guess = (
            self.mapping
            or returns_import.remembered_mapping(self.context.database, headers)
            or returns_import.guess_mapping(headers)
        )
        dialog = ColumnMappingDialog(headers, guess, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.mapping = dialog.mapping()
            returns_import.remember_mapping(self.context.database, headers, self.mapping)

    def _start(self, work: Any, done: Any) -> None:
        self._cancel.clear()
        self.cancel_button.setEnabled(True)
        self.check_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")  # not the last step's name
        self._task = start_task(work, done, self._failed)

    def _report_progress(self, phase: str, fraction: float) -> bool:
        """Called on the worker thread: pass progress on, and say whether to go on."""
        self._progress.changed.emit(phase, fraction)
        return not self._cancel.is_set()

    @Slot(str, float)
    def _show_progress(self, phase: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self.progress.setFormat(f"{phase} %p%")

    @Slot()
    def run_check(self) -> None:
        assert self.path is not None
        database, path, mapping, sheet = self.context.database, self.path, self.mapping, self.sheet
        self.status_label.setText(self.tr("Checking {0}…").format(path.name))

        def check() -> returns_import.ReturnsCheck:
            from app.services import returns_import  # pandas: loaded on the worker

            return returns_import.check_returns(
                database, path, mapping=mapping, sheet=sheet, progress=self._report_progress
            )

        self._start(check, self._checked)

    @Slot(object)
    def _checked(self, check: returns_import.ReturnsCheck) -> None:
        self._task = None
        self.check = check
        self.cancel_button.setEnabled(False)
        self.check_button.setEnabled(True)
        self.model.set_rows(check.problems)
        self.table.resizeColumnsToContents()
        ignored = ", ".join(check.ignored_columns)
        text = self.tr("{0}: {1} rows, {2} errors in {3} rows, {4} warnings.").format(
            check.file,
            check.row_count,
            len(check.errors),
            len(check.error_rows),
            len(check.warnings),
        )
        if ignored:
            text += " " + self.tr("Columns ignored: {0}.").format(ignored)
        if check.errors:
            text += " " + self.tr(
                "Nothing is applied until the file is clean, or you leave out the rows with errors."
            )
        self.status_label.setText(text)
        self.apply_button.setEnabled(True)

    @Slot()
    def run_apply(self) -> None:
        assert self.check is not None
        check, database = self.check, self.context.database
        exclude = check.error_rows if self.exclude_box.isChecked() else set()
        today = self.context.today()
        self.status_label.setText(self.tr("Applying {0}…").format(check.file))

        def apply() -> returns_import.ImportReport:
            from app.services import returns_import  # pandas: loaded on the worker

            return returns_import.apply_returns(
                database, check, exclude_rows=exclude, received_on=today,
                progress=self._report_progress,
            )  # fmt: skip

        self._start(apply, self._applied)

    @Slot(object)
    def _applied(self, report: returns_import.ImportReport) -> None:
        self._task = None
        self.cancel_button.setEnabled(False)
        self.check_button.setEnabled(True)
        self.progress.setValue(100)
        replaced = sum(1 for s in report.submissions if s.replaced_id)
        self.status_label.setText(
            self.tr("{0}: applied {1} rows in {2} provider months ({3} replaced earlier returns); "
                    "{4} rows left out.").format(
                report.file, report.row_count, len(report.submissions), replaced,
                report.excluded_rows)
        )  # fmt: skip
        self.finished.emit(report)

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = None
        self.cancel_button.setEnabled(False)
        self.check_button.setEnabled(self.path is not None)
        self.apply_button.setEnabled(self.check is not None)
        self.progress.reset()  # no progress shown: nothing was done
        from app.services.returns_import import ImportCancelled

        if isinstance(error, ImportCancelled):
            self.status_label.setText(self.tr("Cancelled: nothing was changed."))
            return
        if isinstance(error, InputRejected):
            self.model.set_rows(list(error.problems))
            self.status_label.setText(self.tr("The file was refused; nothing was applied."))
            return
        show_error(error, self.context.log_file, self.tr("Returns import"))


class TrackerPage(QWidget):
    """Which monthly returns have arrived, which are late, which were replaced."""

    def __init__(
        self, context: UiContext, parent: QWidget | None = None, *, load: bool = True
    ) -> None:
        super().__init__(parent)
        self.context = context
        self._task: Task | None = None
        self.year_choice = QComboBox()
        self.year_choice.setAccessibleName(self.tr("Financial year of the tracker"))
        if load:  # else its years come with its rows (`load`, `fill_in_background`)
            self._set_years(_years(context))
        self.due_days = QSpinBox()
        self.due_days.setRange(0, 90)
        self.due_days.setAccessibleName(self.tr("Days after the month's end a return is due"))
        try:
            self.due_days.setValue(int(context.settings.returns_due_days))
        except ValueError:
            self.due_days.setValue(15)
        self.model = RecordTableModel(TRACKER_COLUMNS, self)
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Returns tracker"))
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Returns tracker"))
        bar = QHBoxLayout()
        for text, widget in (
            (self.tr("&Year:"), self.year_choice),
            (self.tr("&Due days after month end:"), self.due_days),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
        bar.addStretch(1)  # fmt: skip
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.due_days.valueChanged.connect(self._due_days_changed)
        if load:  # else the tab loads it when first wanted
            self.reload()

    @Slot(int)
    def _due_days_changed(self, value: int) -> None:
        self.context.settings.returns_due_days = str(value)
        self.reload()

    def _set_years(self, years: list[FinancialYear]) -> None:
        """Offer `years`, on this year if it is one of them, else the last (no signal sent)."""
        self.year_choice.blockSignals(True)
        self.year_choice.clear()
        for year in years:
            self.year_choice.addItem(str(year), year)
        index = self.year_choice.findText(str(FinancialYear.containing(self.context.today())))
        self.year_choice.setCurrentIndex(index if index >= 0 else self.year_choice.count() - 1)
        self.year_choice.blockSignals(False)

    @Slot()
    def load(self) -> None:
        """Fill the page: its years, then the chosen year's returns."""
        self._set_years(_years(self.context))
        self.reload()

    @Slot()
    def reload(self) -> None:
        year = self.year_choice.currentData()
        if year is None:
            return
        rows = returns_tracker.returns_tracker(
            self.context.database, year, self.context.today(), self.due_days.value()
        )
        self._show(rows)

    def background_fill(self) -> BackgroundFill:
        """Fill the page from the worker (the tab fills it so in passing: on a large database
        reading the year's returns takes a tenth of a second), its columns fitted there too."""
        database, today, days = self.context.database, self.context.today(), self.due_days.value()
        measure = self.table.cell_measure()

        def read() -> tuple[list[FinancialYear], list[Any], list[int]]:
            years = contracts.contract_years(database)
            current = FinancialYear.containing(today)
            year = current if current in years else (years[-1] if years else None)
            if year is None:
                return years, [], []
            rows = returns_tracker.returns_tracker(database, year, today, days)
            return years, rows, fitted_widths(measure, TRACKER_COLUMNS, rows)

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: tuple[list[FinancialYear], list[Any], list[int]]) -> None:
        years, rows, widths = fill
        self._set_years(years)
        self._show(rows, widths)

    def _show(self, rows: list[Any], widths: list[int] | None = None) -> None:
        self._task = None
        self.model.set_rows(rows)
        if widths is None:
            self.table.resizeColumnsToContents()
        else:
            self.table.fit_columns(widths)


class ContractsTab(QWidget):
    """Contracts, monitoring and returns, for the commissioners who spend their week here."""

    area = "contracts"

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("contractsTab")
        self.setAccessibleName(self.tr("Contracts"))
        self.pages = QTabWidget()
        self.pages.setAccessibleName(self.tr("Contracts pages"))
        self.undo_stack = QUndoStack(self)
        # The monitoring page shows first (its choices and figures come from a worker). The
        # other pages are made, then filled, one per turn of the event loop once its first
        # figures are in (or at once when someone opens or asks for one first): none of them
        # keeps the window waiting, and they do not compete with the first figures.
        self.monitoring = MonitoringPage(context)
        self.pages.addTab(self.monitoring, self.tr("&Monitoring"))
        self._made: dict[str, QWidget] = {}
        self._holders: dict[str, QWidget] = {}
        for name, title in (
            ("contracts", self.tr("C&ontracts")),
            ("returns", self.tr("&Returns import")),
            ("tracker", self.tr("Returns &tracker")),
            ("quality", self.tr("&Quality")),
            ("notices", self.tr("&Notices")),
            ("budget", self.tr("Pooled &budget")),
            ("year_end", self.tr("&Year end")),
            ("points", self.tr("Points of &delivery")),
        ):
            holder = QWidget()
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            self._holders[name] = holder
            self.pages.addTab(holder, title)
        self._unloaded: list[QWidget] = []
        # Pages filling in passing: the page, the ticket its rows will come back with, and
        # the task reading them (kept until it reports, even once its rows are not wanted).
        self._filling: dict[QWidget, object] = {}
        self._fill_tasks: dict[object, Task] = {}
        self._started = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        refresh = QAction(self.tr("Refresh"), self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh.triggered.connect(self.monitoring.reload)
        self.addAction(refresh)
        for action, shortcut in (
            (
                self.undo_stack.createUndoAction(self, self.tr("&Undo")),
                QKeySequence.StandardKey.Undo,
            ),
            (
                self.undo_stack.createRedoAction(self, self.tr("&Redo")),
                QKeySequence.StandardKey.Redo,
            ),
        ):
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.pages.currentChanged.connect(self._page_opened)
        self.monitoring.loaded.connect(self._first_figures_in)

    # The pages, made when first wanted.

    @property
    def contracts(self) -> ContractsPage:
        return self._page("contracts")  # type: ignore[return-value]

    @property
    def returns(self) -> ReturnsImportPage:
        return self._page("returns")  # type: ignore[return-value]

    @property
    def tracker(self) -> TrackerPage:
        return self._page("tracker")  # type: ignore[return-value]

    @property
    def quality(self) -> QualityPage:
        return self._page("quality")  # type: ignore[return-value]

    @property
    def notices(self) -> NoticesPage:
        return self._page("notices")  # type: ignore[return-value]

    @property
    def budget(self) -> BudgetPage:
        return self._page("budget")  # type: ignore[return-value]

    @property
    def year_end(self) -> YearEndPage:
        return self._page("year_end")  # type: ignore[return-value]

    @property
    def points(self) -> PointsPage:
        return self._page("points")  # type: ignore[return-value]

    def _page(self, name: str, fill: bool = True) -> QWidget:
        """The page `name`, made (and, unless told not to, filled) now if it was not yet."""
        page = self._made.get(name)
        if page is None:
            page = self._make(name)
            self._made[name] = page
            holder_layout = self._holders[name].layout()
            assert holder_layout is not None
            holder_layout.addWidget(page)
            if name != "returns":  # the import page has nothing to fill
                self._unloaded.append(page)
        if fill:
            self._load(page)
        return page

    def _make(self, name: str) -> QWidget:
        context, stack = self.context, self.undo_stack
        if name == "contracts":
            contracts_page = ContractsPage(context, load=False, undo_stack=stack)
            contracts_page.bring_in.imported.connect(self._brought_in)
            return contracts_page
        if name == "returns":
            returns_page = ReturnsImportPage(context)
            returns_page.finished.connect(lambda _report: self.monitoring.reload())
            returns_page.finished.connect(lambda _report: self._reload_if_made("tracker"))
            return returns_page
        if name == "tracker":
            return TrackerPage(context, load=False)
        if name == "quality":
            return QualityPage(context, stack, load=False)
        if name == "notices":
            return NoticesPage(context, stack, load=False)
        if name == "budget":
            return BudgetPage(context, stack, load=False)
        if name == "points":
            return PointsPage(context, stack, load=False)
        year_end_page = YearEndPage(context, stack, load=False)
        year_end_page.rolled.connect(lambda _created: self._reload_if_made("contracts"))
        return year_end_page

    def _reload_if_made(self, name: str) -> None:
        page = self._made.get(name)
        if page is None or page in self._unloaded:
            return
        if self._filling.pop(page, None) is not None:
            # Its first rows are still being read, from before the change: read them again.
            page.load()  # type: ignore[attr-defined]
        else:
            page.reload()  # type: ignore[attr-defined]

    @Slot(int)
    def _page_opened(self, index: int) -> None:
        holder = self.pages.widget(index)
        for name, candidate in self._holders.items():
            if candidate is holder:
                self._load(self._page(name))

    def _load(self, page: QWidget, in_passing: bool = False) -> None:
        if not in_passing and self._filling.pop(page, None) is not None:
            # Wanted now while its rows are on their way: filled here, and they are dropped.
            page.load()  # type: ignore[attr-defined]
            return
        if page not in self._unloaded:
            return
        self._unloaded.remove(page)
        background = getattr(page, "background_fill", None)
        if in_passing and background is not None:
            # Read (and the columns fitted) on the worker; the GUI thread only sets them.
            read, show = background()
            ticket = object()
            self._filling[page] = ticket
            self._fill_tasks[ticket] = start_task(
                read,
                partial(self._filled, page, ticket, show),
                partial(self._fill_failed, page, ticket),
                owner=self,
            )
            return
        try:
            fill = getattr(page, "load", None) or getattr(page, "reload")  # noqa: B009
            fill()
        except (SQLAlchemyError, CommissioningError):
            # Filled in passing, not asked for: a failure (the database closed under a
            # closing window, say) is logged, and the page fills when it is opened.
            log.exception("a Contracts page could not be filled in passing")
            self._unloaded.append(page)

    def _filled(
        self, page: QWidget, ticket: object, show: Callable[[Any], None], rows: Any
    ) -> None:
        del self._fill_tasks[ticket]
        if not isValid(page):  # the tab was closed and deleted meanwhile
            return
        if self._filling.get(page) is ticket:
            del self._filling[page]
            show(rows)
        QTimer.singleShot(0, self, self._load_next)

    def _fill_failed(self, page: QWidget, ticket: object, error: Exception) -> None:
        del self._fill_tasks[ticket]
        if isValid(page) and self._filling.get(page) is ticket:
            del self._filling[page]
            # As a fill on this thread that fails: logged, and the page fills when opened.
            log.error("a Contracts page could not be filled in passing: %s", error)
            self._unloaded.append(page)

    @Slot()
    def _first_figures_in(self) -> None:
        if not self._started:
            self._started = True
            QTimer.singleShot(0, self._load_next)

    @Slot()
    def _load_next(self) -> None:
        """Make the next page not yet made, or fill the next not yet filled, then give the
        event loop a turn; a window that is not (or no longer) shown waits until it is."""
        if not self.window().isVisible() or self._filling:
            return  # a fill that reports asks for the next
        waiting = [name for name in self._holders if name not in self._made]
        if waiting:
            self._page(waiting[0], fill=False)
        elif self._unloaded:
            self._load(self._unloaded[0], in_passing=True)
        else:
            return
        QTimer.singleShot(0, self._load_next)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.monitoring.position is not None:
            QTimer.singleShot(0, self._load_next)

    @Slot(str)
    def _brought_in(self, kind: str) -> None:
        if kind in ("contracts", "quality"):
            self._reload_if_made("quality")
        if kind == "commissioners":
            self._reload_if_made("budget")
        if kind == "contracts":
            self.monitoring.reload()


def _money(value: Decimal | None) -> str:
    from app.formatting import format_money

    return format_money(value)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _code_order(code: str) -> tuple[int, str]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 999, code)


__all__ = ["ContractsTab"]
