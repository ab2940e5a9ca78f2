"""A sheet of an xlsx workbook streamed to CSV: a million rows in seconds, in little memory.

python-calamine, and every reader built on it, holds the whole sheet in memory: some 800 MB
for a million-row return, far over the import's 500 MB budget. openpyxl's streaming reader
takes minutes. So the sheet's XML is inflated a few megabytes at a time, and its rows and
cells are picked out with patterns written to the SpreadsheetML schema (ECMA-376 Part 1,
18.3.1: `row`, `c`, `v`, `is`). They are written as CSV for the return's CSV reader. The
small parts (relationships, workbook, styles and shared strings) are read with the standard
library's XML parser.

What the CSV holds:
- The header is the first row with more than one value: title rows of one value above it
  are passed over. (If none of the first 20 rows with values has more than one, it is the
  first of them.) Blank header cells are named `Unnamed: N`, and repeated names get `.1`,
  `.2`, as pandas names them.
- Each later row is one line as wide as the header. Cells beyond the header have no column
  to go to and are left out.
- Blank rows between rows with values are kept as blank lines of empty cells, so that each
  row keeps its number. Blank rows at the end are dropped.

How each cell is written:
- numbers as the workbook stores them;
- dates (a number in a date format) as `YYYY-MM-DD HH:MM:SS`;
- booleans as TRUE or FALSE;
- errors as their text (`#N/A`);
- text as it is, quoted where CSV needs it.
"""

from __future__ import annotations

import contextlib
import html
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, BinaryIO
from xml.etree import ElementTree

CHUNK = 4 << 20  # bytes of the sheet's XML inflated at a time

# Excel's built-in number formats that show a date or a time (ECMA-376 Part 1, 18.8.30).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_ESCAPED_CHARACTER = re.compile(rb"_x([0-9A-Fa-f]{4})_")
_NEEDS_QUOTES = re.compile(rb'[",\r\n]')


class WorkbookUnreadable(ValueError):
    """The file is not an xlsx workbook this reader can follow."""


# What a spoilt package raises somewhere in the reading: a damaged archive or stream, XML
# that does not parse, a part or a shared string that is not there, a number that is not one.
_SPOILT = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # a part zipfile cannot open (encrypted)
    ElementTree.ParseError,
    KeyError,
    IndexError,
    ValueError,
)


@contextlib.contextmanager
def _reading() -> Iterator[None]:
    try:
        yield
    except WorkbookUnreadable:
        raise
    except _SPOILT as error:
        raise WorkbookUnreadable(str(error) or type(error).__name__) from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class Workbook:
    """Where an xlsx workbook keeps a sheet (the first, unless another is named) and what its
    cells need to be read."""

    archive: zipfile.ZipFile
    sheet_names: list[str]
    sheet_name: str
    sheet_part: str
    strings_part: str | None
    styles_part: str | None
    epoch: datetime
    date_styles: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def open(cls, path: Path, sheet: str | None = None) -> Workbook:
        try:
            archive = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise WorkbookUnreadable(str(error)) from error
        try:
            book = _workbook(archive, sheet)
        except (KeyError, ElementTree.ParseError, IndexError) as error:
            archive.close()
            raise WorkbookUnreadable(f"its parts are not an xlsx workbook's: {error}") from error
        except WorkbookUnreadable:
            archive.close()
            raise
        return book

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found: dict[str, tuple[str, str]] = {}
    for element in ElementTree.fromstring(archive.read(rels)):
        target = element.get("Target", "")
        if element.get("TargetMode") == "External":
            continue
        resolved = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[element.get("Id", "")] = (element.get("Type", ""), posixpath.normpath(resolved))
    return found


