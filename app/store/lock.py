"""A lock file beside a SQLite database: who has it open, where and since when.

A second copy of the application is told the database is in use instead of both writing.
A lock left by a process that has gone (on this computer) is stale and taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.errors import DatabaseInUse


@dataclass(frozen=True)
class Holder:
    user: str
    host: str
    pid: int
    since: str  # ISO time in UTC

    def describe(self) -> str:
        try:
            since = datetime.fromisoformat(self.since).astimezone().strftime("%d/%m/%Y %H:%M")
        except ValueError:
            since = self.since
        return f"{self.user or 'someone'} on {self.host} (process {self.pid}) since {since}"


# Locks this process holds, counted, so that opening the same file twice in one process works.
_HELD: dict[Path, int] = {}


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def read_holder(database: Path) -> Holder | None:
    try:
        data = json.loads(lock_path(database).read_text(encoding="utf-8"))
        return Holder(str(data["user"]), str(data["host"]), int(data["pid"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process on Windows
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def is_stale(holder: Holder | None) -> bool:
    """A lock whose process is gone (checked on this computer only), or one unreadable."""
    if holder is None:
        return True
    return holder.host == socket.gethostname() and not _process_alive(holder.pid)


def acquire(database: Path, user: str) -> None:
    """Take the lock or raise DatabaseInUse naming who holds it."""
    key = database.resolve()
    if key in _HELD:
        _HELD[key] += 1
        return
    path = lock_path(database)
    me = Holder(user, socket.gethostname(), os.getpid(), datetime.now(UTC).isoformat())
    for _ in range(3):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = read_holder(database)
            if holder is not None and holder.host == me.host and holder.pid == me.pid:
                break  # ours, from an earlier opening in this process
            if not is_stale(holder):
                assert holder is not None
                raise DatabaseInUse(
                    f"{database} is in use by {holder.describe()}. Close the application "
                    "there first; two copies writing to one file would lose work. If that "
                    f"copy is no longer running (its computer crashed), delete {path}."
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(asdict(me), stream)
        break
    _HELD[key] = 1


def release(database: Path) -> None:
    key = database.resolve()
    count = _HELD.get(key, 0)
    if count > 1:
        _HELD[key] = count - 1
        return
    _HELD.pop(key, None)
    holder = read_holder(database)
    if holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname():
        lock_path(database).unlink(missing_ok=True)
