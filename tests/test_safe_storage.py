"""Safe local storage: rolling backups, retention, damaged files, a database in use, unsafe
folders. All about SQLite files, so none of it runs on PostgreSQL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from sqlalchemy import select

from app.cli import main
from app.errors import CorruptDatabase, DatabaseInUse
from app.models import Term
from app.store import lock
from app.store.database import Database, open_database
from app.store.location import cloud_service, filesystem_type, storage_warning
from app.store.retention import retained, to_prune
from app.store.rolling import list_backups, space_taken, take_backup

pytestmark = pytest.mark.sqlite_only


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# Retention -------------------------------------------------------------------------------


def test_400_days_of_daily_use_leave_7_daily_4_weekly_and_6_monthly_copies() -> None:
    """A simulated clock: two copies a day (morning and evening closes), pruned each time."""
    kept: set[datetime] = set()
    start = datetime(2025, 10, 20, 8, 30, tzinfo=UTC)
    for day in range(400):
        for hours in (0, 9):
            kept.add(start + timedelta(days=day, hours=hours))
            kept -= set(to_prune(kept))
    tiers = retained(kept)
    assert Counter(tiers.values()) == {"daily": 7, "weekly": 4, "monthly": 6}
    assert len(kept) == 17
    last = start + timedelta(days=399, hours=9)
    assert max(kept) == last
    daily = sorted(moment for moment, tier in tiers.items() if tier == "daily")
    assert [moment.date() for moment in daily] == [
        (last - timedelta(days=n)).date() for n in range(6, -1, -1)
    ]
    months = {(moment.year, moment.month) for moment in kept}
    assert len(months) >= 6 + 1  # monthly copies reach back half a year


def test_retention_prunes_the_files_in_the_backups_folder(database: Database) -> None:
    path = database.path
    assert path is not None
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for day in range(60):
        take_backup(path, "on-closing", now=start + timedelta(days=day))
    copies = list_backups(path)
    assert len(copies) == len(retained(copy.taken for copy in copies)) <= 17
    assert copies[0].taken == start + timedelta(days=59)
    count, size = space_taken(path)
    assert count == len(copies) and size == sum(copy.path.stat().st_size for copy in copies)


# Rolling backups -------------------------------------------------------------------------


def _rename_a_term(database: Database, name: str) -> None:
    with database.session() as session:
        term = session.scalars(select(Term).where(Term.code == "PCT")).one()
        term.name = name


def test_closing_after_changes_takes_a_backup_and_closing_without_none(
    database: Database,
) -> None:
    path = database.path
    assert path is not None
    before = {copy.path for copy in list_backups(path)}
    database.close()
    assert {copy.path for copy in list_backups(path)} == before  # nothing changed
    again = open_database(path, user="tester")
    _rename_a_term(again, "Primary Care Trust (renamed)")
    again.close()
    [new] = [copy for copy in list_backups(path) if copy.path not in before]
    assert new.reason == "on-closing"
    copy = open_database(new.path)
    with copy.session() as session:
        names = session.scalars(select(Term.name).where(Term.code == "PCT")).all()
    copy.close()
    assert names == ["Primary Care Trust (renamed)"]


def test_the_next_start_need_not_wait_for_the_closing_backup(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock goes before the copy is made (5 s for a 1.4 GB database): another start may
    open and change the file meanwhile, and the copy is one whole snapshot of the file."""
    from app.store import database as store

    path = database.path
    assert path is not None
    _rename_a_term(database, "As closed")
    taking = store.take_backup
    seen: dict[str, object] = {}

    def meanwhile(*args: object, **kwargs: object) -> Path:
        seen["holder"] = lock.read_holder(path)
        other = open_database(path, user="next start")  # not refused as in use
        _rename_a_term(other, "Changed by the next start")
        other.rolling_backups = False
        other.close()
        return taking(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "take_backup", meanwhile)
    database.close()
    assert seen["holder"] is None
    [copy] = database.backups[-1:]
    reopened = open_database(copy)
    with reopened.session() as session:
        names = session.scalars(select(Term.name).where(Term.code == "PCT")).all()
        assert session.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    reopened.close()
    assert names == ["Changed by the next start"]  # the file as it was when the copy began


# A damaged database ----------------------------------------------------------------------


