"""Capability protocols and the neutral objects that cross the provider seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ChatProvider",
    "ChatResult",
    "ChatStream",
    "EmbeddingsProvider",
    "EmbeddingsResult",
    "ModelLister",
    "UpstreamCall",
    "Usage",
]

JSONObject = dict[str, Any]
"""An OpenAI wire object, relayed as the client sent it (tools, images, JSON mode untouched)."""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @classmethod
    def from_wire(cls, usage: Any) -> Usage | None:
        if not isinstance(usage, dict):
            return None
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens", 0)
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return None
        return cls(prompt, completion)


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    """One request to send to one channel."""

    base_url: str
    secret: str | None
    body: JSONObject
    """The client's request with the upstream model name filled in."""
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    raw: bytes
    """The upstream's answer, byte for byte, returned to the client as is."""
    usage: Usage | None
    completion_text: str
    """Text the model produced (for counting when the upstream reports no usage)."""


class ChatStream(Protocol):
    """Server-sent event payloads of a streamed chat completion, ``[DONE]`` excluded, in batches."""

    def __aiter__(self) -> AsyncIterator[list[bytes]]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ChatProvider(Protocol):
    async def complete(self, call: UpstreamCall) -> ChatResult: ...

    async def open_stream(self, call: UpstreamCall) -> ChatStream:
        """Send the request; return once the upstream accepted it (status 200)."""
        ...


@dataclass(frozen=True, slots=True)
class EmbeddingsResult:
    raw: bytes
    """The upstream's answer, byte for byte."""
    usage: Usage | None


@runtime_checkable
class EmbeddingsProvider(Protocol):
    async def embed(self, call: UpstreamCall) -> EmbeddingsResult: ...


@runtime_checkable
class ModelLister(Protocol):
    async def list_models(self, base_url: str, secret: str | None) -> list[str]:
        """Ask the upstream which models it serves (used to probe disabled channels)."""
        ...
