"""channels: last_resort and offered_models

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_resort", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("offered_models", sa.JSON(), nullable=True))
    # the built-in local channel stops being a failover target for models routed elsewhere
    op.execute(sa.text("UPDATE channels SET last_resort = :yes WHERE type = 'local'").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("offered_models")
        batch_op.drop_column("last_resort")
