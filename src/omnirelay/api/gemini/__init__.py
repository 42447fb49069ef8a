"""The Gemini family: Google's ``v1beta`` API (``generateContent`` and friends) for Gemini clients."""
