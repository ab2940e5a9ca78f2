"""The contracts commands: returns import, contracts, monitoring export, risk share."""

from __future__ import annotations

import json
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


def test_returns_import_reads_the_sheet_named(
    capsys: pytest.CaptureFixture[str], demo_file: Path, demo_database, tmp_path: Path
) -> None:
    from tests.test_returns_import import HEADERS

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    for title, rows in (("October", plan_rows(demo_database, month=10)[:2]),
                        ("November", plan_rows(demo_database)[:3])):  # fmt: skip
        sheet = book.create_sheet(title)
        for row in [HEADERS, *rows]:
            sheet.append([float(v) if not isinstance(v, (str, int)) else v for v in row])
    path = tmp_path / "returns.xlsx"
    book.save(path)
    db = ["--db", str(demo_file)]
    code, out, _ = run(capsys, "returns", "import", str(path), "--dry-run", *db)
    assert code == 0 and "returns.xlsx[October]: would apply 2 rows" in out  # the first return
    code, out, _ = run(capsys, "returns", "import", str(path), "--sheet", "November", *db)
    assert code == 0 and "returns.xlsx[November]: applied 3 rows" in out
    code, _, err = run(capsys, "returns", "import", str(path), "--sheet", "December", *db)
    assert code == 3 and "there is no sheet named 'December'" in err


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


def test_providers_commissioners_and_quality_templates_exports_and_imports(
    capsys: pytest.CaptureFixture[str], demo_file: Path, tmp_path: Path
) -> None:
    db = ["--db", str(demo_file)]
    for kind in ("providers", "commissioners", "quality", "contracts"):
        template = tmp_path / f"{kind}-template.xlsx"
        code, out, _ = run(capsys, kind, "template", str(template), *db)
        assert code == 0 and "empty template" in out
        exported = tmp_path / f"{kind}.xlsx"
        assert run(capsys, kind, "export", str(exported), *db)[0] == 0
    code, out, _ = run(capsys, "commissioners", "import", str(tmp_path / "commissioners.xlsx"), *db)
    assert code == 0 and "0 added" in out
    path = tmp_path / "providers.xlsx"
    book = openpyxl.load_workbook(path)
    book["Providers"].append(["RQ9", "New Trust", "Foundation"])
    book.save(path)
    code, _, err = run(capsys, "providers", "import", str(path), *db)
    assert code == 3
    assert "providers.xlsx[Providers]:" in err and ":Kind: 'Foundation' is not one of" in err
    assert "rejected, nothing applied" in err
    book["Providers"].cell(book["Providers"].max_row, 3).value = "NHS Foundation Trust"
    book.save(path)
    code, out, _ = run(capsys, "providers", "import", str(path), *db)
    assert code == 0 and "1 added" in out


def test_quality_list_warns_of_services_with_fewer_than_two_standards(
    capsys: pytest.CaptureFixture[str], demo_file: Path
) -> None:
    db = ["--db", str(demo_file)]
    code, _, err = run(capsys, "quality", "list", "--year", "2026/27", *db)
    assert code == 0
    assert "WARNING: DSCG-2026-RX7 35: 0 quality standards; at least 2 are expected" in err


def test_notices_add_and_list(capsys: pytest.CaptureFixture[str], demo_file: Path) -> None:
    db = ["--db", str(demo_file)]
    code, out, _ = run(capsys, "notices", "add", "--contract", "DSCG-2026-RX2", "--kind", "fine",
                       "--reason", "Late data", "--amount", "5000", *db)  # fmt: skip
    assert code == 0 and "issued fine notice" in out
    code, out, _ = run(capsys, "notices", "list", "--json", *db)
    [notice] = json.loads(out)
    assert (notice["kind"], notice["amount"], notice["issued_on"]) == ("fine", "5000.00", AS_OF)
    code, _, err = run(capsys, "notices", "add", "--contract", "DSCG-2026-RX2", "--kind", "fine",
                       "--reason", "x", "--amount", "lots", *db)  # fmt: skip
    assert code == 2 and "'lots' is not an amount" in err


def test_budget_set_and_show(capsys: pytest.CaptureFixture[str], demo_file: Path) -> None:
    db = ["--db", str(demo_file)]
    code, _, err = run(capsys, "budget", "show", "--year", "2026/27", *db)
    assert code == 3 and "no pooled budget" in err
    code, out, err = run(capsys, "budget", "set", "--year", "2026/27", "--services", "100000000",
                         "--management", "500000", "--uplift", "Inflation=2.5", *db)  # fmt: skip
    assert code == 0, err
    assert "Inflation: 2.50% of £100,000,000.00 = £2,500,000.00." in out
    assert "Pooled budget: £103,000,000.00." in out
    code, out, _ = run(capsys, "budget", "show", "--year", "2026/27", "--json", *db)
    data = json.loads(out)
    assert data["total"] == "103000000.00"
    assert sum(float(c["amount"]) for c in data["contributions"]) == pytest.approx(103_000_000)
    assert {c["basis"] for c in data["contributions"]} == {"pro rata to baseline"}
    code, _, err = run(capsys, "budget", "set", "--year", "2026/27", "--services", "1",
                       "--share", "NOPE=40%", *db)  # fmt: skip
    assert code == 3 and "NOPE is not a member on 1 April 2026" in err


def test_year_end_clause9_and_roll_over(
    capsys: pytest.CaptureFixture[str], demo_file: Path, tmp_path: Path
) -> None:
    db = ["--db", str(demo_file)]
    code, out, _ = run(capsys, "year-end", "show", "--year", "2025/26", "--json", *db)
    assert code == 0
    data = json.loads(out)
    adjustments = sum(float(s["adjustment"]) for s in data["statements"])
    difference = sum(float(p["difference"]) for p in data["payments"])
    assert adjustments == pytest.approx(difference)
    code, out, _ = run(capsys, "year-end", "show", "--year", "2025/26", *db)
    assert "Member statements 2025/26 (capitation)" in out and "Payments to providers" in out
    path = tmp_path / "clause9.xlsx"
    code, out, _ = run(capsys, "clause9", "--contract", "DSCG-2026-RX7", "--out", str(path), *db)
    assert code == 0 and path.exists()
    code, out, _ = run(capsys, "clause9", "--contract", "DSCG-2026-RX7", *db)
    assert "Clause 9 summary DSCG-2026-RX7, 2026/27, 7 months of returns" in out
    code, out, _ = run(capsys, "year-end", "roll", "--year", "2026/27", "--uplift", "2.1", *db)
    assert code == 0 and "DSCG-2027-RX1" in out
