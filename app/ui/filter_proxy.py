"""Type-to-filter over one column or all of them, and sorting by each column's sort key."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from app.ui.record_model import FILTER_ROLE, SORT_ROLE, RecordTableModel

ALL_COLUMNS = -1


class RecordFilterProxy(QSortFilterProxyModel):
    """Every word typed must appear; rows with a `search_text` attribute search it too."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._words: list[str] = []
        self._column = ALL_COLUMNS

    def set_filter(self, text: str, column: int = ALL_COLUMNS) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self._words = text.casefold().split()
            self._column = column
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._words = text.casefold().split()
            self._column = column
            self.invalidateRowsFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        if self._column == ALL_COLUMNS:
            haystack = ""
            if isinstance(model, RecordTableModel):
                haystack = getattr(model.row_at(source_row), "search_text", "")
            haystack += " " + " ".join(
                str(model.index(source_row, c, source_parent).data(FILTER_ROLE) or "")
                for c in range(model.columnCount())
            )
        else:
            haystack = str(
                model.index(source_row, self._column, source_parent).data(FILTER_ROLE) or ""
            )
        return all(word in haystack for word in self._words)
