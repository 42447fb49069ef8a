"""The Recraft family: Recraft's own OpenAI-like synchronous API (spec §4.3), billed per image through the gate."""
