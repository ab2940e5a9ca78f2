"""Opening a database: choose it, check it, refuse what is unsafe, upgrade it after a backup."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import (
    CommissioningError,
    CorruptDatabase,
    InputRejected,
    NewerDatabase,
    NotADatabase,
    ServerBehind,
    ServerUnavailable,
)
from app.store import (  # noqa: F401  (audit and stamping register flush listeners)
    audit,
    encryption,
    lock,
    stamping,
)
from app.store.integrity import (
    BackgroundCheck,
    damaged_message,
    hold_writes_until_checked,
    quick_check,
)
from app.store.location import storage_warning
from app.store.peek import HEAD_REVISION
from app.store.rolling import backups_folder, latest_good_backup, take_backup

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = encryption.SQLITE_HEADER
BUSY_TIMEOUT_MS = 5000


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Full-text search tables are created by hand in migrations (SQLite FTS5 virtual tables and
# their shadow tables); the models do not describe them, so comparisons leave them out.
FULL_TEXT_TABLES = ("log_search",)


def compared_with_models(
    item: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: everything but the hand-made full-text search tables."""
    if type_ == "table" and name is not None:
        return not any(name == t or name.startswith(f"{t}_") for t in FULL_TEXT_TABLES)
    return True


def head_revision() -> str:
    """The revision of the newest migration: the schema this version of the product uses."""
    return HEAD_REVISION


def known_revisions() -> set[str]:
    """Every revision in the migrations folder (loads Alembic)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


POSTGRESQL_DRIVER = "postgresql+psycopg"
UPGRADE_COMMAND = "commissioning init --upgrade-server"


def resolve_url(target: str | os.PathLike[str]) -> URL:
    """A path or any SQLAlchemy URL; a bare path is a SQLite file.

    `postgresql://` (and `postgres://`) as people write them are served by psycopg 3.
    """
    text = os.fspath(target)
    if "://" in text:
        url = make_url(text)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername=POSTGRESQL_DRIVER)
        return url
    return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))


def display_url(url: URL) -> str:
    """The URL as people wrote it: no driver name, no password."""
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql")
    return url.render_as_string(hide_password=True)


def is_server(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def libpq_url(url: URL) -> str:
    """The URL as PostgreSQL's own tools (pg_dump, psql) take it, password included."""
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    if not url.query:
        return plain
    pairs = [
        f"{quote(key)}={quote(value)}"
        for key, values in url.query.items()
        for value in ([values] if isinstance(values, str) else values)
    ]
    return f"{plain}?{'&'.join(pairs)}"  # libpq reads %20, not "+", as a space


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


def inspect_sqlite_file(
    path: Path, passphrase: str | None = None, check: bool = True
) -> str | None:
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
            detail = quick_check(connection) if check else None
            if detail is not None:
                raise CorruptDatabase(damaged_message(path, detail))
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
            f"{path} is damaged and was not opened: the integrity check failed ({error})."
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


BULK = "bulk"  # in a pooled connection's info while it is set up for a bulk write
CHECKPOINT_PAGES = 1000  # SQLite's own default for wal_autocheckpoint


def _bulk_settings(dbapi_connection: Any, bulk: bool) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'OFF' if bulk else 'ON'}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={0 if bulk else CHECKPOINT_PAGES}")
    cursor.close()


