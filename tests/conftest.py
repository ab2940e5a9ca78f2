"""Shared fixtures: every test gets its own folders and its own copy of a migrated database.

The `database` and `demo_database` fixtures run each test on SQLite and, when
COMMISSIONING_TEST_PG_URL names a PostgreSQL server, on PostgreSQL too. A template database
is built once per run on each (migrated and seeded, and a demo one); each test gets its own
copy (a file copy; `CREATE DATABASE ... TEMPLATE` on the server). Tests about SQLite itself
(WAL, the backup API, file locks, encryption, the bytes of a file) are marked `sqlite_only`.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt

import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from app.store.database import Database, open_database, resolve_url

AS_OF = date(2026, 11, 24)

PG_URL_VARIABLE = "COMMISSIONING_TEST_PG_URL"
PG_SKIP_REASON = (
    f"To run them, set {PG_URL_VARIABLE} (for example "
    "postgresql://root@127.0.0.1/test, a server with trust authentication)"
)
PG_PREFIX = "cmt"  # every database the tests make on the server: cmt_<pid>_<random>


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-postgresql",
        action="store_true",
        help=f"fail if the PostgreSQL tests cannot run ({PG_URL_VARIABLE} unset): for CI",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--require-postgresql") and not os.environ.get(PG_URL_VARIABLE):
        raise pytest.UsageError(f"--require-postgresql: {PG_URL_VARIABLE} is not set")


# How many tests were skipped for want of a server (reported, and fatal with the option).
_SKIPPED_ON_POSTGRESQL = [0]


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(PG_URL_VARIABLE)
    return f"PostgreSQL tests: on {url}" if url else f"PostgreSQL tests: off. {PG_SKIP_REASON}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Database tests run once per backend; `sqlite_only` ones on SQLite alone."""
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("sqlite_only") is None:
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, indirect=True)


def _needs_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "postgresql":
        return True
    return "postgres_server" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, the PostgreSQL runs are left out (and counted in the summary)."""
    if os.environ.get(PG_URL_VARIABLE):
        return
    left_out = [item for item in items if _needs_postgresql(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _needs_postgresql(item)]
        _SKIPPED_ON_POSTGRESQL[0] += len(left_out)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and PG_SKIP_REASON in str(report.longrepr):
        _SKIPPED_ON_POSTGRESQL[0] += 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    skipped = _SKIPPED_ON_POSTGRESQL[0]
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {skipped} PostgreSQL test(s) not run. {PG_SKIP_REASON}.", yellow=True
        )


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, data and logs of each test live in its own temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("COMMISSIONING_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("COMMISSIONING_DB", raising=False)
    monkeypatch.delenv("COMMISSIONING_USER", raising=False)
    return home


# SQLite ------------------------------------------------------------------------------------


def _build(target: str | Path, demo: bool) -> None:
    database = open_database(target, user="template")
    if demo:
        from app.services.demo import build_demo

        build_demo(database, as_of=AS_OF)
    database.close()


def _template(tmp_path_factory: pytest.TempPathFactory, name: str, demo: bool) -> Path:
    path = tmp_path_factory.mktemp("templates") / f"{name}.sqlite"
    _build(path, demo)
    return path


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once per run; tests copy it rather than migrating again."""
    return _template(tmp_path_factory, "seeded", demo=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "demo", demo=True)


