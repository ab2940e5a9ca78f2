"""The summary tables, each one B-tree keyed by what it sums (migration monitoring_4)."""

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
PREVIOUS = "monitoring_3"
TABLES = ("activity_summary", "line_summary")
TOTALS = (
    "SELECT count(*), sum(reported_plan), sum(actual_activity), sum(actual_cost), "
    "sum(row_count) FROM {table}"
)


def _read(path: Path, sql: str, *parameters: Any) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def _indexes(path: Path, table: str) -> set[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
    return {name for (name,) in _read(path, sql, table)}


def _definition(path: Path, table: str) -> str:
    return _read(path, "SELECT sql FROM sqlite_master WHERE name = ?", table)[0][0]


def _totals(path: Path) -> dict[str, list[tuple]]:
    return {table: _read(path, TOTALS.format(table=table)) for table in TABLES}


def _previous_release(tmp_path: Path) -> Path:
    path = tmp_path / "previous.sqlite"
    shutil.copyfile(FIXTURES / f"schema_{PREVIOUS}.sqlite", path)
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


def test_the_upgrade_keys_each_summary_by_what_it_sums_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = _previous_release(tmp_path)
    before = _totals(path)
    assert before["activity_summary"][0][0] > 0 and before["line_summary"][0][0] > 0
    assert "ix_activity_summary_commissioner" in _indexes(path, "activity_summary")
    open_database(path, user="test").close()
    assert _totals(path) == before
    for table in TABLES:
        definition = _definition(path, table)
        assert definition.rstrip().endswith("WITHOUT ROWID"), definition
        assert " id " not in definition, definition
        assert _indexes(path, table) == set(), table  # the key is the table itself
    assert "PRIMARY KEY (financial_year, commissioner_id, month, provider_id" in _definition(
        path, "activity_summary"
    )
    assert "PRIMARY KEY (financial_year, month, provider_id, service_line_id" in _definition(
        path, "line_summary"
    )


def test_sums_by_commissioner_are_read_in_the_order_of_the_key(tmp_path: Path) -> None:
    path = _previous_release(tmp_path)
    database = open_database(path, user="test")
    try:
        commissioner, contract = _read(
            path,
            "SELECT o.code, c.reference FROM activity_summary s "
            "JOIN organisation o ON o.id = s.commissioner_id "
            "JOIN contract c ON c.provider_id = s.provider_id "
            "AND c.financial_year = s.financial_year LIMIT 1",
        )[0]
        queries = [
            *_summary_queries(database, monitoring.Dimension.COMMISSIONER),
            *_summary_queries(database, monitoring.Dimension.COMMISSIONER, contract=contract),
            *_summary_queries(database, monitoring.Dimension.CONTRACT, commissioner=commissioner),
        ]
    finally:
        database.close()
    assert len(queries) == 6  # the year and the year before, for each of the three
    plans = [
        " ".join(row[3] for row in _read(path, f"EXPLAIN QUERY PLAN {sql}", *params))
        for sql, params in queries
    ]
    for plan in plans:
        assert "USING PRIMARY KEY (financial_year=?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # grouped in the key's order: no sort
    for plan in plans[4:]:  # one commissioner: only that commissioner's rows are read
        assert "commissioner_id=?" in plan, plan


def test_the_downgrade_gives_back_the_numbered_tables_and_their_indexes(tmp_path: Path) -> None:
    from alembic import command

    path = _previous_release(tmp_path)
    before = _totals(path)
    open_database(path, user="test").close()
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, PREVIOUS)
    engine.dispose()
    assert _totals(path) == before
    assert _indexes(path, "activity_summary") >= {
        "ix_activity_summary_commissioner",
        "ix_activity_summary_provider_month",
    }
    assert "WITHOUT ROWID" not in _definition(path, "line_summary")
    assert "uq_line_summary_key" in _definition(path, "line_summary")
