"""The covering index that monitoring by commissioner reads (migration monitoring_3)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

from app.models import FinancialYear
from app.services import monitoring
from app.store.database import Database, alembic_config, open_database

FIXTURES = Path(__file__).parent / "fixtures" / "databases"
INDEX = "ix_activity_summary_commissioner"
PREVIOUS = "access_1"


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        names = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'activity_summary'"
            )
        }
    connection.close()
    return names


def _upgraded_copy(tmp_path: Path) -> Path:
    """The previous release's fixture, upgraded by opening it as the application does."""
    path = tmp_path / "previous.sqlite"
    shutil.copyfile(FIXTURES / f"schema_{PREVIOUS}.sqlite", path)
    assert INDEX not in _indexes(path)
    open_database(path, user="test").close()
    return path


def _summary_queries(database: Database, dimension: str, **filters: Any) -> list[tuple]:
    """The statements on activity_summary that working out a position sends, with parameters."""
    sent: list[tuple] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM activity_summary" in statement:
            sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        year = FinancialYear(2026)
        monitoring.position(database, monitoring.MonitoringFilter(year, **filters), dimension)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return sent


def _plans(path: Path, queries: list[tuple]) -> list[str]:
    with sqlite3.connect(path) as connection:
        plans = [
            " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in queries
        ]
    connection.close()
    return plans


def test_the_upgrade_from_the_previous_release_creates_the_index(tmp_path: Path) -> None:
    assert INDEX in _indexes(_upgraded_copy(tmp_path))


def test_sums_by_commissioner_read_the_index_alone(tmp_path: Path) -> None:
    path = _upgraded_copy(tmp_path)
    database = open_database(path, user="test")
    try:
        with sqlite3.connect(path) as connection:
            commissioner, contract = connection.execute(
                "SELECT o.code, c.reference FROM activity_summary s "
                "JOIN organisation o ON o.id = s.commissioner_id "
                "JOIN contract c ON c.provider_id = s.provider_id "
                "AND c.financial_year = s.financial_year LIMIT 1"
            ).fetchone()
        connection.close()
        queries = [
            *_summary_queries(database, monitoring.Dimension.COMMISSIONER),
            *_summary_queries(database, monitoring.Dimension.COMMISSIONER, contract=contract),
            *_summary_queries(database, monitoring.Dimension.CONTRACT, commissioner=commissioner),
        ]
    finally:
        database.close()
    assert len(queries) == 6  # the year and the year before, for each of the three
    plans = _plans(path, queries)
    for plan in plans:
        assert f"USING COVERING INDEX {INDEX}" in plan, plan
    for plan in plans[:4]:  # grouped by commissioner: in the index's order, no sort
        assert "TEMP B-TREE" not in plan, plan


def test_the_downgrade_drops_the_index(tmp_path: Path) -> None:
    from alembic import command

    path = _upgraded_copy(tmp_path)
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, PREVIOUS)
    engine.dispose()
    assert INDEX not in _indexes(path)
    assert "ix_activity_summary_provider_month" in _indexes(path)
