"""An xlsx return streamed to CSV: the same cells as the workbook holds, in little memory."""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from app.errors import InputRejected
from app.services import xlsx_stream
from app.services.returns_import import ImportCancelled, check_returns, read_headers
from app.store.database import Database
from tests.test_returns_import import HEADERS, messages, plan_rows, write_csv


def streamed(path: Path) -> tuple[xlsx_stream.SheetAsCsv, str]:
    out = io.BytesIO()
    sheet = xlsx_stream.write_csv(path, out)
    return sheet, out.getvalue().decode("utf-8")


def test_a_workbook_streams_to_the_csv_of_its_cells(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    cells: dict[str, object] = {
        # The header is on row 3 and starts in column B; two headers are alike, one blank.
        **{"B3": "Code", "C3": "Month", "D3": "Code", "F3": "Note"},
        **{"B4": "007", "C4": 4, "D4": 2.5, "F4": 'a, "b"\nc & <d>'},
        # Row 5 is blank and kept, so every row keeps its number.
        **{"B6": "x", "C6": date(2026, 4, 1), "D6": True, "E6": "no header", "G6": "beyond"},
        **{"B7": 1e20, "C7": datetime(2026, 4, 1, 3, 4, 5), "D7": False, "F7": "£1,200.50"},
    }
    for where, value in cells.items():
        sheet[where] = value
    sheet["B9"].number_format = "0.00"  # a styled, empty row at the end is no row
    path = tmp_path / "return.xlsx"
    book.save(path)

    found, text = streamed(path)

    assert found == xlsx_stream.SheetAsCsv(
        "Return", ["Unnamed: 0", "Code", "Month", "Code.1", "Unnamed: 4", "Note"], 3
    )
    assert text == (
        "Unnamed: 0,Code,Month,Code.1,Unnamed: 4,Note\n"
        ',007,4,2.5,,"a, ""b""\nc & <d>"\n'
        ",,,,,\n"
        ",x,2026-04-01 00:00:00,TRUE,no header,\n"
        ',1e+20,2026-04-01 03:04:05,FALSE,,"£1,200.50"\n'
    )
    assert xlsx_stream.header_row(path) == found.headers
    assert xlsx_stream.sheet_names(path) == ["Return"]


def _sheet_xml(rows: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    space = f"xmlns{':' + prefix if prefix else ''}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<{p}worksheet {space}="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<{p}dimension ref="A1:D9"/><{p}sheetData>{rows}</{p}sheetData>'
        f'<{p}rowBreaks count="1"><{p}brk id="4"/></{p}rowBreaks></{p}worksheet>'
    )


def _workbook(path: Path, sheet: str, *, strings: str = "", styles: str = "", pr: str = ""):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kinds = f"{rel}/"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r1" Type="{kinds}officeDocument" Target="book/main.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "book/main.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}">{pr}<sheets>'
            '<sheet name="Q3 return" sheetId="1" r:id="s1"/>'
            '<sheet name="Notes" sheetId="2" r:id="s2"/></sheets></workbook>',
        )
        archive.writestr(
            "book/_rels/main.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="s2" Type="{kinds}worksheet" Target="sheets/notes.xml"/>'
            f'<Relationship Id="s1" Type="{kinds}worksheet" Target="/book/sheets/data.xml"/>'
            f'<Relationship Id="t" Type="{kinds}sharedStrings" Target="text.xml"/>'
            f'<Relationship Id="y" Type="{kinds}styles" Target="look.xml"/>'
            "</Relationships>",
        )
        archive.writestr("book/sheets/data.xml", sheet)
        archive.writestr("book/sheets/notes.xml", _sheet_xml('<row r="1"><c><v>9</v></c></row>'))
        archive.writestr("book/text.xml", f'<sst xmlns="{main}">{strings}</sst>')
        archive.writestr("book/look.xml", f'<styleSheet xmlns="{main}">{styles}</styleSheet>')
    return path


