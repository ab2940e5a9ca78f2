"""The editor beside the Definitions Set list: a service's definition, codes, designations,
reviews and who commissions it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import CommissioningError, InputRejected
from app.formatting import format_date
from app.models import DesignationStatus, Vocabulary
from app.models.nds_rules import SCHEMES, code_problem, latest_designation_end
from app.services import definition_editing as editing
from app.services import designations, responsibilities, service_codes
from app.services.definitions import term_names
from app.ui.context import UiContext
from app.ui.narrative import run_guarded
from app.ui.record_model import Column, Kind, RecordTableModel
from app.ui.table_view import DataTableView

INVALID_STYLE = "border: 2px solid palette(highlight);"


def _problem_text(error: CommissioningError) -> str:
    if isinstance(error, InputRejected):
        return "\n".join(
            f"{p.column}: {p.message}" if p.column and not p.file else str(p)
            for p in error.problems
        )
    return str(error)


class SaveDefinition(QUndoCommand):
    """Saving a definition's changes as one action; undo puts the old values back."""

    def __init__(
        self,
        editor: DefinitionEditor,
        line_id: uuid.UUID,
        before: dict[str, Any],
        after: dict[str, Any],
        title: str,
    ) -> None:
        super().__init__(f"Edit {title}")
        self.editor, self.line_id = editor, line_id
        self.before, self.after = before, after
        self._done = True  # the first redo happened before the push, where errors can be shown

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.editor.apply_changes(self.line_id, self.after)

    def undo(self) -> None:
        self.editor.apply_changes(self.line_id, self.before)


class ChangeCode(QUndoCommand):
    """Adding or removing a code of a service line, undoable."""

    def __init__(
        self, editor: DefinitionEditor, line_code: str, scheme: str, code: str, adding: bool
    ) -> None:
        super().__init__(f"{'Add' if adding else 'Remove'} {scheme} {code} on {line_code}")
        self.editor, self.line_code = editor, line_code
        self.scheme, self.code, self.adding = scheme, code, adding
        self._done = True

    def _run(self, adding: bool) -> None:
        self.editor.change_code(self.line_code, self.scheme, self.code, adding)

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._run(self.adding)

    def undo(self) -> None:
        self._run(not self.adding)


