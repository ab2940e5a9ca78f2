"""`commissioning nds ...`: the National Definitions Set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.errors import InputRejected
from app.services import definitions

NDS_COLUMNS = [
    ("code", "No."),
    ("name", "Service"),
    ("age_group", "Age group"),
    ("commissioning_level", "Level"),
    ("lead_commissioner", "Lead commissioner"),
    ("tariff_status", "Tariff"),
    ("designated_providers", "Designated providers"),
    ("last_review", "Last review"),
]


def register(add: CommandAdder) -> None:
    nds = add("nds", nds_help, "the National Definitions Set")
    actions = nds.add_subparsers(dest="nds_command", metavar="ACTION")
    listing = add.sub(actions, "list", nds_list, "every service and sub-line of an edition")
    listing.add_argument("--edition", metavar="LABEL", help="edition label (default: latest)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument(
        "--out", metavar="FILE", help="write the list to a file instead: .pdf, .xlsx or .csv"
    )


def nds_help(arguments: argparse.Namespace, context: CommandContext) -> int:
    print("usage: commissioning nds list [--edition LABEL] [--json]", file=sys.stderr)
    return 2


def nds_list(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:
            try:
                rows = definitions.list_services(session, arguments.edition, context.as_of)
                edition = definitions.edition_by_label(session, arguments.edition).label
            except LookupError as error:
                raise InputRejected(str(error)) from error
    finally:
        database.close()
    if arguments.out:
        # Imported here: the PDF and workbook libraries would slow every other command's start.
        from app.services.table_export import Table, export_table

        # The same columns as the screen's table, through the same export as its menu.
        table = Table(
            title="National Definitions Set",
            subtitle=f"Edition {edition}",
            headers=[header for _, header in NDS_COLUMNS],
            rows=[[getattr(row, name) for name, _ in NDS_COLUMNS] for row in rows],
        )
        export_table(table, Path(arguments.out), context.as_of)
        print(f"Wrote {len(rows)} services and sub-lines to {arguments.out}")
    elif arguments.json:
        print(to_json(rows, hidden=("search_text", "position_key")))
    else:
        print_table(rows, NDS_COLUMNS)
    return 0
