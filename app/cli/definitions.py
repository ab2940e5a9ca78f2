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
from app.services.access import Area

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
    export = add.sub(actions, "export", nds_export, "the whole Definitions Set to an xlsx file")
    export.add_argument("--out", required=True, metavar="FILE.xlsx")
    importing = add.sub(
        actions,
        "import",
        nds_import,
        "bring an xlsx workbook back in",
        writes=Area.DEFINITIONS,
    )
    importing.add_argument("file", metavar="FILE")
    importing.add_argument("--dry-run", action="store_true", help="check only; change nothing")
    diff = add.sub(actions, "diff", nds_diff, "what changed between two editions")
    diff.add_argument("label_a", metavar="LABEL_A")
    diff.add_argument("label_b", metavar="LABEL_B")
    diff.add_argument("--out", metavar="FILE", help="write the comparison (.xlsx, .csv, .pdf)")
    edition = add.sub(
        actions, "edition", nds_edition, "start a new edition as a copy", writes=Area.DEFINITIONS
    )
    edition.add_argument("label", metavar="LABEL")
    edition.add_argument("--based-on", metavar="LABEL", help="default: the latest edition")
    codes = add.sub(actions, "codes", nds_help, "ICD-10 and OPCS-4 codes")
    code_actions = codes.add_subparsers(dest="codes_command", metavar="ACTION")
    code_import = add.sub(
        code_actions, "import", codes_import, "add codes from a file", writes=Area.DEFINITIONS
    )
    code_import.add_argument("file", metavar="FILE")
    code_import.add_argument("--line", required=True, metavar="CODE", help="such as 13 or 22e")
    code_import.add_argument("--edition", metavar="LABEL")
    find = add.sub(code_actions, "find", codes_find, "which services a code belongs to")
    find.add_argument("code", metavar="CODE")
    find.add_argument("--edition", metavar="LABEL")
    find.add_argument("--json", action="store_true", help="print a JSON array")


def nds_help(arguments: argparse.Namespace, context: CommandContext) -> int:
    print(
        "usage: commissioning nds list|export|import|diff|edition|codes ... (see --help)",
        file=sys.stderr,
    )
    return 2


def nds_export(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import nds_exchange

    out = Path(arguments.out)
    if out.suffix.lower() != ".xlsx":
        raise InputRejected(f"{out}: the Definitions Set is exported as an .xlsx workbook")
    with context.session() as session:
        nds_exchange.export_workbook(session, out)
    print(f"Wrote the Definitions Set to {out}")
    return 0


def nds_import(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import nds_exchange

    with context.session() as session:
        plan = nds_exchange.import_workbook(session, Path(arguments.file), arguments.dry_run)
    verb = "Would change" if arguments.dry_run else "Changed"
    print(
        f"{verb} {plan.changed} and add {plan.added} records from {arguments.file}"
        if arguments.dry_run
        else f"{verb} {plan.changed} and added {plan.added} records from {arguments.file}"
    )
    return 0


def nds_diff(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import editions
    from app.services.table_export import export_table

    with context.session() as session:
        rows = editions.compare_editions(session, arguments.label_a, arguments.label_b)
    table = editions.comparison_table(arguments.label_a, arguments.label_b, rows)
    if arguments.out:
        export_table(table, Path(arguments.out), context.as_of)
        print(f"Wrote {len(rows)} differences to {arguments.out}")
    elif not rows:
        print(f"Editions {arguments.label_a} and {arguments.label_b} are the same.")
    else:
        print_table(rows, DIFF_COLUMNS)
    return 0


DIFF_COLUMNS = [
    ("code_a", "Was"),
    ("code_b", "Now"),
    ("name", "Service"),
    ("change", "Change"),
    ("field", "Field"),
    ("value_a", "Before"),
    ("value_b", "After"),
]


def nds_edition(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import editions

    with context.session() as session:
        label = editions.create_edition(session, arguments.label, arguments.based_on)
    print(f"Started edition {label}")
    return 0


def codes_import(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import service_codes

    with context.session() as session:
        added = service_codes.import_codes(
            session, Path(arguments.file), arguments.line, arguments.edition
        )
    print(f"Added {added} codes to {arguments.line}")
    return 0


def codes_find(arguments: argparse.Namespace, context: CommandContext) -> int:
    from app.services import service_codes

    with context.session() as session:
        matches = service_codes.find_code(session, arguments.code, arguments.edition)
    if arguments.json:
        print(to_json(matches))
    elif not matches:
        print(f"No service holds {arguments.code}.")
    else:
        print_table(
            matches,
            [
                ("service_code", "No."),
                ("service_name", "Service"),
                ("scheme", "Scheme"),
                ("code", "Code"),
            ],
        )
    return 0


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