def _end_bulk(dbapi_connection: Any, record: Any) -> None:
    """A connection set up for a bulk write goes back to the pool as every other is."""
    if record.info.pop(BULK, False):
        _bulk_settings(dbapi_connection, bulk=False)


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
        event.listen(engine, "checkin", _end_bulk)
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
    warnings: list[str] = field(default_factory=list)
    rolling_backups: bool = True
    changed: bool = False
    locked: bool = False
    passphrase: str | None = field(default=None, repr=False)
    """Set for an encrypted database: its backups are encrypted with it too."""
    integrity: BackgroundCheck | None = None
    """The quick check still running after opening (`check_later`); writes wait for it."""

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._checkpoint: threading.Thread | None = None
        event.listen(self.engine, "after_cursor_execute", self._note_change)

    def _note_change(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self.changed and statement.lstrip()[:6].upper() in WRITES:
            self.changed = True

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @property
    def encrypted(self) -> bool:
        return self.passphrase is not None

    @property
    def display_name(self) -> str:
        path = self.path
        if path:
            return str(path)
        return display_url(self.url)

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

    @contextmanager
    def bulk_session(self) -> Iterator[Session]:
        """`session()` for one large write of rows whose references the caller checks itself.

        On SQLite, the connection skips the foreign-key look-ups (three per row of a return,
        a second in a million rows), and the commit leaves copying the write-ahead log into
        the database file (the checkpoint) to a background thread, as SQLite's documentation
        suggests for large writes: the commit is as safe either way (the log is the
        committed data), and readers and writers carry on while it copies. The connection
        is set back as it was when it returns to the pool, whatever happened.
        """
        with self.session() as session:
            connection = session.connection()
            if connection.dialect.name == "sqlite":
                driver = connection.connection.driver_connection
                assert driver is not None
                if not driver.in_transaction:  # the settings take effect only outside one
                    connection.connection.info[BULK] = True
                    _bulk_settings(driver, bulk=True)
            yield session
        if self.path is not None:
            self._checkpoint_in_background()

    def _checkpoint_in_background(self) -> None:
        self.wait_for_checkpoint()

        def checkpoint() -> None:
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # the next checkpoint copies what this one did not
                logging.getLogger(__name__).warning("checkpoint failed", exc_info=True)

        self._checkpoint = threading.Thread(target=checkpoint, name="checkpoint", daemon=True)
        self._checkpoint.start()

    def wait_for_checkpoint(self) -> None:
        """Wait for a checkpoint started after a bulk write, if one is still copying."""
        if self._checkpoint is not None:
            self._checkpoint.join()
            self._checkpoint = None

    def close(self) -> None:
        """Close; a SQLite file changed since it was opened gets a rolling backup.

        The lock goes before the copy is made: the copy reads one snapshot of the file
        (SQLite's backup API in a single step), whatever another start then writes, so the
        next start is not refused while a large database is copied (5 s for 1.4 GB).
        """
        self.wait_for_checkpoint()
        self.engine.dispose()
        path = self.path
        if path is None:
            return
        try:
            if self.locked:
                lock.release(path)
                self.locked = False
            if self.changed and self.rolling_backups and path.exists():
                self.backups.append(take_backup(path, "on-closing", passphrase=self.passphrase))
                self.changed = False
        finally:
            if self.locked:
                lock.release(path)
                self.locked = False


WRITES = {"INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP"}


def open_database(
    target: str | os.PathLike[str],
    *,
    user: str = "",
    seed: bool = True,
    upgrade_server: bool = False,
    server_backup_dir: Path | None = None,
    passphrase: Passphrase | None = None,
    encrypt: bool = False,
    check_later: bool = False,
) -> Database:
    """Open (creating, or upgrading after a backup) the database at `target`.

    A file that is not a database, is damaged, or was written by a newer version of the
    product is refused before anything writes to it. An encrypted file is opened with
    `passphrase` (asked for only then); `encrypt` creates a new database encrypted with it.
    A shared server is upgraded only when asked (`upgrade_server`, by an administrator, after
    a pg_dump backup into `server_backup_dir`); otherwise a server behind this version is
    refused with a message naming the upgrade command.

    With `check_later` (the application's window), the quick integrity check of an existing
    file that needs no upgrade runs on a thread after opening (`Database.integrity`), and
    every write waits for its verdict; a file to be upgraded is checked before, as always.
    """
    url = resolve_url(target)
    if is_server(url):
        if encrypt:
            raise InputRejected(
                "Only a database file can be encrypted; a server has its own means."
            )
        return _open_server(
            url, user=user, seed=seed, upgrade=upgrade_server, backup_dir=server_backup_dir
        )
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
            revision = _inspect_or_offer_backup(path, key, check=not check_later)
        elif encrypt:
            encryption.sqlcipher()
            key = _resolve(passphrase, confirm=True)
            if not key:
                raise InputRejected("An encrypted database needs a passphrase.")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif encrypt:
        raise InputRejected("Only a database file can be encrypted; a server has its own means.")
    if revision is not None and revision != head_revision() and revision not in known_revisions():
        raise NewerDatabase(
            f"{path} was written by a newer version of this product (schema {revision}). "
            "Install the newer version to open it; the file has not been changed."
        )
    check_later = check_later and existing and path is not None
    if check_later and revision != head_revision():
        assert path is not None
        _inspect_or_offer_backup(path, key)  # a file is checked before it is upgraded
        check_later = False
    if path is not None:
        lock.acquire(path, user)
    try:
        engine = create_store_engine(url, key)
        if path is None:
            revision = _server_revision(engine)
            if (
                revision is not None
                and revision != head_revision()
                and revision not in known_revisions()
            ):
                engine.dispose()
                raise NewerDatabase(
                    f"The database at {url.render_as_string(hide_password=True)} uses a newer "
                    f"schema ({revision}) than this version of the product. Update the product."
                )
        database = Database(
            url=url, engine=engine, user=user, locked=path is not None, passphrase=key
        )
        if path is not None:
            warning = storage_warning(path)
            if warning:
                database.warnings.append(warning)
        if check_later:
            assert path is not None
            database.integrity = BackgroundCheck(
                path, key, explain=lambda error: _offer_backup(error, path, key)
            )
            hold_writes_until_checked(engine, database.integrity)
        head = head_revision()
        if revision is None:
            _create(database, head, seed)
        elif revision != head:
            if path is not None:
                database.backups.append(
                    take_backup(path, f"before-upgrade-{revision}", passphrase=key)
                )
            # Records made before the trail existed get a first entry, so the check holds.
            _migrate(engine, head, then=lambda connection: _adopt(connection, user))
            database.upgraded_from = revision
    except BaseException:
        if path is not None:
            lock.release(path)
        raise
    return database


def _inspect_or_offer_backup(
    path: Path, passphrase: str | None = None, check: bool = True
) -> str | None:
    """The file's revision; if it is damaged, say so and name the latest good backup."""
    try:
        return inspect_sqlite_file(path, passphrase, check)
    except CorruptDatabase as error:
        raise _offer_backup(error, path, passphrase) from error


def _offer_backup(error: CorruptDatabase, path: Path, passphrase: str | None) -> CorruptDatabase:
    """The refusal of a damaged file, naming its latest good backup (or that there is none)."""
    good = latest_good_backup(path, passphrase)
    if good is None:
        refusal = CorruptDatabase(
            f"{error} No good backup of it was found in {backups_folder(path)}."
        )
        refusal.database, refusal.backup = path, None
        return refusal
    refusal = CorruptDatabase(
        f"{error} The latest good backup is {good.path} (taken "
        f"{good.taken.astimezone():%d/%m/%Y %H:%M}); restore it with "
        f"`commissioning restore {good.path}`. Nothing has been changed."
    )
    refusal.database, refusal.backup = path, good.path
    return refusal


def _create(database: Database, head: str, seed: bool) -> None:
    _migrate(database.engine, head, then=_seed(database.user) if seed else None)
    database.created = True


def _open_server(
    url: URL, *, user: str, seed: bool, upgrade: bool, backup_dir: Path | None
) -> Database:
    """A team's PostgreSQL database: created when empty, upgraded only on purpose."""
    shown = display_url(url)
    engine = create_store_engine(url)
    try:
        revision = _server_revision(engine)
    except OperationalError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        hint = ""
        if "does not exist" in reason and url.database:
            hint = (
                f" Ask the server's administrator to create it (createdb {url.database}); "
                "the product then sets it up on first opening."
            )
        raise ServerUnavailable(
            f"Cannot open the database on the server {shown}: {reason}.{hint}"
        ) from error
    head = head_revision()
    if revision is not None and revision != head_revision() and revision not in known_revisions():
        engine.dispose()
        raise NewerDatabase(
            f"The database on {shown} has been upgraded to a newer schema ({revision}) than "
            "this version of the product understands. Install the version your team now uses "
            "to connect; nothing has been changed."
        )
    database = Database(url=url, engine=engine, user=user)
    if revision is None:
        if _has_tables(engine):
            engine.dispose()
            raise NotADatabase(
                f"The database on {shown} holds tables but not this product's schema; "
                "it was not changed. Point --db at an empty database or one of this product."
            )
        _create(database, head, seed)
    elif revision != head:
        if not upgrade:
            engine.dispose()
            raise ServerBehind(
                f"The database on {shown} is at schema {revision}, older than this version of "
                f"the product ({head}). A shared server is upgraded only on purpose: an "
                f"administrator runs `{UPGRADE_COMMAND}` (after telling colleagues, who will "
                "then need this version too). Nothing has been changed."
            )
        from app.services.access import Area, require_write

        try:
            with database.session() as session:
                require_write(session, Area.DATABASE)
        except BaseException:
            engine.dispose()
            raise
        database.backups.append(
            dump_server(url, backup_dir or Path.cwd(), f"before-upgrade-{revision}")
        )
        # Records made before the trail existed get a first entry, so the check holds.
        _migrate(engine, head, then=lambda connection: _adopt(connection, user))
        database.upgraded_from = revision
    return database


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def dump_server(url: URL, folder: Path, reason: str) -> Path:
    """A pg_dump of the server database (custom format, for pg_restore) into `folder`."""
    program = shutil.which("pg_dump")
    if program is None:
        raise CommissioningError(
            "pg_dump was not found, so no backup of the server could be made and nothing was "
            "changed. Install the PostgreSQL client tools (the version of the server or newer) "
            "and try again."
        )
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    destination = folder / f"{url.database or 'server'}-{stamp}-{reason}.dump"
    partial = destination.with_name(destination.name + ".partial")
    result = subprocess.run(
        [program, "--format=custom", f"--file={partial}", f"--dbname={libpq_url(url)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise CommissioningError(
            "pg_dump could not back up the server, so nothing was changed: "
            + (result.stderr.strip() or f"exit status {result.returncode}")
        )
    os.replace(partial, destination)
    return destination


def _server_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


AfterMigration = Callable[[Connection], None]


def _migrate(engine: Engine, revision: str, then: AfterMigration | None = None) -> None:
    """Upgrade to `revision`, and then do `then`, in ONE transaction: killed at any point,
    nothing changed.

    Python's sqlite3 runs DDL outside a transaction unless one was begun explicitly, so a
    migration killed half-way would leave half a schema; an explicit BEGIN IMMEDIATE makes it
    atomic. On SQLite, foreign keys are off while tables are rebuilt (a batch migration drops
    and recreates a table that others refer to), and checked in full before the commit.
    """
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if then is not None:
                    then(connection)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise CorruptDatabase(
                            f"the upgrade to {revision} would leave {len(broken)} broken "
                            f"references (first in table {broken[0][0]}); nothing was changed"
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
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
