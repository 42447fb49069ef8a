"""The store: table definitions, engine construction and migrations (SQLite or PostgreSQL)."""
