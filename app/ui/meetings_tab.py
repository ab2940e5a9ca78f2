"""The Meetings tab: meetings, agenda, attendance, declarations, decisions, actions and packs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QAbstractProxyModel, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models import Body
from app.services import meetings
from app.services.meetings import MeetingDetail
from app.services.reports import WrittenReport, write_meeting_packs
from app.ui.assessment_dialog import AssessmentDialog
from app.ui.context import UiContext
from app.ui.dialog_parts import AppliedChange
from app.ui.errors import show_error
from app.ui.filter_proxy import RecordFilterProxy
from app.ui.meeting_dialogs import (
    ActionDialog,
    AgendaItemDialog,
    BodyRulesDialog,
    DecisionDialog,
    DeclarationDialog,
    MeetingDialog,
    PackReadyDialog,
    describe,
)
from app.ui.narrative import run_guarded
from app.ui.record_model import Column, Index, Kind, RecordTableModel
from app.ui.table_view import DataTableView
from app.ui.tasks import Task, start_task
from app.ui.theme import warning_brush

MEETING_COLUMNS = [
    Column("held_on", "Date", Kind.DATE),
    Column("body_short_name", "Body"),
    Column("status", "Status"),
    Column("items", "Items", Kind.NUMBER),
    Column("papers_missing", "Papers missing", Kind.NUMBER),
]
AGENDA_COLUMNS = [
    Column("reference", "Item"),
    Column("starts_at", "Time"),
    Column("title", "Title"),
    Column("presenter", "Presenter"),
    Column("purpose", "Purpose"),
    Column("minutes_allotted", "Minutes", Kind.NUMBER),
    Column("confidential_text", "Confidential"),
    Column("paper_text", "Paper"),
]
ATTENDANCE_COLUMNS = [
    Column("name", "Name"),
    Column("representing", "Representing"),
    Column("status", "Attendance"),
    Column("vote_text", "Vote"),
]
DECLARATION_COLUMNS = [
    Column("member_name", "Member"),
    Column("held_on", "Meeting", Kind.DATE),
    Column("item_reference", "Item"),
    Column("interest", "Interest"),
    Column("action_taken", "Action taken"),
]
DECISION_COLUMNS = [
    Column("reference", "Item"),
    Column("subject", "Subject"),
    Column("outcome", "Outcome"),
    Column("arithmetic", "Vote arithmetic"),
    Column("warning", "Warning"),
]
ACTION_COLUMNS = [
    Column("raised_on", "Raised", Kind.DATE),
    Column("text", "Action"),
    Column("owner", "Owner"),
    Column("due_on", "Due", Kind.DATE),
    Column("status_text", "Status"),
]


@dataclass(frozen=True)
class AgendaLine:
    """An agenda row as the table shows it."""

    id: uuid.UUID
    reference: str
    starts_at: str
    title: str
    presenter: str
    purpose: str
    minutes_allotted: int
    confidential_text: str
    paper_text: str


@dataclass(frozen=True)
class AttendanceLine:
    id: uuid.UUID | None
    seat_id: uuid.UUID | None
    name: str
    representing: str
    status: str
    vote_text: str


@dataclass(frozen=True)
class DecisionLine:
    id: uuid.UUID
    reference: str
    subject: str
    outcome: str
    arithmetic: str
    warning: str


@dataclass(frozen=True)
class ActionLine:
    id: uuid.UUID
    raised_on: Any
    text: str
    owner: str
    due_on: Any
    status_text: str
    overdue: bool


class WarningModel(RecordTableModel):
    """Rows with a warning or an overdue action in the theme's warning red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            row = self.row_at(index.row())
            if getattr(row, "warning", "") or getattr(row, "overdue", False):
                return warning_brush()
            return None
        return super().data(index, role)


def _table(columns: list[Column], name: str, title: str) -> tuple[DataTableView, RecordTableModel]:
    model = WarningModel(columns)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    model.setParent(proxy)
    view = DataTableView()
    view.setModel(proxy)
    proxy.setParent(view)
    view.setAccessibleName(name)
    view.set_title(title)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view, model


