"""Agendas and minutes as .docx, for secretariats who finish their papers in Word."""

from __future__ import annotations

import os
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from app.formatting import format_date
from app.services.meetings import MeetingDetail
from app.services.reports.meeting_pack import PURPOSES, WITHHELD

BLUE = RGBColor(0x00, 0x5E, 0xB8)


def _document(detail: MeetingDetail, title: str, confidential: bool) -> WordDocument:
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = detail.body
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    if confidential:
        marking = document.add_paragraph()
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = marking.add_run("CONFIDENTIAL: contains items not for publication")
        run.bold = True
        run.font.color.rgb = RGBColor(0xD5, 0x28, 0x1B)
    heading = document.add_heading(title, level=0)
    for run in heading.runs:
        run.font.color.rgb = BLUE
    document.add_paragraph(
        f"{detail.body}\n{format_date(detail.held_on)}, {detail.starts_at:%H:%M} to "
        f"{detail.ends_at:%H:%M}\n{detail.venue}"
    )
    return document


def _table(document: WordDocument, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def write_agenda_docx(
    detail: MeetingDetail, path: str | os.PathLike[str], public: bool = False
) -> Path:
    confidential = not public and detail.has_confidential
    document = _document(detail, f"Agenda: {detail.body_short_name} meeting", confidential)
    _table(
        document,
        ["Item", "Time", "Title", "Presenter", "Purpose"],
        [
            [
                item.reference,
                item.starts_at,
                WITHHELD if public and item.confidential else item.title,
                "" if public and item.confidential else item.presenter,
                PURPOSES.get(item.purpose, item.purpose),
            ]
            for item in detail.agenda
        ]
        + [["", f"{detail.ends_at:%H:%M}", "Close", "", ""]],
    )
    target = Path(path)
    document.save(str(target))
    return target


def write_minutes_docx(
    detail: MeetingDetail, path: str | os.PathLike[str], public: bool = False
) -> Path:
    confidential = not public and detail.has_confidential
    document = _document(detail, f"Minutes: {detail.body_short_name} meeting", confidential)
    present = [a for a in detail.attendance if a.status == "present"]
    apologies = [a for a in detail.attendance if a.status == "apologies"]
    document.add_heading("Present", level=2)
    document.add_paragraph(
        "; ".join(
            f"{a.name}{' (deputy)' if a.as_deputy else ''}, {a.representing}" for a in present
        )
        or "Not recorded."
    )
    if apologies:
        document.add_heading("Apologies", level=2)
        document.add_paragraph("; ".join(a.name for a in apologies))
    document.add_paragraph(f"Quorum: {detail.quorum.text}.")
    if detail.declarations:
        document.add_heading("Declarations of interest", level=2)
        for declaration in detail.declarations:
            document.add_paragraph(
                f"{declaration.member_name} ({declaration.item_reference}): "
                f"{declaration.interest} {declaration.action_taken}",
                style="List Bullet",
            )
    for item in detail.agenda:
        if public and item.confidential:
            document.add_heading(f"{item.reference} {WITHHELD}", level=2)
            continue
        document.add_heading(f"{item.reference} {item.title}", level=2)
        document.add_paragraph(item.minutes or "No minute recorded.")
        for decision in detail.decisions:
            if decision.reference == item.reference:
                paragraph = document.add_paragraph()
                paragraph.add_run("Decision: ").bold = True
                paragraph.add_run(decision.text)
                if decision.arithmetic:
                    document.add_paragraph(f"Vote: {decision.arithmetic}.")
    document.add_heading("Actions", level=2)
    _table(
        document,
        ["Action", "Owner", "Due", "Status"],
        [
            [a.text, a.owner, format_date(a.due_on), "Overdue" if a.overdue else a.status]
            for a in detail.actions
        ],
    )
    target = Path(path)
    document.save(str(target))
    return target
