"""Wherever a screen writes narrative text, a ten-digit reference the guard takes for an NHS
number can be confirmed as not one, with a reason kept against the record it is in: meetings,
the annual self-assessment, the Definitions Set editor and over-performance investigations
(the case study and dispute screens are tested in test_logs_tabs.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sqlalchemy import select

from app.models import NotAnNhsNumber
from app.settings import Settings
from app.ui.context import UiContext

AS_OF = date(2026, 11, 24)
INVOICE = "9434765919"  # passes the modulus 11 check, as an invoice number may
TEXT = f"Invoice {INVOICE} from the trust was queried."


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The question is an edge: record it and answer that the number is an invoice number."""
    asked: list[str] = []

    def get_text(_parent, _title, label, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(label)
        return "Trust invoice number", True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return asked


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def show(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", show)
    monkeypatch.setattr(QMessageBox, "warning", show)
    return shown


def confirmed(database) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return set(
            session.execute(
                select(NotAnNhsNumber.record_type, NotAnNhsNumber.field).where(
                    NotAnNhsNumber.digits == INVOICE
                )
            ).all()
        )


def context(database, tmp_path: Path) -> UiContext:  # type: ignore[no-untyped-def]
    return UiContext(database, Settings(), tmp_path / "log", AS_OF, is_demo=True)


def test_a_number_in_a_meetings_declaration_and_action_is_confirmed(
    qtbot, demo_database, tmp_path: Path, answers, errors
) -> None:
    from app.services import meetings
    from app.ui.meetings_tab import MeetingsTab

    tab = MeetingsTab(context(demo_database, tmp_path))
    qtbot.addWidget(tab)
    with demo_database.session() as session:
        meeting = next(m for m in meetings.list_meetings(session) if m.status == "planned")
    assert (
        tab.run_change(lambda s: meetings.add_declaration(s, meeting.id, "Gareth Lowe", TEXT))
        is not None
    )
    assert (
        tab.run_change(lambda s: meetings.add_action(s, meeting.id, TEXT, "Finance lead", AS_OF))
        is not None
    )
    assert errors == [] and len(answers) == 2
    assert confirmed(demo_database) == {("declaration", "interest"), ("action", "text")}


def test_a_number_in_the_self_assessments_evidence_is_confirmed(
    qtbot, demo_database, tmp_path: Path, answers, errors
) -> None:
    from app.ui.assessment_dialog import AssessmentDialog

    dialog = AssessmentDialog(context(demo_database, tmp_path))
    qtbot.addWidget(dialog)
    row = next(n for n in range(dialog.fitness.rowCount()) if dialog.fitness.index(n, 0).data())
    assert dialog.fitness.setData(dialog.fitness.index(row, 4), TEXT)
    assert errors == [] and len(answers) == 1
    assert confirmed(demo_database) == {("fitness_score", "evidence")}


def test_a_number_in_a_service_reviews_findings_is_confirmed(
    qtbot, database, tmp_path: Path, answers, errors
) -> None:
    from app.ui.definitions_tab import DefinitionsTab

    tab = DefinitionsTab(context(database, tmp_path))
    qtbot.addWidget(tab)
    tab.show()
    line = next(r.id for r in tab.model.rows() if r.code == "10")
    tab.select_line(line)
    editor = tab.editor
    editor.review_lead.setText("Network lead")
    editor.review_findings.setText(TEXT)
    editor.add_review()
    assert editor.review_message.text() == "Review added"
    assert errors == [] and len(answers) == 1
    assert confirmed(database) == {("service_review", "findings")}


def test_a_number_in_an_investigations_actions_is_confirmed(
    qtbot, demo_database, tmp_path: Path, answers, errors
) -> None:
    from app.services import monitoring
    from app.services.demo import CONTRACT_YEARS
    from app.ui.contracts_tab import InvestigationDialog

    views = monitoring.flag_overperformance(demo_database, CONTRACT_YEARS[-1], AS_OF)
    dialog = InvestigationDialog(context(demo_database, tmp_path), views)
    qtbot.addWidget(dialog)
    dialog.actions_edit.setPlainText(TEXT)
    dialog.save()
    assert errors == [] and len(answers) == 1
    assert dialog.views[dialog.choice.currentIndex()].actions == TEXT
    assert confirmed(demo_database) == {("overperformance_investigation", "actions")}


def test_a_number_that_is_not_confirmed_is_refused_and_nothing_is_kept(
    qtbot, demo_database, tmp_path: Path, errors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import meetings
    from app.ui.meetings_tab import MeetingsTab

    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("", False))
    tab = MeetingsTab(context(demo_database, tmp_path))
    qtbot.addWidget(tab)
    with demo_database.session() as session:
        meeting = next(m for m in meetings.list_meetings(session) if m.status == "planned")
    assert (
        tab.run_change(lambda s: meetings.add_declaration(s, meeting.id, "Gareth Lowe", TEXT))
        is None
    )
    assert "NHS number" in errors[0]
    assert confirmed(demo_database) == set()


def test_a_number_in_a_contract_notices_reason_and_a_quality_comment_is_confirmed(
    qtbot, demo_database, tmp_path: Path, answers: list[str], errors: list[str]
) -> None:
    from decimal import Decimal

    from app.ui.contract_pages import NoticeValues
    from app.ui.contracts_tab import ContractsTab

    context = UiContext(demo_database, Settings(), tmp_path / "log", AS_OF, True)
    tab = ContractsTab(context)
    qtbot.addWidget(tab)
    notices = tab.notices
    notices.reload()
    values = NoticeValues(
        "DSCG-2026-RX2", "fine", TEXT, date(2026, 10, 1), Decimal("5000"), None, None
    )
    assert notices.add_notice(values) is not None
    assert ("contract_notice", "reason") in confirmed(demo_database)
    from app.services import quality

    line, point = quality.contract_lines(demo_database, "DSCG-2026-RX2")[0]
    standard = quality.add_quality_standard(
        demo_database, "DSCG-2026-RX2", line, point, "Data on time", "95%"
    )
    tab.quality.record_result(standard, "2026/27 Q2", "92%", True, TEXT)
    assert ("quality_result", "comment") in confirmed(demo_database)
    assert len(answers) == 2 and errors == []
