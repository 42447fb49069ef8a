"""Volcengine Ark as an upstream (``ark`` channels, secret: the Ark API key, sent as a Bearer token)."""
