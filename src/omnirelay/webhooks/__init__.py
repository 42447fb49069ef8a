"""Outgoing webhooks: Standard Webhooks signing and SSRF-safe destinations.

These are the primitives the task engine's delivery outbox builds on: every delivery is
signed (:mod:`.signing`) and goes only to a destination that passed :mod:`.destinations`.
"""
