"""PDF reports read back: text, pages, bookmarks, embedded fonts, public packs, sameness."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.cli import main
from app.formatting import format_money
from app.models import Dispute
from app.services import meetings
from app.services.reports import KINDS, ReportRequest, write_meeting_packs, write_report
from app.services.reports.word import write_agenda_docx, write_minutes_docx
from app.store.database import Database

AS_OF = date(2026, 11, 24)  # as conftest builds the demo


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _held_meeting(database: Database) -> meetings.MeetingRow:
    with database.reader() as session:
        rows = meetings.list_meetings(session)
    return next(r for r in rows if r.status == "held" and r.body_short_name == "SCG")


@pytest.fixture
def packs(demo_database: Database, tmp_path: Path) -> tuple[Path, Path, meetings.MeetingDetail]:
    meeting = _held_meeting(demo_database)
    full, public = tmp_path / "full.pdf", tmp_path / "public.pdf"
    write_meeting_packs(demo_database, str(meeting.id), full, public, AS_OF)
    with demo_database.reader() as session:
        detail = meetings.meeting_detail(session, meeting.id)
    return full, public, detail


def test_pack_pages_say_n_of_n_and_carry_the_body_and_title(packs: tuple) -> None:
    full, _public, detail = packs
    reader = PdfReader(full)
    count = len(reader.pages)
    assert count > 4
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {count}" in text
        assert detail.body in text
    assert "CONFIDENTIAL" in reader.pages[0].extract_text()


def test_pack_has_bookmarks_and_a_contents_page(packs: tuple) -> None:
    full, _public, _detail = packs
    reader = PdfReader(full)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Agenda" in titles and "Action log" in titles and "Contents" in titles
    assert "Contents" in reader.pages[1].extract_text()


def test_every_font_is_embedded(packs: tuple) -> None:
    full, _public, _detail = packs
    reader = PdfReader(full)
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant.get("/FontDescriptor")
            assert descriptor is not None, font["/BaseFont"]
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            seen.add(str(font["/BaseFont"]))
    assert seen and not any("Helvetica" in name or "Times" in name for name in seen)


def test_public_pack_leaves_out_confidential_items_and_says_so(
    packs: tuple, demo_database: Database
) -> None:
    full, public, detail = packs
    confidential = [i for i in detail.agenda if i.confidential]
    assert confidential
    full_text, public_text = _text(full), _text(public)
    with demo_database.reader() as session:
        dispute_titles = list(session.scalars(select(Dispute.title)))
    for item in confidential:
        assert item.title in full_text
        assert item.title not in public_text
        assert item.minutes not in public_text
        assert item.reference in public_text
    flat = re.sub(r"\s+", " ", public_text)
    for title in dispute_titles:
        assert title not in flat
    assert "leaves out" in flat
    assert "CONFIDENTIAL" not in public_text


def test_same_data_and_date_give_a_byte_identical_file(
    demo_database: Database, tmp_path: Path
) -> None:
    meeting = _held_meeting(demo_database)
    request = ReportRequest("meeting-pack", AS_OF, meeting=str(meeting.id))
    write_report(demo_database, request, tmp_path / "a.pdf")
    write_report(demo_database, request, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def _flat(path: Path) -> str:
    return re.sub(r"\s+", " ", _text(path))


@pytest.mark.parametrize("contract", [None, "DSCG-2026-RX7"])
def test_monitoring_report_figures_equal_the_figures_on_screen(
    qtbot, demo_database: Database, tmp_path: Path, contract: str | None
) -> None:
    """Each service line's row in the Contracts tab, cell for cell, is a row of the report."""
    from PySide6.QtCore import Qt

    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.contracts_tab import ContractsTab

    context = UiContext(demo_database, Settings(), tmp_path / "log", AS_OF, True)
    tab = ContractsTab(context)
    qtbot.addWidget(tab)
    page = tab.monitoring
    qtbot.waitUntil(lambda: page.position is not None, timeout=20_000)
    if contract:
        with qtbot.waitSignal(page.loaded, timeout=20_000):
            page.contract_choice.setCurrentIndex(page.contract_choice.findData(contract))
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.dimension_choice.setCurrentIndex(page.dimension_choice.findData("service_line"))
    model = page.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    shown = ["Name", "Plan (year)", "Plan to date", "Actual to date", "Variance", "Variance %"]
    columns = [headers.index(h) for h in shown]
    screen = [[model.index(r, c).data() for c in columns] for r in range(model.rowCount())]
    assert len(screen) >= 3

    path = tmp_path / "monitoring.pdf"
    write_report(demo_database, ReportRequest("monitoring", AS_OF, contract=contract), path)
    text = _flat(path)
    for label, *figures in screen:
        # The report wraps long names within the cell; the figures follow the name's end.
        assert " ".join(figures) in text, (label, figures)
        assert label.split()[0] in text
    total = page.position.total
    assert format_money(total.actual_cost_ytd) in text


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "meeting-pack"])
def test_every_report_kind_is_written(demo_database: Database, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.pdf"
    request = ReportRequest(
        kind, AS_OF, start=date(2025, 4, 1) if kind == "decisions" else None,
        end=date(2026, 11, 30) if kind == "decisions" else None,
    )  # fmt: skip
    written = write_report(demo_database, request, path)
    reader = PdfReader(path)
    assert len(reader.pages) == written.pages
    assert f"Page 1 of {written.pages}" in reader.pages[0].extract_text()


def test_annual_report_has_the_framework_and_the_benchmarking_tool(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "annual.pdf"
    write_report(demo_database, ReportRequest("annual", AS_OF), path)
    text = re.sub(r"\s+", " ", _text(path))
    headings = (
        "Service Designation",
        "Service Review",
        "Routine Contract Management",
        "fitness-for-purpose",
        "Benchmarking tool",
        "Disputes needing arbitration",
    )
    for heading in headings:
        assert heading in text


def test_attention_report_lists_what_needs_attention(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "attention.pdf"
    write_report(demo_database, ReportRequest("attention", AS_OF), path)
    text = _text(path)
    assert "Designations ending within 12 months" in text
    assert "Publish the approved minutes" in text


def test_cli_writes_a_report_and_lists_meetings(
    demo_database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = (
        str(demo_database.path) if demo_database.path else demo_database.url.render_as_string(False)
    )
    assert main(["meetings", "list", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    held = next(r for r in rows if r["status"] == "held")
    out = tmp_path / "pack.pdf"
    code = main(["report", "meeting-pack", "--meeting", held["held_on"], "--public",
                 "--out", str(out), "--db", db, "--as-of", "2026-11-24"])  # fmt: skip
    assert code == 0 and out.exists()
    assert main(["report", "decisions", "--out", str(out), "--db", db]) == 3


def test_agenda_and_minutes_as_docx(packs: tuple, tmp_path: Path) -> None:
    from docx import Document

    _full, _public, detail = packs
    agenda = write_agenda_docx(detail, tmp_path / "agenda.docx", public=True)
    minutes = write_minutes_docx(detail, tmp_path / "minutes.docx")
    agenda_text = "\n".join(
        cell.text
        for table in Document(str(agenda)).tables
        for row in table.rows
        for cell in row.cells
    )
    assert detail.agenda[0].title in agenda_text
    assert all(i.title not in agenda_text for i in detail.agenda if i.confidential)
    assert any(detail.agenda[2].title in p.text for p in Document(str(minutes)).paragraphs)


def _paper_pdf(path: Path, marks: list[str], landscape: bool = False) -> Path:
    """A PDF as a presenter would send it: one page per mark, with the mark as its text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.pdfgen.canvas import Canvas

    size = turned(A4) if landscape else A4
    canvas = Canvas(str(path), pagesize=size, invariant=1)
    for mark in marks:
        canvas.setFont("Helvetica", 28)
        canvas.drawString(72, size[1] - 120, mark)
        canvas.showPage()
    canvas.save()
    return path


def _item_for_paper(database: Database, confidential: bool = False) -> tuple[str, str]:
    meeting = _held_meeting(database)
    with database.session() as session:
        row = meetings.add_agenda_item(
            session, meeting.id, "Business case for a new service", purpose="decision",
            confidential=confidential,
        )  # fmt: skip
    return str(meeting.id), str(row.id)


def test_an_uploaded_pdf_paper_is_carried_in_the_pack_with_every_page_counted(
    demo_database: Database, tmp_path: Path
) -> None:
    import uuid

    meeting, item = _item_for_paper(demo_database)
    before, _ = write_meeting_packs(
        demo_database, meeting, tmp_path / "before.pdf", tmp_path / "p0.pdf", AS_OF
    )
    paper = _paper_pdf(tmp_path / "business-case.pdf", ["ZEBRA ONE", "ZEBRA TWO", "ZEBRA 3"])
    with demo_database.session() as session:
        meetings.update_agenda_item(session, uuid.UUID(item), paper=str(paper))
    paper.unlink()  # the pack reads the copy kept in the database, not the file
    full, _public = write_meeting_packs(
        demo_database, meeting, tmp_path / "full.pdf", tmp_path / "public.pdf", AS_OF
    )
    # The first page may share a page with the item's heading.
    assert before.pages + 2 <= full.pages <= before.pages + 3
    reader = PdfReader(full.path)
    pages = [page.extract_text() for page in reader.pages]
    where = [n for n, text in enumerate(pages) if "ZEBRA" in text]
    assert len(where) == 3 and where == list(range(where[0], where[0] + 3))
    for number in where:
        assert f"Page {number + 1} of {full.pages}" in pages[number]
        assert "business-case.pdf, page" in pages[number]
    assert "ZEBRA ONE" in pages[where[0]] and "ZEBRA 3" in pages[where[2]]
    # The same data and date give the same bytes, papers included.
    again = tmp_path / "again.pdf"
    write_report(demo_database, ReportRequest("meeting-pack", AS_OF, meeting=meeting), again)
    assert again.read_bytes() == full.path.read_bytes()


def test_a_confidential_items_uploaded_paper_stays_out_of_the_public_pack(
    demo_database: Database, tmp_path: Path
) -> None:
    import uuid

    meeting, item = _item_for_paper(demo_database, confidential=True)
    paper = _paper_pdf(tmp_path / "offer.pdf", ["SECRET OFFER"], landscape=True)
    with demo_database.session() as session:
        meetings.update_agenda_item(session, uuid.UUID(item), paper=str(paper))
    full, public = write_meeting_packs(
        demo_database, meeting, tmp_path / "full.pdf", tmp_path / "public.pdf", AS_OF
    )
    assert "SECRET OFFER" in _text(full.path)
    assert "SECRET OFFER" not in _text(public.path)


def test_a_paper_that_is_not_a_pdf_is_refused_naming_the_file(
    demo_database: Database, tmp_path: Path
) -> None:
    import uuid

    from app.errors import InputRejected

    _meeting, item = _item_for_paper(demo_database)
    fake = tmp_path / "minutes.pdf"
    fake.write_text("these are not the bytes of a PDF")
    with pytest.raises(InputRejected) as refused, demo_database.session() as session:
        meetings.update_agenda_item(session, uuid.UUID(item), paper=str(fake))
    assert str(fake) in str(refused.value) and "not a PDF" in str(refused.value)
    with demo_database.reader() as session:
        assert meetings.paper_document(session, uuid.UUID(item)) is None


def test_a_written_report_is_previewed_inside_the_application_page_by_page(
    qtbot, tmp_path: Path
) -> None:
    from app.ui.pdf_preview import PdfPreview

    paper = _paper_pdf(tmp_path / "paper.pdf", ["FIRST", "SECOND"], landscape=False)
    preview = PdfPreview(paper, tmp_path / "log", None)
    qtbot.addWidget(preview)
    preview.show()
    with qtbot.waitSignal(preview.drawn, timeout=20_000) as drawn:
        pass
    assert drawn.args == [2]
    pages = [preview.page_layout.itemAt(i).widget() for i in range(2)]
    assert [p.accessibleName() for p in pages] == ["Page 1 of 2", "Page 2 of 2"]
    width = pages[0].pixmap().width()
    assert abs(width - 595.3 * 1.25) <= 2  # A4 at 125%
    # The page is drawn: not blank white.
    image = pages[0].pixmap().toImage()
    assert any(
        image.pixelColor(x, y).value() < 128 for x in range(80, 400, 2) for y in range(110, 155)
    )
    with qtbot.waitSignal(preview.drawn, timeout=20_000):
        preview.step_zoom(1)
    grown = preview.page_layout.itemAt(0).widget().pixmap().width()
    assert grown > width
    preview.grab().save(str(tmp_path / "preview.png"))
