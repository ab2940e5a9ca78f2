"""Encryption at rest: nothing of an encrypted database is readable in clear, anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from app.models import Term
from app.services.maintenance import backup_database, check_database, restore_database
from app.store.database import open_database
from app.store.encryption import SQLITE_HEADER

PASSPHRASE = "correct horse battery staple"
SECRET_TEXT = "Zanzibar paediatric renal network"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return path


def _in_clear(path: Path, *texts: str) -> list[str]:
    data = path.read_bytes()
    return [text for text in texts if text.encode() in data or text.encode("utf-16-le") in data]


def test_init_encrypt_makes_a_file_with_no_text_in_clear_nor_in_its_wal_or_backups(
    tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "secret.sqlite"
    code, _, err = run(
        capsys, "--db", str(path), "--passphrase-file", str(passphrase_file), "init", "--encrypt"
    )
    assert code == 0, err
    assert not path.read_bytes().startswith(SQLITE_HEADER)

    database = open_database(path, user="tester", passphrase=PASSPHRASE)
    try:
        with database.session() as session:
            session.add(Term(vocabulary="topic", code="Z", name=SECRET_TEXT))
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # the change is still in the WAL
        known = ["Specialised cancer services", "alembic_version", "CREATE TABLE", SECRET_TEXT]
        assert _in_clear(wal, *known) == []
        backup = backup_database(database, tmp_path / "backup.sqlite")
        assert check_database(database).ok
    finally:
        database.close()
    for file in (path, backup):
        assert not file.read_bytes().startswith(SQLITE_HEADER)
        assert _in_clear(file, *known) == []
    for leftover in tmp_path.glob("**/*.sqlite*"):
        assert _in_clear(leftover, *known) == [], leftover

    # The backup opens with the passphrase and holds the change.
    copy = open_database(backup, passphrase=PASSPHRASE)
    try:
        with copy.reader() as session:
            assert session.scalars(select(Term.name).where(Term.code == "Z")).one() == SECRET_TEXT
    finally:
        copy.close()


def test_the_demo_is_encrypted_too(
    tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.sqlite"
    args = ("--db", str(path), "--passphrase-file", str(passphrase_file))
    assert run(capsys, *args, "init", "--encrypt", "--demo")[0] == 0
    assert _in_clear(path, "Wessex Vale", "Northgate", "DSCG-2023") == []
    code, out, _ = run(capsys, *args, "check")
    assert code == 0 and "audit: the chain" in out


def test_a_wrong_passphrase_is_a_clear_refusal_with_exit_3(
    tmp_path: Path, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "secret.sqlite"
    assert (
        run(
            capsys,
            "--db",
            str(path),
            "--passphrase-file",
            str(passphrase_file),
            "init",
            "--encrypt",
        )[0]
        == 0
    )
    before = path.read_bytes()
    wrong = tmp_path / "wrong"
    wrong.write_text("not it")
    code, _, err = run(capsys, "--db", str(path), "--passphrase-file", str(wrong), "check")
    assert code == 3
    assert "passphrase does not open" in err
    assert "ERROR" not in err  # SQLCipher's own log stays quiet
    assert path.read_bytes() == before


def test_the_passphrase_comes_from_the_environment_and_is_never_prompted_for(
    tmp_path: Path,
    passphrase_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "secret.sqlite"
    monkeypatch.setenv("COMMISSIONING_PASSPHRASE", PASSPHRASE)
    assert run(capsys, "--db", str(path), "init", "--encrypt")[0] == 0
    assert run(capsys, "--db", str(path), "check")[0] == 0
    monkeypatch.delenv("COMMISSIONING_PASSPHRASE")
    code, _, err = run(capsys, "--db", str(path), "check")
    assert code == 2 and "--passphrase-file" in err


@pytest.mark.sqlite_only
def test_encrypt_refuses_an_existing_database(
    database, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = database.path
    database.close()
    code, _, err = run(
        capsys, "--db", str(path), "--passphrase-file", str(passphrase_file), "init", "--encrypt"
    )
    assert code == 3 and "new database only" in err


def test_an_encrypted_backup_restores_and_a_plain_one_is_refused(
    tmp_path: Path, template_database: Path
) -> None:
    path = tmp_path / "secret.sqlite"
    database = open_database(path, user="tester", passphrase=PASSPHRASE, encrypt=True)
    try:
        backup = backup_database(database, tmp_path / "before.sqlite")
        with database.session() as session:
            session.add(Term(vocabulary="topic", code="Z", name=SECRET_TEXT))
        restore_database(database, backup)
        with database.reader() as session:
            assert session.scalars(select(Term).where(Term.code == "Z")).first() is None
        from app.errors import InputRejected

        with pytest.raises(InputRejected, match="unencrypted backup"):
            restore_database(database, template_database)
        assert check_database(database).ok
    finally:
        database.close()
    assert _in_clear(path, SECRET_TEXT, "CREATE TABLE") == []


def test_the_application_asks_for_the_passphrase_in_a_dialog(
    qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from app.errors import UsageError
    from app.ui.application import ask_passphrase

    monkeypatch.delenv("COMMISSIONING_PASSPHRASE", raising=False)
    path = tmp_path / "secret.sqlite"
    open_database(path, passphrase=PASSPHRASE, encrypt=True).close()
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: (PASSPHRASE, True))
    database = open_database(path, passphrase=ask_passphrase)
    database.close()
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: ("", False))
    with pytest.raises(UsageError, match="no passphrase"):
        open_database(path, passphrase=ask_passphrase)


def test_rolling_backups_of_an_encrypted_database_are_encrypted_too(tmp_path: Path) -> None:
    from app.store.rolling import is_good, latest_good_backup, list_backups

    path = tmp_path / "secret.sqlite"
    database = open_database(path, user="tester", passphrase=PASSPHRASE, encrypt=True)
    try:
        with database.session() as session:
            session.add(Term(vocabulary="topic", code="Z", name=SECRET_TEXT))
    finally:
        database.close()  # changed since it was opened: a rolling copy on closing
    copies = list_backups(path)
    assert [copy.reason for copy in copies] == ["on-closing"]
    for copy in copies:
        assert not copy.path.read_bytes().startswith(SQLITE_HEADER)
        assert _in_clear(copy.path, SECRET_TEXT, "CREATE TABLE") == []
        assert is_good(copy.path, PASSPHRASE) and not is_good(copy.path)
    good = latest_good_backup(path, PASSPHRASE)
    assert good is not None and good.path == copies[0].path
