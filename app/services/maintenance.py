"""Checking a database in full, backing it up and restoring it."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from app.errors import CommissioningError, InputRejected
from app.services.access import Area, require_write
from app.store import lock
from app.store.audit import verify_audit_trail
from app.store.backup import backup_sqlite, restore_sqlite
from app.store.database import (
    Database,
    _cipher_error,
    _server_revision,
    head_revision,
    inspect_sqlite_file,
    is_encrypted_file,
    known_revisions,
    libpq_url,
    resolve_url,
    sqlite_path,
)
from app.store.rolling import is_good, keep_damaged, take_backup


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(database: Database) -> CheckReport:
    """The full check: storage integrity, foreign keys, the schema's revision and its tables,
    the audit trail."""
    report = CheckReport()
    with database.engine.connect() as connection:
        if database.engine.dialect.name == "sqlite":
            results = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
            if results == ["ok"]:
                report.notes.append("storage: integrity check passed")
            else:
                report.problems.extend(f"storage: {line}" for line in results)
            for table, rowid, parent, _ in connection.execute(text("PRAGMA foreign_key_check")):
                report.problems.append(
                    f"foreign key: row {rowid} of {table} refers to a missing {parent}"
                )
        else:
            version = connection.execute(text("SHOW server_version")).scalar()
            report.notes.append(
                f"server: PostgreSQL {version}; storage and foreign keys are kept by the server"
            )
            unchecked = connection.execute(
                text(
                    "SELECT conrelid::regclass::text, conname FROM pg_constraint "
                    "WHERE NOT convalidated AND connamespace = current_schema()::regnamespace"
                )
            ).all()
            report.problems.extend(
                f"constraint: {name} on {table} is not validated" for table, name in unchecked
            )
        differences = _schema_differences(connection)
    revision = _server_revision(database.engine)
    head = head_revision()
    if revision == head:
        report.notes.append(f"schema: at the current revision {head}")
    else:
        report.problems.append(f"schema: at revision {revision}, the product expects {head}")
    if differences:
        report.problems.extend(f"schema: {difference}" for difference in differences)
    else:
        report.notes.append("schema: tables and columns are those the product expects")
    if revision != head or differences:
        report.notes.append("audit: the trail is verified once the schema is as expected")
        return report
    with database.engine.connect() as connection:
        trail = verify_audit_trail(connection)
    if trail.problems:
        report.problems.extend(trail.problems)
    else:
        report.notes.append(
            f"audit: the chain of {trail.entries} entries verifies and all "
            f"{trail.records} records match their latest entry"
        )
    return report


def _schema_differences(connection: Connection) -> list[str]:
    """What differs between the database's tables and the product's models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.models import Base
    from app.store.database import compared_with_models

    context = MigrationContext.configure(connection, opts={"include_object": compared_with_models})
    return [_describe(difference) for difference in compare_metadata(context, Base.metadata)]


def _describe(difference: object) -> str:
    if isinstance(difference, tuple) and difference and isinstance(difference[0], str):
        action, *rest = difference
        names = [getattr(item, "name", None) or str(item) for item in rest if item is not None]
        return f"{action.replace('_', ' ')} {' '.join(names[:3])}"
    return str(difference)


def server_tools_message(url: URL, action: str) -> str:
    """What to do instead of `backup`/`restore` on a PostgreSQL server."""
    server = libpq_url(url.set(password=None))
    how = (
        f"back it up with pg_dump --format=custom --file=FILE '{server}'"
        if action == "backup"
        else f"restore a pg_dump file with pg_restore --clean --if-exists --dbname='{server}' "
        "FILE (an administrator, with colleagues disconnected)"
    )
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return (
        f"{shown} is a PostgreSQL server database: its {action}s are made with the server's "
        f"own tools, not by this command. To {how}."
    )


def _require_file(database: Database, action: str = "backup") -> Path:
    path = database.path
    if path is None:
        raise CommissioningError(server_tools_message(database.url, action))
    return path


def backup_database(database: Database, destination: Path) -> Path:
    """A copy of the database (encrypted with the same passphrase if the database is)."""
    return backup_sqlite(_require_file(database), destination, database.passphrase)


def restore_database(database: Database, backup: Path) -> Path:
    """Replace the content of the open database with `backup`, after backing up what is there.

    Returns the path of the safety copy of the state before the restore.
    """
    with database.session() as session:
        require_write(session, Area.DATABASE)
    path = _require_file(database, "restore")
    _check_backup(backup, database.passphrase)
    database.engine.dispose()
    safety = _restore(path, backup, database.passphrase)
    database.changed = False  # what is there now is the backup: no copy of it on closing
    return safety


def restore_file(target: str, backup: Path, user: str = "", passphrase: str | None = None) -> Path:
    """Restore `backup` into the database file `target`, which need not open (it may be
    damaged); refused if another copy of the application has it open. An encrypted backup
    needs its `passphrase`."""
    url = resolve_url(target)
    path = sqlite_path(url)
    if path is None:
        raise CommissioningError(server_tools_message(url, "restore"))
    _check_backup(backup, passphrase)
    lock.acquire(path, user)
    try:
        return _restore(path, backup, passphrase)
    finally:
        lock.release(path)


def _check_backup(backup: Path, passphrase: str | None) -> None:
    encrypted = passphrase is not None
    if not backup.is_file():
        raise InputRejected(f"{backup}: no such file")
    if is_encrypted_file(backup) != encrypted:
        raise InputRejected(
            f"{backup}: an {'unencrypted' if encrypted else 'encrypted'} backup cannot "
            f"be restored into an {'encrypted' if encrypted else 'unencrypted'} database"
        )
    try:
        revision = inspect_sqlite_file(backup, passphrase)
    except CommissioningError as error:
        raise InputRejected(str(error)) from error
    if revision is None or revision not in known_revisions():
        raise InputRejected(f"{backup}: not a backup of a database this version can open")


def _restore(path: Path, backup: Path, passphrase: str | None = None) -> Path:
    """Keep the current state (even a damaged one), then write the backup in its place."""
    if not path.exists():
        safety = path
    elif is_good(path, passphrase):
        safety = take_backup(
            path, "before-restore", protect=frozenset({backup.resolve()}), passphrase=passphrase
        )
    else:
        safety = keep_damaged(path)
    try:
        if not is_good(path, passphrase):
            raise sqlite3.DatabaseError("the current file is damaged")
        restore_sqlite(backup, path, passphrase)
    except (sqlite3.DatabaseError, _cipher_error()):
        partial = path.with_name(path.name + ".restoring")
        shutil.copyfile(backup, partial)
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(partial, path)
    return safety
