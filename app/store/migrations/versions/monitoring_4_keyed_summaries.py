"""The summary tables keyed by what they sum, each a single B-tree (SQLite: without rowid)

An import rewrites about a million summary rows. Before, each row went into a rowid table
and two indexes (activity_summary) or one (line_summary); now it goes into one B-tree
ordered by its key, which is also the order the monitoring view reads.

Revision ID: monitoring_4
Revises: monitoring_3
Create Date: 2026-12-03 09:40:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "monitoring_4"
down_revision: str | None = "monitoring_3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVITY_KEY = [
    "financial_year",
    "commissioner_id",
    "month",
    "provider_id",
    "service_line_id",
    "point_of_delivery",
]
LINE_KEY = ["financial_year", "month", "provider_id", "service_line_id", "point_of_delivery"]
SUMS = ["reported_plan", "actual_activity", "actual_cost", "row_count"]
# monitoring_3's covering index, given back by the downgrade.
COVERING = [*ACTIVITY_KEY, "actual_activity", "actual_cost"]


def _key_columns(key: list[str]) -> list[sa.Column]:
    """The key's columns, in the tables' column order."""
    types: dict[str, sa.types.TypeEngine[Any]] = {
        "financial_year": sa.Integer(),
        "month": sa.Integer(),
        "provider_id": sa.Uuid(),
        "commissioner_id": sa.Uuid(),
        "service_line_id": sa.Uuid(),
        "point_of_delivery": sa.String(length=60),
    }
    return [sa.Column(name, kind, nullable=False) for name, kind in types.items() if name in key]


def _sum_columns() -> list[sa.Column]:
    return [
        sa.Column("reported_plan", sa.BigInteger(), nullable=False),
        sa.Column("actual_activity", sa.BigInteger(), nullable=False),
        sa.Column("actual_cost", sa.BigInteger(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
    ]


def _set_aside(table: str, names: list[str]) -> None:
    """Rename `table` out of the way, with the constraints whose names the new one takes."""
    op.rename_table(table, f"{table}_old")
    if op.get_bind().dialect.name == "postgresql":
        for name in names:
            op.execute(f'ALTER TABLE {table}_old RENAME CONSTRAINT "{name}" TO "{name}_old"')


def _copy(table: str, key: list[str]) -> None:
    """The old table's rows, summed by the key (the old tables did not enforce it)."""
    columns = ", ".join(key)
    sums = ", ".join(f"SUM({name})" for name in SUMS)
    op.execute(
        f"INSERT INTO {table} ({columns}, {', '.join(SUMS)}) "
        f"SELECT {columns}, {sums} FROM {table}_old GROUP BY {columns}"
    )
    op.drop_table(f"{table}_old")


def upgrade() -> None:
    op.drop_index("ix_activity_summary_commissioner", table_name="activity_summary")
    op.drop_index("ix_activity_summary_provider_month", table_name="activity_summary")
    _set_aside("activity_summary", ["pk_activity_summary"])
    _set_aside("line_summary", ["pk_line_summary", "uq_line_summary_key"])
    op.create_table(
        "activity_summary",
        *_key_columns(ACTIVITY_KEY),
        *_sum_columns(),
        sa.PrimaryKeyConstraint(*ACTIVITY_KEY, name=op.f("pk_activity_summary")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "line_summary",
        *_key_columns(LINE_KEY),
        *_sum_columns(),
        sa.PrimaryKeyConstraint(*LINE_KEY, name=op.f("pk_line_summary")),
        sqlite_with_rowid=False,
    )
    _copy("activity_summary", ACTIVITY_KEY)
    _copy("line_summary", LINE_KEY)


def _numbered(table: str, key: list[str], unique: str | None) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_key_columns(key),
        *_sum_columns(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        *([sa.UniqueConstraint(*LINE_KEY, name=unique)] if unique else []),
    )
    columns = ", ".join([*key, *SUMS])
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
    op.drop_table(f"{table}_old")


def downgrade() -> None:
    _set_aside("activity_summary", ["pk_activity_summary"])
    _set_aside("line_summary", ["pk_line_summary"])
    _numbered("activity_summary", ACTIVITY_KEY, None)
    _numbered("line_summary", LINE_KEY, "uq_line_summary_key")
    op.create_index(
        "ix_activity_summary_provider_month",
        "activity_summary",
        ["financial_year", "month", "provider_id"],
        unique=False,
    )
    op.create_index("ix_activity_summary_commissioner", "activity_summary", COVERING, unique=False)
