"""The one table widget: copy as spreadsheet text, export to xlsx or CSV, print to PDF."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    Slot,
)
from PySide6.QtGui import QAction, QFont, QFontMetricsF, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QMessageBox,
    QStyle,
    QTableView,
    QWidget,
)

from app.errors import InputRejected

# The export service is imported when a table is first copied or written: `app.services`
# brings SQLAlchemy and the models, which the window's first paint does not wait for.
if TYPE_CHECKING:
    from app.services.table_export import Table

RAW_ROLE = Qt.ItemDataRole.UserRole + 1
"""Models return the raw Python value (Decimal, date, ...) for a cell under this role."""
ROW_ROLE = Qt.ItemDataRole.UserRole + 4
"""Models return the whole row object (a service's dataclass) for any cell under this role."""

HistoryOpener = Callable[[str], None]
TakenHook = Callable[[str, list[object], str], None]
"""Told (action, the row objects taken, where to) before a table's rows leave the window:
action is one of `TAKEN_ACTIONS`; where to is the file's path, or "clipboard"."""
COPY, EXPORT, PRINT = "copy", "export", "print"
TAKEN_ACTIONS = (COPY, EXPORT, PRINT)
CLIPBOARD = "clipboard"

_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _python_value(value: object) -> object:
    """Qt date and time values as Python ones; everything else as it came."""
    if isinstance(value, QDate | QDateTime | QTime):
        return value.toPython()
    return value


@dataclass(frozen=True)
class CellMeasure:
    """What a worker needs to fit a table's columns to their texts: the table's font and the
    room a cell adds around its text, read on the GUI thread. QFont and QFontMetrics may be
    used on any thread, so the widths are worked out where the rows were read."""

    font: QFont
    padding: int

    # Each different text of a column is measured, the longest first, up to as many as
    # `resizeColumnsToContents` looks at (`setResizeContentsPrecision` below).
    LONGEST = 300

    def widths(self, rows: Iterable[Sequence[str]], columns: int) -> list[int]:
        """The width each of `columns` needs for the texts of `rows` (0 for an empty column)."""
        longest: list[dict[str, None]] = [{} for _ in range(columns)]
        for row in rows:
            for column, text in enumerate(row[:columns]):
                if text:
                    longest[column][text] = None
        metrics = QFontMetricsF(self.font)
        widths = []
        for texts in longest:
            candidates = sorted(texts, key=len, reverse=True)[: self.LONGEST]
            widest = max((metrics.horizontalAdvance(text) for text in candidates), default=0.0)
            # Rounded up, as the item delegate lays the text out.
            widths.append(math.ceil(widest) + self.padding if widest else 0)
        return widths


class DataTableView(QTableView):
    """A table view whose contents can be copied, exported and printed as the user sees them.

    What is taken away is what is shown: visible columns in their on-screen order and rows in
    the sorted, filtered order of the (proxy) model behind the view.
    """

    @classmethod
    def titled(
        cls, model: QAbstractItemModel, title: str, today: Callable[[], date]
    ) -> DataTableView:
        """A view of `model` named `title` (on screen readers, exports and prints too)."""
        table = cls()
        table.setModel(model)
        table.set_title(title)
        table.set_today(today)
        table.setAccessibleName(title)
        return table

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = ""
        self._subtitle = ""
        self._marking = ""
        self._today: Callable[[], date] = date.today
        self._default_accessible_name = ""

        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        # Rows come in the order the service chose; no column claims to be sorted until the
        # user clicks one, and a third click returns to that order.
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Fitting columns to their contents looks at the rows in view and a few hundred
        # more, not at every row: a table of thousands stays quick to fill.
        header.setResizeContentsPrecision(300)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

        self.copy_action = self._action(
            self.tr("&Copy"), QKeySequence(QKeySequence.StandardKey.Copy)
        )
        self.copy_action.setToolTip(self.tr("Copy the selected rows, or the whole table"))
        self.export_action = self._action(
            self.tr("&Export…"), QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_E)
        )
        self.export_action.setToolTip(self.tr("Save the table as an Excel workbook or CSV file"))
        self.print_action = self._action(
            self.tr("&Print to PDF…"),
            QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_P),
        )
        self.print_action.setToolTip(self.tr("Save the table as a PDF document to print"))
        self.history_action = self._action(
            self.tr("&History…"), QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_H)
        )
        self.history_action.setToolTip(
            self.tr("Who created and changed this record, and each field's old and new value")
        )
        self.history_action.setEnabled(False)
        self._history_opener: HistoryOpener | None = None
        self._taken_hook: TakenHook | None = None
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.copy_action.triggered.connect(self.copy)
        self.export_action.triggered.connect(self.export)
        self.print_action.triggered.connect(self.print_to_pdf)
        self.history_action.triggered.connect(self.show_history)

        self._update_accessible_name()

    def _action(self, text: str, shortcut: QKeySequence) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        # Each table answers only while it has focus, so two tables in a window never clash.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    # -- what the table is -------------------------------------------------------------------

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        """The title used on exports and prints, and in the default accessible name."""
        self._title = title
        self._update_accessible_name()

    def set_subtitle(self, subtitle: str) -> None:
        """A line under the title on prints (the edition, the date the figures are as at)."""
        self._subtitle = subtitle

    def marking(self) -> str:
        return self._marking

    def set_marking(self, text: str) -> None:
        """The protective marking every export carries, e.g. OFFICIAL-SENSITIVE: COMMERCIAL."""
        self._marking = text

    def set_today(self, today: Callable[[], date]) -> None:
        """Where the printed-on date comes from (tests pass a fixed day)."""
        self._today = today

    def _update_accessible_name(self) -> None:
        # Keep a name someone set on purpose; replace only the default we set ourselves.
        if self.accessibleName() not in ("", self._default_accessible_name):
            return
        if self._title:
            name = self.tr("Table: {title}").format(title=self._title)
        else:
            name = self.tr("Table")
        self._default_accessible_name = name
        self.setAccessibleName(name)

    # -- fitting the columns -----------------------------------------------------------------

    def cell_measure(self) -> CellMeasure:
        """The font and cell padding, for a worker to work out `fit_columns`' widths."""
        self.ensurePolished()  # the font and style it will be painted with
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self)
        # As QStyledItemDelegate and QTableView::sizeHintForColumn add them: the text margin
        # on each side, and the grid line.
        return CellMeasure(QFont(self.font()), (margin + 1) * 2 + (1 if self.showGrid() else 0))

    def fit_columns(self, widths: Sequence[int]) -> None:
        """Each column as wide as `widths` says (or as its header, if wider): what
        `resizeColumnsToContents` does, without asking the model for every cell here."""
        header = self.horizontalHeader()
        for column, width in enumerate(widths[: header.count()]):
            header.resizeSection(column, max(width, header.sectionSizeHint(column)))

    # -- a record's history ------------------------------------------------------------------

    def set_history_opener(self, opener: HistoryOpener | None) -> None:
        """Who shows a record's history; by default the window's `show_history(record_id)`."""
        self._history_opener = opener

    def current_record_id(self) -> str | None:
        """The id of the record in the current row, if its row object has one."""
        index = self.currentIndex()
        if not index.isValid():
            return None
        record_id = getattr(index.data(ROW_ROLE), "id", None)
        return None if record_id is None else str(record_id)

    def currentChanged(
        self,
        current: QModelIndex | QPersistentModelIndex,
        previous: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().currentChanged(current, previous)
        self.history_action.setEnabled(self.current_record_id() is not None)

    @Slot()
    def show_history(self) -> None:
        record_id = self.current_record_id()
        if record_id is None:
            return
        opener = self._history_opener or getattr(self.window(), "show_history", None)
        if callable(opener):
            opener(record_id)

    # -- what leaves the window -------------------------------------------------------------

    def set_taken_hook(self, hook: TakenHook | None) -> None:
        """Who is told before rows are copied, exported or printed (the owner of the table:
        the Disputes tab records access to the confidential disputes listed). If the hook
        raises, nothing leaves the window."""
        self._taken_hook = hook

    def _taken(self, action: str, rows: list[int], where: str) -> bool:
        """Tell the hook; False (and a warning) if it refused or failed."""
        if self._taken_hook is None:
            return True
        model = self.model()
        objects = [] if model is None else [model.index(row, 0).data(ROW_ROLE) for row in rows]
        try:
            self._taken_hook(action, [row for row in objects if row is not None], where)
        except Exception as error:  # any failure stops the rows leaving the window
            self._warn(self.tr("The table was not taken"), str(error))
            return False
        return True

    # -- reading what is shown ---------------------------------------------------------------

    def _visible_columns(self) -> list[int]:
        header = self.horizontalHeader()
        logical = (header.logicalIndex(visual) for visual in range(header.count()))
        return [column for column in logical if not self.isColumnHidden(column)]

    def _cell(self, index: QModelIndex) -> object:
        raw = index.data(RAW_ROLE)
        if raw is None:
            raw = index.data(Qt.ItemDataRole.DisplayRole)
        return _python_value(raw)

    def _shown(
        self, selection_only: bool
    ) -> tuple[list[int], list[int], set[tuple[int, int]] | None]:
        """(rows, columns, selected cells or None) of what would be taken."""
        model = self.model()
        if model is None:
            return [], [], None
        columns = self._visible_columns()
        rows = [row for row in range(model.rowCount()) if not self.isRowHidden(row)]
        selected: set[tuple[int, int]] | None = None
        if selection_only:
            selected = {(i.row(), i.column()) for i in self.selectionModel().selectedIndexes()}
            rows = [row for row in rows if any((row, c) in selected for c in columns)]
            columns = [c for c in columns if any((row, c) in selected for row in rows)]
        return rows, columns, selected

    def current_table(self, selection_only: bool = False) -> Table:
        """The table as shown: visible columns in view order, rows in sorted/filtered order."""
        from app.services.table_export import Table

        model = self.model()
        if model is None:
            return Table(self._title, [], [], self._subtitle, self._marking)
        rows, columns, selected = self._shown(selection_only)

        headers = [
            str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
            for c in columns
        ]
        body: list[list[object]] = [
            [
                self._cell(model.index(row, c))
                if selected is None or (row, c) in selected
                else None
                for c in columns
            ]
            for row in rows
        ]
        return Table(self._title, headers, body, self._subtitle, self._marking)

    # -- actions ---------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QAbstractItemView copies only the current cell on Ctrl+C; copy what the user chose.
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
            event.accept()
            return
        super().keyPressEvent(event)

    @Slot()
    def copy(self) -> None:
        """The selected cells, or the whole table when nothing is selected, as TSV text."""
        has_selection = self.selectionModel() is not None and self.selectionModel().hasSelection()
        if not self._taken(COPY, self._shown(has_selection)[0], CLIPBOARD):
            return
        from app.services.table_export import to_tsv

        table = self.current_table(selection_only=has_selection)
        QGuiApplication.clipboard().setText(to_tsv(table.headers, table.rows))

    @Slot()
    def export(self) -> None:
        path = self._ask_save_path(
            self.tr("Export table"),
            [self.tr("Excel workbook (*.xlsx)"), self.tr("CSV file (*.csv)")],
        )
        if path:
            self._write(path, EXPORT)

    @Slot()
    def print_to_pdf(self) -> None:
        path = self._ask_save_path(self.tr("Print table to PDF"), [self.tr("PDF document (*.pdf)")])
        if path:
            self._write(path, PRINT)

    def _write(self, path: str, action: str = EXPORT) -> None:
        if not self._taken(action, self._shown(False)[0], path):
            return
        from app.services.table_export import export_table

        table = self.current_table()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            export_table(table, path, self._today())
        except OSError as error:
            reason = error.strerror or str(error)
            self._warn(
                self.tr("Could not save the table"),
                self.tr("{file} could not be saved: {reason}.").format(
                    file=Path(path).name, reason=reason
                ),
            )
        except InputRejected as error:
            self._warn(self.tr("Could not save the table"), str(error))
        finally:
            QApplication.restoreOverrideCursor()

    # -- dialogs, kept small so tests can replace them -------------------------------------

    def _suggested_file_name(self) -> str:
        name = _UNSAFE_IN_FILE_NAMES.sub(" ", self._title).strip(" .")
        return name or self.tr("Table")

    def _ask_save_path(self, caption: str, filters: list[str]) -> str:
        """The file the user chose (its suffix taken from the chosen filter if they gave none),
        or "" if they cancelled."""
        path, chosen = QFileDialog.getSaveFileName(
            self, caption, self._suggested_file_name(), ";;".join(filters), filters[0]
        )
        if not path:
            return ""
        if not Path(path).suffix:
            match = re.search(r"\*(\.\w+)", chosen or filters[0])
            if match:
                path += match.group(1)
        return path

    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)
