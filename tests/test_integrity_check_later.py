"""The window opens before the quick integrity check ends; nothing is written until it passes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import CorruptDatabase
from app.models.reference import Term
from app.services import log_search
from app.settings import Settings
from app.store.database import Database, open_database
from app.store.rolling import list_backups
from app.ui.application import watch_integrity
from app.ui.context import UiContext
from app.ui.main_window import MainWindow

pytestmark = pytest.mark.sqlite_only  # SQLite's own check of a file


def _damage_the_last_pages(path: Path, pages: int = 6) -> bytes:
    """Overwrite data pages at the end of the file: the schema still reads, the check fails."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for offset in range(len(data) - page * pages, len(data)):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    return bytes(data)


def _a_good_backup_then_damage(database: Database) -> tuple[Path, bytes]:
    path = database.path
    assert path is not None
    with database.session() as session:
        session.add(Term(vocabulary="check", code="kept", name="Made before the damage"))
        log_search.years(session)  # the search index, built once, as the first start does
    with database.engine.begin() as connection:  # pages at the end that no screen reads
        connection.exec_driver_sql("CREATE TABLE padding (filler BLOB)")
        connection.exec_driver_sql("INSERT INTO padding SELECT randomblob(3000) FROM term LIMIT 60")
    database.close()  # takes a rolling backup: the latest good copy
    return path, _damage_the_last_pages(path)


def test_a_damaged_file_opens_but_every_write_is_refused_and_the_backup_named(
    database: Database,
) -> None:
    path, damaged = _a_good_backup_then_damage(database)
    [good] = list_backups(path)
    opened = open_database(path, user="tester", check_later=True)
    try:
        assert opened.integrity is not None
        verdict = opened.integrity.verdict()
        assert isinstance(verdict, CorruptDatabase)
        assert "integrity check failed" in str(verdict)
        assert verdict.backup == good.path and f"commissioning restore {good.path}" in str(verdict)
        with pytest.raises(CorruptDatabase), opened.session() as session:
            session.add(Term(vocabulary="check", code="late", name="Never written"))
    finally:
        opened.close()
    assert path.read_bytes() == damaged  # not a byte changed
    assert list_backups(path) == [good]  # and no backup of the damaged state taken on closing


def test_a_sound_file_opens_at_once_and_writes_once_the_check_has_passed(
    database: Database,
) -> None:
    path = database.path
    assert path is not None
    database.close()
    opened = open_database(path, user="tester", check_later=True)
    try:
        assert opened.integrity is not None
        with opened.session() as session:  # waits for the verdict, then writes
            session.add(Term(vocabulary="check", code="new", name="Written after the check"))
        assert opened.integrity.finished and opened.integrity.verdict() is None
        with opened.reader() as session:
            assert session.scalar(select(Term.name).where(Term.code == "new"))
    finally:
        opened.close()


def test_without_check_later_a_damaged_file_is_refused_before_opening(
    database: Database,
) -> None:
    path, damaged = _a_good_backup_then_damage(database)
    with pytest.raises(CorruptDatabase, match="latest good backup"):
        open_database(path, user="tester")
    assert path.read_bytes() == damaged


def test_a_file_that_needs_an_upgrade_is_checked_before_it_is_opened(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "databases" / "schema_0001.sqlite"
    path = tmp_path / "old.sqlite"
    shutil.copyfile(fixture, path)
    damaged = _damage_the_last_pages(path, pages=2)
    with pytest.raises(CorruptDatabase, match="integrity check failed"):
        open_database(path, user="tester", check_later=True)
    assert path.read_bytes() == damaged  # no upgrade, no backup into its folder's file


def test_the_window_reports_a_check_that_fails_after_it_opened(
    qtbot, demo_database: Database, tmp_path: Path
) -> None:
    path, damaged = _a_good_backup_then_damage(demo_database)
    opened = open_database(path, user="tester", check_later=True)
    reported: list[CorruptDatabase] = []
    # A screen that writes as it opens (a dispute's reading is recorded) is refused: the
    # error handler shows that refusal; the window itself still opens.
    with qtbot.capture_exceptions() as refused_writes:
        window = MainWindow(
            UiContext(
                database=opened,
                settings=Settings.load(),
                log_file=tmp_path / "log",
                as_of=date(2026, 11, 24),
                is_demo=False,
            )
        )
        qtbot.addWidget(window)
        window.show()
        try:
            task = watch_integrity(window, opened, reported.append)
            assert task is not None
            qtbot.waitUntil(lambda: bool(reported), timeout=30_000)
        finally:
            window.close()
            opened.close()
    assert "integrity check failed" in str(reported[0]) and reported[0].backup is not None
    assert all(isinstance(error, CorruptDatabase) for _, error, _ in refused_writes)
    assert path.read_bytes() == damaged
