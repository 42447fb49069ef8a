"""Accounts (who pays), their API keys (who calls) and the keys' scopes."""
