"""Nothing lost: the process is killed (SIGKILL) at random points during a save, a migration,
a backup and a demo build. After each kill the database must pass its integrity check, its
audit chain must verify, everything committed before must be there, and the interrupted
operation must have left no trace.

Each operation is a `CrashCase` in `CASES` (a sync is killed 25 times, with the laptop's and
the server's transactions both open; an import of a 30,000-row return 20 times). The child is
forked from the test process (cheap: everything is imported already) and reports on a pipe
after each commit, so the parent knows what was committed.
`COMMISSIONING_CRASH_RUNS` multiplies the number of kills (default 1: 245 in all);
`COMMISSIONING_CRASH_SEED` replays a run.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from app.models import Term
from app.services.demo import build_demo, has_user_data, is_demo
from app.services.maintenance import backup_database, check_database
from app.store import audit
from app.store.database import Database, head_revision, inspect_sqlite_file, open_database

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork (Linux)"
)

FIXTURES = Path(__file__).parent / "fixtures" / "databases"
SCALE = float(os.environ.get("COMMISSIONING_CRASH_RUNS", "1"))
SEED = int(os.environ.get("COMMISSIONING_CRASH_SEED", str(random.SystemRandom().randrange(10**6))))
AS_OF = date(2026, 11, 24)
SAVE_BATCH = 3

Report = Callable[[str], None]


@dataclass(frozen=True)
class CrashCase:
    """An operation to interrupt: prepare a folder, run (in the child), verify after the kill."""

    name: str
    prepare: Callable[[Path, dict[str, Path]], Path]
    run: Callable[[Path, Report], None]
    verify: Callable[[Path, list[str]], None]
    runs: int
    longest: float
    """The kill lands at a random moment up to this many seconds after the start."""


def _kill_during(case: CrashCase, database: Path, rng: random.Random) -> list[str]:
    """Run the case's operation in a forked child and SIGKILL it at a random moment."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read_end)
            case.run(database, lambda tag: os.write(write_end, f"{tag}\n".encode()))
            os.write(write_end, b"finished\n")
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_end)
    received = b""
    deadline = time.monotonic() + rng.uniform(0.0, case.longest)
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([read_end], [], [], left)
        if not ready:
            break
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        received += chunk
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read_end, 4096):
        received += chunk
    os.close(read_end)
    return received.decode().split()


def _checked(path: Path) -> Database:
    """The database, opened and checked as `commissioning check` does (integrity, audit)."""
    database = open_database(path, seed=False)
    report = check_database(database)
    if not report.ok:
        database.close()
        raise AssertionError(report.problems)
    return database


def _check(path: Path) -> None:
    _checked(path).close()


def _opened(path: Path) -> sqlite3.Connection:
    """The file as the application next opens it: read-write (never created), because a
    read-only connection cannot recover the write-ahead log a killed writer left behind
    ("attempt to write a readonly database")."""
    return sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)


def _tables(path: Path) -> set[str]:
    connection = _opened(path)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()


# -- a save: transactions that each add a batch of records and change the one before ---------


def _prepare_copy(source_name: str) -> Callable[[Path, dict[str, Path]], Path]:
    def prepare(folder: Path, sources: dict[str, Path]) -> Path:
        path = folder / "commissioning.sqlite"
        shutil.copyfile(sources[source_name], path)
        return path

    return prepare


def _save(path: Path, report: Report) -> None:
    database = open_database(path, user="saver")
    batch = 0
    while True:
        with database.session() as session:
            for item in range(SAVE_BATCH):
                session.add(Term(vocabulary="crash", code=f"{batch}-{item}", name=f"t{batch}"))
            if batch:
                earlier = session.scalars(
                    sql_select(Term).where(Term.code == f"{batch - 1}-0")
                ).one()
                earlier.name += " (changed)"
        report(str(batch))
        batch += 1


def _verify_save(path: Path, reported: list[str]) -> None:
    committed = [int(tag) for tag in reported if tag.isdigit()]
    database = _checked(path)
    try:
        with database.reader() as session:
            codes = session.scalars(sql_select(Term.code).where(Term.vocabulary == "crash"))
            batches: dict[int, int] = {}
            for code in codes:
                number = int(code.split("-")[0])
                batches[number] = batches.get(number, 0) + 1
    finally:
        database.close()
    # Every batch reported is there; every batch there is whole; none is missing between.
    assert set(committed) <= set(batches)
    assert all(count == SAVE_BATCH for count in batches.values()), batches
    assert sorted(batches) == list(range(len(batches)))


# -- a migration, made long by writing much inside its transaction ---------------------------


