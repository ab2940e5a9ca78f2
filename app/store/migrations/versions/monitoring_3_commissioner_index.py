"""A covering index on activity_summary for monitoring by commissioner

Revision ID: monitoring_3
Revises: access_1
Create Date: 2026-12-03 03:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "monitoring_3"
down_revision: str | None = "access_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The monitoring view's sums by commissioner and month read these columns only: with the
# filters' columns in the index too, SQLite answers from the index in commissioner order,
# without reading the table or sorting for the group-by.
COLUMNS = [
    "financial_year",
    "commissioner_id",
    "month",
    "provider_id",
    "service_line_id",
    "point_of_delivery",
    "actual_activity",
    "actual_cost",
]


def upgrade() -> None:
    with op.batch_alter_table("activity_summary", schema=None) as batch_op:
        batch_op.create_index("ix_activity_summary_commissioner", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_summary_commissioner")
