"""A board paper as reportlab builds it: cover, contents, headings, tables, charts, pages."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app import APP_TITLE
from app.formatting import format_date
from app.services.pdf import (
    BOLD_FONT,
    DARK_BLUE,
    FONT,
    GREY_TEXT,
    NHS_BLUE,
    RULE,
    SHADE,
    WARNING_RED,
    NumberedCanvas,
    fit_text,
    markup,
    register_fonts,
    style,
)

MARGIN = 18 * mm
TOP_MARGIN = 24 * mm
BOTTOM_MARGIN = 20 * mm
CONTENTS_AFTER_PAGES = 4  # a contents page for anything longer than this

Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    return None


STYLES = {
    "h0": style("h0", 16, fontName=BOLD_FONT, leading=20, textColor=DARK_BLUE, spaceAfter=6),
    "h1": style("h1", 12.5, fontName=BOLD_FONT, leading=16, textColor=NHS_BLUE, spaceBefore=8,
                spaceAfter=4),
    "h2": style("h2", 10.5, fontName=BOLD_FONT, leading=13, textColor=DARK_BLUE, spaceBefore=6,
                spaceAfter=3),
    "body": style("body", 9.5, leading=13, spaceAfter=5),
    "note": style("note", 8.5, leading=11, textColor=GREY_TEXT, spaceAfter=4),
    "warning": style("warning", 9, leading=12, textColor=WARNING_RED, fontName=BOLD_FONT,
                     spaceAfter=4),
    "cell": style("cell", 8, leading=10),
    "cell_right": style("cell_right", 8, leading=10, alignment=TA_RIGHT),
    "cell_bold": style("cell_bold", 8, leading=10, fontName=BOLD_FONT),
    "cell_bold_right": style("cell_bold_right", 8, leading=10, fontName=BOLD_FONT,
                             alignment=TA_RIGHT),
    "header": style("header", 8, leading=10, fontName=BOLD_FONT, textColor=colors.white),
    "header_right": style("header_right", 8, leading=10, fontName=BOLD_FONT,
                          textColor=colors.white, alignment=TA_RIGHT),
    "toc0": style("toc0", 10, leading=15, fontName=BOLD_FONT),
    "toc1": style("toc1", 9, leading=12, leftIndent=12),
    "cover_title": style("cover_title", 26, leading=31, fontName=BOLD_FONT,
                         textColor=colors.white),
    "cover_sub": style("cover_sub", 13, leading=17, textColor=colors.white),
    "cover_fact": style("cover_fact", 10.5, leading=15, textColor=DARK_BLUE),
}  # fmt: skip


class Heading(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A heading that becomes a bookmark and a line of the contents."""

    def __init__(self, text: str, level: int, in_contents: bool = True) -> None:
        super().__init__(markup(text), STYLES[f"h{min(level, 2)}"])
        self.plain = text
        self.level = level
        self.in_contents = in_contents


@dataclass
class _Contents:
    """The contents as one build finds it: entries from the headings, places from the lines.

    The contents lines are fixed-height placeholders that remember where they were drawn;
    their text and page numbers are drawn when the pages are finished (see NumberedCanvas),
    so one pass through the layout is enough.
    """

    entries: list[tuple[int, str, int, str]] = field(default_factory=list)
    places: list[tuple[int, float, float, float]] = field(default_factory=list)


class ContentsLine(Flowable):  # type: ignore[misc]
    def __init__(self, contents: _Contents, level: int) -> None:
        super().__init__()
        self.contents, self.level = contents, level
        self.height = 15 if level == 0 else 12.5

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self.contents.places.append((self.canv.getPageNumber(), x, y, self.width))


