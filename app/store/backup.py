"""Copies of a SQLite database made with SQLite's backup API (safe while it is open in WAL)."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path


def backup_sqlite(source: Path, destination: Path) -> Path:
    """Copy the database at `source` to `destination`, atomically (a temporary file, renamed)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        partial.unlink()
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    # A backup is a plain single file: leave it in rollback-journal mode, not WAL.
    with sqlite3.connect(partial) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")
    dst.close()
    src.close()
    os.replace(partial, destination)
    return destination


def restore_sqlite(backup: Path, target: Path) -> None:
    """Write the content of `backup` into the database at `target`, page by page."""
    with sqlite3.connect(backup) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def backup_name(database: Path, reason: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{database.stem}-{stamp}-{reason}.sqlite"
