"""retrieval backfills: resumable imports of closed tickets into the similar-ticket index

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.database

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retrieval_backfills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("since", core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("workflow_id", sa.String(length=100), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("indexed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_retrieval_backfills_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrieval_backfills")),
    )
    op.create_index(
        op.f("ix_retrieval_backfills_integration_id"), "retrieval_backfills", ["integration_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_retrieval_backfills_integration_id"), table_name="retrieval_backfills")
    op.drop_table("retrieval_backfills")
