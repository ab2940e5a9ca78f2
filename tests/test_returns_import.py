"""Monthly returns: every validation rule, all-or-nothing, latest wins, successors, kill safety."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.errors import InputRejected
from app.models import (
    ActivitySummary,
    Contract,
    FinancialYear,
    LineSummary,
    Membership,
    Organisation,
    ReturnColumnMapping,
    ReturnRow,
    ReturnSubmission,
    ServiceDefinition,
)
from app.services.returns_import import (
    FIELDS,
    ImportCancelled,
    check_returns,
    import_returns,
    remember_mapping,
)
from app.store.database import Database, open_database

HEADERS = [f.header for f in FIELDS]
YEAR = FinancialYear(2026)
MONTH = 11  # November 2026: its returns are not in yet on the demo's 24 Nov 2026


def plan_rows(
    database: Database, provider: str = "RX1", year: FinancialYear = YEAR, month: int = MONTH
) -> list[list[object]]:
    """A clean return: each line's plan shared by capitation, actual = plan, cost exact."""
    with database.reader() as session:
        contract = session.scalars(
            select(Contract).where(Contract.reference == f"DSCG-{year.start_year}-{provider}")
        ).one()
        day = year.month_start(month)
        members = session.execute(
            select(Organisation.code, Membership.capitation_share)
            .join(Membership, Membership.member_id == Organisation.id)
            .where(
                Membership.effective_from <= day,
                (Membership.effective_to.is_(None)) | (Membership.effective_to >= day),
            )
            .order_by(Organisation.code)
        ).all()
        codes = {d.service_line_id: d.code for d in session.scalars(select(ServiceDefinition))}
        rows = []
        for line in contract.lines:
            planned = next(p.activity for p in line.plan if p.month == month)
            for code, share in members:
                part = (planned * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                rows.append(
                    [
                        str(year),
                        month,
                        provider,
                        code,
                        codes[line.service_line_id],
                        line.point_of_delivery,
                        part,
                        part,
                        line.price,
                        (part * line.price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                    ]
                )
        return rows


def write_csv(path: Path, rows: list[list[object]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.reader() as session:
        return (
            session.scalar(select(func.count()).select_from(ReturnSubmission)) or 0,
            session.scalar(select(func.count()).select_from(ReturnRow)) or 0,
            session.scalar(select(func.count()).select_from(ActivitySummary)) or 0,
            session.scalar(select(func.sum(LineSummary.row_count))) or 0,
        )


def messages(error: InputRejected | list) -> list[str]:
    problems = error.problems if isinstance(error, InputRejected) else error
    return [str(p) for p in problems]


def test_a_clean_return_is_applied_with_its_summaries(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)
    before = counts(demo_database)
    report = import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert report.row_count == len(rows)
    assert report.warnings == []
    assert [(s.provider_code, s.financial_year, s.month) for s in report.submissions] == [
        ("RX1", "2026/27", 11)
    ]
    after = counts(demo_database)
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + len(rows)
    assert after[3] == before[3] + len(rows)
    with demo_database.reader() as session:
        total = session.scalar(
            select(func.sum(LineSummary.actual_cost)).where(
                LineSummary.financial_year == YEAR, LineSummary.month == MONTH
            )
        )
    assert total == sum(row[9] for row in rows)
    assert report.total_cost == total


# One fixture row per rule, and the exact message each gives.
RULES = [
    ({"Provider code": "ZZ9"}, "Provider code: unknown provider 'ZZ9'"),
    ({"Commissioner code": "9Z9"}, "Commissioner code: unknown commissioner '9Z9'"),
    ({"Service line": "99z"}, "Service line: unknown service line '99z'"),
    ({"Point of delivery": "XX"}, "Point of delivery: unknown point of delivery 'XX'"),
    ({"Actual activity": "lots"}, "Actual activity: 'lots' is not a number"),
    ({"Price": "n/a"}, "Price: 'n/a' is not a number"),
    ({"Price": "inf", "Actual cost": ""}, "Price: 'inf' is not a number"),
    (
        {"Actual activity": "-2", "Actual cost": ""},
        "Actual activity: activity cannot be negative (-2)",
    ),
    ({"Planned activity": "-1"}, "Planned activity: activity cannot be negative (-1)"),
    ({"Month": "13"}, "Month: month 13 is outside 1-12"),
    ({"Month": "0"}, "Month: month 0 is outside 1-12"),
    ({"Month": "April"}, "Month: 'April' is not a number"),
    (
        {"Financial year": "2026/28"},
        "Financial year: '2026/28' is not a financial year: the years must be consecutive",
    ),
    (
        {"Financial year": "2031/32"},
        "Financial year: financial year 2031/32 does not exist: no contracts are held for it",
    ),
    ({"Actual activity": ""}, "Actual activity: a value is required"),
    ({"Commissioner code": ""}, "Commissioner code: a value is required"),
    (
        {"Actual activity": "1.234", "Actual cost": ""},
        "Actual activity: 1.234 has more than two decimal places",
    ),
    (
        {"Actual activity": "2", "Price": "100", "Actual cost": "200.02"},
        "Actual cost: actual cost 200.02 differs from activity × price (200.00) "
        "by more than a penny",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), RULES, ids=[m.split(":")[0] + str(i) for i, (_c, m) in enumerate(RULES)]
)
def test_each_rule_names_file_row_and_column(
    demo_database: Database, tmp_path: Path, change: dict[str, str], message: str
):
    rows = plan_rows(demo_database)[:3]
    bad = list(rows[1])
    for header, value in change.items():
        bad[HEADERS.index(header)] = value
    rows[1] = bad
    path = write_csv(tmp_path / "returns.csv", rows)
    before = counts(demo_database)
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, path)
    assert messages(raised.value) == [f"returns.csv:3:{message}"]
    assert counts(demo_database) == before


@pytest.mark.parametrize("others", [1, 12])
def test_other_columns_few_or_many_are_named_and_the_rest_is_read(
    demo_database: Database, tmp_path: Path, others: int
):
    """A file with a few other columns is read whole; one with many, by its return's columns
    only (see `_read_csv`): either way the same rows, and the others named."""
    rows = plan_rows(demo_database)[:3]
    extra = [f"Note {n}" for n in range(others)]
    path = write_csv(
        tmp_path / "returns.csv",
        [[*row, *(f"n{n}" for n in range(others))] for row in rows],
        headers=[*HEADERS, *extra],
    )
    check = check_returns(demo_database, path)
    assert check.errors == [] and check.row_count == 3
    assert check.ignored_columns == extra
    assert check.total_cost() == sum(Decimal(str(row[9])) for row in rows)


def test_codes_that_look_like_numbers_are_read_as_written(demo_database: Database, tmp_path: Path):
    """A column of codes that are all digits is text as written: '07' is not 7."""
    rows = plan_rows(demo_database)[:3]
    for row in rows:
        row[4] = "07"
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert messages(raised.value) == [
        f"returns.csv:{n}:Service line: unknown service line '07'" for n in (2, 3, 4)
    ]


def test_a_penny_either_way_is_accepted(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)[:2]
    rows[0][6:10] = ["2", "2", "100", "200.01"]
    rows[1][6:10] = ["2", "2", "100", "199.99"]
    check = check_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert check.errors == []


def test_duplicate_rows_are_refused(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)[:3]
    rows.append(list(rows[0]))
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert messages(raised.value) == ["returns.csv:5:: duplicate of row 2"]


def test_repeats_are_found_among_thousands_of_distinct_codes(
    demo_database: Database, tmp_path: Path
):
    """A file of thousands of distinct codes in each column (too many to key a row by one
    64-bit number): its repeated row is still found."""
    rows = [
        [f"Y{n}", "4", f"P{n}", f"C{n}", f"L{n}", f"D{n}", "", "1", "2", "2"] for n in range(5000)
    ]
    rows.append(list(rows[0]))
    check = check_returns(demo_database, write_csv(tmp_path / "codes.csv", rows))
    assert [str(p) for p in check.errors if p.column == ""] == [
        "codes.csv:5002:: duplicate of row 2"
    ]


def test_planned_activity_off_the_contract_plan_is_a_warning(
    demo_database: Database, tmp_path: Path
):
    rows = plan_rows(demo_database)[:3]
    expected = rows[1][6]
    rows[1][6] = expected + 5
    report = import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert messages(report.warnings) == [
        f"returns.csv:3:Planned activity: warning: planned activity {expected + 5:,.2f} "
        f"differs from the contract's plan ({expected:,.2f})"
    ]
    assert report.row_count == 3


def test_a_plan_warning_names_its_row_below_title_rows(demo_database: Database, tmp_path: Path):
    """A workbook whose header is not on its first row: the warning is on the row that
    differs (rows are numbered from the header down, not from row 2)."""
    rows = plan_rows(demo_database)[:4]
    expected = rows[2][6]
    rows[2][6] = expected + 5
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet.append(["Monthly activity return"])
    sheet.append(["Submitted by the trust's contracts team"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    check = check_returns(demo_database, path)
    assert check.errors == []
    assert messages(check.warnings) == [
        f"titled.xlsx[Return]:6:Planned activity: warning: planned activity "
        f"{expected + 5:,.2f} differs from the contract's plan ({expected:,.2f})"
    ]


def test_invoice_total_must_match(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)[:3]
    path = write_csv(tmp_path / "returns.csv", rows)
    total = sum(row[9] for row in rows)
    wrong = total + Decimal("10.00")
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, path, invoice_total=wrong)
    assert messages(raised.value) == [
        f"returns.csv::Actual cost: the file's total cost £{total:,.2f} does not match the "
        f"invoice total £{wrong:,.2f}"
    ]
    assert import_returns(demo_database, path, invoice_total=total).row_count == 3


def test_missing_columns_are_named_and_others_ignored(demo_database: Database, tmp_path: Path):
    rows = [[*row, "note"] for row in plan_rows(demo_database)[:2]]
    path = write_csv(tmp_path / "returns.csv", rows, [*HEADERS, "Comments"])
    report = import_returns(demo_database, path)
    assert report.ignored_columns == ["Comments"]
    short = write_csv(tmp_path / "short.csv", [r[:7] for r in rows], HEADERS[:7])
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, short)
    assert messages(raised.value) == [
        "short.csv:1:Actual activity: required column 'Actual activity' is missing"
    ]


def test_bad_rows_excluded_explicitly_let_the_rest_in(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)[:4]
    rows[2][2] = "ZZ9"
    path = write_csv(tmp_path / "returns.csv", rows)
    check = check_returns(demo_database, path)
    assert check.error_rows == {4}
    before = counts(demo_database)
    report = import_returns(demo_database, path, exclude_rows={4})
    assert report.row_count == 3
    assert counts(demo_database)[1] == before[1] + 3


def test_the_submission_records_the_file_checked_and_a_file_changed_since_is_refused(
    demo_database: Database, tmp_path: Path
):
    """The file's SHA-256 is taken as the rows are applied, not while they are checked; a
    file edited between its check and its application is refused, the database untouched."""
    import hashlib
    import os

    from app.services.returns_import import apply_returns

    rows = plan_rows(demo_database)
    path = write_csv(tmp_path / "returns.csv", rows)
    check = check_returns(demo_database, path)
    report = apply_returns(demo_database, check)
    with demo_database.reader() as session:
        recorded = session.get(ReturnSubmission, report.submissions[0].id)
        assert recorded is not None
        assert recorded.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()

    edited = write_csv(tmp_path / "edited.csv", rows)
    check = check_returns(demo_database, edited)
    with edited.open("a") as more:
        more.write(edited.read_text().splitlines()[1] + "\n")
    os.utime(edited, ns=(check.stamp.modified_ns, check.stamp.modified_ns))  # its size tells
    before = counts(demo_database)
    with pytest.raises(InputRejected) as raised:
        apply_returns(demo_database, check)
    assert messages(raised.value) == [
        "edited.csv::: the file has changed since it was checked: check it again"
    ]
    assert counts(demo_database) == before

    gone = write_csv(tmp_path / "gone.csv", rows)
    check = check_returns(demo_database, gone)
    gone.unlink()
    with pytest.raises(InputRejected):
        apply_returns(demo_database, check)
    assert counts(demo_database) == before


def test_dry_run_changes_nothing(demo_database: Database, tmp_path: Path):
    before = counts(demo_database)
    report = import_returns(
        demo_database, write_csv(tmp_path / "r.csv", plan_rows(demo_database)), dry_run=True
    )
    assert report.dry_run and report.submissions
    assert counts(demo_database) == before


def test_latest_submission_replaces_the_month_and_keeps_history(
    demo_database: Database, tmp_path: Path
):
    rows = plan_rows(demo_database)
    first = import_returns(demo_database, write_csv(tmp_path / "first.csv", rows))
    doubled = [[*r[:7], r[7] * 2, r[8], r[9] * 2] for r in rows]
    second = import_returns(demo_database, write_csv(tmp_path / "second.csv", doubled))
    assert second.submissions[0].replaced_id == first.submissions[0].id
    with demo_database.reader() as session:
        old = session.get(ReturnSubmission, first.submissions[0].id)
        assert old is not None and old.replaced_by_id == second.submissions[0].id
        assert session.scalar(
            select(func.count()).select_from(ReturnRow).where(ReturnRow.submission_id == old.id)
        ) == len(rows)
        total = session.scalar(
            select(func.sum(LineSummary.actual_cost)).where(
                LineSummary.financial_year == YEAR, LineSummary.month == MONTH
            )
        )
    assert total == sum(r[9] for r in doubled)


@pytest.mark.sqlite_only  # SQLite's own query plans
def test_a_replaced_months_summaries_are_found_by_index_not_by_reading_the_table(
    demo_database: Database, tmp_path: Path
):
    import sqlite3

    from sqlalchemy import event

    # Two providers' months: SQLite searches the index for one (year, month, provider) row
    # value, but reads the whole table for a list of them.
    rows = plan_rows(demo_database, "RX1") + plan_rows(demo_database, "RX2")
    import_returns(demo_database, write_csv(tmp_path / "first.csv", rows))
    deletes: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement: str, parameters: object, *_: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("DELETE FROM") and "_summary" in statement:
            deletes.append((statement, parameters))

    event.listen(demo_database.engine, "before_cursor_execute", record)
    try:
        import_returns(demo_database, write_csv(tmp_path / "second.csv", rows))
    finally:
        event.remove(demo_database.engine, "before_cursor_execute", record)
    assert {d[0].split()[2] for d in deletes} == {"activity_summary", "line_summary"}
    path = demo_database.engine.url.database
    assert path is not None
    with sqlite3.connect(path) as connection:
        plans = [
            " ".join(r[3] for r in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in deletes
        ]
    connection.close()
    # A SCAN would read every summary row of every year for each statement; a search on
    # the year alone, every row of the year.
    assert all(
        plan.startswith("SEARCH") and "USING PRIMARY KEY" in plan and "provider_id=?" in plan
        for plan in plans
    ), plans


def test_an_old_commissioner_code_counts_towards_its_successor(
    demo_database: Database, tmp_path: Path
):
    rows = plan_rows(demo_database)[:1]
    rows[0][3] = "5C1"  # merged into 5A3 in April 2024
    rows[0][6] = ""
    import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    with demo_database.reader() as session:
        successor = session.scalars(select(Organisation).where(Organisation.code == "5A3")).one()
        summary = session.scalars(
            select(ActivitySummary).where(
                ActivitySummary.financial_year == YEAR, ActivitySummary.month == MONTH
            )
        ).one()
    assert summary.commissioner_id == successor.id
    assert summary.actual_cost == rows[0][9]


def test_a_workbook_is_read_and_named_with_its_sheet(demo_database: Database, tmp_path: Path):
    rows = plan_rows(demo_database)[:3]
    rows[2][0] = "2026/28"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    path = tmp_path / "returns.xlsx"
    book.save(path)
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, path)
    assert messages(raised.value) == [
        "returns.xlsx[Return]:4:Financial year: '2026/28' is not a financial year: the years "
        "must be consecutive"
    ]
    assert import_returns(demo_database, path, exclude_rows={4}).row_count == 2


def _workbook_of_sheets(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    book.save(path)
    return path


def test_the_sheet_that_holds_the_return_is_found_or_named(demo_database: Database, tmp_path: Path):
    """A provider's workbook with notes first: the sheet whose header has every required
    column is read; another can be named; a sheet that is not there is refused by name."""
    from app.services.returns_import import read_headers, sheet_names

    rows = plan_rows(demo_database)[:3]
    sheets = {
        "Notes": [["Monthly return for Northgate NHS Trust"], ["Sent by the contracts team"]],
        "Return": [HEADERS, *rows],
        "Last month": [HEADERS, *plan_rows(demo_database, month=10)[:2]],
    }
    path = _workbook_of_sheets(tmp_path / "returns.xlsx", sheets)
    assert sheet_names(path) == ["Notes", "Return", "Last month"]
    assert read_headers(path) == HEADERS
    check = check_returns(demo_database, path)
    assert check.file == "returns.xlsx[Return]" and check.row_count == 3, check.errors
    assert check_returns(demo_database, path, sheet="Last month").row_count == 2
    with pytest.raises(InputRejected) as raised:
        check_returns(demo_database, path, sheet="Summary")
    assert messages(raised.value) == [
        "returns.xlsx::: there is no sheet named 'Summary': its sheets are Notes, Return, "
        "Last month"
    ]
    report = import_returns(demo_database, path, sheet="Return")
    assert report.row_count == 3


def test_a_column_mapping_is_remembered_by_header_row(demo_database: Database, tmp_path: Path):
    headers = ["FY", "Mth", "Trust", "PCT", "Svc", "POD code", "Plan", "Done", "Unit £", "£"]
    path = write_csv(tmp_path / "theirs.csv", plan_rows(demo_database)[:2], headers)
    with pytest.raises(InputRejected):
        import_returns(demo_database, path)
    mapping = {f.key: h for f, h in zip(FIELDS, headers, strict=True)}
    remember_mapping(demo_database, headers, mapping)
    assert import_returns(demo_database, path).row_count == 2
    with demo_database.reader() as session:
        assert session.scalar(select(func.count()).select_from(ReturnColumnMapping)) == 1


def test_cancel_leaves_the_data_as_it_was(demo_database: Database, tmp_path: Path):
    path = write_csv(tmp_path / "returns.csv", plan_rows(demo_database))
    before = counts(demo_database)

    def progress(phase: str, fraction: float) -> bool:
        return phase != "writing" or fraction == 0.0

    with pytest.raises(ImportCancelled):
        import_returns(demo_database, path, progress=progress)
    assert counts(demo_database) == before


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from app.store.database import open_database
    from app.services.returns_import import import_returns

    database = open_database(sys.argv[1], user="tester")

    def progress(phase, fraction):
        if phase == "writing" and fraction > 0.3:
            print("killing", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return True

    import_returns(database, sys.argv[2], progress=progress)
    """
)


def synthetic_rows(database: Database, count: int) -> list[list[object]]:
    """`count` distinct valid rows over the demo's codes, with no plan to compare against."""
    with database.reader() as session:
        providers = list(session.scalars(select(Contract.provider_id).distinct()))
        provider_codes = sorted(
            session.scalars(select(Organisation.code).where(Organisation.id.in_(providers)))
        )
        commissioners = sorted(
            session.scalars(select(Organisation.code).where(Organisation.code.like("5%")))
        )
        lines = sorted({d.code for d in session.scalars(select(ServiceDefinition))})[:40]
    points = ["EL", "NEL", "DC", "OPFA", "OPFU", "BD", "PY", "DRUG"]
    rows: list[list[object]] = []
    for year in ("2023/24", "2024/25", "2025/26"):
        for month in range(1, 13):
            for provider in provider_codes:
                for commissioner in commissioners:
                    for line in lines:
                        for point in points:
                            rows.append(
                                [year, month, provider, commissioner, line, point, "", 1, 100, 100]
                            )
                            if len(rows) == count:
                                return rows
    return rows


@pytest.mark.slow
@pytest.mark.sqlite_only  # the killed process opens the database file by its path
def test_a_process_killed_while_writing_leaves_the_database_unchanged(
    demo_database: Database, tmp_path: Path
):
    rows = synthetic_rows(demo_database, 120_000)
    assert len(rows) == 120_000
    path = write_csv(tmp_path / "big.csv", rows)
    before = counts(demo_database)
    database_path = demo_database.path
    demo_database.close()
    result = subprocess.run(
        [sys.executable, "-c", KILLER, str(database_path), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "killing" in result.stdout
    database = open_database(database_path, user="tester")
    try:
        assert counts(database) == before
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        database.close()


def test_a_cell_that_is_not_utf8_is_named_and_nothing_is_applied(
    demo_database: Database, tmp_path: Path
):
    path = write_csv(tmp_path / "latin.csv", plan_rows(demo_database)[:3])
    lines = path.read_bytes().split(b"\r\n")
    # The price of file row 4 saved in another encoding (a pound sign in Latin-1).
    cells = lines[3].split(b",")
    cells[8] = b"\xa3" + cells[8]
    lines[3] = b",".join(cells)
    path.write_bytes(b"\r\n".join(lines))
    before = counts(demo_database)
    with pytest.raises(InputRejected) as raised:
        import_returns(demo_database, path)
    assert messages(raised.value) == [
        "latin.csv:4:Price: the cell is not UTF-8 text: save the file as CSV UTF-8"
    ]
    assert counts(demo_database) == before


def test_an_organisation_removed_after_the_check_refuses_the_file_whole(
    demo_database: Database, tmp_path: Path
):
    """The bulk write does not look each row's references up: they are looked up once, and
    a commissioner deleted between the check and the write stops the import."""
    from app.models import Term
    from app.services.returns_import import apply_returns

    with demo_database.session() as session:
        pct = session.scalars(select(Organisation).where(Organisation.code == "5A3")).one()
        kind = session.get(Term, pct.type_id)
        session.add(Organisation(code="5Z9", name="Passing PCT", type=kind))
    rows = plan_rows(demo_database)[:3]
    rows[1][3] = "5Z9"
    rows[1][6] = ""  # not the contract's plan for this PCT: no warning wanted either
    check = check_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    assert check.clean, messages(check.errors)
    before = counts(demo_database)
    with demo_database.session() as session:
        session.execute(Organisation.__table__.delete().where(Organisation.code == "5Z9"))
    with pytest.raises(InputRejected) as raised:
        apply_returns(demo_database, check)
    assert messages(raised.value) == [
        "returns.csv:3:Commissioner code: '5Z9' is no longer in the database (removed after "
        "the file was checked): nothing was applied; check the file again"
    ]
    assert counts(demo_database) == before


@pytest.mark.sqlite_only
def test_after_a_bulk_write_the_database_checks_references_and_is_checkpointed(
    demo_database: Database, tmp_path: Path
):
    """An import's connection goes back to the pool checking foreign keys again, and the
    background checkpoint copies the import into the database file itself."""
    import shutil
    import sqlite3

    from sqlalchemy.exc import IntegrityError

    rows = plan_rows(demo_database)
    import_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    demo_database.wait_for_checkpoint()
    with demo_database.session() as session:
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    with pytest.raises(IntegrityError), demo_database.session() as session:
        submission = session.scalars(select(ReturnSubmission.id)).first()
        session.add(
            ReturnRow(
                submission_id=submission,
                commissioner_id=submission,  # no such organisation
                service_line_id=submission,
                point_of_delivery="EL",
                actual_activity=Decimal(1),
            )
        )
    # The database file alone, without its write-ahead log, holds the import.
    assert demo_database.path is not None
    alone = tmp_path / "alone.sqlite"
    shutil.copyfile(demo_database.path, alone)
    connection = sqlite3.connect(alone)
    try:
        found = connection.execute(
            "SELECT count(*) FROM return_submission WHERE file_name = 'returns.csv'"
        ).fetchone()[0]
    finally:
        connection.close()
    assert found == 1


@pytest.mark.sqlite_only
def test_an_organisation_removed_as_the_write_begins_refuses_the_file_whole(
    demo_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Deleted by another user between the references' first look-up and the write's first
    row: SQLite does not look the rows' references up, so they are looked up again once the
    write holds the lock."""
    import sqlite3

    from app.models import Term
    from app.services import returns_import

    with demo_database.session() as session:
        pct = session.scalars(select(Organisation).where(Organisation.code == "5A3")).one()
        session.add(
            Organisation(code="5Z9", name="Passing PCT", type=session.get(Term, pct.type_id))
        )
    rows = plan_rows(demo_database)[:3]
    rows[1][3] = "5Z9"
    rows[1][6] = ""
    check = check_returns(demo_database, write_csv(tmp_path / "returns.csv", rows))
    before = counts(demo_database)
    replace = returns_import._replace_submissions

    def deleted_first(*args: object, **kwargs: object) -> object:
        other = sqlite3.connect(str(demo_database.path))
        with other:
            other.execute("DELETE FROM organisation WHERE code = '5Z9'")
        other.close()
        return replace(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(returns_import, "_replace_submissions", deleted_first)
    with pytest.raises(InputRejected) as raised:
        returns_import.apply_returns(demo_database, check)
    assert [p.row for p in raised.value.problems] == [3]
    assert "'5Z9' is no longer in the database" in messages(raised.value)[0]
    assert counts(demo_database) == before
