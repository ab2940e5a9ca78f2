"""A record's history, the changes field by field (what sync reads), and the access log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound, Problem
from app.models.audit import AccessEntry, AuditEntry, Operation
from app.services.access import acting_user
from app.store.audit import audited_tables, secret_columns, utc_naive

REFERENCE_COLUMNS = ("reference", "name")
"""Columns a person may name a record by instead of its UUID (dispute or contract reference,
a user's name), tried in this order."""


class AccessAction:
    OPEN = "open"
    EXPORT = "export"
    PRINT = "print"
    COPY = "copy"  # to the clipboard, as a table's rows
    ALL = (OPEN, EXPORT, PRINT, COPY)


@dataclass(frozen=True)
class FieldChange:
    """One field of one record changed by one entry of the trail.

    `old` and `new` are JSON values (text, numbers, true/false, null); an entry that changed
    no field of its own (only its bookkeeping) gives one row with an empty `field`.
    """

    id: str  # the record's id
    sequence: int
    database_id: str
    origin_sequence: int
    at: datetime
    user: str
    operation: str
    table: str
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class RecordHistory:
    id: str
    table: str
    label: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class AccessRow:
    id: uuid.UUID
    at: datetime
    user: str
    action: str
    table: str
    record_id: str
    detail: str


PASSWORD_CHANGED = "password changed"
PASSWORD_REMOVED = "password removed"


def _changes_of(entry: AuditEntry) -> Iterator[FieldChange]:
    changes: dict[str, list[object]] = json.loads(entry.changes)
    at = utc_naive(entry.at).replace(tzinfo=UTC)
    fields = sorted(changes.items()) or [("", [None, None])]
    table = audited_tables().get(entry.table_name)
    secret = secret_columns(table) if table is not None else frozenset()
    for name, values in fields:
        # A conflict's resolution also names the value it settled on the other side.
        old, new = values[0], values[1]
        if name in secret:
            # The trail keeps a password's hash so that sync carries it; no history shows it.
            old, new = None, PASSWORD_CHANGED if new else PASSWORD_REMOVED
        yield FieldChange(
            id=entry.record_id,
            sequence=entry.sequence,
            database_id=entry.database_id,
            origin_sequence=entry.origin_sequence,
            at=at,
            user=entry.user,
            operation=entry.operation,
            table=entry.table_name,
            field=name,
            old=old,
            new=new,
        )


def field_changes(session: Session, after_sequence: int = 0) -> Iterator[FieldChange]:
    """Every field change after `after_sequence`, in order: what sync sends to another copy."""
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.sequence > after_sequence)
        .order_by(AuditEntry.sequence)
        .execution_options(yield_per=1000)
    )
    for entry in entries:
        yield from _changes_of(entry)


def resolve_record(session: Session, key: str) -> tuple[str, str, str]:
    """(table, record id, label) of the record named by a UUID or a human reference."""
    text = key.strip()
    tables = audited_tables()
    try:
        record_id = str(uuid.UUID(text))
    except ValueError:
        record_id = ""
    if record_id:
        table_name = session.scalar(
            select(AuditEntry.table_name).where(AuditEntry.record_id == record_id).limit(1)
        )
        if table_name is None:
            raise NotFound(f"No record with the id {record_id} has any history.")
        return table_name, record_id, _label(session, tables.get(table_name), record_id)
    found: list[tuple[str, str]] = []
    for column_name in REFERENCE_COLUMNS:
        for name, table in tables.items():
            column = table.columns.get(column_name)
            if column is None:
                continue
            for row in session.execute(
                select(table.c.id).where(func.lower(column) == text.lower())
            ):
                found.append((name, str(row.id)))
        if found:
            break
    if not found:
        raise NotFound(f"No record has the id or reference '{text}'.")
    if len(found) > 1:
        raise InputRejected(
            [
                Problem(
                    "",
                    None,
                    None,
                    f"'{text}' names {len(found)} records; give the id of one: "
                    + ", ".join(f"{record} ({table})" for table, record in found[:10]),
                )
            ]
        )
    table_name, record_id = found[0]
    return table_name, record_id, text


LABEL_COLUMNS = ("reference", "code", "name", "title", "label")


def _label(session: Session, table: Table | None, record_id: str) -> str:
    """How people name the record (its reference, code or name), else its id."""
    if table is None:
        return record_id
    columns = [table.c[name] for name in LABEL_COLUMNS if name in table.c]
    if not columns:
        return record_id
    row = session.execute(select(*columns).where(table.c.id == uuid.UUID(record_id))).first()
    if row is None:
        return record_id
    return next((str(value) for value in row if value), record_id)


def record_history(session: Session, key: str) -> RecordHistory:
    """Every change of one record, oldest first, field by field.

    The history of a confidential dispute, or of any part of one, is itself an opening of
    it (noted in the access log); to someone who may read only its summary, the values of
    the fields the summary leaves out are withheld.
    """
    from app.services.dispute_access import (
        WITHHELD,
        dispute_of_record,
        may_read_in_full,
        summary_fields,
    )

    table_name, record_id, label = resolve_record(session, key)
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.record_id == record_id, AuditEntry.table_name == table_name)
        .order_by(AuditEntry.sequence)
    )
    changes = [change for entry in entries for change in _changes_of(entry)]
    dispute = dispute_of_record(session, table_name, record_id)
    if dispute is not None and dispute.confidential:
        full = may_read_in_full(session, dispute)
        what = f"history of {table_name.replace('_', ' ')} {record_id}"
        record_access(session, dispute.id, AccessAction.OPEN, what if full else f"{what} (summary)")
        if not full:
            shown = summary_fields(table_name, dispute)
            changes = [
                change
                if change.field in shown or not change.field
                else replace(
                    change,
                    old=None if change.old in (None, "") else WITHHELD,
                    new=None if change.new in (None, "") else WITHHELD,
                )
                for change in changes
            ]
            if table_name != "dispute":
                label = f"part of {dispute.reference}"
    return RecordHistory(id=record_id, table=table_name, label=label, changes=changes)


def record_access(
    session: Session, record_id: uuid.UUID | str, action: str, detail: str = ""
) -> None:
    """Note that the acting user opened, exported, printed or copied a confidential record.

    Call it in the same unit of work that reads the record for them. Reading is not a
    change, so anyone may cause an entry; nothing here is ever updated or deleted.
    """
    if action not in AccessAction.ALL:
        raise ValueError(f"unknown access action {action!r}")
    key = str(record_id)
    table_name = session.scalar(
        select(AuditEntry.table_name).where(AuditEntry.record_id == key).limit(1)
    )
    session.add(
        AccessEntry(
            user=acting_user(session),
            action=action,
            table_name=table_name or "",
            record_id=key,
            detail=detail,
            at=datetime.now(UTC),
        )
    )
    session.flush()


def access_log(session: Session, record_id: uuid.UUID | str | None = None) -> list[AccessRow]:
    """Who opened, exported or printed what, newest first (of one record, if given)."""
    query = select(AccessEntry).order_by(AccessEntry.at.desc())
    if record_id is not None:
        query = query.where(AccessEntry.record_id == str(record_id))
    return [
        AccessRow(
            id=entry.id,
            at=utc_naive(entry.at).replace(tzinfo=UTC),
            user=entry.user,
            action=entry.action,
            table=entry.table_name,
            record_id=entry.record_id,
            detail=entry.detail,
        )
        for entry in session.scalars(query)
    ]


OPERATION_TITLES = {
    Operation.CREATE: "created",
    Operation.UPDATE: "changed",
    Operation.DELETE: "deleted",
}
