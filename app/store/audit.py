"""The audit trail, written for every flush of every session and verified by the check.

Every `Record` is audited without its area doing anything: before a flush the rows about to
change are read as stored, after it they are read again, and one entry per record says who
changed what, field by field. Entries are chained: each entry's hash covers the previous
entry's hash, the entry and the hash of the record's content after the change, so an edit made
outside the application, to the trail or to a record, is found by `verify_audit_trail`.

Bulk rows that are not records (such as `ReturnRow`) are inserted with Core statements, which
do not pass through the flush, and cost nothing here; their submission, a record, is audited.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Result, Table, event, insert, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.models.audit import AuditEntry, Operation
from app.models.base import Base, Record
from app.models.financial_year import FinancialYear

AUDIT_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]
# Kept in every record's hash but not listed as changes: the entry itself says who and when.
BOOKKEEPING = frozenset({"id", "version", "created_at", "created_by", "updated_at", "updated_by"})
SECRET = "secret"
"""Column info key: a value (a password's scrypt hash) the trail keeps, so that sync carries
it, but no history shows: `app.services.audit` shows "password changed" instead."""
GENESIS = ""
CHUNK = 500


def json_value(value: Any) -> Any:
    """A value as JSON can carry it, the same whichever road it was read by."""
    convert = _CONVERTERS.get(type(value))
    if convert is not None:
        return convert(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return utc_naive(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FinancialYear):
        return value.start_year
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _same(value: Any) -> Any:
    return value


# The common types first, by exact type: the flush converts tens of thousands of values.
_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    str: _same,
    int: _same,
    bool: _same,
    type(None): _same,
    float: repr,
    Decimal: str,
    uuid.UUID: str,
    date: date.isoformat,
    datetime: lambda value: utc_naive(value).isoformat(),
    FinancialYear: lambda value: value.start_year,
}


def utc_naive(moment: datetime) -> datetime:
    """SQLite gives back what was stored without its zone; a server gives it with one."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_of(row: Any) -> dict[str, Any]:
    """A stored row as JSON values, keyed by column name."""
    return {key: json_value(value) for key, value in row._mapping.items()}


def record_hash(content: dict[str, Any] | None) -> str:
    if content is None:
        return ""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


ENTRY_FIELDS = (
    "previous_hash",
    "sequence",
    "database_id",
    "origin_sequence",
    "at",
    "user",
    "operation",
    "table_name",
    "record_id",
    "changes",
    "record_hash",
)


def entry_hash(values: dict[str, Any]) -> str:
    """The hash of an entry: the previous entry's hash, the entry, the record's hash.

    Each part goes in with its length first, so no two different entries hash alike.
    """
    digest = hashlib.sha256()
    for name in ENTRY_FIELDS:
        part = str(json_value(values[name])).encode()
        digest.update(b"%d:" % len(part))
        digest.update(part)
    return digest.hexdigest()


def audited_tables() -> dict[str, Table]:
    """Every table of a `Record`, by name."""
    tables: dict[str, Table] = {}
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, Record):
            table = mapper.local_table
            assert isinstance(table, Table)
            tables[table.name] = table
    return dict(sorted(tables.items()))


def secret_columns(table: Table) -> frozenset[str]:
    return frozenset(column.name for column in table.columns if column.info.get(SECRET))


_secret_columns = secret_columns


LEGACY_DIGEST = "sha256:"
"""How entries written before secrets travelled stand for one: a digest, never a value."""


def is_legacy_digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(LEGACY_DIGEST)