def _long_migration(path: Path, report: Report) -> None:
    real = audit.adopt_unaudited_records

    def adopt_slowly(connection: Any, user: str = "") -> int:
        adopted = real(connection, user)
        connection.exec_driver_sql("CREATE TABLE crash_padding (n INTEGER, text TEXT)")
        for start in range(0, 60_000, 2_000):
            connection.exec_driver_sql(
                "INSERT INTO crash_padding VALUES " + ",".join(["(1, 'padding')"] * 2_000)
            )
            del start
        connection.exec_driver_sql("DROP TABLE crash_padding")
        return adopted

    audit.adopt_unaudited_records = adopt_slowly  # only in this child process
    database = open_database(path, user="upgrader")
    database.close()
    report("upgraded")


def _verify_migration(path: Path, reported: list[str]) -> None:
    revision = inspect_sqlite_file(path)
    tables = _tables(path)
    assert "crash_padding" not in tables
    assert not any(name.startswith("_alembic_tmp") for name in tables)
    if "upgraded" in reported:
        assert revision == head_revision()
    if revision == "0001":
        assert "audit_entry" not in tables  # untouched: nothing of the new schema
    else:
        assert revision == head_revision()
    _check(path)  # an untouched 0001 file is upgraded here, then checked


# -- a backup, again and again, while it is being made -----------------------------------------


def _backups(path: Path, report: Report) -> None:
    database = open_database(path, user="backer")
    number = 0
    while True:
        backup_database(database, path.parent / "copies" / f"copy-{number}.sqlite")
        report(str(number))
        number += 1


def _verify_backups(path: Path, reported: list[str]) -> None:
    _check(path)
    folder = path.parent / "copies"
    made = sorted(folder.glob("copy-*.sqlite")) if folder.exists() else []
    assert {f"copy-{tag}.sqlite" for tag in reported if tag.isdigit()} <= {p.name for p in made}
    for copy in made:  # a finished name is always a whole, good copy
        assert inspect_sqlite_file(copy) == head_revision()
        connection = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            connection.close()
    if made:  # the newest copy, the one most likely caught mid-way, in full
        _check(max(made, key=lambda copy: int(copy.stem.split("-")[1])))


# -- the demo build, into a new database ------------------------------------------------------


def _prepare_new(folder: Path, _sources: dict[str, Path]) -> Path:
    return folder / "new.sqlite"


def _demo(path: Path, report: Report) -> None:
    database = open_database(path, user="demo")
    report("created")
    build_demo(database, as_of=AS_OF)
    report("demo")


def _verify_demo(path: Path, reported: list[str]) -> None:
    if not path.exists() or path.stat().st_size == 0:
        assert "created" not in reported
        return
    if "alembic_version" in _tables(path):
        # Creation is one transaction: a schema is never there without its reference data.
        connection = _opened(path)
        try:
            count = connection.execute("SELECT count(*) FROM service_definition").fetchone()
        finally:
            connection.close()
        assert count == (81,)
    else:
        assert "created" not in reported
    database = _checked(path)
    try:
        demo, data = is_demo(database), has_user_data(database)
        if "demo" in reported:
            assert demo and data
        # All of the demo or none of it.
        assert demo == data
        if demo:
            with database.reader() as session:
                assert session.scalar(sql_select(func.count()).select_from(Term)) > 0
    finally:
        database.close()


# -- an import of a large return into the demo database ---------------------------------------

IMPORT_ROWS = 30_000
_RETURN: dict[str, Path] = {}


def _return_file(demo: Path) -> Path:
    if not _RETURN:
        from bench.returns_import import generate_return

        target = demo.parent / "crash-return.csv"
        generate_return(demo, IMPORT_ROWS, target)
        _RETURN["file"] = target
    return _RETURN["file"]


def _prepare_import(folder: Path, sources: dict[str, Path]) -> Path:
    _return_file(sources["demo"])
    path = folder / "commissioning.sqlite"
    shutil.copyfile(sources["demo"], path)
    return path


def _rows(path: Path) -> int:
    connection = _opened(path)
    try:
        return int(connection.execute("SELECT count(*) FROM return_row").fetchone()[0])
    finally:
        connection.close()


def _import(path: Path, report: Report) -> None:
    from app.services.returns_import import import_returns

    report(f"before-{_rows(path)}")
    database = open_database(path, user="importer")
    import_returns(database, _RETURN["file"])
    report("imported")


def _verify_import(path: Path, reported: list[str]) -> None:
    before = next((int(t.split("-")[1]) for t in reported if t.startswith("before-")), None)
    rows = _rows(path)
    if before is not None:
        # All of the return or none of it.
        assert rows in (before, before + IMPORT_ROWS), (before, rows)
        if "imported" in reported:
            assert rows == before + IMPORT_ROWS
    _check(path)


