"""The Anthropic family for Claude clients (Claude Code included): ``/v1/messages`` (native on ``anthropic``
channels, converted elsewhere), ``/v1/messages/count_tokens`` and ``/v1/models`` in Anthropic's shape."""
