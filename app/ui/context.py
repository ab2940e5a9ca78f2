"""What every window and tab is given instead of reaching for globals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:
    from app.store.database import Database


class UiContext:
    """The open database, the settings, the log file and the date treated as today.

    The window may be made before its database is open (the start paints it first): then
    `ready` is False, `display_name` and `user` say what will be opened, and whatever needs the
    database waits with `when_ready` until the start calls `database_opened`.
    """

    def __init__(
        self,
        database: Database | None,
        settings: Settings,
        log_file: Path,
        as_of: date | None = None,
        is_demo: bool = False,
        areas: list[str] | None = None,
        *,
        display_name: str = "",
        user: str = "",
        file: Path | None = None,
    ) -> None:
        self._database = database
        self.settings = settings
        self.log_file = log_file
        self.as_of = as_of
        self.is_demo = is_demo
        self.areas = areas if areas is not None else []
        self._display_name = display_name
        self._user = user
        self._file = file
        self._waiting: list[Callable[[], None]] = []

    @property
    def ready(self) -> bool:
        """Whether the database is open."""
        return self._database is not None

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("the database is not open yet: wait with when_ready()")
        return self._database

    @database.setter
    def database(self, database: Database) -> None:
        self._database = database

    @property
    def display_name(self) -> str:
        return self._database.display_name if self._database is not None else self._display_name

    @property
    def user(self) -> str:
        return self._database.user if self._database is not None else self._user

    @property
    def file(self) -> Path | None:
        """The database's file (None for a server), known before it is open."""
        return self._database.path if self._database is not None else self._file

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the database is open: now if it is already."""
        if self.ready:
            callback()
        else:
            self._waiting.append(callback)

    def database_opened(self, database: Database) -> None:
        """The database is open: everything that waited for it goes ahead, in order."""
        self._database = database
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()

    def today(self) -> date:
        """The date the product treats as today (`--as-of`, else the clock's)."""
        return self.as_of or date.today()
