"""What the window needs to know of a database file before its first paint, read with sqlite3.

Importing SQLAlchemy and declaring the mapped classes take longer than the rest of the start
together, so the start reads these few facts with the standard library and opens the database
properly only after the window is up. Anything unusual (a file to create or upgrade, an
encrypted, damaged or locked file, a server, a person who must sign in) is not decided here:
`glance` then returns None and the start takes the full road with its dialogs.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.store import lock

# Alembic is loaded only to create, upgrade or check a database: opening one that is at this
# revision (every start but the first after an update) compares with this constant instead of
# reading the migrations folder. A test keeps it equal to the newest migration.
HEAD_REVISION = "monitoring_5"

# The fact the demo leaves in the database it fills.
DEMO_KEY = "demo"

SQLITE_HEADER = b"SQLite format 3\x00"


class Unreadable(Exception):
    """SQLite could not read the file (damaged): it is checked in full before it is opened,
    so that the damage is said, with the backup on offer, before anything reads it."""


@dataclass(frozen=True)
class SyncLine:
    """The status bar's sync figures, as `app.services.sync.sync_status` works them out."""

    last_sync: datetime | None
    waiting: int
    open_conflicts: int


@dataclass(frozen=True)
class Glance:
    """An existing, unencrypted database file at this version's schema, not in use elsewhere,
    whose remembered user may open it without a password."""

    path: Path
    user: str
    is_demo: bool
    sync: SyncLine | None = None


def sqlite_file(target: str | os.PathLike[str]) -> Path | None:
    """The file a target names when it is a bare path (as `resolve_url` reads it), else None."""
    text = os.fspath(target)
    if "://" in text:
        return None
    return Path(text).expanduser().resolve()


def glance(target: str | os.PathLike[str], remembered_user: str) -> Glance | None:
    """The facts of the first paint, or None when opening needs more than a plain open.

    Raises Unreadable when SQLite finds the file damaged."""
    path = sqlite_file(target)
    if path is None or not remembered_user:
        return None
    try:
        with path.open("rb") as stream:
            if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None  # empty, encrypted or not a database: the full road says which
    except OSError:
        return None
    holder = lock.read_holder(path)
    mine = holder is not None and (holder.host, holder.pid) == (socket.gethostname(), os.getpid())
    if not lock.is_stale(holder) and not mine:
        return None  # in use elsewhere: the full road says by whom
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != HEAD_REVISION:
            return None
        profile = connection.execute(
            "SELECT name FROM user_profile WHERE deleted_at IS NULL AND active "
            "AND coalesce(password_hash, '') = '' AND lower(name) = lower(?)",
            (remembered_user,),
        ).fetchone()
        if profile is None:
            return None
        demo = connection.execute("SELECT 1 FROM database_fact WHERE key = ?", (DEMO_KEY,))
        return Glance(
            path=path,
            user=str(profile[0]),
            is_demo=demo.fetchone() is not None,
            sync=_sync_line(connection),
        )
    except sqlite3.OperationalError:
        return None  # a missing table (not ours, or not created yet), a busy file
    except sqlite3.DatabaseError as error:
        raise Unreadable(str(error)) from error
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def needs_upgrade(target: str | os.PathLike[str]) -> bool:
    """Whether the target is a plain (unencrypted) database file of ours at another schema
    revision than this version's: opening it backs it up and upgrades it, which takes a while
    for a large one (or refuses it, if a newer version wrote it)."""
    path = sqlite_file(target)
    if path is None:
        return False
    try:
        with path.open("rb") as stream:
            if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return False
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return False
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return revision is not None and revision[0] != HEAD_REVISION


def _sync_line(connection: sqlite3.Connection) -> SyncLine | None:
    """The same figures as `sync_status` (a test compares them), in plain SQL."""
    facts = dict(
        connection.execute(
            "SELECT key, value FROM database_fact WHERE key IN "
            "('database_id', 'sync_last_at', 'sync_pushed_sequence', 'sync_seed_sequence')"
        ).fetchall()
    )
    if "database_id" not in facts:
        return None
    pushed = facts.get("sync_pushed_sequence") or facts.get("sync_seed_sequence")
    if pushed is None:
        pushed = connection.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
    waiting = connection.execute(
        "SELECT count(*) FROM audit_entry WHERE database_id = ? AND sequence > ?",
        (facts["database_id"], int(pushed)),
    ).fetchone()[0]
    conflicts = connection.execute(
        "SELECT count(*) FROM sync_conflict WHERE status = 'open'"
    ).fetchone()[0]
    last = facts.get("sync_last_at")
    return SyncLine(
        last_sync=datetime.fromisoformat(last) if last else None,
        waiting=int(waiting or 0),
        open_conflicts=int(conflicts or 0),
    )