def _workbook(archive: zipfile.ZipFile, sheet: str | None) -> Workbook:
    package = _relationships(archive, "")
    workbook_part = next(
        (t for kind, t in package.values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
    )
    related = _relationships(archive, workbook_part)
    root = ElementTree.fromstring(archive.read(workbook_part))
    sheets = [e for e in root.iter() if _local(e.tag) == "sheet"]
    if not sheets:
        raise WorkbookUnreadable("the workbook has no sheets")
    names = [e.get("name", f"Sheet{n}") for n, e in enumerate(sheets, 1)]
    if sheet is not None and sheet not in names:
        raise WorkbookUnreadable(f"there is no sheet named '{sheet}'")
    chosen = sheets[0 if sheet is None else names.index(sheet)]
    relation = next((v for k, v in chosen.attrib.items() if _local(k) == "id"), "")
    epoch = datetime(1899, 12, 30)
    for element in root.iter():
        if _local(element.tag) == "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = datetime(1904, 1, 1)

    def part_of(kind: str) -> str | None:
        return next((t for k, t in related.values() if k.endswith(kind)), None)

    book = Workbook(
        archive=archive,
        sheet_names=names,
        sheet_name=names[sheets.index(chosen)],
        sheet_part=related[relation][1],
        strings_part=part_of("/sharedStrings"),
        styles_part=part_of("/styles"),
        epoch=epoch,
    )
    book.date_styles = _date_styles(book)
    return book


def _date_styles(book: Workbook) -> frozenset[int]:
    """The cell styles (indexes into `cellXfs`) whose number format shows a date or time."""
    if book.styles_part is None or book.styles_part not in book.archive.namelist():
        return frozenset()
    root = ElementTree.fromstring(book.archive.read(book.styles_part))
    custom: dict[int, str] = {}
    styles: list[int] = []
    for element in root:
        if _local(element.tag) == "numFmts":
            for number_format in element:
                code = number_format.get("formatCode", "")
                custom[int(number_format.get("numFmtId", "0"))] = code
        elif _local(element.tag) == "cellXfs":
            styles = [int(xf.get("numFmtId", "0")) for xf in element]

    def is_date(format_id: int) -> bool:
        if format_id in custom:
            code = _QUOTED_OR_BRACKETED.sub("", custom[format_id]).lower()
            return any(c in code for c in "dmyhs") and "general" not in code
        return format_id in _DATE_FORMAT_IDS

    return frozenset(i for i, format_id in enumerate(styles) if is_date(format_id))


def _shared_strings(book: Workbook) -> list[bytes]:
    """Each shared string as a CSV field: phonetic runs left out, quoted where needed."""
    if book.strings_part is None or book.strings_part not in book.archive.namelist():
        return []
    strings: list[bytes] = []
    with book.archive.open(book.strings_part) as source:
        for _, element in ElementTree.iterparse(source, events=("end",)):
            if _local(element.tag) != "si":
                continue
            parts: list[str] = []
            for child in element:
                name = _local(child.tag)
                if name == "t":
                    parts.append(child.text or "")
                elif name == "r":
                    parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
            strings.append(_field(_unescape_ooxml("".join(parts).encode())))
            element.clear()
    return strings


def _unescape_ooxml(text: bytes) -> bytes:
    """OOXML writes characters XML cannot hold as `_xHHHH_` (a carriage return: `_x000D_`)."""
    if b"_x" not in text:
        return text
    return _ESCAPED_CHARACTER.sub(lambda m: chr(int(m.group(1), 16)).encode(), text)


def _field(text: bytes) -> bytes:
    """Text as one CSV field."""
    if _NEEDS_QUOTES.search(text) is None:
        return text
    return b'"' + text.replace(b'"', b'""') + b'"'


def _xml_text(raw: bytes) -> bytes:
    """Text as XML wrote it (entities and character references), as the reader sees it."""
    if b"&" in raw:
        raw = html.unescape(raw.decode("utf-8")).encode("utf-8")
    return _unescape_ooxml(raw)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number - 1


Cell = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
"""A cell as found: column letters, style, type, value, simple inline text, other content."""


class _Patterns:
    """The sheet's elements, with whatever namespace prefix this workbook gives them.

    Each row is matched first with the form every common writer uses (`<c r="B2" s="1"
    t="s">`, attributes in that order). When that finds fewer cells than the row holds
    (other attributes, another order, other quotes), the row is matched again with a pattern
    that takes the attributes in any order.
    """

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)

        def attribute(name: bytes, value: bytes) -> bytes:
            return rb"(?:(?=[^>]*?\s" + name + rb"\s*=\s*[\"']" + value + rb"))?"

        content = (
            rb"(?:/>|>(?:<" + p + rb"v>([^<]*)</" + p + rb"v>"
            rb"|<" + p + rb"is><" + p + rb"t>([^<]*)</" + p + rb"t></" + p + rb"is>"
            rb"|(.*?))</" + p + rb"c\s*>)"
        )
        self.row_start = b"<" + prefix + b"row"
        self.cell_start = b"<" + prefix + b"c"
        self.number = re.compile(rb"\s+r=\"(\d+)\"")
        self.any_number = re.compile(attribute(rb"r", rb"(\d+)"))
        self.cell = re.compile(
            rb"<" + p + rb"c r=\"([A-Z]+)\d+\"(?: s=\"(\d+)\")?(?: t=\"(\w+)\")?" + content, re.S
        )
        self.any_cell = re.compile(
            rb"<" + p + rb"c(?=[\s/>])"
            + attribute(rb"r", rb"([A-Z]+)")
            + attribute(rb"s", rb"(\d+)")
            + attribute(rb"t", rb"(\w+)")
            + rb"[^>]*?" + content,
            re.S,
        )  # fmt: skip
        self.value = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>([^<]*)</" + p + rb"v\s*>")
        self.text = re.compile(rb"<" + p + rb"t(?:\s[^>]*)?>([^<]*)</" + p + rb"t\s*>")
        self.phonetic = re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh\s*>", re.S)

    def rows(self, data: bytes) -> Iterator[tuple[int | None, list[Cell]]]:
        """(the row's number if it gives one, its cells) for each whole row in `data`."""
        pieces = data.split(self.row_start)
        for piece in pieces[1:]:
            if piece[:1] not in (b" ", b">", b"/", b"\t", b"\r", b"\n"):
                continue  # another element whose name starts "row" (rowBreaks)
            end = piece.find(b">")
            number = self.number.match(piece) or self.any_number.match(piece, 0, end)
            found = number.group(1) if number else None
            cells = self.cell.findall(piece)
            if len(cells) != piece.count(self.cell_start):
                cells = self.any_cell.findall(piece)
            yield (int(found) if found else None), cells


