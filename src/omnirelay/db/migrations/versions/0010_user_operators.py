"""console users who are operators (the operator console, /console/admin); every account's tasks by time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operator", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_tasks_submit_time", "tasks", ["submit_time"])


def downgrade() -> None:
    op.drop_index("ix_tasks_submit_time", table_name="tasks")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("operator")
