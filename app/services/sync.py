"""Sync between copies of the database: over the team's server, or as bundle files.

Every change a copy makes is already in its audit trail, field by field, with the copy that
made it (`database_id`) and its number there (`origin_sequence`). Sync sends those entries
and applies the ones it receives:

- a field another copy changed from the value this copy still holds is taken as theirs;
- a field both changed to different values is a **conflict**: this copy keeps its value,
  theirs is kept beside it in `sync_conflict`, and nothing is settled until someone chooses;
- an entry already held (same origin and number) changes nothing, so a sync can be run again,
  after a dropped connection or a killed process, and converges.

Applied entries join the local trail with their origin kept (and the conflicting fields left
out), so they are never sent back as this copy's own, and the chain of hashes still proves
the trail and the records. Each side applies a whole batch in one transaction.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    UniqueConstraint,
    Uuid,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound
from app.models import (
    Base,
    ConflictStatus,
    DatabaseFact,
    FinancialYear,
    Operation,
    Resolution,
    ReturnRow,
    SyncConflict,
)
from app.models.base import NARRATIVE
from app.models.identifiable import IdentifiableDataRefused, Refusal, find_identifiable
from app.models.people import Role, UserProfile
from app.models.types import FinancialYearType, ScaledDecimal
from app.services import sync_references as references
from app.services.access import Area, require_write
from app.store.audit import (
    AUDIT_TABLE,
    BOOKKEEPING,
    _secret_columns,
    append_entries,
    audited_tables,
    canonical_json,
    content_of,
    entry_hash,
    is_legacy_digest,
    json_value,
    last_entry,
    read_rows,
    record_hash,
    serialise_writers,
)
from app.store.database import Database

BUNDLE_FORMAT = "commissioning-sync-bundle/1"
# The tables sync writes with Core statements, typed as the tables they are.
CONFLICTS: Table = SyncConflict.__table__  # type: ignore[assignment]
FACTS: Table = DatabaseFact.__table__  # type: ignore[assignment]
RETURN_ROWS: Table = ReturnRow.__table__  # type: ignore[assignment]
PROFILE_TABLE: Table = UserProfile.__table__  # type: ignore[assignment]
# On a server, one sync at a time: pulls and pushes of two laptops never interleave.
SYNC_LOCK = 0x73796E63  # "sync"
LAST_SYNC_FACT = "sync_last_at"
PUSHED_FACT = "sync_pushed_sequence"
SERVER_FACT = "sync_server"
RETURN_SUBMISSION = "return_submission"
WHOLE_RECORD = "*"
OWN = "own"  # an entry the applier writes as this copy's own change
PROFILES = "user_profile"

Progress = Callable[[int, str], None]


def _quiet(_percent: int, _message: str) -> None:
    return None


@dataclass(frozen=True)
class Change:
    """One audit entry as it travels: who changed which fields of which record, where."""

    origin: str
    origin_sequence: int
    at: str
    user: str
    operation: str
    table: str
    record_id: str
    changes: dict[str, list[Any]]
    rows: list[list[Any]] | None = None  # a return submission's rows travel with it

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "origin": self.origin,
            "origin_sequence": self.origin_sequence,
            "at": self.at,
            "user": self.user,
            "operation": self.operation,
            "table": self.table,
            "record_id": self.record_id,
            "changes": self.changes,
        }
        if self.rows is not None:
            data["rows"] = self.rows
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            origin=str(data["origin"]),
            origin_sequence=int(data["origin_sequence"]),
            at=str(data["at"]),
            user=str(data.get("user", "")),
            operation=str(data["operation"]),
            table=str(data["table"]),
            record_id=str(data["record_id"]),
            changes=dict(data["changes"]),
            rows=data.get("rows"),
        )


@dataclass
class ApplyReport:
    """What applying a batch did."""

    received: int = 0
    applied: int = 0
    already_held: int = 0
    conflicts: int = 0
    tables: set[str] = field(default_factory=set)
    renamed: list[str] = field(default_factory=list)  # references made alike on two copies
    refused: list[str] = field(default_factory=list)  # profile changes by non-administrators


@dataclass(frozen=True)
class SyncReport:
    sent: int
    received: int
    applied_here: int
    applied_there: int
    conflicts: int
    open_conflicts: int
    renamed: tuple[str, ...] = ()  # references made alike offline, and what each became
    refused: tuple[str, ...] = ()  # changes to profiles not taken, here or on the server


# -- identity and state --------------------------------------------------------------------


def database_identity(connection: Connection) -> str:
    identity = connection.execute(
        select(FACTS.c.value).where(FACTS.c.key == "database_id")
    ).scalar()
    if identity is None:
        raise InputRejected("this database has no identity; open it with the application once")
    return str(identity)


def _fact(connection: Connection, key: str) -> str | None:
    # The table's columns, not the mapped class's: the window reads its sync line with this
    # before it is first painted, and an ORM query would configure every mapper first.
    value = connection.execute(select(FACTS.c.value).where(FACTS.c.key == key)).scalar()
    return None if value is None else str(value)


def _set_fact(connection: Connection, key: str, value: str) -> None:
    table = FACTS
    if _fact(connection, key) is None:
        connection.execute(insert(table).values(key=key, value=value))
    else:
        connection.execute(update(table).where(table.c.key == key).values(value=value))


def held_origins(connection: Connection) -> dict[str, int]:
    """For each copy whose changes this one holds, the last of them it holds."""
    rows = connection.execute(
        select(AUDIT_TABLE.c.database_id, func.max(AUDIT_TABLE.c.origin_sequence)).group_by(
            AUDIT_TABLE.c.database_id
        )
    )
    return {str(origin): int(last) for origin, last in rows}


def held_pairs(connection: Connection) -> set[tuple[str, int]]:
    """Every (copy, number) of the changes this copy holds: a change held is never applied
    twice, whatever order bundles arrive in."""
    rows = connection.execute(select(AUDIT_TABLE.c.database_id, AUDIT_TABLE.c.origin_sequence))
    return {(str(origin), int(number)) for origin, number in rows}


# -- reading changes -----------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def changes_missing_from(
    connection: Connection,
    held: dict[str, int],
    since: datetime | None = None,
    leave_out: str | None = None,
) -> list[Change]:
    """The entries of this copy that a copy holding `held` lacks, oldest first."""
    query = select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.sequence)
    if since is not None:
        query = query.where(AUDIT_TABLE.c.at >= since)
    found: list[Change] = []
    for entry in connection.execute(query):
        if entry.database_id == leave_out:
            continue
        if entry.origin_sequence <= held.get(entry.database_id, 0):
            continue
        found.append(
            Change(
                origin=entry.database_id,
                origin_sequence=int(entry.origin_sequence),
                at=_iso(entry.at),
                user=entry.user,
                operation=entry.operation,
                table=entry.table_name,
                record_id=entry.record_id,
                changes=json.loads(entry.changes),
            )
        )
    return _with_return_rows(connection, found)


ROW_FIELDS = (
    "commissioner_id",
    "service_line_id",
    "point_of_delivery",
    "planned_activity",
    "actual_activity",
    "price",
    "actual_cost",
)


def _with_return_rows(connection: Connection, changes: list[Change]) -> list[Change]:
    """A submission's rows are facts of the submission: they travel with its creation."""
    table = RETURN_ROWS
    result = []
    for change in changes:
        if change.table == RETURN_SUBMISSION and change.operation == Operation.CREATE:
            rows = connection.execute(
                select(*(table.c[name] for name in ROW_FIELDS))
                .where(table.c.submission_id == uuid.UUID(change.record_id))
                .order_by(table.c.id)
            )
            change = Change(
                **{**change.__dict__, "rows": [[json_value(v) for v in row] for row in rows]}
            )
        result.append(change)
    return result


