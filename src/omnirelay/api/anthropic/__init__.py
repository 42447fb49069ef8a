"""The Anthropic family: ``POST /v1/messages`` for Claude clients, served by any upstream."""
