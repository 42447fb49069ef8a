"""The OpenAI-compatible family: ``/v1/models``, ``/v1/chat/completions`` (more to come)."""
