"""client agent modes (plan/execute) and monthly model budgets

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        # Existing clients start in Plan mode too: nothing is written until an admin switches a client.
        batch.add_column(sa.Column("agent_mode", sa.String(length=16), nullable=False, server_default="plan"))
        batch.add_column(sa.Column("monthly_budget_usd", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("monthly_budget_usd")
        batch.drop_column("agent_mode")