def test_the_forms_the_schema_allows_are_read_as_they_are_meant(tmp_path: Path):
    strings = (
        "<si><t>Provider</t></si>"
        '<si><r><rPr><b/><color rgb="FF0000"/></rPr><t>R</t></r><r><t xml:space="preserve">X1 '
        "</t></r><rPh sb='0' eb='1'><t>ignored</t></rPh></si>"
        "<si><t>line_x000D_break &amp; caf&#233;</t></si>"
    )
    styles = (
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="4"/></cellXfs>'
    )
    rows = (
        # Prefixed names, attributes in another order and single quotes, cells without `r`.
        "<x:row spans='1:4' r='2'>"
        "<x:c t='s' r='A2'><x:v>0</x:v></x:c><x:c t=\"inlineStr\"><x:is><x:t>Month</x:t>"
        "</x:is></x:c><x:c r='C2' t='str'><x:f>A1</x:f><x:v>Cost &lt;£&gt;</x:v></x:c>"
        "<x:c r='D2' t='s'><x:v>2</x:v></x:c></x:row>"
        # A row with no number follows the one before; self-closing cells hold nothing.
        "<x:row><x:c r='A3' t='s'><x:v>1</x:v></x:c><x:c r='B3' s='1'><x:v>45748.5</x:v></x:c>"
        "<x:c r='C3' s='2'><x:v>1200.5</x:v></x:c><x:c r='D3' s='1'/></x:row>"
        '<x:row r="4"/>'  # an empty row element
        '<x:row r="6"><x:c r="A6" t="e"><x:v>#N/A</x:v></x:c><x:c r="B6" t="b"><x:v>1</x:v>'
        '</x:c><x:c r="C6" t="inlineStr"><x:is><x:r><x:rPr><x:condense val="1"/></x:rPr>'
        "<x:t>rich</x:t></x:r><x:r><x:t>,text</x:t></x:r></x:is></x:c></x:row>"
    )
    path = _workbook(
        tmp_path / "made.xlsx",
        _sheet_xml(rows, "x"),
        strings=strings,
        styles=styles,
        pr='<workbookPr date1904="1"/>',
    )

    found, text = streamed(path)

    assert found.sheet_name == "Q3 return"
    assert found.header_row == 2
    assert found.headers == ["Provider", "Month", "Cost <£>", "line\rbreak & café"]
    assert text.split("\n") == [
        'Provider,Month,Cost <£>,"line\rbreak & café"',
        "RX1 ,2029-04-02 12:00:00,1200.5,",  # 1904 dates: 45748.5 days after 1 Jan 1904
        ",,,",
        ",,,",
        '#N/A,TRUE,"rich,text",',
        "",
    ]


# Cells as a provider's workbook may hold them: codes, numbers, text that needs quoting.
_CELL = st.one_of(
    st.none(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
        max_size=12,
    ),
    st.sampled_from(["007", "22i", " RX1 ", 'say "no"', "a,b", "line\nbreak", "&amp;", "=A1"]),
)


def _as_calamine_reads(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _as_read_back(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    return text if math.isnan(number) or text.strip() != text else repr(number)


def _with_openpyxl(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["A", "B", "C", "D"])
    for row in rows:
        # Text that starts with "=" would be stored as a formula.
        sheet.append([f"'{v}" if isinstance(v, str) and v.startswith("=") else v for v in row])
    book.save(path)


def _with_xlsxwriter(path: Path, rows: list[list[object]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))  # shared strings, as Excel writes them
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["A", "B", "C", "D"])
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(number, column, value)
            elif isinstance(value, int | float):
                sheet.write_number(number, column, value)
            elif isinstance(value, str) and value:
                sheet.write_string(number, column, value)
    book.close()


@pytest.mark.parametrize("write", [_with_openpyxl, _with_xlsxwriter])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=1, max_size=12))
def test_any_cells_read_as_python_calamine_reads_them(write, rows: list[list[object]]):  # type: ignore[no-untyped-def]
    import csv

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.xlsx"
        write(path, rows)
        _, text = streamed(path)
        expected = [
            [_as_read_back(_as_calamine_reads(v)) for v in row]
            for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        ]
    got = [[_as_read_back(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""))]
    while expected and not any(expected[-1]):
        expected.pop()  # calamine ends at the last row with a value too
    assert got == expected


