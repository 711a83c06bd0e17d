"""workflows keep their trigger's embedding for the matcher's shortlist

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(sa.Column("trigger_vector", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("trigger_embedder", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("trigger_embedder")
        batch.drop_column("trigger_vector")