class Cover(Flowable):  # type: ignore[misc]
    """The first page's title block: a blue panel with the title, then the facts."""

    def __init__(self, title: str, subtitle: str, width: float) -> None:
        super().__init__()
        self.title = Paragraph(markup(title), STYLES["cover_title"])
        self.subtitle = Paragraph(markup(subtitle), STYLES["cover_sub"]) if subtitle else None
        self.width = width
        self.inner = width - 20 * mm

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        _, title_height = self.title.wrap(self.inner, available_height)
        sub_height = self.subtitle.wrap(self.inner, available_height)[1] if self.subtitle else 0
        self.height = title_height + sub_height + 34 * mm
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(NHS_BLUE)
        canvas.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canvas.setFillColor(DARK_BLUE)
        canvas.rect(0, 0, self.width, 4 * mm, stroke=0, fill=1)
        y = self.height - 14 * mm
        _, title_height = self.title.wrap(self.inner, self.height)
        self.title.drawOn(canvas, 10 * mm, y - title_height)
        y -= title_height + 4 * mm
        if self.subtitle is not None:
            _, sub_height = self.subtitle.wrap(self.inner, self.height)
            self.subtitle.drawOn(canvas, 10 * mm, y - sub_height)


@dataclass(frozen=True)
class Placement:
    """Where one page of an uploaded PDF goes: a page of the report and a box on it."""

    page: int
    x: float
    y: float
    width: float
    height: float
    paper: int  # index into the writer's papers
    index: int  # the page of that paper


class PaperPage(Flowable):  # type: ignore[misc]
    """Room for one page of an uploaded PDF paper, filled with the page after the layout.

    The room is laid out like any flowable, so page numbers, "n of N", the contents and the
    bookmarks all count the paper's pages; the page itself is merged in with pypdf, scaled
    into the box drawn here with a hairline round it, like a sheet laid on the page.
    """

    # Less room than this left on a page and the paper's page starts on the next one.
    LEAST = 110 * mm
    CAPTION = 5 * mm

    def __init__(
        self,
        placements: list[Placement],
        paper: int,
        index: int,
        size: tuple[float, float],
        label: str,
    ) -> None:
        super().__init__()
        self.placements = placements
        self.paper = paper
        self.index = index
        self.size = size
        self.label = label

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        # Asking for a hair more than is left moves this to a fresh page.
        self.height = available_height if available_height >= self.LEAST else available_height + 1
        return self.width, self.height

    def _box(self) -> tuple[float, float, float, float]:
        """The scaled page's left, bottom, width and height within this flowable."""
        room_height = self.height - self.CAPTION
        scale = min(self.width / self.size[0], room_height / self.size[1])
        width, height = self.size[0] * scale, self.size[1] * scale
        return (self.width - width) / 2, room_height - height, width, height

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N803
        left, bottom, width, height = self._box()
        self.placements.append(
            Placement(
                canvas.layout_page(), x + left, y + bottom, width, height, self.paper, self.index
            )
        )
        super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        canvas = self.canv
        left, bottom, width, height = self._box()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY_TEXT)
        canvas.drawRightString(left + width, self.height - 3 * mm, self.label)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.rect(left, bottom, width, height, stroke=1, fill=0)


