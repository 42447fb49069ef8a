"""The ``anthropic`` channel type and the conversions behind ``POST /v1/messages``."""

from omnirelay.providers.anthropic.adapter import AnthropicProvider

__all__ = ["AnthropicProvider"]
