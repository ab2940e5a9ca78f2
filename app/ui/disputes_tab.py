"""The Disputes tab: the dispute log, each dispute's stages, meeting, panel and decisions.

Disputes are commercially sensitive: every table here is exported and printed with the
marking OFFICIAL-SENSITIVE: COMMERCIAL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtGui import QFont, QKeySequence, QUndoCommand
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import CommissioningError
from app.formatting import format_date, format_money
from app.models import DisputeKind, MeetingCapacity, PanelLevel, Upheld
from app.services import case_studies, disputes, log_search
from app.services.access import Area
from app.services.disputes import MARKING, DisputeSnapshot
from app.services.log_search import DISPUTE
from app.ui.context import UiContext
from app.ui.errors import show_error
from app.ui.log_tab import LogTab
from app.ui.log_widgets import (
    AskReason,
    Marker,
    NarrativeEdit,
    SearchFilterBar,
    TextEditor,
    ask_reason,
    name_buttons,
    run_guarded,
)
from app.ui.raise_dispute_dialog import RaiseDisputeDialog
from app.ui.record_model import Column, Index, Kind, RecordTableModel
from app.ui.table_view import DataTableView
from app.ui.theme import warning_brush

COLUMNS = [
    Column("reference", "Reference"),
    Column("title", "Title"),
    Column("parties", "Parties"),
    Column("value", "Value", Kind.MONEY),
    Column("raised_on", "Raised", Kind.DATE),
    Column("stage", "Stage"),
    Column("stage_target", "Stage target", Kind.DATE),
    Column("status", "Status"),
]
STAGE_COLUMNS = [
    Column("sequence", "No.", Kind.NUMBER),
    Column("stage", "Stage"),
    Column("who", "Who"),
    Column("started_on", "Started", Kind.DATE),
    Column("target_on", "Target", Kind.DATE),
    Column("ended_on", "Ended", Kind.DATE),
    Column("result", "Result"),
    Column("notes", "What was agreed or not"),
]
MEETING_COLUMNS = [
    Column("name", "Name"),
    Column("capacity", "Capacity"),
    Column("organisation", "Organisation"),
]
PANEL_COLUMNS = [
    Column("name", "Name"),
    Column("role", "Role"),
    Column("organisation", "Organisation"),
    Column("level", "Level"),
    Column("interests", "Declared interests"),
    Column("declared_on", "Declared", Kind.DATE),
]
DECISION_COLUMNS = [
    Column("sequence", "No.", Kind.NUMBER),
    Column("question", "Issue in dispute"),
    Column("upheld", "Upheld"),
    Column("decision", "Decision"),
    Column("amount", "Amount", Kind.MONEY),
    Column("decided_on", "Decided", Kind.DATE),
]
ACTION_COLUMNS = [
    Column("description", "Action"),
    Column("owner", "Owner"),
    Column("due_on", "Due", Kind.DATE),
    Column("done_on", "Done", Kind.DATE),
]
FIGURE_COLUMNS = [
    Column("year", "Financial year"),
    Column("disputes_raised", "Disputes raised", Kind.NUMBER),
    Column("needing_arbitration", "Needing arbitration", Kind.NUMBER),
    Column("decided", "Decided", Kind.NUMBER),
    Column("upheld_for_commissioners", "For commissioners", Kind.NUMBER),
    Column("upheld_for_providers", "For providers", Kind.NUMBER),
    Column("other_settlements", "Other settlements", Kind.NUMBER),
    Column("learning_written", "Learning written", Kind.NUMBER),
]


class DisputeListModel(RecordTableModel):
    """A dispute whose stage is past its target date shows in bold, in the theme's warning red."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and self.row_at(index.row()).overdue:
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole and self.columns[
                index.column()
            ].attribute in (
                "stage",
                "stage_target",
            ):
                return warning_brush()
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("This stage is past its target date")
        return super().data(index, role)


class _StageRow:
    """A stage with its result in words, for the table."""

    def __init__(self, row: disputes.StageRow) -> None:
        self.__dict__.update(row.__dict__)
        result = {True: "Agreed", False: "Not agreed", None: "In progress"}[row.agreed]
        self.result = result + (" (overdue)" if row.overdue else "")


