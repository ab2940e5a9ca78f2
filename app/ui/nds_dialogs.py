"""Dialogs of the Definitions Set tab: editions compared, the work programme, cost pressures."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, Slot
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QKeySequence,
    QMouseEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import CommissioningError, InputRejected
from app.models import CostPressure, FinancialYear, LineKind
from app.models.nds_rules import LEVELS, level_points, score
from app.services import definitions, editions, planning
from app.ui.context import UiContext
from app.ui.filter_proxy import RecordFilterProxy
from app.ui.narrative import run_guarded
from app.ui.record_model import Column, Index, Kind, RecordTableModel
from app.ui.table_view import DataTableView

YEARS_BEFORE, YEARS_AFTER = 4, 3
"""The years a chooser offers around the current financial year."""


def _translate(text: str) -> str:
    return QCoreApplication.translate("nds_dialogs", text)


# -- shared pieces -----------------------------------------------------------------------------


def _tint(colour: QColor, strength: float = 0.28) -> QColor:
    """A colour mixed into the palette's base, so it reads in light and dark themes alike."""
    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return QColor(
        round(base.red() + (colour.red() - base.red()) * strength),
        round(base.green() + (colour.green() - base.green()) * strength),
        round(base.blue() + (colour.blue() - base.blue()) * strength),
    )


GREEN, RED, AMBER = QColor(0, 170, 60), QColor(220, 40, 40), QColor(240, 170, 0)


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _no_auto_default(*buttons: QPushButton) -> None:
    # Enter in a table or combo box must not press a button the user did not choose.
    for button in buttons:
        button.setAutoDefault(False)
        button.setDefault(False)


