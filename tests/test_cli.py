"""The command line's rules: global options anywhere, exit codes, messages and JSON."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main
from app.errors import Problem


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seeded_file(template_database: Path, tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(template_database, path)
    return path


def test_global_options_go_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], seeded_file: Path
) -> None:
    before = run(capsys, "--db", str(seeded_file), "--as-of", "2026-11-22", "nds", "list", "--json")
    after = run(capsys, "nds", "list", "--json", "--db", str(seeded_file), "--as-of", "2026-11-22")
    middle = run(capsys, "nds", "--db", str(seeded_file), "list", "--json")
    assert before[0] == after[0] == middle[0] == 0
    assert before[1] == after[1] == middle[1]


def test_list_json_is_an_array_of_objects_with_an_id(
    capsys: pytest.CaptureFixture[str], database_address: str
) -> None:
    code, out, _ = run(capsys, "nds", "list", "--json", "--db", database_address)
    rows = json.loads(out)
    assert code == 0 and len(rows) == 81
    first = rows[0]
    assert set(first) >= {"id", "code", "name", "age_group", "tariff_status", "last_review"}
    import uuid

    assert all(uuid.UUID(row["id"]) for row in rows)
    assert first["code"] == "1" and first["name"] == "Specialised cancer services (adult)"


def test_text_listing_is_a_table(capsys: pytest.CaptureFixture[str], database_address: str) -> None:
    code, out, _ = run(capsys, "nds", "list", "--db", database_address)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("No.") and "Service" in lines[0]
    assert len(lines) == 2 + 81


def test_the_database_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], seeded_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMISSIONING_DB", str(seeded_file))
    code, out, _ = run(capsys, "check")
    assert code == 0 and "All checks passed." in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["nds", "list", "--no-such-option"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--as-of", "22/11/2026", "check"])
    assert exit_info.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"commissioning {__version__}"


def test_starting_the_application_reads_the_global_options_without_every_command() -> None:
    script = (
        "import sys\n"
        "from app.cli import parse_arguments\n"
        "arguments = parse_arguments(['--db', 'x.sqlite', '--as-of', '2026-11-24'])\n"
        "assert arguments.db == 'x.sqlite' and str(arguments.as_of) == '2026-11-24'\n"
        "assert not hasattr(arguments, 'handler')  # no command: the window starts\n"
        "assert 'app.cli.definitions' not in sys.modules\n"
        "assert parse_arguments(['nds', 'list', '--db', 'x.sqlite']).db == 'x.sqlite'\n"
        "assert 'app.cli.definitions' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_an_unknown_edition_is_rejected_with_exit_3(
    capsys: pytest.CaptureFixture[str], seeded_file: Path
) -> None:
    code, _, err = run(capsys, "nds", "list", "--edition", "1999", "--db", str(seeded_file))
    assert code == 3 and "no edition labelled '1999'" in err


def test_a_refused_database_exits_1_with_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"\x00\x01junk" * 100)
    code, _, err = run(capsys, "check", "--db", str(path))
    assert code == 1 and "not a database" in err and "Traceback" not in err


def test_check_finds_a_problem_and_names_it(
    capsys: pytest.CaptureFixture[str], seeded_file: Path
) -> None:
    with sqlite3.connect(seeded_file) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute(
            "UPDATE service_definition SET edition_id = 'ffffffffffffffffffffffffffffffff' "
            "WHERE code = '13'"
        )
    connection.close()
    code, _, err = run(capsys, "check", "--db", str(seeded_file))
    assert code == 1
    assert "foreign key" in err and "service_definition" in err and "edition" in err


def test_init_creates_then_reports_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fresh.sqlite"
    assert run(capsys, "init", "--db", str(path))[1].startswith("Created")
    assert "up to date" in run(capsys, "init", "--db", str(path))[1]


def test_backup_and_restore(
    capsys: pytest.CaptureFixture[str], seeded_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.sqlite"
    code, out, _ = run(capsys, "backup", "--out", str(copy), "--db", str(seeded_file))
    assert code == 0 and copy.exists()
    with sqlite3.connect(seeded_file) as connection:
        connection.execute("UPDATE term SET name = 'Changed' WHERE code = 'PCT'")
    connection.close()
    code, out, _ = run(capsys, "restore", str(copy), "--db", str(seeded_file))
    assert code == 0 and "before the restore is kept at" in out
    with sqlite3.connect(seeded_file) as connection:
        name = connection.execute("SELECT name FROM term WHERE code = 'PCT'").fetchone()[0]
    connection.close()
    assert name == "Primary Care Trust"
    assert list((tmp_path / "backups").glob("cli-*-before-restore.sqlite"))


def test_restore_of_a_missing_or_bad_file_exits_3_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], seeded_file: Path, tmp_path: Path
) -> None:
    before = seeded_file.read_bytes()
    code, _, err = run(capsys, "restore", str(tmp_path / "nope.sqlite"), "--db", str(seeded_file))
    assert code == 3 and "nope.sqlite: no such file" in err
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a backup")
    code, _, err = run(capsys, "restore", str(junk), "--db", str(seeded_file))
    assert code == 3 and "junk.sqlite" in err
    assert seeded_file.read_bytes() == before


def test_problems_are_written_file_row_column_message() -> None:
    assert str(Problem("returns.csv", 7, "Actual activity", "not a number: 'ten'")) == (
        "returns.csv:7:Actual activity: not a number: 'ten'"
    )
    assert str(Problem("returns.xlsx[April]", 2, "Month", "13 is outside 1-12")) == (
        "returns.xlsx[April]:2:Month: 13 is outside 1-12"
    )


def test_python_dash_m_app_and_no_display(tmp_path: Path) -> None:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "COMMISSIONING_CONFIG_DIR": str(tmp_path / "c"),
        "COMMISSIONING_DATA_DIR": str(tmp_path / "d"),
    }
    version = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True, env=environment
    )
    assert version.returncode == 0 and __version__ in version.stdout
    if sys.platform.startswith("linux"):
        gui = subprocess.run(
            [sys.executable, "-m", "app"], capture_output=True, text=True, env=environment
        )
        assert gui.returncode == 1
        assert "No display is available" in gui.stderr


def test_nds_list_writes_the_table_to_a_pdf_or_workbook(
    capsys: pytest.CaptureFixture[str], seeded_file: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    pdf = tmp_path / "nds.pdf"
    code, out, _ = run(capsys, "nds", "list", "--db", str(seeded_file), "--out", str(pdf))
    assert code == 0 and "Wrote" in out and str(pdf) in out
    text = PdfReader(pdf).pages[0].extract_text()
    assert "National Definitions Set" in text and "Edition 2002" in text
    assert "Specialised cancer services" in text

    workbook = tmp_path / "nds.xlsx"
    assert run(capsys, "nds", "list", "--db", str(seeded_file), "--out", str(workbook))[0] == 0
    sheet = load_workbook(workbook).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]][:2] == ["No.", "Service"]


def test_nds_list_refuses_a_file_type_it_cannot_write(
    capsys: pytest.CaptureFixture[str], seeded_file: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "nds", "list", "--db", str(seeded_file), "--out", str(tmp_path / "nds.docx")
    )
    assert code == 3 and "choose a file ending .xlsx, .csv or .pdf" in err


def test_demo_data_goes_only_into_a_new_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "demo.sqlite"
    code, out, _ = run(capsys, "init", "--demo", "--db", str(path), "--as-of", "2026-11-24")
    assert code == 0 and "Created a demo database" in out
    before = run(capsys, "nds", "list", "--json", "--db", str(path))[1]
    code, _, err = run(capsys, "init", "--demo", "--db", str(path))
    assert code == 3 and "already holds data" in err
    assert run(capsys, "nds", "list", "--json", "--db", str(path))[1] == before


def test_the_hidden_preview_check_draws_every_page_of_a_pdf(
    capsys: pytest.CaptureFixture[str], database_address: str, tmp_path: Path
) -> None:
    """What the installers' smoke test runs in the frozen program: PDFium draws the pages."""
    pdf = tmp_path / "nds.pdf"
    assert run(capsys, "nds", "list", "--db", database_address, "--out", str(pdf))[0] == 0
    code, out, _ = run(capsys, "preview-check", str(pdf))
    assert code == 0 and out.strip().startswith("nds.pdf: ") and "pages drawn by PDFium" in out
    assert "blank" not in out
    not_a_pdf = tmp_path / "notes.pdf"
    not_a_pdf.write_text("not a PDF")
    code, _, err = run(capsys, "preview-check", str(not_a_pdf))
    assert code == 3 and "not a PDF that can be drawn" in err
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "preview-check" not in capsys.readouterr().out
