"""prices per token kind, usage detail on log rows, channel options, stored Responses objects

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extras", sa.JSON(), nullable=True))
    with op.batch_alter_table("request_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.JSON(), nullable=True))
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "stored_responses",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_response_id", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("input_items", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_responses")),
    )
    op.create_index(op.f("ix_stored_responses_account_id"), "stored_responses", ["account_id"])
    op.create_index(op.f("ix_stored_responses_expires_at"), "stored_responses", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_responses_expires_at"), table_name="stored_responses")
    op.drop_index(op.f("ix_stored_responses_account_id"), table_name="stored_responses")
    op.drop_table("stored_responses")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("options")
    with op.batch_alter_table("request_logs", schema=None) as batch_op:
        batch_op.drop_column("usage")
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_column("extras")