def test_what_is_not_a_workbook_is_refused_by_name(demo_database: Database, tmp_path: Path):
    path = tmp_path / "march.xlsx"
    path.write_text("Financial year,Month\n")
    with pytest.raises(InputRejected) as raised:
        check_returns(demo_database, path)
    assert messages(raised.value) == [
        "march.xlsx::: not a readable workbook (File is not a zip file)"
    ]


def _return_workbook(path: Path, rows: list[list[object]], *, titles: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    for title in titles:
        sheet.append([title])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    book.save(path)
    return path


def test_a_workbook_return_is_checked_as_the_same_return_as_csv(
    demo_database: Database, tmp_path: Path
):
    rows = plan_rows(demo_database)[:6]
    rows[1][0] = "2026/28"
    rows[4][6] = "lots"
    from_csv = check_returns(demo_database, write_csv(tmp_path / "r.csv", rows))
    from_xlsx = check_returns(demo_database, _return_workbook(tmp_path / "r.xlsx", rows))
    assert [str(p).replace("r.xlsx[Return]", "r.csv") for p in from_xlsx.problems] == [
        str(p) for p in from_csv.problems
    ]
    assert from_xlsx.total_cost() == from_csv.total_cost()
    assert from_xlsx.rows.equals(from_csv.rows)


def test_title_rows_above_the_header_are_passed_over_and_rows_keep_their_numbers(
    demo_database: Database, tmp_path: Path
):
    rows = plan_rows(demo_database)[:3]
    rows[2][0] = "2026/28"
    titles = ("Monthly activity return: RX1, November 2026", "")
    path = _return_workbook(tmp_path / "returns.xlsx", rows, titles=titles)
    assert read_headers(path) == HEADERS
    assert messages(check_returns(demo_database, path).errors) == [
        "returns.xlsx[Return]:6:Financial year: '2026/28' is not a financial year: the years "
        "must be consecutive"
    ]


def test_a_cancelled_read_leaves_no_file_behind(
    demo_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(xlsx_stream, "CHUNK", 4096)  # so the read reports as it goes
    rows = plan_rows(demo_database) * 20
    path = _return_workbook(tmp_path / "big.xlsx", rows)
    seen: list[tuple[str, float]] = []

    def progress(phase: str, fraction: float) -> bool:
        seen.append((phase, fraction))
        return not (phase == "reading" and fraction > 0.05)

    with pytest.raises(ImportCancelled):
        check_returns(demo_database, path, progress=progress)
    assert any(0 < f < 0.2 for phase, f in seen if phase == "reading")
    assert list(scratch.iterdir()) == []
    assert check_returns(demo_database, path).row_count == len(rows)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("spoil", ["truncated", "bytes changed", "no sheet"])
def test_a_spoilt_workbook_is_refused_by_name(
    demo_database: Database, tmp_path: Path, spoil: str
) -> None:
    path = _return_workbook(tmp_path / "spoilt.xlsx", plan_rows(demo_database)[:50])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    if spoil == "truncated":
        data = data[: sheet.header_offset + 200]
    elif spoil == "bytes changed":
        middle = sheet.header_offset + 100 + sheet.compress_size // 2
        data[middle : middle + 64] = bytes(64)
    else:
        start = data.index(b"xl/worksheets/sheet1.xml")
        data[start : start + 24] = b"xl/worksheets/sheetX.xml"
    path.write_bytes(bytes(data))
    with pytest.raises(InputRejected) as raised:
        check_returns(demo_database, path)
    [problem] = raised.value.problems
    assert problem.file.startswith("spoilt.xlsx")
    assert "not a readable workbook" in problem.message or "cannot read" in problem.message
