"""Shared fixtures: every test gets its own folders and its own copy of a migrated database."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.store.database import Database, open_database

AS_OF = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, data and logs of each test live in its own temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("COMMISSIONING_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("COMMISSIONING_DB", raising=False)
    monkeypatch.delenv("COMMISSIONING_USER", raising=False)
    return home


def _template(tmp_path_factory: pytest.TempPathFactory, name: str, demo: bool) -> Path:
    path = tmp_path_factory.mktemp("templates") / f"{name}.sqlite"
    database = open_database(path, user="template")
    if demo:
        from app.services.demo import build_demo

        build_demo(database, as_of=AS_OF)
    database.close()
    return path


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once per run; tests copy it rather than migrating again."""
    return _template(tmp_path_factory, "seeded", demo=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "demo", demo=True)


def _copy_and_open(template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "commissioning.sqlite"
    shutil.copyfile(template, path)
    database = open_database(path, user="tester")
    yield database
    database.close()


@pytest.fixture
def database(template_database: Path, tmp_path: Path) -> Iterator[Database]:
    """A seeded database of the test's own."""
    yield from _copy_and_open(template_database, tmp_path)


@pytest.fixture
def demo_database(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A demo database of the test's own."""
    yield from _copy_and_open(demo_template, tmp_path)
