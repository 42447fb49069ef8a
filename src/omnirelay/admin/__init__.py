"""Operator services: the one place that changes accounts, keys, channels and prices.

Both the admin HTTP API (``api/admin``) and the CLI call these functions; each change
bumps the configuration revision in the same transaction, so every process reloads.
"""