def read_rows(
    connection: Connection, table: Table, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored content of the rows with these ids (those that exist)."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in connection.execute(select(table).where(table.c.id.in_(chunk))):
            found[row.id] = content_of(row)
    return found


def changes_between(
    table: Table, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field that differs, bookkeeping left out.

    A secret column's value (a password's hash, never the password) is kept as it is, so
    that sync can carry it; histories show only that it changed.
    """
    changes: dict[str, list[Any]] = {}
    for column in table.columns:
        name = column.name
        if name in BOOKKEEPING:
            continue
        old = None if before is None else before.get(name)
        new = None if after is None else after.get(name)
        if old != new:
            changes[name] = [old, new]
    return changes


# -- writing entries, for every session ----------------------------------------------------


@dataclass
class _Pending:
    """The rows a flush is about to change or delete, as stored before it runs."""

    before: dict[str, dict[uuid.UUID, dict[str, Any]]] = field(default_factory=dict)


PENDING_KEY = "audit_pending"
# On PostgreSQL, writers take this transaction-level advisory lock before they write, so that
# the entries of two colleagues' transactions are chained one after the other, never side by
# side. (SQLite needs none: a file has one writer at a time.)
CHAIN_LOCK = 0x61756469  # "audi"


def serialise_writers(connection: Connection) -> None:
    """Wait for the chain on a server; held until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


DATABASE_ID_KEY = "audit_database_id"

Ids = dict[str, list[uuid.UUID]]


def _table_of(instance: Any) -> Table:
    table = inspect(instance).mapper.local_table
    assert isinstance(table, Table)
    return table


def _flushed_records(session: Session) -> tuple[Ids, Ids]:
    """(created, changed or deleted) records of the flush, by table name."""
    created: Ids = {}
    touched: Ids = {}
    for instance in session.new:
        if isinstance(instance, Record):
            created.setdefault(_table_of(instance).name, []).append(instance.id)
    for instance in list(session.dirty) + list(session.deleted):
        if (
            isinstance(instance, Record)
            and instance not in session.new
            and (instance in session.deleted or session.is_modified(instance))
        ):
            touched.setdefault(_table_of(instance).name, []).append(instance.id)
    return created, touched


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for instance in session.new:
        if isinstance(instance, Record) and instance.id is None:
            instance.id = uuid.uuid4()
    _created, touched = _flushed_records(session)
    if session.new or session.dirty or session.deleted:
        serialise_writers(session.connection())
    pending = _Pending()
    if touched:
        connection = session.connection()
        tables = audited_tables()
        for name, ids in touched.items():
            pending.before[name] = read_rows(connection, tables[name], ids)
    # A flush never runs inside another, so one pending change set per session is enough.
    session.info[PENDING_KEY] = pending


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    # What was flushed is taken again here, so that records added or changed by before_flush
    # listeners that ran after ours are audited too (their old values then read as unknown).
    pending: _Pending = session.info.pop(PENDING_KEY, None) or _Pending()
    created_ids, touched_ids = _flushed_records(session)
    if not (created_ids or touched_ids):
        return
    connection = session.connection()
    tables = audited_tables()
    writes: list[tuple[str, str, str, dict[str, Any] | None, dict[str, list[Any]]]] = []
    for name in sorted(set(created_ids) | set(touched_ids)):
        table = tables[name]
        created = created_ids.get(name, [])
        touched = touched_ids.get(name, [])
        after = read_rows(connection, table, [*created, *touched])
        for record_id in created:
            content = after.get(record_id)
            changes = changes_between(table, None, content)
            writes.append((Operation.CREATE, name, str(record_id), content, changes))
        before = pending.before.get(name, {})
        for record_id in touched:
            old, new = before.get(record_id), after.get(record_id)
            if old == new:
                continue
            operation = Operation.UPDATE
            if new is None or (
                old is not None and old.get("deleted_at") is None and new.get("deleted_at")
            ):
                operation = Operation.DELETE
            writes.append((operation, name, str(record_id), new, changes_between(table, old, new)))
    if writes:
        append_entries(connection, session.info, str(session.info.get("user", "")), writes)


def _database_id(connection: Connection, cache: dict[str, Any]) -> str:
    identity = cache.get(DATABASE_ID_KEY)
    if identity is None:
        identity = connection.execute(
            text("SELECT value FROM database_fact WHERE key = 'database_id'")
        ).scalar()
        if identity is None:
            return ""
        cache[DATABASE_ID_KEY] = identity
    return str(identity)


def last_entry(connection: Connection) -> tuple[int, str]:
    row = connection.execute(
        select(AUDIT_TABLE.c.sequence, AUDIT_TABLE.c.entry_hash)
        .order_by(AUDIT_TABLE.c.sequence.desc())
        .limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append_entries(
    connection: Connection,
    cache: dict[str, Any],
    user: str,
    writes: Sequence[tuple[str, str, str, dict[str, Any] | None, dict[str, list[Any]]]],
) -> None:
    """Chain and insert entries for (operation, table, record id, content after, changes)."""
    serialise_writers(connection)
    sequence, previous = last_entry(connection)
    identity = _database_id(connection, cache)
    at = datetime.now(UTC)
    rows = []
    for operation, table_name, record_id, content, changes in writes:
        sequence += 1
        values = {
            "sequence": sequence,
            "database_id": identity,
            "origin_sequence": sequence,
            "at": at,
            "user": user,
            "operation": operation,
            "table_name": table_name,
            "record_id": record_id,
            "changes": canonical_json(changes),
            "record_hash": record_hash(content),
            "previous_hash": previous,
        }
        values["entry_hash"] = previous = entry_hash(values)
        rows.append(values)
    connection.execute(insert(AUDIT_TABLE), rows)


def adopt_unaudited_records(connection: Connection, user: str = "") -> int:
    """Give every record without an entry (made before the trail existed) a first entry."""
    audited = {
        (row[0], row[1])
        for row in connection.execute(select(AUDIT_TABLE.c.table_name, AUDIT_TABLE.c.record_id))
    }
    writes = []
    for name, table in audited_tables().items():
        for row in connection.execute(select(table).order_by(table.c.id)):
            if (name, str(row.id)) not in audited:
                content = content_of(row)
                writes.append(
                    (
                        Operation.CREATE,
                        name,
                        str(row.id),
                        content,
                        changes_between(table, None, content),
                    )
                )
    if writes:
        append_entries(connection, {}, user, writes)
    return len(writes)


# -- verifying -----------------------------------------------------------------------------


@dataclass
class TrailReport:
    entries: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)


def _entries(connection: Connection) -> Iterator[Any]:
    return iter(connection.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.sequence)))


