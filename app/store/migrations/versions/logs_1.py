"""The case study and dispute logs: outcomes, documents, the escalation process as data,
facilitated meetings, arbitration panels, decisions, actions, confirmations that a number is
not an NHS number, and the full-text search index (made by hand: autogenerate cannot see it).

Revision ID: logs_1
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "logs_1"
down_revision: str | None = "nds_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE log_search USING fts5("
    "kind UNINDEXED, record_id UNINDEXED, title, body, parties, services, "
    "topic UNINDEXED, year UNINDEXED, status UNINDEXED, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
POSTGRESQL_SEARCH = (
    "CREATE TABLE log_search ("
    "kind VARCHAR(20) NOT NULL, record_id UUID NOT NULL, title TEXT NOT NULL, "
    "body TEXT NOT NULL, parties TEXT NOT NULL, services TEXT NOT NULL, "
    "topic TEXT NOT NULL, year INTEGER, status TEXT NOT NULL, "
    "document TSVECTOR GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', parties || ' ' || services), 'B') || "
    "setweight(to_tsvector('english', body), 'C')) STORED, "
    "PRIMARY KEY (kind, record_id))",
    "CREATE INDEX ix_log_search_document ON log_search USING GIN (document)",
)


def _create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_SEARCH)
    elif dialect == "postgresql":
        for statement in POSTGRESQL_SEARCH:
            op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "dispute_stage_rule",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("target_days", sa.Integer(), nullable=True),
        sa.Column("applies_above", sa.BigInteger(), nullable=True),
        sa.Column("entered_when", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_stage_rule")),
    )
    op.create_table(
        "log_document",
        sa.Column("owner_type", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_document")),
    )
    with op.batch_alter_table("log_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_document_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "not_an_nhs_number",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("digits", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=120), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_not_an_nhs_number")),
    )
    with op.batch_alter_table("not_an_nhs_number", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_not_an_nhs_number_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "case_study_outcome",
        sa.Column("case_study_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("figure", sa.String(length=60), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_study.id"],
            name=op.f("fk_case_study_outcome_case_study_id_case_study"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_study_outcome")),
    )
    with op.batch_alter_table("case_study_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_study_outcome_case_study_id"), ["case_study_id"], unique=False
        )

    op.create_table(
        "dispute_issue",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("upheld", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_issue_dispute_id_dispute")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_issue")),
    )
    with op.batch_alter_table("dispute_issue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_issue_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "facilitated_meeting_member",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.String(length=60), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["dispute.id"],
            name=op.f("fk_facilitated_meeting_member_dispute_id_dispute"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitated_meeting_member")),
    )
    with op.batch_alter_table("facilitated_meeting_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facilitated_meeting_member_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "panel_member",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("interests", sa.Text(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_panel_member_dispute_id_dispute")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_panel_member_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_member")),
    )
    with op.batch_alter_table("panel_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_panel_member_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "dispute_action",
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("issue_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_action_dispute_id_dispute")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["dispute_issue.id"],
            name=op.f("fk_dispute_action_issue_id_dispute_issue"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_action")),
    )
    with op.batch_alter_table("dispute_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_action_dispute_id"), ["dispute_id"], unique=False
        )

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("spans_scgs", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("hearing_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("binding_statement", sa.Text(), nullable=False, server_default="")
        )

    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))

    # Filled from the records by the search service the first time it is used.
    _create_search_index()


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS log_search")
    with op.batch_alter_table("dispute_party", schema=None) as batch_op:
        batch_op.drop_column("submitted_on")
        batch_op.drop_column("submission")

    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_column("binding_statement")
        batch_op.drop_column("hearing_on")
        batch_op.drop_column("spans_scgs")

    with op.batch_alter_table("dispute_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_action_dispute_id"))

    op.drop_table("dispute_action")
    with op.batch_alter_table("panel_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_member_dispute_id"))

    op.drop_table("panel_member")
    with op.batch_alter_table("facilitated_meeting_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilitated_meeting_member_dispute_id"))

    op.drop_table("facilitated_meeting_member")
    with op.batch_alter_table("dispute_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_issue_dispute_id"))

    op.drop_table("dispute_issue")
    with op.batch_alter_table("case_study_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_study_outcome_case_study_id"))

    op.drop_table("case_study_outcome")
    with op.batch_alter_table("not_an_nhs_number", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_not_an_nhs_number_record_id"))

    op.drop_table("not_an_nhs_number")
    with op.batch_alter_table("log_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_document_owner_id"))

    op.drop_table("log_document")
    op.drop_table("dispute_stage_rule")
