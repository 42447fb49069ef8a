"""Channels of type ``midjourney``: Midjourney-Proxy servers (novicezk and trueai dialects)."""

from omnirelay.providers.midjourney_proxy.adapter import MidjourneyProxyProvider

__all__ = ["MidjourneyProxyProvider"]