_ROOT = re.compile(rb"<([\w.-]+:)?worksheet[\s>]")


def _sheet_rows(
    book: Workbook, fraction: Callable[[float], None] | None = None
) -> Iterator[tuple[int, list[Cell], _Patterns]]:
    """(row number, its cells) for each row of the sheet, a few megabytes inflated at a time."""
    info = book.archive.getinfo(book.sheet_part)
    size = max(info.file_size, 1)
    with book.archive.open(info) as source:
        data = source.read(CHUNK)
        root = _ROOT.search(data)
        if root is None:
            raise WorkbookUnreadable(f"{book.sheet_part} is not a worksheet")
        patterns = _Patterns(root.group(1) or b"")
        read, number = len(data), 0
        while True:
            chunk = source.read(CHUNK)
            read += len(chunk)
            data += chunk
            # Every row before the last row's start is whole; at the end, all of them are.
            cut = data.rfind(patterns.row_start) if chunk else len(data)
            if cut > 0:
                for found, cells in patterns.rows(data[:cut]):
                    number = found if found is not None else number + 1
                    yield number, cells, patterns
                data = data[cut:]
            if not chunk:
                return
            if fraction is not None:
                fraction(min(read / size, 1.0))


class _Cells:
    """Turns cells into CSV fields, remembering the fields of text seen before."""

    def __init__(self, book: Workbook, patterns: _Patterns) -> None:
        self.book = book
        self.strings = _shared_strings(book)
        self.patterns = patterns
        self.date_styles = frozenset(str(i).encode() for i in book.date_styles)
        self.columns: dict[bytes, int] = {}
        self.texts: dict[bytes, bytes] = {}

    def row(self, cells: list[Cell], width: int | None) -> list[bytes]:
        """A row's fields, each in its column: `width` of them, or as many as the row has."""
        fields = [b""] * (width if width is not None else 16)
        columns, texts, date_styles = self.columns, self.texts, self.date_styles
        column = -1
        for cell in cells:
            letters, style, kind, value, text, body = cell
            if letters:
                column = columns.get(letters, -1)
                if column < 0:
                    column = columns[letters] = _column_number(letters)
            else:
                column += 1
            if width is None:
                if column >= len(fields):
                    fields.extend([b""] * (column + 1 - len(fields)))
            elif column >= width:
                continue
            if not kind and not body and style not in date_styles:
                fields[column] = value  # a number, by far the most common cell
            elif kind == b"inlineStr" and not body:
                field = texts.get(text)
                if field is None:
                    field = texts[text] = _field(_xml_text(text))
                fields[column] = field
            else:
                fields[column] = self.value(cell)
        if width is None:
            while fields and not fields[-1]:
                fields.pop()
        return fields

    def value(self, cell: Cell) -> bytes:
        """A cell's value as a CSV field: the cells the fast path leaves."""
        _, style, kind, value, text, body = cell
        patterns = self.patterns
        if kind == b"inlineStr":
            if not body:
                return _field(_xml_text(text))
            runs = patterns.text.findall(patterns.phonetic.sub(b"", body))
            return _field(_xml_text(b"".join(runs)))
        if body:
            found = patterns.value.search(body)
            value = found.group(1) if found else b""
        if not value:
            return b""
        if kind in (b"", b"n"):
            if style and int(style) in self.book.date_styles:
                try:
                    moment = self.book.epoch + timedelta(days=float(value))
                except (ValueError, OverflowError):
                    return value  # no date: the number as it is
                return moment.replace(microsecond=0).isoformat(" ").encode()
            return value
        if kind == b"s":
            return self.strings[int(value)]
        if kind == b"b":
            return b"TRUE" if value.strip() in (b"1", b"true") else b"FALSE"
        return _field(_xml_text(value))  # str (a formula's text), e (an error), d (a date)


