"""The ``task_vendor`` channel type: an upstream described by a task vendor's configuration.

Its base URL is the vendor API's root, kept as given (the vendor's paths are appended to it); its
``vendor`` option names the configuration (``task_vendors`` in the settings file, or the admin API).
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.task_vendor.adapter import TaskVendorProvider
from omnirelay.settings import Settings

__all__ = ["TASK_VENDOR"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return TaskVendorProvider(session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _vendor_task(model: str) -> str:
    """No free call exists to test a vendor channel with (every submit is work upstream)."""
    return "unavailable"


TASK_VENDOR = ChannelKind(
    name="task_vendor",
    build=_build,
    base_url=BaseURLRule(expects="the vendor API's root, e.g. https://api.vendor.example", path=lambda p: p),
    purpose=_vendor_task,
    test_preference=(),
)
