"""`commissioning cases ...`, `disputes ...` and `search ...`: the case study and dispute logs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.services import case_studies, disputes, log_search
from app.services.access import Area
from app.services.log_search import SearchFilters

CASE_COLUMNS = [
    ("title", "Title"),
    ("organisation", "Organisation"),
    ("topic", "Topic"),
    ("status", "Status"),
    ("author", "Author"),
]
DISPUTE_COLUMNS = [
    ("reference", "Reference"),
    ("title", "Title"),
    ("value", "Value (£)"),
    ("raised_on", "Raised"),
    ("stage", "Stage"),
    ("stage_target", "Target"),
    ("overdue", "Overdue"),
    ("status", "Status"),
]
FIGURE_COLUMNS = [
    ("year", "Year"),
    ("disputes_raised", "Raised"),
    ("needing_arbitration", "To arbitration"),
    ("decided", "Decided"),
    ("upheld_for_commissioners", "For commissioners"),
    ("upheld_for_providers", "For providers"),
    ("other_settlements", "Other"),
    ("learning_written", "Learning written"),
]


def register(add: CommandAdder) -> None:
    cases = add("cases", _usage("cases list|export"), "the case study log")
    actions = cases.add_subparsers(dest="cases_command", metavar="ACTION")
    listing = add.sub(actions, "list", cases_list, "the case studies")
    listing.add_argument("--topic", default="", help="only this topic")
    listing.add_argument("--status", default="", help="draft, reviewed or published")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    export = add.sub(actions, "export", cases_export, "write the case studies to a file")
    export.add_argument("--out", required=True, metavar="FILE", help=".xlsx, .csv or .pdf")
    export.add_argument("--topic", default="", help="only this topic")
    export.add_argument("--status", default="", help="draft, reviewed or published")

    log = add(
        "disputes",
        _usage("disputes list|show|print|export|figures|assign|unassign"),
        "the dispute log",
    )
    actions = log.add_subparsers(dest="disputes_command", metavar="ACTION")
    listing = add.sub(actions, "list", disputes_list, "the disputes, overdue stages flagged")
    listing.add_argument("--open", action="store_true", help="open disputes only")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    show = add.sub(
        actions,
        "show",
        disputes_show,
        "one dispute's record (only its summary, if confidential and not yours to read)",
    )
    show.add_argument("reference", help="the dispute's reference, such as DSP-2026-007")
    show.add_argument("--json", action="store_true", help="print JSON")
    printing = add.sub(
        actions, "print", disputes_print, "write one dispute's record (OFFICIAL-SENSITIVE)"
    )
    printing.add_argument("reference", help="the dispute's reference")
    printing.add_argument("--out", required=True, metavar="FILE", help=".xlsx, .csv or .pdf")
    for name, handler, words in (
        ("assign", disputes_assign, "assign a commissioner to handle a dispute"),
        ("unassign", disputes_unassign, "end a commissioner's assignment to a dispute"),
    ):
        assignment = add.sub(actions, name, handler, words, writes=Area.DISPUTES)
        assignment.add_argument("reference", help="the dispute's reference")
        # Not "user": that is the acting user (--user), a global option.
        assignment.add_argument("commissioner", help="the commissioner's user name")
    export = add.sub(
        actions, "export", disputes_export, "write the dispute log (OFFICIAL-SENSITIVE)"
    )
    export.add_argument("--out", required=True, metavar="FILE", help=".xlsx, .csv or .pdf")
    export.add_argument("--open", action="store_true", help="open disputes only")
    figures = add.sub(
        actions, "figures", disputes_figures, "disputes needing arbitration per year (measure 10)"
    )
    figures.add_argument("--json", action="store_true", help="print a JSON array")

    search = add("search", search_logs, "full-text search of case studies and disputes")
    search.add_argument("text", help="the words to find")
    search.add_argument("--kind", choices=["case study", "dispute"], default="")
    search.add_argument("--topic", default="", help="case study topic or kind of dispute")
    search.add_argument("--party", default="", help="organisation (part of its name)")
    search.add_argument("--service", default="", help="service number, such as 14 or 22c")
    search.add_argument("--year", type=int, help="year (raised, or the case study's period)")
    search.add_argument("--status", default="", help="such as open, closed, published")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true", help="print a JSON array")


def _usage(text: str):  # type: ignore[no-untyped-def]
    def usage(arguments: argparse.Namespace, context: CommandContext) -> int:
        print(f"usage: commissioning {text}", file=sys.stderr)
        return 2

    return usage


def cases_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            rows = case_studies.list_case_studies(session, arguments.topic, arguments.status)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, CASE_COLUMNS)
    return 0


def cases_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            count = case_studies.export_case_studies(
                session, Path(arguments.out), context.as_of, arguments.topic, arguments.status
            )
    finally:
        database.close()
    print(f"Wrote {count} case studies to {arguments.out}.")
    return 0


def disputes_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            rows = disputes.list_disputes(session, context.as_of, arguments.open)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print(disputes.MARKING)
        print_table(rows, DISPUTE_COLUMNS)
    return 0


def disputes_show(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:  # opening a confidential dispute is noted
            dispute_id = disputes.find_dispute(session, arguments.reference)
            detail = disputes.get_dispute(session, dispute_id, "shown on the command line")
            table = disputes.dispute_record_table(session, dispute_id, context.as_of, detail)
    finally:
        database.close()
    if arguments.json:
        record = json.loads(to_json([detail], hidden=("parties",)))[0]
        record["parties"] = [
            {
                "organisation": name,
                "side": side,
                "position": position,
                "final_offer": None if offer is None else str(offer),
                "submission": submission,
            }
            for name, side, position, offer, submission in detail.parties
        ]
        print(json.dumps(record, indent=2, ensure_ascii=False))
        return 0
    print(disputes.MARKING)
    for field, value in table.rows:
        text = "" if value is None else str(value)
        print(f"{field}: {' '.join(text.split())}")
    return 0


def disputes_print(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            dispute_id = disputes.find_dispute(session, arguments.reference)
            disputes.export_dispute(session, dispute_id, Path(arguments.out), context.as_of)
    finally:
        database.close()
    print(f"Wrote {arguments.reference} to {arguments.out}, marked {disputes.MARKING}.")
    return 0


def disputes_assign(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            dispute_id = disputes.find_dispute(session, arguments.reference)
            disputes.assign_commissioner(session, dispute_id, arguments.commissioner)
    finally:
        database.close()
    print(f"{arguments.commissioner} is assigned to {arguments.reference}.")
    return 0


def disputes_unassign(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            dispute_id = disputes.find_dispute(session, arguments.reference)
            disputes.unassign_commissioner(session, dispute_id, arguments.commissioner)
    finally:
        database.close()
    print(f"{arguments.commissioner} is no longer assigned to {arguments.reference}.")
    return 0


def disputes_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            count = disputes.export_disputes(
                session, Path(arguments.out), context.as_of, arguments.open
            )
    finally:
        database.close()
    print(f"Wrote {count} disputes to {arguments.out}, marked {disputes.MARKING}.")
    return 0


def disputes_figures(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            rows = disputes.measure_10(session)
    finally:
        database.close()
    if arguments.json:
        print(to_json(rows))
    else:
        print_table(rows, FIGURE_COLUMNS)
        for row in rows:
            for learning in row.learning:
                print(f"{row.year}  {learning}")
    return 0


def search_logs(arguments: argparse.Namespace, context: CommandContext) -> int:
    filters = SearchFilters(
        kind=arguments.kind,
        topic=arguments.topic,
        party=arguments.party,
        service=arguments.service,
        year=arguments.year,
        status=arguments.status,
    )
    database = context.open()
    try:
        with database.session() as session:
            hits = log_search.search(session, arguments.text, filters, arguments.limit)
    finally:
        database.close()
    if arguments.json:
        print(
            to_json(
                [
                    {
                        "id": hit.id,
                        "kind": hit.kind,
                        "title": hit.title,
                        "snippet": hit.snippet_text,
                        "topic": hit.topic,
                        "year": hit.year,
                        "status": hit.status,
                        "rank": round(hit.rank, 4),
                    }
                    for hit in hits
                ]
            )
        )
        return 0
    if not hits:
        print("Nothing found.")
    for hit in hits:
        print(f"{hit.kind}: {hit.title}")
        print(f"    {' '.join(hit.snippet_text.split())}")
    return 0