# -- values --------------------------------------------------------------------------------


def from_json(table: Table, name: str, value: Any) -> Any:
    """A JSON value back to what the column stores (the inverse of `json_value`)."""
    if value is None:
        return None
    kind = table.c[name].type
    if isinstance(kind, FinancialYearType):
        return FinancialYear(int(value))
    if isinstance(kind, ScaledDecimal | Numeric) and not isinstance(kind, Float):
        return Decimal(str(value))
    if isinstance(kind, Float):
        return float(value)
    if isinstance(kind, Uuid):
        return uuid.UUID(str(value))
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, Time):
        return time.fromisoformat(str(value))
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, LargeBinary):
        return bytes.fromhex(str(value))
    return value


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# -- applying changes ----------------------------------------------------------------------


@dataclass
class _Applier:
    """Applies received changes to one copy inside its caller's transaction."""

    connection: Connection
    record_conflicts: bool
    user: str = ""  # who this copy's own changes (a clashing reference renamed) are by
    report: ApplyReport = field(default_factory=ApplyReport)
    entries: list[dict[str, Any]] = field(default_factory=list)
    held: set[tuple[str, int]] = field(default_factory=set)
    identity: str = ""
    next_conflict: int = 0
    dirty_logs: bool = False
    found: set[uuid.UUID] = field(default_factory=set)  # conflicts this batch found

    def __post_init__(self) -> None:
        _hold_transaction(self.connection)
        self.held = held_pairs(self.connection)
        self.identity = database_identity(self.connection)
        self.tables = audited_tables()
        conflicts = CONFLICTS
        self.next_conflict = (
            self.connection.execute(select(func.max(conflicts.c.number))).scalar() or 0
        )
        # The records with an open conflict: only their changes may settle one.
        self.in_conflict: set[tuple[str, str]] = {
            (row.table_name, row.record_id)
            for row in self.connection.execute(
                select(conflicts.c.table_name, conflicts.c.record_id).where(
                    conflicts.c.status == ConflictStatus.OPEN
                )
            )
        }
        # Records as stored, read a chunk at a time and kept up to date as changes apply.
        self.contents: dict[tuple[str, uuid.UUID], dict[str, Any] | None] = {}
        self._guarded: dict[str, set[str]] = {}
        self._statements: dict[tuple[str, str, frozenset[str]], Any] = {}
        # When and where records were created (for a clash of references), as found.
        self.creations: dict[tuple[str, str], references.Creation | None] = {}

    def apply_all(self, changes: Sequence[Change]) -> None:
        wanted: dict[str, set[uuid.UUID]] = {}
        for change in changes:
            if change.table in self.tables:
                wanted.setdefault(change.table, set()).add(uuid.UUID(change.record_id))
        for name, ids in wanted.items():
            found = read_rows(self.connection, self.tables[name], ids)
            for record_id in ids:
                self.contents[(name, record_id)] = found.get(record_id)
        for change in changes:
            self.apply(change)

    def apply(self, change: Change) -> None:
        self.report.received += 1
        key = (change.origin, change.origin_sequence)
        if change.origin == self.identity or key in self.held:
            self.report.already_held += 1
            return
        table = self.tables.get(change.table)
        if table is None:
            raise InputRejected(
                f"a change is for a table this version does not know: {change.table}"
            )
        record_id = uuid.UUID(change.record_id)
        current = self._read(table, record_id)
        if current is None and change.operation == Operation.CREATE:
            self.creations[(change.table, change.record_id)] = (
                change.at,
                change.origin,
                change.record_id,
            )
        if change.table == PROFILES:
            refusal = self._profile_refusal(change, current)
            if refusal:
                self._refuse(change, current, refusal)
                return
        received, renaming = change, self._clashing_reference(table, record_id, current, change)
        if renaming is not None:
            column = references.UNIQUE_REFERENCES[table.name]
            values = change.changes[column]
            change = replace(
                change, changes={**change.changes, column: [values[0], renaming.new, *values[2:]]}
            )
        kept: dict[str, list[Any]] = {}
        # A savepoint costs two statements: taken only where the database may refuse.
        savepoint = self.connection.begin_nested() if self._may_refuse(table, change) else None
        try:
            if _erased(change):
                kept = self._delete(table, record_id, current, change)
            elif current is None and change.operation == Operation.CREATE:
                kept = self._create(table, record_id, change)
            elif current is None:
                self._conflict(
                    change,
                    WHOLE_RECORD,
                    None,
                    change.changes,
                    "the record is not here (deleted, or never received)",
                )
            else:
                kept = self._update(table, record_id, current, change)
            if savepoint is not None:
                savepoint.commit()
        except IntegrityError as error:
            if savepoint is None:
                raise
            savepoint.rollback()
            self._forget(table, record_id)
            kept = {}
            self._conflict(
                change,
                WHOLE_RECORD,
                None,
                change.changes,
                f"it could not be applied here: {error.orig}",
            )
        self.held.add(key)
        after = self._read(table, record_id)
        renamed_here = renaming is not None and kept.get(renaming_column(table)) is not None
        if renaming is not None and renamed_here:
            # The entry says what its copy did; this copy's renaming follows it as its own.
            column = renaming_column(table)
            kept[column] = received.changes[column]
            as_received = None if after is None else {**after, column: renaming.old}
            self._entry(received, kept, as_received)
            self._own_entry(table, record_id, {column: [renaming.old, renaming.new]}, after)
            self.report.renamed.append(renaming.message(table))
        else:
            self._entry(change, kept, after)
        if kept:
            self.report.applied += 1
            self.report.tables.add(change.table)
        if change.table.startswith(("case_study", "dispute")) or change.table == "log_document":
            self.dirty_logs = True

    def _profile_refusal(self, change: Change, current: dict[str, Any] | None) -> str:
        """Why a change to a profile may not be applied here ("" if it may).

        Profiles say who may do what, so a change to one (a role, a password's hash, a name,
        a deletion) is taken only from someone who is an administrator here, as this copy
        knows them when the change arrives; people may also change their own password.
        Without this, a viewer who edited their laptop's file could make themselves an
        administrator everywhere by syncing.
        """
        author = change.user.strip()
        fields = set(change.changes) - BOOKKEEPING
        own = current is not None and str(current.get("name", "")).lower() == author.lower()
        if own and fields <= {"password_hash"} and change.operation == Operation.UPDATE:
            return ""
        role = _role_here(self.connection, author)
        if role == Role.ADMINISTRATOR:
            return ""
        what = Role.TITLES.get(role, role) if role else "not a user"
        return (
            f"refused: a change to a user profile by '{author}', who is not an administrator "
            f"here ({what})"
        )

    def _refuse(self, change: Change, current: dict[str, Any] | None, reason: str) -> None:
        """A change not taken: kept beside the record as a conflict that can only be
        acknowledged, and said in the report; its entry joins the trail with nothing done."""
        self._conflict(change, WHOLE_RECORD, current, change.changes, reason, always=True)
        label = (current or {}).get("name") or _change_value(change, "name") or change.record_id
        self.report.refused.append(f"User profile {label}: {reason}.")
        self.held.add((change.origin, change.origin_sequence))
        self._entry(change, {}, self._read(self.tables[change.table], uuid.UUID(change.record_id)))

    def _entry(
        self, change: Change, kept: dict[str, list[Any]], after: dict[str, Any] | None
    ) -> None:
        self.entries.append(
            {
                "database_id": change.origin,
                "origin_sequence": change.origin_sequence,
                "at": _moment(change.at),
                "user": change.user,
                "operation": change.operation,
                "table_name": change.table,
                "record_id": change.record_id,
                "changes": canonical_json(kept),
                "record_hash": record_hash(after),
            }
        )

    def _own_entry(
        self,
        table: Table,
        record_id: uuid.UUID,
        changes: dict[str, list[Any]],
        after: dict[str, Any] | None,
    ) -> None:
        """A change this copy makes while applying (a clashing reference renamed): chained
        among the received entries, as this copy's own, so it travels on."""
        self.entries.append(
            {
                OWN: True,
                "database_id": self.identity,
                "origin_sequence": 0,
                "at": datetime.now(UTC),
                "user": self.user,
                "operation": Operation.UPDATE,
                "table_name": table.name,
                "record_id": str(record_id),
                "changes": canonical_json(changes),
                "record_hash": record_hash(after),
            }
        )

    def _creation(self, table: Table, record_id: str) -> references.Creation:
        key = (table.name, record_id)
        if key not in self.creations:
            self.creations[key] = references.creation_of(self.connection, table.name, record_id)
        return self.creations[key] or ("", "", record_id)

    def _clashing_reference(
        self, table: Table, record_id: uuid.UUID, current: dict[str, Any] | None, change: Change
    ) -> references.Renaming | None:
        """Whether this change would give the record a reference another record holds here.

        If the other record was created later, it is renamed now (this copy's own change)
        and None returned; if this one was, the renaming this record is to take instead.
        """
        column = references.reference_column(table)
        if column is None or column not in change.changes or _erased(change):
            return None
        values = change.changes[column]
        wanted = values[1]
        if not isinstance(wanted, str) or not wanted:
            return None
        if current is not None:
            held = current.get(column)
            taken = held in (values[0], *values[2:]) or references.is_clash_renaming(
                table, column, values[0], held, self._creation(table, str(record_id))
            )
            if held == wanted or not taken:
                return None  # already so, or not taken here (a conflict)
        other = self.connection.execute(
            select(table.c.id).where(table.c[column] == wanted, table.c.id != record_id)
        ).scalar()
        if other is None:
            return None
        mine = self._creation(table, str(record_id))
        theirs = self._creation(table, str(other))
        if mine < theirs:
            self._rename(table, other, wanted, theirs[1])
            return None
        new = references.free_reference(
            self.connection, table, column, references.suffixed(table, column, wanted, mine[1])
        )
        return references.Renaming(record_id, wanted, new)

    def _rename(self, table: Table, record_id: uuid.UUID, old: str, origin: str) -> None:
        """Give a record created later than another holding its reference its own."""
        column = renaming_column(table)
        new = references.free_reference(
            self.connection, table, column, references.suffixed(table, column, old, origin)
        )
        self.connection.execute(
            update(table)
            .where(table.c.id == record_id)
            .values(
                version=table.c.version + 1,
                updated_at=datetime.now(UTC),
                updated_by=self.user,
                **{column: new},
            )
        )
        self._forget(table, record_id)
        after = self._read(table, record_id)
        self._own_entry(table, record_id, {column: [old, new]}, after)
        self.report.renamed.append(references.Renaming(record_id, old, new).message(table))
        self.report.tables.add(table.name)

    def _statement(self, kind: str, table: Table, values: dict[str, Any]) -> Any:
        """One statement per table and set of columns, made once: building statements
        costs more than running them."""
        key = (kind, table.name, frozenset(values))
        statement = self._statements.get(key)
        if statement is None:
            if kind == "insert":
                statement = insert(table)
            else:
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("sync_record_key"))
                    .values(version=table.c.version + 1, **{n: bindparam(n) for n in values})
                )
            self._statements[key] = statement
        return statement

    def _may_refuse(self, table: Table, change: Change) -> bool:
        """Whether applying may break a unique or foreign key rule (creates and erasures
        always may; an update only through the columns such rules cover)."""
        if change.operation != Operation.UPDATE:
            return True
        guarded = self._guarded.get(table.name)
        if guarded is None:
            guarded = {c.name for c in table.columns if c.foreign_keys or c.unique}
            for constraint in table.constraints:
                if isinstance(constraint, UniqueConstraint):
                    guarded |= {c.name for c in constraint.columns}
            for index in table.indexes:
                if index.unique:
                    guarded |= {c.name for c in index.columns}
            self._guarded[table.name] = guarded
        return any(name in guarded for name in change.changes)

    def _read(self, table: Table, record_id: uuid.UUID) -> dict[str, Any] | None:
        key = (table.name, record_id)
        if key not in self.contents:
            row = self.connection.execute(select(table).where(table.c.id == record_id)).first()
            self.contents[key] = None if row is None else content_of(row)
        return self.contents[key]

    def _forget(self, table: Table, record_id: uuid.UUID) -> None:
        self.contents.pop((table.name, record_id), None)

    def _stored(self, table: Table, record_id: uuid.UUID, content: dict[str, Any] | None) -> None:
        """What a write left in the row, as reading it back would give it."""
        if content is not None and _secret_columns(table):
            self._forget(table, record_id)  # defaults the write left out: read it back
            return
        self.contents[(table.name, record_id)] = content

    def _writable(self, table: Table, values: dict[str, Any]) -> dict[str, Any]:
        secret = _secret_columns(table)
        return {
            name: from_json(table, name, value)
            for name, value in values.items()
            if name in table.c
            and name not in BOOKKEEPING
            and not (name in secret and (value is None or is_legacy_digest(value)))
        }

    def _create(self, table: Table, record_id: uuid.UUID, change: Change) -> dict[str, list[Any]]:
        # Every field given, those it did not have as empty: defaults here are not its values.
        content: dict[str, Any] = {c.name: None for c in table.columns}
        content.update({k: v[1] for k, v in change.changes.items() if k in table.c})
        moment = _moment(change.at)
        bookkeeping = {
            "id": record_id,
            "created_at": moment,
            "updated_at": moment,
            "created_by": change.user,
            "updated_by": change.user,
            "version": 1,
        }
        values = {**bookkeeping, **self._writable(table, content)}
        self.connection.execute(self._statement("insert", table, values), values)
        content.update({name: json_value(value) for name, value in bookkeeping.items()})
        self._stored(table, record_id, content)
        if change.table == RETURN_SUBMISSION and change.rows:
            self._insert_return_rows(record_id, change.rows)
        return change.changes

    def _insert_return_rows(self, submission: uuid.UUID, rows: list[list[Any]]) -> None:
        table = RETURN_ROWS
        self.connection.execute(
            insert(table),
            [
                {"submission_id": submission}
                | {
                    name: from_json(table, name, value)
                    for name, value in zip(ROW_FIELDS, row, strict=True)
                }
                for row in rows
            ],
        )

    def _update(
        self, table: Table, record_id: uuid.UUID, current: dict[str, Any], change: Change
    ) -> dict[str, list[Any]]:
        kept: dict[str, list[Any]] = {}
        secret = _secret_columns(table)
        for name, values in change.changes.items():
            if name not in table.c or name in BOOKKEEPING:
                continue
            if name in secret and any(is_legacy_digest(value) for value in values):
                continue  # written before secrets travelled: a digest is not a value
            # [old, new], and for a conflict's resolution the value it settled on the other
            # side too: a copy holding either value takes the choice.
            old, new, settled = values[0], values[1], values[2:]
            mine = current.get(name)
            if name == references.reference_column(table):
                creation = self._creation(table, change.record_id)
                if references.is_clash_renaming(table, name, old, new, creation):
                    # Another copy's renaming of a clash: taken where the old reference is
                    # still held, and nothing to settle where the record has moved on.
                    if mine == old:
                        kept[name] = values
                        self.report.renamed.append(
                            references.Renaming(record_id, old, new).message(table)
                        )
                    elif mine == new:
                        kept[name] = values
                    continue
                if references.is_clash_renaming(table, name, old, mine, creation):
                    settled = [*settled, mine]  # renamed here for a clash: not a choice
            if mine in (new, old, *settled) or (
                change.operation == Operation.CREATE and mine is None
            ):
                kept[name] = values
            else:
                self._conflict(change, name, mine, new, "")
        if kept and (change.table, change.record_id) in self.in_conflict:
            self._settle_superseded(change, {n: v[1] for n, v in kept.items()})
        changed = {n: v[1] for n, v in kept.items() if current.get(n) != v[1]}
        if changed:
            moment = _moment(change.at)
            written = {
                "updated_at": moment,
                "updated_by": change.user,
                **self._writable(table, changed),
            }
            self.connection.execute(
                self._statement("update", table, written),
                {**written, "sync_record_key": record_id},
            )
            after = dict(current, **changed)
            after.update(
                version=int(current["version"]) + 1,
                updated_at=json_value(moment),
                updated_by=change.user,
            )
            self._stored(table, record_id, after)
        return kept

    def _delete(
        self, table: Table, record_id: uuid.UUID, current: dict[str, Any] | None, change: Change
    ) -> dict[str, list[Any]]:
        if current is None:
            return change.changes
        self.connection.execute(delete(table).where(table.c.id == record_id))
        self._stored(table, record_id, None)
        return change.changes

    def _settle_superseded(self, change: Change, values: dict[str, Any]) -> None:
        """Open conflicts on these fields settled elsewhere: this copy now holds their value,
        or the copy that sent the conflicting value has since sent one made from ours."""
        conflicts = CONFLICTS
        for row in self.connection.execute(
            select(conflicts.c.id, conflicts.c.field, conflicts.c.theirs, conflicts.c.origin).where(
                conflicts.c.status == ConflictStatus.OPEN,
                conflicts.c.table_name == change.table,
                conflicts.c.record_id == change.record_id,
            )
        ):
            if row.field not in values:
                continue
            if json.loads(row.theirs) == values[row.field] or row.origin == change.origin:
                self.connection.execute(
                    update(conflicts)
                    .where(conflicts.c.id == row.id)
                    .values(
                        status=ConflictStatus.RESOLVED,
                        resolution=Resolution.SUPERSEDED,
                        resolved_value=canonical_json(values[row.field]),
                        resolved_by=change.user,
                        resolved_at=_moment(change.at),
                    )
                )

    def _conflict(
        self, change: Change, name: str, mine: Any, theirs: Any, note: str, always: bool = False
    ) -> None:
        if not (self.record_conflicts or always):
            self.report.conflicts += 1
            return
        conflicts = CONFLICTS
        # A newer value from elsewhere for a field already in conflict updates that conflict.
        existing = self.connection.execute(
            select(conflicts.c.id).where(
                conflicts.c.status == ConflictStatus.OPEN,
                conflicts.c.table_name == change.table,
                conflicts.c.record_id == change.record_id,
                conflicts.c.field == name,
            )
        ).scalar()
        values = {
            "theirs": canonical_json(theirs),
            "mine": canonical_json(mine),
            "their_user": change.user,
            "their_at": _moment(change.at),
            "origin": change.origin,
            "origin_sequence": change.origin_sequence,
            "note": note,
        }
        if existing is not None:
            self.connection.execute(
                update(conflicts).where(conflicts.c.id == existing).values(**values)
            )
            self.found.add(existing)
            return
        self.next_conflict += 1
        identity = uuid.uuid4()
        self.found.add(identity)
        self.in_conflict.add((change.table, change.record_id))
        last_mine = self.connection.execute(
            select(AUDIT_TABLE.c.user, AUDIT_TABLE.c.at)
            .where(AUDIT_TABLE.c.record_id == change.record_id)
            .order_by(AUDIT_TABLE.c.sequence.desc())
            .limit(1)
        ).first()
        self.connection.execute(
            insert(conflicts).values(
                id=identity,
                number=self.next_conflict,
                found_at=datetime.now(UTC),
                table_name=change.table,
                record_id=change.record_id,
                field=name,
                my_user=last_mine.user if last_mine else "",
                my_at=last_mine.at if last_mine else None,
                status=ConflictStatus.OPEN,
                resolution="",
                resolved_value="",
                resolved_by="",
                **values,
            )
        )

    def finish(self, session: Session | None) -> ApplyReport:
        """Chain the applied entries onto the local trail; refresh what is derived from them."""
        _append_received(self.connection, self.entries)
        if self.found:
            # Those a later change of the same batch settled are not news.
            table = CONFLICTS
            self.report.conflicts += int(
                self.connection.execute(
                    select(func.count()).where(
                        table.c.id.in_(self.found), table.c.status == ConflictStatus.OPEN
                    )
                ).scalar()
                or 0
            )
        if session is not None:
            if RETURN_SUBMISSION in self.report.tables:
                from app.services.returns_import import rebuild_summaries

                rebuild_summaries(session)
            if self.dirty_logs:
                from app.services import log_search

                log_search.rebuild(session)
        return self.report


