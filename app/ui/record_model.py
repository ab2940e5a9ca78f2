"""A table model over a list of plain rows (dataclasses from the services), one per tab table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.formatting import format_date, format_money, format_number
from app.ui.table_view import RAW_ROLE, ROW_ROLE, CellMeasure

SORT_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    """A column of a table: which attribute of the row, its header, and how it is written."""

    attribute: str
    header: str
    kind: Kind = Kind.TEXT
    sort_by: str | None = None
    tooltip: str = ""

    def display(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if self.kind is Kind.DATE and isinstance(value, date):
            return format_date(value)
        if self.kind is Kind.MONEY:
            return format_money(value)
        if self.kind is Kind.NUMBER and isinstance(value, int | Decimal | float):
            return format_number(value)
        return str(value)


def fitted_widths(
    measure: CellMeasure, columns: Sequence[Column], rows: Sequence[Any]
) -> list[int]:
    """The widths that fit `rows` as `columns` write them (run on the worker that read them)."""
    texts = ((column.display(getattr(row, column.attribute)) for column in columns) for row in rows)
    return measure.widths((tuple(row) for row in texts), len(columns))


def _sortable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return value.casefold()
    return value


class RecordTableModel(QAbstractTableModel):
    """Rows are prepared by a service in one query; `data()` never touches the database."""

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        column = self.columns[index.column()]
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        value = getattr(row, column.attribute)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.display(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = column.display(value)
            return text if len(text) > 40 else None
        if role == RAW_ROLE:
            return value
        if role == SORT_ROLE:
            return _sortable(getattr(row, column.sort_by) if column.sort_by else value)
        if role == FILTER_ROLE:
            return column.display(value).casefold()
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind in (
            Kind.MONEY,
            Kind.NUMBER,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip
        return None


RowPredicate = Callable[[Any], bool]
