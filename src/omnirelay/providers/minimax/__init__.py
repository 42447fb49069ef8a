"""MiniMax (Hailuo) video generation as an upstream (``minimax`` channels, secret = the API key)."""
