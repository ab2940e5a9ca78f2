"""The quick integrity check of a database file, run while the application is already open.

SQLite's `PRAGMA quick_check` reads every page: a few seconds on a database of several
million return rows. The application need not wait for it before showing its window, only
before anything is written. So the check runs on a thread of its own, on a read-only
connection, and the engine's writes wait for its verdict: a damaged database is never
written to, exactly as when the check runs before opening.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from app.errors import CorruptDatabase
from app.store import encryption

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "REPLACE")


def quick_check(connection: Any) -> str | None:
    """None if the database passes SQLite's quick check, else what it found (first three)."""
    result = connection.execute("PRAGMA quick_check").fetchall()
    if [row[0] for row in result] == ["ok"]:
        return None
    return "; ".join(str(row[0]) for row in result[:3])


def damaged_message(path: Path, detail: str) -> str:
    return f"{path} is damaged and was not opened: the integrity check failed ({detail})."


class BackgroundCheck:
    """The quick check of `path`, running on its own thread from construction."""

    def __init__(
        self,
        path: Path,
        passphrase: str | None = None,
        explain: Callable[[CorruptDatabase], CorruptDatabase] | None = None,
    ) -> None:
        self.path, self._passphrase = path, passphrase
        self._explain = explain
        self._done = threading.Event()
        self._error: CorruptDatabase | None = None
        self._thread = threading.Thread(target=self._run, name="quick-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._passphrase is not None:
                connection = encryption.connect(self.path, self._passphrase, read_only=True)
            else:
                connection = sqlite3.connect(
                    f"{self.path.as_uri()}?mode=ro", uri=True, check_same_thread=False
                )
            try:
                detail = quick_check(connection)
            finally:
                connection.close()
            if detail is not None:
                self._error = self._refusal(damaged_message(self.path, detail))
        except Exception as error:
            self._error = self._refusal(damaged_message(self.path, str(error)))
        finally:
            self._done.set()

    def _refusal(self, message: str) -> CorruptDatabase:
        error = CorruptDatabase(message)
        return self._explain(error) if self._explain is not None else error

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the verdict; True once it is in."""
        return self._done.wait(timeout)

    def verdict(self) -> CorruptDatabase | None:
        """After `wait`: the refusal if the database is damaged, else None."""
        self._done.wait()
        return self._error

    def raise_if_damaged(self) -> None:
        error = self.verdict()
        if error is not None:
            raise error


def hold_writes_until_checked(engine: Engine, check: BackgroundCheck) -> None:
    """Every write on `engine` first waits for the check, and is refused if it failed."""

    @event.listens_for(engine, "before_cursor_execute")
    def _wait(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(WRITES):
            check.raise_if_damaged()
