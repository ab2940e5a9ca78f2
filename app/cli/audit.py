"""`commissioning history ID`: who changed a record, when, and each field's old and new value."""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from app.cli.context import CommandContext
from app.cli.output import print_table, to_json
from app.cli.registry import CommandAdder
from app.services.audit import FieldChange, record_history

HISTORY_COLUMNS = [
    ("sequence", "No."),
    ("at", "When (UTC)"),
    ("user", "Who"),
    ("operation", "What"),
    ("field", "Field"),
    ("old_text", "Old value"),
    ("new_text", "New value"),
]


def _line(change: FieldChange) -> SimpleNamespace:
    """One change as printed: times to the second, values as text."""
    return SimpleNamespace(
        sequence=change.sequence,
        at=change.at.strftime("%Y-%m-%d %H:%M:%S"),
        user=change.user,
        operation=change.operation,
        field=change.field,
        old_text=_text(change.old),
        new_text=_text(change.new),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def register(add: CommandAdder) -> None:
    parser = add("history", history, "the history of a record (an id or a reference)")
    parser.add_argument("key", metavar="ID", help="a UUID, or a reference such as DSP-2026-007")
    parser.add_argument("--json", action="store_true", help="print JSON")


def history(arguments: argparse.Namespace, context: CommandContext) -> int:
    database = context.open()
    try:
        with database.session() as session:  # the history of a confidential record is noted
            found = record_history(session, arguments.key)
    finally:
        database.close()
    if arguments.json:
        print(to_json(found.changes))
        return 0
    print(f"History of {found.label} ({found.table} {found.id})")
    print_table([_line(change) for change in found.changes], HISTORY_COLUMNS)
    return 0
