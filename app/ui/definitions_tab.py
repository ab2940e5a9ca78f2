"""The National Definitions Set tab: every service and sub-line, filtered as you type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import CommissioningError
from app.models import LineKind
from app.services import definitions, editions
from app.ui.context import UiContext
from app.ui.definition_editor import DefinitionEditor, _problem_text
from app.ui.filter_proxy import ALL_COLUMNS, RecordFilterProxy
from app.ui.record_model import Column, Index, Kind, RecordTableModel
from app.ui.table_view import DataTableView

COLUMNS = [
    Column("code", "No.", sort_by="position_key", tooltip="Definitions Set number or sub-line"),
    Column("name", "Service"),
    Column("age_group", "Age group"),
    Column("commissioning_level", "Level", tooltip="National, pan-SCG, SCG or local"),
    Column("lead_commissioner", "Lead commissioner"),
    Column("tariff_status", "Tariff"),
    Column("designated_providers", "Designated providers"),
    Column("last_review", "Last review", Kind.DATE),
    Column("flags", "Needs attention", tooltip="Review due in the 5-year cycle, designations"),
]


COLUMN_SAMPLES = [
    "No.  ",
    "Specialised services for blood and marrow transplant",
    "All ages ",
    "Pan-SCG ",
    "Bethan Orchardleigh ",
    "Excluded from tariff",
    "Northgate Hospitals NHS Foundation Trust",
    "30 Sep 2026 ",
    "review due; designation ending",
]


class ServiceListModel(RecordTableModel):
    """Services in bold, so their sub-lines read as belonging to them."""

    def __init__(self, columns: list[Column], parent: Any = None) -> None:
        super().__init__(columns, parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid():
            if self.row_at(index.row()).kind == LineKind.SERVICE:
                return self._bold
            return None
        return super().data(index, role)


class DefinitionsTab(QWidget):
    """The first tab a commissioner opens."""

    area = "definitions"

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("definitionsTab")
        self.setAccessibleName(self.tr("National Definitions Set"))

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            self.tr("Filter by number, name, code or definition text (Ctrl+F)")
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(self.tr("Filter services"))
        self.column_choice = QComboBox()
        self.column_choice.setAccessibleName(self.tr("Filter in column"))
        self.column_choice.addItem(self.tr("All columns"), ALL_COLUMNS)
        for number, column in enumerate(COLUMNS):
            self.column_choice.addItem(column.header, number)
        self.edition_choice = QComboBox()
        self.edition_choice.setAccessibleName(self.tr("Edition"))
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of services shown"))

        self._widths_set = False
        self.model = ServiceListModel(COLUMNS, self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_title(self.tr("National Definitions Set"))
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Services and sub-lines"))
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.undo_stack = QUndoStack(self)
        # The editor is built when a service is first selected, so the list opens at once.
        self._editor: DefinitionEditor | None = None
        self.editor_placeholder = QLabel(
            self.tr("Select a service to see and edit its definition.")
        )
        self.editor_placeholder.setAccessibleName(self.tr("Service details"))
        self.editor_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.editor_placeholder.setWordWrap(True)

        edition_label = QLabel(self.tr("&Edition:"))
        edition_label.setBuddy(self.edition_choice)
        filter_label = QLabel(self.tr("&Find:"))
        filter_label.setBuddy(self.filter_edit)
        in_label = QLabel(self.tr("&in"))
        in_label.setBuddy(self.column_choice)
        bar = QHBoxLayout()
        bar.addWidget(filter_label)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(in_label)
        bar.addWidget(self.column_choice)
        bar.addSpacing(12)
        bar.addWidget(edition_label)
        bar.addWidget(self.edition_choice)
        bar.addSpacing(12)
        bar.addWidget(self.count_label)

        self.undo_action = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo_action = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        self.redo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.tools = QToolBar(self.tr("Definitions Set tools"))
        self.tools.setAccessibleName(self.tr("Definitions Set tools"))
        for text, slot in (
            (self.tr("&Add service…"), self.add_service),
            (self.tr("Re&number…"), self.renumber_service),
            (self.tr("Re&tire or restore"), self.retire_service),
            (self.tr("Compare &editions…"), self.compare_editions),
            (self.tr("&Work programme…"), self.work_programme),
            (self.tr("Cost &pressures…"), self.cost_pressures),
            (self.tr("E&xport workbook…"), self.export_workbook),
            (self.tr("&Import workbook…"), self.import_workbook),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            self.tools.addAction(action)
        self.tools.addSeparator()
        self.tools.addAction(self.undo_action)
        self.tools.addAction(self.redo_action)
        for button in self.tools.findChildren(QToolButton):
            button.setAccessibleName(button.text().replace("&", "") or self.tr("More tools"))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("definitionsSplitter")
        splitter.setAccessibleName(self.tr("Services and their details"))
        splitter.addWidget(self.table)
        splitter.addWidget(self.editor_placeholder)
        self.splitter = splitter
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tools)
        layout.addWidget(splitter, 1)

        find = QAction(self.tr("Find"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.focus_filter)
        self.addAction(find)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.column_choice.currentIndexChanged.connect(self._apply_filter)
        self.edition_choice.currentIndexChanged.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.setTabOrder(self.filter_edit, self.column_choice)
        self.setTabOrder(self.column_choice, self.edition_choice)
        self.setTabOrder(self.edition_choice, self.table)
        self._load_editions()
        self.reload()

    def _load_editions(self) -> None:
        with self.context.database.session() as session:
            labels = definitions.edition_labels(session)
        self.edition_choice.blockSignals(True)
        self.edition_choice.clear()
        self.edition_choice.addItems(labels)
        self.edition_choice.setCurrentIndex(len(labels) - 1)
        self.edition_choice.blockSignals(False)

    @Slot()
    def reload(self) -> None:
        label = self.edition_choice.currentText() or None
        with self.context.database.session() as session:
            rows = definitions.list_services(session, label, self.context.today())
        self.model.set_rows(rows)
        if not self._widths_set:
            # Widths from the font, not from measuring every cell: opening stays instant.
            metrics = self.table.fontMetrics()
            for column, sample in enumerate(COLUMN_SAMPLES):
                self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 16)
            self._widths_set = True
        self._update_count()

    @property
    def editor(self) -> DefinitionEditor:
        if self._editor is None:
            self._editor = DefinitionEditor(self.context, self.undo_stack)
            self._editor.changed.connect(self.refresh_keeping_selection)
            self.splitter.replaceWidget(1, self._editor)
            self.editor_placeholder.deleteLater()
        return self._editor

    def selected_line(self) -> object | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row()).id

    def select_line(self, line_id: object) -> None:
        for number in range(self.model.rowCount()):
            if self.model.row_at(number).id == line_id:
                index = self.proxy.mapFromSource(self.model.index(number, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                    self.table.scrollTo(index)
                return

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, *_: object) -> None:
        line = self.selected_line()
        self.editor.show_service(line, self.edition_choice.currentText() or None)  # type: ignore[arg-type]

    @Slot()
    def refresh_keeping_selection(self) -> None:
        line = self.selected_line()
        with self.context.database.session() as session:
            rows = definitions.list_services(
                session, self.edition_choice.currentText() or None, self.context.today()
            )
        self.model.set_rows(rows)
        self._update_count()
        if line is not None:
            self.table.selectionModel().blockSignals(True)
            self.select_line(line)
            self.table.selectionModel().blockSignals(False)

    def _edition(self) -> str:
        return self.edition_choice.currentText()

    def _selected_row(self) -> definitions.ServiceListRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row()) if rows else None

    def _ask_text(self, title: str, label: str, text: str = "") -> str | None:
        value, accepted = QInputDialog.getText(self, title, label, text=text)
        return value.strip() if accepted and value.strip() else None

    def _run(self, title: str, work: Callable[[Session], object]) -> bool:
        try:
            with self.context.database.session() as session:
                work(session)
        except CommissioningError as error:
            QMessageBox.warning(self, title, _problem_text(error))
            return False
        self.refresh_keeping_selection()
        return True

    @Slot()
    def add_service(self) -> None:
        """A service, or a sub-line of the selected service, in the edition shown."""
        title = self.tr("Add a service to edition {0}").format(self._edition())
        selected = self._selected_row()
        parent = ""
        if selected is not None and selected.kind == LineKind.SERVICE:
            answer = QMessageBox.question(
                self,
                title,
                self.tr("Add a sub-line of {0} {1}? (No adds a service of its own.)").format(
                    selected.code, selected.name
                ),
                QMessageBox.StandardButton.Yes
                | QMessageBox.StandardButton.No
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            parent = selected.code if answer == QMessageBox.StandardButton.Yes else ""
        code = self._ask_text(title, self.tr("Number (such as 37, or 22n for a sub-line):"))
        if code is None:
            return
        name = self._ask_text(title, self.tr("Name:"))
        if name is None:
            return
        edition = self._edition()
        if self._run(
            title, lambda s: editions.add_service(s, edition, code, name, "", parent or None)
        ):
            self.filter_edit.setText(code)

    @Slot()
    def renumber_service(self) -> None:
        selected = self._selected_row()
        if selected is None:
            return
        title = self.tr("Renumber {0}").format(selected.code)
        code = self._ask_text(
            title,
            self.tr("New number of {0} in edition {1} (it stays the same service):").format(
                selected.name, self._edition()
            ),
            selected.code,
        )
        if code is not None and code != selected.code:
            edition = self._edition()
            self._run(title, lambda s: editions.renumber_service(s, edition, selected.code, code))

    @Slot()
    def retire_service(self) -> None:
        selected = self._selected_row()
        if selected is None:
            return
        edition = self._edition()
        with self.context.database.session() as session:
            retired = editions.definition_by_code(
                session, editions._edition(session, edition), selected.code
            ).retired
        self._run(
            self.tr("Retire {0}").format(selected.code),
            lambda s: editions.retire_service(s, edition, selected.code, not retired),
        )

    @Slot()
    def compare_editions(self) -> None:
        from app.ui.nds_dialogs import CompareEditionsDialog

        CompareEditionsDialog(self.context, self).exec()
        self._load_editions()
        self.reload()

    @Slot()
    def work_programme(self) -> None:
        from app.ui.nds_dialogs import WorkProgrammeDialog

        WorkProgrammeDialog(self.context, self).exec()

    @Slot()
    def cost_pressures(self) -> None:
        from app.ui.nds_dialogs import CostPressuresDialog

        CostPressuresDialog(self.context, self).exec()

    def _ask_path(self, saving: bool) -> str:
        if saving:
            path, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Export the Definitions Set"),
                "definitions-set.xlsx",
                self.tr("Excel workbook (*.xlsx)"),
            )
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, self.tr("Import the Definitions Set"), "", self.tr("Excel workbook (*.xlsx)")
            )
        return path

    @Slot()
    def export_workbook(self) -> None:
        path = self._ask_path(saving=True)
        if not path:
            return
        from app.services import nds_exchange

        try:
            with self.context.database.session() as session:
                nds_exchange.export_workbook(session, Path(path))
        except (OSError, CommissioningError) as error:
            QMessageBox.warning(self, self.tr("Export failed"), f"{path}: {error}")

    @Slot()
    def import_workbook(self) -> None:
        path = self._ask_path(saving=False)
        if not path:
            return
        from app.services import nds_exchange

        try:
            with self.context.database.session() as session:
                plan = nds_exchange.import_workbook(session, Path(path))
        except CommissioningError as error:
            QMessageBox.warning(
                self,
                self.tr("Nothing was imported"),
                self.tr("The workbook has problems, so nothing was changed:\n\n{0}").format(
                    _problem_text(error)
                ),
            )
            return
        QMessageBox.information(
            self,
            self.tr("Imported"),
            self.tr("Changed {0} and added {1} records.").format(plan.changed, plan.added),
        )
        self.refresh_keeping_selection()

    @Slot()
    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    @Slot()
    def _apply_filter(self) -> None:
        self.proxy.set_filter(self.filter_edit.text(), self.column_choice.currentData())
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(
            self.tr("{0} of {1} services and sub-lines").format(shown, total)
            if shown != total
            else self.tr("{0} services and sub-lines").format(total)
        )
