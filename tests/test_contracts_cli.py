"""The contracts commands: returns import, contracts, monitoring export, risk share."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from app.cli import main
from tests.test_returns_import import plan_rows, write_csv

AS_OF = "2026-11-24"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--as-of", AS_OF])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo_file(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(demo_template, path)
    return path


def test_returns_import_each_file_on_its_own(
    capsys: pytest.CaptureFixture[str], demo_file: Path, demo_database, tmp_path: Path
) -> None:
    rows = plan_rows(demo_database)
    good = write_csv(tmp_path / "good.csv", rows)
    bad_rows = [list(r) for r in rows[:2]]
    bad_rows[1][2] = "ZZ9"
    bad = write_csv(tmp_path / "bad.csv", bad_rows)
    db = ["--db", str(demo_file)]
    code, out, err = run(capsys, "returns", "import", str(bad), str(good), "--dry-run", *db)
    assert code == 3
    assert "bad.csv:3:Provider code: unknown provider 'ZZ9'" in err
    assert f"good.csv: would apply {len(rows)} rows" in out
    code, out, err = run(capsys, "returns", "import", str(good), "--invoice-total", "1", *db)
    assert code == 3 and "does not match the invoice total £1.00" in err
    code, out, _ = run(capsys, "returns", "import", str(good), *db)
    assert code == 0 and f"good.csv: applied {len(rows)} rows" in out


def test_contracts_list_json_flags_the_overdue_draft(
    capsys: pytest.CaptureFixture[str], demo_file: Path
) -> None:
    code, out, _ = run(
        capsys, "contracts", "list", "--year", "2026/27", "--json", "--db", str(demo_file)
    )
    assert code == 0
    rows = {row["reference"]: row for row in json.loads(out)}
    assert rows["DSCG-2026-NT1"]["overdue"] is True
    assert rows["DSCG-2026-RX1"]["overdue"] is False
    assert all("id" in row for row in rows.values())


def test_contracts_export_then_import_round_trips(
    capsys: pytest.CaptureFixture[str], demo_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "contracts.xlsx"
    db = ["--db", str(demo_file)]
    assert run(capsys, "contracts", "export", str(path), "--year", "2026/27", *db)[0] == 0
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.cell(row=2, column=8, value=1234.5)
    book.save(path)
    code, out, _ = run(capsys, "contracts", "import", str(path), *db)
    assert code == 0 and "imported" in out
    sheet.cell(row=3, column=6, value="99z")
    book.save(path)
    code, _, err = run(capsys, "contracts", "import", str(path), *db)
    assert code == 3
    assert "contracts.xlsx[Contract lines]:3:Service line: unknown service line '99z'" in err


def test_monitoring_export_and_risk_share(
    capsys: pytest.CaptureFixture[str], demo_file: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "monitoring.xlsx"
    db = ["--db", str(demo_file)]
    code, _, _ = run(
        capsys, "monitoring", "export", "--year", "2026/27", "--out", str(out_file), *db
    )
    assert code == 0 and out_file.exists()
    code, out, _ = run(capsys, "risk-share", "--line", "35", "--year", "2026/27", "--json", *db)
    assert code == 0
    data = json.loads(out)
    assert data["service_line"] == "35"
    assert sum(float(v) for v in data["by_capitation"].values()) == pytest.approx(
        float(data["commissioner_pays"])
    )
    code, out, _ = run(capsys, "risk-share", "--line", "35", "--year", "2026/27", *db)
    assert "The commissioner pays" in out
