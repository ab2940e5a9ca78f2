"""Pooled budgets of the SCG: uplifts and agreed shares

Revision ID: contracts_2
Revises: sync_1
Create Date: 2026-11-24 18:35:54.400426
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contracts_2"
down_revision: str | None = "sync_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pooled_budget",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("services_budget", sa.BigInteger(), nullable=False),
        sa.Column("management_costs", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["organisation.id"], name=op.f("fk_pooled_budget_group_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooled_budget")),
        sa.UniqueConstraint(
            "group_id", "financial_year", name=op.f("uq_pooled_budget_group_id_financial_year")
        ),
    )
    with op.batch_alter_table("pooled_budget", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pooled_budget_group_id"), ["group_id"], unique=False)

    op.create_table(
        "pooled_budget_share",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["pooled_budget.id"],
            name=op.f("fk_pooled_budget_share_budget_id_pooled_budget"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["organisation.id"],
            name=op.f("fk_pooled_budget_share_member_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooled_budget_share")),
        sa.UniqueConstraint(
            "budget_id", "member_id", name=op.f("uq_pooled_budget_share_budget_id_member_id")
        ),
    )
    with op.batch_alter_table("pooled_budget_share", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pooled_budget_share_budget_id"), ["budget_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pooled_budget_share_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "pooled_budget_uplift",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["pooled_budget.id"],
            name=op.f("fk_pooled_budget_uplift_budget_id_pooled_budget"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooled_budget_uplift")),
    )
    with op.batch_alter_table("pooled_budget_uplift", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pooled_budget_uplift_budget_id"), ["budget_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pooled_budget_uplift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pooled_budget_uplift_budget_id"))

    op.drop_table("pooled_budget_uplift")
    with op.batch_alter_table("pooled_budget_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pooled_budget_share_member_id"))
        batch_op.drop_index(batch_op.f("ix_pooled_budget_share_budget_id"))

    op.drop_table("pooled_budget_share")
    with op.batch_alter_table("pooled_budget", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pooled_budget_group_id"))

    op.drop_table("pooled_budget")
