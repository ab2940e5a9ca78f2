"""Build the benchmark data at a scale: a large database and matching return files.

    python -m bench.data tiny|small|full

The database holds the demo's organisations, contracts and meetings, plus monthly returns
for the scale's years at its rows a year, spread over its providers, commissioners, service
lines and points of delivery; the files are a month's return to import, as CSV and xlsx.
Data already built for a scale is kept (delete `bench/data/<scale>` to build it again).
"""

from __future__ import annotations

import random
import sqlite3
import sys
import uuid
from datetime import date
from pathlib import Path

from bench.registry import SCALES, Scale

AS_OF = date(2026, 11, 24)
FORMAT = "6"  # bump when what is generated changes
HERE = Path(__file__).resolve().parent


def data_folder(scale: str) -> Path:
    return HERE / "data" / scale


def large_database(scale: str) -> Path:
    return data_folder(scale) / "large.sqlite"


def demo_database(scale: str) -> Path:
    return data_folder(scale) / "demo.sqlite"


def return_file(scale: str, suffix: str) -> Path:
    return data_folder(scale) / f"return{suffix}"


def build(scale: Scale) -> None:
    folder = data_folder(scale.name)
    marker = folder / "built"
    if not (marker.exists() and marker.read_text() == FORMAT):
        _build_large(scale)
        marker.write_text(FORMAT)
    from bench.log_search import build as build_search  # its own marker: built once too
    from bench.sync_team import build as build_sync  # and this one

    build_search(scale)
    build_sync(scale.name)


def _build_large(scale: Scale) -> None:
    folder = data_folder(scale.name)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from app.services.demo import build_demo
    from app.store.database import open_database

    demo = open_database(demo_database(scale.name), user="bench")
    build_demo(demo, AS_OF)
    demo.close()
    large = open_database(large_database(scale.name), user="bench")
    build_demo(large, AS_OF)
    large.close()
    _add_returns(large_database(scale.name), scale)
    _summarise(large_database(scale.name))
    _write_return_files(large_database(scale.name), scale)
    after_build(large_database(scale.name), scale)


def after_build(path: Path, scale: Scale) -> None:
    """Areas add their own large data here (summaries, records for search...)."""


def _codes(connection: sqlite3.Connection) -> tuple[list[str], list[str], list[str], list[str]]:
    providers = [
        r[0]
        for r in connection.execute(
            "SELECT o.id FROM organisation o JOIN term t ON t.id = o.type_id "
            "WHERE t.category = 'provider' ORDER BY o.code"
        )
    ]
    commissioners = [
        r[0]
        for r in connection.execute(
            "SELECT o.id FROM organisation o JOIN term t ON t.id = o.type_id "
            "WHERE t.code = 'PCT' AND o.successor_id IS NULL ORDER BY o.code"
        )
    ]
    lines = [r[0] for r in connection.execute("SELECT id FROM service_line ORDER BY id")]
    points = [
        r[0]
        for r in connection.execute(
            "SELECT code FROM term WHERE vocabulary = 'point_of_delivery' ORDER BY position"
        )
    ]
    return providers, commissioners, lines, points


def _add_returns(path: Path, scale: Scale) -> None:
    """Monthly returns at the scale, written straight through SQLite for speed: the last
    `scale.years` financial years, the current one (that the monitoring view opens on)
    included. Each replaces the demo's return for its provider and month, as a later return
    does."""
    chance = random.Random(10)
    connection = sqlite3.connect(path)
    providers, commissioners, lines, points = _codes(connection)
    providers = providers[: scale.providers]
    commissioners = commissioners[: scale.commissioners]
    current = AS_OF.year if AS_OF.month >= 4 else AS_OF.year - 1
    first_year = current - scale.years + 1
    last_return = date(AS_OF.year, AS_OF.month, 1)
    per_submission = max(1, scale.rows_per_year // (12 * len(providers)))
    now = "2026-11-24 00:00:00.000000"
    for year in range(first_year, first_year + scale.years):
        submissions, rows = [], []
        for provider in providers:
            for month in range(1, 13):
                if date(year + (month < 4), month, 1) >= last_return:
                    continue  # the current year's returns run to last month's
                submission = uuid.uuid4().hex
                submissions.append(
                    (
                        submission,
                        provider,
                        year,
                        month,
                        f"bench-{year}-{month}.csv",
                        "",
                        f"{year}-05-01",
                        per_submission,
                        None,
                        now,
                        now,
                        "bench",
                        "bench",
                        1,
                        None,
                    )
                )
                for _ in range(per_submission):
                    planned = chance.randint(5, 60)
                    actual = max(0, planned + chance.randint(-8, 10))
                    price = chance.randint(500, 60000) * 100
                    rows.append(
                        (
                            submission,
                            chance.choice(commissioners),
                            chance.choice(lines),
                            chance.choice(points),
                            planned * 100,
                            actual * 100,
                            price,
                            actual * price,
                        )
                    )
        with connection:
            connection.executemany(
                "INSERT INTO return_submission (id, provider_id, financial_year, month, "
                "file_name, file_hash, received_on, row_count, replaced_by_id, created_at, "
                "updated_at, created_by, updated_by, version, deleted_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                submissions,
            )
            connection.executemany(
                "INSERT INTO return_row (submission_id, commissioner_id, service_line_id, "
                "point_of_delivery, planned_activity, actual_activity, price, actual_cost) "
                "VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
    with connection:
        connection.execute(
            "UPDATE return_submission SET replaced_by_id = (SELECT bench.id FROM "
            "return_submission AS bench WHERE bench.file_name LIKE 'bench-%' AND "
            "bench.provider_id = return_submission.provider_id AND bench.financial_year = "
            "return_submission.financial_year AND bench.month = return_submission.month) "
            "WHERE file_name NOT LIKE 'bench-%' AND replaced_by_id IS NULL"
        )
    connection.close()


def _summarise(path: Path) -> None:
    """The monitoring summaries of every current return, as imports keep them."""
    from app.services.returns_import import rebuild_summaries
    from app.store.database import open_database

    database = open_database(path, user="bench")
    database.rolling_backups = False
    try:
        with database.session() as session:
            rebuild_summaries(session)
    finally:
        database.close()


HEADERS = [
    "Financial year",
    "Month",
    "Provider code",
    "Commissioner code",
    "Service line",
    "Point of delivery",
    "Planned activity",
    "Actual activity",
    "Price",
    "Actual cost",
]


def _write_return_files(path: Path, scale: Scale) -> None:
    """`import_rows` distinct valid rows over the database's years, months, providers,
    commissioners, lines and points of delivery, as CSV and as xlsx."""
    from bench.returns_import import generate_return, write_xlsx

    frame = generate_return(path, scale.import_rows, return_file(scale.name, ".csv"))
    write_xlsx(frame, return_file(scale.name, ".xlsx"))


def main() -> int:
    build(SCALES[sys.argv[1] if len(sys.argv) > 1 else "tiny"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
