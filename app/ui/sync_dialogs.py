"""Sync in the window: the Sync button's work on a worker, the status bar's line, conflicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import CommissioningError
from app.formatting import format_date
from app.store.peek import SyncLine
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.record_model import Column, Kind, RecordTableModel
from app.ui.table_view import DataTableView
from app.ui.tasks import Task, start_task

# The sync service (SQLAlchemy and the models) is imported when first used: the window is
# made, and painted, before the database is open.
if TYPE_CHECKING:
    from app.services import sync

CONFLICT_COLUMNS = [
    Column("number", "No.", Kind.NUMBER),
    Column("record", "Record"),
    Column("field", "Field"),
    Column("mine_text", "Mine (kept here)"),
    Column("theirs_text", "Theirs"),
    Column("their_user", "Theirs by"),
    Column("their_at", "Theirs on", Kind.DATE),
    Column("my_user", "Mine by"),
]


def status_text(status: sync.SyncStatus | SyncLine) -> str:
    """The status bar's words: when the last sync was, what waits, what needs a choice."""
    if status.last_sync is None:
        last = "Never synced"
    else:
        moment = status.last_sync
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone()
        last = f"Last sync {format_date(local)} {local:%H:%M}"
    text = f"{last} · {status.waiting} change{'s' if status.waiting != 1 else ''} waiting"
    if status.open_conflicts:
        text += f" · {status.open_conflicts} conflict{'s' if status.open_conflicts != 1 else ''}"
    return text


class SyncProgress(QObject):
    changed = Signal(int, str)


@dataclass(frozen=True)
class SyncOutcome:
    report: sync.SyncReport


