"""`commissioning sync ...`: with the team's server, or by bundle files; conflicts and status."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.formatting import format_date
from app.services import sync
from app.services.access import Area
from app.store.database import open_database

CONFLICT_COLUMNS = [
    ("number", "No."),
    ("record", "Record"),
    ("field", "Field"),
    ("mine_text", "Mine"),
    ("theirs_text", "Theirs"),
    ("their_user", "Theirs by"),
    ("their_at_text", "Theirs at"),
]


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-11-22") from error


def register(add: CommandAdder) -> None:
    parser = add(
        "sync",
        run_sync,
        "send this copy's changes and bring back everyone else's: with the team's server, "
        "or as bundle files; list and resolve conflicts",
        writes=Area.SYNC,
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--server", metavar="URL", help="sync with the team's PostgreSQL server")
    what.add_argument("--status", action="store_true", help="last sync, waiting changes, conflicts")
    what.add_argument("--export", metavar="FILE", help="write the changes as a bundle file")
    what.add_argument("--import", dest="bundle", metavar="FILE", help="apply a bundle file")
    what.add_argument("--resolve", metavar="NUMBER", help="resolve a conflict (see --status)")
    what.add_argument(
        "--join", metavar="SOURCE", help="make this new database a copy of a server or file"
    )
    parser.add_argument("--since", type=_iso_date, metavar="DATE", help="with --export")
    parser.add_argument(
        "--keep", choices=("mine", "theirs", "merged"), help="with --resolve: which value"
    )
    parser.add_argument("--value", help="with --resolve --keep merged: the merged value (JSON)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run_sync(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        if arguments.status:
            return _status(database, arguments.json)
        if arguments.export:
            count = sync.export_bundle(database, arguments.export, arguments.since)
            print(f"Wrote {count} changes to {arguments.export}")
            return 0
        if arguments.bundle:
            report = sync.import_bundle(database, arguments.bundle)
            print(
                f"{arguments.bundle}: {report.received} changes, {report.applied} applied, "
                f"{report.already_held} already here, {report.conflicts} conflicts"
            )
            _print_renamed(report.renamed, report.refused)
            return 0
        if arguments.resolve:
            return _resolve(database, arguments)
        if arguments.join:
            source = open_database(arguments.join, user=context.user, seed=False)
            try:
                rows = sync.join(database, source)
            finally:
                source.close()
            print(f"This database is now a copy of {source.display_name} ({rows} rows).")
            return 0
        server = open_database(arguments.server, user=context.user, seed=False)
        try:
            result = sync.sync_with_server(database, server)
        finally:
            server.close()
        sync.remember_server(database, arguments.server)
        print(
            f"Sent {result.sent} changes ({result.applied_there} applied on the server); "
            f"received {result.received} ({result.applied_here} applied here); "
            f"{result.conflicts} new conflicts, {result.open_conflicts} unresolved."
        )
        _print_renamed(result.renamed, result.refused)
        return 0
    finally:
        database.close()


def _print_renamed(renamed: Sequence[str], refused: Sequence[str] = ()) -> None:
    """References two copies made alike, and what the later record's became; changes to
    profiles not taken, for want of an administrator's hand."""
    for message in dict.fromkeys(renamed):
        print(f"Renamed: {message}")
    for message in refused:
        print(f"Refused: {message}")


def _status(database, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    with database.reader() as session:
        status = sync.sync_status(session)
        rows = sync.conflicts(session)
    if as_json:
        print(
            json.dumps(
                {
                    "status": json.loads(to_json([status]))[0],
                    "conflicts": json.loads(to_json(rows)),
                },
                indent=2,
            )
        )
        return 0
    last = format_date(status.last_sync) if status.last_sync else "never"
    print(f"Last sync: {last}. Changes waiting to be sent: {status.waiting}.")
    print(f"Unresolved conflicts: {status.open_conflicts}.")
    if rows:
        print_table([_shown(row) for row in rows], CONFLICT_COLUMNS)
    return 0


def _shown(row: sync.ConflictRow) -> object:
    from types import SimpleNamespace

    return SimpleNamespace(
        number=row.number,
        record=row.record,
        field=row.field,
        mine_text=row.mine_text,
        theirs_text=row.theirs_text,
        their_user=row.their_user,
        their_at_text=row.their_at.strftime("%Y-%m-%d %H:%M"),
    )


def _resolve(database, arguments: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if not arguments.keep:
        raise SystemExit("--resolve needs --keep mine, --keep theirs or --keep merged --value V")
    merged = None
    if arguments.keep == "merged":
        if arguments.value is None:
            raise SystemExit("--keep merged needs --value (JSON, or plain text)")
        try:
            merged = json.loads(arguments.value)
        except ValueError:
            merged = arguments.value
    with database.session() as session:
        sync.resolve_conflict(session, arguments.resolve, arguments.keep, merged)
    print(f"Conflict {arguments.resolve} resolved: kept {arguments.keep}.")
    return 0
