"""Any upstream that speaks the OpenAI chat completions API (OpenAI, vLLM, DeepSeek, OpenRouter, ...)."""

from omnirelay.providers.openai_compat.adapter import OpenAICompatProvider

__all__ = ["OpenAICompatProvider"]
