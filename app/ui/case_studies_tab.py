"""The Case studies tab: the log of commissioning experience, filtered, searched and edited."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.models import CaseStudyStatus
from app.models.identifiable import Refusal
from app.services import case_studies, log_search
from app.services.access import Area
from app.services.case_studies import CaseStudyInput, OutcomeInput
from app.services.log_search import CASE_STUDY
from app.ui.context import UiContext
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
from app.ui.record_model import Column, Kind, RecordTableModel

COLUMNS = [
    Column("title", "Title"),
    Column("organisation", "Organisation"),
    Column("topic", "Topic"),
    Column("status", "Status"),
    Column("author", "Author"),
    Column("updated_at", "Changed", Kind.DATE),
]
PLAIN_FIELDS = [
    ("title", "&Title:"),
    ("organisation", "&Organisation:"),
    ("services", "Ser&vices:"),
    ("period", "&Period:"),
    ("author", "&Author:"),
    ("reviewer", "Re&viewer:"),
    ("tags", "Ta&gs:"),
]
NARRATIVE_FIELDS = [
    ("context", "Conte&xt:"),
    ("what_was_done", "&What was done:"),
    ("outcomes", "O&utcomes:"),
    ("learning", "&Learning:"),
]


class SaveCaseStudy(QUndoCommand):
    """A save that can be undone: back to the text before it (or, for a new case study, gone)."""

    def __init__(
        self,
        tab: CaseStudiesTab,
        study_id: uuid.UUID,
        before: CaseStudyInput | None,
        after: CaseStudyInput,
    ) -> None:
        super().__init__(tab.tr("Save “{title}”").format(title=after.title))
        self.tab, self.study_id, self.before, self.after = tab, study_id, before, after
        self._done = True  # the save happened before the command was pushed

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        with self.tab.context.database.session() as session:
            if self.before is None:
                case_studies.restore_case_study(session, self.study_id)
            else:
                case_studies.save_case_study(session, self.after, self.study_id)
        self.tab.show_after_undo(self.study_id)

    def undo(self) -> None:
        with self.tab.context.database.session() as session:
            if self.before is None:
                case_studies.delete_case_study(session, self.study_id)
            else:
                case_studies.save_case_study(session, self.before, self.study_id)
        self.tab.show_after_undo(None if self.before is None else self.study_id)


class CaseStudiesTab(LogTab):
    """The list on the left, the selected case study's editor on the right."""

    area = "case-studies"

    def __init__(
        self, context: UiContext, parent: QWidget | None = None, ask: AskReason = ask_reason
    ) -> None:
        super().__init__(context, ask, parent)
        self.setAccessibleName(self.tr("Case studies"))

        self.make_filter(self.tr("Filter case studies"))
        self.topic_filter = QComboBox()
        self.topic_filter.setAccessibleName(self.tr("Topic shown"))
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName(self.tr("Status shown"))
        self.status_filter.addItem(self.tr("Any status"), "")
        for status in CaseStudyStatus.ALL:
            self.status_filter.addItem(status.capitalize(), status)
        self.make_search(
            self.tr("Search the text of case studies and documents (Ctrl+Shift+F)"),
            self.tr("Search case studies"),
        )
        self.search_filters = SearchFilterBar(CASE_STUDY)
        self.make_count(self.tr("Number of case studies shown"))
        self.make_list(RecordTableModel(COLUMNS, self), self.tr("Case studies"))
        self._build_editor()
        self.lay_out(
            [self.topic_filter, self.status_filter],
            [self.count_label],
            self.search_filters,
            self.editor_area,
            (3, 2),
        )

        self.shortcut(QKeySequence.StandardKey.Save, self.save)
        self.shortcut(QKeySequence.StandardKey.New, self.new_case_study)
        self.add_undo_actions(self.tr("Undo save"), self.tr("Redo save"))
        self.connect_log(self.open_case_study)
        self.topic_filter.currentIndexChanged.connect(self.reload)
        self.status_filter.currentIndexChanged.connect(self.reload)
        self.save_button.clicked.connect(self.save)
        self.new_button.clicked.connect(self.new_case_study)
        self.attach_button.clicked.connect(self.attach)
        self.add_outcome_button.clicked.connect(self._add_outcome_row)
        self.remove_outcome_button.clicked.connect(self._remove_outcome_row)

        name_buttons(self)
        self._load_topics()
        self.reload()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    # Building --------------------------------------------------------------------------------

    def _build_editor(self) -> None:
        editor = QWidget()
        editor.setAccessibleName(self.tr("Case study editor"))
        form = QFormLayout(editor)
        self.editors: dict[str, TextEditor] = {}
        for name, label in PLAIN_FIELDS[:2]:
            self._add_line(form, name, label)
        self.topic_choice = QComboBox()
        self.topic_choice.setAccessibleName(self.tr("Topic"))
        topic_label = QLabel(self.tr("To&pic:"))
        topic_label.setBuddy(self.topic_choice)
        form.addRow(topic_label, self.topic_choice)
        for name, label in PLAIN_FIELDS[2:4]:
            self._add_line(form, name, label)
        for name, label in NARRATIVE_FIELDS:
            edit = NarrativeEdit(label.replace("&", "").rstrip(":"))
            self.editors[name] = edit
            caption = QLabel(self.tr(label))
            caption.setBuddy(edit)
            form.addRow(caption, edit)
        self.outcome_table = QTableWidget(0, 3)
        self.outcome_table.setAccessibleName(self.tr("Outcomes with figures and units"))
        self.outcome_table.setHorizontalHeaderLabels(
            [self.tr("Outcome"), self.tr("Figure"), self.tr("Unit")]
        )
        self.outcome_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )
        self.outcome_table.setMinimumHeight(120)
        self.outcome_table.verticalHeader().hide()
        self.add_outcome_button = QPushButton(self.tr("Add outcome"))
        self.remove_outcome_button = QPushButton(self.tr("Remove outcome"))
        outcome_buttons = QHBoxLayout()
        outcome_buttons.addWidget(self.add_outcome_button)
        outcome_buttons.addWidget(self.remove_outcome_button)
        outcome_buttons.addStretch(1)
        form.addRow(self.tr("Figures:"), self.outcome_table)
        form.addRow("", outcome_buttons)
        for name, label in PLAIN_FIELDS[4:]:
            self._add_line(form, name, label)
        self.status_choice = QComboBox()
        self.status_choice.setAccessibleName(self.tr("Status"))
        for status in CaseStudyStatus.ALL:
            self.status_choice.addItem(status.capitalize(), status)
        status_label = QLabel(self.tr("Stat&us:"))
        status_label.setBuddy(self.status_choice)
        form.addRow(status_label, self.status_choice)
        self.documents_label = QLabel()
        self.documents_label.setWordWrap(True)
        self.documents_label.setAccessibleName(self.tr("Attached documents"))
        self.attach_button = QPushButton(self.tr("Attach document…"))
        form.addRow(self.tr("Documents:"), self.documents_label)
        form.addRow("", self.attach_button)
        self.new_button = QPushButton(self.tr("&New"))
        self.new_button.setToolTip(self.tr("A new case study (Ctrl+N)"))
        self.save_button = QPushButton(self.tr("Sa&ve"))
        self.save_button.setToolTip(self.tr("Save the case study (Ctrl+S)"))
        self.save_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)
        self.editor_area = QScrollArea()
        self.editor_area.setAccessibleName(self.tr("Case study editor"))
        self.editor_area.setWidgetResizable(True)
        self.editor_area.setWidget(editor)

    def _add_line(self, form: QFormLayout, name: str, label: str) -> None:
        edit = QLineEdit()
        edit.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.editors[name] = edit
        caption = QLabel(self.tr(label))
        caption.setBuddy(edit)
        form.addRow(caption, edit)

    def _load_topics(self) -> None:
        with self.context.database.session() as session:
            names = case_studies.topics(session)
        self.topic_filter.blockSignals(True)
        self.topic_filter.addItem(self.tr("Any topic"), "")
        for name in names:
            self.topic_filter.addItem(name, name)
            self.topic_choice.addItem(name, name)
        self.topic_filter.blockSignals(False)

    # The list ----------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        with self.context.database.session() as session:
            rows = case_studies.list_case_studies(
                session, self.topic_filter.currentData() or "", self.status_filter.currentData()
            )
            years = log_search.years(session, CASE_STUDY)
        self.model.set_rows(rows)
        self.search_filters.set_years(years)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), 380))
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 220))
        self.update_count()
        if self.search_edit.text().strip():
            self.run_search()  # the topic and status narrow the search too

    def update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(
            self.tr("{n} case studies").format(n=total)
            if shown == total
            else self.tr("{shown} of {n}").format(shown=shown, n=total)
        )

    @Slot()
    def run_search(self) -> None:
        query = self.search_edit.text().strip()
        if not query:
            self.results.hide()
            return
        filters = self.search_filters.filters(
            topic=self.topic_filter.currentData() or "",
            status=self.status_filter.currentData() or "",
        )
        with self.context.database.session() as session:
            hits = log_search.search(session, query, filters)
        self.results.show_hits(hits, query)
        self.results.show()

    @Slot(uuid.UUID)
    def open_case_study(self, study_id: uuid.UUID) -> None:
        self.open_record(study_id)

    # The editor --------------------------------------------------------------------------

    def load(self, study_id: uuid.UUID) -> None:
        with self.context.database.session() as session:
            detail = case_studies.get_case_study(session, study_id)
        self.current_id = study_id
        self._show(detail.values)
        self._show_documents(detail.documents)

    def _show(self, values: CaseStudyInput) -> None:
        for name, editor in self.editors.items():
            text = getattr(values, name)
            if isinstance(editor, QLineEdit):
                editor.setText(text)
            else:
                editor.setPlainText(text)
        self.topic_choice.setCurrentIndex(max(0, self.topic_choice.findData(values.topic)))
        self.status_choice.setCurrentIndex(max(0, self.status_choice.findData(values.status)))
        self.outcome_table.setRowCount(0)
        for outcome in values.measured_outcomes:
            self._add_outcome_row(outcome)

    def _show_documents(self, documents: list[case_studies.DocumentRow]) -> None:
        if not documents:
            self.documents_label.setText(self.tr("None"))
            return
        lines = []
        for d in documents:
            state = self.tr("intact") if d.intact else self.tr("CHANGED since attached")
            lines.append(f"{d.file_name} ({d.size:,} bytes, SHA-256 {d.sha256[:12]}…, {state})")
        self.documents_label.setText("\n".join(lines))

    def _add_outcome_row(self, outcome: OutcomeInput | None = None) -> None:
        row = self.outcome_table.rowCount()
        self.outcome_table.insertRow(row)
        values = (outcome.description, outcome.figure, outcome.unit) if outcome else ("", "", "")
        for column, value in enumerate(values):
            self.outcome_table.setItem(row, column, QTableWidgetItem(value))

    def _remove_outcome_row(self) -> None:
        row = self.outcome_table.currentRow()
        if row >= 0:
            self.outcome_table.removeRow(row)

    def values(self) -> CaseStudyInput:
        def text(name: str) -> str:
            editor = self.editors[name]
            return editor.text() if isinstance(editor, QLineEdit) else editor.toPlainText()

        def cell(row: int, column: int) -> str:
            item = self.outcome_table.item(row, column)
            return item.text() if item else ""

        values = CaseStudyInput(
            title=text("title"),
            topic=self.topic_choice.currentData() or "",
            status=self.status_choice.currentData(),
        )
        for name in [n for n, _ in PLAIN_FIELDS + NARRATIVE_FIELDS]:
            setattr(values, name, text(name))
        values.measured_outcomes = [
            OutcomeInput(cell(r, 0), cell(r, 1), cell(r, 2))
            for r in range(self.outcome_table.rowCount())
        ]
        return values

    @Slot()
    def new_case_study(self) -> None:
        self.current_id = None
        self.table.clearSelection()
        self._show(CaseStudyInput(title="", topic=self.topic_choice.itemData(0) or ""))
        self._show_documents([])
        self.editors["title"].setFocus(Qt.FocusReason.OtherFocusReason)

    def show_after_undo(self, study_id: uuid.UUID | None) -> None:
        self.reload()
        if study_id is not None:
            self.current_id = None
            self.open_case_study(study_id)
            if self.current_id is None:
                self.load(study_id)
        elif self.proxy.rowCount():
            self.table.selectRow(0)

    def _mark_outcome(self, refusal: Refusal) -> None:
        """Select the outcome whose description holds the refused text."""
        for row in range(self.outcome_table.rowCount()):
            item = self.outcome_table.item(row, 0)
            if item is not None and refusal.found.text in item.text():
                self.outcome_table.setCurrentCell(row, 0)
                self.outcome_table.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _fields(self) -> dict[str, Marker]:
        fields: dict[str, Marker] = dict(self.editors)
        fields["case_study_outcome.description"] = self._mark_outcome
        return fields

    @Slot()
    def save(self) -> bool:
        """Save the editor; a refusal by the guard is shown selected in its field."""
        values = self.values()
        study_id = self.current_id
        before: CaseStudyInput | None = None
        if study_id is not None:
            with self.context.database.session() as session:
                before = case_studies.get_case_study(session, study_id).values
        done, saved = run_guarded(
            self,
            self.context,
            lambda session: case_studies.save_case_study(session, values, study_id),
            self.tr("Not saved"),
            self._fields(),
            self.ask,
        )
        if not done or saved is None:
            return False
        self.current_id = saved
        self.undo_stack.push(SaveCaseStudy(self, saved, before, values))
        self.reload()
        self.open_case_study(saved)
        return True

    @Slot()
    def attach(self) -> None:
        if self.current_id is None:
            QMessageBox.information(
                self, self.tr("Attach"), self.tr("Save the case study before attaching files.")
            )
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Attach a document"))
        if path:
            self.attach_file(path)

    def attach_file(self, path: str) -> bool:
        """Keep a copy of the file with the case study; its text is searched and guarded."""
        assert self.current_id is not None
        study_id = self.current_id
        done, _ = run_guarded(
            self,
            self.context,
            lambda session: case_studies.attach_document(
                session, "case_study", study_id, path, Area.CASE_STUDIES
            ),
            self.tr("Not attached"),
            {},
            self.ask,
        )
        self.load(study_id)
        return done