class DisputeChange(QUndoCommand):
    """One action on a dispute (a stage ended, a decision recorded, the dispute raised...):
    undo puts the dispute and all that belongs to it back as it was, redo as it became."""

    def __init__(
        self,
        tab: DisputesTab,
        text: str,
        dispute_id: uuid.UUID,
        before: DisputeSnapshot | None,
        after: DisputeSnapshot,
    ) -> None:
        super().__init__(text)
        self.tab, self.dispute_id, self.before, self.after = tab, dispute_id, before, after
        self._done = True  # the action happened before the command was pushed

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        after = self.after
        self.tab.apply_undo(
            lambda session: disputes.restore_dispute(session, after), self.dispute_id
        )

    def undo(self) -> None:
        before, dispute_id = self.before, self.dispute_id
        if before is None:
            self.tab.apply_undo(lambda session: disputes.delete_dispute(session, dispute_id), None)
        else:
            self.tab.apply_undo(
                lambda session: disputes.restore_dispute(session, before), dispute_id
            )


def _marked_table(
    title: str, columns: list[Column], name: str
) -> tuple[DataTableView, RecordTableModel]:
    model = RecordTableModel(columns)
    table = DataTableView()
    table.setModel(model)
    table.set_title(title)
    table.set_marking(MARKING)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setStretchLastSection(True)
    model.setParent(table)
    return table, model


