"""Tables written as clipboard text, CSV, xlsx and PDF, read back with independent readers."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from app.errors import InputRejected
from app.services.table_export import (
    Table,
    column_widths,
    export_table,
    guard_cell,
    sheet_name,
    to_tsv,
    unguard_cell,
    write_csv,
    write_pdf,
    write_xlsx,
)

MARKING = "OFFICIAL-SENSITIVE: COMMERCIAL"
PRINTED_ON = date(2026, 11, 22)
BASE_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
}


def contracts(rows: int = 3, marking: str = MARKING) -> Table:
    providers = ["Leeds Teaching Hospitals NHS Trust", "The Christie NHS Foundation Trust"]
    return Table(
        title="Contracts 2026/27",
        subtitle="All providers, as at 1 Nov 2026",
        headers=["Contract", "Provider", "Start", "Annual value", "Status"],
        rows=[
            [
                f"C{1000 + n}",
                providers[n % 2],
                date(2026, 4, 1),
                Decimal("1234567.89") + n,
                '=HYPERLINK("http://example.org")' if n == 1 else "Agreed",
            ]
            for n in range(rows)
        ],
        marking=marking,
    )


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


# -- clipboard text ----------------------------------------------------------------------------


def test_tsv_has_a_header_line_plain_numbers_and_british_dates() -> None:
    text = to_tsv(
        ["Contract", "Value", "Start", "Notes", "Count", "Agreed", "Empty"],
        [["C1", Decimal("1234567.89"), date(2026, 11, 22), "two\tparts\nand lines", 3, True, None]],
    )

    assert text == (
        "Contract\tValue\tStart\tNotes\tCount\tAgreed\tEmpty\n"
        "C1\t1234567.89\t22 Nov 2026\ttwo parts and lines\t3\tTRUE\t\n"
    )


def test_tsv_writes_decimals_without_exponents() -> None:
    assert to_tsv(["Value"], [[Decimal("1E+3")], [Decimal("-0.50")]]) == "Value\n1000\n-0.50\n"


# -- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+44 20", "-2", "@cmd", "\tx", "\rx", "'=x"])
def test_csv_guards_text_that_a_spreadsheet_would_run(text: str) -> None:
    assert guard_cell(text) == "'" + text
    assert unguard_cell(guard_cell(text)) == text


@pytest.mark.parametrize("text", ["Agreed", "", "'quoted", "O'Neil", "a=b", "£-1"])
def test_csv_leaves_ordinary_text_alone(text: str) -> None:
    assert guard_cell(text) == text
    assert unguard_cell(text) == text


def test_csv_starts_with_a_byte_order_mark_and_the_marking(tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"

    write_csv(contracts(), path)

    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + MARKING.encode() + b"\r\n")
    lines = read_csv(path)
    assert lines[0] == [MARKING]
    assert lines[1] == ["Contract", "Provider", "Start", "Annual value", "Status"]
    assert lines[2] == [
        "C1000",
        "Leeds Teaching Hospitals NHS Trust",
        "2026-04-01",
        "1234567.89",
        "Agreed",
    ]
    assert lines[3][4] == '\'=HYPERLINK("http://example.org")'
    assert list(tmp_path.iterdir()) == [path]  # nothing left behind from writing


def test_csv_without_a_marking_starts_with_the_header(tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"

    write_csv(contracts(marking=""), path)

    assert read_csv(path)[0][0] == "Contract"


def test_csv_writes_numbers_as_numbers_not_as_guarded_text(tmp_path: Path) -> None:
    path = tmp_path / "values.csv"

    write_csv(
        Table("Values", ["Value", "When"], [[Decimal("-5.00"), datetime(2026, 1, 2, 3, 4)]]), path
    )

    assert read_csv(path)[1] == ["-5.00", "2026-01-02 03:04:00"]


# Any text at all, and text made mostly of the characters the guard and CSV quoting care about.
cell_text = st.text() | st.text(alphabet="'=+-@\t\r\n\",; a£é")


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(cell_text, min_size=1, max_size=3),
    rows=st.lists(st.lists(cell_text, min_size=3, max_size=3), max_size=4),
)
def test_any_text_survives_a_csv_round_trip(headers: list[str], rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "round trip.csv"
        write_csv(Table("Round trip", headers, [list(row) for row in rows]), path)
        read = [[unguard_cell(cell) for cell in line] for line in read_csv(path)]

    assert read == [headers, *rows]


# -- xlsx --------------------------------------------------------------------------------------


def test_xlsx_reads_back_with_real_dates_exact_numbers_and_no_formulas(tmp_path: Path) -> None:
    path = tmp_path / "contracts.xlsx"

    write_xlsx(contracts(), path)

    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Contracts 202627"
    assert sheet["A1"].value == MARKING
    assert [cell.value for cell in sheet[2]] == [
        "Contract",
        "Provider",
        "Start",
        "Annual value",
        "Status",
    ]
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    start = sheet["C3"]
    assert start.is_date and start.value == datetime(2026, 4, 1)
    assert start.number_format == "d mmm yyyy"
    assert sheet["D3"].data_type == "n"
    assert Decimal(str(sheet["D3"].value)) == Decimal("1234567.89")
    formula_like = sheet["E4"]
    assert formula_like.data_type == "s"
    assert formula_like.value == '=HYPERLINK("http://example.org")'
    assert MARKING in sheet.oddHeader.center.text
    assert MARKING in sheet.oddFooter.center.text


def test_xlsx_stores_the_decimal_digits_exactly_and_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "contracts.xlsx"

    write_xlsx(contracts(), path)

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1234567.89</v>" in xml
    assert "<v>1234568.89</v>" in xml
    assert "<f>" not in xml


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Contracts 2026/27", "Contracts 202627"),
        (
            "A [very] long: title? with * every \\ forbidden character",
            "A very long title with  every",
        ),
        ("///", "Table"),
    ],
)
def test_sheet_names_are_ones_excel_accepts(title: str, expected: str) -> None:
    assert sheet_name(title) == expected
    assert len(sheet_name(title)) <= 31


# -- PDF ---------------------------------------------------------------------------------------


def test_pdf_carries_title_header_cells_marking_and_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "contracts.pdf"

    write_pdf(contracts(rows=200), path, PRINTED_ON)

    reader = PdfReader(path)
    pages = [page.extract_text() for page in reader.pages]
    count = len(pages)
    assert count > 1
    assert "Contracts 2026/27" in pages[0]
    assert "All providers, as at 1 Nov 2026" in pages[0]
    assert "Annual value" in pages[0]
    assert "Leeds Teaching Hospitals NHS Trust" in pages[0]
    assert "1,234,567.89" in pages[0]
    assert "1 Apr 2026" in pages[0]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in text
        assert text.count(MARKING) == 2  # top and bottom
        assert "Printed 22 Nov 2026" in text
        assert "Provider" in text  # the header row repeats
    assert "C1199" in pages[-1]


def test_pdf_embeds_its_fonts_and_uses_no_base_14_font(tmp_path: Path) -> None:
    path = tmp_path / "contracts.pdf"

    write_pdf(contracts(rows=60), path, PRINTED_ON)

    for page in PdfReader(path).pages:
        fonts = page["/Resources"]["/Font"]
        assert fonts
        for reference in fonts.values():
            font = reference.get_object()
            base = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            assert base not in BASE_14
            assert "/FontFile2" in font["/FontDescriptor"]  # an embedded TrueType font


def test_pdf_is_byte_identical_for_the_same_input(tmp_path: Path) -> None:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"

    write_pdf(contracts(rows=80), first, PRINTED_ON)
    write_pdf(contracts(rows=80), second, PRINTED_ON)

    assert first.read_bytes() == second.read_bytes()


def test_pdf_turns_landscape_beyond_six_columns(tmp_path: Path) -> None:
    narrow, wide = tmp_path / "narrow.pdf", tmp_path / "wide.pdf"
    headers = [f"Column {n}" for n in range(7)]

    write_pdf(Table("Narrow", headers[:6], [list(range(6))]), narrow, PRINTED_ON)
    write_pdf(Table("Wide", headers, [list(range(7))]), wide, PRINTED_ON)

    narrow_box = PdfReader(narrow).pages[0].mediabox
    wide_box = PdfReader(wide).pages[0].mediabox
    assert narrow_box.height > narrow_box.width
    assert wide_box.width > wide_box.height


def test_pdf_copes_with_markup_characters_and_a_cell_longer_than_a_page(tmp_path: Path) -> None:
    path = tmp_path / "awkward.pdf"
    essay = " ".join(["A <b>bold</b> claim & counter-claim."] * 600)

    write_pdf(
        Table("Awkward & <odd>", ["Note", "Code"], [[essay, "X1"], ["\x00\x07", None]]),
        path,
        PRINTED_ON,
    )

    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Awkward & <odd>" in text
    assert "A <b>bold</b> claim & counter-claim." in text


def test_pdf_of_an_empty_table_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"

    write_pdf(Table("Empty", ["A", "B"], []), path, PRINTED_ON)

    assert "There are no rows in this table." in PdfReader(path).pages[0].extract_text()


def test_column_widths_give_narrow_columns_what_they_need_and_share_the_rest() -> None:
    assert column_widths([50, 60], [20, 20], 500) == [50, 60]
    widths = column_widths([50, 400, 600], [20, 30, 30], 500)
    assert widths[0] == 50
    assert widths[1] == widths[2] == pytest.approx(225)
    assert sum(column_widths([400, 400], [300, 300], 500)) == pytest.approx(500)


# -- one entry point ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".pdf", ".PDF"])
def test_export_table_writes_the_format_the_name_asks_for(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"contracts{suffix}"

    export_table(contracts(), path, PRINTED_ON)

    assert path.stat().st_size > 0


def test_export_table_refuses_an_unknown_suffix_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match=r"contracts\.docx"):
        export_table(contracts(), tmp_path / "contracts.docx", PRINTED_ON)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"
    path.write_text("previous")

    with pytest.raises(UnicodeEncodeError):
        write_csv(Table("Broken", ["A"], [["\ud800"]]), path)

    assert path.read_text() == "previous"
    assert list(tmp_path.iterdir()) == [path]


def test_the_export_service_does_not_import_qt() -> None:
    code = "import sys, app.services.table_export; print('PySide6' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.strip() == "False"
