"""The monitoring view's table: position rows whose cells are written once, off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.formatting import format_signed_percent
from app.services import monitoring
from app.ui.record_model import FILTER_ROLE, Column, Kind, RecordTableModel

Index = QModelIndex | QPersistentModelIndex

POSITION_COLUMNS = [
    Column("label", "Name"),
    Column("plan_cost", "Plan (year)", Kind.MONEY),
    Column("plan_cost_ytd", "Plan to date", Kind.MONEY),
    Column("actual_cost_ytd", "Actual to date", Kind.MONEY),
    Column("variance_cost", "Variance", Kind.MONEY),
    Column("variance_text", "Variance %"),
    Column("margin_text", "Margin", tooltip="The agreed margin around the plan"),
    Column("status", "Status"),
    Column("plan_activity_ytd", "Planned activity to date", Kind.NUMBER),
    Column("actual_activity_ytd", "Actual activity to date", Kind.NUMBER),
    Column("forecast_cost", "Forecast (straight line)", Kind.MONEY),
    Column("seasonal_forecast_cost", "Forecast (seasonal)", Kind.MONEY),
    Column("forecast_variance_cost", "Forecast variance", Kind.MONEY),
]


@dataclass(frozen=True)
class PositionListRow:
    """A position row with the percentages written for people."""

    row: monitoring.PositionRow

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)

    @property
    def variance_text(self) -> str:
        return format_signed_percent(self.row.variance_percent)

    @property
    def margin_text(self) -> str:
        return f"±{self.row.margin * 100:.1f}%"


@dataclass(frozen=True)
class PreparedRows:
    """Rows for the table with each cell's text, made where the figures were worked out."""

    rows: list[PositionListRow]
    texts: list[tuple[str, ...]]


def prepare_rows(
    rows: Sequence[monitoring.PositionRow], columns: Sequence[Column] = POSITION_COLUMNS
) -> PreparedRows:
    """Write every cell once (plain Python: the worker calls it, the GUI thread need not)."""
    listed = [PositionListRow(row) for row in rows]
    texts = [
        tuple(column.display(getattr(row, column.attribute)) for column in columns)
        for row in listed
    ]
    return PreparedRows(listed, texts)


_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class PositionTableModel(RecordTableModel):
    """The position rows; `data()` hands out texts written beforehand, so painting the table
    and fitting its columns formats no Decimal."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(POSITION_COLUMNS, parent)
        self._texts: list[tuple[str, ...]] = []
        self._alignments = [
            _RIGHT if column.kind in (Kind.MONEY, Kind.NUMBER) else None for column in self.columns
        ]

    def set_prepared(self, prepared: PreparedRows) -> None:
        self.beginResetModel()
        self._rows = list(prepared.rows)
        self._texts = prepared.texts
        self.endResetModel()

    def set_rows(self, rows: Sequence[Any]) -> None:
        listed = [row.row if isinstance(row, PositionListRow) else row for row in rows]
        self.set_prepared(prepare_rows(listed, self.columns))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._texts):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._texts[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignments[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._texts[index.row()][index.column()]
            return text if len(text) > 40 else None
        if role == FILTER_ROLE:
            return self._texts[index.row()][index.column()].casefold()
        if role in (
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.CheckStateRole,
            Qt.ItemDataRole.SizeHintRole,
        ):
            return None
        return super().data(index, role)
