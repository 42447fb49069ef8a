"""Capability protocols and the neutral objects that cross the provider seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import structlog

from omnirelay.billing.amounts import MAX_TOKENS, is_count

__all__ = [
    "AudioStream",
    "AudioUpload",
    "ChatProvider",
    "ChatResult",
    "ChatStream",
    "EmbeddingsProvider",
    "EmbeddingsResult",
    "GeneratedImage",
    "ImageUpload",
    "ImagesProvider",
    "ImagesResult",
    "ModelLister",
    "RerankProvider",
    "RerankResult",
    "SpeechProvider",
    "TranscriptionProvider",
    "TranscriptionResult",
    "UpstreamCall",
    "Usage",
]

log = structlog.get_logger(__name__)

JSONObject = dict[str, Any]
"""An OpenAI wire object, relayed as the client sent it (tools, images, JSON mode untouched)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """What one call used: whole counts from 0 to ``MAX_TOKENS``, or no :class:`Usage` at all.

    An upstream's numbers become a :class:`Usage` only through :meth:`checked` (or
    :meth:`from_wire`, which uses it): a count that is negative, fractional, a boolean or
    absurdly large is refused there, and the call is billed on the gateway's own count.
    Building one directly with such a count is a bug and raises ``ValueError``.
    """

    prompt_tokens: int
    completion_tokens: int

    def __post_init__(self) -> None:
        if not (is_count(self.prompt_tokens) and is_count(self.completion_tokens)):
            raise ValueError(f"usage counts must be whole numbers from 0 to {MAX_TOKENS}: {self!r}")

    @classmethod
    def checked(cls, prompt: Any, completion: Any) -> Usage | None:
        """The upstream's counts as usage, or ``None`` (logged) when they are not counts."""
        if is_count(prompt) and is_count(completion):
            return cls(prompt, completion)
        log.warning(
            "upstream usage refused; the call is billed on the gateway's count", prompt=prompt, completion=completion
        )
        return None

    @classmethod
    def from_wire(cls, usage: Any) -> Usage | None:
        """OpenAI's ``usage`` object (``prompt_tokens``, ``completion_tokens``) when it holds counts."""
        if not isinstance(usage, dict):
            return None
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if prompt is None:
            return None
        return cls.checked(prompt, 0 if completion is None else completion)


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


@dataclass(frozen=True, slots=True)
class RerankResult:
    """An upstream's ranking, in any dialect: ``(index, relevance score)`` pairs, best first.

    The gateway keeps the documents itself, so no text crosses back over the seam. A
    provider's :class:`UpstreamCall` body is the neutral request ``{"model", "query",
    "documents": [str], "top_n"?, "max_tokens_per_doc"?}`` (``relay/rerank.py``).
    """

    ranked: tuple[tuple[int, float], ...]
    usage: Usage | None
    search_units: int | None = None
    """Cohere's billed search units, when the upstream reported them."""


@runtime_checkable
class RerankProvider(Protocol):
    async def rerank(self, call: UpstreamCall) -> RerankResult: ...


class AudioStream(Protocol):
    """The audio bytes of a speech answer as they arrive, and their media type."""

    media_type: str

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SpeechProvider(Protocol):
    async def open_speech(self, call: UpstreamCall) -> AudioStream:
        """Send an ``/audio/speech`` request; return once the upstream accepted it (status 200)."""
        ...


@dataclass(frozen=True, slots=True)
class AudioUpload:
    """An audio file as the client uploaded it."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    raw: bytes
    """The answer in the requested ``response_format``, byte for byte."""
    media_type: str
    duration_s: float | None
    """Seconds of audio, when the upstream reported them."""


@runtime_checkable
class TranscriptionProvider(Protocol):
    async def transcribe(self, call: UpstreamCall, audio: AudioUpload, *, translate: bool) -> TranscriptionResult:
        """``call.body`` holds the form's other fields (a repeated field as a list of strings)."""
        ...


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """A file part of an image edit or variation, forwarded under its form field name."""

    field: str
    """``image``, ``image[]``, ``mask``..."""
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    """The image itself: a provider downloads what its upstream only linked to."""
    content_type: str
    revised_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class ImagesResult:
    created: int
    images: tuple[GeneratedImage, ...]
    linked: bool
    """The upstream answered with URLs (the default format when the client named none)."""
    extra: JSONObject
    """The answer's other top-level fields (``size``, ``quality``, ``usage``...), relayed as they are."""
    usage: Usage | None


@runtime_checkable
class ImagesProvider(Protocol):
    async def create_images(self, call: UpstreamCall, operation: str, files: tuple[ImageUpload, ...]) -> ImagesResult:
        """``operation``: ``generations`` (``call.body`` sent as JSON), ``edits`` or ``variations``
        (``call.body`` as the form's text fields, ``files`` as its file parts)."""
        ...
