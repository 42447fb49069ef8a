"""What one call used, by token kind, read from each provider's usage object with its own semantics.

One normalised :class:`Usage` for every provider (``llm_surfaces.md`` §4.1):

- ``prompt_tokens``: every input token the model read, cached ones included (OpenAI's meaning);
  ``cache_read``, ``cache_write_5m``, ``cache_write_1h``, ``audio_in`` and ``image_in`` are parts of it.
- ``completion_tokens``: every output token, reasoning included; ``reasoning`` and ``audio_out``
  are parts of it.
- ``web_search_calls``: server-side search calls (a per-call tool surcharge), not tokens.

The readers (:func:`from_openai_chat`, :func:`from_responses`, :func:`from_anthropic`,
:func:`from_gemini`) turn each provider's fields into this record: Anthropic's ``input_tokens``
excludes cache reads and writes, Gemini's ``promptTokenCount`` includes cached tokens and its
``thoughtsTokenCount`` is separate from ``candidatesTokenCount``. The renderers (``as_*``) write
a record back in each shape, for answers converted from another provider.

A count that is not a whole number from 0 to ``MAX_TOKENS`` is refused (logged) and the reader
returns ``None``: the call is then billed on the gateway's own count. Parts larger than their
whole are clamped to it (an upstream's inconsistency never bills a negative remainder).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import structlog

from omnirelay.billing.amounts import MAX_TOKENS, is_count

__all__ = [
    "KINDS",
    "Usage",
    "as_anthropic",
    "as_gemini",
    "as_openai_chat",
    "as_responses",
    "from_anthropic",
    "from_gemini",
    "from_openai_chat",
    "from_responses",
]

log = structlog.get_logger(__name__)

_INPUT_PARTS = ("cache_read", "cache_write_5m", "cache_write_1h", "audio_in", "image_in")
_OUTPUT_PARTS = ("reasoning", "audio_out")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call (whole numbers from 0 to ``MAX_TOKENS``); see the module docstring."""

    prompt_tokens: int
    completion_tokens: int
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    reasoning: int = 0
    audio_in: int = 0
    audio_out: int = 0
    image_in: int = 0
    web_search_calls: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            if not is_count(getattr(self, f.name)):
                raise ValueError(f"usage counts must be whole numbers from 0 to {MAX_TOKENS}: {self!r}")

    @property
    def uncached_input(self) -> int:
        """Input tokens billed at the plain input price (prompt minus its priced parts)."""
        parts: int = sum(getattr(self, name) for name in _INPUT_PARTS)
        return max(0, self.prompt_tokens - parts)

    @property
    def text_output(self) -> int:
        """Output tokens billed at the plain output price (completion minus reasoning and audio)."""
        return max(0, self.completion_tokens - self.reasoning - self.audio_out)

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @classmethod
    def checked(cls, prompt: Any, completion: Any, **parts: Any) -> Usage | None:
        """The upstream's counts as usage, or ``None`` (logged) when any is not a count.

        Absent parts (``None``) are 0; parts are clamped to the whole they belong to."""
        given = {name: (0 if value is None else value) for name, value in parts.items()}
        counts = {"prompt": prompt, "completion": completion, **given}
        if not all(is_count(v) for v in counts.values()):
            log.warning("upstream usage refused; the call is billed on the gateway's count", **counts)
            return None
        usage = cls(prompt, completion, **given)
        return _clamped(usage)

    @classmethod
    def from_wire(cls, usage: Any) -> Usage | None:
        """OpenAI's chat ``usage`` object (kept for callers that read chat completions)."""
        return from_openai_chat(usage)


def _clamped(usage: Usage) -> Usage:
    """Parts never exceed their whole: cut them in field order until they fit."""
    changes: dict[str, int] = {}
    for whole, names in ((usage.prompt_tokens, _INPUT_PARTS), (usage.completion_tokens, _OUTPUT_PARTS)):
        room = whole
        for name in names:
            value = min(getattr(usage, name), room)
            room -= value
            if value != getattr(usage, name):
                changes[name] = value
    if changes:
        log.warning("upstream usage parts exceed their total; clamped", usage=repr(usage), clamped=changes)
        return replace(usage, **changes)
    return usage


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_openai_chat(usage: Any) -> Usage | None:
    """OpenAI chat ``usage``: ``prompt_tokens`` includes cached, cache-write, audio and image tokens."""
    if not isinstance(usage, dict) or usage.get("prompt_tokens") is None:
        return None
    prompt_details = _obj(usage.get("prompt_tokens_details"))
    output_details = _obj(usage.get("completion_tokens_details"))
    completion = usage.get("completion_tokens")
    return Usage.checked(
        usage["prompt_tokens"],
        0 if completion is None else completion,
        cache_read=prompt_details.get("cached_tokens"),
        cache_write_5m=prompt_details.get("cache_write_tokens"),
        audio_in=prompt_details.get("audio_tokens"),
        image_in=prompt_details.get("image_tokens"),
        reasoning=output_details.get("reasoning_tokens"),
        audio_out=output_details.get("audio_tokens"),
    )