def _close_buttons(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.setAccessibleName(dialog.tr("Dialog buttons"))
    close = buttons.button(QDialogButtonBox.StandardButton.Close)
    close.setAccessibleName(dialog.tr("Close"))
    _no_auto_default(close)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _save_action(dialog: QDialog, slot: Callable[[], None]) -> QAction:
    action = QAction(dialog.tr("Save"), dialog)
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
    action.triggered.connect(slot)
    dialog.addAction(action)
    return action


def _labelled(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class FinancialYearChoice(QComboBox):
    """Financial years around today's, written 2026/27; today's is chosen to begin with."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        current = FinancialYear.containing(today)
        for offset in range(-YEARS_BEFORE, YEARS_AFTER + 1):
            year = current + offset
            self.addItem(str(year), year.start_year)
        self.setCurrentIndex(YEARS_BEFORE)
        self.setAccessibleName(self.tr("Financial year"))

    def year(self) -> FinancialYear:
        return FinancialYear(int(self.currentData()))


def _explain(error: CommissioningError, fields: dict[str, str]) -> tuple[str, str | None]:
    """The message for a refused change, one line per problem, each naming its field; and the
    field of the first problem, so the form can go to it."""
    if not isinstance(error, InputRejected):
        return str(error), None
    lines = []
    for problem in error.problems:
        name = fields.get(problem.column or "", problem.column or "")
        message = problem.message
        if name and message.casefold().startswith(name.casefold()):
            lines.append(message[0].upper() + message[1:])
        elif name:
            lines.append(f"{name}: {message}")
        else:
            lines.append(message[0].upper() + message[1:] if message else message)
    first = error.problems[0].column if error.problems else None
    return "\n".join(lines), first


# -- comparing editions ------------------------------------------------------------------------


@dataclass(frozen=True)
class DifferenceRow:
    """One row of the comparison as shown: the change is written for people, kept for colour."""

    code_a: str
    code_b: str
    name: str
    change: str
    change_text: str
    field: str
    value_a: str
    value_b: str


class DifferenceModel(RecordTableModel):
    """Additions tinted green, removals red, changed text amber."""

    TINTS: ClassVar[dict[str, QColor]] = {"added": GREEN, "removed": RED, "changed": AMBER}

    def show(self, columns: Sequence[Column], rows: Sequence[DifferenceRow]) -> None:
        # The headers name the editions, so they change with the rows, in one reset.
        self.beginResetModel()
        self.columns = list(columns)
        self._rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            if not 0 <= index.row() < self.rowCount():
                return None
            colour = self.TINTS.get(self.row_at(index.row()).change)
            return _tint(colour) if colour is not None else None
        return super().data(index, role)


def difference_columns(label_a: str, label_b: str) -> list[Column]:
    return [
        Column("code_a", _translate("No. in {0}").format(label_a)),
        Column("code_b", _translate("No. in {0}").format(label_b)),
        Column("name", _translate("Service")),
        Column("change_text", _translate("Change")),
        Column("field", _translate("Field")),
        Column("value_a", _translate("In {0}").format(label_a)),
        Column("value_b", _translate("In {0}").format(label_b)),
    ]


CHANGE_TEXTS = {"added": "Added", "removed": "Removed", "changed": "Changed"}


class CompareEditionsDialog(QDialog):
    """Two editions side by side: what was added, removed and changed, ready to export."""

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Compare editions of the Definitions Set"))
        self.setAccessibleName(self.tr("Compare editions"))

        self.edition_a = QComboBox()
        self.edition_a.setAccessibleName(self.tr("Edition A, compared from"))
        self.edition_b = QComboBox()
        self.edition_b.setAccessibleName(self.tr("Edition B, compared with"))
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of differences"))
        self.new_button = QPushButton(self.tr("&New edition…"))
        self.new_button.setAccessibleName(self.tr("New edition"))
        self.new_button.setToolTip(self.tr("Start a new edition as a copy of the latest one"))
        self.export_button = QPushButton(self.tr("E&xport…"))
        self.export_button.setAccessibleName(self.tr("Export the comparison"))
        self.export_button.setToolTip(
            self.tr("Save the comparison as an Excel workbook or CSV file (Ctrl+Shift+E)")
        )
        _no_auto_default(self.new_button, self.export_button)

        self.model = DifferenceModel(difference_columns("A", "B"), self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Differences between the editions"))
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        legend = QLabel(
            self.tr(
                "<span style='background:{0}'>&nbsp;Added&nbsp;</span>&nbsp; "
                "<span style='background:{1}'>&nbsp;Removed&nbsp;</span>&nbsp; "
                "<span style='background:{2}'>&nbsp;Changed&nbsp;</span>"
            ).format(_tint(GREEN).name(), _tint(RED).name(), _tint(AMBER).name())
        )
        legend.setAccessibleName(self.tr("Colours: added green, removed red, changed amber"))

        bar = QHBoxLayout()
        bar.addWidget(_labelled(self.tr("Edition &A:"), self.edition_a))
        bar.addWidget(self.edition_a)
        bar.addWidget(_labelled(self.tr("compared with edition &B:"), self.edition_b))
        bar.addWidget(self.edition_b)
        bar.addSpacing(16)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(legend)
        bar.addSpacing(16)
        bar.addWidget(self.new_button)

        buttons = _close_buttons(self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

        self.edition_a.currentIndexChanged.connect(self.reload)
        self.edition_b.currentIndexChanged.connect(self.reload)
        self.new_button.clicked.connect(self.new_edition)
        self.export_button.clicked.connect(self.table.export)
        self.setTabOrder(self.edition_a, self.edition_b)
        self.setTabOrder(self.edition_b, self.new_button)
        self.setTabOrder(self.new_button, self.table)
        self.setTabOrder(self.table, self.export_button)

        self._load_editions()
        self.reload()
        self.resize(1180, 640)

    def _load_editions(self, a: str | None = None, b: str | None = None) -> None:
        with self.context.database.session() as session:
            labels = definitions.edition_labels(session)
        for combo, chosen, fallback in (
            (self.edition_a, a, labels[max(len(labels) - 2, 0)] if labels else ""),
            (self.edition_b, b, labels[-1] if labels else ""),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(labels)
            combo.setCurrentText(chosen or fallback)
            combo.blockSignals(False)

    @Slot()
    def reload(self) -> None:
        a, b = self.edition_a.currentText(), self.edition_b.currentText()
        if not a or not b:
            self.model.show(difference_columns(a, b), [])
            return
        with self.context.database.session() as session:
            differences = editions.compare_editions(session, a, b)
        rows = [
            DifferenceRow(
                d.code_a,
                d.code_b,
                d.name,
                d.change,
                self.tr(CHANGE_TEXTS.get(d.change, d.change)),
                d.field,
                d.value_a,
                d.value_b,
            )
            for d in differences
        ]
        self.model.show(difference_columns(a, b), rows)
        self.table.set_title(self.tr("Edition {0} compared with {1}").format(a, b))
        self.table.set_subtitle(self.tr("National Definitions Set"))
        self.table.resizeColumnsToContents()
        for column, widest in ((2, 300), (4, 180)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        # The two editions' values share what is left, side by side.
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (5, 6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        if not rows:
            text = (
                self.tr("The same edition is on both sides")
                if a == b
                else self.tr("No differences: the editions are the same")
            )
        elif len(rows) == 1:
            text = self.tr("1 difference")
        else:
            text = self.tr("{0} differences").format(len(rows))
        self.count_label.setText(text)

    def _ask_label(self) -> str | None:
        """The new edition's label, or None if the user cancelled."""
        label, ok = QInputDialog.getText(
            self,
            self.tr("New edition"),
            self.tr("Label of the new edition (it starts as a copy of the latest one):"),
            QLineEdit.EchoMode.Normal,
            str(self.context.today().year),
        )
        return label if ok else None

    @Slot()
    def new_edition(self) -> None:
        label = self._ask_label()
        if label is None:
            return
        previous = self.edition_b.itemText(self.edition_b.count() - 1)
        try:
            with self.context.database.session() as session:
                created = editions.create_edition(session, label)
        except CommissioningError as error:
            message, _ = _explain(error, {"label": self.tr("Label")})
            QMessageBox.warning(self, self.tr("The edition was not created"), message)
            return
        self._load_editions(previous or created, created)
        self.reload()


# -- the annual work programme ----------------------------------------------------------------


@dataclass(frozen=True)
class WorkProgrammeLine:
    """A service (or sub-line) with its focus and criteria in the chosen year."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    position_key: int
    category_number: int  # 0 when no focus has been chosen
    category: str
    criteria_numbers: tuple[int, ...]
    criteria: str
    notes: str
    notes_line: str


def _criteria_numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip().isdigit())


class CriterionLabel(QLabel):
    """A criterion's text beside its check box, wrapped; a click on it ticks the box."""

    def __init__(self, text: str, check: QCheckBox) -> None:
        super().__init__(text)
        self.check = check
        self.setWordWrap(True)
        self.setToolTip(text)
        self.setBuddy(check)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.check.toggle()
            self.check.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)


class WorkProgrammeModel(RecordTableModel):
    """With sub-lines shown, services are in bold so their sub-lines read as theirs."""

    mark_services = False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid():
            if (
                self.mark_services
                and 0 <= index.row() < self.rowCount()
                and self.row_at(index.row()).kind == LineKind.SERVICE
            ):
                return _bold()
            return None
        return super().data(index, role)


class WorkProgrammeDialog(QDialog):
    """Each service's focus for a year among the four categories of Appendix 9, and which of
    the nine criteria apply."""

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Annual work programme"))
        self.setAccessibleName(self.tr("Annual work programme"))
        self.categories = planning.work_categories()
        criteria = planning.work_criteria()

        self.year_choice = FinancialYearChoice(context.today())
        self.sub_lines_check = QCheckBox(self.tr("Show s&ub-lines too"))
        self.sub_lines_check.setAccessibleName(self.tr("Show sub-lines too"))
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        self.counts_label.setAccessibleName(self.tr("Number of services in each category"))
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.model = WorkProgrammeModel(
            [
                Column("code", self.tr("No."), sort_by="position_key"),
                Column("name", self.tr("Service")),
                Column("category", self.tr("Focus"), tooltip=self.tr("Category of Appendix 9")),
                Column(
                    "criteria",
                    self.tr("Criteria"),
                    tooltip=self.tr("The numbers of the Appendix 9 criteria that apply"),
                ),
                Column("notes_line", self.tr("Notes")),
            ],
            self,
        )
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_today(context.today)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAccessibleName(self.tr("Services and their focus this year"))
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        # The editor of the chosen service.
        self.editor = QGroupBox()
        self.editor.setAccessibleName(self.tr("Focus of the chosen service"))
        self.category_choice = QComboBox()
        self.category_choice.setAccessibleName(self.tr("Focus category"))
        self.category_choice.addItem(self.tr("(not chosen)"), 0)
        for number, name in enumerate(self.categories, start=1):
            self.category_choice.addItem(self.tr("{0}. {1}").format(number, name), number)
        self.criteria_checks: list[QCheckBox] = []
        criteria_grid = QGridLayout()
        criteria_grid.setHorizontalSpacing(12)
        per_column = 3
        for number, text in enumerate(criteria, start=1):
            check = QCheckBox(f"&{number}")
            check.setAccessibleName(self.tr("Criterion {0}: {1}").format(number, text))
            check.setToolTip(text)
            label = CriterionLabel(text, check)
            self.criteria_checks.append(check)
            row, column = (number - 1) % per_column, (number - 1) // per_column
            criteria_grid.addWidget(check, row, column * 2, Qt.AlignmentFlag.AlignTop)
            criteria_grid.addWidget(label, row, column * 2 + 1)
            criteria_grid.setColumnStretch(column * 2 + 1, 1)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName(self.tr("Notes on the focus"))
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setAccessibleName(self.tr("Save the focus"))
        self.save_button.setToolTip(self.tr("Save the focus of this service (Ctrl+S)"))
        _no_auto_default(self.save_button)

        form = QFormLayout()
        form.addRow(_labelled(self.tr("&Focus:"), self.category_choice), self.category_choice)
        criteria_title = QLabel(self.tr("Criteria that apply (Appendix 9):"))
        form.addRow(criteria_title)
        form.addRow(criteria_grid)
        form.addRow(_labelled(self.tr("N&otes:"), self.notes_edit), self.notes_edit)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        form.addRow(save_row)
        self.editor.setLayout(form)

        bar = QHBoxLayout()
        bar.addWidget(_labelled(self.tr("&Year:"), self.year_choice))
        bar.addWidget(self.year_choice)
        bar.addSpacing(12)
        bar.addWidget(self.sub_lines_check)
        bar.addStretch(1)
        self.table.setMinimumHeight(self.fontMetrics().lineSpacing() * 10)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.table, 1)
        # The editor takes the height its wrapped criteria need; the table takes the rest.
        layout.addWidget(self.editor)
        layout.addWidget(_close_buttons(self))

        self.save_action = _save_action(self, self.save)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.sub_lines_check.toggled.connect(self.reload)
        self.table.selectionModel().currentRowChanged.connect(self._show_chosen)
        self.save_button.clicked.connect(self.save)

        self.setTabOrder(self.year_choice, self.sub_lines_check)
        self.setTabOrder(self.sub_lines_check, self.table)
        self.setTabOrder(self.table, self.category_choice)
        previous: QWidget = self.category_choice
        for check in self.criteria_checks:
            self.setTabOrder(previous, check)
            previous = check
        self.setTabOrder(previous, self.notes_edit)
        self.setTabOrder(self.notes_edit, self.save_button)

        self.reload()
        self.resize(1100, 860)

    def chosen(self) -> WorkProgrammeLine | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        row: WorkProgrammeLine = self.model.row_at(self.proxy.mapToSource(index).row())
        return row

    @Slot()
    def reload(self) -> None:
        keep = self.chosen()
        year = self.year_choice.year()
        with self.context.database.session() as session:
            services = definitions.list_services(session, None, self.context.today())
            programme = planning.work_programme(session, year)
        shown = [
            s for s in services if self.sub_lines_check.isChecked() or s.kind == LineKind.SERVICE
        ]
        rows = []
        for service in shown:
            entry = programme.get(service.id)
            numbers = _criteria_numbers(entry.criteria) if entry else ()
            category = (
                self.categories.index(entry.category) + 1
                if entry and entry.category in self.categories
                else 0
            )
            notes = entry.notes if entry else ""
            rows.append(
                WorkProgrammeLine(
                    service.id,
                    service.code,
                    service.name,
                    service.kind,
                    service.position_key,
                    category,
                    entry.category if entry else "",
                    numbers,
                    ", ".join(str(n) for n in numbers),
                    notes,
                    " ".join(notes.split()),
                )
            )
        self.model.mark_services = self.sub_lines_check.isChecked()
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 420))
        self.table.setColumnWidth(2, max(self.table.columnWidth(2), 220))
        self.table.set_title(self.tr("Annual work programme {0}").format(year))
        self._update_counts(rows)
        self._choose(keep.id if keep else None)

    def _choose(self, line_id: uuid.UUID | None) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            source = self.model.row_at(self.proxy.mapToSource(index).row())
            if source.id == line_id:
                self.table.setCurrentIndex(index)
                self.table.selectRow(row)
                return
        self.table.setCurrentIndex(QModelIndex())
        self._show_chosen()

    def _update_counts(self, rows: Sequence[WorkProgrammeLine]) -> None:
        counts = [
            self.tr("{0}: {1}").format(name, sum(1 for r in rows if r.category_number == number))
            for number, name in enumerate(self.categories, start=1)
        ]
        counts.append(
            self.tr("Not chosen: {0}").format(sum(1 for r in rows if not r.category_number))
        )
        self.counts_label.setText("  ·  ".join(counts))

    @Slot()
    def _show_chosen(self) -> None:
        line = self.chosen()
        self.editor.setEnabled(line is not None)
        if line is None:
            self.editor.setTitle(self.tr("Choose a service above to set its focus"))
            self.category_choice.setCurrentIndex(0)
            for check in self.criteria_checks:
                check.setChecked(False)
            self.notes_edit.clear()
            return
        self.editor.setTitle(
            self.tr("Focus of {0} {1} in {2}").format(line.code, line.name, self.year_choice.year())
        )
        self.category_choice.setCurrentIndex(self.category_choice.findData(line.category_number))
        for number, check in enumerate(self.criteria_checks, start=1):
            check.setChecked(number in line.criteria_numbers)
        self.notes_edit.setPlainText(line.notes)

    @Slot()
    def save(self) -> None:
        line = self.chosen()
        if line is None:
            return
        category = int(self.category_choice.currentData())
        if not category:
            QMessageBox.warning(
                self,
                self.tr("The focus was not saved"),
                self.tr("Focus: choose one of the four categories."),
            )
            self.category_choice.setFocus()
            return
        criteria = [n for n, c in enumerate(self.criteria_checks, start=1) if c.isChecked()]
        year, notes = self.year_choice.year(), self.notes_edit.toPlainText()

        def refused(error: CommissioningError) -> None:
            message, _ = _explain(
                error, {"category": self.tr("Focus"), "criteria": self.tr("Criteria")}
            )
            QMessageBox.warning(self, self.tr("The focus was not saved"), message)

        done, _ = run_guarded(
            self,
            self.context,
            lambda session: planning.set_work_programme(
                session, year, line.id, category, criteria, notes
            ),
            self.tr("The focus was not saved"),
            {"notes": self.notes_edit},
            on_error=refused,
        )
        if not done:
            return
        self.reload()