def verify_audit_trail(connection: Connection, limit: int = 20) -> TrailReport:
    """Check the chain, then that every audited record is as its latest entry says."""
    report = TrailReport()
    previous = GENESIS
    expected_sequence = 1
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    chain_broken = False
    for row in _entries(connection):
        report.entries += 1
        values = dict(row._mapping)
        if not chain_broken:
            reason = ""
            if values["sequence"] != expected_sequence:
                reason = f"expected entry {expected_sequence} next (entries missing?)"
            elif values["previous_hash"] != previous:
                reason = "it does not follow the entry before it"
            elif entry_hash(values) != values["entry_hash"]:
                reason = "its content does not match its hash"
            if reason:
                chain_broken = True
                report.problems.append(
                    f"audit: entry {values['sequence']} ({values['operation']} of "
                    f"{values['table_name']} {values['record_id']} by "
                    f"'{values['user']}') has been altered: {reason}"
                )
        previous = values["entry_hash"]
        expected_sequence = values["sequence"] + 1
        latest[(values["table_name"], values["record_id"])] = (
            values["sequence"],
            values["record_hash"],
        )
    changed: list[str] = []
    tables = audited_tables()
    seen: set[tuple[str, str]] = set()
    for name, table in tables.items():
        for row in connection.execute(select(table)):
            report.records += 1
            key = (name, str(row.id))
            seen.add(key)
            known = latest.get(key)
            if known is None:
                changed.append(
                    f"audit: record {row.id} of {name} has no audit entry "
                    "(was it written outside the application?)"
                )
            elif record_hash(content_of(row)) != known[1]:
                changed.append(
                    f"audit: record {row.id} of {name} has been changed outside the "
                    f"application since audit entry {known[0]}"
                )
    for key, (sequence, digest) in latest.items():
        if key not in seen and digest and key[0] in tables:
            changed.append(
                f"audit: record {key[1]} of {key[0]} has been removed outside the "
                f"application since audit entry {sequence}"
            )
    report.problems.extend(changed[:limit])
    if len(changed) > limit:
        report.problems.append(f"audit: and {len(changed) - limit} more changed record(s)")
    return report


# -- statements that bypass the flush (ORM bulk insert, update and delete) --------------------


def _record_table(orm_execute_state: ORMExecuteState) -> Table | None:
    mapper = orm_execute_state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, Record):
        return None
    table = mapper.local_table
    return table if isinstance(table, Table) else None


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(orm_execute_state: ORMExecuteState) -> Result[Any] | None:
    """Audit `session.execute(insert|update|delete(SomeRecord)...)` as the flush would."""
    if not (
        orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete
    ):
        return None
    table = _record_table(orm_execute_state)
    if table is None:
        return None
    session = orm_execute_state.session
    connection = session.connection()
    statement = orm_execute_state.statement
    if orm_execute_state.is_insert:
        params: Any = orm_execute_state.parameters
        rows: list[dict[str, Any]] = (
            params if isinstance(params, list) else [params] if params else []
        )
        for row in rows:
            row.setdefault("id", uuid.uuid4())
        result = orm_execute_state.invoke_statement(params=rows if rows else None)
        ids = [row["id"] for row in rows]
        before: dict[uuid.UUID, dict[str, Any]] = {}
    else:
        where = statement.whereclause  # type: ignore[attr-defined]
        query = select(table.c.id)
        if where is not None:
            query = query.where(where)
        ids = list(connection.execute(query).scalars())
        before = read_rows(connection, table, ids)
        result = orm_execute_state.invoke_statement()
    after = read_rows(connection, table, ids)
    writes = []
    for record_id in ids:
        old, new = before.get(record_id), after.get(record_id)
        if old == new:
            continue
        operation = Operation.UPDATE
        if old is None:
            operation = Operation.CREATE
        elif new is None or (old.get("deleted_at") is None and new.get("deleted_at")):
            operation = Operation.DELETE
        writes.append(
            (operation, table.name, str(record_id), new, changes_between(table, old, new))
        )
    if writes:
        append_entries(connection, session.info, str(session.info.get("user", "")), writes)
    return result
