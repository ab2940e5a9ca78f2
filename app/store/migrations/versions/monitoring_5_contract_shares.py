"""A contract's own split of its plan between the member PCTs (else capitation shares)

Revision ID: monitoring_5
Revises: monitoring_4
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "monitoring_5"
down_revision: str | None = "monitoring_4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract_share",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("commissioner_id", sa.Uuid(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_share_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["commissioner_id"],
            ["organisation.id"],
            name=op.f("fk_contract_share_commissioner_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_share")),
        sa.UniqueConstraint(
            "contract_id",
            "commissioner_id",
            name=op.f("uq_contract_share_contract_id_commissioner_id"),
        ),
    )
    with op.batch_alter_table("contract_share", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_share_contract_id"), ["contract_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contract_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_share_contract_id"))

    op.drop_table("contract_share")