def _damage(path: Path) -> bytes:
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, min(len(data), 4096 * 12)):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_database_names_its_latest_good_backup_and_changes_nothing(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    path = database.path
    assert path is not None
    _rename_a_term(database, "Renamed before the damage")
    database.close()  # takes a good copy
    [good] = list_backups(path)
    damaged = _damage(path)
    with pytest.raises(CorruptDatabase) as refused:
        open_database(path)
    assert refused.value.backup == good.path
    assert "integrity check failed" in str(refused.value)
    assert f"commissioning restore {good.path}" in str(refused.value)
    code, _, err = run(capsys, "nds", "list", "--db", str(path))
    assert code == 1 and str(good.path) in err and "Nothing has been changed" in err
    assert path.read_bytes() == damaged
    assert list_backups(path) == [good]

    code, _, err = run(capsys, "restore", str(good.path), "--db", str(path))
    assert code == 0, err
    reopened = open_database(path)
    with reopened.session() as session:
        names = session.scalars(select(Term.name).where(Term.code == "PCT")).all()
    reopened.close()
    assert names == ["Renamed before the damage"]
    [kept] = [copy for copy in list_backups(path) if copy.reason == "damaged"]
    assert kept.path.read_bytes() == damaged  # the damaged state is kept too, outside rotation
    assert good.path.exists()


def test_the_application_offers_the_latest_good_backup(
    qtbot, database: Database, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.ui.application import damaged_database_box

    path = database.path
    assert path is not None
    _rename_a_term(database, "Renamed")
    database.close()
    _damage(path)
    with pytest.raises(CorruptDatabase) as refused:
        open_database(path)
    box = damaged_database_box(refused.value)
    qtbot.addWidget(box)
    roles = {box.buttonRole(button) for button in box.buttons()}
    assert QMessageBox.ButtonRole.AcceptRole in roles
    assert "latest good backup" in box.text() and "damaged" in box.text()


# A database in use -----------------------------------------------------------------------

HOLDER = """
import sys
from app.store.database import open_database
database = open_database(sys.argv[1], user="alex")
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_second_copy_is_told_who_has_the_database_open(
    template_database: Path, tmp_path: Path
) -> None:
    path = tmp_path / "shared.sqlite"
    shutil.copyfile(template_database, path)
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseInUse) as refused:
            open_database(path, user="sam")
        message = str(refused.value)
        assert "alex" in message and socket.gethostname() in message
        assert f"process {other.pid}" in message and "since" in message
    finally:
        other.kill()
        other.wait()
    # The other copy died without tidying up: its lock is stale and taken over.
    holder = lock.read_holder(path)
    assert holder is not None and holder.pid == other.pid
    database = open_database(path, user="sam")
    holder = lock.read_holder(path)
    assert holder is not None and holder.user == "sam"
    database.close()
    assert not lock.lock_path(path).exists()


# Unsafe folders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "service"),
    [
        (PureWindowsPath(r"C:\Users\sam\OneDrive - NHS\commissioning.sqlite"), "OneDrive"),
        (PureWindowsPath(r"C:\Users\sam\OneDrive\Documents\c.sqlite"), "OneDrive"),
        (PurePosixPath("/home/sam/Dropbox/work/c.sqlite"), "Dropbox"),
        (
            PurePosixPath("/Users/sam/Library/Mobile Documents/com~apple~CloudDocs/c.sqlite"),
            "iCloud",
        ),
        (PureWindowsPath(r"G:\My Drive\c.sqlite"), "Google Drive"),
        (PurePosixPath("/home/sam/Documents/c.sqlite"), None),
    ],
)
def test_cloud_folders_are_recognised_by_their_names(path, service) -> None:
    assert cloud_service(path) == service


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
fileserver:/export/team /mnt/team nfs4 rw 0 0
//nhs-fs01/commissioning /mnt/share cifs rw 0 0
sam@box:/data /home/sam/remote fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/mnt/team/c.sqlite", "nfs4"),
        ("/mnt/share/x/c.sqlite", "cifs"),
        ("/home/sam/remote/c.sqlite", "fuse.sshfs"),
        ("/home/sam/c.sqlite", "ext4"),
    ],
)
def test_network_filesystems_are_recognised_from_the_mounts(path: str, kind: str) -> None:
    assert filesystem_type(Path(path), MOUNTS) == kind
    warning = storage_warning(Path(path), MOUNTS)
    assert (warning is None) == (kind == "ext4")
    if warning:
        assert kind in warning


def test_opening_a_database_in_a_cloud_folder_warns(
    template_database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Dropbox" / "commissioning.sqlite"
    path.parent.mkdir()
    shutil.copyfile(template_database, path)
    database = open_database(path)
    assert database.warnings and "Dropbox" in database.warnings[0]
    database.close()
    code, _, err = run(capsys, "check", "--db", str(path))
    assert code == 0 and "WARNING" in err and "Dropbox folder" in err
