"""`commissioning returns|contracts|monitoring|risk-share ...`: contract monitoring."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.errors import InputRejected
from app.models import FinancialYear
from app.services import contracts, year_end
from app.services.access import Area

CONTRACT_COLUMNS = [
    ("reference", "Reference"),
    ("provider_name", "Provider"),
    ("financial_year", "Year"),
    ("status", "Status"),
    ("overdue", "Overdue"),
    ("expected_value", "Expected value"),
    ("lines", "Lines"),
]


def _year(text: str) -> FinancialYear:
    try:
        return FinancialYear.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "").lstrip("£"))
    except InvalidOperation as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount such as 12345.67") from error


def register(add: CommandAdder) -> None:
    returns = add("returns", usage("returns import FILE... [--dry-run] [--invoice-total AMOUNT] "
                                   "[--sheet NAME]"),
                  "monthly contract monitoring returns")  # fmt: skip
    actions = returns.add_subparsers(dest="returns_command", metavar="ACTION")
    importing = add.sub(actions, "import", returns_import_command, "check and apply return files")
    importing.add_argument("files", nargs="+", metavar="FILE")
    importing.add_argument("--dry-run", action="store_true", help="check only; change nothing")
    importing.add_argument("--invoice-total", type=_amount, metavar="AMOUNT",
                           help="the file's costs must add up to this")  # fmt: skip
    importing.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet of a workbook to read (by default the first whose header has every "
        "required column, else the first)",
    )

    group = add(
        "contracts", usage("contracts list|export|import|template ..."), "contracts with providers"
    )
    actions = group.add_subparsers(dest="contracts_command", metavar="ACTION")
    listing = add.sub(actions, "list", contracts_list, "the contracts, with overdue flags")
    listing.add_argument("--year", type=_year, metavar="FY")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    exporting = add.sub(actions, "export", contracts_export, "write contract lines and plans")
    exporting.add_argument("file", metavar="FILE")
    exporting.add_argument("--year", type=_year, metavar="FY")
    importing = add.sub(actions, "import", contracts_import, "read contract lines and plans",
                        writes=Area.CONTRACTS)  # fmt: skip
    importing.add_argument("file", metavar="FILE")
    template = add.sub(actions, "template", contracts_template, "write the empty template")
    template.add_argument("file", metavar="FILE")

    monitoring = add("monitoring", usage("monitoring export --year FY --out FILE.xlsx"),
                     "plan against actual")  # fmt: skip
    actions = monitoring.add_subparsers(dest="monitoring_command", metavar="ACTION")
    exporting = add.sub(actions, "export", monitoring_export, "every contract line of a year")
    exporting.add_argument("--year", type=_year, metavar="FY", required=True)
    exporting.add_argument("--out", metavar="FILE.xlsx", required=True)

    sharing = add("risk-share", risk_share_command, "share a service line's over-performance")
    sharing.add_argument("--line", metavar="CODE", required=True, help="service line code")
    sharing.add_argument("--year", type=_year, metavar="FY", required=True)
    sharing.add_argument("--tolerance", type=_amount, metavar="PERCENT", help="default 3")
    sharing.add_argument("--years", type=int, default=3, help="historical usage period")
    sharing.add_argument("--json", action="store_true", help="print JSON")


def usage(text: str):  # type: ignore[no-untyped-def]
    def show(arguments: argparse.Namespace, context: CommandContext) -> int:
        print(f"usage: commissioning {text}", file=sys.stderr)
        return 2

    return show


def returns_import_command(arguments: argparse.Namespace, context: CommandContext) -> int:
    """Each file is checked and applied on its own; one bad file does not stop the others."""
    from app.services import returns_import  # pandas: loaded by this command, not the parser

    database = context.open()
    rejected = 0
    try:
        for name in arguments.files:
            try:
                report = returns_import.import_returns(
                    database,
                    name,
                    dry_run=arguments.dry_run,
                    invoice_total=arguments.invoice_total,
                    received_on=context.as_of,
                    sheet=arguments.sheet if Path(name).suffix.lower() != ".csv" else None,
                )
            except InputRejected as error:
                rejected += 1
                print(str(error), file=sys.stderr)
                print(f"{name}: rejected, nothing applied", file=sys.stderr)
                continue
            for warning in report.warnings:
                print(str(warning), file=sys.stderr)
            verb = "would apply" if report.dry_run else "applied"
            print(f"{report.file}: {verb} {report.row_count} rows, total £{report.total_cost:,.2f}")
            if report.ignored_columns:
                print(f"  ignored columns: {', '.join(report.ignored_columns)}")
            for s in report.submissions:
                replaced = f", replacing {s.replaced_id}" if s.replaced_id else ""
                print(f"  {s.provider_code} {s.financial_year} month {s.month}: "
                      f"{s.row_count} rows{replaced}")  # fmt: skip
    finally:
        database.close()
    return 3 if rejected else 0


def contracts_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        rows = contracts.list_contracts(database, arguments.year, context.as_of)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, CONTRACT_COLUMNS)
    return 0


def contracts_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        count = contracts.export_contracts(database, arguments.file, arguments.year)
    finally:
        database.close()
    print(f"wrote {count} contract lines to {arguments.file}")
    return 0


def contracts_template(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        contracts.export_contracts(database, arguments.file, template=True)
    finally:
        database.close()
    print(f"wrote the empty template to {arguments.file}")
    return 0


def contracts_import(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        count = contracts.import_contracts(database, arguments.file)
    finally:
        database.close()
    print(f"imported {count} contract lines from {arguments.file}")
    return 0


def monitoring_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services.table_export import write_xlsx

    database = context.open()
    try:
        write_xlsx(year_end.monitoring_table(database, arguments.year), arguments.out)
    finally:
        database.close()
    print(f"wrote the monitoring of {arguments.year} to {arguments.out}")
    return 0


def risk_share_command(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        report = year_end.risk_share(
            database, arguments.line, arguments.year, arguments.tolerance, arguments.years
        )
    finally:
        database.close()
    if arguments.json:
        data = {
            "service_line": report.service_line,
            "year": report.year,
            "plan": str(report.plan),
            "outturn": str(report.outturn),
            "commissioner_pays": str(report.tolerance.commissioner_pays),
            "provider_bears": str(report.tolerance.provider_bears),
            "by_capitation": {line.code: str(line.amount) for line in report.by_capitation.lines},
            "by_usage": {line.code: str(line.amount) for line in report.by_usage.lines},
            "explanation": report.explanation,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print("\n".join(report.explanation))
    return 0
