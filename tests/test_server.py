"""Server mode: the application on a team's PostgreSQL database, upgraded only on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

import app.store.database as store
from app.cli import main
from app.errors import NewerDatabase, ServerBehind
from app.models import UserProfile
from app.models.people import Role
from app.store.database import Database, head_revision, open_database, resolve_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def address(database: Database) -> str:
    return database.url.render_as_string(hide_password=False)


def test_people_write_postgresql_urls_and_psycopg_3_serves_them() -> None:
    for written in ("postgresql://root@127.0.0.1/test", "postgres://root@127.0.0.1/test"):
        assert resolve_url(written).drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://h/d").drivername == "postgresql+psycopg"
    assert resolve_url("sqlite:///x.sqlite").drivername == "sqlite"


def test_the_server_keeps_money_as_whole_pence_and_ids_as_uuids(server_database) -> None:
    with server_database.engine.connect() as connection:
        types = dict(
            connection.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type "
                    "FROM information_schema.columns WHERE table_schema = current_schema()"
                )
            ).all()
        )
    assert types["service_definition.id"] == "uuid"
    assert types["contract_line.price"] == "bigint"


def _pretend_the_product_moved_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The server stays at the current schema; this client's head becomes a later one."""
    real_head = head_revision()
    migrated: list[str] = []
    monkeypatch.setattr(store, "head_revision", lambda: "later")
    monkeypatch.setattr(store, "known_revisions", lambda: {real_head, "later"})
    monkeypatch.setattr(
        store, "_migrate", lambda engine, revision, then=None: migrated.append(revision)
    )
    return migrated


def test_a_newer_client_asks_for_the_upgrade_rather_than_doing_it(
    server_database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server_database.close()
    migrated = _pretend_the_product_moved_on(monkeypatch)
    with pytest.raises(ServerBehind, match="commissioning init --upgrade-server"):
        open_database(address(server_database))
    code, _, err = run(capsys, "nds", "list", "--db", address(server_database))
    assert code == 1 and "commissioning init --upgrade-server" in err
    assert "Traceback" not in err and migrated == []


def test_an_administrator_upgrades_the_server_after_a_pg_dump(
    server_database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated_folders: Path,
) -> None:
    server_database.close()
    real_head = head_revision()
    migrated = _pretend_the_product_moved_on(monkeypatch)
    code, out, err = run(capsys, "init", "--upgrade-server", "--db", address(server_database))
    assert code == 0, err
    assert migrated == ["later"]
    [dump] = (isolated_folders / "data" / "backups").glob(f"*-before-upgrade-{real_head}.dump")
    assert dump.read_bytes().startswith(b"PGDMP") and str(dump) in out


def test_only_an_administrator_may_upgrade_the_server(
    server_database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with server_database.session() as session:
        session.add(UserProfile(name="admin", role=Role.ADMINISTRATOR))
        session.add(UserProfile(name="sam", role=Role.COMMISSIONER))
    server_database.close()
    migrated = _pretend_the_product_moved_on(monkeypatch)
    code, _, err = run(
        capsys, "init", "--upgrade-server", "--user", "sam", "--db", address(server_database)
    )
    assert code == 1 and "may not change database" in err and migrated == []


def test_an_older_client_refuses_a_server_with_a_newer_schema(server_database) -> None:
    with server_database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    server_database.close()
    with pytest.raises(NewerDatabase, match=r"newer schema.*Install the version your team"):
        open_database(address(server_database))


def test_check_works_on_the_server(server_database, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--db", address(server_database))
    assert code == 0
    assert "PostgreSQL" in out and "schema: tables and columns" in out


def test_check_names_a_table_the_server_has_lost(
    server_database, capsys: pytest.CaptureFixture[str]
) -> None:
    with server_database.engine.begin() as connection:
        connection.execute(text("DROP TABLE national_service"))
    code, _, err = run(capsys, "check", "--db", address(server_database))
    assert code == 1 and "national_service" in err


def test_backup_and_restore_on_a_server_explain_pg_dump(
    server_database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "backup", "--out", str(tmp_path / "x.sqlite"), "--db", address(server_database)
    )
    assert code == 1 and "pg_dump --format=custom" in err and "Traceback" not in err
    code, _, err = run(capsys, "restore", str(tmp_path / "x"), "--db", address(server_database))
    assert code == 1 and "pg_restore" in err


def test_an_unreachable_server_is_reported_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 1 and "Cannot open the database on the server" in err and "Traceback" not in err
