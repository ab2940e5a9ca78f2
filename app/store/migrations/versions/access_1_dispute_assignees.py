"""The commissioners assigned to each dispute (who may read a confidential one in full)

Revision ID: access_1
Revises: logs_3
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "access_1"
down_revision: str | None = "logs_3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispute_assignee",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_assignee_dispute_id_dispute")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_assignee")),
    )
    with op.batch_alter_table("dispute_assignee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_assignee_dispute_id"), ["dispute_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dispute_assignee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_assignee_dispute_id"))

    op.drop_table("dispute_assignee")
