"""`commissioning cases`, `disputes` and `search` on the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.cli import main

MARKING = "OFFICIAL-SENSITIVE: COMMERCIAL"


@pytest.fixture
def demo_file(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_disputes_list_json_and_open_only(capsys, demo_file: Path) -> None:
    code, out, _ = run(
        capsys, "disputes", "list", "--json", "--db", str(demo_file), "--as-of", "2026-11-24"
    )
    rows = json.loads(out)
    assert code == 0 and len(rows) == 7 and all("id" in row for row in rows)
    overdue = [row["reference"] for row in rows if row["overdue"]]
    assert overdue == ["DSP-2026-001-DM"]
    code, out, _ = run(capsys, "disputes", "list", "--open", "--json", "--db", str(demo_file))
    assert {row["status"] for row in json.loads(out)} == {"open"}
    code, out, _ = run(capsys, "disputes", "list", "--db", str(demo_file))
    assert out.startswith(MARKING)


def test_disputes_export_is_marked(capsys, demo_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "disputes.xlsx"
    code, out, _ = run(capsys, "disputes", "export", "--out", str(target), "--db", str(demo_file))
    assert code == 0 and MARKING in out
    sheet = load_workbook(target).active
    assert sheet["A1"].value == MARKING and sheet["A2"].value == "Reference"
    assert sheet.max_row == 2 + 7


def test_cases_list_and_export(capsys, demo_file: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        capsys, "cases", "list", "--json", "--topic", "Arbitration", "--db", str(demo_file)
    )
    assert code == 0 and {row["topic"] for row in json.loads(out)} == {"Arbitration"}
    target = tmp_path / "cases.xlsx"
    code, out, _ = run(capsys, "cases", "export", "--out", str(target), "--db", str(demo_file))
    assert code == 0
    sheet = load_workbook(target).active
    assert sheet["A1"].value == "Title" and sheet.max_row >= 11


def test_search_prints_ranked_hits_with_snippets(capsys, demo_file: Path) -> None:
    code, out, _ = run(capsys, "search", "facilitation", "--json", "--db", str(demo_file))
    hits = json.loads(out)
    assert code == 0 and hits
    assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)
    assert all("[" in h["snippet"] for h in hits)
    code, out, _ = run(
        capsys, "search", "facilitation", "--kind", "dispute", "--db", str(demo_file)
    )
    assert code == 0 and "dispute: DSP-2025-001" in out and "case study" not in out


def test_an_unwritable_export_exits_3(capsys, demo_file: Path, tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "disputes", "export", "--out", str(tmp_path / "x.docx"), "--db", str(demo_file)
    )
    assert code == 3 and ".xlsx, .csv or .pdf" in err


def test_scg_areas_and_neighbours_from_the_command_line(
    demo_database,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    from app.cli import main

    address = (
        str(demo_database.path) if demo_database.path else demo_database.url.render_as_string(False)
    )
    demo_database.close()
    assert main(["--db", address, "scg", "place", "RX1", "DFSCG"]) == 0
    assert main(["--db", address, "scg", "neighbour", "DFSCG", "DMSCG"]) == 0
    capsys.readouterr()
    assert main(["--db", address, "scg", "list"]) == 0
    out = capsys.readouterr().out
    assert "RX1" in out and "DFSCG Demo Fells Specialised Commissioning Group" in out
    assert "DFSCG and DMSCG" in out
    assert main(["--db", address, "scg", "neighbour", "DFSCG", "RX1"]) != 0