def _role_here(connection: Connection, name: str) -> str | None:
    """A user's role as this copy knows it now (administrator while it has no profiles)."""
    table = PROFILE_TABLE
    live = table.c.deleted_at.is_(None)
    if not connection.execute(select(func.count()).select_from(table).where(live)).scalar():
        return Role.ADMINISTRATOR
    role = connection.execute(
        select(table.c.role).where(
            func.lower(table.c.name) == name.lower(), live, table.c.active.is_(True)
        )
    ).scalar()
    return None if role is None else str(role)


def _change_value(change: Change, name: str) -> Any:
    values = change.changes.get(name)
    return values[1] if values else None


def renaming_column(table: Table) -> str:
    return references.UNIQUE_REFERENCES[table.name]


def _hold_transaction(connection: Connection) -> None:
    """Open the write transaction now, on SQLite, before the first savepoint.

    The SQLite driver begins a transaction only at its first write; a SAVEPOINT before then
    would be the outermost one, and releasing it would commit each change on its own.
    """
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _erased(change: Change) -> bool:
    """A record removed outright (every field gone), not marked deleted: a marked deletion
    sets `deleted_at`, and an entry whose changes were all conflicts carries none."""
    return (
        change.operation == Operation.DELETE
        and bool(change.changes)
        and all(values[1] is None for values in change.changes.values())
    )


