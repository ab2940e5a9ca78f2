"""Rolling backups of a SQLite database in `backups/` beside it, pruned by the retention rule."""

from __future__ import annotations

import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.errors import CommissioningError
from app.store import encryption
from app.store.backup import backup_name, backup_sqlite
from app.store.encryption import SQLITE_HEADER
from app.store.retention import retained

STAMP = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class BackupCopy:
    """One copy in the backups folder: when it was taken, why, and how big it is."""

    path: Path
    taken: datetime
    reason: str
    size: int


def backups_folder(database: Path) -> Path:
    return database.parent / "backups"


def _pattern(database: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(database.stem)}-(\d{{8}}T\d{{6}})-(.+)\.sqlite$")


def list_backups(database: Path) -> list[BackupCopy]:
    """The database's copies in its backups folder, newest first."""
    folder = backups_folder(database)
    if not folder.is_dir():
        return []
    pattern = _pattern(database)
    copies = []
    for candidate in folder.iterdir():
        match = pattern.match(candidate.name)
        if match is None or not candidate.is_file():
            continue
        taken = datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
        copies.append(BackupCopy(candidate, taken, match.group(2), candidate.stat().st_size))
    return sorted(copies, key=lambda copy: (copy.taken, copy.path.name), reverse=True)


DAMAGED = "damaged"


def take_backup(
    database: Path,
    reason: str,
    now: datetime | None = None,
    protect: frozenset[Path] = frozenset(),
    passphrase: str | None = None,
) -> Path:
    """A copy with SQLite's backup API, then the retention rule applied to the folder
    (sparing `protect`, such as the copy about to be restored). The copy of an encrypted
    database is encrypted with the same `passphrase`."""
    moment = now or datetime.now(UTC)
    destination = backups_folder(database) / backup_name(database, reason, moment)
    if destination.exists():  # two copies in one second: keep the later under a new name
        destination = destination.with_name(f"{destination.stem}-{moment:%f}.sqlite")
    backup_sqlite(database, destination, passphrase)
    prune(database, protect)
    return destination


def keep_damaged(database: Path, now: datetime | None = None) -> Path:
    """The bytes of a damaged database, kept outside the rotation (never pruned)."""
    destination = backups_folder(database) / backup_name(database, DAMAGED, now)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, destination)
    return destination


def prune(database: Path, protect: frozenset[Path] = frozenset()) -> list[Path]:
    """Delete the copies the retention rule lets go; return them.

    Copies taken before an upgrade or a restore are a rotation of their own, so that a day's
    later ordinary copy never pushes out the way back from a restore. Copies of damaged files
    are not pruned at all.
    """
    removed: list[Path] = []
    safety = [c for c in list_backups(database) if c.reason.startswith("before-")]
    ordinary = [c for c in list_backups(database) if c.reason != DAMAGED and c not in safety]
    for rotation in (ordinary, safety):
        by_time: dict[datetime, BackupCopy] = {}
        for copy in rotation:  # newest first: the newest copy of a second stands for it
            by_time.setdefault(copy.taken, copy)
        keep = {by_time[moment].path for moment in retained(by_time)}
        for copy in rotation:
            if copy.path not in keep and copy.path.resolve() not in protect:
                copy.path.unlink(missing_ok=True)
                removed.append(copy.path)
    return removed


def space_taken(database: Path) -> tuple[int, int]:
    """How many copies there are and how many bytes they take."""
    copies = list_backups(database)
    return len(copies), sum(copy.size for copy in copies)


def is_good(path: Path, passphrase: str | None = None) -> bool:
    """A copy that SQLite's quick check passes (read only); an encrypted copy is read with
    `passphrase`."""
    try:
        with path.open("rb") as stream:
            encrypted = stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER
        if encrypted and passphrase is None:
            return False
        if encrypted:
            assert passphrase is not None
            connection = encryption.connect(path, passphrase, read_only=True)
        else:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return [tuple(row) for row in connection.execute("PRAGMA quick_check")] == [("ok",)]
        finally:
            connection.close()
    except _unreadable():
        return False


def _unreadable() -> tuple[type[Exception], ...]:
    """What reading a copy raises when it is damaged (or the passphrase does not open it)."""
    errors: tuple[type[Exception], ...] = (OSError, sqlite3.DatabaseError, CommissioningError)
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return errors
    return (*errors, dbapi2.DatabaseError)


def latest_good_backup(database: Path, passphrase: str | None = None) -> BackupCopy | None:
    for copy in list_backups(database):
        if is_good(copy.path, passphrase):
            return copy
    return None


def describe_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
