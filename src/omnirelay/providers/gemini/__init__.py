"""The ``gemini`` channel type: OpenAI-shaped calls converted to Google's Gemini API, and
Gemini-native calls relayed to it untouched."""

from omnirelay.providers.gemini.adapter import GeminiProvider

__all__ = ["GeminiProvider"]
