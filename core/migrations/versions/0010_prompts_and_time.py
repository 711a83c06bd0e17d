"""prompt layers (MSP and per client), client time-entry settings, workflows' log_time flag

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.database import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_layers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.UniqueConstraint("scope", name=op.f("uq_prompt_layers_scope")),
    )
    op.create_index("ix_prompt_layers_client_id", "prompt_layers", ["client_id"])
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("time_work_type", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("time_billable", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("time_member", sa.String(length=100), nullable=True))
    for table in ("workflows", "workflow_versions"):
        with op.batch_alter_table(table) as batch:
            # Existing workflows keep logging no time until someone turns it on.
            batch.add_column(sa.Column("log_time", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("workflow_versions", "workflows"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("log_time")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("time_member")
        batch.drop_column("time_billable")
        batch.drop_column("time_work_type")
    op.drop_index("ix_prompt_layers_client_id", table_name="prompt_layers")
    op.drop_table("prompt_layers")
