"""Users and roles: profiles, scrypt passwords, and every write refused to a viewer."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app.cli import build_parser, main
from app.models import AuditEntry, UserProfile
from app.services.access import Area, NotPermitted
from app.services.demo import build_demo
from app.services.maintenance import backup_database, restore_database
from app.services.users import (
    add_user,
    hash_password,
    list_users,
    set_role,
    verify_password,
)
from app.store.database import Database, open_database, resolve_url

PASSWORD = "a long passphrase"
AS_OF = date(2026, 11, 24)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_password_is_kept_as_a_salted_scrypt_hash_with_its_parameters() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # salted
    scheme, n, r, p, salt, key = first.split("$")
    assert len(salt) > 16 and len(key) > 32
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first)
    assert not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, "pbkdf2$nonsense")


def test_verification_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    import hmac

    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify_password(PASSWORD, hash_password(PASSWORD))
    assert len(calls) == 1


def test_the_first_user_must_be_an_administrator(database: Database) -> None:
    from app.errors import InputRejected

    with database.session() as session, pytest.raises(InputRejected, match="administrator"):
        add_user(session, "vic", "viewer")


def test_the_last_administrator_cannot_be_demoted(database: Database) -> None:
    from app.errors import InputRejected

    database.user = "ann"
    with database.session() as session:
        add_user(session, "ann", "administrator")
    with database.session() as session, pytest.raises(InputRejected, match="last administrator"):
        set_role(session, "ann", "viewer")


@pytest.fixture
def staffed(database: Database, tmp_path: Path) -> Iterator[str]:
    """A database with an administrator (with a password), a commissioner and a viewer:
    what `--db` takes for it (a file, or a server's URL)."""
    database.user = "ann"
    with database.session() as session:
        add_user(session, "ann", "administrator", password=PASSWORD)
        add_user(session, "cath", "commissioner")
        add_user(session, "vic", "viewer")
    address = _address(database)
    database.close()
    (tmp_path / "ann.password").write_text(PASSWORD + "\n")
    yield address


def _address(database: Database) -> str:
    if database.path is not None:
        return str(database.path)
    return database.url.render_as_string(hide_password=False)


def _state(address: str) -> object:
    """What a refused command must leave as it was: a file's bytes, or on a server the
    trail, the profiles and the schema."""
    if "://" not in address:
        return Path(address).read_bytes()
    engine = create_engine(resolve_url(address))
    try:
        with engine.connect() as connection:
            return [
                connection.exec_driver_sql(query).all()
                for query in (
                    "SELECT sequence, entry_hash FROM audit_entry ORDER BY sequence",
                    "SELECT name, role, version FROM user_profile ORDER BY name",
                    "SELECT version_num FROM alembic_version",
                )
            ]
    finally:
        engine.dispose()


def test_users_add_list_and_set_role_on_the_command_line(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _address(database)
    database.close()
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    code, out, _ = run(
        capsys, "--db", db, "--user", "ann", "users", "add", "ann", "--role", "administrator"
    )
    assert code == 0 and "Added ann, Administrator" in out
    code, out, _ = run(
        capsys,
        *("--db", db, "--user", "ann", "users", "add", "bob", "--role", "commissioner"),
        *("--password-file", str(secret)),
    )
    assert code == 0 and "with a password" in out
    code, out, _ = run(capsys, "--db", db, "--user", "ann", "users", "set-role", "bob", "head")
    assert code == 0 and "Head of Specialised Commissioning" in out
    code, out, _ = run(capsys, "--db", db, "--user", "ann", "users", "list", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["bob"]["role"] == "head" and rows["bob"]["has_password"] is True
    assert rows["ann"]["has_password"] is False
    assert all("id" in row and "password_hash" not in row for row in rows.values())
    if "://" not in db:
        assert PASSWORD.encode() not in Path(db).read_bytes()
    else:
        engine = create_engine(resolve_url(db))
        try:
            with engine.connect() as connection:
                stored = [
                    str(value)
                    for query in ("SELECT * FROM user_profile", "SELECT * FROM audit_entry")
                    for row in connection.exec_driver_sql(query)
                    for value in row
                ]
        finally:
            engine.dispose()
        assert not any(PASSWORD in value for value in stored)


def test_a_user_with_a_password_must_give_it(
    staffed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(staffed)
    code, _, err = run(capsys, "--db", db, "--user", "ann", "users", "list")
    assert code == 2 and "--password-file" in err  # no terminal: never prompt
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password")
    code, _, err = run(capsys, "--db", db, "--user", "ann", "--password-file", str(wrong), "check")
    assert code == 3 and "not right" in err
    right = str(tmp_path / "ann.password")
    code, out, _ = run(capsys, "--db", db, "--user", "ann", "--password-file", right, "users")
    assert code == 0 and "vic" in out


def test_a_name_without_a_profile_may_not_write(
    staffed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--db", str(staffed), "--user", "zed", "users", "set-role", "vic", "head"
    )
    assert code == 1 and "has no profile" in err


def _write_commands() -> list[tuple[list[str], str]]:
    """Every registered command marked `writes=`, with placeholder arguments."""
    found: list[tuple[list[str], str]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        area = parser.get_default("writes")
        if area and path:
            argv = list(path)
            for action in parser._actions:
                if action.option_strings:
                    if action.required:
                        value = action.choices[0] if action.choices else "placeholder"
                        argv += [action.option_strings[0], str(value)]
                elif action.nargs != 0 and not isinstance(action, argparse._SubParsersAction):
                    argv.append(str(action.choices[0]) if action.choices else "placeholder")
            for group in parser._mutually_exclusive_groups:
                if group.required:  # one of them must be given: the first, say
                    first = group._group_actions[0]
                    argv += [first.option_strings[0]]
                    if first.nargs != 0:
                        argv.append("placeholder")
            found.append((argv, area))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, [*path, name])

    walk(build_parser(), [])
    return found


def test_the_write_commands_are_found_from_the_registry() -> None:
    commands = {
        " ".join(argv[:2]) if argv[0] == "users" else argv[0] for argv, _ in _write_commands()
    }
    assert {"init", "restore", "users add", "users set-role"} <= commands


@pytest.mark.parametrize("argv", [argv for argv, _ in _write_commands()], ids=" ".join)
def test_every_write_command_is_refused_to_a_viewer(
    staffed: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(staffed)
    code, _, err = run(capsys, "--db", str(staffed), "--user", "vic", *argv)
    assert code == 1, err
    assert "Viewer and may not change" in err
    assert _state(staffed) == before


def test_a_demo_into_an_existing_database_is_refused_to_a_viewer(
    staffed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(staffed), "--user", "vic", "init", "--demo")
    assert code == 1 and "may not change database" in err


def _open_as(path: str, user: str) -> Database:
    return open_database(path, user=user)


def test_the_services_refuse_a_viewer_whatever_the_road_in(staffed: str, tmp_path: Path) -> None:
    database = _open_as(staffed, "vic")
    try:
        with database.reader() as session:
            entries = session.scalar(select(func.count()).select_from(AuditEntry))
        with pytest.raises(NotPermitted), database.session() as session:
            add_user(session, "eve", "administrator")
        with pytest.raises(NotPermitted), database.session() as session:
            set_role(session, "vic", "administrator")
        with pytest.raises(NotPermitted):
            build_demo(database, as_of=AS_OF)
        copy = tmp_path / "copy.sqlite"
        if database.path is not None:
            backup_database(database, copy)  # reading is allowed
        with pytest.raises(NotPermitted):
            restore_database(database, copy)
        with database.reader() as session:
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
            assert [row.name for row in list_users(session)] == ["ann", "cath", "vic"]
            profile = session.scalars(select(UserProfile).where(UserProfile.name == "vic")).one()
            assert profile.role == "viewer"
    finally:
        database.close()


def test_a_commissioner_may_change_definitions_but_not_users(staffed: str) -> None:
    from app.services.access import can_write

    database = _open_as(staffed, "cath")
    try:
        with database.reader() as session:
            assert can_write(session, Area.DEFINITIONS)
            assert not can_write(session, Area.USERS)
    finally:
        database.close()
