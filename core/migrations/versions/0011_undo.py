"""undo requests: approvals of kind "undo" that reverse a finished tool call

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        # Every existing request was the model's own call.
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="agent"))
        batch.add_column(sa.Column("undo_of", sa.Integer(), nullable=True))
        batch.create_index("ix_approvals_undo_of", ["undo_of"])


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_index("ix_approvals_undo_of")
        batch.drop_column("undo_of")
        batch.drop_column("kind")
