"""The audit trail (hash-chained entries per record change) and the access log

Revision ID: audit_1
Revises: meetings_1
Create Date: 2026-11-24 14:04:36.167517
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_1"
down_revision: str | None = "contracts_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_entry")),
    )
    with op.batch_alter_table("access_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_entry_record_id"), ["record_id"], unique=False)

    op.create_table(
        "audit_entry",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("database_id", sa.String(length=36), nullable=False),
        sa.Column("origin_sequence", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=120), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_record", ["record_id", "sequence"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_record")

    op.drop_table("audit_entry")
    with op.batch_alter_table("access_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_entry_record_id"))

    op.drop_table("access_entry")
