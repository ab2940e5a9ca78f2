"""What every command is given: the chosen database, the acting user, the date treated as today."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import InputRejected, UsageError
from app.settings import Settings

# The store (SQLAlchemy) is imported when a command first opens the database: starting the
# application reads this module before its window is painted, and opens the database after.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.store.database import Database

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


def read_secret_file(path: str, what: str) -> str:
    """The first line of a file holding a password or passphrase."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputRejected(f"{path}: the {what} file cannot be read ({error.strerror})") from error
    lines = text.splitlines()
    secret = lines[0] if lines else ""
    if not secret:
        raise InputRejected(f"{path}: the {what} file is empty")
    return secret


def prompt_secret(prompt: str, option: str) -> str:
    """Ask on the terminal; without one, say which option gives it and stop (exit 2)."""
    if not sys.stdin.isatty():
        raise UsageError(f"{prompt.rstrip(': ')} is needed: give it with {option}.")
    return getpass.getpass(prompt)


@dataclass
class CommandContext:
    database_target: str
    user: str
    as_of: date
    settings: Settings
    json: bool = False
    password_file: str | None = None
    passphrase_file: str | None = None
    writes: str | None = None
    """The area the command changes (from its registration); refused up front if not allowed."""
    _secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def open(
        self,
        seed: bool = True,
        encrypt: bool = False,
        password_is_the_new_users: bool = False,
        upgrade_server: bool = False,
    ) -> Database:
        """Open the database as the acting user: passphrase, password and role checked."""
        from app.store.database import open_database

        database = open_database(
            self.database_target,
            user=self.user,
            seed=seed,
            upgrade_server=upgrade_server,
            server_backup_dir=self.settings.data_dir() / "backups",
            passphrase=self.passphrase,
            encrypt=encrypt,
        )
        try:
            self._authenticate(database, password_is_the_new_users)
            if self.writes:
                from app.services.access import require_write

                with database.reader() as session:
                    require_write(session, self.writes)
        except BaseException:
            database.close()
            raise
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

    def passphrase(self, confirm: bool = False) -> str:
        """The passphrase of an encrypted database: file, COMMISSIONING_PASSPHRASE, prompt."""
        if "passphrase" not in self._secrets:
            if self.passphrase_file:
                secret = read_secret_file(self.passphrase_file, "passphrase")
            elif os.environ.get("COMMISSIONING_PASSPHRASE"):
                secret = os.environ["COMMISSIONING_PASSPHRASE"]
            else:
                option = "--passphrase-file FILE or COMMISSIONING_PASSPHRASE"
                secret = prompt_secret("Passphrase of the database: ", option)
                if confirm and prompt_secret("The passphrase again: ", option) != secret:
                    raise InputRejected("The two passphrases differ; nothing was created.")
            self._secrets["passphrase"] = secret
        return self._secrets["passphrase"]

    def own_password(self, password_is_the_new_users: bool = False) -> str:
        if "password" not in self._secrets:
            environment = os.environ.get("COMMISSIONING_PASSWORD_FILE")
            if self.password_file and not password_is_the_new_users:
                secret = read_secret_file(self.password_file, "password")
            elif environment:
                secret = read_secret_file(environment, "password")
            else:
                option = (
                    "COMMISSIONING_PASSWORD_FILE"
                    if password_is_the_new_users
                    else "--password-file FILE"
                )
                secret = prompt_secret(f"Password for {self.user}: ", option)
            self._secrets["password"] = secret
        return self._secrets["password"]

    def _authenticate(self, database: Database, password_is_the_new_users: bool) -> None:
        from app.services.users import check_password, needs_password

        with database.reader() as session:
            if needs_password(session, self.user):
                check_password(session, self.user, self.own_password(password_is_the_new_users))

    @property
    def log_dir(self) -> Path:
        return self.settings.data_dir() / "logs"
