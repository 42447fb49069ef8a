"""Kling's official API as an upstream (``kling`` channels, secret ``ACCESS_KEY|SECRET_KEY``)."""
