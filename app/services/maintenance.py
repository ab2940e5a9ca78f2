"""Checking a database in full, backing it up and restoring it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from app.errors import CommissioningError, InputRejected
from app.services.access import Area, require_write
from app.store.audit import verify_audit_trail
from app.store.backup import backup_name, backup_sqlite, restore_sqlite
from app.store.database import (
    Database,
    _server_revision,
    backups_folder,
    head_revision,
    inspect_sqlite_file,
    is_encrypted_file,
    known_revisions,
)


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(database: Database) -> CheckReport:
    """The full check: storage integrity, foreign keys, the schema's revision, the audit trail."""
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
    revision = _server_revision(database.engine)
    head = head_revision()
    if revision == head:
        report.notes.append(f"schema: at the current revision {head}")
    else:
        report.problems.append(f"schema: at revision {revision}, the product expects {head}")
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


def _require_file(database: Database) -> Path:
    path = database.path
    if path is None:
        raise CommissioningError(
            "Backups of a server database are made with the server's own tools (pg_dump)."
        )
    return path


def backup_database(database: Database, destination: Path) -> Path:
    """A copy of the database (encrypted with the same passphrase if the database is)."""
    return backup_sqlite(_require_file(database), destination, database.passphrase)


def restore_database(database: Database, backup: Path) -> Path:
    """Replace the content of the open database with `backup`, after backing up what is there.

    Returns the path of the safety copy of the state before the restore.
    """
    path = _require_file(database)
    with database.session() as session:
        require_write(session, Area.DATABASE)
    if not backup.is_file():
        raise InputRejected(f"{backup}: no such file")
    if is_encrypted_file(backup) != database.encrypted:
        raise InputRejected(
            f"{backup}: an {'unencrypted' if database.encrypted else 'encrypted'} backup cannot "
            f"be restored into an {'encrypted' if database.encrypted else 'unencrypted'} database"
        )
    try:
        revision = inspect_sqlite_file(backup, database.passphrase)
    except CommissioningError as error:
        raise InputRejected(str(error)) from error
    if revision is None or revision not in known_revisions():
        raise InputRejected(f"{backup}: not a backup of a database this version can open")
    safety = backup_sqlite(
        path, backups_folder(path) / backup_name(path, "before-restore"), database.passphrase
    )
    database.engine.dispose()
    restore_sqlite(backup, path, database.passphrase)
    return safety