class SyncController(QObject):
    """Runs a sync with the team's server on a worker and says how it went."""

    finished = Signal(object)
    failed = Signal(object)
    status_changed = Signal(str)

    def __init__(self, context: UiContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.context = context
        self.window = parent
        self._task: Task | None = None
        self.progress = SyncProgress(self)

    @property
    def available(self) -> bool:
        """Only a laptop's own database syncs; a server database is the shared copy itself."""
        return self.context.file is not None

    def status(self) -> sync.SyncStatus:
        from app.services import sync

        with self.context.database.reader() as session:
            return sync.sync_status(session)

    def refresh_status(self) -> None:
        if self.available:
            self.status_changed.emit(status_text(self.status()))

    def server_address(self, ask: bool = True) -> str:
        address = self.status().server
        if address or not ask:
            return address
        address, accepted = QInputDialog.getText(
            self.window,
            self.tr("Team server"),
            self.tr("The team's server (such as postgresql://server/commissioning):"),
        )
        return address.strip() if accepted else ""

    def start(self, address: str) -> bool:
        """Sync with `address` on a worker; False when one is already running."""
        if self._task is not None or not address:
            return False
        database, user = self.context.database, self.context.database.user
        progress = self.progress

        def work() -> sync.SyncReport:
            from app.services import sync
            from app.store.database import open_database

            server = open_database(address, user=user, seed=False)
            try:
                return sync.sync_with_server(
                    database, server, lambda p, m: progress.changed.emit(p, m)
                )
            finally:
                server.close()

        self._task = start_task(work, self._done, self._failed, owner=self.window)
        return True

    @Slot(object)
    def _done(self, report: sync.SyncReport) -> None:
        self._task = None
        self.refresh_status()
        self.tell_settled(report.renamed, report.refused)
        self.finished.emit(report)

    def tell_settled(self, renamed: Sequence[str], refused: Sequence[str]) -> None:
        """What a sync or an imported bundle settled on its own: references renamed and
        changes to profiles refused, each named (nothing is said when there are none)."""
        if renamed:
            self.tell_renamed(renamed)
        if refused:
            QMessageBox.warning(
                self.window,
                self.tr("Changes to profiles refused"),
                self.tr(
                    "Only an administrator may change who may do what. These changes were "
                    "not taken, and are listed under Sync → Conflicts:"
                )
                + "\n\n"
                + "\n".join(refused),
            )

    def tell_renamed(self, renamed: Sequence[str]) -> None:
        """References two copies made alike: which record was renamed, and to what."""
        QMessageBox.information(
            self.window,
            self.tr("References renamed by sync"),
            self.tr(
                "The same reference had been given to two records on different copies. "
                "The record created first keeps it; the later one now carries the site code "
                "of the copy that made it, on every copy:"
            )
            + "\n\n"
            + "\n".join(renamed),
        )

    @Slot(object)
    def _failed(self, error: Exception) -> None:
        self._task = None
        self.refresh_status()
        self.failed.emit(error)


class ConflictsDialog(QDialog):
    """Each conflict: the record, the field, both values, who and when; and the choice."""

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Sync conflicts"))
        self.setAccessibleName(self.tr("Sync conflicts"))
        self.intro = QLabel(
            self.tr(
                "The same field was changed here and on another copy since the last sync. "
                "This copy keeps its value until you choose; nothing is settled for you."
            )
        )
        self.intro.setWordWrap(True)
        self.intro.setAccessibleName(self.tr("About conflicts"))
        self.model = RecordTableModel(CONFLICT_COLUMNS, self)
        self.table = DataTableView()
        self.table.setModel(self.model)
        self.table.set_title(self.tr("Sync conflicts"))
        self.table.setAccessibleName(self.tr("Conflicts"))
        self.keep_mine = QPushButton(self.tr("Keep &mine"))
        self.keep_theirs = QPushButton(self.tr("Keep &theirs"))
        self.merge = QPushButton(self.tr("&Edit a merged value…"))
        for button, name in (
            (self.keep_mine, self.tr("Keep my value")),
            (self.keep_theirs, self.tr("Keep their value")),
            (self.merge, self.tr("Edit a merged value")),
        ):
            button.setAccessibleName(name)
        self.keep_mine.clicked.connect(lambda: self.resolve("mine"))
        self.keep_theirs.clicked.connect(lambda: self.resolve("theirs"))
        self.merge.clicked.connect(self.resolve_merged)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setAccessibleName(self.tr("Dialog buttons"))
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in (self.keep_mine, self.keep_theirs, self.merge):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(980, 420)
        self.reload()

    def reload(self) -> None:
        from app.services import sync

        with self.context.database.reader() as session:
            self.model.set_rows(sync.conflicts(session))
        self.table.resizeColumnsToContents()
        if self.model.rowCount():
            self.table.selectRow(0)
        for button in (self.keep_mine, self.keep_theirs, self.merge):
            button.setEnabled(self.model.rowCount() > 0)

    def selected(self) -> sync.ConflictRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(index.row())

    def resolve(self, choice: str, merged: Any = None) -> None:
        conflict = self.selected()
        if conflict is None:
            return
        from app.services import sync

        try:
            with self.context.database.session() as session:
                sync.resolve_conflict(session, str(conflict.number), choice, merged)
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("Sync conflicts"))
            return
        self.reload()

    @Slot()
    def resolve_merged(self) -> None:
        conflict = self.selected()
        if conflict is None:
            return
        start = conflict.mine if isinstance(conflict.mine, str) else json.dumps(conflict.mine)
        text, accepted = QInputDialog.getMultiLineText(
            self,
            self.tr("Merged value"),
            self.tr("{0} of {1}: mine is “{2}”, theirs is “{3}”.").format(
                conflict.field, conflict.record, conflict.mine_text, conflict.theirs_text
            ),
            start,
        )
        if accepted:
            self.resolve("merged", _typed(text, conflict.mine))


def _typed(text: str, like: Any) -> Any:
    """The merged value as the field's kind of value (text stays text)."""
    if isinstance(like, str) or like is None:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def default_bundle_name(folder: Path) -> Path:
    return folder / f"changes-{datetime.now():%Y-%m-%d-%H%M}.bundle"