# -- prioritising cost pressures --------------------------------------------------------------


class ScoreColumn(Column):
    """A total on the 8-to-32 scale: 20 rather than 20.00, 19.20 when it has a fraction."""

    def display(self, value: Any) -> str:
        if not isinstance(value, Decimal):
            return super().display(value)
        return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


@dataclass(frozen=True)
class PressureRow:
    """A ranked cost pressure as shown, with the place of its heading among the five."""

    id: uuid.UUID
    rank: int
    title: str
    heading: str
    heading_order: int
    amount: Decimal
    total: Decimal
    levels: str
    working: str


@dataclass(frozen=True)
class PressureForm:
    """What the editor shows of a saved cost pressure."""

    id: uuid.UUID
    title: str
    heading: str
    amount: Decimal
    service_line_id: uuid.UUID | None
    levels: dict[str, str]
    notes: str


def _read_pressure(session: Any, pressure_id: uuid.UUID) -> PressureForm | None:
    # The planning service lists pressures ranked but has no reader for one pressure's
    # service and notes, which the editor needs.
    pressure = session.get(CostPressure, pressure_id)
    if pressure is None or pressure.deleted_at is not None:
        return None
    return PressureForm(
        pressure.id,
        pressure.title,
        pressure.heading,
        pressure.amount,
        pressure.service_line_id,
        {s.category: s.level for s in pressure.scores},
        pressure.notes,
    )


