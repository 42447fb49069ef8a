"""Capability protocols and the neutral objects that cross the provider seam."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from omnirelay.providers.usage import Usage

if TYPE_CHECKING:
    from omnirelay.channels.model import Channel

__all__ = [
    "AudioStream",
    "AudioUpload",
    "ChatProvider",
    "ChatResult",
    "ChatStream",
    "EmbeddingsProvider",
    "EmbeddingsResult",
    "ForwardCall",
    "Forwarded",
    "Forwarder",
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

JSONObject = dict[str, Any]
"""An OpenAI wire object, relayed as the client sent it (tools, images, JSON mode untouched)."""


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


@dataclass(frozen=True, slots=True)
class ForwardCall:
    """A client's request in its own API's dialect, relayed to an upstream of the same kind untouched.

    ``path`` is relative to the provider's versioned API root (``/v1`` for OpenAI and Anthropic,
    ``/v1beta`` for Gemini): ``"responses"``, ``"messages/count_tokens"``,
    ``"models/gemini-2.5-pro:streamGenerateContent"``. The provider adds its own auth header
    (Bearer, ``x-api-key``, ``x-goog-api-key``) from ``secret``."""

    base_url: str
    secret: str | None
    path: str
    body: bytes | None
    """The JSON body as it is sent (the upstream model name already filled in)."""
    headers: Mapping[str, str]
    """Client headers the dialect passes through (``anthropic-beta``, ``anthropic-version``...)."""
    method: str = "POST"
    query: Mapping[str, str] | None = None
    """Query parameters for the upstream (``alt=sse``); never the client's key."""
    stream: bool = False
    timeout_s: float | None = None


class Forwarded(Protocol):
    """An upstream's accepted answer (status < 400): its status, headers and body as it arrives."""

    status: int
    headers: Mapping[str, str]

    def __aiter__(self) -> AsyncIterator[bytes]:
        """The body in network reads (for streams)."""
        ...

    async def read(self) -> bytes:
        """The whole body (for plain answers)."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Forwarder(Protocol):
    """A provider that relays a dialect natively to channels of its own kind.

    Dialects: ``openai.responses``, ``openai.completions``, ``openai.moderations``,
    ``anthropic.messages``, ``gemini``. An ingress asks :meth:`forwards` per channel (an OpenAI
    channel forwards Responses only when its ``responses`` option is on) and converts through
    :class:`ChatProvider` otherwise. A refused call (status >= 400) raises the provider's mapped
    ``UpstreamError`` so failover and breakers work as for chat."""

    def forwards(self, channel: Channel, dialect: str) -> bool: ...

    async def forward(self, call: ForwardCall) -> Forwarded: ...
