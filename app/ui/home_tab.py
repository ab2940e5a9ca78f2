"""The Home tab: everything that needs someone's attention today, each line opening its record."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.formatting import format_date
from app.services import attention, disputes
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.filter_proxy import RecordFilterProxy
from app.ui.record_model import Column, Index, Kind, RecordTableModel
from app.ui.table_view import DataTableView
from app.ui.tasks import Task, start_task
from app.ui.theme import warning_brush

COLUMNS = [
    Column("kind", "What", sort_by="kind"),
    Column("title", "Item"),
    Column("detail", "Detail"),
    Column("due_on", "Date", Kind.DATE),
]


class AttentionModel(RecordTableModel):
    """Overdue lines in the theme's warning red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            if self.row_at(index.row()).overdue:
                return warning_brush()
            return None
        if index.isValid() and role == Qt.ItemDataRole.FontRole and index.column() == 0:
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)


class HomeTab(QWidget):
    """The view a commissioner opens every morning, and the secretariat's pre-meeting list."""

    area = "home"
    # (area of the tab that shows the record, record type, record id)
    open_requested = Signal(str, str, object)
    loaded = Signal()  # the list has been filled (again)

    def __init__(
        self, context: UiContext, parent: QWidget | None = None, load: bool = True
    ) -> None:
        """`load=False` leaves the list saying it is loading until `reload()` is called (the
        main window calls it once it has been painted)."""
        super().__init__(parent)
        self.context = context
        self._task: Task | None = None
        self._pending = False
        self.is_loaded = False
        self.setObjectName("homeTab")
        self.setAccessibleName(self.tr("What needs attention"))

        self.summary = QLabel()
        self.summary.setAccessibleName(self.tr("Summary of what needs attention"))
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh the list"))
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.report_button = QPushButton(self.tr("As a &report (PDF)…"))
        self.report_button.setAccessibleName(self.tr("Write the list as a PDF report"))
        self.open_button = QPushButton(self.tr("&Open"))
        self.open_button.setAccessibleName(self.tr("Open the selected record"))
        self.open_button.setToolTip(self.tr("Open the record (Enter or double-click)"))

        self.model = AttentionModel(COLUMNS, self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_title(self.tr("What needs attention"))
        self.table.set_today(context.today)
        self.table.setAccessibleName(self.tr("Items needing attention"))
        self.table.set_taken_hook(self._taken)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        title = QLabel(self.tr("What needs attention today"))
        title.setAccessibleName(self.tr("Title"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        bar = QHBoxLayout()
        bar.addWidget(title, 1)
        bar.addWidget(self.open_button)
        bar.addWidget(self.report_button)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

        open_action = QAction(self.tr("Open"), self)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        open_action.triggered.connect(self.open_selected)
        self.table.addAction(open_action)
        self.table.doubleClicked.connect(self._open_index)
        self.open_button.clicked.connect(self.open_selected)
        self.refresh_button.clicked.connect(self.reload)
        self.report_button.clicked.connect(self.write_report)
        self.summary.setText(self.tr("Loading what needs attention…"))
        if load:
            self.reload()

    def _taken(self, action: str, rows: list[object], where: str) -> None:
        """The list copied, exported or printed: the confidential disputes it lists are
        recorded in the access log, as from the Disputes tab."""
        ids = [
            row.id
            for row in rows
            if isinstance(row, attention.AttentionItem) and row.record_type == "dispute"
        ]
        if ids:
            with self.context.database.session() as session:
                disputes.record_table_taken(session, ids, action, self.table.title(), where)

    @Slot()
    def reload(self) -> None:
        """Gather the list off the GUI thread (it reads every area); a reload asked for
        meanwhile runs once this one is back."""
        if self._task is not None:
            self._pending = True
            return
        today = self.context.today()
        database = self.context.database

        def work() -> list[attention.AttentionItem]:
            with database.reader() as session:
                return attention.needing_attention(session, today)

        if not self.is_loaded:
            self.summary.setText(self.tr("Loading what needs attention…"))
        self.refresh_button.setEnabled(False)
        self._task = start_task(work, self._show, self._failed)

    @Slot(object)
    def _show(self, items: list[attention.AttentionItem]) -> None:
        self._task = None
        self.refresh_button.setEnabled(True)
        if self._pending:
            self._pending = False
            self.reload()
            return
        today = self.context.today()
        self.model.set_rows(items)
        self.table.resizeColumnsToContents()
        for column, widest in ((0, 300), (1, 460), (2, 420)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        overdue = sum(1 for item in items if item.overdue)
        self.summary.setText(
            self.tr("{0} items need attention on {1}; {2} are overdue or late.").format(
                len(items), format_date(today), overdue
            )
            if items
            else self.tr("Nothing needs attention on {0}.").format(format_date(today))
        )
        self.is_loaded = True
        self.loaded.emit()

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = None
        self._pending = False
        self.refresh_button.setEnabled(True)
        self.summary.setText(self.tr("The list could not be loaded; press Refresh to try again."))
        show_error(error, self.context.log_file, self.tr("What needs attention"))

    @Slot()
    def write_report(self) -> None:
        from app.ui.report_dialog import ReportDialog

        ReportDialog(self.context, "attention", self).exec()

    def selected_item(self) -> attention.AttentionItem | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    @Slot(QModelIndex)
    def _open_index(self, index: QModelIndex) -> None:
        self.table.setCurrentIndex(index)
        self.open_selected()

    @Slot()
    def open_selected(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.open_requested.emit(item.area, item.record_type, item.id)

    def count_of(self, kind: str) -> int:
        return sum(1 for row in self.model.rows() if row.kind == kind)

    def row_of(self, record_id: uuid.UUID) -> int:
        for number, row in enumerate(self.model.rows()):
            if row.id == record_id:
                return number
        return -1