class RecordChange(QUndoCommand):
    """A designation, review or change of responsibility, done through the service layer
    before it is pushed (so a refusal is shown and nothing is pushed); undo and redo are each
    one unit of work too."""

    def __init__(
        self,
        editor: DefinitionEditor,
        text: str,
        line_id: uuid.UUID,
        undo: Callable[[Session], object],
        redo: Callable[[Session], object],
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(text)
        self.editor, self.line_id = editor, line_id
        self._undo, self._redo, self._refresh = undo, redo, refresh
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        if not self.editor.run_change(self.line_id, self._redo, self._refresh):
            self.setObsolete(True)

    def undo(self) -> None:
        if not self.editor.run_change(self.line_id, self._undo, self._refresh):
            self.setObsolete(True)


class DefinitionEditor(QTabWidget):
    """Pages for the selected service; every save is one unit of work."""

    changed = Signal()

    def __init__(
        self, context: UiContext, undo_stack: QUndoStack, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.undo_stack = undo_stack
        self.line_id: uuid.UUID | None = None
        self.edition: str | None = None
        self.detail: editing.DefinitionDetail | None = None
        self.setAccessibleName(self.tr("Service details"))
        self.definition_page = self._build_definition_page()
        self.codes_page = self._build_codes_page()
        self.designations_page = self._build_designations_page()
        self.reviews_page = self._build_reviews_page()
        self.commissioners_page = self._build_commissioners_page()
        self.addTab(self.definition_page, self.tr("&Definition"))
        self.addTab(_scrolling(self.codes_page), self.tr("C&odes"))
        self.addTab(_scrolling(self.designations_page), self.tr("Desi&gnations"))
        self.addTab(_scrolling(self.reviews_page), self.tr("&Reviews"))
        self.addTab(_scrolling(self.commissioners_page), self.tr("&Who commissions"))
        for combo in self.findChildren(QComboBox):
            # Long option texts must not push the editor wider than the window.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(16)
            combo.setMinimumWidth(120)
        self.setEnabled(False)

    # Showing a service ---------------------------------------------------------------------

    def show_service(self, line_id: uuid.UUID | None, edition: str | None) -> None:
        self.line_id, self.edition = line_id, edition
        self.setEnabled(line_id is not None)
        if line_id is None:
            self.detail = None
            return
        with self.context.database.session() as session:
            self.detail = editing.get_definition(session, line_id, edition)
            codes = service_codes.codes_of(session, self.detail.code, edition)
            held = designations.designations_of(session, line_id, self.context.today())
            reviews = designations.reviews_of(session, line_id)
            history = responsibilities.history(session, line_id)
            decisions = designations.decision_choices(session)
        self._fill_decisions(decisions)
        self._fill_definition(self.detail)
        self.codes_model.set_rows(codes)
        self.designations_model.set_rows(held)
        self.reviews_model.set_rows(reviews)
        self.new_review()
        self.commissioners_model.set_rows(history)
        self.code_heading.setText(
            self.tr("Codes of {0} {1} in edition {2}").format(
                self.detail.code, self.detail.name, self.detail.edition
            )
        )
        self._show_criteria()

    # The definition ------------------------------------------------------------------------

    def _build_definition_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName(self.tr("Definition"))
        self.heading_label = QLabel()
        self.heading_label.setAccessibleName(self.tr("Service being edited"))
        self.heading_label.setWordWrap(True)
        font = self.heading_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.heading_label.setFont(font)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Name"))
        self.age_choice = QComboBox()
        self.age_choice.setAccessibleName(self.tr("Age group"))
        self.level_choice = QComboBox()
        self.level_choice.setAccessibleName(self.tr("Commissioning level"))
        with self.context.database.session() as session:
            ages = term_names(session, Vocabulary.AGE_GROUP)
            levels = term_names(session, Vocabulary.COMMISSIONING_LEVEL)
        self.age_choice.addItem(self.tr("(none)"), "")
        for code, name in ages.items():
            self.age_choice.addItem(name, code)
        self.level_choice.addItem(self.tr("(not set)"), "")
        for code, name in levels.items():
            self.level_choice.addItem(name, code)
        form.addRow(self.tr("&Name:"), self.name_edit)
        form.addRow(self.tr("&Age group:"), self.age_choice)
        form.addRow(self.tr("&Level:"), self.level_choice)

        self.text_edits: dict[str, QPlainTextEdit] = {}
        self.currency_choice = QComboBox()
        self.currency_choice.setAccessibleName(self.tr("Currency"))
        self.currency_choice.addItem(self.tr("(not chosen)"), "")
        for option in editing.currency_options():
            self.currency_choice.addItem(option.text, option.key)
            self.currency_choice.setItemData(
                self.currency_choice.count() - 1, option.text, Qt.ItemDataRole.ToolTipRole
            )
        for number, (field, title) in enumerate(editing.headings(), start=1):
            label = f"{number}. {title}"
            if field == "currency":
                form.addRow(label, self.currency_choice)
                continue
            edit = QPlainTextEdit()
            edit.setAccessibleName(title)
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 14)
            self.text_edits[field] = edit
            form.addRow(label, edit)

        tariff = QGroupBox(self.tr("Tariff"))
        tariff.setAccessibleName(self.tr("Tariff status"))
        self.in_tariff = QCheckBox(self.tr("In the national &tariff"))
        self.in_tariff.setAccessibleName(self.tr("In the national tariff"))
        self.exclusion_choice = QComboBox()
        self.exclusion_choice.setAccessibleName(self.tr("Reason for exclusion from tariff"))
        self.payment_choice = QComboBox()
        self.payment_choice.setAccessibleName(self.tr("Alternative payment approach"))
        for combo, options in (
            (self.exclusion_choice, editing.exclusion_reasons()),
            (self.payment_choice, editing.alternative_payments()),
        ):
            combo.addItem(self.tr("(not chosen)"), "")
            for option in options:
                combo.addItem(_short(option.text), option.key)
                combo.setItemData(combo.count() - 1, option.text, Qt.ItemDataRole.ToolTipRole)
        tariff_form = QFormLayout(tariff)
        tariff_form.addRow(self.in_tariff)
        tariff_form.addRow(self.tr("E&xcluded because:"), self.exclusion_choice)
        tariff_form.addRow(self.tr("&Paid instead by:"), self.payment_choice)
        form.addRow(tariff)

        self.definition_message = QLabel()
        self.definition_message.setAccessibleName(self.tr("Problems with the definition"))
        self.definition_message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("&Save changes"))
        self.save_button.setAccessibleName(self.tr("Save the definition"))
        self.save_button.setToolTip(self.tr("Save all changes as one action (Ctrl+S)"))
        self.revert_button = QPushButton(self.tr("Re&vert"))
        self.revert_button.setAccessibleName(self.tr("Discard unsaved changes"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.definition_message, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        inner = QWidget()
        inner.setAccessibleName(self.tr("Definition fields"))
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(self.heading_label)
        inner_layout.addLayout(form)
        scroll = QScrollArea()
        scroll.setAccessibleName(self.tr("Definition fields"))
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        save = QAction(self.tr("Save"), page)
        save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        save.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.triggered.connect(self.save_definition)
        page.addAction(save)
        self.save_button.clicked.connect(self.save_definition)
        self.revert_button.clicked.connect(self._revert)
        self.name_edit.textChanged.connect(self._validate_definition)
        self.in_tariff.toggled.connect(self._validate_definition)
        for combo in (self.exclusion_choice, self.payment_choice, self.currency_choice):
            combo.currentIndexChanged.connect(self._validate_definition)
        for widget in (self.age_choice, self.level_choice):
            widget.currentIndexChanged.connect(self._validate_definition)
        for edit in self.text_edits.values():
            edit.textChanged.connect(self._validate_definition)
        return page

    def _fill_definition(self, detail: editing.DefinitionDetail) -> None:
        self.heading_label.setText(
            self.tr("{0}  {1}  (edition {2}{3})").format(
                detail.code,
                detail.name,
                detail.edition,
                self.tr(", retired") if detail.retired else "",
            )
        )
        self.name_edit.setText(detail.name)
        _select(self.age_choice, detail.age_group)
        _select(self.level_choice, detail.commissioning_level)
        _select(self.currency_choice, detail.currency)
        for field, edit in self.text_edits.items():
            edit.setPlainText(getattr(detail, field))
        self.in_tariff.setChecked(detail.in_national_tariff)
        _select(self.exclusion_choice, detail.tariff_exclusion_reason)
        _select(self.payment_choice, detail.alternative_payment)
        self._validate_definition()

    def form_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": self.name_edit.text().strip(),
            "age_group": self.age_choice.currentData(),
            "commissioning_level": self.level_choice.currentData(),
            "currency": self.currency_choice.currentData(),
            "in_national_tariff": self.in_tariff.isChecked(),
            "tariff_exclusion_reason": ""
            if self.in_tariff.isChecked()
            else self.exclusion_choice.currentData(),
            "alternative_payment": ""
            if self.in_tariff.isChecked()
            else self.payment_choice.currentData(),
        }
        for field, edit in self.text_edits.items():
            values[field] = edit.toPlainText().strip()
        return values

    def pending_changes(self) -> dict[str, Any]:
        if self.detail is None:
            return {}
        before = editing.as_changes(self.detail)
        return {k: v for k, v in self.form_values().items() if before.get(k) != v}

    @Slot()
    def _validate_definition(self) -> None:
        in_tariff = self.in_tariff.isChecked()
        self.exclusion_choice.setEnabled(not in_tariff)
        self.payment_choice.setEnabled(not in_tariff)
        problems = []
        if not self.name_edit.text().strip():
            problems.append(self.tr("A service needs a name."))
        self.name_edit.setStyleSheet(INVALID_STYLE if problems else "")
        pending = self.pending_changes()
        self.save_button.setEnabled(bool(pending) and not problems)
        self.revert_button.setEnabled(bool(pending))
        if problems:
            self.definition_message.setText(" ".join(problems))
        elif pending:
            self.definition_message.setText(self.tr("{0} unsaved change(s)").format(len(pending)))
        else:
            self.definition_message.setText(self.tr("Saved"))

    @Slot()
    def _revert(self) -> None:
        if self.detail is not None:
            self._fill_definition(self.detail)

    @Slot()
    def save_definition(self) -> None:
        if self.detail is None or self.line_id is None or not self.save_button.isEnabled():
            return
        changes = self.pending_changes()
        before = {k: getattr(self.detail, k) for k in changes}
        try:
            self.apply_changes(self.line_id, changes)
        except CommissioningError as error:
            QMessageBox.warning(self, self.tr("Cannot save"), _problem_text(error))
            return
        self.undo_stack.push(SaveDefinition(self, self.line_id, before, changes, self.detail.code))

    def apply_changes(self, line_id: uuid.UUID, changes: dict[str, Any]) -> None:
        """Save `changes` to the service's definition (used by save, undo and redo)."""
        with self.context.database.session() as session:
            detail = editing.update_definition(session, line_id, changes, self.edition)
        if self.line_id == line_id:
            self.detail = replace(detail)
            self._fill_definition(detail)
        self.changed.emit()

    # Codes ---------------------------------------------------------------------------------

    def _build_codes_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName(self.tr("Codes"))
        self.code_heading = QLabel()
        self.code_heading.setAccessibleName(self.tr("Whose codes are shown"))
        self.codes_model = RecordTableModel(
            [
                Column("scheme", self.tr("Scheme")),
                Column("code", self.tr("Code")),
                Column("description", self.tr("Description")),
            ],
            self,
        )
        self.codes_table = DataTableView()
        self.codes_table.setModel(self.codes_model)
        self.codes_table.set_title(self.tr("Codes"))
        self.codes_table.setAccessibleName(self.tr("Codes of the service"))
        self.scheme_choice = QComboBox()
        self.scheme_choice.addItems(list(SCHEMES))
        self.scheme_choice.setAccessibleName(self.tr("Code scheme"))
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(self.tr("C34.1 or K40.1"))
        self.code_edit.setAccessibleName(self.tr("New code"))
        self.code_description = QLineEdit()
        self.code_description.setPlaceholderText(self.tr("Description (optional)"))
        self.code_description.setAccessibleName(self.tr("Description of the new code"))
        self.add_code_button = QPushButton(self.tr("&Add code"))
        self.add_code_button.setAccessibleName(self.tr("Add the code"))
        self.remove_code_button = QPushButton(self.tr("Re&move selected"))
        self.remove_code_button.setAccessibleName(self.tr("Remove the selected code"))
        self.import_codes_button = QPushButton(self.tr("&Import from file…"))
        self.import_codes_button.setAccessibleName(self.tr("Import codes from a CSV or xlsx file"))
        self.code_message = QLabel()
        self.code_message.setAccessibleName(self.tr("Problem with the code"))
        row = QHBoxLayout()
        row.addWidget(self.scheme_choice)
        row.addWidget(self.code_edit)
        row.addWidget(self.code_description, 1)
        row.addWidget(self.add_code_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.code_message, 1)
        buttons.addWidget(self.remove_code_button)
        buttons.addWidget(self.import_codes_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.code_heading)
        layout.addWidget(self.codes_table, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        self.code_edit.textChanged.connect(self._validate_code)
        self.scheme_choice.currentIndexChanged.connect(self._validate_code)
        self.code_edit.returnPressed.connect(self.add_code)
        self.add_code_button.clicked.connect(self.add_code)
        self.remove_code_button.clicked.connect(self.remove_selected_code)
        self.import_codes_button.clicked.connect(self.import_codes)
        self._validate_code()
        return page

    @Slot()
    def _validate_code(self) -> None:
        text = self.code_edit.text().strip()
        problem = code_problem(self.scheme_choice.currentText(), text) if text else None
        self.code_edit.setStyleSheet(INVALID_STYLE if problem else "")
        self.code_message.setText(problem or "")
        self.add_code_button.setEnabled(bool(text) and problem is None)

    @Slot()
    def add_code(self) -> None:
        if self.detail is None or not self.add_code_button.isEnabled():
            return
        scheme, code = self.scheme_choice.currentText(), self.code_edit.text().strip().upper()
        try:
            with self.context.database.session() as session:
                service_codes.add_code(
                    session,
                    self.detail.code,
                    scheme,
                    code,
                    self.code_description.text(),
                    self.edition,
                )
        except CommissioningError as error:
            self.code_message.setText(_problem_text(error))
            return
        self.undo_stack.push(ChangeCode(self, self.detail.code, scheme, code, adding=True))
        self.code_edit.clear()
        self.code_description.clear()
        self._reload_codes()

    @Slot()
    def remove_selected_code(self) -> None:
        if self.detail is None:
            return
        rows = sorted({index.row() for index in self.codes_table.selectionModel().selectedRows()})
        for row in reversed(rows):
            held = self.codes_model.row_at(row)
            self.change_code(self.detail.code, held.scheme, held.code, adding=False)
            self.undo_stack.push(
                ChangeCode(self, self.detail.code, held.scheme, held.code, adding=False)
            )

    def change_code(self, line_code: str, scheme: str, code: str, adding: bool) -> None:
        with self.context.database.session() as session:
            if adding:
                service_codes.add_code(session, line_code, scheme, code, "", self.edition)
            else:
                service_codes.remove_code(session, line_code, scheme, code, self.edition)
        self._reload_codes()

    def _reload_codes(self) -> None:
        if self.detail is None:
            return
        with self.context.database.session() as session:
            self.codes_model.set_rows(
                service_codes.codes_of(session, self.detail.code, self.edition)
            )
        self.changed.emit()

    @Slot()
    def import_codes(self) -> None:
        if self.detail is None:
            return
        path = self._ask_open_path()
        if not path:
            return
        from pathlib import Path

        try:
            with self.context.database.session() as session:
                added = service_codes.import_codes(
                    session, Path(path), self.detail.code, self.edition
                )
        except CommissioningError as error:
            QMessageBox.warning(
                self,
                self.tr("Nothing was imported"),
                self.tr("The file has problems, so no code was added:\n\n{0}").format(
                    _problem_text(error)
                ),
            )
            return
        self.code_message.setText(self.tr("Imported {0} codes").format(added))
        self._reload_codes()

    def _ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import codes"), "", self.tr("Code lists (*.csv *.xlsx)")
        )
        return path

    # Designations --------------------------------------------------------------------------

    def _build_designations_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName(self.tr("Designations"))
        self.designations_model = RecordTableModel(
            [
                Column("provider", self.tr("Provider")),
                Column("starts_on", self.tr("From"), Kind.DATE),
                Column("ends_on", self.tr("To"), Kind.DATE),
                Column("status", self.tr("Status")),
                Column("criteria_met", self.tr("Criteria met"), Kind.NUMBER),
                Column("ending_soon", self.tr("Ends within 12 months")),
            ],
            self,
        )
        self.designations_table = DataTableView()
        self.designations_table.setModel(self.designations_model)
        self.designations_table.set_title(self.tr("Designations"))
        self.designations_table.setAccessibleName(self.tr("Designated providers"))

        self.provider_code = QLineEdit()
        self.provider_code.setPlaceholderText(self.tr("Provider code, such as RX1"))
        self.provider_code.setAccessibleName(self.tr("Provider code"))
        self.starts_edit = _date_edit(self.tr("Designation starts"))
        self.ends_edit = _date_edit(self.tr("Designation ends"))
        self.status_choice = QComboBox()
        self.status_choice.addItems(list(DesignationStatus.ALL))
        self.status_choice.setCurrentText(DesignationStatus.DESIGNATED)
        self.status_choice.setAccessibleName(self.tr("Designation status"))
        self.designation_message = QLabel()
        self.designation_message.setAccessibleName(self.tr("Designation limit"))
        self.designation_message.setWordWrap(True)
        self.designate_button = QPushButton(self.tr("&Designate"))
        self.designate_button.setAccessibleName(self.tr("Add the designation"))
        self.update_designation_button = QPushButton(self.tr("Save c&hanges"))
        self.update_designation_button.setAccessibleName(
            self.tr("Save the selected designation's dates and status")
        )
        self.update_designation_button.setToolTip(
            self.tr("Change the dates or status (such as withdrawn) of the selected designation")
        )
        self.update_designation_button.setEnabled(False)
        self.provider_code.setMaximumWidth(110)
        row = QHBoxLayout()
        for widget in (self.provider_code, self.starts_edit, self.ends_edit):
            row.addWidget(widget)
        # Status and the buttons on a line of their own, so the pane stays narrow enough.
        actions = QHBoxLayout()
        actions.addWidget(self.status_choice)
        actions.addStretch(1)
        actions.addWidget(self.designate_button)
        actions.addWidget(self.update_designation_button)

        criteria = QGroupBox(self.tr("Criteria of the selected designation (§125)"))
        criteria.setAccessibleName(self.tr("Designation criteria"))
        criteria_layout = QFormLayout(criteria)
        self.criterion_checks: list[QCheckBox] = []
        self.criterion_evidence: list[QLineEdit] = []
        for number, text in enumerate(designations.designation_criteria(), start=1):
            check = QCheckBox(f"{number}. {_short(text, 30)}")
            check.setToolTip(text)
            check.setAccessibleName(self.tr("Criterion {0} met").format(number))
            evidence = QLineEdit()
            evidence.setPlaceholderText(self.tr("Evidence"))
            evidence.setAccessibleName(self.tr("Evidence for criterion {0}").format(number))
            criteria_layout.addRow(check, evidence)
            self.criterion_checks.append(check)
            self.criterion_evidence.append(evidence)
        self.save_criteria_button = QPushButton(self.tr("Save c&riteria"))
        self.save_criteria_button.setAccessibleName(self.tr("Save the criteria and evidence"))
        criteria_layout.addRow(self.save_criteria_button)

        layout = QVBoxLayout(page)
        layout.addWidget(self.designations_table, 1)
        layout.addLayout(row)
        layout.addLayout(actions)
        layout.addWidget(self.designation_message)
        layout.addWidget(criteria)
        self.starts_edit.dateChanged.connect(self._validate_designation)
        self.ends_edit.dateChanged.connect(self._validate_designation)
        self.provider_code.textChanged.connect(self._validate_designation)
        self.designate_button.clicked.connect(self.designate)
        self.update_designation_button.clicked.connect(self.update_selected_designation)
        self.save_criteria_button.clicked.connect(self.save_criteria)
        self.designations_table.selectionModel().selectionChanged.connect(self._show_criteria)
        today = self.context.today()
        self.starts_edit.setDate(QDate(today.year, today.month, today.day))
        end = latest_designation_end(today)
        self.ends_edit.setDate(QDate(end.year, end.month, end.day))
        self._validate_designation()
        return page

    @Slot()
    def _validate_designation(self) -> None:
        starts, ends = _day(self.starts_edit), _day(self.ends_edit)
        latest = latest_designation_end(starts)
        too_long = ends > latest
        backwards = ends < starts
        self.ends_edit.setStyleSheet(INVALID_STYLE if too_long or backwards else "")
        if too_long:
            text = self.tr("Too long: a designation from {0} must end by {1}.")
        elif backwards:
            text = self.tr("The end is before the start.")
        else:
            text = self.tr("A designation from {0} may run until {1} at the latest.")
        self.designation_message.setText(text.format(format_date(starts), format_date(latest)))
        self.designate_button.setEnabled(
            bool(self.provider_code.text().strip()) and not too_long and not backwards
        )
        self.update_designation_button.setEnabled(
            self._selected_designation() is not None and not too_long and not backwards
        )

    @Slot()
    def designate(self) -> None:
        if self.line_id is None or self.detail is None or not self.designate_button.isEnabled():
            return
        line_id, provider = self.line_id, self.provider_code.text().strip().upper()
        try:
            with self.context.database.session() as session:
                designation = designations.designate(
                    session,
                    line_id,
                    provider,
                    _day(self.starts_edit),
                    _day(self.ends_edit),
                    self.status_choice.currentText(),
                )
        except CommissioningError as error:
            self.designation_message.setText(_problem_text(error))
            return
        self.provider_code.clear()
        self.undo_stack.push(
            RecordChange(
                self,
                self.tr("Designate {0} for {1}").format(provider, self.detail.code),
                line_id,
                lambda s: designations.delete_designation(s, designation),
                lambda s: designations.restore_designation(s, designation),
                self._reload_designations,
            )
        )
        self._reload_designations()
        self.changed.emit()

    @Slot()
    def update_selected_designation(self) -> None:
        """The form's dates and status given to the selected designation, as one undoable
        change (a designation is withdrawn, or runs on, this way)."""
        selected = self._selected_designation()
        if self.line_id is None or selected is None:
            return
        before = (selected.starts_on, selected.ends_on, selected.status, selected.notes)
        after = (
            _day(self.starts_edit), _day(self.ends_edit), self.status_choice.currentText(),
            selected.notes,
        )  # fmt: skip
        if after == before:
            return
        try:
            with self.context.database.session() as session:
                designations.update_designation(session, selected.id, *after)
        except CommissioningError as error:
            self.designation_message.setText(_problem_text(error))
            return
        self.undo_stack.push(
            RecordChange(
                self,
                self.tr("Change the designation of {0}").format(selected.provider_code),
                self.line_id,
                lambda s: designations.update_designation(s, selected.id, *before),
                lambda s: designations.update_designation(s, selected.id, *after),
                lambda: self._reload_designations(selected.id),
            )
        )
        self._reload_designations(selected.id)
        self.changed.emit()

    def _selected_designation(self) -> designations.DesignationRow | None:
        rows = self.designations_table.selectionModel().selectedRows()
        return self.designations_model.row_at(rows[0].row()) if rows else None

    @Slot()
    def _show_criteria(self) -> None:
        selected = self._selected_designation()
        enabled = selected is not None
        for check, evidence in zip(self.criterion_checks, self.criterion_evidence, strict=True):
            check.setEnabled(enabled)
            evidence.setEnabled(enabled)
            if not enabled:
                check.setChecked(False)
                evidence.clear()
        self.save_criteria_button.setEnabled(enabled)
        if selected is None:
            self._validate_designation()
            return
        # The form shows the selected designation, ready to change its dates or status.
        self.provider_code.setText(selected.provider_code)
        self.starts_edit.setDate(
            QDate(selected.starts_on.year, selected.starts_on.month, selected.starts_on.day)
        )
        self.ends_edit.setDate(
            QDate(selected.ends_on.year, selected.ends_on.month, selected.ends_on.day)
        )
        self.status_choice.setCurrentText(selected.status)
        self._validate_designation()
        with self.context.database.session() as session:
            criteria = designations.criteria_of(session, selected.id)
        for row, check, evidence in zip(
            criteria, self.criterion_checks, self.criterion_evidence, strict=True
        ):
            check.setChecked(row.met)
            evidence.setText(row.evidence)

    def criteria_values(self) -> list[tuple[bool, str]]:
        """The criteria as the form holds them: (met, evidence) in the order of §125."""
        return [
            (check.isChecked(), evidence.text().strip())
            for check, evidence in zip(self.criterion_checks, self.criterion_evidence, strict=True)
        ]

    def _criteria_refused(self, error: CommissioningError) -> None:
        QMessageBox.warning(self, self.tr("Cannot save"), _problem_text(error))

    @Slot()
    def save_criteria(self) -> None:
        selected = self._selected_designation()
        if selected is None or self.line_id is None:
            return
        after = self.criteria_values()
        with self.context.database.reader() as session:
            before = [(c.met, c.evidence) for c in designations.criteria_of(session, selected.id)]
        done, _ = run_guarded(
            self,
            self.context,
            lambda session: designations.set_criteria(session, selected.id, after),
            self.tr("Cannot save"),
            {"evidence": list(self.criterion_evidence)},
            on_error=self._criteria_refused,
        )
        if not done:
            return
        if before != after:
            self.undo_stack.push(
                RecordChange(
                    self,
                    self.tr("Designation criteria of {0}").format(selected.provider),
                    self.line_id,
                    lambda s: designations.set_criteria(s, selected.id, before),
                    lambda s: designations.set_criteria(s, selected.id, after),
                    lambda: self._reload_designations(selected.id),
                )
            )
        self._reload_designations(selected.id)
        self.changed.emit()

    def _reload_designations(self, keep: uuid.UUID | None = None) -> None:
        """The designations again, the one `keep` (or the one selected) still selected."""
        if self.line_id is None:
            return
        if keep is None:
            selected = self._selected_designation()
            keep = selected.id if selected is not None else None
        with self.context.database.session() as session:
            rows = designations.designations_of(session, self.line_id, self.context.today())
        self.designations_model.set_rows(rows)
        _reselect(self.designations_table, rows, keep)
        self._show_criteria()

    # Reviews -------------------------------------------------------------------------------

    def _build_reviews_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName(self.tr("Reviews"))
        self.reviews_model = RecordTableModel(
            [
                Column("kind", self.tr("Review")),
                Column("status", self.tr("Status")),
                Column("lead", self.tr("Lead")),
                Column("started_on", self.tr("Started"), Kind.DATE),
                Column("completed_on", self.tr("Completed"), Kind.DATE),
                Column("findings", self.tr("Findings")),
                Column("decision", self.tr("Decision that followed")),
            ],
            self,
        )
        self.reviews_table = DataTableView()
        self.reviews_table.setModel(self.reviews_model)
        self.reviews_table.set_title(self.tr("Service reviews"))
        self.reviews_table.setAccessibleName(self.tr("Reviews of the service"))
        self.reviews_table.setSelectionMode(DataTableView.SelectionMode.SingleSelection)
        self.review_kind = QComboBox()
        self.review_kind.addItems(list(designations.REVIEW_KINDS))
        self.review_kind.setAccessibleName(self.tr("Kind of review"))
        self.review_status = QComboBox()
        self.review_status.addItems(list(designations.REVIEW_STATUSES))
        self.review_status.setAccessibleName(self.tr("Review status"))
        self.review_lead = QLineEdit()
        self.review_lead.setPlaceholderText(self.tr("Lead"))
        self.review_lead.setAccessibleName(self.tr("Lead of the review"))
        self.review_started = _date_edit(self.tr("Review started"), self.tr("not started"))
        self.review_completed = _date_edit(self.tr("Review completed"), self.tr("not completed"))
        self.review_findings = QLineEdit()
        self.review_findings.setPlaceholderText(self.tr("Findings"))
        self.review_findings.setAccessibleName(self.tr("Findings of the review"))
        self.review_decision = QComboBox()
        self.review_decision.setAccessibleName(self.tr("Decision that followed the review"))
        self.review_decision.setToolTip(
            self.tr("The decision recorded at a meeting that followed this review")
        )
        self.new_review_button = QPushButton(self.tr("&New"))
        self.new_review_button.setAccessibleName(self.tr("Start a new review"))
        self.new_review_button.setToolTip(self.tr("Clear the form to enter a new review"))
        self.add_review_button = QPushButton(self.tr("Add re&view"))
        self.add_review_button.setAccessibleName(self.tr("Add the review"))
        self.save_review_button = QPushButton(self.tr("S&ave review"))
        self.save_review_button.setAccessibleName(self.tr("Save changes to the selected review"))
        self.review_message = QLabel()
        self.review_message.setAccessibleName(self.tr("Problem with the review"))
        self.review_message.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        kinds = QHBoxLayout()
        kinds.addWidget(self.review_kind, 1)
        kinds.addWidget(self.review_status)
        dates = QHBoxLayout()
        dates.addWidget(self.review_started)
        dates.addWidget(self.review_completed)
        dates.addStretch(1)
        decision_label = QLabel(self.tr("&Decision that followed:"))
        decision_label.setBuddy(self.review_decision)
        form.addRow(self.tr("Review:"), kinds)
        form.addRow(self.tr("Lead:"), self.review_lead)
        form.addRow(self.tr("Dates:"), dates)
        form.addRow(self.tr("Findings:"), self.review_findings)
        form.addRow(decision_label, self.review_decision)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_review_button)
        buttons.addWidget(self.add_review_button)
        buttons.addWidget(self.save_review_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.reviews_table, 1)
        layout.addLayout(form)
        layout.addWidget(self.review_message)
        layout.addLayout(buttons)
        self.new_review_button.clicked.connect(self.new_review)
        self.add_review_button.clicked.connect(self.add_review)
        self.save_review_button.clicked.connect(self.save_review)
        self.reviews_table.selectionModel().selectionChanged.connect(self._show_review)
        self.review_status.currentIndexChanged.connect(self._validate_review)
        self.review_started.dateChanged.connect(self._validate_review)
        self.review_completed.dateChanged.connect(self._validate_review)
        self._fill_decisions([])
        self.new_review()
        return page

    def _fill_decisions(self, choices: list[designations.DecisionChoice]) -> None:
        """The decisions a review can link to; a decision already linked stays choosable."""
        chosen = self.chosen_decision()
        self.review_decision.blockSignals(True)
        self.review_decision.clear()
        self.review_decision.addItem(self.tr("(none)"), "")
        for choice in choices:
            # Keys as text: a combo box finds text data reliably, not Python objects.
            self.review_decision.addItem(choice.label, str(choice.id))
            self.review_decision.setItemData(
                self.review_decision.count() - 1, choice.label, Qt.ItemDataRole.ToolTipRole
            )
        self._select_decision(chosen)
        self.review_decision.blockSignals(False)

    def _select_decision(self, decision_id: uuid.UUID | None, label: str = "") -> None:
        index = self.review_decision.findData(str(decision_id)) if decision_id else 0
        if index < 0:  # linked to a decision no longer listed (deleted from its meeting)
            self.review_decision.addItem(label or self.tr("(a deleted decision)"), str(decision_id))
            index = self.review_decision.count() - 1
        self.review_decision.setCurrentIndex(index)

    def chosen_decision(self) -> uuid.UUID | None:
        """The decision the form links the review to, or None for no link."""
        key = self.review_decision.currentData()
        return uuid.UUID(key) if key else None

    def _selected_review(self) -> designations.ReviewRow | None:
        rows = self.reviews_table.selectionModel().selectedRows()
        return self.reviews_model.row_at(rows[0].row()) if rows else None

    @Slot()
    def new_review(self) -> None:
        """An empty form: what is entered next is added as a new review."""
        self.reviews_table.clearSelection()
        self.review_kind.setCurrentIndex(0)
        self.review_status.setCurrentIndex(0)
        self.review_lead.clear()
        self.review_findings.clear()
        _set_date(self.review_started, self.context.today())
        _set_date(self.review_completed, None)
        self._select_decision(None)
        self._validate_review()

    @Slot()
    def _show_review(self) -> None:
        review = self._selected_review()
        if review is None:
            self._validate_review()
            return
        self.review_kind.setCurrentText(review.kind)
        self.review_status.setCurrentText(review.status)
        self.review_lead.setText(review.lead)
        self.review_findings.setText(review.findings)
        self.review_findings.setCursorPosition(0)
        _set_date(self.review_started, review.started_on)
        _set_date(self.review_completed, review.completed_on)
        self._select_decision(review.decision_id, review.decision)
        self.review_message.clear()
        self._validate_review()

    @Slot()
    def _validate_review(self) -> None:
        completed = self.review_status.currentText() == "completed"
        self.review_completed.setEnabled(completed)
        started, ended = _date_of(self.review_started), _date_of(self.review_completed)
        problem = ""
        if completed and ended is None:
            problem = self.tr("A completed review needs its date.")
        elif completed and started and ended and ended < started:
            problem = self.tr("A review cannot end before it starts.")
        self.review_completed.setStyleSheet(INVALID_STYLE if problem else "")
        self.review_message.setText(problem)
        self.add_review_button.setEnabled(self.line_id is not None and not problem)
        self.save_review_button.setEnabled(self._selected_review() is not None and not problem)

    def review_values(self) -> dict[str, Any]:
        """The review as the form holds it, as `designations.record_review` takes it."""
        status = self.review_status.currentText()
        return {
            "kind": self.review_kind.currentText(),
            "status": status,
            "lead": self.review_lead.text().strip(),
            "started_on": _date_of(self.review_started),
            "completed_on": _date_of(self.review_completed) if status == "completed" else None,
            "findings": self.review_findings.text().strip(),
            "decision_id": self.chosen_decision(),
        }

    @Slot()
    def add_review(self) -> None:
        if self.line_id is None or self.detail is None:
            return
        line_id, values = self.line_id, self.review_values()
        done, review = run_guarded(
            self,
            self.context,
            lambda session: designations.record_review(session, line_id, **values),
            self.tr("Review not added"),
            {"findings": self.review_findings},
            on_error=lambda error: self.review_message.setText(_problem_text(error)),
        )
        if not done or review is None:
            return
        self.undo_stack.push(
            RecordChange(
                self,
                self.tr("Add {0} of {1}").format(values["kind"], self.detail.code),
                line_id,
                lambda s: designations.delete_review(s, review),
                lambda s: designations.restore_review(s, review),
                self._reload_reviews,
            )
        )
        self._reload_reviews(review)
        self.review_message.setText(self.tr("Review added"))
        self.changed.emit()

    @Slot()
    def save_review(self) -> None:
        """Save the form over the selected review, its link to a decision included."""
        review = self._selected_review()
        if review is None or self.line_id is None or self.detail is None:
            return
        line_id, after = self.line_id, self.review_values()
        before = {
            "kind": review.kind,
            "status": review.status,
            "lead": review.lead,
            "started_on": review.started_on,
            "completed_on": review.completed_on,
            "findings": review.findings,
            "decision_id": review.decision_id,
        }
        if before == after:
            return

        def save(values: dict[str, Any]) -> Callable[[Session], object]:
            return lambda s: designations.record_review(s, line_id, review_id=review.id, **values)

        try:
            with self.context.database.session() as session:
                save(after)(session)
        except CommissioningError as error:
            self.review_message.setText(_problem_text(error))
            return
        self.undo_stack.push(
            RecordChange(
                self,
                self.tr("Edit {0} of {1}").format(review.kind, self.detail.code),
                line_id,
                save(before),
                save(after),
                lambda: self._reload_reviews(review.id),
            )
        )
        self._reload_reviews(review.id)
        self.review_message.setText(self.tr("Review saved"))
        self.changed.emit()

    def _reload_reviews(self, keep: uuid.UUID | None = None) -> None:
        if self.line_id is None:
            return
        if keep is None:
            selected = self._selected_review()
            keep = selected.id if selected is not None else None
        with self.context.database.session() as session:
            rows = designations.reviews_of(session, self.line_id)
        self.reviews_model.set_rows(rows)
        if not _reselect(self.reviews_table, rows, keep):
            self.new_review()

    # Who commissions -----------------------------------------------------------------------

    def _build_commissioners_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName(self.tr("Who commissions"))
        self.commissioners_model = RecordTableModel(
            [
                Column("body", self.tr("Commissioned by")),
                Column("lead_commissioner", self.tr("Lead commissioner")),
                Column("lead_contact", self.tr("Contact")),
                Column("effective_from", self.tr("From"), Kind.DATE),
                Column("effective_to", self.tr("To"), Kind.DATE),
                Column("reason", self.tr("Reason for the change")),
            ],
            self,
        )
        self.commissioners_table = DataTableView()
        self.commissioners_table.setModel(self.commissioners_model)
        self.commissioners_table.set_title(self.tr("Who commissions the service"))
        self.commissioners_table.setAccessibleName(self.tr("History of responsibility"))
        self.body_code = QLineEdit()
        self.body_code.setPlaceholderText(self.tr("Body code, such as DSCG"))
        self.body_code.setAccessibleName(self.tr("Commissioning body code"))
        self.lead_name = QLineEdit()
        self.lead_name.setPlaceholderText(self.tr("Lead commissioner"))
        self.lead_name.setAccessibleName(self.tr("Lead commissioner"))
        self.lead_contact = QLineEdit()
        self.lead_contact.setPlaceholderText(self.tr("Contact"))
        self.lead_contact.setAccessibleName(self.tr("Lead commissioner's contact"))
        self.responsibility_from = _date_edit(self.tr("Responsible from"))
        _set_date(self.responsibility_from, self.context.today())
        self.change_reason = QLineEdit()
        self.change_reason.setPlaceholderText(self.tr("Why responsibility changes"))
        self.change_reason.setAccessibleName(self.tr("Reason for the change"))
        self.change_button = QPushButton(self.tr("Record the &change"))
        self.change_button.setAccessibleName(self.tr("Record the change of responsibility"))
        self.responsibility_message = QLabel()
        self.responsibility_message.setAccessibleName(self.tr("Problem with the change"))
        form = QFormLayout()
        people = QHBoxLayout()
        people.addWidget(self.body_code)
        people.addWidget(self.lead_name, 1)
        people.addWidget(self.lead_contact, 1)
        form.addRow(self.tr("From now:"), people)
        when = QHBoxLayout()
        when.addWidget(self.responsibility_from)
        when.addWidget(self.change_reason, 1)
        form.addRow(self.tr("From:"), when)
        buttons = QHBoxLayout()
        buttons.addWidget(self.responsibility_message, 1)
        buttons.addWidget(self.change_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.commissioners_table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.change_button.clicked.connect(self.change_responsibility)
        return page

    @Slot()
    def change_responsibility(self) -> None:
        if self.line_id is None or self.detail is None:
            return
        line_id, body = self.line_id, self.body_code.text().strip().upper()
        lead, contact = self.lead_name.text(), self.lead_contact.text()
        starts, reason = _day(self.responsibility_from), self.change_reason.text()
        done, change = run_guarded(
            self,
            self.context,
            lambda session: responsibilities.change_responsibility(
                session, line_id, body, lead, contact, starts, reason
            ),
            self.tr("Change not recorded"),
            {"reason": self.change_reason},
            on_error=lambda error: self.responsibility_message.setText(_problem_text(error)),
        )
        if not done or change is None:
            return
        self.undo_stack.push(
            RecordChange(
                self,
                self.tr("Change who commissions {0}").format(self.detail.code),
                line_id,
                lambda s: responsibilities.cancel_change(s, change),
                lambda s: responsibilities.reinstate_change(s, change),
                self._reload_commissioners,
            )
        )
        self.responsibility_message.setText(self.tr("Change recorded"))
        self._reload_commissioners()
        self.changed.emit()

    def _reload_commissioners(self) -> None:
        if self.line_id is None:
            return
        with self.context.database.session() as session:
            self.commissioners_model.set_rows(responsibilities.history(session, self.line_id))

    # Shared --------------------------------------------------------------------------------

    def run_change(
        self, line_id: uuid.UUID, work: Callable[[Session], object], refresh: Callable[[], None]
    ) -> bool:
        """Undo or redo one change as one unit of work; the page shows it if its service is
        the one shown. A refusal (someone changed the record since) is shown, not raised."""
        try:
            with self.context.database.session() as session:
                work(session)
        except CommissioningError as error:
            QMessageBox.warning(self, self.tr("Cannot undo or redo"), _problem_text(error))
            return False
        if self.line_id == line_id:
            refresh()
        self.changed.emit()
        return True


def _reselect(table: DataTableView, rows: list[Any], row_id: uuid.UUID | None) -> bool:
    """Select the row with this id again after the model was reset; False if it is gone."""
    for number, row in enumerate(rows):
        if row.id == row_id:
            table.selectionModel().select(
                table.model().index(number, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            return True
    return False


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# An optional date shows its "not set" text at this, the earliest date it takes.
NO_DATE = QDate(1990, 1, 1)


def _date_edit(name: str, not_set: str = "") -> QDateEdit:
    """A date; with `not_set`, one that may be left empty (shown as that text)."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    edit.setAccessibleName(name)
    if not_set:
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText(not_set)
    return edit


def _set_date(edit: QDateEdit, day: date | None) -> None:
    edit.setDate(NO_DATE if day is None else QDate(day.year, day.month, day.day))


def _day(edit: QDateEdit) -> date:
    day = edit.date().toPython()
    assert isinstance(day, date)
    return day


def _date_of(edit: QDateEdit) -> date | None:
    """The date, or None when an optional date is left empty."""
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return None
    return _day(edit)


def _scrolling(page: QWidget) -> QScrollArea:
    """A page that scrolls rather than forcing the window wider than a small screen."""
    area = QScrollArea()
    area.setAccessibleName(page.accessibleName())
    area.setWidgetResizable(True)
    area.setWidget(page)
    return area