def _proxy_of(table: DataTableView) -> QAbstractProxyModel:
    """The sorting proxy every table of this tab shows its model through."""
    proxy = table.model()
    assert isinstance(proxy, QAbstractProxyModel)
    return proxy


def _button(text: str, name: str, shortcut: QKeySequence | str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    if shortcut is not None:
        button.setShortcut(QKeySequence(shortcut))
        button.setToolTip(f"{name} ({QKeySequence(shortcut).toString()})")
    return button


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


class MoveItemCommand(QUndoCommand):
    """Moving an agenda item, undone by moving it back."""

    def __init__(self, tab: MeetingsTab, item_id: uuid.UUID, steps: int) -> None:
        super().__init__(tab.tr("Move agenda item"))
        self.tab, self.item_id, self.steps = tab, item_id, steps

    def redo(self) -> None:
        self.tab.run_change(lambda s: meetings.move_agenda_item(s, self.item_id, self.steps))

    def undo(self) -> None:
        self.tab.run_change(lambda s: meetings.move_agenda_item(s, self.item_id, -self.steps))


class PackProgress(QObject):
    """Progress reported from the worker thread, delivered on the GUI thread."""

    changed = Signal(int, str)


class MeetingsTab(QWidget):
    area = "meetings"

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("meetingsTab")
        self.setAccessibleName(self.tr("Meetings"))
        self.detail: MeetingDetail | None = None
        self._rule: tuple[str, Any, int | None] | None = None
        self.quiet = False  # tests produce packs without the dialog
        self.last_pack: tuple[Any, Any] | None = None
        self.undo_stack = QUndoStack(self)
        self._task: Task | None = None
        self.progress_signals = PackProgress(self)

        self.meeting_table, self.meeting_model = _table(
            MEETING_COLUMNS, self.tr("Meetings"), self.tr("Meetings")
        )
        self.new_meeting_button = _button(
            self.tr("New &meeting…"), self.tr("Add a meeting"), "Ctrl+Shift+N"
        )
        self.meeting_details = _button(self.tr("De&tails…"), self.tr("Edit the meeting's details"))
        self.body_rules = _button(
            self.tr("Body &rules…"), self.tr("Edit the body's voting rule and numbering")
        )
        self.heading = QLabel()
        self.heading.setAccessibleName(self.tr("Meeting"))
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.pack_button = _button(
            self.tr("Meeting &pack (full and public)…"),
            self.tr("Produce the meeting pack"),
            "Ctrl+Shift+M",
        )
        self.agenda_word = _button(self.tr("Agenda as &Word…"), self.tr("Agenda as Word"))
        self.minutes_word = _button(self.tr("Minutes as W&ord…"), self.tr("Minutes as Word"))
        self.assessment = _button(
            self.tr("Annual &self-assessment…"), self.tr("Edit the annual self-assessment")
        )
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress of the meeting pack"))
        self.progress.setVisible(False)
        self.progress.setTextVisible(True)

        self.agenda_table, self.agenda_model = _table(
            AGENDA_COLUMNS, self.tr("Agenda"), self.tr("Agenda")
        )
        self.add_item = _button(self.tr("&Add item…"), self.tr("Add an agenda item"), "Ctrl+N")
        self.edit_item = _button(self.tr("&Edit item…"), self.tr("Edit the agenda item"), "F2")
        self.up_item = _button(self.tr("Move &up"), self.tr("Move the item up"), "Ctrl+Up")
        self.down_item = _button(self.tr("Move &down"), self.tr("Move the item down"), "Ctrl+Down")
        self.remove_item = _button(self.tr("&Remove"), self.tr("Remove the agenda item"))

        self.attendance_table, self.attendance_model = _table(
            ATTENDANCE_COLUMNS, self.tr("Attendance"), self.tr("Attendance")
        )
        self.quorum_label = QLabel()
        self.quorum_label.setAccessibleName(self.tr("Quorum"))
        self.mark_present = _button(self.tr("&Present"), self.tr("Mark present"))
        self.mark_deputy = _button(self.tr("De&puty attends"), self.tr("Mark the deputy present"))
        self.mark_apologies = _button(self.tr("&Apologies"), self.tr("Mark apologies"))
        self.mark_absent = _button(self.tr("A&bsent"), self.tr("Mark absent"))

        self.declaration_table, self.declaration_model = _table(
            DECLARATION_COLUMNS, self.tr("Declarations of interest"),
            self.tr("Declarations of interest"),
        )  # fmt: skip
        self.whole_register = QCheckBox(self.tr("Show the whole &register (every meeting)"))
        self.whole_register.setAccessibleName(self.tr("Show the whole register"))
        self.add_declaration = _button(self.tr("&Declare…"), self.tr("Add a declaration"))

        self.decision_table, self.decision_model = _table(
            DECISION_COLUMNS, self.tr("Decisions"), self.tr("Decisions")
        )
        self.rule_label = QLabel()
        self.rule_label.setAccessibleName(self.tr("Voting rule"))
        self.rule_label.setWordWrap(True)
        self.add_decision = _button(self.tr("&Record decision…"), self.tr("Record a decision"))

        self.action_table, self.action_model = _table(
            ACTION_COLUMNS, self.tr("Actions"), self.tr("Action log")
        )
        self.add_action = _button(self.tr("&New action…"), self.tr("Add an action"))
        self.done_action = _button(self.tr("Mark d&one"), self.tr("Mark the action done"))

        self.pages = QTabWidget()
        self.pages.setAccessibleName(self.tr("Parts of the meeting"))
        self.pages.addTab(
            self._page(self.agenda_table, [self.add_item, self.edit_item, self.up_item,
                                           self.down_item, self.remove_item]),
            self.tr("Agenda"),
        )  # fmt: skip
        self.pages.addTab(
            self._page(self.attendance_table, [self.mark_present, self.mark_deputy,
                                               self.mark_apologies, self.mark_absent],
                       self.quorum_label),
            self.tr("Attendance"),
        )  # fmt: skip
        self.pages.addTab(
            self._page(self.declaration_table, [self.add_declaration, self.whole_register]),
            self.tr("Declarations"),
        )
        self.pages.addTab(
            self._page(self.decision_table, [self.add_decision], self.rule_label),
            self.tr("Decisions"),
        )
        self.pages.addTab(
            self._page(self.action_table, [self.add_action, self.done_action]),
            self.tr("Actions"),
        )

        right = QWidget()
        right.setAccessibleName(self.tr("The meeting"))
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.assessment)
        top.addWidget(self.agenda_word)
        top.addWidget(self.minutes_word)
        top.addWidget(self.pack_button)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(top)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.pages, 1)
        splitter = QSplitter()
        splitter.setAccessibleName(self.tr("Meetings and the chosen meeting"))
        left = QWidget()
        left.setAccessibleName(self.tr("Meetings list"))
        left_buttons = QHBoxLayout()
        left_buttons.addWidget(self.new_meeting_button)
        left_buttons.addWidget(self.meeting_details)
        left_buttons.addWidget(self.body_rules)
        left_buttons.addStretch(1)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(left_buttons)
        left_layout.addWidget(self.meeting_table, 1)
        splitter.addWidget(left)
        splitter.addWidget(right)
        # The panes may be narrower than their buttons want, so the window can still be made
        # small (its other tabs need little room).
        for pane in (left, right):
            pane.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 980])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        undo = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        redo = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        redo.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        for action in (undo, redo):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._connect()
        self.reload()

    def _page(self, table: DataTableView, controls: list[QWidget], note: QWidget | None = None
              ) -> QWidget:  # fmt: skip
        page = QWidget()
        page.setAccessibleName(table.accessibleName())
        row = QHBoxLayout()
        for control in controls:
            row.addWidget(control)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        if note is not None:
            layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(table, 1)
        return page

    def _connect(self) -> None:
        self.meeting_table.selectionModel().currentRowChanged.connect(self._meeting_chosen)
        self.add_item.clicked.connect(self.new_item)
        self.body_rules.clicked.connect(self.edit_body_rules)
        self.edit_item.clicked.connect(self.edit_selected_item)
        self.agenda_table.doubleClicked.connect(self.edit_selected_item)
        self.up_item.clicked.connect(lambda: self.move_selected_item(-1))
        self.down_item.clicked.connect(lambda: self.move_selected_item(1))
        self.remove_item.clicked.connect(self.remove_selected_item)
        self.mark_present.clicked.connect(lambda: self.mark_attendance("present", False))
        self.mark_deputy.clicked.connect(lambda: self.mark_attendance("present", True))
        self.mark_apologies.clicked.connect(lambda: self.mark_attendance("apologies", False))
        self.mark_absent.clicked.connect(lambda: self.mark_attendance("absent", False))
        self.add_declaration.clicked.connect(self.new_declaration)
        self.whole_register.toggled.connect(self._show_declarations)
        self.add_decision.clicked.connect(self.new_decision)
        self.add_action.clicked.connect(self.new_action)
        self.done_action.clicked.connect(self.mark_action_done)
        self.pack_button.clicked.connect(self.produce_pack)
        self.agenda_word.clicked.connect(lambda: self.write_word(minutes=False))
        self.minutes_word.clicked.connect(lambda: self.write_word(minutes=True))
        self.progress_signals.changed.connect(self._progress)
        self.assessment.clicked.connect(self.edit_assessment)
        self.new_meeting_button.clicked.connect(self.new_meeting)
        self.meeting_details.clicked.connect(self.edit_meeting)

    # Loading -----------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        current = self.detail.id if self.detail else None
        with self.context.database.reader() as session:
            rows = meetings.list_meetings(session)
        self.meeting_model.set_rows(rows)
        self.meeting_table.resizeColumnsToContents()
        target = current
        if target is None and rows:
            # The next meeting to come, else the latest held.
            upcoming = [r for r in rows if r.held_on >= self.context.today()]
            target = (upcoming[-1] if upcoming else rows[0]).id
        if target is not None:
            self.select_meeting(target)
        else:
            self.show_meeting(None)

    def select_meeting(self, meeting_id: uuid.UUID) -> bool:
        for number, row in enumerate(self.meeting_model.rows()):
            if row.id == meeting_id:
                proxy = _proxy_of(self.meeting_table)
                index = proxy.mapFromSource(self.meeting_model.index(number, 0))
                self.meeting_table.setCurrentIndex(index)
                self.meeting_table.scrollTo(index)
                self.show_meeting(meeting_id)
                return True
        return False

    def show_record(self, record_type: str, record_id: uuid.UUID) -> None:
        """Open a record from the Home tab: its meeting, and the page that shows it."""
        with self.context.database.reader() as session:
            meeting_id = meetings.meeting_of(session, record_type, record_id)
        if meeting_id is None or not self.select_meeting(meeting_id):
            return
        if record_type == "action":
            self.pages.setCurrentIndex(4)
            for number, row in enumerate(self.action_model.rows()):
                if row.id == record_id:
                    proxy = _proxy_of(self.action_table)
                    self.action_table.setCurrentIndex(
                        proxy.mapFromSource(self.action_model.index(number, 0))
                    )
                    self.action_table.setFocus()
        else:
            self.pages.setCurrentIndex(0)

    @Slot()
    def _meeting_chosen(self) -> None:
        index = self.meeting_table.currentIndex()
        if index.isValid():
            row = self.meeting_model.row_at(_proxy_of(self.meeting_table).mapToSource(index).row())
            if self.detail is None or row.id != self.detail.id:
                self.show_meeting(row.id)

    def show_meeting(self, meeting_id: uuid.UUID | None) -> None:
        if meeting_id is None:
            self.detail = None
            self.heading.setText(self.tr("No meetings yet."))
            for model in (self.agenda_model, self.attendance_model, self.decision_model,
                          self.action_model, self.declaration_model):  # fmt: skip
                model.set_rows([])
            return
        with self.context.database.reader() as session:
            self.detail = meetings.meeting_detail(session, meeting_id, self.context.today())
            body = session.get(Body, self.detail.body_id)
            self._rule = (body.voting_rule, body.threshold, body.rule_of) if body else None
        detail = self.detail
        self.heading.setText(describe(detail))
        self.agenda_model.set_rows(
            [
                AgendaLine(i.id, i.reference, i.starts_at, i.title, i.presenter, i.purpose,
                           i.minutes_allotted, self.tr("Confidential") if i.confidential else "",
                           meetings.PAPER_REPORTS.get(i.paper_report, i.paper_report)
                           or Path(i.paper).name
                           or (self.tr("missing") if i.needs_paper else ""))
                for i in detail.agenda
            ]
        )  # fmt: skip
        self.attendance_model.set_rows(
            [
                AttendanceLine(a.id, a.seat_id, a.name + (self.tr(" (deputy)") if a.as_deputy
                               else ""), a.representing, a.status,
                               f"{a.weight * 100:.2f}%" if a.voting and a.weight
                               else (self.tr("Yes") if a.voting else ""))
                for a in detail.attendance
            ]
        )  # fmt: skip
        self.quorum_label.setText(self.tr("Quorum: {0}").format(detail.quorum.text))
        self.rule_label.setText(
            self.tr("Binding decisions: {0}. Financial commitments need {1} days' notice.")
            .format(detail.rule_text, detail.notice_days)
        )  # fmt: skip
        self.decision_model.set_rows(
            [
                DecisionLine(d.id, d.reference, d.subject,
                             (self.tr("Carried") if d.carried else self.tr("Not carried"))
                             if d.carried is not None
                             else (self.tr("Binding") if d.binding else self.tr("Agreed")),
                             d.arithmetic, d.warning)
                for d in detail.decisions
            ]
        )  # fmt: skip
        self.action_model.set_rows(
            [
                ActionLine(a.id, a.raised_on, a.text, a.owner, a.due_on,
                           (self.tr("Overdue") if a.overdue else a.status)
                           + (self.tr(" (carried forward)") if a.carried_forward else ""),
                           a.overdue)
                for a in detail.actions
            ]
        )  # fmt: skip
        self._show_declarations()
        for table in (self.agenda_table, self.attendance_table, self.decision_table,
                      self.action_table):  # fmt: skip
            table.resizeColumnsToContents()
            table.setColumnWidth(2, min(table.columnWidth(2), 420))

    @Slot()
    def _show_declarations(self) -> None:
        if self.detail is None:
            return
        if self.whole_register.isChecked():
            with self.context.database.reader() as session:
                rows = meetings.declaration_rows(session)
        else:
            rows = self.detail.declarations
        self.declaration_model.set_rows(rows)
        self.declaration_table.resizeColumnsToContents()

    # Changes -----------------------------------------------------------------------------

    def run_change(self, change: Callable[[Any], object]) -> object:
        """One change as one unit of work; errors shown, the meeting shown again after."""
        # A number in minutes, a decision or an interest can be confirmed as no NHS number.
        done, result = run_guarded(self, self.context, change, self.tr("Meetings"))
        if not done:
            return None
        if self.detail is not None:
            meeting_id = self.detail.id
            with self.context.database.reader() as session:
                rows = meetings.list_meetings(session)
            self.meeting_model.set_rows(rows)
            self.select_meeting(meeting_id)
        return result

    def _selected(self, table: DataTableView, model: RecordTableModel) -> Any:
        index = table.currentIndex()
        if not index.isValid():
            return None
        return model.row_at(_proxy_of(table).mapToSource(index).row())

    def _select_row(self, table: DataTableView, model: RecordTableModel, row_id: object) -> None:
        for number, row in enumerate(model.rows()):
            if row.id == row_id:
                table.setCurrentIndex(_proxy_of(table).mapFromSource(model.index(number, 0)))

    def body_rules_dialog(self) -> BodyRulesDialog | None:
        """The rules of the chosen meeting's body (or of the first body when none is chosen)."""
        with self.context.database.reader() as session:
            body_id = self.detail.body_id if self.detail is not None else None
            if body_id is None:
                choices = meetings.body_choices(session)
                if not choices:
                    return None
                body_id = choices[0][0]
            settings = meetings.body_settings(session, body_id)
        return BodyRulesDialog(settings, meetings.rule_presets(), self)

    @Slot()
    def edit_body_rules(self) -> None:
        dialog = self.body_rules_dialog()
        if dialog is not None and dialog.exec():
            self.save_body_rules(dialog)

    def save_body_rules(self, dialog: BodyRulesDialog) -> None:
        """Apply the dialog's values as one undoable change (nothing changes if refused)."""
        body_id, after = dialog.settings.id, dialog.values()
        before = self.run_change(lambda s: meetings.update_body(s, body_id, **after))
        if isinstance(before, meetings.BodySettings):
            old = {name: getattr(before, name) for name in meetings.BODY_FIELDS}
            self.undo_stack.push(
                AppliedChange(
                    self.tr("Change the rules of {0}").format(after["name"]),
                    lambda: self.run_change(lambda s: meetings.update_body(s, body_id, **after)),
                    lambda: self.run_change(lambda s: meetings.update_body(s, body_id, **old)),
                    lambda: None,
                )
            )

    @Slot()
    def new_item(self) -> None:
        if self.detail is None:
            return
        dialog = AgendaItemDialog(None, self)
        if dialog.exec():
            values = dialog.values()
            meeting_id = self.detail.id
            self.run_change(lambda s: meetings.add_agenda_item(s, meeting_id, **values))

    @Slot()
    def edit_selected_item(self) -> None:
        line = self._selected(self.agenda_table, self.agenda_model)
        if line is None or self.detail is None:
            return
        item = next(i for i in self.detail.agenda if i.id == line.id)
        dialog = AgendaItemDialog(item, self)
        if dialog.exec():
            values = dialog.values()
            self.run_change(lambda s: meetings.update_agenda_item(s, item.id, **values))

    def move_selected_item(self, steps: int) -> None:
        line = self._selected(self.agenda_table, self.agenda_model)
        if line is None:
            return
        self.undo_stack.push(MoveItemCommand(self, line.id, steps))
        self._select_row(self.agenda_table, self.agenda_model, line.id)

    @Slot()
    def remove_selected_item(self) -> None:
        line = self._selected(self.agenda_table, self.agenda_model)
        if line is not None:
            self.run_change(lambda s: meetings.remove_agenda_item(s, line.id))

    def mark_attendance(self, status: str, as_deputy: bool) -> None:
        line = self._selected(self.attendance_table, self.attendance_model)
        if line is None or self.detail is None:
            return
        meeting_id = self.detail.id
        self.run_change(
            lambda s: meetings.record_attendance(
                s, meeting_id, line.seat_id, status, as_deputy, name=line.name
            )
        )
        self._select_row(self.attendance_table, self.attendance_model, line.id)

    @Slot()
    def new_declaration(self) -> None:
        if self.detail is None:
            return
        dialog = DeclarationDialog(self.detail, self)
        if dialog.exec():
            values = dialog.values()
            meeting_id = self.detail.id
            self.run_change(lambda s: meetings.add_declaration(s, meeting_id, **values))

    @Slot()
    def new_decision(self) -> None:
        if self.detail is None or self._rule is None:
            return
        dialog = DecisionDialog(self.detail, self._rule, self)
        if dialog.exec():
            values = dialog.values()
            meeting_id = self.detail.id
            self.run_change(lambda s: meetings.record_decision(s, meeting_id, **values))

    @Slot()
    def new_action(self) -> None:
        if self.detail is None:
            return
        dialog = ActionDialog(self.detail.held_on + timedelta(days=28), self)
        if dialog.exec():
            values = dialog.values()
            meeting_id = self.detail.id
            self.run_change(lambda s: meetings.add_action(s, meeting_id, **values))

    @Slot()
    def mark_action_done(self) -> None:
        line = self._selected(self.action_table, self.action_model)
        if line is not None:
            today = self.context.today()
            self.run_change(lambda s: meetings.set_action_status(s, line.id, "done", today))

    @Slot()
    def new_meeting(self) -> None:
        with self.context.database.reader() as session:
            bodies = meetings.body_choices(session)
        dialog = MeetingDialog(bodies, None, self.context.today(), self)
        if not dialog.exec():
            return
        values = dialog.values()
        body_id = dialog.body.currentData()

        def create(session: Any) -> uuid.UUID:
            meeting_id = meetings.create_meeting(
                session, body_id, values["held_on"], values["starts_at"], values["venue"]
            )
            meetings.update_meeting(session, meeting_id, chair=values["chair"])
            return meeting_id

        created = self.run_change(create)
        if isinstance(created, uuid.UUID):
            self.detail = None
            with self.context.database.reader() as session:
                self.meeting_model.set_rows(meetings.list_meetings(session))
            self.select_meeting(created)

    @Slot()
    def edit_meeting(self) -> None:
        if self.detail is None:
            return
        with self.context.database.reader() as session:
            bodies = meetings.body_choices(session)
        dialog = MeetingDialog(bodies, self.detail, self.context.today(), self)
        if dialog.exec():
            values = dialog.values()
            meeting_id = self.detail.id
            self.run_change(lambda s: meetings.update_meeting(s, meeting_id, **values))

    @Slot()
    def edit_assessment(self) -> None:
        AssessmentDialog(self.context, self).exec()

    # Papers ------------------------------------------------------------------------------

    def pack_paths(self, folder: Path) -> tuple[Path, Path]:
        assert self.detail is not None
        stem = f"{_file_part(self.detail.body_short_name)}_{self.detail.held_on.isoformat()}"
        return folder / f"{stem}_pack_full.pdf", folder / f"{stem}_pack_public.pdf"

    @Slot()
    def produce_pack(self, folder: Path | None = None) -> None:
        """Write the full and the public pack in a worker, with progress, then offer previews."""
        if self.detail is None or self._task is not None:
            return
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, self.tr("Folder for the meeting pack"), str(Path.home())
            )
            if not chosen:
                return
            folder = Path(chosen)
        full, public = self.pack_paths(folder)
        meeting, database, today = str(self.detail.id), self.context.database, self.context.today()
        signals = self.progress_signals

        def work() -> object:
            return write_meeting_packs(
                database, meeting, full, public, today,
                lambda percent, message: signals.changed.emit(percent, message),
            )  # fmt: skip

        self.pack_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._task = start_task(work, self._pack_written, self._pack_failed)

    @Slot(int, str)
    def _progress(self, percent: int, message: str) -> None:
        self.progress.setValue(percent)
        self.progress.setFormat(f"{message} – %p%")

    def _finish_task(self) -> None:
        self._task = None
        self.pack_button.setEnabled(True)
        self.progress.setVisible(False)

    def _pack_written(self, result: object) -> None:
        self._finish_task()
        full, public = cast(tuple[WrittenReport, WrittenReport], result)
        self.last_pack = (full, public)
        self.pack_ready.emit(full.path, public.path)
        if not self.quiet:
            PackReadyDialog(
                full.path, full.pages, public.path, public.pages, self.context.log_file, self
            ).exec()

    def _pack_failed(self, error: Exception) -> None:
        self._finish_task()
        show_error(error, self.context.log_file, self.tr("Meeting pack"))

    pack_ready = Signal(object, object)

    def write_word(self, minutes: bool) -> None:
        if self.detail is None:
            return
        kind = "minutes" if minutes else "agenda"
        name = f"{_file_part(self.detail.body_short_name)}_{self.detail.held_on}_{kind}.docx"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save as Word"), str(Path.home() / name), self.tr("Word (*.docx)")
        )
        if not path:
            return
        # python-docx is loaded when a document is saved, not at start.
        from app.services.reports.word import write_agenda_docx, write_minutes_docx

        writer = write_minutes_docx if minutes else write_agenda_docx
        try:
            writer(self.detail, path)
        except OSError as error:
            show_error(error, self.context.log_file, self.tr("Save as Word"))
            return
        self.heading.setToolTip(self.tr("Saved {0}").format(path))
