"""The National Definitions Set tab: every service and sub-line, filtered as you type."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.models import LineKind
from app.services import definitions
from app.ui.context import UiContext
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
]


class ServiceListModel(RecordTableModel):
    """Services in bold, so their sub-lines read as belonging to them."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid():
            if self.row_at(index.row()).kind == LineKind.SERVICE:
                font = QFont()
                font.setBold(True)
                return font
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
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        find = QAction(self.tr("Find"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.focus_filter)
        self.addAction(find)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.column_choice.currentIndexChanged.connect(self._apply_filter)
        self.edition_choice.currentIndexChanged.connect(self.reload)
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
        self.table.resizeColumnsToContents()
        for column, widest in ((1, 420), (4, 220), (6, 320)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self._update_count()

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
