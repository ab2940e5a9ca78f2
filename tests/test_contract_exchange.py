"""Bringing existing data in: providers, commissioners, quality standards, contract plan ranges."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.errors import InputRejected
from app.models import (
    FinancialYear,
    Membership,
    Organisation,
    PlannedActivity,
    QualityResult,
    QualityStandard,
)
from app.services import contracts, monitoring
from app.services.contract_exchange import (
    export_commissioners,
    export_providers,
    export_quality,
    import_commissioners,
    import_providers,
    import_quality,
)
from app.services.quality import add_quality_standard, record_quality_result
from app.services.year_end import member_shares
from app.store.database import Database

YEAR = FinancialYear(2026)


def _counts(database: Database) -> tuple[int, ...]:
    with database.reader() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Organisation, Membership, QualityStandard, QualityResult)
        )


def _edit(path: Path, sheet: str, cells: dict[str, object]) -> None:
    book = openpyxl.load_workbook(path)
    for address, value in cells.items():
        book[sheet][address] = value
    book.save(path)


def test_templates_are_empty_with_notes(database: Database, tmp_path: Path) -> None:
    for export, sheets in (
        (export_providers, ["Providers", "Notes"]),
        (export_commissioners, ["Commissioners", "Memberships", "Notes"]),
        (export_quality, ["Quality standards", "Results", "Notes"]),
    ):
        path = tmp_path / f"{export.__name__}.xlsx"
        assert export(database, path, template=True) == 0
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == sheets
        assert book[sheets[0]].max_row == 1  # headers only
        assert book["Notes"].max_row > 2


def test_providers_come_in_and_go_out(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "providers.xlsx"
    export_providers(database, path, template=True)
    book = openpyxl.load_workbook(path)
    sheet = book["Providers"]
    sheet.append(["RQ1", "Northgate Hospitals NHS Trust", "NHS Trust", "", "", ""])
    sheet.append(["NT4", "Vale Clinic", "Independent", "A Person", "a@example.org", ""])
    book.save(path)
    report = import_providers(database, path)
    assert (report.created, report.updated) == (2, 0)
    again = tmp_path / "again.xlsx"
    assert export_providers(database, again) == 2
    rows = list(openpyxl.load_workbook(again)["Providers"].iter_rows(values_only=True))
    assert rows[2][:3] == ("RQ1", "Northgate Hospitals NHS Trust", "NHS Trust")
    assert import_providers(database, again).updated == 2


def test_a_bad_provider_row_is_named_and_nothing_is_applied(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "providers.xlsx"
    export_providers(database, path, template=True)
    book = openpyxl.load_workbook(path)
    book["Providers"].append(["RQ1", "Good Trust", "NHS Trust"])
    book["Providers"].append(["RQ2", "Bad Trust", "Hospital"])
    book["Providers"].append(["RQ1", "Again", "NHS Trust"])
    book.save(path)
    before = _counts(database)
    with pytest.raises(InputRejected) as error:
        import_providers(database, path)
    assert [str(p) for p in error.value.problems] == [
        "providers.xlsx[Providers]:3:Kind: 'Hospital' is not one of NHS Trust, NHS Foundation "
        "Trust, Independent, Third sector",
        "providers.xlsx[Providers]:4:: duplicate of row 2",
    ]
    assert _counts(database) == before


def test_commissioners_round_trip_with_their_effective_dated_shares(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "commissioners.xlsx"
    before_shares = member_shares(demo_database, YEAR)
    count = export_commissioners(demo_database, path)
    assert count > 17
    before = _counts(demo_database)
    report = import_commissioners(demo_database, path)
    assert report.created == 0 and report.updated == count
    assert _counts(demo_database) == before
    assert member_shares(demo_database, YEAR) == before_shares


def test_a_new_share_from_a_date_changes_the_year_that_follows(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "commissioners.xlsx"
    export_commissioners(demo_database, path)
    book = openpyxl.load_workbook(path)
    sheet = book["Memberships"]
    rows = list(sheet.iter_rows(min_row=2))
    first = next(r for r in rows if r[3].value in (None, ""))
    code, group, share = first[0].value, first[1].value, Decimal(str(first[4].value))
    first[3].value = "2026-03-31"
    sheet.append([code, group, "2026-04-01", None, float(share + Decimal("0.001")), 123456789])
    book.save(path)
    import_commissioners(demo_database, path)
    assert member_shares(demo_database, FinancialYear(2025))[code][0] == share
    assert member_shares(demo_database, YEAR)[code] == (
        share + Decimal("0.001"),
        Decimal("123456789.00"),
    )


def test_bad_membership_rows_are_named_by_sheet_row_and_column(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "commissioners.xlsx"
    export_commissioners(demo_database, path)
    book = openpyxl.load_workbook(path)
    sheet = book["Memberships"]
    sheet.append(["NOPE", "DSCG", "2026-04-01", None, 0.1, 1000])
    sheet.append([sheet["A2"].value, "DSCG", "first of April", None, 1.5, -3])
    bad = sheet.max_row
    book.save(path)
    before = _counts(demo_database)
    with pytest.raises(InputRejected) as error:
        import_commissioners(demo_database, path)
    messages = [str(p) for p in error.value.problems]
    label = "commissioners.xlsx[Memberships]"
    assert f"{label}:{bad - 1}:Commissioner code: unknown commissioner 'NOPE'" in messages
    assert f"{label}:{bad}:Effective from: 'first of April' is not a date such as 2026-04-01" in (
        messages
    )
    assert f"{label}:{bad}:Capitation share: 1.5 is not a fraction between 0 and 1" in messages
    assert f"{label}:{bad}:Baseline allocation: cannot be negative (-3)" in messages
    assert _counts(demo_database) == before


def test_quality_standards_and_results_come_in_and_go_out(
    demo_database: Database, tmp_path: Path
) -> None:
    first = add_quality_standard(demo_database, "DSCG-2026-RX7", "35", "EL", "Readmissions",
                                 "under 5%")  # fmt: skip
    record_quality_result(demo_database, first, "2026/27 Q1", "4.1%", True)
    path = tmp_path / "quality.xlsx"
    assert export_quality(demo_database, path) == 2
    book = openpyxl.load_workbook(path)
    book["Quality standards"].append(
        ["DSCG-2026-RX7", "35", "EL", "Follow-up at 12 months", "over 90%", "monthly"]
    )
    book["Results"].append(
        ["DSCG-2026-RX7", "35", "EL", "Follow-up at 12 months", "2026/27 M05", "93%", "yes", ""]
    )
    book.save(path)
    report = import_quality(demo_database, path)
    assert (report.created, report.updated) == (2, 2)
    with demo_database.reader() as session:
        met = session.scalars(select(QualityResult.met).order_by(QualityResult.period)).all()
    assert met == [True, True]


def test_a_bad_quality_row_is_named_and_nothing_is_applied(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "quality.xlsx"
    export_quality(demo_database, path, template=True)
    book = openpyxl.load_workbook(path)
    book["Quality standards"].append(["DSCG-2026-RX7", "35", "EL", "Readmissions", "", "monthly"])
    book["Quality standards"].append(["DSCG-2026-RX7", "35", "EL", "Audit", "", "annually"])
    book["Quality standards"].append(["DSCG-2099-XX", "35", "EL", "Audit", "", "monthly"])
    book["Results"].append(["DSCG-2026-RX7", "35", "EL", "Readmissions", "Q1", "4%", "maybe"])
    book.save(path)
    before = _counts(demo_database)
    with pytest.raises(InputRejected) as error:
        import_quality(demo_database, path)
    assert [str(p) for p in error.value.problems] == [
        "quality.xlsx[Quality standards]:3:Frequency: 'annually' is too rare or unknown: "
        "monthly or quarterly",
        "quality.xlsx[Quality standards]:4:Contract: no contract has the reference 'DSCG-2099-XX'",
        "quality.xlsx[Results]:2:Met: 'maybe' is not yes, no or empty",
        "quality.xlsx[Results]:2:Period: 'Q1' is not a period such as 2026/27 Q1 or 2026/27 M05",
    ]
    assert _counts(demo_database) == before


def test_a_missing_sheet_or_column_refuses_the_file(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "providers.xlsx"
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.append(["Code", "Name"])
    book.save(path)
    with pytest.raises(InputRejected, match=r"providers.xlsx\[Sheet\]:1:Kind: required column"):
        import_providers(database, path)


# Plans as ranges --------------------------------------------------------------------------


def _line_35_row(path: Path) -> tuple[openpyxl.Workbook, int, list[str]]:
    book = openpyxl.load_workbook(path)
    sheet = book["Contract lines"]
    header = [c.value for c in sheet[1]]
    row = next(
        r[0].row
        for r in sheet.iter_rows(min_row=2)
        if r[0].value == "DSCG-2026-RX7" and str(r[5].value) == "35"
    )
    return book, row, header


def test_a_plan_range_lifts_the_over_performance_threshold(
    demo_database: Database, tmp_path: Path
) -> None:
    flt = monitoring.MonitoringFilter(YEAR, contract="DSCG-2026-RX7")
    before = {
        r.id: r
        for r in monitoring.position(demo_database, flt, monitoring.Dimension.SERVICE_LINE).rows
    }
    assert before["35"].status == "over"
    assert before["35"].plan_maximum_cost_ytd == before["35"].plan_cost_ytd
    path = tmp_path / "contracts.xlsx"
    contracts.export_contracts(demo_database, path, YEAR)
    book, row, header = _line_35_row(path)
    sheet = book["Contract lines"]
    for month in range(12):
        plan = Decimal(str(sheet.cell(row, header.index("Plan Apr") + 1 + month).value))
        sheet.cell(row, header.index("Maximum Apr") + 1 + month).value = float(plan * 2)
        sheet.cell(row, header.index("Minimum Apr") + 1 + month).value = float(plan / 2)
    book.save(path)
    contracts.import_contracts(demo_database, path)
    after = {
        r.id: r
        for r in monitoring.position(demo_database, flt, monitoring.Dimension.SERVICE_LINE).rows
    }
    assert after["35"].status == "within"
    assert after["35"].plan_cost_ytd == before["35"].plan_cost_ytd
    assert after["35"].plan_maximum_cost_ytd > after["35"].plan_cost_ytd
    flagged = monitoring.flag_overperformance(demo_database, YEAR, YEAR.starts_on)
    assert not [v for v in flagged if v.contract == "DSCG-2026-RX7" and v.service_line == "35"]
    with demo_database.reader() as session:
        assert session.scalar(select(func.count()).where(PlannedActivity.maximum.is_not(None)))


def test_a_range_that_does_not_hold_its_plan_is_refused(
    demo_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "contracts.xlsx"
    contracts.export_contracts(demo_database, path, YEAR)
    book, row, header = _line_35_row(path)
    column = header.index("Maximum Apr") + 1
    book["Contract lines"].cell(row, column).value = 0.5
    book.save(path)
    with pytest.raises(InputRejected, match=rf":{row}:Maximum Apr: the maximum 0.5 is below"):
        contracts.import_contracts(demo_database, path)
