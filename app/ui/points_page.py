"""The Contracts tab's list of points of delivery: add, rename, retire and restore, undoably."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services import points_of_delivery
from app.services.points_of_delivery import PointOfDelivery
from app.ui.context import UiContext
from app.ui.dialog_parts import AppliedChange, ok_cancel
from app.ui.errors import show_error
from app.ui.record_model import Column, RecordTableModel, fitted_widths
from app.ui.table_view import DataTableView
from app.ui.tasks import BackgroundFill

POINT_COLUMNS = [
    Column("code", "Code"),
    Column("name", "Name"),
    Column("status", "Status"),
]


class PointDialog(QDialog):
    """A point's code and name (the code fixed when renaming)."""

    def __init__(self, parent: QWidget, point: PointOfDelivery | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            self.tr("Add a point of delivery") if point is None else self.tr("Rename a point")
        )
        self.code_edit = QLineEdit(point.code if point else "")
        self.code_edit.setAccessibleName(self.tr("Code"))
        self.code_edit.setPlaceholderText("EL")
        self.code_edit.setReadOnly(point is not None)
        self.name_edit = QLineEdit(point.name if point else "")
        self.name_edit.setAccessibleName(self.tr("Name"))
        self.name_edit.setPlaceholderText(self.tr("Elective inpatient"))
        form = QFormLayout(self)
        form.addRow(self.tr("&Code:"), self.code_edit)
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(ok_cancel(self))


class PointsPage(QWidget):
    """The points of delivery that returns and contract lines name. A retired point stays on
    the records that carry it; returns naming it are refused until it is restored."""

    def __init__(
        self,
        context: UiContext,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        load: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context, self.undo_stack = context, undo_stack
        self.model = RecordTableModel(POINT_COLUMNS, self)
        self.table = DataTableView.titled(self.model, self.tr("Points of delivery"), context.today)
        self.add_button = QPushButton(self.tr("&Add point…"))
        self.rename_button = QPushButton(self.tr("Re&name…"))
        self.retire_button = QPushButton(self.tr("R&etire"))
        self.restore_button = QPushButton(self.tr("Re&store"))
        note = QLabel(
            self.tr(
                "Returns and contract lines name one of these points. A retired point stays on "
                "the records that carry it; returns naming it are refused until it is restored."
            )
        )
        note.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(note, 1)
        for button in (
            self.add_button,
            self.rename_button,
            self.retire_button,
            self.restore_button,
        ):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.table.selectionModel().currentChanged.connect(self._chosen)
        self._chosen()
        self.add_button.clicked.connect(self.ask_add)
        self.rename_button.clicked.connect(self.ask_rename)
        self.retire_button.clicked.connect(lambda: self.set_retired(True))
        self.restore_button.clicked.connect(lambda: self.set_retired(False))
        if load:  # else the tab loads it when first wanted
            self.load()

    @Slot()
    def load(self) -> None:
        self.reload()

    @Slot()
    def reload(self) -> None:
        """Read the list again, keeping the point selected selected."""
        chosen = self.selected()
        self.model.set_rows(points_of_delivery.list_points(self.context.database))
        self.table.resizeColumnsToContents()
        if chosen is not None:
            for row in range(self.model.rowCount()):
                if self.model.row_at(row).code == chosen.code:
                    self.table.setCurrentIndex(self.model.index(row, 0))
        self._chosen()

    def background_fill(self) -> BackgroundFill:
        """Fill the page from rows read, and columns fitted, on the worker."""
        database, measure = self.context.database, self.table.cell_measure()

        def read() -> tuple[list[PointOfDelivery], list[int]]:
            points = points_of_delivery.list_points(database)
            return points, fitted_widths(measure, POINT_COLUMNS, points)

        return read, self._filled

    @Slot(object)
    def _filled(self, fill: tuple[list[PointOfDelivery], list[int]]) -> None:
        points, widths = fill
        self.model.set_rows(points)
        self.table.fit_columns(widths)
        self._chosen()

    @Slot()
    def _chosen(self) -> None:
        """Rename, Retire and Restore offered as the point chosen allows."""
        point = self.selected()
        self.rename_button.setEnabled(point is not None)
        self.retire_button.setEnabled(point is not None and not point.retired)
        self.restore_button.setEnabled(point is not None and point.retired)

    def selected(self) -> PointOfDelivery | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    @Slot()
    def ask_add(self) -> None:
        dialog = PointDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add(dialog.code_edit.text(), dialog.name_edit.text())

    @Slot()
    def ask_rename(self) -> None:
        point = self.selected()
        if point is None:
            return
        dialog = PointDialog(self, point)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.rename(point.code, dialog.name_edit.text())

    def add(self, code: str, name: str) -> bool:
        database = self.context.database
        return self._change(
            lambda: points_of_delivery.add_point(database, code, name),
            self.tr("Add the point of delivery {0}"),
            lambda added: points_of_delivery.add_point(database, added, name),
            lambda added: points_of_delivery.remove_point(database, added),
        )

    def rename(self, code: str, name: str) -> bool:
        database = self.context.database
        return self._change(
            lambda: points_of_delivery.rename_point(database, code, name),
            self.tr("Rename the point of delivery {0}").format(code),
            lambda _before: points_of_delivery.rename_point(database, code, name),
            lambda before: points_of_delivery.rename_point(database, code, before),
        )

    @Slot()
    def set_retired(self, retired: bool) -> bool:
        point = self.selected()
        if point is None or point.retired == retired:
            return False
        database, code = self.context.database, point.code
        return self._change(
            lambda: points_of_delivery.set_retired(database, code, retired),
            (
                self.tr("Retire the point of delivery {0}")
                if retired
                else self.tr("Restore the point of delivery {0}")
            ).format(code),
            lambda _before: points_of_delivery.set_retired(database, code, retired),
            lambda _before: points_of_delivery.set_retired(database, code, not retired),
        )

    def _change(
        self,
        make: Callable[[], Any],
        text: str,
        redo: Callable[[Any], Any],
        undo: Callable[[Any], Any],
    ) -> bool:
        """Make a change through its service (a refusal is shown, and nothing is pushed),
        then push it for undoing: `redo` and `undo` are given what `make` gave back, and
        `text` gets it for a {0} it holds."""
        try:
            made = make()
        except Exception as error:
            show_error(error, self.context.log_file, self.tr("Points of delivery"))
            return False
        self.undo_stack.push(
            AppliedChange(
                text.replace("{0}", str(made)), lambda: redo(made), lambda: undo(made), self.reload
            )
        )
        self.reload()
        return True
