"""Which SCG each organisation is in, and which SCGs neighbour each other (panel checks)

Revision ID: logs_3
Revises: contracts_2
Create Date: 2026-11-24 18:16:42.162931
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "logs_3"
down_revision: str | None = "contracts_2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scg_area",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("scg_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_scg_area_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["scg_id"], ["organisation.id"], name=op.f("fk_scg_area_scg_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scg_area")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_scg_area_organisation_id")),
    )
    with op.batch_alter_table("scg_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scg_area_scg_id"), ["scg_id"], unique=False)

    op.create_table(
        "scg_neighbour",
        sa.Column("scg_id", sa.Uuid(), nullable=False),
        sa.Column("neighbour_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["neighbour_id"],
            ["organisation.id"],
            name=op.f("fk_scg_neighbour_neighbour_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["scg_id"], ["organisation.id"], name=op.f("fk_scg_neighbour_scg_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scg_neighbour")),
        sa.UniqueConstraint(
            "scg_id", "neighbour_id", name=op.f("uq_scg_neighbour_scg_id_neighbour_id")
        ),
    )
    with op.batch_alter_table("scg_neighbour", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scg_neighbour_neighbour_id"), ["neighbour_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_scg_neighbour_scg_id"), ["scg_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scg_neighbour", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scg_neighbour_scg_id"))
        batch_op.drop_index(batch_op.f("ix_scg_neighbour_neighbour_id"))

    op.drop_table("scg_neighbour")
    with op.batch_alter_table("scg_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scg_area_scg_id"))

    op.drop_table("scg_area")