def _append_received(connection: Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Received entries join the chain with their origin kept."""
    if not entries:
        return
    serialise_writers(connection)
    sequence, previous = last_entry(connection)
    rows = []
    for values in entries:
        sequence += 1
        row = {**values, "sequence": sequence, "previous_hash": previous}
        if row.pop(OWN, False):
            row["origin_sequence"] = sequence
        row["entry_hash"] = previous = entry_hash(row)
        rows.append(row)
    connection.execute(insert(AUDIT_TABLE), rows)


def apply_changes(
    session: Session, changes: Iterable[Change], record_conflicts: bool = True
) -> ApplyReport:
    """Apply received changes in the session's transaction (the caller commits)."""
    applier = _Applier(session.connection(), record_conflicts, str(session.info.get("user", "")))
    applier.apply_all(list(changes))
    return applier.finish(session)


# -- bundles -------------------------------------------------------------------------------


def export_bundle(
    database: Database, path: str | os.PathLike[str], since: date | None = None
) -> int:
    """Write this copy's changes (every origin it holds) as a bundle file; returns how many."""
    moment = datetime.combine(since, time(0), tzinfo=UTC) if since else None
    with database.reader() as session:
        connection = session.connection()
        identity = database_identity(connection)
        changes = changes_missing_from(connection, {}, moment)
    target = Path(path)
    temporary = target.with_name(f".~{target.name}-{secrets.token_hex(4)}")
    header = {
        "format": BUNDLE_FORMAT,
        "database_id": identity,
        "written_at": datetime.now(UTC).isoformat(),
        "since": since.isoformat() if since else None,
        "changes": len(changes),
    }
    try:
        with gzip.open(temporary, "wt", encoding="utf-8") as stream:
            stream.write(json.dumps(header) + "\n")
            for change in changes:
                stream.write(json.dumps(change.as_json(), separators=(",", ":")) + "\n")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(changes)


def read_bundle(path: str | os.PathLike[str]) -> list[Change]:
    """The changes in a bundle, or a message naming the file and line that is wrong."""
    source = Path(path)
    changes: list[Change] = []
    try:
        with gzip.open(source, "rt", encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    data = json.loads(line)
                    if number == 1:
                        if data.get("format") != BUNDLE_FORMAT:
                            raise InputRejected(
                                f"{source}:1: not a sync bundle of this product "
                                f"(format {data.get('format')!r})"
                            )
                        continue
                    changes.append(Change.from_json(data))
                except (ValueError, KeyError, TypeError) as error:
                    raise InputRejected(f"{source}:{number}: not a change ({error})") from error
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputRejected(f"{source}: not a sync bundle that can be read ({error})") from error
    if not changes and not source.exists():
        raise NotFound(f"{source} does not exist")
    return changes


def import_bundle(database: Database, path: str | os.PathLike[str]) -> ApplyReport:
    """Apply a bundle in one transaction; the same bundle twice changes nothing."""
    changes = read_bundle(path)
    with database.session() as session:
        require_write(session, Area.SYNC)
        report = apply_changes(session, changes)
        _set_fact(session.connection(), LAST_SYNC_FACT, datetime.now(UTC).isoformat())
    return report


# -- the team's server ---------------------------------------------------------------------


def _lock_server(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})


def sync_with_server(local: Database, server: Database, progress: Progress = _quiet) -> SyncReport:
    """Bring back everyone else's changes, then send this copy's, one transaction a side.

    The server is held for the whole sync, so what is sent was made knowing everything the
    server had: a field both sides changed is found here, when the server's value arrives,
    and this copy's value is then not pressed onto the server until someone chooses.
    """
    progress(5, "Connecting to the server")
    with server.session() as remote_session:
        remote = remote_session.connection()
        _lock_server(remote)
        with local.session() as session:
            require_write(session, Area.SYNC)
            connection = session.connection()
            identity = database_identity(connection)
            progress(15, "Reading the server's changes")
            incoming = changes_missing_from(remote, held_origins(connection), leave_out=identity)
            progress(35, f"Applying {len(incoming)} changes here")
            here = apply_changes(session, incoming)
            progress(60, "Reading this copy's changes")
            outgoing = changes_missing_from(connection, held_origins(remote))
            _set_fact(connection, LAST_SYNC_FACT, datetime.now(UTC).isoformat())
            _set_fact(connection, PUSHED_FACT, str(last_entry(connection)[0]))
        progress(75, f"Sending {len(outgoing)} changes")
        applier = _Applier(
            remote, record_conflicts=False, user=str(remote_session.info.get("user", ""))
        )
        applier.apply_all(outgoing)
        there = applier.finish(remote_session)
    progress(100, "Done")
    with local.reader() as session:
        open_count = _open_conflicts(session)
    return SyncReport(
        sent=len(outgoing),
        received=len(incoming),
        applied_here=here.applied,
        applied_there=there.applied,
        conflicts=here.conflicts,
        open_conflicts=open_count,
        renamed=tuple(dict.fromkeys([*here.renamed, *there.renamed])),
        refused=tuple([*here.refused, *there.refused]),
    )


def join(local: Database, source: Database, progress: Progress = _quiet) -> int:
    """Make this (new) copy a copy of `source`, keeping its own identity; returns the rows.

    Copies start from a common base, so records keep one identity everywhere; this copy's
    changes are then told apart from the source's by its own `database_id`.
    """
    if local.path is None:
        raise InputRejected("only a laptop's own database file joins a team")
    with local.session() as session:
        require_write(session, Area.SYNC)
        connection = session.connection()
        if held_origins(connection).get(database_identity(connection), 0) > _seed_entries(
            connection
        ):
            raise InputRejected(
                "this database already holds work of its own: join from a new database "
                "(commissioning --db NEW.sqlite init), then sync"
            )
        keep = {key: _fact(connection, key) for key in ("database_id", "site_code", "created_at")}
        # Rows of a table may point at each other (successors, replaced returns).
        connection.execute(text("PRAGMA defer_foreign_keys = ON"))
        tables = list(Base.metadata.sorted_tables)
        for table in reversed(tables):
            connection.execute(delete(table))
        copied = 0
        with source.reader() as remote_session:
            remote = remote_session.connection()
            for number, table in enumerate(tables):
                progress(5 + 90 * number // len(tables), f"Copying {table.name}")
                batch: list[dict[str, Any]] = []
                for row in remote.execute(select(table)):
                    batch.append(dict(row._mapping))
                    if len(batch) == 5000:
                        connection.execute(insert(table), batch)
                        copied += len(batch)
                        batch = []
                if batch:
                    connection.execute(insert(table), batch)
                    copied += len(batch)
        facts = FACTS
        for key, value in keep.items():
            if value is not None:
                connection.execute(delete(facts).where(facts.c.key == key))
                connection.execute(insert(facts).values(key=key, value=value))
        _set_fact(connection, LAST_SYNC_FACT, datetime.now(UTC).isoformat())
        _set_fact(connection, PUSHED_FACT, str(last_entry(connection)[0]))
        seed_mark(connection)
        from app.services import log_search

        log_search.rebuild(session)
    progress(100, "Done")
    return copied


def _seed_entries(connection: Connection) -> int:
    """How many entries a new database's own seeding wrote (its reference data)."""
    created = _fact(connection, "sync_seed_sequence")
    if created is not None:
        return int(created)
    return int(connection.execute(select(func.count()).select_from(AUDIT_TABLE)).scalar() or 0)


# -- conflicts and status ------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictRow:
    """A conflict as people see it: the record, the field, both values, who and when."""

    id: uuid.UUID
    number: int
    table: str
    record_id: str
    record: str
    field: str
    mine: Any
    theirs: Any
    my_user: str
    my_at: datetime | None
    their_user: str
    their_at: datetime
    note: str
    status: str
    resolution: str

    @property
    def mine_text(self) -> str:
        return _shown(self.mine)

    @property
    def theirs_text(self) -> str:
        return _shown(self.theirs)


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v[1]}" for k, v in value.items() if isinstance(v, list))
    return str(value)


def _open_conflicts(session: Session) -> int:
    conflicts = SyncConflict.__table__
    return int(
        session.scalar(
            select(func.count())
            .select_from(conflicts)
            .where(conflicts.c.status == ConflictStatus.OPEN)
        )
        or 0
    )


def conflicts(session: Session, include_resolved: bool = False) -> list[ConflictRow]:
    from app.services.audit import resolve_record

    query = select(SyncConflict).order_by(SyncConflict.number)
    if not include_resolved:
        query = query.where(SyncConflict.status == ConflictStatus.OPEN)
    rows = []
    for conflict in session.scalars(query):
        kind = conflict.table_name.replace("_", " ").capitalize()
        try:
            label = f"{kind}: {resolve_record(session, conflict.record_id)[2]}"
        except (NotFound, InputRejected):
            label = f"{kind} {conflict.record_id[:8]}"
        rows.append(
            ConflictRow(
                conflict.id,
                conflict.number,
                conflict.table_name,
                conflict.record_id,
                label,
                conflict.field,
                _unsecret(conflict.table_name, conflict.field, json.loads(conflict.mine)),
                _unsecret(conflict.table_name, conflict.field, json.loads(conflict.theirs)),
                conflict.my_user,
                conflict.my_at,
                conflict.their_user,
                conflict.their_at,
                conflict.note,
                conflict.status,
                conflict.resolution,
            )
        )
    return rows


PASSWORD_SHOWN = "(a password)"
"""What a conflict shows for a secret value: a password's hash is never shown."""


def _unsecret(table_name: str, field_name: str, value: Any) -> Any:
    table = audited_tables().get(table_name)
    secret = _secret_columns(table) if table is not None else frozenset()
    if not secret or value is None:
        return value
    if field_name in secret:
        return PASSWORD_SHOWN if value else value
    if isinstance(value, dict):
        return {
            name: (
                [PASSWORD_SHOWN if item else item for item in shown]
                if name in secret and isinstance(shown, list)
                else PASSWORD_SHOWN
                if name in secret and shown
                else shown
            )
            for name, shown in value.items()
        }
    return value


def find_conflict(session: Session, key: str) -> SyncConflict:
    query = select(SyncConflict)
    query = (
        query.where(SyncConflict.number == int(key))
        if key.isdigit()
        else query.where(SyncConflict.id == uuid.UUID(key))
    )
    conflict = session.scalars(query).first()
    if conflict is None:
        raise NotFound(f"there is no conflict {key}")
    return conflict


def resolve_conflict(session: Session, key: str, choice: str, merged: Any = None) -> None:
    """Keep mine, keep theirs, or a merged value; the choice travels as an ordinary change,
    written as a change from their value, so every other copy takes it."""
    require_write(session, Area.SYNC)
    if choice not in Resolution.ALL:
        raise InputRejected(f"'{choice}' is not a choice: mine, theirs or merged")
    conflict = find_conflict(session, key)
    if conflict.status != ConflictStatus.OPEN:
        raise InputRejected(f"conflict {conflict.number} is already resolved")
    if conflict.table_name == PROFILES:
        require_write(session, Area.USERS)  # who may do what is for administrators
        secret = _secret_columns(audited_tables()[PROFILES])
        if conflict.field in secret and choice == Resolution.MERGED:
            raise InputRejected(
                f"conflict {conflict.number} is about a password: keep mine or theirs"
            )
    mine, theirs = json.loads(conflict.mine), json.loads(conflict.theirs)
    if conflict.field == WHOLE_RECORD:
        if choice != Resolution.MINE:
            raise InputRejected(
                f"conflict {conflict.number} is about the whole record ({conflict.note}); "
                "it can only be acknowledged (mine)"
            )
        chosen = mine
    else:
        chosen = {Resolution.MINE: mine, Resolution.THEIRS: theirs}.get(choice, merged)
        table = audited_tables()[conflict.table_name]
        connection = session.connection()
        record_id = uuid.UUID(conflict.record_id)
        _guard_merged(conflict, table, chosen if choice == Resolution.MERGED else None)
        try:
            value = from_json(table, conflict.field, chosen)
        except (ValueError, TypeError) as error:
            raise InputRejected(
                f"'{chosen}' is not a value for {conflict.field} of {conflict.table_name}"
            ) from error
        if chosen != mine:
            connection.execute(
                update(table)
                .where(table.c.id == record_id)
                .values(
                    version=table.c.version + 1,
                    updated_at=datetime.now(UTC),
                    updated_by=str(session.info.get("user", "")),
                    **{conflict.field: value},
                )
            )
        # The choice travels even when it is theirs: it tells the other copies that this
        # copy's value is settled, so a copy holding either value takes the choice.
        row = connection.execute(select(table).where(table.c.id == record_id)).first()
        content = None if row is None else content_of(row)
        change = {conflict.field: [theirs, chosen, mine]}
        user = str(session.info.get("user", ""))
        writes = [(Operation.UPDATE, conflict.table_name, conflict.record_id, content, change)]
        append_entries(connection, session.info, user, writes)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = choice
    conflict.resolved_value = canonical_json(chosen)
    conflict.resolved_by = str(session.info.get("user", ""))
    conflict.resolved_at = datetime.now(UTC)


def _guard_merged(conflict: SyncConflict, table: Table, merged: Any) -> None:
    """A merged value is typed here: narrative text is held to the identifiable-data rule
    as any other text a person types (the values it merges were checked when written)."""
    if not isinstance(merged, str) or not table.c[conflict.field].info.get(NARRATIVE):
        return
    found = find_identifiable(merged)
    if found:
        label = f"{conflict.table_name.replace('_', ' ').capitalize()} {conflict.record_id[:8]}"
        raise IdentifiableDataRefused(
            [
                Refusal(conflict.table_name, label, uuid.UUID(conflict.record_id),
                        conflict.field, item)
                for item in found
            ]
        )  # fmt: skip


@dataclass(frozen=True)
class SyncStatus:
    last_sync: datetime | None
    waiting: int
    open_conflicts: int
    server: str


def sync_status(session: Session) -> SyncStatus:
    """When this copy last synced, how many of its changes wait, and open conflicts."""
    connection = session.connection()
    last = _fact(connection, LAST_SYNC_FACT)
    pushed = int(_fact(connection, PUSHED_FACT) or _seed_entries(connection))
    identity = database_identity(connection)
    waiting = connection.execute(
        select(func.count())
        .select_from(AUDIT_TABLE)
        .where(AUDIT_TABLE.c.database_id == identity, AUDIT_TABLE.c.sequence > pushed)
    ).scalar()
    return SyncStatus(
        last_sync=datetime.fromisoformat(last) if last else None,
        waiting=int(waiting or 0),
        open_conflicts=_open_conflicts(session),
        server=_fact(connection, SERVER_FACT) or "",
    )


def remember_server(database: Database, address: str) -> None:
    with database.session() as session:
        _set_fact(session.connection(), SERVER_FACT, address)


def seed_mark(connection: Connection) -> None:
    """Note how much of the trail a new database's seeding wrote (nothing to send)."""
    _set_fact(connection, "sync_seed_sequence", str(last_entry(connection)[0]))
