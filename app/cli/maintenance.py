"""The database's own commands (init, check, backup, restore) and starting the GUI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.context import CommandContext
from app.cli.registry import CommandAdder
from app.cli.window import gui
from app.errors import CorruptDatabase, InputRejected
from app.services import maintenance
from app.services.access import Area
from app.store.database import is_encrypted_file


def register(add: CommandAdder) -> None:
    init_parser = add("init", init, "create or upgrade a database", writes=Area.DATABASE)
    init_parser.add_argument(
        "--demo", action="store_true", help="fill a new database with demo data"
    )
    init_parser.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt a new database with a passphrase (--passphrase-file, "
        "COMMISSIONING_PASSPHRASE or a prompt)",
    )
    init_parser.add_argument(
        "--upgrade-server",
        action="store_true",
        help="upgrade a shared PostgreSQL database to this version's schema (administrators; "
        "after a pg_dump backup)",
    )
    add("check", check, "full integrity check; exit 1 if anything is wrong")
    add(
        "preview-check",
        preview_check,
        "draw every page of a PDF as the in-app preview does (a check for the installers)",
        hidden=True,
    ).add_argument("file", metavar="FILE.pdf")
    add("backup", backup, "copy the database to a file").add_argument(
        "--out", required=True, metavar="FILE"
    )
    add(
        "restore", restore, "replace the database with a backup", writes=Area.DATABASE
    ).add_argument("file", metavar="FILE")
    add("gui", gui, "start the application (the default)")


def init(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open(encrypt=arguments.encrypt, upgrade_server=arguments.upgrade_server)
    try:
        if arguments.demo:
            from app.services.demo import build_demo, has_user_data

            if not database.created and has_user_data(database):
                raise InputRejected(
                    f"{database.display_name} already holds data; demo data goes only into "
                    "a new database (use --db to name a new file)."
                )
            build_demo(database, as_of=context.as_of)
            print(f"Created a demo database at {database.display_name}")
        elif database.created:
            print(f"Created {database.display_name}")
        elif database.upgraded_from:
            print(
                f"Upgraded {database.display_name} from schema {database.upgraded_from}; "
                f"a backup is at {database.backups[-1]}"
            )
        else:
            print(f"{database.display_name} is up to date")
    finally:
        database.close()
    return 0


def check(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open(seed=False)
    try:
        report = maintenance.check_database(database)
    finally:
        database.close()
    for note in report.notes:
        print(note)
    for problem in report.problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print("All checks passed." if report.ok else f"{len(report.problems)} problem(s) found.")
    return 0 if report.ok else 1


def backup(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        written = maintenance.backup_database(database, Path(arguments.out))
    finally:
        database.close()
    print(f"Backed up {database.display_name} to {written}")
    return 0


def restore(arguments: argparse.Namespace, context: CommandContext) -> int:
    backup = Path(arguments.file)
    try:
        database = context.open(seed=False)
    except CorruptDatabase:
        # A damaged database cannot be opened: restoring is how it is mended.
        passphrase = (
            context.passphrase() if backup.is_file() and is_encrypted_file(backup) else None
        )
        safety = maintenance.restore_file(context.database_target, backup, context.user, passphrase)
    else:
        # An open database: the acting user's role is checked, the passphrase known.
        try:
            safety = maintenance.restore_database(database, backup)
        finally:
            database.close()
    print(f"Restored {arguments.file}; the state before the restore is kept at {safety}")
    return 0


def preview_check(arguments: argparse.Namespace, context: CommandContext) -> int:
    """Draw the pages of a PDF with PDFium, as the preview does, and say what was drawn: proves
    that the frozen program carries a working PDFium. Exit 1 if a page comes out blank."""
    from app.ui.pdf_preview import draw_pages  # Qt and PDFium: loaded for this check only

    path = Path(arguments.file)
    if not path.is_file():
        raise InputRejected(f"{path}: no such file")
    try:
        pages = draw_pages(path, 0.5)
    except Exception as error:  # PDFium's own error types: any failure to read is the answer
        raise InputRejected(f"{path}: not a PDF that can be drawn ({error})") from error
    blank = [n for n, page in enumerate(pages, start=1) if len(set(page.pixels)) < 2]
    print(
        f"{path.name}: {len(pages)} pages drawn by PDFium"
        + (f"; blank: {', '.join(map(str, blank))}" if blank else "")
    )
    return 1 if blank or not pages else 0