# -- a sync between a laptop and the team's server (both SQLite files here) -------------------

SYNC_RECORDS = 150
_TEAM: dict[str, Path] = {}


def _team(template: Path) -> dict[str, Path]:
    """A server and a laptop, made once: each side holds changes the other lacks."""
    if _TEAM:
        return _TEAM
    from app.services import sync

    folder = template.parent / "crash-team"
    folder.mkdir(exist_ok=True)
    server_path, laptop_path, other_path = (
        folder / "server.sqlite", folder / "laptop.sqlite", folder / "other.sqlite"
    )  # fmt: skip
    shutil.copyfile(template, server_path)
    server = open_database(server_path, user="server")
    laptop = open_database(laptop_path, user="alice")
    other = open_database(other_path, user="bob")
    for copy, vocabulary in ((laptop, "crash-a"), (other, "crash-b")):
        sync.join(copy, server)
        with copy.session() as session:
            for number in range(SYNC_RECORDS):
                session.add(Term(vocabulary=vocabulary, code=str(number), name=vocabulary))
    sync.sync_with_server(other, server)
    for copy in (server, laptop, other):
        copy.close()
    _TEAM.update(server=server_path, laptop=laptop_path)
    return _TEAM


def _prepare_sync(folder: Path, sources: dict[str, Path]) -> Path:
    team = _team(sources["seeded"])
    shutil.copyfile(team["server"], folder / "server.sqlite")
    path = folder / "commissioning.sqlite"
    shutil.copyfile(team["laptop"], path)
    return path


def _sync(path: Path, report: Report) -> None:
    from app.services import sync

    laptop = open_database(path, user="alice")
    server = open_database(path.parent / "server.sqlite", user="alice")
    sync.sync_with_server(laptop, server)
    report("synced")


def _terms(database: Database, vocabulary: str) -> int:
    with database.reader() as session:
        return int(
            session.scalar(
                sql_select(func.count()).select_from(Term).where(Term.vocabulary == vocabulary)
            )
            or 0
        )


def _verify_sync(path: Path, reported: list[str]) -> None:
    from app.services import sync

    laptop, server = _checked(path), _checked(path.parent / "server.sqlite")
    try:
        # Each side applied all of the other's changes or none: never a half.
        assert _terms(laptop, "crash-b") in (0, SYNC_RECORDS)
        assert _terms(server, "crash-a") in (0, SYNC_RECORDS)
        if "synced" in reported:
            assert _terms(laptop, "crash-b") == _terms(server, "crash-a") == SYNC_RECORDS
        sync.sync_with_server(laptop, server)  # and running it again converges
        for side in (laptop, server):
            assert _terms(side, "crash-a") == _terms(side, "crash-b") == SYNC_RECORDS
        with laptop.reader() as session:
            assert sync.sync_status(session).open_conflicts == 0
    finally:
        laptop.close()
        server.close()
    _check(path)
    _check(path.parent / "server.sqlite")


def _runs(count: int) -> int:
    return max(1, round(count * SCALE))


# 200 kills in all by default; the longest moments cover each operation's own duration.
CASES = [
    CrashCase("save", _prepare_copy("seeded"), _save, _verify_save, _runs(110), 0.25),
    CrashCase("backup", _prepare_copy("seeded"), _backups, _verify_backups, _runs(60), 0.3),
    CrashCase(
        "migration",
        _prepare_copy("schema_0001"),
        _long_migration,
        _verify_migration,
        _runs(20),
        1.5,
    ),
    CrashCase("demo build", _prepare_new, _demo, _verify_demo, _runs(10), 3.0),
    CrashCase("sync", _prepare_sync, _sync, _verify_sync, _runs(25), 1.5),
    CrashCase("import", _prepare_import, _import, _verify_import, _runs(20), 4.0),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_kill_at_any_moment_loses_nothing_committed(
    case: CrashCase, template_database: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{case.name}")
    sources = {"seeded": template_database, "schema_0001": FIXTURES / "schema_0001.sqlite"}
    if case.name == "import":
        sources["demo"] = request.getfixturevalue("demo_template")
    for run in range(case.runs):
        folder = tmp_path / f"run-{run}"
        folder.mkdir()
        path = case.prepare(folder, sources)
        reported = _kill_during(case, path, rng)
        try:
            case.verify(path, reported)
        except AssertionError as error:
            raise AssertionError(
                f"{case.name}, run {run} (COMMISSIONING_CRASH_SEED={SEED}), after {reported[-3:]}:"
                f" {error}"
            ) from error
        shutil.rmtree(folder)
