"""One request to the Ark API: method, path under the channel's base URL, JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["UpstreamRequest"]


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST", "DELETE"]
    path: str
    body: Mapping[str, Any] | None = None
