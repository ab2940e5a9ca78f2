"""Every released schema, kept as a small database with data, upgrades with its data intact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from app.services.maintenance import check_database
from app.store.database import head_revision, open_database

FIXTURES = Path(__file__).parent / "fixtures" / "databases"
RELEASED = sorted(FIXTURES.glob("schema_*.sqlite"))


def test_there_is_a_fixture_for_the_current_schema() -> None:
    assert (FIXTURES / f"schema_{head_revision()}.sqlite").exists(), (
        "Releasing a schema? Add its fixture: python tests/fixtures/make_fixture_database.py"
    )


@pytest.mark.parametrize("fixture", RELEASED, ids=lambda p: p.stem)
def test_a_released_schema_upgrades_with_its_data_intact(fixture: Path, tmp_path: Path) -> None:
    expected = json.loads(fixture.with_suffix(".json").read_text())
    path = tmp_path / fixture.name
    shutil.copyfile(fixture, path)
    database = open_database(path)
    try:
        assert check_database(database).ok
        with database.engine.connect() as connection:
            for table, count in expected["row_counts"].items():
                actual = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
                assert actual == count, table
            for table, rows in expected["samples"].items():
                for key, values in rows.items():
                    columns = ", ".join(f'"{c}"' for c in values)
                    found = connection.execute(
                        text(f'SELECT {columns} FROM "{table}" WHERE id = :id'), {"id": key}
                    ).one()
                    assert [str(v) for v in found] == [str(v) for v in values.values()]
    finally:
        database.close()
