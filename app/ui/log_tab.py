"""What the Case studies and Disputes tabs share: the list that filters as you type, the
full-text search with its filters and results beneath the list, the record beside, undo."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.ui.context import UiContext
from app.ui.filter_proxy import RecordFilterProxy
from app.ui.log_widgets import AskReason, SearchFilterBar, SearchResults
from app.ui.record_model import RecordTableModel
from app.ui.table_view import DataTableView


class LogTab(QWidget):
    """A log of records: the list on the left with the search results under it, the selected
    record on the right. A tab makes its widgets, then calls `lay_out` and `connect_log`;
    it gives `load` (show a record), `run_search` and `update_count`."""

    def __init__(self, context: UiContext, ask: AskReason, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.ask = ask
        self.current_id: uuid.UUID | None = None
        self.undo_stack = QUndoStack(self)

    # Building --------------------------------------------------------------------------------

    def make_filter(self, accessible_name: str) -> QLineEdit:
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter the list (Ctrl+F)"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(accessible_name)
        return self.filter_edit

    def make_search(self, placeholder: str, accessible_name: str) -> QLineEdit:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(placeholder)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName(accessible_name)
        return self.search_edit

    def make_count(self, accessible_name: str) -> QLabel:
        self.count_label = QLabel()
        self.count_label.setAccessibleName(accessible_name)
        return self.count_label

    def make_list(self, model: RecordTableModel, title: str, marking: str = "") -> None:
        """The list of records (sorted and filtered through a proxy) and the search results."""
        self.model = model
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = DataTableView()
        self.table.setModel(self.proxy)
        self.table.set_title(title)
        if marking:
            self.table.set_marking(marking)
        self.table.set_today(self.context.today)
        self.table.setAccessibleName(title)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.results = SearchResults()
        self.results.hide()

    def lay_out(
        self,
        filters: Sequence[QWidget],
        after_search: Sequence[QWidget],
        search_filters: SearchFilterBar,
        record: QWidget,
        stretch: tuple[int, int],
        above: QWidget | None = None,
    ) -> QSplitter:
        """Find box and the tab's own filters, then the search box, the count and any
        buttons; the search's filters beneath; the list and results beside the record."""
        self.search_filters = search_filters  # (the tab's own, kept under the same name)
        find_label = QLabel(self.tr("&Find:"))
        find_label.setBuddy(self.filter_edit)
        search_label = QLabel(self.tr("&Search:"))
        search_label.setBuddy(self.search_edit)
        bar = QHBoxLayout()
        bar.addWidget(find_label)
        bar.addWidget(self.filter_edit, 1)
        for widget in filters:
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(search_label)
        bar.addWidget(self.search_edit, 2)
        for widget in after_search:
            bar.addWidget(widget)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.results)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(record)
        splitter.setStretchFactor(0, stretch[0])
        splitter.setStretchFactor(1, stretch[1])
        layout = QVBoxLayout(self)
        if above is not None:
            layout.addWidget(above)
        layout.addLayout(bar)
        layout.addWidget(self.search_filters)
        layout.addWidget(splitter, 1)
        return splitter

    def shortcut(self, keys: QKeySequence | QKeySequence.StandardKey, slot: object) -> None:
        action = QAction(self)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)

    def add_undo_actions(self, undo: str, redo: str) -> None:
        """Ctrl+Z and Ctrl+Shift+Z (or the platform's keys) anywhere in the tab."""
        self.undo_action = self.undo_stack.createUndoAction(self, undo)
        self.redo_action = self.undo_stack.createRedoAction(self, redo)
        for action, keys in (
            (self.undo_action, QKeySequence.StandardKey.Undo),
            (self.redo_action, QKeySequence.StandardKey.Redo),
        ):
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

    def connect_log(self, opened: Callable[[uuid.UUID], None]) -> None:
        """The connections every log makes: filter, search, results, selection, shortcuts."""
        self.shortcut(QKeySequence.StandardKey.Find, self.focus_filter)
        self.shortcut(QKeySequence("Ctrl+Shift+F"), self.focus_search)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.search_edit.textChanged.connect(self.run_search)
        self.search_filters.changed.connect(self.run_search)
        self.results.opened.connect(opened)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    # Behaviour -------------------------------------------------------------------------------

    def load(self, record_id: uuid.UUID) -> None:
        raise NotImplementedError

    @Slot()
    def run_search(self) -> None:
        raise NotImplementedError

    def update_count(self) -> None:
        raise NotImplementedError

    @Slot()
    def _apply_filter(self) -> None:
        self.proxy.set_filter(self.filter_edit.text())
        self.update_count()

    @Slot()
    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    @Slot()
    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _row_changed(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.load(self.model.row_at(self.proxy.mapToSource(index).row()).id)

    def open_record(self, record_id: uuid.UUID) -> None:
        """Select the record in the list (which shows it), or show it if the list hides it."""
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            if self.model.row_at(source).id == record_id:
                self.table.selectRow(row)
                return
        self.load(record_id)
