"""What every PDF the product writes shares: embedded fonts, colours, text, numbered pages."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab import __file__ as reportlab_file
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# Bitstream Vera ships inside reportlab itself, so a frozen program always has it; embedded,
# the PDF reads the same on every machine (the base-14 fonts are not embedded).
FONT = "Vera"
BOLD_FONT = "VeraBd"
ITALIC_FONT = "VeraIt"
BOLD_ITALIC_FONT = "VeraBI"

NHS_BLUE = colors.HexColor("#005EB8")
DARK_BLUE = colors.HexColor("#003087")
SHADE = colors.HexColor("#EEF3F7")
RULE = colors.HexColor("#AEB7BD")
GREY_TEXT = colors.HexColor("#425563")
WARNING_RED = colors.HexColor("#D5281B")
GOOD_GREEN = colors.HexColor("#007F3B")
AMBER = colors.HexColor("#ED8B00")

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def register_fonts() -> None:
    """Register the Vera family once per process (reportlab keeps a global registry)."""
    if BOLD_ITALIC_FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = os.path.join(os.path.dirname(reportlab_file), "fonts")
    for name, file_name in (
        (FONT, "Vera.ttf"),
        (BOLD_FONT, "VeraBd.ttf"),
        (ITALIC_FONT, "VeraIt.ttf"),
        (BOLD_ITALIC_FONT, "VeraBI.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file_name)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=BOLD_FONT, italic=ITALIC_FONT, boldItalic=BOLD_ITALIC_FONT
    )


def style(name: str, size: float, **kwargs: Any) -> ParagraphStyle:
    """A paragraph style in Vera; bullets too (their default, Helvetica, would not embed)."""
    options: dict[str, Any] = {
        "fontName": FONT,
        "bulletFontName": FONT,
        "fontSize": size,
        "leading": size * 1.25,
        "alignment": TA_LEFT,
    }
    options.update(kwargs)
    return ParagraphStyle(name, **options)


def markup(text: str) -> str:
    """Text made safe for a reportlab Paragraph, line breaks kept."""
    clean = _CONTROL_CHARACTERS.sub("", text).replace("\t", " ")
    lines = clean.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(escape(line) for line in lines)


def fit_text(text: str, width: float, font: str = FONT, size: float = 7.5) -> str:
    """The text cut with an ellipsis so that it fits `width` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


PageDecorator = Callable[[Canvas, int, int], None]


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Holds every page back until the end, so each can say how many pages there are."""

    def __init__(self, *args: Any, decorate: PageDecorator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def layout_page(self) -> int:
        """The number of the page being laid out (pages are held back until the end)."""
        return len(self._pages) + 1

    def save(self) -> None:
        count = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, count)
            super().showPage()
        super().save()
