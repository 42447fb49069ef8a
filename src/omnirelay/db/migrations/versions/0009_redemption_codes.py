"""redemption codes (top-up by code); the tasks of an account by submit time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redemption_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hint", sa.String(length=20), nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("disabled_at", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_by", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_redemption_codes_code_hash")),
    )
    op.create_index(op.f("ix_redemption_codes_batch"), "redemption_codes", ["batch"])
    op.create_index(op.f("ix_redemption_codes_redeemed_by"), "redemption_codes", ["redeemed_by"])
    op.create_index("ix_tasks_account_id_submit_time", "tasks", ["account_id", "submit_time"])


def downgrade() -> None:
    op.drop_index("ix_tasks_account_id_submit_time", table_name="tasks")
    op.drop_index(op.f("ix_redemption_codes_redeemed_by"), table_name="redemption_codes")
    op.drop_index(op.f("ix_redemption_codes_batch"), table_name="redemption_codes")
    op.drop_table("redemption_codes")