class CostPressuresDialog(QDialog):
    """Cost pressures scored on eight impact categories, ranked and grouped under the five
    headings of the Thames Valley case study; the arithmetic of every total is shown."""

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Prioritising cost pressures"))
        self.setAccessibleName(self.tr("Prioritising cost pressures"))
        self.categories = planning.impact_categories()
        self.headings = planning.pressure_headings()
        self._weights: dict[str, Decimal] = {key: Decimal(1) for key, _ in self.categories}
        self._a_highest = False
        self._editing: uuid.UUID | None = None
        self._rows: list[PressureRow] = []

        # The top bar.
        self.year_choice = FinancialYearChoice(context.today())
        self.grouped_check = QCheckBox(self.tr("&Group under the five headings"))
        self.grouped_check.setAccessibleName(self.tr("Group under the five headings"))
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of cost pressures"))

        # The ranked list and the grouped view.
        self.model = RecordTableModel(
            [
                Column("rank", self.tr("Rank"), Kind.NUMBER),
                Column("title", self.tr("Cost pressure")),
                Column("heading", self.tr("Heading"), sort_by="heading_order"),
                Column("amount", self.tr("Amount"), Kind.MONEY),
                ScoreColumn(
                    "total",
                    self.tr("Total"),
                    Kind.NUMBER,
                    tooltip=self.tr("8 (every category at its lowest) to 32"),
                ),
                Column(
                    "levels",
                    self.tr("Levels"),
                    tooltip=self.tr("The level on each impact category, in order: {0}").format(
                        ", ".join(name for _, name in self.categories)
                    ),
                ),
                Column("working", self.tr("Arithmetic")),
            ],
            self,
        )
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_today(context.today)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAccessibleName(self.tr("Cost pressures, highest score first"))
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName(self.tr("Cost pressures grouped under the five headings"))
        self.tree.setHeaderLabels(
            [
                self.tr("Heading and cost pressure"),
                self.tr("Rank"),
                self.tr("Amount"),
                self.tr("Total"),
                self.tr("Levels"),
                self.tr("Arithmetic"),
            ]
        )
        self.tree.setAlternatingRowColors(True)
        self.tree.setTabKeyNavigation(False)
        self.views = QStackedWidget()
        self.views.setAccessibleName(self.tr("Cost pressures"))
        self.views.addWidget(self.table)
        self.views.addWidget(self.tree)
        self.working_label = QLabel()
        self.working_label.setWordWrap(True)
        self.working_label.setAccessibleName(self.tr("Arithmetic of the chosen cost pressure"))
        self.working_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The editor.
        self.editor = QGroupBox(self.tr("New cost pressure"))
        self.editor.setAccessibleName(self.tr("Cost pressure"))
        self.title_edit = QLineEdit()
        self.title_edit.setAccessibleName(self.tr("Title"))
        self.heading_choice = QComboBox()
        self.heading_choice.setAccessibleName(self.tr("Heading"))
        self.heading_choice.addItem(self.tr("(choose a heading)"), "")
        for key, text in self.headings:
            self.heading_choice.addItem(text, key)
            self.heading_choice.setItemData(
                self.heading_choice.count() - 1, text, Qt.ItemDataRole.ToolTipRole
            )
        self.heading_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.heading_choice.setMinimumContentsLength(40)
        self.amount_edit = QDoubleSpinBox()
        self.amount_edit.setAccessibleName(self.tr("Amount in pounds"))
        self.amount_edit.setPrefix("£")
        self.amount_edit.setDecimals(2)
        self.amount_edit.setRange(0, 999_999_999.99)
        self.amount_edit.setGroupSeparatorShown(True)
        self.amount_edit.setSingleStep(1000)
        self.service_choice = QComboBox()
        self.service_choice.setAccessibleName(self.tr("Service (optional)"))
        self.service_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.service_choice.setMinimumContentsLength(30)
        self.level_choices: dict[str, QComboBox] = {}
        levels_grid = QGridLayout()
        levels_grid.setHorizontalSpacing(10)
        for number, (key, name) in enumerate(self.categories):
            combo = QComboBox()
            combo.setAccessibleName(self.tr("Level of {0}").format(name))
            combo.addItem("–", "")
            for level in LEVELS:
                combo.addItem(level, level)
            self.level_choices[key] = combo
            row, column = number % 4, number // 4
            levels_grid.addWidget(
                _labelled(name[0].upper() + name[1:] + ":", combo), row, column * 3
            )
            levels_grid.addWidget(combo, row, column * 3 + 1)
        levels_grid.setColumnMinimumWidth(2, 24)
        levels_grid.setColumnStretch(5, 1)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName(self.tr("Notes on the cost pressure"))
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 12)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview_label.setAccessibleName(self.tr("Total of the cost pressure being edited"))
        self.new_button = QPushButton(self.tr("&New"))
        self.new_button.setAccessibleName(self.tr("New cost pressure"))
        self.new_button.setToolTip(self.tr("Clear the form to enter a new cost pressure (Ctrl+N)"))
        self.new_button.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setAccessibleName(self.tr("Save the cost pressure"))
        self.save_button.setToolTip(self.tr("Add or update the cost pressure (Ctrl+S)"))

        form = QFormLayout()
        form.addRow(_labelled(self.tr("&Title:"), self.title_edit), self.title_edit)
        form.addRow(_labelled(self.tr("&Heading:"), self.heading_choice), self.heading_choice)
        money_row = QHBoxLayout()
        money_row.addWidget(self.amount_edit)
        money_row.addSpacing(12)
        money_row.addWidget(_labelled(self.tr("Ser&vice:"), self.service_choice))
        money_row.addWidget(self.service_choice, 1)
        form.addRow(_labelled(self.tr("A&mount:"), self.amount_edit), money_row)
        form.addRow(QLabel(self.tr("Level on each impact category:")))
        form.addRow(levels_grid)
        form.addRow(_labelled(self.tr("N&otes:"), self.notes_edit), self.notes_edit)
        form.addRow(self.preview_label)
        editor_buttons = QHBoxLayout()
        editor_buttons.addStretch(1)
        editor_buttons.addWidget(self.new_button)
        editor_buttons.addWidget(self.save_button)
        form.addRow(editor_buttons)
        self.editor.setLayout(form)

        # Scoring.
        self.scoring = QGroupBox(self.tr("Scoring"))
        self.scoring.setAccessibleName(self.tr("Scoring"))
        self.weight_edits: dict[str, QDoubleSpinBox] = {}
        scoring_form = QFormLayout()
        scoring_form.addRow(QLabel(self.tr("Weight of each impact category:")))
        for key, name in self.categories:
            spin = QDoubleSpinBox()
            spin.setAccessibleName(self.tr("Weight of {0}").format(name))
            spin.setDecimals(2)
            spin.setRange(0, 100)
            spin.setSingleStep(0.5)
            spin.setValue(1)
            self.weight_edits[key] = spin
            scoring_form.addRow(_labelled(name[0].upper() + name[1:] + ":", spin), spin)
        self.a_highest_check = QCheckBox(self.tr("&A scores highest (A = 4)"))
        self.a_highest_check.setAccessibleName(self.tr("A scores highest"))
        self.a_highest_check.setToolTip(
            self.tr(
                "The source gives only the range 8 to 32; by default A scores 1 and D scores 4."
            )
        )
        self.apply_button = QPushButton(self.tr("A&pply scoring"))
        self.apply_button.setAccessibleName(self.tr("Apply the scoring"))
        self.apply_button.setToolTip(self.tr("Save the weights and re-rank the cost pressures"))
        scoring_form.addRow(self.a_highest_check)
        scoring_form.addRow(self.apply_button)
        self.scoring.setLayout(scoring_form)
        _no_auto_default(self.new_button, self.save_button, self.apply_button)

        bar = QHBoxLayout()
        bar.addWidget(_labelled(self.tr("&Year:"), self.year_choice))
        bar.addWidget(self.year_choice)
        bar.addSpacing(12)
        bar.addWidget(self.grouped_check)
        bar.addSpacing(12)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        lower = QHBoxLayout()
        lower.addWidget(self.editor, 3)
        lower.addWidget(self.scoring, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.views, 1)
        layout.addWidget(self.working_label)
        layout.addLayout(lower)
        layout.addWidget(_close_buttons(self))

        self.save_action = _save_action(self, self.save)
        self.year_choice.currentIndexChanged.connect(self.reload)
        self.grouped_check.toggled.connect(self._show_grouped)
        self.table.selectionModel().currentRowChanged.connect(self._table_choice)
        self.tree.currentItemChanged.connect(self._tree_choice)
        for combo in self.level_choices.values():
            combo.currentIndexChanged.connect(self._update_preview)
        self.new_button.clicked.connect(self.clear_form)
        self.save_button.clicked.connect(self.save)
        self.apply_button.clicked.connect(self.apply_scoring)

        order: list[QWidget] = [
            self.year_choice,
            self.grouped_check,
            self.table,
            self.tree,
            self.title_edit,
            self.heading_choice,
            self.amount_edit,
            self.service_choice,
            *self.level_choices.values(),
            self.notes_edit,
            self.new_button,
            self.save_button,
            *self.weight_edits.values(),
            self.a_highest_check,
            self.apply_button,
        ]
        for first, second in pairwise(order):
            self.setTabOrder(first, second)

        self._load_services()
        self.reload()
        self.clear_form()
        self.resize(1240, 900)

    # -- reading -------------------------------------------------------------------------------

    def _load_services(self) -> None:
        with self.context.database.session() as session:
            services = definitions.list_services(session, None, self.context.today())
        self.service_choice.addItem(self.tr("(none)"), None)
        for service in services:
            if service.kind == LineKind.SERVICE:
                self.service_choice.addItem(f"{service.code} {service.name}", service.id)

    @Slot()
    def reload(self) -> None:
        year = self.year_choice.year()
        with self.context.database.session() as session:
            ranked = planning.ranked_pressures(session, year)
            self._weights = planning.weights(session)
            self._a_highest = planning.a_scores_highest(session)
        order = {text: number for number, (_, text) in enumerate(self.headings)}
        self._rows = [
            PressureRow(
                p.id,
                p.rank,
                p.title,
                p.heading,
                order.get(p.heading, len(order)),
                p.amount,
                p.total,
                p.levels,
                p.working,
            )
            for p in ranked
        ]
        self.model.set_rows(self._rows)
        self.table.set_title(self.tr("Cost pressures {0}, ranked").format(year))
        self.table.set_subtitle(self._scale_text())
        self.table.resizeColumnsToContents()
        for column, widest in ((1, 320), (2, 260)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self._fill_tree()
        self._show_scoring()
        count = len(self._rows)
        self.count_label.setText(
            self.tr("1 cost pressure")
            if count == 1
            else self.tr("{0} cost pressures").format(count)
        )
        self._choose(self._editing)
        self._update_preview()

    def _fill_tree(self) -> None:
        self.tree.clear()
        score_column = ScoreColumn("total", "")
        money_column = Column("amount", "", Kind.MONEY)
        for _, heading in self.headings:
            members = [r for r in self._rows if r.heading == heading]
            text = heading.rstrip(".")
            if members:
                amount = sum((r.amount for r in members), Decimal(0))
                text = self.tr("{0}: {1}, {2}").format(
                    text,
                    self.tr("1 cost pressure")
                    if len(members) == 1
                    else self.tr("{0} cost pressures").format(len(members)),
                    money_column.display(amount),
                )
            group = QTreeWidgetItem([text])
            group.setFont(0, _bold())
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setToolTip(0, heading)
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            if not members:
                empty = QTreeWidgetItem([self.tr("no cost pressures under this heading")])
                empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
                empty.setForeground(
                    0, QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
                )
                group.addChild(empty)
            for row in members:
                item = QTreeWidgetItem(
                    [
                        row.title,
                        str(row.rank),
                        money_column.display(row.amount),
                        score_column.display(row.total),
                        row.levels,
                        row.working,
                    ]
                )
                item.setData(0, Qt.ItemDataRole.UserRole, str(row.id))
                for column in (1, 2, 3):
                    item.setTextAlignment(
                        column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                group.addChild(item)
        self.tree.expandAll()
        for column in range(1, self.tree.columnCount()):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, 380)

    def _scale_text(self) -> str:
        if self._a_highest:
            return self.tr("Levels score A = 4, B = 3, C = 2, D = 1")
        return self.tr("Levels score A = 1, B = 2, C = 3, D = 4")

    def _show_scoring(self) -> None:
        for key, spin in self.weight_edits.items():
            spin.setValue(float(self._weights.get(key, Decimal(1))))
        self.a_highest_check.setChecked(self._a_highest)
        for combo in self.level_choices.values():
            for index, level in enumerate(LEVELS, start=1):
                combo.setItemText(
                    index,
                    self.tr("{0} (scores {1})").format(level, level_points(level, self._a_highest)),
                )

    def _choose(self, pressure_id: uuid.UUID | None) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.model.row_at(self.proxy.mapToSource(index).row()).id == pressure_id:
                self.table.setCurrentIndex(index)
                self.table.selectRow(row)
                break
        else:
            self.table.setCurrentIndex(QModelIndex())
        self._show_working(pressure_id)

    def _row(self, pressure_id: uuid.UUID | None) -> PressureRow | None:
        return next((r for r in self._rows if r.id == pressure_id), None)

    def _show_working(self, pressure_id: uuid.UUID | None) -> None:
        row = self._row(pressure_id)
        if row is None:
            self.working_label.setText(
                self.tr("Choose a cost pressure to see how its total is worked out. {0}.").format(
                    self._scale_text()
                )
            )
            return
        self.working_label.setText(
            self.tr("Arithmetic for “{0}” (rank {1}): {2}.  {3}.").format(
                row.title, row.rank, row.working, self._scale_text()
            )
        )

    # -- choosing ------------------------------------------------------------------------------

    @Slot(bool)
    def _show_grouped(self, grouped: bool) -> None:
        self.views.setCurrentWidget(self.tree if grouped else self.table)

    @Slot()
    def _table_choice(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        row: PressureRow = self.model.row_at(self.proxy.mapToSource(index).row())
        self.edit(row.id)

    @Slot()
    def _tree_choice(self) -> None:
        item = self.tree.currentItem()
        held = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if held:
            self.edit(uuid.UUID(held))

    def edit(self, pressure_id: uuid.UUID) -> None:
        """Show a saved cost pressure in the editor."""
        with self.context.database.session() as session:
            form = _read_pressure(session, pressure_id)
        if form is None:
            return
        self._editing = form.id
        self.editor.setTitle(self.tr("Cost pressure: {0}").format(form.title))
        self.title_edit.setText(form.title)
        self.heading_choice.setCurrentIndex(max(self.heading_choice.findData(form.heading), 0))
        self.amount_edit.setValue(float(form.amount))
        found = self.service_choice.findData(form.service_line_id)
        self.service_choice.setCurrentIndex(max(found, 0))
        for key, combo in self.level_choices.items():
            combo.setCurrentIndex(max(combo.findData(form.levels.get(key, "")), 0))
        self.notes_edit.setPlainText(form.notes)
        self._show_working(form.id)
        self._update_preview()

    @Slot()
    def clear_form(self) -> None:
        self._editing = None
        self.editor.setTitle(self.tr("New cost pressure"))
        self.title_edit.clear()
        self.heading_choice.setCurrentIndex(0)
        self.amount_edit.setValue(0)
        self.service_choice.setCurrentIndex(0)
        for combo in self.level_choices.values():
            combo.setCurrentIndex(0)
        self.notes_edit.clear()
        self.table.clearSelection()
        self.table.setCurrentIndex(QModelIndex())
        self._show_working(None)
        self._update_preview()
        self.title_edit.setFocus()

    def _levels(self) -> dict[str, str]:
        return {key: str(combo.currentData() or "") for key, combo in self.level_choices.items()}

    @Slot()
    def _update_preview(self) -> None:
        levels = self._levels()
        missing = [name for key, name in self.categories if not levels[key]]
        if missing:
            self.preview_label.setText(
                self.tr("Total: choose a level for each impact category ({0} to go).").format(
                    len(missing)
                )
            )
            return
        working = score(levels, self._weights, self._a_highest)
        self.preview_label.setText(self.tr("Total: {0}").format(working.explanation))

    # -- changing ------------------------------------------------------------------------------

    def _fields(self) -> dict[str, str]:
        names = {key: name[0].upper() + name[1:] for key, name in self.categories}
        return {"title": self.tr("Title"), "heading": self.tr("Heading")} | names

    def _field_widget(self, key: str | None) -> QWidget | None:
        widgets: dict[str, QWidget] = {
            "title": self.title_edit,
            "heading": self.heading_choice,
            **self.level_choices,
        }
        return widgets.get(key or "")

    @Slot()
    def save(self) -> None:
        year, title = self.year_choice.year(), self.title_edit.text()
        heading, levels = str(self.heading_choice.currentData() or ""), self._levels()
        amount, service = (
            Decimal(f"{self.amount_edit.value():.2f}"),
            self.service_choice.currentData(),
        )
        notes, editing = self.notes_edit.toPlainText(), self._editing

        def refused(error: CommissioningError) -> None:
            message, first = _explain(error, self._fields())
            QMessageBox.warning(self, self.tr("The cost pressure was not saved"), message)
            widget = self._field_widget(first)
            if widget is not None:
                widget.setFocus()

        done, saved = run_guarded(
            self,
            self.context,
            lambda session: planning.save_cost_pressure(
                session, year, title, heading, levels, amount, service, notes, editing
            ),
            self.tr("The cost pressure was not saved"),
            {"notes": self.notes_edit},
            on_error=refused,
        )
        if not done or saved is None:
            return
        self._editing = saved
        self.reload()
        self.edit(saved)

    @Slot()
    def apply_scoring(self) -> None:
        chosen = {
            key: Decimal(f"{spin.value():.2f}").normalize()
            for key, spin in self.weight_edits.items()
        }
        if not any(chosen.values()):
            QMessageBox.warning(
                self,
                self.tr("The scoring was not saved"),
                self.tr("Weights: at least one impact category must carry some weight."),
            )
            return
        try:
            with self.context.database.session() as session:
                for key, weight in chosen.items():
                    if weight != self._weights.get(key):
                        planning.set_weight(session, key, weight)
                if self.a_highest_check.isChecked() != self._a_highest:
                    planning.set_a_scores_highest(session, self.a_highest_check.isChecked())
        except CommissioningError as error:
            message, _ = _explain(error, self._fields())
            QMessageBox.warning(self, self.tr("The scoring was not saved"), message)
            return
        self.reload()