def from_responses(usage: Any, *, web_search_calls: int = 0) -> Usage | None:
    """OpenAI Responses ``usage``: like chat, named ``input_tokens``/``output_tokens``.

    ``web_search_calls``: the answer's ``web_search_call`` output items, counted by the caller."""
    if not isinstance(usage, dict) or usage.get("input_tokens") is None:
        return None
    input_details = _obj(usage.get("input_tokens_details"))
    output_details = _obj(usage.get("output_tokens_details"))
    output = usage.get("output_tokens")
    return Usage.checked(
        usage["input_tokens"],
        0 if output is None else output,
        cache_read=input_details.get("cached_tokens"),
        cache_write_5m=input_details.get("cache_write_tokens"),
        reasoning=output_details.get("reasoning_tokens"),
        web_search_calls=web_search_calls,
    )


def from_anthropic(usage: Any) -> Usage | None:
    """Anthropic ``usage``: ``input_tokens``, ``cache_creation_input_tokens`` and
    ``cache_read_input_tokens`` are disjoint; writes split 5 m / 1 h in ``cache_creation``
    (without the split, every write is a 5-minute write)."""
    if not isinstance(usage, dict) or usage.get("input_tokens") is None:
        return None
    fresh, read = usage["input_tokens"], usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    split = _obj(usage.get("cache_creation"))
    w5, w1 = split.get("ephemeral_5m_input_tokens"), split.get("ephemeral_1h_input_tokens")
    if w5 is None and w1 is None:
        w5, w1 = written, 0
    counts = (fresh, read, w5 or 0, w1 or 0)
    if not all(is_count(c) for c in counts):
        return Usage.checked(fresh, 0, cache_read=read, cache_write_5m=w5, cache_write_1h=w1)
    output = usage.get("output_tokens")
    tools = _obj(usage.get("server_tool_use"))
    return Usage.checked(
        sum(counts),
        0 if output is None else output,
        cache_read=read,
        cache_write_5m=w5,
        cache_write_1h=w1,
        reasoning=_obj(usage.get("output_tokens_details")).get("thinking_tokens"),
        web_search_calls=tools.get("web_search_requests"),
    )


def from_gemini(metadata: Any, *, web_search_calls: int = 0) -> Usage | None:
    """Gemini ``usageMetadata``: ``promptTokenCount`` includes ``cachedContentTokenCount``;
    ``toolUsePromptTokenCount`` and ``thoughtsTokenCount`` are separate counts."""
    if not isinstance(metadata, dict) or metadata.get("promptTokenCount") is None:
        return None
    prompt, tool = metadata["promptTokenCount"], metadata.get("toolUsePromptTokenCount") or 0
    answer, thoughts = metadata.get("candidatesTokenCount") or 0, metadata.get("thoughtsTokenCount") or 0
    if not all(is_count(c) for c in (prompt, tool, answer, thoughts)):
        return Usage.checked(prompt, answer, reasoning=thoughts)
    return Usage.checked(
        prompt + tool,
        answer + thoughts,
        cache_read=metadata.get("cachedContentTokenCount"),
        reasoning=thoughts,
        web_search_calls=web_search_calls,
    )


def as_openai_chat(usage: Usage) -> dict[str, Any]:
    """OpenAI chat's ``usage`` object for ``usage``."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read,
            "cache_write_tokens": usage.cache_write,
            "audio_tokens": usage.audio_in,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning, "audio_tokens": usage.audio_out},
    }


def as_responses(usage: Usage) -> dict[str, Any]:
    """The Responses API's ``usage`` object for ``usage``."""
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cache_read, "cache_write_tokens": usage.cache_write},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def as_anthropic(usage: Usage) -> dict[str, Any]:
    """Anthropic's ``usage`` object for ``usage`` (``input_tokens`` is the uncached remainder)."""
    fresh = max(0, usage.prompt_tokens - usage.cache_read - usage.cache_write)
    return {
        "input_tokens": fresh,
        "cache_creation_input_tokens": usage.cache_write,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m,
            "ephemeral_1h_input_tokens": usage.cache_write_1h,
        },
        "output_tokens": usage.completion_tokens,
    }


def as_gemini(usage: Usage) -> dict[str, Any]:
    """Gemini's ``usageMetadata`` for ``usage`` (thoughts counted apart from the candidates)."""
    answer = max(0, usage.completion_tokens - usage.reasoning)
    metadata: dict[str, Any] = {
        "promptTokenCount": usage.prompt_tokens,
        "candidatesTokenCount": answer,
        "totalTokenCount": usage.prompt_tokens + usage.completion_tokens,
    }
    if usage.cache_read:
        metadata["cachedContentTokenCount"] = usage.cache_read
    if usage.reasoning:
        metadata["thoughtsTokenCount"] = usage.reasoning
    return metadata


KINDS: tuple[str, ...] = (
    "uncached_input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "audio_in",
    "image_in",
    "text_output",
    "reasoning",
    "audio_out",
    "web_search_calls",
)
"""Every billed kind, in the order a bill lists them (each a property or field of :class:`Usage`)."""
