"""The Home and Meetings tabs: attention lines open records; agenda, votes and packs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from app.services.attention import Kind
from app.settings import Settings
from app.ui.context import UiContext
from app.ui.home_tab import HomeTab
from app.ui.main_window import AREAS, MainWindow
from app.ui.meeting_dialogs import DecisionDialog
from app.ui.meetings_tab import MeetingsTab

AS_OF = date(2026, 11, 24)


@pytest.fixture
def context(demo_database, tmp_path: Path) -> UiContext:
    return UiContext(
        database=demo_database,
        settings=Settings.load(),
        log_file=tmp_path / "logs" / "commissioning.log",
        as_of=AS_OF,
        is_demo=True,
    )


@pytest.fixture
def window(qtbot, context: UiContext) -> MainWindow:
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


def test_home_is_the_first_tab(window: MainWindow) -> None:
    assert AREAS[0][0] == "home"
    assert isinstance(window.tabs.widget(0), HomeTab)


def test_home_lists_what_needs_attention(qtbot, qtmodeltester, context: UiContext) -> None:
    home = HomeTab(context)
    qtbot.addWidget(home)
    qtbot.waitUntil(lambda: home.is_loaded, timeout=60_000)
    qtmodeltester.check(home.model)
    assert home.count_of(Kind.ACTIONS) >= 1
    assert home.count_of(Kind.DESIGNATIONS) >= 1
    assert "need attention on 24 Nov 2026" in home.summary.text()


def test_an_action_line_opens_its_meeting_with_the_action_selected(
    qtbot, window: MainWindow
) -> None:
    home = window.tabs.widget(0)
    qtbot.waitUntil(lambda: home.is_loaded, timeout=60_000)
    number = next(n for n, row in enumerate(home.model.rows()) if row.kind == Kind.ACTIONS)
    action = home.model.row_at(number)
    home.table.setCurrentIndex(home.proxy.mapFromSource(home.model.index(number, 0)))
    home.open_selected()
    tab = window.current_page()
    assert isinstance(tab, MeetingsTab)
    assert tab.pages.currentIndex() == 4
    selected = tab._selected(tab.action_table, tab.action_model)
    assert selected is not None and selected.id == action.id


def test_a_designation_line_selects_the_service_in_its_tab(qtbot, window: MainWindow) -> None:
    home = window.tabs.widget(0)
    qtbot.waitUntil(lambda: home.is_loaded, timeout=60_000)
    number = next(n for n, r in enumerate(home.model.rows()) if r.kind == Kind.DESIGNATIONS)
    item = home.model.row_at(number)
    window.open_record(item.area, item.record_type, item.id)
    tab = window.current_page()
    assert tab.area == "definitions"
    index = tab.table.currentIndex()
    assert tab.model.row_at(tab.proxy.mapToSource(index).row()).id == item.id


def test_moving_an_agenda_item_is_undoable(qtbot, qtmodeltester, context: UiContext) -> None:
    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.agenda_model)
    before = [row.title for row in tab.agenda_model.rows()]
    tab.agenda_table.setCurrentIndex(tab.agenda_table.model().index(1, 0))
    tab.move_selected_item(-1)
    after = [row.title for row in tab.agenda_model.rows()]
    assert after == [before[1], before[0], *before[2:]]
    assert [row.reference for row in tab.agenda_model.rows()] == sorted(
        row.reference for row in tab.agenda_model.rows()
    )
    tab.undo_stack.undo()
    assert [row.title for row in tab.agenda_model.rows()] == before


def test_decision_dialog_shows_the_arithmetic_and_the_notice_warning(
    qtbot, context: UiContext
) -> None:
    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    assert tab.detail is not None and tab._rule is not None
    dialog = DecisionDialog(tab.detail, tab._rule, tab)
    qtbot.addWidget(dialog)
    dialog.binding.setChecked(True)
    dialog.votes_eligible.setValue(0.8)
    dialog.votes_for.setValue(0.6)
    assert "carried" in dialog.arithmetic.text() and "not" not in dialog.arithmetic.text()
    dialog.votes_for.setValue(0.59)
    assert "lapses" in dialog.arithmetic.text()
    dialog.financial.setChecked(True)
    dialog.notice_given.setChecked(True)
    dialog.notice_on.setDate(tab.detail.held_on.replace(day=1))
    assert "notice" in dialog.warning.text()
    assert dialog.values()["votes_for"] == Decimal("0.59")


def test_pack_is_produced_in_a_worker_in_both_editions(
    qtbot, context: UiContext, tmp_path: Path
) -> None:
    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    held = next(r for r in tab.meeting_model.rows() if r.status == "held")
    tab.select_meeting(held.id)
    tab.quiet = True
    progress: list[int] = []
    tab.progress_signals.changed.connect(lambda percent, _message: progress.append(percent))
    with qtbot.waitSignal(tab.pack_ready, timeout=60_000) as blocker:
        tab.produce_pack(tmp_path)
    full, public = blocker.args
    assert Path(full).exists() and Path(public).exists()
    assert len(PdfReader(full).pages) > len(PdfReader(public).pages) - 1
    assert progress and max(progress) == 100
    assert tab.pack_button.isEnabled()


def test_attendance_marks_a_deputy_and_updates_the_quorum(qtbot, context: UiContext) -> None:
    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    tab.pages.setCurrentIndex(1)
    proxy = tab.attendance_table.model()
    tab.attendance_table.setCurrentIndex(proxy.index(0, 0))
    tab.mark_attendance("present", True)
    assert tab.detail is not None
    assert tab.detail.attendance[0].as_deputy
    assert tab.attendance_model.row_at(0).name.endswith("(deputy)")
    assert "Quorum" in tab.quorum_label.text()
    assert tab.attendance_table.model().data(proxy.index(0, 2), Qt.ItemDataRole.DisplayRole)


def test_self_assessment_is_edited_and_reaches_the_annual_report(
    qtbot, qtmodeltester, context: UiContext
) -> None:
    from app.models import FinancialYear
    from app.services import annual
    from app.ui.assessment_dialog import AssessmentDialog

    dialog = AssessmentDialog(context)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.fitness)
    qtmodeltester.check(dialog.benchmarks)
    assert dialog.fitness.rowCount() == 35  # seeded with every criterion of the framework
    row = next(n for n in range(35) if dialog.fitness.index(n, 0).data() == "3.1")
    assert dialog.fitness.setData(dialog.fitness.index(row, 3), "p")
    assert dialog.fitness.setData(dialog.fitness.index(row, 4), "Joint working protocol")
    measure = next(
        n
        for n in range(dialog.benchmarks.rowCount())
        if dialog.benchmarks.index(n, 0).data() == "4"
    )
    index = dialog.benchmarks.index(measure, 4)
    assert dialog.benchmarks.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert dialog.benchmarks.setData(index, "65")
    computed = next(
        n
        for n in range(dialog.benchmarks.rowCount())
        if dialog.benchmarks.index(n, 0).data() == "5a"
    )
    assert not dialog.benchmarks.flags(dialog.benchmarks.index(computed, 4)) & (
        Qt.ItemFlag.ItemIsEditable
    )
    year = FinancialYear.containing(AS_OF)
    with context.database.reader() as session:
        scored = {r.id: r for r in annual.fitness_review(session, year)}
        bench = {r.id: r for r in annual.benchmark_table(session, year)}
    assert scored["3.1"].score == "P" and scored["3.1"].evidence == "Joint working protocol"
    assert bench["4"].years[2].text == "65%"


def test_a_new_meeting_is_added_and_numbered_on(qtbot, context: UiContext) -> None:
    from datetime import time as clock

    from app.services import meetings

    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    with context.database.session() as session:
        body = next(b for b, name in meetings.body_choices(session) if "Group" in name)
        created = meetings.create_meeting(session, body, date(2026, 12, 17), clock(14, 0))
        item = meetings.add_agenda_item(session, created, "Extra business", minutes_allotted=20)
        meetings.update_meeting(session, created, chair="Alison Ashby", status="planned")
    tab.reload()
    assert tab.select_meeting(created)
    assert tab.detail is not None and tab.detail.chair == "Alison Ashby"
    assert tab.detail.agenda[0].starts_at == "14:00"
    assert item.reference.startswith("SCG 26/")


@pytest.mark.parametrize("kind", ["monitoring", "decisions", "attention"])
def test_any_report_is_written_from_the_application_in_a_worker(
    qtbot, context: UiContext, tmp_path: Path, kind: str
) -> None:
    from app.ui.report_dialog import ReportDialog

    dialog = ReportDialog(context, kind)
    qtbot.addWidget(dialog)
    dialog.preview = False
    if kind == "decisions":
        dialog.use_period.setChecked(True)
        assert dialog.request().start is not None and dialog.request().meeting is None
    path = tmp_path / f"{kind}.pdf"
    with qtbot.waitSignal(dialog.written, timeout=60_000) as blocker:
        dialog.write_to(path)
    assert blocker.args[0].pages == len(PdfReader(path).pages)
    assert dialog.buttons.isEnabled()


def test_a_bodys_rules_are_edited_worked_through_and_undoable(
    qtbot, context: UiContext, message_boxes_never_block, tmp_path: Path
) -> None:
    from app.models import VotingRule
    from app.services import meetings

    tab = MeetingsTab(context)
    qtbot.addWidget(tab)
    dialog = tab.body_rules_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    body_id, before = dialog.settings.id, dialog.settings
    # A rule of the sources, taken as it stands: Thames Valley's 70% of members.
    dialog.preset.setCurrentIndex(
        dialog.preset.findText("Thames Valley", Qt.MatchFlag.MatchContains)
    )
    assert dialog.rule.currentData() == VotingRule.PROPORTION
    assert dialog.percent.value() == 70
    assert "are needed: carried" in dialog.worked.text()
    assert "are needed: not carried" in dialog.worked.text()
    # Then North West London's 6 of 8, with agenda numbers through the financial year.
    dialog.rule.setCurrentIndex(dialog.rule.findData(VotingRule.COUNT))
    dialog.count.setValue(6)
    dialog.of.setValue(8)
    dialog.numbering.setCurrentIndex(dialog.numbering.findData("financial"))
    assert dialog.preset.currentData() is None  # changed by hand: no longer the source's
    assert "5 of 8 members in favour; 6 of 8 needed: not carried" in dialog.worked.text()
    dialog.grab().save(str(tmp_path / "body-rules.png"))
    tab.save_body_rules(dialog)
    with context.database.reader() as session:
        saved = meetings.body_settings(session, body_id)
    assert (saved.voting_rule, saved.threshold, saved.rule_of, saved.numbering) == (
        VotingRule.COUNT,
        Decimal(6),
        8,
        "financial",
    )
    assert saved.rule_in_words == "binding when 6 of 8 members agree"
    tab.undo_stack.undo()
    with context.database.reader() as session:
        assert meetings.body_settings(session, body_id) == before
    tab.undo_stack.redo()
    with context.database.reader() as session:
        assert meetings.body_settings(session, body_id).rule_of == 8

    # A rule that cannot be: refused, field named, nothing changed, nothing on the stack.
    again = tab.body_rules_dialog()
    qtbot.addWidget(again)
    again.short_name.setText("S C G")
    count = tab.undo_stack.count()
    tab.save_body_rules(again)
    assert any("short_name" in text for _kind, text in message_boxes_never_block)
    assert tab.undo_stack.count() == count
    with context.database.reader() as session:
        assert meetings.body_settings(session, body_id).short_name == before.short_name
