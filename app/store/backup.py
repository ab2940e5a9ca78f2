"""Copies of a SQLite database made with SQLite's backup API (safe while it is open in WAL).

A backup of an encrypted database is encrypted with the same passphrase: its pages are copied
between two keyed connections and never written in clear.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.store import encryption


def _connect(path: Path, passphrase: str | None) -> Any:
    if passphrase is None:
        return sqlite3.connect(path)
    return encryption.connect(path, passphrase)


def backup_sqlite(source: Path, destination: Path, passphrase: str | None = None) -> Path:
    """Copy the database at `source` to `destination`, atomically (a temporary file, renamed)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        partial.unlink()
    src = _connect(source, passphrase)
    try:
        dst = _connect(partial, passphrase)
        try:
            src.backup(dst)
            # A backup is a plain single file: leave it in rollback-journal mode, not WAL.
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(partial)
    os.replace(partial, destination)
    return destination


def restore_sqlite(backup: Path, target: Path, passphrase: str | None = None) -> None:
    """Write the content of `backup` into the database at `target`, page by page."""
    src = _connect(backup, passphrase)
    try:
        dst = _connect(target, passphrase)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _fsync(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def backup_name(database: Path, reason: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{database.stem}-{stamp}-{reason}.sqlite"
