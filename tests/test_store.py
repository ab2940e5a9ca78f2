"""The store: creating, checking, refusing and upgrading databases."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from app.errors import CorruptDatabase, NewerDatabase, NotADatabase
from app.models import Base, Organisation, ServiceDefinition, Term, Vocabulary
from app.store.database import (
    HEAD_REVISION,
    alembic_config,
    compared_with_models,
    head_revision,
    open_database,
)


def test_first_open_creates_and_seeds_a_database(tmp_path: Path) -> None:
    path = tmp_path / "new" / "commissioning.sqlite"
    database = open_database(path, user="first")
    assert database.created and path.exists()
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ServiceDefinition)) == 81
        term = session.scalars(select(Term)).first()
        assert term is not None and term.created_by == "first" and term.version == 1
    database.close()
    again = open_database(path)
    assert not again.created and again.upgraded_from is None
    again.close()


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(database) -> None:
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_foreign_keys_are_enforced(database) -> None:
    import uuid

    with pytest.raises(Exception, match=r"(?i)foreign key"), database.session() as session:
        session.add(Organisation(code="X1", name="Nowhere", type_id=uuid.uuid4()))


def test_every_record_counts_its_versions_and_knows_who_changed_it(database) -> None:
    with database.session() as session:
        term = session.scalars(
            select(Term).where(Term.vocabulary == Vocabulary.POINT_OF_DELIVERY)
        ).first()
        assert term is not None
        term.name = "Elective spell"
    database.user = "editor"
    with database.session() as session:
        changed = session.get(Term, term.id)
        assert changed is not None and changed.version == 2
        changed.name = "Elective inpatient spell"
    with database.session() as session:
        changed = session.get(Term, term.id)
        assert changed is not None
        assert changed.version == 3 and changed.updated_by == "editor"
        assert changed.updated_at >= changed.created_at


def test_the_migrations_have_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


def test_the_head_revision_known_without_alembic_is_the_newest_migration() -> None:
    # Add a migration, set HEAD_REVISION in app/store/peek.py to its revision.
    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == HEAD_REVISION == script.get_current_head()


def _modules_loaded_opening(path: Path) -> set[str]:
    """The top-level packages loaded by opening the database at `path` in a fresh process."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from app.store.database import open_database\n"
        f"open_database({str(path)!r}).close()\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.strip().split(","))


def test_opening_a_database_at_the_current_revision_does_not_load_alembic(
    template_database: Path, tmp_path: Path
) -> None:
    path = tmp_path / "current.sqlite"
    shutil.copyfile(template_database, path)
    assert "alembic" not in _modules_loaded_opening(path)


def test_opening_an_older_database_loads_alembic_to_upgrade_it(tmp_path: Path) -> None:
    # The fixture of the schema released before the current one (tests/fixtures/databases).
    older = Path(__file__).parent / "fixtures" / "databases" / "schema_logs_3.sqlite"
    path = tmp_path / older.name
    shutil.copyfile(older, path)
    assert "alembic" in _modules_loaded_opening(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )
    connection.close()
    assert list((tmp_path / "backups").glob("*before-upgrade*"))


def test_models_and_migrations_agree(database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": compared_with_models}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("Minutes of the SCG meeting\n" * 50)
    before = _bytes(path)
    with pytest.raises(NotADatabase, match="not a database"):
        open_database(path)
    assert _bytes(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]


def test_a_sqlite_file_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE songs (title TEXT)")
    connection.close()
    before = _bytes(path)
    with pytest.raises(NotADatabase):
        open_database(path)
    assert _bytes(path) == before


def test_a_corrupt_database_is_refused_untouched(template_database: Path, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite"
    shutil.copyfile(template_database, path)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 12)):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabase, match=r"damaged|could not be read"):
        open_database(path)
    assert _bytes(path) == bytes(data)


def test_a_database_from_a_newer_version_is_refused_untouched(
    template_database: Path, tmp_path: Path
) -> None:
    path = tmp_path / "newer.sqlite"
    shutil.copyfile(template_database, path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    before = _bytes(path)
    with pytest.raises(NewerDatabase, match="newer version"):
        open_database(path)
    assert _bytes(path) == before


def test_an_older_database_is_upgraded_after_a_backup(
    template_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pretend the product moved on by one revision: opening upgrades after a backup."""
    path = tmp_path / "older.sqlite"
    shutil.copyfile(template_database, path)
    import app.store.database as store

    real_head = head_revision()
    monkeypatch.setattr(store, "head_revision", lambda: real_head)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (real_head,))
    connection.close()
    calls: list[str] = []
    monkeypatch.setattr(store, "_migrate", lambda engine, revision, **_: calls.append(revision))
    monkeypatch.setattr(store, "head_revision", lambda: "later")
    monkeypatch.setattr(store, "known_revisions", lambda: {real_head, "later"})
    database = open_database(path)
    assert calls == ["later"]
    assert database.upgraded_from == real_head
    [backup] = database.backups
    assert backup.parent == tmp_path / "backups" and backup.exists()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT count(*) FROM service_definition").fetchone() == (81,)
    copy.close()
    database.close()