def _header_names(cells: list[str]) -> list[str]:
    """Names as pandas gives them: blanks become `Unnamed: N`, repeats get `.1`, `.2`."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = cell if cell != "" else f"Unnamed: {position}"
        while name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen[name] = 0
        names.append(name)
    return names


def _header(text: list[bytes]) -> list[str]:
    """The header row's cells as text (CSV quoting undone), trailing blanks dropped."""
    cells = [t[1:-1].replace(b'""', b'"') if t[:1] == b'"' else t for t in text]
    while cells and cells[-1] == b"":
        cells.pop()
    return [c.decode("utf-8") for c in cells]


@dataclass(frozen=True)
class SheetAsCsv:
    """What streaming the sheet made: its name, its header, and the header's sheet row."""

    sheet_name: str
    headers: list[str]
    header_row: int


def sheet_names(path: Path) -> list[str]:
    """The names of the workbook's sheets, in the workbook's order."""
    with _reading(), Workbook.open(path) as book:
        return book.sheet_names


# A title above the header is one cell ("Monthly return: RX1, November 2026"); a header names
# several columns. Rows of one value are passed over while one of the first rows with values
# holds more.
TITLE_ROWS = 20


@dataclass
class _Sheet:
    """The sheet once its header is found: the header, and the rows below it to come."""

    reader: _Cells
    headers: list[str]
    header_row: int
    waiting: list[tuple[int, list[bytes]]]
    rest: Iterator[tuple[int, list[Cell], _Patterns]]

    def rows(self) -> Iterator[tuple[int, list[bytes]]]:
        """(row number, fields as wide as the header) for each row below it with a value."""
        width = len(self.headers)
        for number, fields in self.waiting:
            fitted = (fields + [b""] * width)[:width]
            if any(fitted):
                yield number, fitted
        row = self.reader.row
        for number, cells, _ in self.rest:
            fields = row(cells, width)
            if any(fields):
                yield number, fields


def _find_header(book: Workbook, progress: Callable[[float], None] | None) -> _Sheet | None:
    rows = _sheet_rows(book, progress)
    reader: _Cells | None = None
    seen: list[tuple[int, list[bytes]]] = []  # the rows with values read so far
    at = 0  # which of them is the header: the first, unless one below has more than one value
    for number, cells, patterns in rows:
        reader = reader or _Cells(book, patterns)
        fields = reader.row(cells, None)
        if not any(fields):
            continue
        seen.append((number, fields))
        if sum(1 for f in fields if f) > 1:
            at = len(seen) - 1
            break
        if len(seen) == TITLE_ROWS:
            break
    if reader is None or not seen:
        return None
    number, fields = seen[at]
    return _Sheet(reader, _header_names(_header(fields)), number, seen[at + 1 :], rows)


def header_row(path: Path, sheet: str | None = None) -> list[str]:
    """A sheet's header (the first sheet's, unless one is named), reading no further."""
    with _reading(), Workbook.open(path, sheet) as book:
        found = _find_header(book, None)
        return [] if found is None else found.headers


def write_csv(
    path: Path,
    out: IO[bytes] | BinaryIO,
    progress: Callable[[float], None] | None = None,
    sheet: str | None = None,
) -> SheetAsCsv:
    """Write a sheet of the workbook at `path` (the first, unless one is named) to `out` as
    CSV (UTF-8)."""
    with _reading(), Workbook.open(path, sheet) as book:
        found = _find_header(book, progress)
        if found is None:
            return SheetAsCsv(book.sheet_name, [], 0)
        width = len(found.headers)
        write = out.write
        write(b",".join(_field(h.encode("utf-8")) for h in found.headers) + b"\n")
        # Blank rows between rows with values keep their lines, so every row keeps its number.
        blank_line = b"," * (width - 1) + b"\n" if width > 1 else b'""\n'
        last = found.header_row
        for number, fields in found.rows():
            if number > last + 1:
                write(blank_line * (number - last - 1))
            last = number
            write(b",".join(fields) + b"\n")
        return SheetAsCsv(book.sheet_name, found.headers, found.header_row)
