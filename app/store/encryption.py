"""Databases encrypted at rest with SQLCipher (through the `sqlcipher3` package).

An encrypted file has no SQLite header: its first bytes are a random salt, and every page,
in the database and in its -wal file, is encrypted with a key derived from the passphrase.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from app.errors import CommissioningError, WrongPassphrase

SQLITE_HEADER = b"SQLite format 3\x00"
SMALLEST_PAGE = 512


class EncryptionUnavailable(CommissioningError):
    """This installation has no SQLCipher, so it cannot create or open encrypted databases."""

    exit_code = 1


def sqlcipher() -> ModuleType:
    """The SQLCipher DB-API module, or a clear refusal if it is not installed."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError as error:
        raise EncryptionUnavailable(
            "Encrypted databases need the sqlcipher3 package, which this installation lacks "
            "(pip install sqlcipher3)."
        ) from error
    return dbapi2


def may_be_encrypted(path: Path) -> bool:
    """Whether a file without a SQLite header could be an SQLCipher database (whole pages)."""
    size = path.stat().st_size
    return size >= SMALLEST_PAGE and size % SMALLEST_PAGE == 0


def key_pragma(passphrase: str) -> str:
    return "PRAGMA key = '{}'".format(passphrase.replace("'", "''"))


def apply_key(dbapi_connection: Any, passphrase: str) -> None:
    """The key must be the first statement on a new connection (after quieting its log)."""
    cursor = dbapi_connection.cursor()
    # Otherwise SQLCipher writes its own lines to stderr when a passphrase is wrong.
    cursor.execute("PRAGMA cipher_log_level = NONE")
    cursor.execute(key_pragma(passphrase))
    cursor.close()


def connect(path: Path | str, passphrase: str, read_only: bool = False) -> Any:
    """A keyed DB-API connection to an encrypted database; WrongPassphrase if it does not open."""
    module = sqlcipher()
    target = f"{Path(path).as_uri()}?mode=ro" if read_only else str(path)
    connection = module.connect(target, uri=read_only, check_same_thread=False)
    apply_key(connection, passphrase)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError as error:
        connection.close()
        raise WrongPassphrase(
            f"The passphrase does not open {path} (or the file is not a database of this "
            "product). Nothing was changed."
        ) from error
    return connection
