"""``/v1/responses``: the OpenAI Responses API, served natively or in front of chat-only upstreams."""
