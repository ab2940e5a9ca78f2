"""Sync between copies: the conflicts it finds, and the audit trail found by origin

Revision ID: sync_1
Revises: audit_1
Create Date: 2026-11-24 18:36:11.729449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sync_1"
down_revision: str | None = "audit_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("mine", sa.Text(), nullable=False),
        sa.Column("theirs", sa.Text(), nullable=False),
        sa.Column("my_user", sa.String(length=120), nullable=False),
        sa.Column("my_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("their_user", sa.String(length=120), nullable=False),
        sa.Column("their_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=36), nullable=False),
        sa.Column("origin_sequence", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("resolved_value", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=120), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    with op.batch_alter_table("sync_conflict", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_conflict_open", ["status", "table_name", "record_id"], unique=False
        )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_entry_origin", ["database_id", "origin_sequence"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_origin")
    with op.batch_alter_table("sync_conflict", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_conflict_open")

    op.drop_table("sync_conflict")