def _button(text: str, slot: Callable[[], Any], tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(slot)
    if tip:
        button.setToolTip(tip)
    return button


class DisputesTab(LogTab):
    """The log on the left, the selected dispute on the right in tabs."""

    area = "disputes"

    def __init__(
        self, context: UiContext, parent: QWidget | None = None, ask: AskReason = ask_reason
    ) -> None:
        super().__init__(context, ask, parent)
        self.sides: list[str] = []
        self.setAccessibleName(self.tr("Disputes"))

        self.make_filter(self.tr("Filter disputes"))
        self.open_only = QCheckBox(self.tr("&Open only"))
        self.open_only.setAccessibleName(self.tr("Show open disputes only"))
        self.make_search(
            self.tr("Search disputes, stages, decisions and documents (Ctrl+Shift+F)"),
            self.tr("Search disputes"),
        )
        self.search_filters = SearchFilterBar(
            DISPUTE,
            topics=[
                (self.tr("Any kind"), ""),
                *((self.tr(title), title) for title in DisputeKind.TITLES.values()),
            ],
            statuses=[
                (self.tr("Any status"), ""),
                (self.tr("Open"), "open"),
                (self.tr("Closed"), "closed"),
            ],
        )
        self.make_count(self.tr("Number of disputes shown"))
        self.raise_button = _button(
            self.tr("&Raise dispute…"), self.raise_dispute, self.tr("Raise a new dispute (Ctrl+N)")
        )
        marking = QLabel(f"<b>{MARKING}</b>")
        marking.setAccessibleName(self.tr("Protective marking"))
        marking.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.make_list(DisputeListModel(COLUMNS, self), self.tr("Disputes"), MARKING)

        self.detail = QTabWidget()
        self.detail.setAccessibleName(self.tr("The selected dispute"))
        self.detail.addTab(self._build_dispute_page(), self.tr("Dispute"))
        self.detail.addTab(self._build_stages_page(), self.tr("Stages"))
        self.detail.addTab(self._build_meeting_page(), self.tr("Facilitated meeting"))
        self.detail.addTab(self._build_panel_page(), self.tr("Panel"))
        self.detail.addTab(self._build_decisions_page(), self.tr("Decisions"))
        self.detail.addTab(self._build_figures_page(), self.tr("Figures"))
        splitter = self.lay_out(
            [self.open_only],
            [self.count_label, self.raise_button],
            self.search_filters,
            self.detail,
            (2, 3),
            above=marking,
        )
        splitter.setSizes([560, 840])

        self.shortcut(QKeySequence.StandardKey.Save, self.save)
        self.shortcut(QKeySequence.StandardKey.New, self.raise_dispute)
        self.add_undo_actions(self.tr("Undo"), self.tr("Redo"))
        self.connect_log(self.open_dispute)
        self.open_only.toggled.connect(self.reload)

        name_buttons(self)
        self._load_choices()
        self.reload()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    # Building ------------------------------------------------------------------------------

    def _line(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(name)
        return edit

    def _date(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        edit.setAccessibleName(name)
        inner = edit.findChild(QLineEdit)
        if inner is not None:
            inner.setAccessibleName(name)
        today = self.context.today()
        edit.setDate(QDate(today.year, today.month, today.day))
        return edit

    def _build_dispute_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setAccessibleName(self.tr("Dispute summary"))
        form.addRow(self.summary_label)
        self.title_edit = self._line(self.tr("Title"))
        self.issue_edit = NarrativeEdit(self.tr("The issue"))
        self.outcome_edit = NarrativeEdit(self.tr("Outcome"))
        self.learning_edit = NarrativeEdit(self.tr("Learning"))
        for edit in (self.issue_edit, self.outcome_edit, self.learning_edit):
            # They grow with the window; at its smallest the search's filters need the room.
            edit.setMinimumHeight(44)
        self.editors: dict[str, TextEditor] = {
            "title": self.title_edit,
            "issue": self.issue_edit,
            "outcome": self.outcome_edit,
            "learning": self.learning_edit,
        }
        for label, widget in (
            (self.tr("&Title:"), self.title_edit),
            (self.tr("The &issue:"), self.issue_edit),
            (self.tr("O&utcome:"), self.outcome_edit),
            (self.tr("&Learning:"), self.learning_edit),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        self.save_button = _button(self.tr("Sa&ve"), self.save, self.tr("Save (Ctrl+S)"))
        self.close_date = self._date(self.tr("Date closed"))
        self.close_button = _button(
            self.tr("&Close dispute"),
            self.close_dispute,
            self.tr("Closing needs the learning written up"),
        )
        self.print_button = _button(self.tr("&Print record…"), self.print_record)
        self.documents_label = QLabel()
        self.documents_label.setWordWrap(True)
        self.documents_label.setAccessibleName(self.tr("Documents of the dispute"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(_button(self.tr("Attach document…"), self.attach))
        buttons.addWidget(self.documents_label, 1)
        buttons.addWidget(self.close_date)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)
        return page

    def _build_stages_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.stages_table, self.stages_model = _marked_table(
            self.tr("Dispute stages"), STAGE_COLUMNS, self.tr("Stages of the dispute")
        )
        self.next_stage_label = QLabel()
        self.next_stage_label.setWordWrap(True)
        self.next_stage_label.setAccessibleName(self.tr("The next stage"))
        self.stage_notes = NarrativeEdit(self.tr("What was agreed or not"))
        self.stage_notes.setPlaceholderText(self.tr("What was agreed or not, and by whom"))
        self.stage_notes.setMaximumHeight(90)
        self.stage_date = self._date(self.tr("Date of the step"))
        self.editors_stage: dict[str, TextEditor] = {"notes": self.stage_notes}
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("Notes:")), 0, 0)
        grid.addWidget(self.stage_notes, 0, 1, 1, 4)
        grid.addWidget(QLabel(self.tr("On:")), 1, 0)
        grid.addWidget(self.stage_date, 1, 1)
        grid.addWidget(_button(self.tr("Ended: &agreed"), lambda: self.end_stage(True)), 1, 2)
        grid.addWidget(_button(self.tr("Ended: &not agreed"), lambda: self.end_stage(False)), 1, 3)
        grid.addWidget(_button(self.tr("&Escalate"), self.escalate), 1, 4)
        layout.addWidget(self.stages_table, 1)
        layout.addWidget(self.next_stage_label)
        layout.addLayout(grid)
        return page

    def _build_meeting_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.meeting_table, self.meeting_model = _marked_table(
            self.tr("Facilitated meeting"), MEETING_COLUMNS, self.tr("Facilitated meeting")
        )
        self.meeting_check = QLabel()
        self.meeting_check.setWordWrap(True)
        self.meeting_check.setAccessibleName(self.tr("Is the meeting constituted?"))
        self.member_name = self._line(self.tr("Name of attendee"))
        self.member_capacity = QComboBox()
        self.member_capacity.setAccessibleName(self.tr("Capacity"))
        for key, title in MeetingCapacity.TITLES.items():
            self.member_capacity.addItem(title, key)
        self.member_organisation = self._line(self.tr("Organisation of attendee"))
        row = QHBoxLayout()
        row.addWidget(self.member_name, 2)
        row.addWidget(self.member_capacity, 2)
        row.addWidget(self.member_organisation, 2)
        row.addWidget(_button(self.tr("A&dd"), self.add_meeting_member))
        layout.addWidget(self.meeting_table, 1)
        layout.addWidget(self.meeting_check)
        layout.addLayout(row)
        return page

    def _build_panel_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.panel_table, self.panel_model = _marked_table(
            self.tr("Arbitration panel"), PANEL_COLUMNS, self.tr("Arbitration panel")
        )
        self.panel_check = QLabel()
        self.panel_check.setWordWrap(True)
        self.panel_check.setAccessibleName(self.tr("Is the panel neutral?"))
        self.panel_name = self._line(self.tr("Name of panel member"))
        self.panel_role = self._line(self.tr("Role of panel member"))
        self.panel_organisation = QComboBox()
        self.panel_organisation.setAccessibleName(self.tr("Organisation of panel member"))
        self.panel_level = QComboBox()
        self.panel_level.setAccessibleName(self.tr("Level"))
        self.panel_level.addItems(list(PanelLevel.ALL))
        self.panel_interests = self._line(self.tr("Declared interests"))
        self.panel_name.setPlaceholderText(self.tr("Name"))
        self.panel_role.setPlaceholderText(self.tr("Role"))
        self.panel_interests.setPlaceholderText(self.tr("Interests declared (or none)"))
        self.hearing_date = self._date(self.tr("Hearing date"))
        self.submission_side = QComboBox()
        self.submission_side.setAccessibleName(self.tr("Side making the submission"))
        self.submission_text = NarrativeEdit(self.tr("Submission"))
        self.submission_text.setPlaceholderText(self.tr("The side's submission to the panel"))
        self.submission_text.setMaximumHeight(70)
        self.submissions_label = QLabel()
        self.submissions_label.setWordWrap(True)
        self.submissions_label.setAccessibleName(self.tr("Submissions received"))
        grid = QGridLayout()
        grid.addWidget(self.panel_name, 0, 0)
        grid.addWidget(self.panel_role, 0, 1)
        grid.addWidget(self.panel_organisation, 0, 2)
        grid.addWidget(self.panel_level, 0, 3)
        grid.addWidget(self.panel_interests, 1, 0, 1, 3)
        grid.addWidget(_button(self.tr("Add &member"), self.add_panel_member), 1, 3)
        grid.addWidget(QLabel(self.tr("Hearing:")), 2, 0)
        grid.addWidget(self.hearing_date, 2, 1)
        grid.addWidget(_button(self.tr("Set &hearing date"), self.set_hearing), 2, 2)
        grid.addWidget(self.submission_side, 3, 0)
        grid.addWidget(self.submission_text, 3, 1, 1, 2)
        grid.addWidget(_button(self.tr("Record s&ubmission"), self.record_submission), 3, 3)
        layout.addWidget(self.panel_table, 1)
        layout.addWidget(self.panel_check)
        layout.addWidget(self.submissions_label)
        layout.addLayout(grid)
        return page

    def _build_decisions_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.decisions_table, self.decisions_model = _marked_table(
            self.tr("Decisions"), DECISION_COLUMNS, self.tr("Decisions on each issue")
        )
        self.binding_label = QLabel()
        self.binding_label.setWordWrap(True)
        self.binding_label.setAccessibleName(self.tr("Binding statement"))
        self.decision_question = self._line(self.tr("Issue in dispute"))
        self.decision_question.setPlaceholderText(self.tr("Issue in dispute"))
        self.decision_upheld = QComboBox()
        self.decision_upheld.setAccessibleName(self.tr("Whose final position is upheld"))
        self.decision_text = self._line(self.tr("Decision or settlement"))
        self.decision_text.setPlaceholderText(self.tr("Decision, or the other settlement"))
        self.decision_amount = self._line(self.tr("Amount in pounds"))
        self.decision_amount.setPlaceholderText(self.tr("Amount (£)"))
        self.actions_table, self.actions_model = _marked_table(
            self.tr("Actions implementing the decision"),
            ACTION_COLUMNS,
            self.tr("Actions implementing the decision"),
        )
        self.action_text = self._line(self.tr("Action"))
        self.action_text.setPlaceholderText(self.tr("Action"))
        self.action_owner = self._line(self.tr("Owner"))
        self.action_owner.setPlaceholderText(self.tr("Owner"))
        self.action_due = self._date(self.tr("Due"))
        grid = QGridLayout()
        grid.addWidget(self.decision_question, 0, 0, 1, 2)
        grid.addWidget(self.decision_upheld, 0, 2, 1, 2)
        grid.addWidget(self.decision_text, 1, 0, 1, 2)
        grid.addWidget(self.decision_amount, 1, 2)
        grid.addWidget(_button(self.tr("Record &decision"), self.record_decision), 1, 3)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 1)
        actions = QGridLayout()
        actions.addWidget(self.action_text, 0, 0)
        actions.addWidget(self.action_owner, 0, 1)
        actions.addWidget(self.action_due, 0, 2)
        actions.addWidget(_button(self.tr("Add ac&tion"), self.add_action), 0, 3)
        actions.addWidget(_button(self.tr("Mark d&one"), self.complete_action), 0, 4)
        layout.addWidget(self.decisions_table, 2)
        layout.addLayout(grid)
        layout.addWidget(self.binding_label)
        layout.addWidget(self.actions_table, 1)
        layout.addLayout(actions)
        return page

    def _build_figures_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        note = QLabel(
            self.tr(
                "Appendix 14, measure 10: disputes needing arbitration, their results and "
                "the learning, by financial year raised."
            )
        )
        note.setWordWrap(True)
        self.figures_table, self.figures_model = _marked_table(
            self.tr("Disputes needing arbitration"),
            FIGURE_COLUMNS,
            self.tr("Disputes needing arbitration by year"),
        )
        self.figures_learning = QLabel()
        self.figures_learning.setWordWrap(True)
        self.figures_learning.setAccessibleName(self.tr("Learning from arbitrated disputes"))
        layout.addWidget(note)
        layout.addWidget(self.figures_table, 1)
        layout.addWidget(self.figures_learning)
        return page

    def _load_choices(self) -> None:
        with self.context.database.session() as session:
            choices = disputes.organisation_choices(session)
        for code, name in choices:
            self.panel_organisation.addItem(f"{name} ({code})", code)

    # The list ------------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        today = self.context.today()
        with self.context.database.session() as session:
            rows = disputes.list_disputes(session, today, self.open_only.isChecked())
            figures = disputes.measure_10(session)
            years = log_search.years(session, DISPUTE)
        self.model.set_rows(rows)
        self.search_filters.set_years(years)
        self.table.resizeColumnsToContents()
        for column, widest in ((1, 320), (2, 260)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self.figures_model.set_rows(figures)
        self.figures_table.resizeColumnsToContents()
        learning = [line for f in figures for line in f.learning]
        self.figures_learning.setText("\n".join(learning) or self.tr("No learning written yet."))
        self.update_count()
        if self.search_edit.text().strip():
            self.run_search()  # open only narrows the search too

    def update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        overdue = sum(1 for row in self.model.rows() if row.overdue)
        text = (
            self.tr("{n} disputes").format(n=total)
            if shown == total
            else self.tr("{shown} of {n}").format(shown=shown, n=total)
        )
        if overdue:
            text += self.tr(", {n} overdue").format(n=overdue)
        self.count_label.setText(text)

    @Slot()
    def run_search(self) -> None:
        query = self.search_edit.text().strip()
        if not query:
            self.results.hide()
            return
        # Open only narrows the search as it does the list, unless a status is chosen.
        filters = self.search_filters.filters(status="open" if self.open_only.isChecked() else "")
        with self.context.database.session() as session:
            hits = log_search.search(session, query, filters)
        self.results.show_hits(hits, query)
        self.results.show()

    @Slot(uuid.UUID)
    def open_dispute(self, dispute_id: uuid.UUID) -> None:
        self.open_record(dispute_id)

    # The selected dispute ------------------------------------------------------------------

    def load(self, dispute_id: uuid.UUID) -> None:
        today = self.context.today()
        with self.context.database.session() as session:
            detail = disputes.get_dispute(session, dispute_id)
            stages = disputes.stages_of(session, dispute_id, today)
            following = disputes.next_stage_name(session, dispute_id)
            meeting = disputes.meeting_of(session, dispute_id)
            meeting_missing = disputes.meeting_check(session, dispute_id)
            panel = disputes.panel_of(session, dispute_id)
            panel_problems = disputes.panel_check(session, dispute_id)
            decisions = disputes.decisions_of(session, dispute_id)
            actions = disputes.actions_of(session, dispute_id, today)
            documents = case_studies.documents(session, dispute_id)
        self.current_id = dispute_id
        self.documents_label.setText(
            "\n".join(
                f"{d.file_name} ({d.size:,} bytes, SHA-256 {d.sha256[:12]}…, "
                + (self.tr("intact") if d.intact else self.tr("CHANGED since attached"))
                + ")"
                for d in documents
            )
            or self.tr("No documents")
        )
        parties = "<br>".join(
            f"<b>{name}</b> ({side}): {position}"
            + (f" Final offer {format_money(offer)}." if offer is not None else "")
            for name, side, position, offer, _ in detail.parties
        )
        value = self.tr("value withheld") if detail.value is None else format_money(detail.value)
        notice = (
            self.tr(
                "<i>Confidential: you see the summary the meeting papers use. Its positions, "
                "offers, evidence and deliberations are for the people handling it, the Head "
                "of Specialised Commissioning, its panel and administrators.</i><br>"
            )
            if detail.summary_only
            else ""
        )
        assigned = (
            "<br>" + self.tr("Assigned: {names}").format(names=", ".join(detail.assigned))
            if detail.assigned
            else ""
        )
        for editor in self.editors.values():
            editor.setReadOnly(detail.summary_only)
        self.save_button.setEnabled(not detail.summary_only)
        self.summary_label.setText(
            notice
            + f"<b>{detail.reference}</b> · {DisputeKind.TITLES.get(detail.kind, detail.kind)}"
            f" · {value} · raised {format_date(detail.raised_on)}"
            f"{' by ' + detail.raised_by if detail.raised_by else ''} · services "
            f"{detail.service_codes or '—'}"
            f"{' · contract ' + detail.contract if detail.contract else ''}"
            f"<br>Stage: <b>{detail.stage}</b> · "
            f"{detail.status}{' ' + format_date(detail.closed_on) if detail.closed_on else ''}"
            f"<br>{parties}{assigned}"
        )
        self.title_edit.setText(detail.title)
        self.issue_edit.setPlainText(detail.issue)
        self.outcome_edit.setPlainText(detail.outcome)
        self.learning_edit.setPlainText(detail.learning)
        self.close_button.setEnabled(detail.status == "open" and not detail.summary_only)
        self.stages_model.set_rows([_StageRow(s) for s in stages])
        self.stages_table.resizeColumnsToContents()
        for column, widest in ((1, 260), (2, 220), (7, 360)):
            self.stages_table.setColumnWidth(
                column, min(self.stages_table.columnWidth(column), widest)
            )
        self.next_stage_label.setText(
            self.tr("Next stage if not agreed: {name}").format(name=following)
            if following
            else self.tr("No further stage in the process for this dispute.")
        )
        self.meeting_model.set_rows(meeting)
        self.meeting_check.setText(
            self.tr("Constituted as the process requires.")
            if not meeting_missing
            else self.tr("Missing: {items}.").format(items="; ".join(meeting_missing))
        )
        self.panel_model.set_rows(panel)
        self.panel_table.resizeColumnsToContents()
        self.panel_table.setColumnWidth(4, min(self.panel_table.columnWidth(4), 300))
        self.panel_check.setText(
            self.tr("The panel is neutral to the dispute.")
            if not panel_problems
            else "; ".join(panel_problems) + "."
        )
        if detail.hearing_on:
            self.hearing_date.setDate(
                QDate(detail.hearing_on.year, detail.hearing_on.month, detail.hearing_on.day)
            )
        self.sides = [side for _, side, _, _, _ in detail.parties]
        self.submission_side.clear()
        self.submission_side.addItems(self.sides)
        received = [
            f"<b>{name}</b> ({side}): {submission}"
            for name, side, _, _, submission in detail.parties
            if submission
        ]
        self.submissions_label.setText(
            "<br>".join(received) or self.tr("No submissions recorded yet.")
        )
        self.decision_upheld.clear()
        for side in self.sides:
            self.decision_upheld.addItem(self.tr("Upheld: {side}").format(side=side), side)
        self.decision_upheld.addItem(self.tr("Another settlement"), Upheld.OTHER)
        self.decisions_model.set_rows(decisions)
        self.decisions_table.resizeColumnsToContents()
        for column in (1, 3):
            self.decisions_table.setColumnWidth(
                column, min(self.decisions_table.columnWidth(column), 280)
            )
        self.binding_label.setText(detail.binding_statement)
        self.actions_model.set_rows(actions)
        self.actions_table.resizeColumnsToContents()
        for table in (
            self.stages_table,
            self.meeting_table,
            self.panel_table,
            self.decisions_table,
            self.actions_table,
        ):
            table.set_subtitle(f"{detail.reference} {detail.title}")

    def _act(
        self,
        work: Callable[[Session], Any],
        name: str,
        title: str,
        fields: Mapping[str, Marker] | None = None,
    ) -> bool:
        """Do one action on the current dispute, undoable; a refusal by the guard is shown
        selected in its field (a number can be confirmed as not an NHS number), an error
        in a message."""
        if self.current_id is None:
            return False
        dispute_id = self.current_id
        snapshots: list[DisputeSnapshot] = []

        def act(session: Session) -> None:
            snapshots[:] = [disputes.dispute_snapshot(session, dispute_id)]
            work(session)
            snapshots.append(disputes.dispute_snapshot(session, dispute_id))

        done, _ = run_guarded(self, self.context, act, title, fields or self.editors, self.ask)
        if done and snapshots[0] != snapshots[1]:
            self.undo_stack.push(DisputeChange(self, name, dispute_id, *snapshots))
        self.reload()
        self.open_dispute(dispute_id)
        return done

    def apply_undo(self, work: Callable[[Session], Any], shown: uuid.UUID | None) -> None:
        """Undo or redo an action (the stack's commands call this), then show the dispute."""
        done, _ = run_guarded(self, self.context, work, self.tr("Not undone"), {}, self.ask)
        self.reload()
        if done and shown is not None:
            self.open_dispute(shown)
        elif self.proxy.rowCount():
            self.table.selectRow(0)

    def _day(self, edit: QDateEdit) -> Any:
        return edit.date().toPython()

    def _changes(self) -> dict[str, str]:
        return {
            "title": self.title_edit.text(),
            "issue": self.issue_edit.toPlainText(),
            "outcome": self.outcome_edit.toPlainText(),
            "learning": self.learning_edit.toPlainText(),
        }

    @Slot()
    def save(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id, changes = self.current_id, self._changes()
        return self._act(
            lambda session: disputes.edit_dispute(session, dispute_id, changes),
            self.tr("Save the dispute"),
            self.tr("Not saved"),
        )

    @Slot()
    def close_dispute(self) -> bool:
        """Save what is in the editor and close, as one action (refused without learning)."""
        if self.current_id is None:
            return False
        dispute_id, changes, day = self.current_id, self._changes(), self._day(self.close_date)

        def close(session: Session) -> None:
            disputes.edit_dispute(session, dispute_id, changes)
            disputes.close_dispute(session, dispute_id, day)

        return self._act(close, self.tr("Close the dispute"), self.tr("Not closed"))

    def end_stage(self, agreed: bool) -> bool:
        if self.current_id is None:
            return False
        dispute_id, day, notes = (
            self.current_id,
            self._day(self.stage_date),
            self.stage_notes.toPlainText(),
        )
        done = self._act(
            lambda session: disputes.end_stage(session, dispute_id, day, agreed, notes),
            self.tr("End the stage"),
            self.tr("Stage not ended"),
            self.editors_stage,
        )
        if done:
            self.stage_notes.clear()
        return done

    @Slot()
    def escalate(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id, day, notes = (
            self.current_id,
            self._day(self.stage_date),
            self.stage_notes.toPlainText(),
        )
        done = self._act(
            lambda session: disputes.escalate(session, dispute_id, day, notes),
            self.tr("Escalate"),
            self.tr("Not escalated"),
            self.editors_stage,
        )
        if done:
            self.stage_notes.clear()
        return done

    @Slot()
    def add_meeting_member(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id = self.current_id
        name, capacity = self.member_name.text(), self.member_capacity.currentData()
        organisation = self.member_organisation.text()
        done = self._act(
            lambda session: disputes.add_meeting_member(
                session, dispute_id, name, capacity, organisation
            ),
            self.tr("Add {name} to the meeting").format(name=name),
            self.tr("Not added"),
        )
        if done:
            self.member_name.clear()
            self.detail.setCurrentIndex(2)
        return done

    @Slot()
    def add_panel_member(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id = self.current_id
        name, role = self.panel_name.text(), self.panel_role.text()
        code, level = self.panel_organisation.currentData(), self.panel_level.currentText()
        interests, day = self.panel_interests.text(), self.context.today()
        done = self._act(
            lambda session: disputes.add_panel_member(
                session, dispute_id, name, role, code, level, interests, day
            ),
            self.tr("Add {name} to the panel").format(name=name),
            self.tr("Not added to the panel"),
            {"interests": self.panel_interests},
        )
        if done:
            for edit in (self.panel_name, self.panel_role, self.panel_interests):
                edit.clear()
            self.detail.setCurrentIndex(3)
        return done

    @Slot()
    def set_hearing(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id, day = self.current_id, self._day(self.hearing_date)
        return self._act(
            lambda session: disputes.set_hearing(session, dispute_id, day),
            self.tr("Set the hearing date"),
            self.tr("Not set"),
        )

    @Slot()
    def record_submission(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id, side = self.current_id, self.submission_side.currentText()
        text, day = self.submission_text.toPlainText(), self.context.today()
        done = self._act(
            lambda session: disputes.record_submission(session, dispute_id, side, text, day),
            self.tr("Record the {side}'s submission").format(side=side),
            self.tr("Submission not recorded"),
            {"submission": self.submission_text},
        )
        if done:
            self.submission_text.clear()
            self.detail.setCurrentIndex(3)
        return done

    @Slot()
    def raise_dispute(self) -> None:
        with self.context.database.session() as session:
            choices = disputes.organisation_choices(session)
        dialog = RaiseDisputeDialog(choices, self.context.today(), self)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self.submit_new_dispute(dialog):
                break

    def submit_new_dispute(self, dialog: RaiseDisputeDialog) -> bool:
        """Raise the dispute the dialog describes (undoably); a refusal is shown in the dialog."""
        try:
            values = dialog.values()
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("Not raised"))
            return False

        def raise_(session: Session) -> DisputeSnapshot:
            return disputes.dispute_snapshot(session, disputes.raise_dispute(session, values))

        fields: dict[str, Marker] = {
            "issue": dialog.issue,
            "title": dialog.title,
            "position": [position for _, position, _ in dialog.parties],
        }
        done, after = run_guarded(
            self, self.context, raise_, self.tr("Not raised"), fields, self.ask
        )
        if not done or after is None:
            return False
        self.undo_stack.push(
            DisputeChange(self, self.tr("Raise a dispute"), after.dispute_id, None, after)
        )
        self.reload()
        self.open_dispute(after.dispute_id)
        return True

    @Slot()
    def record_decision(self) -> bool:
        if self.current_id is None:
            return False
        text = self.decision_amount.text().replace("£", "").replace(",", "").strip()
        try:
            amount = Decimal(text) if text else None
        except InvalidOperation:
            show_error(
                CommissioningError(
                    self.tr("'{text}' is not an amount in pounds.").format(text=text)
                ),
                self.context.log_file,
            )
            return False
        dispute_id, question = self.current_id, self.decision_question.text()
        upheld, decision = self.decision_upheld.currentData(), self.decision_text.text()
        day = self.context.today()
        done = self._act(
            lambda session: disputes.record_decision(
                session, dispute_id, question, upheld, day, decision, amount
            ),
            self.tr("Record a decision"),
            self.tr("Decision not recorded"),
            {"question": self.decision_question, "decision": self.decision_text},
        )
        if done:
            for edit in (self.decision_question, self.decision_text, self.decision_amount):
                edit.clear()
            self.detail.setCurrentIndex(4)
        return done

    @Slot()
    def add_action(self) -> bool:
        if self.current_id is None:
            return False
        dispute_id, text, owner = self.current_id, self.action_text.text(), self.action_owner.text()
        due = self._day(self.action_due)
        done = self._act(
            lambda session: disputes.add_action(session, dispute_id, text, owner, due),
            self.tr("Add an action"),
            self.tr("Action not added"),
            {"description": self.action_text},
        )
        if done:
            self.action_text.clear()
            self.action_owner.clear()
            self.detail.setCurrentIndex(4)
        return done

    @Slot()
    def complete_action(self) -> bool:
        index = self.actions_table.currentIndex()
        if not index.isValid():
            return False
        action_id, day = self.actions_model.row_at(index.row()).id, self.context.today()
        done = self._act(
            lambda session: disputes.complete_action(session, action_id, day),
            self.tr("Mark the action done"),
            self.tr("Not marked done"),
        )
        self.detail.setCurrentIndex(4)
        return done

    @Slot()
    def attach(self) -> None:
        if self.current_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Attach a document"))
        if path:
            self.attach_file(path)

    def attach_file(self, path: str) -> bool:
        """Keep a copy of the file with the dispute; its text is searched and guarded."""
        if self.current_id is None:
            return False
        dispute_id = self.current_id
        return self._act(
            lambda session: case_studies.attach_document(
                session, "dispute", dispute_id, path, Area.DISPUTES
            ),
            self.tr("Attach a document"),
            self.tr("Not attached"),
            {},
        )

    @Slot()
    def print_record(self) -> None:
        if self.current_id is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Print the dispute record"), "", self.tr("PDF (*.pdf)")
        )
        if path:
            self.print_record_to(path)

    def print_record_to(self, path: str) -> bool:
        assert self.current_id is not None
        dispute_id, today = self.current_id, self.context.today()
        try:
            with self.context.database.session() as session:
                disputes.export_dispute(session, dispute_id, path, today)
        except CommissioningError as error:
            show_error(error, self.context.log_file, self.tr("Not printed"))
            return False
        return True