@pytest.fixture
def demo_file(demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the demo database, closed, for the command line to open."""
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(demo_template, path)
    return path


def _copy_and_open(template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "commissioning.sqlite"
    shutil.copyfile(template, path)
    database = open_database(path, user="tester")
    yield database
    database.close()


# PostgreSQL --------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """The test server: makes and drops databases named cmt_<pid>_<random>."""

    url: URL
    admin: Engine

    def new_name(self, kind: str) -> str:
        return f"{PG_PREFIX}_{os.getpid()}_{kind}_{secrets.token_hex(6)}"

    def url_of(self, name: str) -> URL:
        # Durability does not matter for a test's database: commit without waiting for disk.
        return self.url.set(database=name).update_query_dict(
            {"options": "-c synchronous_commit=off"}
        )

    def create(self, name: str, template: str | None = None) -> URL:
        with self.admin.connect() as connection:
            clause = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return self.url_of(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_stale(self) -> None:
        """Databases left by test runs whose process is gone (killed, crashed)."""
        with self.admin.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                {"pattern": f"{PG_PREFIX}\\_%"},
            ).scalars()
            for name in list(names):
                pid = name.split("_")[1]
                if pid.isdigit() and not _process_exists(int(pid)):
                    self.drop(name)


def _process_exists(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would end it: assume it is running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    address = os.environ.get(PG_URL_VARIABLE)
    if not address:
        pytest.skip(PG_SKIP_REASON)
    url = resolve_url(address)
    server = PostgresServer(url, create_engine(url, isolation_level="AUTOCOMMIT"))
    server.drop_stale()
    yield server
    server.admin.dispose()


def _pg_template(server: PostgresServer, demo: bool) -> Iterator[str]:
    name = server.new_name("demo" if demo else "seeded")
    server.create(name)
    try:
        _build(server.url_of(name).render_as_string(hide_password=False), demo)
        yield name
    finally:
        server.drop(name)


@pytest.fixture(scope="session")
def pg_template_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The server's seeded template, built once per run."""
    yield from _pg_template(postgres_server, demo=False)


@pytest.fixture(scope="session")
def pg_demo_template(postgres_server: PostgresServer) -> Iterator[str]:
    yield from _pg_template(postgres_server, demo=True)


def _clone_and_open(server: PostgresServer, template: str) -> Iterator[Database]:
    name = server.new_name("test")
    url = server.create(name, template=template)
    database = open_database(url.render_as_string(hide_password=False), user="tester")
    try:
        yield database
    finally:
        database.close()
        server.drop(name)


# The fixtures tests use --------------------------------------------------------------------


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgresql": which store this run of the test uses."""
    return str(getattr(request, "param", "sqlite"))


def _database_for(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, demo: bool
) -> Iterator[Database]:
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("pg_demo_template" if demo else "pg_template_database")
        yield from _clone_and_open(server, template)
    else:
        template_path = request.getfixturevalue("demo_template" if demo else "template_database")
        yield from _copy_and_open(template_path, tmp_path)


@pytest.fixture
def database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Database]:
    """A seeded database of the test's own (on each backend)."""
    yield from _database_for(request, backend, tmp_path, demo=False)


@pytest.fixture
def demo_database(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[Database]:
    """A demo database of the test's own (on each backend)."""
    yield from _database_for(request, backend, tmp_path, demo=True)


@pytest.fixture
def database_address(database: Database) -> str:
    """What `--db` takes for the test's database: a file path or a server URL."""
    return str(database.path) if database.path else database.url.render_as_string(False)


@pytest.fixture
def server_database(
    postgres_server: PostgresServer, pg_template_database: str
) -> Iterator[Database]:
    """A seeded database of the test's own on the PostgreSQL server (tests of server mode)."""
    yield from _clone_and_open(postgres_server, pg_template_database)


_SHOWN: list[tuple[str, str]] = []


@pytest.fixture(scope="session", autouse=True)
def _message_boxes_answer_at_once() -> Iterator[None]:
    """For the whole run, teardowns included: pytest-qt processes events after a test's own
    fixtures are gone, and a late background report must not wait there for a click."""
    from PySide6.QtWidgets import QMessageBox

    def box(kind: str, answer: QMessageBox.StandardButton):  # type: ignore[no-untyped-def]
        def show(*arguments: object, **_: object) -> QMessageBox.StandardButton:
            _SHOWN.append((kind, str(arguments[2]) if len(arguments) > 2 else ""))
            return answer

        return show

    ok = QMessageBox.StandardButton.Ok
    with pytest.MonkeyPatch.context() as patch:
        for kind in ("critical", "warning", "information"):
            patch.setattr(QMessageBox, kind, box(kind, ok))
        patch.setattr(QMessageBox, "question", box("question", QMessageBox.StandardButton.No))
        yield


@pytest.fixture(autouse=True)
def message_boxes_never_block() -> list[tuple[str, str]]:
    """The message boxes shown during this test, as (kind, text); they answer at once
    (tests that care replace them again with monkeypatch)."""
    _SHOWN.clear()
    return _SHOWN


@pytest.fixture
def laptops(database: Database, tmp_path: Path) -> Iterator[Callable[[str], Database]]:
    """New laptops, each a copy of the team's database (`database`: the server) by joining;
    `laptops(name)` makes one, closed after the test."""
    from app.services import sync

    made: list[Database] = []

    def laptop(name: str) -> Database:
        copy = open_database(tmp_path / f"{name}.sqlite", user=name)
        sync.join(copy, database)
        made.append(copy)
        return copy

    yield laptop
    for copy in made:
        copy.close()
