"""`commissioning providers|commissioners|quality|notices|budget|year-end|clause9 ...`.

The records around contracts, brought in from spreadsheets and kept up, and the SCG's money:
its pooled budget, the year end and the clause 9 summary for its members.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.errors import InputRejected, UsageError
from app.models import FinancialYear, NoticeKind
from app.services import (
    contract_exchange,
    contract_split,
    points_of_delivery,
    pooled_budget,
    quality,
    year_end,
)
from app.services.access import Area
from app.services.risk_sharing import Method

STANDARD_COLUMNS = [
    ("contract", "Contract"),
    ("service_line", "Line"),
    ("point_of_delivery", "Point"),
    ("name", "Standard"),
    ("target", "Target"),
    ("frequency", "Frequency"),
    ("latest_period", "Latest"),
    ("latest_result", "Result"),
    ("met", "Met"),
]
NOTICE_COLUMNS = [
    ("issued_on", "Issued"),
    ("contract", "Contract"),
    ("kind", "Kind"),
    ("amount", "Amount"),
    ("status", "Status"),
    ("reason", "Reason"),
]
SPLIT_COLUMNS = [("commissioner", "Commissioner"), ("share", "Share")]
POINT_COLUMNS = [("code", "Code"), ("name", "Name"), ("status", "Status")]
CONTRIBUTION_COLUMNS = [
    ("member", "Member"),
    ("baseline", "Baseline"),
    ("basis", "How set"),
    ("share", "Share"),
    ("amount", "Contribution"),
]
STATEMENT_COLUMNS = [
    ("member", "Member"),
    ("share", "Share"),
    ("contribution", "Contribution"),
    ("outturn_share", "Outturn share"),
    ("adjustment", "Year-end adjustment"),
]
PAYMENT_COLUMNS = [
    ("contract", "Contract"),
    ("provider", "Provider"),
    ("contract_value", "Contract value"),
    ("outturn", "Outturn"),
    ("difference", "Difference"),
]
CLAUSE9_COLUMNS = [
    ("member", "Member"),
    ("plan_activity", "Planned activity"),
    ("plan_cost", "Planned cost"),
    ("actual_activity_ytd", "Activity to date"),
    ("actual_cost_ytd", "Cost to date"),
    ("forecast_cost", "Forecast outturn"),
    ("forecast_variance", "Forecast variance"),
    ("risk_share_by_capitation", "Shared by capitation"),
]


def _year(text: str) -> FinancialYear:
    try:
        return FinancialYear.parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from error


def _amount(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").lstrip("£"))
    except InvalidOperation as error:
        raise UsageError(f"{what}: '{text}' is not an amount such as 12345.67") from error
    if value != value.quantize(Decimal("0.01")):
        raise UsageError(f"{what}: '{text}' has more than two decimal places")
    return value


def _fraction(text: str, what: str) -> Decimal:
    """0.4 or 40%."""
    try:
        if text.strip().endswith("%"):
            return Decimal(text.strip()[:-1]) / 100
        return Decimal(text)
    except InvalidOperation as error:
        raise UsageError(f"{what}: '{text}' is not a fraction such as 0.4 or 40%") from error


def _percent(text: str, what: str) -> Decimal:
    """2.5 or 2.5%, as the fraction 0.025."""
    try:
        return Decimal(text.strip().rstrip("%")) / 100
    except InvalidOperation as error:
        raise UsageError(f"{what}: '{text}' is not a percentage such as 2.5") from error


def _pair(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise UsageError(f"{what}: '{text}' is not NAME=VALUE")
    return name.strip(), value.strip()


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"{what}: '{text}' is not a date such as 2026-11-22") from error


def register(add: CommandAdder) -> None:
    for kind in contract_exchange.kinds():
        if kind.key == "contracts":
            continue  # `contracts import|export|template` are the contracts area's own
        group = add(kind.key, _usage(f"{kind.key} export|import|template FILE"), kind.title)
        actions = group.add_subparsers(dest=f"{kind.key}_command", metavar="ACTION")
        exporting = add.sub(actions, "export", exchange_export, f"write {kind.title.lower()}")
        exporting.add_argument("file", metavar="FILE.xlsx")
        template = add.sub(actions, "template", exchange_template, "write the empty template")
        template.add_argument("file", metavar="FILE.xlsx")
        importing = add.sub(actions, "import", exchange_import, "check and apply a workbook, "
                            "all rows or none", writes=Area.CONTRACTS)  # fmt: skip
        importing.add_argument("file", metavar="FILE.xlsx")
        for parser in (exporting, template, importing):
            parser.set_defaults(kind=kind.key)
        if kind.key == "quality":
            listing = add.sub(actions, "list", quality_list, "standards, latest results, warnings")
            listing.add_argument("--year", metavar="FY")
            listing.add_argument("--contract", metavar="REF")
            listing.add_argument("--json", action="store_true", help="print a JSON array")

    notices = add("notices", _usage("notices list|add ..."), "contract notices and sanctions")
    actions = notices.add_subparsers(dest="notices_command", metavar="ACTION")
    listing = add.sub(actions, "list", notices_list, "every notice, oldest first")
    listing.add_argument("--contract", metavar="REF")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    adding = add.sub(actions, "add", notices_add, "issue a notice or sanction",
                     writes=Area.CONTRACTS)  # fmt: skip
    adding.add_argument("--contract", metavar="REF", required=True)
    adding.add_argument("--kind", choices=NoticeKind.ALL, required=True)
    adding.add_argument("--reason", required=True)
    adding.add_argument("--issued-on", metavar="DATE", help="default: today (--as-of)")
    adding.add_argument("--amount", metavar="AMOUNT")
    adding.add_argument("--from", dest="start", metavar="DATE")
    adding.add_argument("--to", dest="end", metavar="DATE")

    budget = add("budget", _usage("budget show|set --year FY ..."), "the SCG's pooled budget")
    actions = budget.add_subparsers(dest="budget_command", metavar="ACTION")
    showing = add.sub(actions, "show", budget_show, "the budget and each PCT's contribution")
    showing.add_argument("--year", metavar="FY", required=True)
    showing.add_argument("--group", metavar="CODE")
    showing.add_argument("--json", action="store_true", help="print JSON")
    setting = add.sub(actions, "set", budget_set, "set the year's budget (replaces it)",
                      writes=Area.CONTRACTS)  # fmt: skip
    setting.add_argument("--year", metavar="FY", required=True)
    setting.add_argument("--services", metavar="AMOUNT", required=True,
                         help="the services budget before uplifts")  # fmt: skip
    setting.add_argument("--management", metavar="AMOUNT", default="0",
                         help="the SCG's management costs")  # fmt: skip
    setting.add_argument("--uplift", action="append", default=[], metavar="NAME=PERCENT",
                         help="an uplift of the services budget: Inflation=2.5")  # fmt: skip
    setting.add_argument("--share", action="append", default=[], metavar="CODE=SHARE",
                         help="a PCT's agreed share (0.4 or 40%%); others pay pro rata to "
                         "baseline")  # fmt: skip
    setting.add_argument("--group", metavar="CODE")
    setting.add_argument("--notes", default="")

    ending = add("year-end", _usage("year-end show|roll --year FY ..."),
                 "member statements, provider payments, roll-over")  # fmt: skip
    actions = ending.add_subparsers(dest="year_end_command", metavar="ACTION")
    showing = add.sub(actions, "show", year_end_show, "each PCT's statement, each payment")
    showing.add_argument("--year", metavar="FY", required=True)
    showing.add_argument("--method", choices=(Method.CAPITATION, Method.HISTORICAL_USAGE,
                                              Method.BASELINE_SHARE),
                         default=Method.CAPITATION)  # fmt: skip
    showing.add_argument("--usage-years", type=int, default=3, metavar="N")
    showing.add_argument("--json", action="store_true", help="print JSON")
    rolling = add.sub(actions, "roll", year_end_roll, "copy the year's contracts into the next "
                      "as drafts, with an uplift", writes=Area.CONTRACTS)  # fmt: skip
    rolling.add_argument("--year", metavar="FY", required=True)
    rolling.add_argument("--uplift", metavar="PERCENT", required=True, help="such as 2.1")

    points = add("points", _usage("points list|add|rename|retire|restore ..."),
                 "the points of delivery returns and contract lines name")  # fmt: skip
    actions = points.add_subparsers(dest="points_command", metavar="ACTION")
    listing = add.sub(actions, "list", points_list, "every point, retired ones marked")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    adding = add.sub(actions, "add", points_add, "add a point", writes=Area.CONTRACTS)
    renaming = add.sub(actions, "rename", points_rename, "give a point a new name",
                       writes=Area.CONTRACTS)  # fmt: skip
    for parser in (adding, renaming):
        parser.add_argument("code", metavar="CODE")
        parser.add_argument("name", metavar="NAME")
    for action, retired, text in (
        ("retire", True, "retire a point: returns naming it are refused"),
        ("restore", False, "bring a retired point back"),
    ):
        parser = add.sub(actions, action, points_retire, text, writes=Area.CONTRACTS)
        parser.add_argument("code", metavar="CODE")
        parser.set_defaults(retired=retired)

    split = add("split", _usage("split show|set|clear --contract REF ..."),
                "a contract's own split of its plan between the PCTs")  # fmt: skip
    actions = split.add_subparsers(dest="split_command", metavar="ACTION")
    showing = add.sub(actions, "show", split_show, "the split (none: capitation shares)")
    showing.add_argument("--json", action="store_true", help="print a JSON array")
    setting = add.sub(actions, "set", split_set, "set the split (replaces it)",
                      writes=Area.CONTRACTS)  # fmt: skip
    setting.add_argument("--share", action="append", required=True, metavar="CODE=SHARE",
                         help="a PCT's part of the plan (0.4 or 40%%); the parts make a "
                         "whole")  # fmt: skip
    clearing = add.sub(actions, "clear", split_set, "back to capitation shares",
                       writes=Area.CONTRACTS)  # fmt: skip
    clearing.set_defaults(share=[])
    for parser in (showing, setting, clearing):
        parser.add_argument("--contract", metavar="REF", required=True)

    clause9 = add("clause9", clause9_command, "a contract's clause 9 summary for the members")
    clause9.add_argument("--contract", metavar="REF", required=True)
    clause9.add_argument("--out", metavar="FILE.xlsx", help="write it to a workbook")
    clause9.add_argument("--json", action="store_true", help="print a JSON array")


def _usage(text: str):  # type: ignore[no-untyped-def]
    def show(arguments: argparse.Namespace, context: CommandContext) -> int:
        print(f"usage: commissioning {text}", file=sys.stderr)
        return 2

    return show


def _kind(key: str) -> contract_exchange.Kind:
    return next(k for k in contract_exchange.kinds() if k.key == key)


def exchange_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        count = _kind(arguments.kind).export(database, arguments.file)
    finally:
        database.close()
    print(f"wrote {count} rows to {arguments.file}")
    return 0


def exchange_template(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        _kind(arguments.kind).export(database, arguments.file, template=True)
    finally:
        database.close()
    print(f"wrote the empty template to {arguments.file}")
    return 0


def exchange_import(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        report = _kind(arguments.kind).load(database, arguments.file)
    except InputRejected as error:
        print(str(error), file=sys.stderr)
        print(f"{arguments.file}: rejected, nothing applied", file=sys.stderr)
        return error.exit_code
    finally:
        database.close()
    sheets = ", ".join(f"{rows} {name}" for name, rows in report.rows.items())
    print(f"{report.file}: {sheets}; {report.created} added, {report.updated} updated")
    return 0


def quality_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        year = _year(arguments.year) if arguments.year else None
        rows = quality.list_standards(database, year, arguments.contract)
        warnings = quality.quality_warnings(
            database, year or FinancialYear.containing(context.as_of)
        )
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
        return 0
    print_table(rows, STANDARD_COLUMNS)
    for warning in warnings:
        if not arguments.contract or warning.startswith(f"{arguments.contract} "):
            print(f"WARNING: {warning}", file=sys.stderr)
    return 0


def notices_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        rows = quality.list_notices(database, arguments.contract)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, NOTICE_COLUMNS)
    return 0


def notices_add(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        notice = quality.add_notice(
            database,
            arguments.contract,
            arguments.kind,
            arguments.reason,
            _day(arguments.issued_on, "--issued-on") if arguments.issued_on else context.as_of,
            _amount(arguments.amount, "--amount") if arguments.amount else None,
            _day(arguments.start, "--from") if arguments.start else None,
            _day(arguments.end, "--to") if arguments.end else None,
        )
    finally:
        database.close()
    print(f"issued {arguments.kind} notice {notice} on {arguments.contract}")
    return 0


def split_show(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        parts = contract_split.split_of(database, arguments.contract)
    finally:
        database.close()
    if arguments.json:
        print(to_json(parts))
    elif not parts:
        print(f"{arguments.contract} sets no split: each PCT's part is its capitation share")
    else:
        print_table(parts, SPLIT_COLUMNS)
    return 0


def split_set(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()  # (who may change contracts is checked first)
    try:
        parts = {}
        for text in arguments.share:
            code, share = _pair(text, "--share")
            parts[code] = _fraction(share, "--share")
        contract_split.set_split(database, arguments.contract, parts)
    finally:
        database.close()
    if parts:
        print(f"{arguments.contract}: the plan is split between {len(parts)} PCTs")
    else:
        print(f"{arguments.contract}: each PCT's part is its capitation share")
    return 0


def points_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        rows = points_of_delivery.list_points(database)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, POINT_COLUMNS)
    return 0


def points_add(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        code = points_of_delivery.add_point(database, arguments.code, arguments.name)
    finally:
        database.close()
    print(f"added point of delivery {code}")
    return 0


def points_rename(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        before = points_of_delivery.rename_point(database, arguments.code, arguments.name)
    finally:
        database.close()
    print(f"renamed {arguments.code.strip()}: '{before}' is now '{arguments.name.strip()}'")
    return 0


def points_retire(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        points_of_delivery.set_retired(database, arguments.code, arguments.retired)
    finally:
        database.close()
    done = "retired" if arguments.retired else "restored"
    print(f"{done} point of delivery {arguments.code.strip()}")
    return 0


def _budget_json(view: pooled_budget.PooledBudgetView) -> dict[str, Any]:
    return {
        "group": view.group,
        "year": view.year,
        "services_budget": str(view.settings.services_budget),
        "uplifts": [{"name": u.name, "rate": str(u.rate), "amount": str(u.amount)}
                    for u in view.uplifts],
        "uplifted_services": str(view.uplifted_services),
        "management_costs": str(view.management_costs),
        "total": str(view.total),
        "contributions": [
            {"code": c.code, "baseline": str(c.baseline), "basis": c.basis,
             "share": str(c.share), "amount": str(c.amount)}
            for c in view.contributions
        ],
        "explanation": view.explanation,
    }  # fmt: skip


def _print_budget(view: pooled_budget.PooledBudgetView, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_budget_json(view), indent=2, ensure_ascii=False))
        return
    print("\n".join(view.explanation[: 5 + len(view.uplifts)]))
    print()
    print_table(view.contributions, CONTRIBUTION_COLUMNS)


def budget_show(arguments: argparse.Namespace, context: CommandContext) -> int:
    year = _year(arguments.year)
    database = context.open()
    try:
        view = pooled_budget.pooled_budget(database, year, arguments.group)
    finally:
        database.close()
    if view is None:
        print(f"no pooled budget has been set for {year}", file=sys.stderr)
        return 3
    _print_budget(view, arguments.json)
    return 0


def budget_set(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        uplifts = []
        for text in arguments.uplift:
            name, value = _pair(text, "--uplift")
            uplifts.append((name, _percent(value, "--uplift")))
        shares = {}
        for text in arguments.share:
            code, value = _pair(text, "--share")
            shares[code] = _fraction(value, "--share")
        settings = pooled_budget.BudgetSettings(
            year=_year(arguments.year),
            services_budget=_amount(arguments.services, "--services"),
            management_costs=_amount(arguments.management, "--management"),
            uplifts=tuple(uplifts),
            agreed_shares=shares,
            notes=arguments.notes,
            group=arguments.group or "",
        )
        view = pooled_budget.set_pooled_budget(database, settings)
    finally:
        database.close()
    _print_budget(view, False)
    return 0


def year_end_show(arguments: argparse.Namespace, context: CommandContext) -> int:
    year = _year(arguments.year)
    database = context.open()
    try:
        result = year_end.year_end(database, year, arguments.method, arguments.usage_years)
    finally:
        database.close()
    if arguments.json:
        print(json.dumps({"year": result.year, "basis": result.basis,
                          "statements": json.loads(to_json(result.statements)),
                          "payments": json.loads(to_json(result.payments))},
                         indent=2, ensure_ascii=False))  # fmt: skip
        return 0
    print(f"Member statements {result.year} ({arguments.method.replace('_', ' ')})")
    print(f"Contributions: {result.basis}.")
    print_table(result.statements, STATEMENT_COLUMNS)
    print()
    print(f"Payments to providers {result.year}")
    print_table(result.payments, PAYMENT_COLUMNS)
    return 0


def year_end_roll(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        year = _year(arguments.year)
        uplift = _percent(arguments.uplift, "--uplift")
        created = year_end.roll_contracts(database, year, uplift)
    finally:
        database.close()
    print(f"rolled {len(created)} contracts into {year + 1} as drafts")
    for reference in created:
        print(f"  {reference}")
    return 0


def clause9_command(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        summary = year_end.clause9_summary(database, arguments.contract)
        if arguments.out:
            year_end.export_clause9(database, arguments.contract, arguments.out)
    finally:
        database.close()
    if arguments.json:
        print(to_json(summary.rows))
    elif not arguments.out:
        print(f"Clause 9 summary {summary.contract}, {summary.year}, "
              f"{summary.months_reported} months of returns")  # fmt: skip
        print_table(summary.rows, CLAUSE9_COLUMNS)
    if arguments.out:
        print(f"wrote the clause 9 summary of {arguments.contract} to {arguments.out}",
              file=sys.stderr if arguments.json else sys.stdout)  # fmt: skip
    return 0
