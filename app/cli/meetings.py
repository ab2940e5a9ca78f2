"""`commissioning meetings ...` and `commissioning report ...`: meetings, papers and reports."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.errors import InputRejected
from app.models import FinancialYear
from app.services import meetings
from app.services.reports import KINDS, ReportRequest, write_report

MEETING_COLUMNS = [
    ("id", "Id"),
    ("held_on", "Date"),
    ("starts_at", "Starts"),
    ("body_short_name", "Body"),
    ("status", "Status"),
    ("items", "Items"),
    ("papers_missing", "Papers missing"),
]


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-11-22") from error


def _year(text: str) -> FinancialYear:
    try:
        return FinancialYear.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def register(add: CommandAdder) -> None:
    group = add("meetings", meetings_help, "meetings of the SCG and its sub-groups")
    actions = group.add_subparsers(dest="meetings_command", metavar="ACTION")
    listing = add.sub(actions, "list", meetings_list, "every meeting, latest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    for name, handler, text in (
        ("agenda", meetings_agenda, "write a meeting's agenda as .docx"),
        ("minutes", meetings_minutes, "write a meeting's minutes as .docx"),
    ):
        document = add.sub(actions, name, handler, text)
        document.add_argument("--meeting", required=True, metavar="ID", help="id or ISO date")
        document.add_argument("--out", required=True, metavar="FILE.docx")
        document.add_argument("--public", action="store_true", help="leave out confidential items")

    report = add("report", report_command, "write a PDF report")
    report.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    report.add_argument("--out", required=True, metavar="FILE.pdf")
    report.add_argument("--meeting", metavar="ID", help="meeting id or ISO date")
    report.add_argument("--public", action="store_true", help="the public meeting pack")
    report.add_argument("--contract", metavar="REF", help="one contract's monitoring")
    report.add_argument("--year", type=_year, metavar="FY", help="financial year such as 2026/27")
    report.add_argument("--from", dest="start", type=_iso_date, metavar="DATE")
    report.add_argument("--to", dest="end", type=_iso_date, metavar="DATE")


def meetings_help(arguments: argparse.Namespace, context: CommandContext) -> int:
    print("usage: commissioning meetings {list [--json] | agenda | minutes} ...", file=sys.stderr)
    return 2


def meetings_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.reader() as session:
            rows = meetings.list_meetings(session)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, MEETING_COLUMNS)
    return 0


def _write_document(arguments: argparse.Namespace, context: CommandContext, minutes: bool) -> int:
    out = Path(arguments.out)
    if out.suffix.lower() != ".docx":
        raise InputRejected(f"{out.name}: agendas and minutes are written as .docx")
    database = context.open()
    try:
        with database.reader() as session:
            detail = meetings.meeting_detail(session, arguments.meeting, as_of=context.as_of)
    finally:
        database.close()
    # python-docx and reportlab are loaded by the command that needs them, not with the parser.
    from app.services.reports.word import write_agenda_docx, write_minutes_docx

    writer = write_minutes_docx if minutes else write_agenda_docx
    writer(detail, out, public=arguments.public)
    print(f"Wrote {out}")
    return 0


def meetings_agenda(arguments: argparse.Namespace, context: CommandContext) -> int:
    return _write_document(arguments, context, minutes=False)


def meetings_minutes(arguments: argparse.Namespace, context: CommandContext) -> int:
    return _write_document(arguments, context, minutes=True)


def report_command(arguments: argparse.Namespace, context: CommandContext) -> int:
    out = Path(arguments.out)
    if out.suffix.lower() != ".pdf":
        raise InputRejected(f"{out.name}: reports are written as .pdf")
    if (arguments.start is None) != (arguments.end is None):
        raise InputRejected("give both --from and --to")
    request = ReportRequest(
        kind=arguments.kind,
        as_of=context.as_of,
        meeting=arguments.meeting,
        public=arguments.public,
        contract=arguments.contract,
        year=arguments.year,
        start=arguments.start,
        end=arguments.end,
    )
    database = context.open()
    try:
        written = write_report(database, request, out)
    finally:
        database.close()
    print(f"Wrote {written.path} ({written.pages} pages)")
    return 0
