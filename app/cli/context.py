"""What every command is given: the chosen database, the acting user, the date treated as today."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from app.settings import Settings
from app.store.database import Database, open_database

DATABASE_FILE = "commissioning.sqlite"


def choose_database(option: str | None, settings: Settings) -> str:
    """`--db`, then COMMISSIONING_DB, then the settings' data folder, then the platform default."""
    if option:
        return option
    environment = os.environ.get("COMMISSIONING_DB")
    if environment:
        return environment
    return str(settings.data_dir() / DATABASE_FILE)


def choose_user(option: str | None, settings: Settings) -> str:
    """`--user`, then COMMISSIONING_USER, then the settings, then the login name."""
    if option:
        return option
    environment = os.environ.get("COMMISSIONING_USER")
    if environment:
        return environment
    if settings.user_name:
        return settings.user_name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class CommandContext:
    database_target: str
    user: str
    as_of: date
    settings: Settings
    json: bool = False

    def open(self, seed: bool = True, upgrade_server: bool = False) -> Database:
        database = open_database(
            self.database_target,
            user=self.user,
            seed=seed,
            upgrade_server=upgrade_server,
            server_backup_dir=self.settings.data_dir() / "backups",
        )
        for warning in database.warnings:
            print(f"WARNING: {warning}", file=sys.stderr)
        return database

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open the database for one unit of work, and close it afterwards."""
        database = self.open()
        try:
            with database.session() as session:
                yield session
        finally:
            database.close()

    @property
    def log_dir(self) -> Path:
        return self.settings.data_dir() / "logs"
