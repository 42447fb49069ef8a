"""The seam between the task-vendor family and the ``task_vendor`` channel type (``providers/task_vendor/``).

The family checks the client's body and hands the adapter the vendor and the template values
(``body.<field>``, ``model``, ``task_id``); the adapter answers the upstream's task id. Polls
report :class:`~omnirelay.tasks.model.UpstreamState` whose ``result`` holds ``fields`` (plain
result values) and ``files`` (upstream URLs, which the family never shows: it serves them
behind its own signed links).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.families.task_vendor.config import VendorConfig

__all__ = ["CHANNEL_TYPE", "VendorUpstream"]

CHANNEL_TYPE = "task_vendor"


@runtime_checkable
class VendorUpstream(Protocol):
    async def submit(self, channel: Channel, vendor: VendorConfig, values: Mapping[str, Any]) -> str:
        """Start the task; its upstream id. An :class:`~omnirelay.errors.UpstreamError` when refused."""
        ...

    async def cancel(self, channel: Channel, vendor: VendorConfig, upstream_id: str) -> None:
        """Ask the upstream to stop the task (``vendor.cancel`` is set)."""
        ...
