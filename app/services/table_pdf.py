"""Tables printed as PDF (reportlab): loaded only when a table is printed, not at start."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    LayoutError,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from app import APP_TITLE
from app.formatting import format_date
from app.services.pdf import (
    BOLD_FONT,
    FONT,
    GREY_TEXT,
    NHS_BLUE,
    RULE,
    SHADE,
    NumberedCanvas,
    fit_text,
    markup,
    register_fonts,
    style,
)
from app.services.table_export import (
    Table,
    _is_number,
    _printed_text,
    _write_atomically,
    column_widths,
)

_FONT = FONT
_BOLD_FONT = BOLD_FONT
_FONT_SIZES = (8.0, 7.0, 6.0)  # smaller type only when the columns would not fit otherwise
_HEADER_BLUE = NHS_BLUE
_SHADE = SHADE
_RULE = RULE
_GREY_TEXT = GREY_TEXT
_CELL_PADDING = 4
_MARGIN = 15 * mm
_TOP_MARGIN = 22 * mm
_BOTTOM_MARGIN = 20 * mm
_PORTRAIT_COLUMNS = 6
_register_fonts = register_fonts
_style = style
_markup = markup


@dataclass(frozen=True)
class _ColumnText:
    """What one column needs, in points at 1pt type (so any size is one multiplication)."""

    widest: float  # the longest line of any cell or of the header
    longest_word: float  # the longest word of any cell or of the header
    widest_number: float  # the widest number, which must never wrap
    widest_date: float  # the widest date, which should not wrap if there is room
    numeric: bool  # every value a number: the column and its header align right


def _measure(header: str, values: list[object]) -> _ColumnText:
    def width(text: str, font: str = _FONT) -> float:
        return max((pdfmetrics.stringWidth(line, font, 1) for line in text.splitlines()), default=0)

    def word(text: str, font: str = _FONT) -> float:
        return max((pdfmetrics.stringWidth(w, font, 1) for w in text.split()), default=0)

    texts = [_printed_text(value) for value in values]
    return _ColumnText(
        widest=max([width(header, _BOLD_FONT), *(width(text) for text in texts)]),
        longest_word=max([word(header, _BOLD_FONT), *(word(text) for text in texts)]),
        widest_number=max(
            (width(t) for t, v in zip(texts, values, strict=True) if _is_number(v)), default=0
        ),
        widest_date=max(
            (width(t) for t, v in zip(texts, values, strict=True) if isinstance(v, date)),
            default=0,
        ),
        numeric=any(_is_number(v) for v in values)
        and all(v is None or _is_number(v) for v in values),
    )


def _fit_columns(columns: list[_ColumnText], available: float) -> tuple[float, list[float]]:
    """The largest type size (and its column widths) at which numbers and dates stay whole;
    failing that, the smallest size with only numbers whole; text wraps at words, and a word
    wider than a sixth of the page is split."""
    padding = 2 * _CELL_PADDING + 1
    word_cap = available / max(6, len(columns))
    attempts = [(size, True) for size in _FONT_SIZES] + [(_FONT_SIZES[-1], False)]
    for size, whole_dates in attempts:
        minimum = [
            size
            * max(
                column.widest_number,
                column.widest_date if whole_dates else 0,
                min(column.longest_word, word_cap / size),
            )
            + padding
            for column in columns
        ]
        if sum(minimum) <= available or (not whole_dates and size == _FONT_SIZES[-1]):
            natural = [size * column.widest + padding for column in columns]
            return size, column_widths(natural, minimum, available)
    raise AssertionError("unreachable: the last attempt always returns")


@dataclass(frozen=True)
class _PageDecoration:
    """What every page carries: marking top and bottom, title, date printed, page n of N."""

    title: str
    printed: str
    marking: str

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        width, height = canvas._pagesize
        left, right = _MARGIN, width - _MARGIN
        canvas.saveState()
        if self.marking:
            canvas.setFont(_BOLD_FONT, 9)
            canvas.setFillColor(colors.black)
            canvas.drawCentredString(width / 2, height - 9 * mm, self.marking)
            canvas.drawCentredString(width / 2, 7 * mm, self.marking)
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_GREY_TEXT)
        canvas.drawString(left, height - 15 * mm, _fit(self.title, right - left - 40 * mm))
        canvas.drawRightString(right, height - 15 * mm, self.printed)
        canvas.drawString(left, 13 * mm, APP_TITLE)
        canvas.drawRightString(right, 13 * mm, f"Page {page} of {pages}")
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(left, height - 16.5 * mm, right, height - 16.5 * mm)
        canvas.line(left, 15.5 * mm, right, 15.5 * mm)
        canvas.restoreState()


def _fit(text: str, width: float) -> str:
    return fit_text(text, width)


def _pdf_table(table: Table, available: float, split_in_row: bool) -> Flowable:
    count = max(len(table.headers), max((len(row) for row in table.rows), default=0))
    headers = [*table.headers, *[""] * (count - len(table.headers))]
    rows = [[*row, *[None] * (count - len(row))] for row in table.rows]
    columns = [_measure(headers[c], [row[c] for row in rows]) for c in range(count)]
    size, widths = _fit_columns(columns, available)

    cell = _style("cell", size)
    cell_right = _style("cell_right", size, alignment=TA_RIGHT)
    header = _style("header", size, fontName=_BOLD_FONT, textColor=colors.white)
    header_right = _style("header_right", size, parent=header, alignment=TA_RIGHT)
    data = [
        [
            Paragraph(_markup(text), header_right if column.numeric else header)
            for text, column in zip(headers, columns, strict=True)
        ],
        *(
            [
                Paragraph(_markup(_printed_text(value)), cell_right if _is_number(value) else cell)
                for value in row
            ]
            for row in rows
        ),
    ]
    pdf_table = PdfTable(
        data, colWidths=widths, repeatRows=1, splitInRow=1 if split_in_row else 0, hAlign="LEFT"
    )
    pdf_table.setStyle(
        TableStyle(
            [
                # Every cell holds a Paragraph, but the table still sets a font for each.
                ("FONTNAME", (0, 0), (-1, -1), _FONT),
                ("FONTSIZE", (0, 0), (-1, -1), size),
                ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BLUE),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _SHADE]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return pdf_table


def write_table_pdf(table: Table, path: str | os.PathLike[str], printed_on: date) -> None:
    """A4 (landscape beyond six columns), the header row on every page, fonts embedded."""
    _register_fonts()
    columns = max(len(table.headers), max((len(row) for row in table.rows), default=0))
    page_size = landscape(A4) if columns > _PORTRAIT_COLUMNS else portrait(A4)
    decoration = _PageDecoration(
        title=table.title, printed=f"Printed {format_date(printed_on)}", marking=table.marking
    )

    def build(target: Path, split_in_row: bool) -> None:
        document = SimpleDocTemplate(
            str(target),
            pagesize=page_size,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_TOP_MARGIN,
            bottomMargin=_BOTTOM_MARGIN,
            title=table.title,
            subject=table.marking or table.subtitle,
            author=APP_TITLE,
            creator=APP_TITLE,
            invariant=1,
            initialFontName=_FONT,
            lang="en-GB",
        )
        story: list[Flowable] = [
            Paragraph(_markup(table.title), _style("title", 15, fontName=_BOLD_FONT, leading=19))
        ]
        if table.subtitle:
            story.append(
                Paragraph(_markup(table.subtitle), _style("subtitle", 9, textColor=_GREY_TEXT))
            )
        story.append(Spacer(1, 4 * mm))
        if columns:
            story.append(_pdf_table(table, document.width, split_in_row))
        if not table.rows:
            story.append(Spacer(1, 3 * mm))
            story.append(Paragraph("There are no rows in this table.", _style("empty", 9)))
        document.build(story, canvasmaker=partial(NumberedCanvas, decorate=decoration.draw))

    def write(target: Path) -> None:
        try:
            build(target, split_in_row=False)
        except LayoutError:
            # A row taller than a page: only then split rows across pages, as reportlab
            # otherwise moves whole rows (which reads better).
            build(target, split_in_row=True)

    _write_atomically(Path(path), write)
