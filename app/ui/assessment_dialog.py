"""The annual self-assessment: the fitness-for-purpose review and the benchmarking tool, edited
in place for the annual report."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import CommissioningError
from app.models import FinancialYear
from app.services import annual
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.narrative import run_guarded
from app.ui.record_model import Index

FITNESS_HEADERS = ("", "Dimension", "Criterion", "Y/N/P", "Evidence of achievement",
                   "Plans to reach full achievement")  # fmt: skip
EDITABLE_FITNESS = {3: "score", 4: "evidence", 5: "plans"}


def _widget(parent: object) -> QWidget | None:
    """The dialog a model belongs to, to own the question asked when the guard refuses."""
    return parent if isinstance(parent, QWidget) else None


class FitnessModel(QAbstractTableModel):
    """Criteria of Appendix 10; score, evidence and plans are edited and saved at once."""

    def __init__(self, context: UiContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.year = FinancialYear.containing(context.today())
        self._rows: list[annual.FitnessRow] = []

    def load(self, year: FinancialYear) -> None:
        self.beginResetModel()
        self.year = year
        with self.context.database.reader() as session:
            self._rows = annual.fitness_review(session, year)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FITNESS_HEADERS)

    def _values(self, row: annual.FitnessRow) -> tuple[str, ...]:
        return (row.id, row.dimension, row.text, row.score, row.evidence, row.plans)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._values(self._rows[index.row()])[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return self._rows[index.row()].text
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() in EDITABLE_FITNESS:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return FITNESS_HEADERS[section] if 0 <= section < len(FITNESS_HEADERS) else None
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() not in EDITABLE_FITNESS:
            return False
        row = self._rows[index.row()]
        changes = {"score": row.score, "evidence": row.evidence, "plans": row.plans}
        text = str(value).strip()
        changes[EDITABLE_FITNESS[index.column()]] = text.upper() if index.column() == 3 else text
        done, _ = run_guarded(
            _widget(self.parent()),
            self.context,
            lambda session: annual.save_fitness_score(session, self.year, row.id, **changes),
            "Fitness for purpose",
        )
        if not done:
            return False
        self._rows[index.row()] = annual.FitnessRow(
            row.id, row.dimension, row.text, changes["score"], changes["evidence"],
            changes["plans"],
        )  # fmt: skip
        self.dataChanged.emit(index, index)
        return True


class BenchmarkModel(QAbstractTableModel):
    """Ten measures over three years: computed ones are read-only, the others entered."""

    def __init__(self, context: UiContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.year = FinancialYear.containing(context.today())
        self._rows: list[annual.BenchmarkRow] = []

    def load(self, year: FinancialYear) -> None:
        self.beginResetModel()
        self.year = year
        with self.context.database.reader() as session:
            self._rows = annual.benchmark_table(session, year)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 6

    def _year_of(self, column: int) -> FinancialYear:
        return self.year - (4 - column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == 0:
                return row.id
            if column == 1:
                return row.measure
            if column in (2, 3, 4):
                value = row.years[column - 2]
                marker = (
                    " *"
                    if value.computed and value.text and role == Qt.ItemDataRole.DisplayRole
                    else ""
                )
                return (
                    value.text.rstrip("%")
                    if role == Qt.ItemDataRole.EditRole
                    else value.text + marker
                )
            return row.comment
        if role == Qt.ItemDataRole.ToolTipRole and column in (2, 3, 4):
            if row.years[column - 2].computed:
                return "Computed from the data"
            return "Entered: a percentage for % measures, else a number"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if not index.isValid():
            return flags
        column = index.column()
        if column in (2, 3, 4) and not self._rows[index.row()].years[column - 2].computed:
            flags |= Qt.ItemFlag.ItemIsEditable
        if column == 5:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section in (2, 3, 4):
            return str(self._year_of(section))
        return {0: "", 1: "Measure", 5: "Comments"}.get(section)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        row = self._rows[index.row()]
        column = index.column()
        year = self._year_of(column) if column in (2, 3, 4) else self.year
        text = str(value).strip().rstrip("%")
        number: Decimal | None = None
        comment: str | None = None
        if column == 5:
            year = self.year
            comment = str(value).strip()
            current = row.years[2]
            text = current.text.rstrip("%").split(" ")[0] if not current.computed else ""
        try:
            if text:
                number = Decimal(text)
                if row.id in annual.PERCENT_MEASURES:
                    number = number / 100
        except InvalidOperation:
            show_error(
                CommissioningError(f"'{value}' is not a number"), self.context.log_file,
                "Benchmarking",
            )  # fmt: skip
            return False
        try:
            done, _ = run_guarded(
                _widget(self.parent()),
                self.context,
                lambda session: annual.save_benchmark_entry(session, year, row.id, number, comment),
                "Benchmarking",
            )
        except ValueError as error:
            show_error(error, self.context.log_file, "Benchmarking")
            return False
        if not done:
            return False
        self.load(self.year)
        return True


class AssessmentDialog(QDialog):
    """Edit the SCG's review of its arrangements for a year's annual report."""

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Annual self-assessment"))
        self.setAccessibleName(self.windowTitle())
        today = FinancialYear.containing(context.today())
        self.year = QComboBox()
        self.year.setAccessibleName(self.tr("Financial year"))
        for offset in range(-3, 2):
            self.year.addItem(str(today + offset), (today + offset).start_year)
        self.year.setCurrentIndex(3)
        label = QLabel(self.tr("&Year:"))
        label.setBuddy(self.year)
        note = QLabel(
            self.tr(
                "Scores are Y (achieved), N (not achieved) or P (partly). Benchmark figures "
                "marked * are computed from the data; type the others. Changes are saved as "
                "you make them and appear in the annual report."
            )
        )
        note.setAccessibleName(self.tr("How to fill it in"))
        note.setWordWrap(True)
        self.fitness = FitnessModel(context, self)
        self.benchmarks = BenchmarkModel(context, self)
        self.fitness_view = self._view(self.fitness, self.tr("Fitness-for-purpose criteria"))
        self.benchmark_view = self._view(self.benchmarks, self.tr("Benchmarking measures"))
        self.pages = QTabWidget()
        self.pages.setAccessibleName(self.tr("Parts of the self-assessment"))
        self.pages.addTab(self.fitness_view, self.tr("Fitness for purpose (Appendix 10)"))
        self.pages.addTab(self.benchmark_view, self.tr("Benchmarking (Appendix 14)"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.year)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.pages, 1)
        layout.addWidget(buttons)
        self.year.currentIndexChanged.connect(self._load)
        self._load()
        self.resize(1100, 700)

    def _view(self, model: QAbstractTableModel, name: str) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setAccessibleName(name)
        view.setWordWrap(True)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        return view

    @Slot()
    def _load(self) -> None:
        year = FinancialYear(int(self.year.currentData()))
        self.fitness.load(year)
        self.benchmarks.load(year)
        for view, widths in (
            (self.fitness_view, (40, 150, 420, 50, 220)),
            (self.benchmark_view, (40, 420, 80, 80, 80)),
        ):
            for column, width in enumerate(widths):
                view.setColumnWidth(column, width)
