"""reservation owners (instances and their leases), closed-once reservations, idempotent top-ups

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows written before this revision have no instance: a store that already holds a reservation
# closed twice (the bug this revision ends) still migrates, and its history is left as it is.
_CLOSED_ONCE = "kind IN ('settle', 'refund', 'release') AND instance IS NOT NULL"
_OWNED_RESERVE = "kind = 'reserve' AND instance IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_ledger_entries_closing",
        "ledger_entries",
        ["request_id"],
        unique=True,
        sqlite_where=sa.text(_CLOSED_ONCE),
        postgresql_where=sa.text(_CLOSED_ONCE),
    )
    op.create_index(
        "ix_ledger_entries_reserve_instance",
        "ledger_entries",
        ["instance"],
        sqlite_where=sa.text(_OWNED_RESERVE),
        postgresql_where=sa.text(_OWNED_RESERVE),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_reserve_instance", table_name="ledger_entries")
    op.drop_index("uq_ledger_entries_closing", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("instance")
    op.drop_table("idempotency_keys")
    op.drop_table("instances")
