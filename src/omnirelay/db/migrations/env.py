"""Alembic environment: migrations run on a connection handed over by ``omnirelay.db.migrate``."""

from __future__ import annotations

from alembic import context

from omnirelay.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `omnirelay migrate`, which supplies the connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
