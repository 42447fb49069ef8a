"""Prompt caching in the fake Anthropic upstream: ``cache_control`` breakpoints written, then read.

The prompt is walked in Anthropic's prefix order (tools, system, messages) as segments of
tokens (words, +3 at the start of the system and of each message, the fake's usual count). A
segment carrying ``cache_control`` is a breakpoint (a top-level ``cache_control`` marks the last
segment). The longest breakpoint prefix seen before is a cache read; the tokens up to each later
breakpoint are written at that breakpoint's ``ttl`` (``5m`` by default, or ``1h``); the rest is
``input_tokens``. Unlike the real API there is no minimum cacheable length and no expiry, so
tests see cache counters with short prompts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["CacheUsage", "PromptCache"]

_PER_MESSAGE = 3


@dataclass(frozen=True)
class CacheUsage:
    fresh: int
    read: int
    write_5m: int
    write_1h: int

    def fields(self) -> dict[str, Any]:
        """The usage fields Anthropic reports for the prompt side."""
        return {
            "input_tokens": self.fresh,
            "cache_creation_input_tokens": self.write_5m + self.write_1h,
            "cache_read_input_tokens": self.read,
            "cache_creation": {"ephemeral_5m_input_tokens": self.write_5m, "ephemeral_1h_input_tokens": self.write_1h},
        }


def _words(block: Any) -> int:
    if isinstance(block, str):
        return len(block.split())
    if not isinstance(block, dict):
        return 0
    if block.get("type") == "text":
        return len(str(block.get("text") or "").split())
    if block.get("type") == "tool_result":
        content = block.get("content")
        return sum(_words(part) for part in content) if isinstance(content, list) else _words(content)
    return 0


def _content_segments(content: Any, head: int) -> Iterator[tuple[int, Any]]:
    """(tokens, block) for each block of a system prompt or message; ``head`` tokens go to the first."""
    if not isinstance(content, list) or not content:
        yield head + _words(content), content
        return
    for i, block in enumerate(content):
        yield (head if i == 0 else 0) + _words(block), block


def _segments(body: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    for tool in body.get("tools") or ():
        yield 0, tool
    if body.get("system"):
        yield from _content_segments(body["system"], _PER_MESSAGE)
    for message in body["messages"]:
        yield from _content_segments(message.get("content"), _PER_MESSAGE)


def _marker(block: Any) -> dict[str, Any] | None:
    marker = block.get("cache_control") if isinstance(block, dict) else None
    return marker if isinstance(marker, dict) else None


def _unmarked(block: Any) -> Any:
    return {k: v for k, v in block.items() if k != "cache_control"} if isinstance(block, dict) else block


class PromptCache:
    """The prefixes this fake has cached (never expiring), shared by every request it serves."""

    def __init__(self) -> None:
        self._prefixes: set[str] = set()

    def _breakpoints(self, body: dict[str, Any]) -> tuple[int, list[tuple[str, int, str]]]:
        """The prompt's tokens, and (prefix hash, tokens up to here, ttl) at each breakpoint."""
        segments = list(_segments(body))
        top = body.get("cache_control")
        digest, total, points = hashlib.sha256(), 0, []
        for i, (tokens, block) in enumerate(segments):
            digest.update(orjson.dumps(_unmarked(block)))
            total += tokens
            marker = _marker(block) or (top if i == len(segments) - 1 and isinstance(top, dict) else None)
            if marker is not None:
                points.append((digest.hexdigest(), total, str(marker.get("ttl") or "5m")))
        return total, points

    def account(self, body: dict[str, Any]) -> CacheUsage:
        total, points = self._breakpoints(body)
        read = max((tokens for prefix, tokens, _ in points if prefix in self._prefixes), default=0)
        written = {"5m": 0, "1h": 0}
        boundary = read
        for _, tokens, ttl in points:
            if tokens > boundary:
                written["1h" if ttl == "1h" else "5m"] += tokens - boundary
                boundary = tokens
        self._prefixes.update(prefix for prefix, _, _ in points)
        return CacheUsage(total - read - written["5m"] - written["1h"], read, written["5m"], written["1h"])