@dataclass
class ReportWriter:
    """Collects a report's parts in order, then writes the PDF in one go."""

    title: str
    body_name: str
    dated: date
    subtitle: str = ""
    marking: str = ""  # e.g. CONFIDENTIAL; printed at the top and bottom of every page
    cover_facts: list[tuple[str, str]] = field(default_factory=list)
    story: list[Flowable] = field(default_factory=list)
    base_level: int = 0
    charts: int = 0  # how many charts the report holds
    cover_note: str = ""  # said on the cover, in red (what a public edition leaves out)
    papers: list[bytes] = field(default_factory=list)  # uploaded PDFs whose pages it carries

    def __post_init__(self) -> None:
        register_fonts()  # paragraphs read their fonts as they are made
        self._placements: list[Placement] = []

    def pdf_paper(self, name: str, content: bytes) -> int:
        """Every page of an uploaded PDF, in place, each scaled to fit the page's text area;
        returns how many pages it has."""
        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(content)).pages
        self.papers.append(content)
        number = len(self.papers) - 1
        for index, page in enumerate(pages):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            if (page.rotation or 0) % 180:
                width, height = height, width
            label = f"{name}, page {index + 1} of {len(pages)}"
            self.story.append(PaperPage(self._placements, number, index, (width, height), label))
        return len(pages)

    # Parts ----------------------------------------------------------------------------------

    def heading(self, text: str, level: int = 0, new_page: bool = False) -> None:
        level += self.base_level
        if new_page:
            self.story.append(PageBreak())
        elif level == 0:
            self.story.append(CondPageBreak(60 * mm))
        else:
            self.story.append(CondPageBreak(30 * mm))
        self.story.append(Heading(text, level))

    def paragraph(self, text: str, kind: str = "body") -> None:
        self.story.append(Paragraph(markup(text), STYLES[kind]))

    def rich(self, text: str, kind: str = "body") -> None:
        """A paragraph whose text is already reportlab markup (bold, colour)."""
        self.story.append(Paragraph(text, STYLES[kind]))

    def spacer(self, height: float = 3 * mm) -> None:
        self.story.append(Spacer(1, height))

    def page_break(self) -> None:
        self.story.append(PageBreak())

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs in two columns, for a meeting's date, venue, quorum..."""
        rows = [
            [
                Paragraph(markup(label), STYLES["cell_bold"]),
                Paragraph(markup(value), STYLES["cell"]),
            ]
            for label, value in pairs
        ]
        table = Table(rows, colWidths=[45 * mm, self.width - 45 * mm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        self.story.append(table)
        self.spacer()

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float] | None = None,
        numeric: Sequence[int] = (),
        total: bool = False,
        highlight: Sequence[int] = (),
        empty: str = "None.",
    ) -> None:
        """A table that breaks across pages with its header repeated.

        `widths` are fractions of the text width; `numeric` the columns aligned right; `total`
        sets the last row in bold; `highlight` the rows shown in red (exceptions).
        """
        if not rows:
            self.paragraph(empty, "note")
            return
        count = len(headers)
        fractions = list(widths) if widths else [1 / count] * count
        column_widths = [self.width * f / sum(fractions) for f in fractions]
        data: list[list[Any]] = [
            [
                Paragraph(markup(h), STYLES["header_right" if c in numeric else "header"])
                for c, h in enumerate(headers)
            ]
        ]
        red = set(highlight)
        for r, row in enumerate(rows):
            bold = total and r == len(rows) - 1
            font = BOLD_FONT if bold else FONT
            cells: list[Any] = []
            for c, value in enumerate(row):
                if isinstance(value, Flowable):
                    cells.append(value)
                    continue
                text = "" if value is None else str(value)
                # Short text is drawn as a plain string: a Paragraph per cell is what makes
                # long reports slow, and only text that must wrap needs one.
                if "\n" not in text and (stringWidth(text, font, 8) <= column_widths[c] - 8.5):
                    cells.append(text)
                    continue
                name = "cell_bold" if bold else "cell"
                if c in numeric:
                    name += "_right"
                paragraph_style = STYLES[name]
                if r in red:
                    paragraph_style = ParagraphStyle(
                        f"{name}_red", parent=paragraph_style, textColor=WARNING_RED
                    )
                cells.append(Paragraph(markup(text), paragraph_style))
            data.append(cells)
        table = Table(data, colWidths=column_widths, repeatRows=1, hAlign="LEFT")
        commands: list[tuple[Any, ...]] = [
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LEADING", (0, 0), (-1, -1), 10),
            ("TEXTCOLOR", (0, 1), (-1, -1), colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), NHS_BLUE),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, SHADE]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("FONTNAME", (0, 0), (-1, -1), FONT),
        ]
        for c in numeric:
            commands.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
        if total:
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, DARK_BLUE))
            commands.append(("FONTNAME", (0, -1), (-1, -1), BOLD_FONT))
        for r in highlight:
            commands.append(("TEXTCOLOR", (0, r + 1), (-1, r + 1), WARNING_RED))
        table.setStyle(TableStyle(commands))
        self.story.append(table)
        self.spacer(4 * mm)

    def chart(self, drawing: Drawing, caption: str = "") -> None:
        self.charts += 1
        parts: list[Flowable] = [drawing]
        if caption:
            parts.append(Paragraph(markup(caption), STYLES["note"]))
        self.story.append(KeepTogether(parts))
        self.spacer(2 * mm)

    def keep(self, flowables: list[Flowable]) -> None:
        self.story.append(KeepTogether(flowables))

    @property
    def width(self) -> float:
        return A4[0] - 2 * MARGIN

    # Writing --------------------------------------------------------------------------------

    def _decorate(self, canvas: Canvas, page: int, pages: int) -> None:
        width, height = A4
        left, right = MARGIN, width - MARGIN
        canvas.saveState()
        if self.marking:
            canvas.setFont(BOLD_FONT, 9)
            canvas.setFillColor(WARNING_RED)
            canvas.drawCentredString(width / 2, height - 9 * mm, self.marking)
            canvas.drawCentredString(width / 2, 7 * mm, self.marking)
        canvas.setFont(BOLD_FONT, 7.5)
        canvas.setFillColor(DARK_BLUE)
        canvas.drawString(left, height - 15 * mm, fit_text(self.body_name, 80 * mm, BOLD_FONT))
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY_TEXT)
        canvas.drawRightString(right, height - 15 * mm, fit_text(self.title, 90 * mm))
        canvas.drawString(left, 12 * mm, format_date(self.dated))
        canvas.drawCentredString(width / 2, 12 * mm, APP_TITLE)
        canvas.drawRightString(right, 12 * mm, f"Page {page} of {pages}")
        canvas.setStrokeColor(NHS_BLUE)
        canvas.setLineWidth(0.8)
        canvas.line(left, height - 17 * mm, right, height - 17 * mm)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(left, 15 * mm, right, 15 * mm)
        canvas.restoreState()
        self._draw_contents(canvas, page)

    def _draw_contents(self, canvas: Canvas, page: int) -> None:
        found = getattr(self, "_contents", None)
        if found is None:
            return
        canvas.saveState()
        for number_in_list, ((level, text, target, key), (on_page, x, y, width)) in enumerate(
            zip(found.entries, found.places, strict=False)
        ):
            if on_page != page:
                continue
            font, size = (BOLD_FONT, 10) if level == 0 else (FONT, 9)
            indent = 0 if level == 0 else 12
            number = str(target)
            number_width = stringWidth(number, font, size)
            title = fit_text(text, width - indent - number_width - 30, font, size)
            baseline = y + 4
            canvas.setFillColor(colors.black if level == 0 else GREY_TEXT)
            canvas.setFont(font, size)
            canvas.drawString(x + indent, baseline, title)
            canvas.drawRightString(x + width, baseline, number)
            dots_from = x + indent + stringWidth(title, font, size) + 6
            dots_to = x + width - number_width - 6
            if dots_to > dots_from:
                canvas.setFont(FONT, size)
                dot = stringWidth(". ", FONT, size)
                canvas.drawRightString(dots_to, baseline, ". " * int((dots_to - dots_from) / dot))
            # Named, because the held-back pages each restart reportlab's own link counter.
            canvas.linkRect(
                "", key, (x, y, x + width, y + 12), relative=0, thickness=0,
                name=f"contents-{number_in_list}",
            )  # fmt: skip
        canvas.restoreState()

    def _opening(self, contents: _Contents | None) -> list[Flowable]:
        parts: list[Flowable] = [Cover(self.title, self.subtitle, self.width), Spacer(1, 8 * mm)]
        facts = [(label, value) for label, value in self.cover_facts if value]
        if facts:
            rows = [
                [Paragraph(markup(k), STYLES["cell_bold"]), Paragraph(markup(v), STYLES["cell"])]
                for k, v in facts
            ]
            table = Table(rows, colWidths=[40 * mm, self.width - 40 * mm], hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), FONT),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ]
                )
            )
            parts += [table, Spacer(1, 6 * mm)]
        if self.marking:
            parts.append(Paragraph(markup(self.marking), STYLES["warning"]))
        if self.cover_note:
            parts.append(Paragraph(markup(self.cover_note), STYLES["warning"]))
        if contents is not None:
            levels = [
                f.level
                for f in self.story
                if isinstance(f, Heading) and f.in_contents and f.level <= 1
            ]
            parts += [
                PageBreak(),
                Heading("Contents", 0, in_contents=False),
                Spacer(1, 2 * mm),
                *(ContentsLine(contents, level) for level in levels),
                PageBreak(),
            ]
        return parts

    def _build(self, target: Any, contents: bool) -> int:
        register_fonts()
        found = _Contents() if contents else None
        document = _Document(
            target,
            found,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            title=self.title,
            subject=self.subtitle,
            author=self.body_name,
            creator=APP_TITLE,
            invariant=1,
            initialFontName=FONT,
            lang="en-GB",
        )
        story = self._opening(found) + list(self.story)
        self._contents = found
        self._placements.clear()
        document.build(story, canvasmaker=partial(NumberedCanvas, decorate=self._decorate))
        return document.page

    def _merge_papers(self, laid_out: bytes) -> bytes:
        """The uploaded papers' pages drawn into the room kept for them."""
        from pypdf import PdfReader, PdfWriter, Transformation

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(laid_out)))
        # Each paper in a writer of its own, so its pages may be turned upright in place.
        sources = [PdfWriter(clone_from=PdfReader(io.BytesIO(c))) for c in self.papers]
        for place in self._placements:
            page = sources[place.paper].pages[place.index]
            page.transfer_rotation_to_content()
            box = page.mediabox
            scale = min(place.width / float(box.width), place.height / float(box.height))
            left = place.x - float(box.left) * scale
            bottom = place.y - float(box.bottom) * scale
            writer.pages[place.page - 1].merge_transformed_page(
                page, Transformation().scale(scale, scale).translate(left, bottom)
            )
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()

    def write(self, path: str | os.PathLike[str], progress: Progress = _no_progress) -> int:
        """Write the PDF (atomically); returns the number of pages."""
        progress(60, "Laying out the pages")
        # Long reports are the slow ones: build those with their contents straight away, and
        # build again without only when the result proves short.
        entries = sum(
            1 for f in self.story if isinstance(f, Heading) and f.in_contents and f.level <= 1
        )
        buffer = io.BytesIO()
        pages = self._build(buffer, contents=entries >= 3)
        if entries >= 3 and pages - 1 <= CONTENTS_AFTER_PAGES:
            progress(80, "Laying out a short report")
            buffer = io.BytesIO()
            pages = self._build(buffer, contents=False)
        content = buffer.getvalue()
        if self._placements:
            progress(90, "Adding the uploaded papers")
            content = self._merge_papers(content)
        target = Path(path)
        temporary = target.with_name(f".~{target.stem}-{secrets.token_hex(4)}{target.suffix}")
        try:
            temporary.write_bytes(content)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        progress(100, "Done")
        return pages


class _Document(BaseDocTemplate):  # type: ignore[misc]
    """One frame per page; headings become bookmarks and contents entries."""

    def __init__(self, target: Any, contents: _Contents | None, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.contents = contents
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="text", showBoundary=0
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self._bookmarks = 0
        self._outline_level = -1

    def handle_documentBegin(self) -> None:
        self._bookmarks = 0
        self._outline_level = -1
        super().handle_documentBegin()

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            self._bookmarks += 1
            key = f"section-{self._bookmarks}"
            self.canv.bookmarkPage(key)
            # An outline may go down only one level at a time.
            level = min(flowable.level, 2, self._outline_level + 1)
            self._outline_level = level
            self.canv.addOutlineEntry(flowable.plain, key, level=level)
            if self.contents is not None and flowable.in_contents and flowable.level <= 1:
                self.contents.entries.append((flowable.level, flowable.plain, self.page, key))
