"""Opening a database: choose it, check it, refuse what is unsafe, upgrade it after a backup."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.errors import CorruptDatabase, InputRejected, NewerDatabase, NotADatabase
from app.store import audit, encryption, stamping  # noqa: F401  (flush listeners)
from app.store.backup import backup_name, backup_sqlite

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = encryption.SQLITE_HEADER
BUSY_TIMEOUT_MS = 5000


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def resolve_url(target: str | os.PathLike[str]) -> URL:
    """A path or any SQLAlchemy URL; a bare path is a SQLite file."""
    text = os.fspath(target)
    if "://" in text:
        return make_url(text)
    return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))


def sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


Passphrase = str | Callable[..., str]
"""A passphrase, or something that asks for one (called with confirm=True for a new database)."""


def is_encrypted_file(path: Path) -> bool:
    with path.open("rb") as stream:
        header = stream.read(len(SQLITE_HEADER))
    return header != SQLITE_HEADER and encryption.may_be_encrypted(path)


def _resolve(passphrase: Passphrase | None, confirm: bool = False) -> str | None:
    if passphrase is None or isinstance(passphrase, str):
        return passphrase
    return passphrase(confirm=confirm)


def inspect_sqlite_file(path: Path, passphrase: str | None = None) -> str | None:
    """Check an existing file without changing a byte of it; return its schema revision.

    An encrypted file is read with `passphrase`; without one it is refused as not a database.
    """
    with path.open("rb") as stream:
        header = stream.read(len(SQLITE_HEADER))
    encrypted = header != SQLITE_HEADER
    if encrypted and (passphrase is None or not encryption.may_be_encrypted(path)):
        hint = (
            " If it is an encrypted database, give its passphrase (--passphrase-file or "
            "COMMISSIONING_PASSPHRASE)."
            if encryption.may_be_encrypted(path)
            else ""
        )
        raise NotADatabase(
            f"{path} is not a database of this product (it is not a SQLite file).{hint}"
        )
    try:
        if encrypted:
            assert passphrase is not None
            connection = encryption.connect(path, passphrase, read_only=True)
        else:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA quick_check").fetchall()
            if [row[0] for row in result] != ["ok"]:
                detail = "; ".join(str(row[0]) for row in result[:3])
                raise CorruptDatabase(
                    f"{path} is damaged and was not opened ({detail}). "
                    "Restore the latest good backup with `commissioning restore FILE`."
                )
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                if tables:
                    raise NotADatabase(
                        f"{path} is a SQLite file but not a database of this product."
                    )
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return None if row is None else str(row[0])
        finally:
            connection.close()
    except (sqlite3.DatabaseError, _cipher_error()) as error:
        raise CorruptDatabase(
            f"{path} could not be read as a database ({error}) and was not opened."
        ) from error


def _cipher_error() -> type[Exception]:
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return sqlite3.DatabaseError
    return dbapi2.DatabaseError  # type: ignore[no-any-return]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_store_engine(url: URL, passphrase: str | None = None) -> Engine:
    if url.get_backend_name() == "sqlite":
        if passphrase is None:
            engine = create_engine(url, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(
                url, module=encryption.sqlcipher(), connect_args={"check_same_thread": False}
            )

            @event.listens_for(engine, "connect")
            def _key(dbapi_connection: Any, _record: Any) -> None:
                encryption.apply_key(dbapi_connection, passphrase)

        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """An open database and the acting user; `session()` is one unit of work."""

    url: URL
    engine: Engine
    user: str = ""
    upgraded_from: str | None = None
    created: bool = False
    backups: list[Path] = field(default_factory=list)
    passphrase: str | None = field(default=None, repr=False)
    """Set for an encrypted database: its backups are encrypted with it too."""

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @property
    def encrypted(self) -> bool:
        return self.passphrase is not None

    @property
    def display_name(self) -> str:
        path = self.path
        return str(path) if path else self.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed together at the end, or not at all."""
        session = self._sessions(info={"user": self.user})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def reader(self) -> Session:
        """A session for reading only; the caller closes it."""
        return self._sessions(info={"user": self.user})

    def close(self) -> None:
        self.engine.dispose()


def backups_folder(database: Path) -> Path:
    return database.parent / "backups"


def open_database(
    target: str | os.PathLike[str],
    *,
    user: str = "",
    seed: bool = True,
    passphrase: Passphrase | None = None,
    encrypt: bool = False,
) -> Database:
    """Open (creating, or upgrading after a backup) the database at `target`.

    A file that is not a database, is damaged, or was written by a newer version of the
    product is refused before anything writes to it. An encrypted file is opened with
    `passphrase` (asked for only then); `encrypt` creates a new database encrypted with it.
    """
    url = resolve_url(target)
    path = sqlite_path(url)
    revision: str | None = None
    existing = False
    key: str | None = None
    if path is not None:
        existing = path.exists() and path.stat().st_size > 0
        if existing and encrypt:
            raise InputRejected(
                f"{path} already exists; --encrypt creates a new database only. Back it up "
                "and restore the backup into a new encrypted database instead."
            )
        if existing:
            if is_encrypted_file(path) and passphrase is not None:
                key = _resolve(passphrase)
            revision = inspect_sqlite_file(path, key)
        elif encrypt:
            encryption.sqlcipher()
            key = _resolve(passphrase, confirm=True)
            if not key:
                raise InputRejected("An encrypted database needs a passphrase.")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif encrypt:
        raise InputRejected("Only a database file can be encrypted; a server has its own means.")
    if revision is not None and revision not in known_revisions():
        raise NewerDatabase(
            f"{path} was written by a newer version of this product (schema {revision}). "
            "Install the newer version to open it; the file has not been changed."
        )
    engine = create_store_engine(url, key)
    if path is None:
        revision = _server_revision(engine)
        if revision is not None and revision not in known_revisions():
            engine.dispose()
            raise NewerDatabase(
                f"The database at {url.render_as_string(hide_password=True)} uses a newer "
                f"schema ({revision}) than this version of the product. Update the product."
            )
    database = Database(url=url, engine=engine, user=user, passphrase=key)
    head = head_revision()
    if revision is None:
        _migrate(engine, head, then=_seed(user) if seed else None)
        database.created = True
    elif revision != head:
        if path is not None:
            destination = backups_folder(path) / backup_name(path, f"before-upgrade-{revision}")
            database.backups.append(backup_sqlite(path, destination, key))
        # Records made before the trail existed get a first entry, so the check holds.
        _migrate(engine, head, then=lambda connection: _adopt(connection, user))
        database.upgraded_from = revision
    return database


def _server_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


AfterMigration = Callable[[Connection], None]


def _migrate(engine: Engine, revision: str, then: AfterMigration | None = None) -> None:
    """Upgrade, and then do `then`, in ONE transaction: killed at any point, nothing changed.

    Python's sqlite3 runs DDL outside a transaction unless one was begun explicitly, so a
    migration killed half-way would leave half a schema; an explicit BEGIN makes it atomic.
    """
    config = alembic_config()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if then is not None:
            then(connection)
        connection.commit()


def _seed(user: str) -> AfterMigration:
    def seed(connection: Connection) -> None:
        from app.services.reference_data import load_reference_data

        session = Session(bind=connection, info={"user": user})
        try:
            load_reference_data(session)
            session.flush()
        finally:
            session.close()

    return seed


def _adopt(connection: Connection, user: str) -> None:
    audit.adopt_unaudited_records(connection, user)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
