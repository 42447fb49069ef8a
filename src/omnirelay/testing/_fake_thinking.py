"""Extended thinking in the fake Anthropic upstream: the ``thinking`` setting, signed blocks, replay checks.

Like the real API (``llm_surfaces.md`` §3.3), the fake signs every thinking block it issues and
refuses (400) a replayed ``thinking`` block whose text and signature it did not issue together,
or a ``redacted_thinking`` block whose ``data`` it never sent: a gateway that edits, re-encodes
or invents them is caught.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

__all__ = ["Signatures", "thinking_problem", "wants_thinking"]

_MIN_BUDGET = 1024


def thinking_problem(body: dict[str, Any]) -> str | None:
    """What the real API refuses in ``thinking`` (a budget under 1024, or not below ``max_tokens``)."""
    thinking = body.get("thinking")
    if thinking is None:
        return None
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind in ("disabled", "adaptive"):
        return None
    if kind != "enabled" or not isinstance(thinking, dict):
        return "thinking.type: Input tag does not match 'enabled', 'disabled' or 'adaptive'"
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < _MIN_BUDGET:
        return f"thinking.enabled.budget_tokens: Input should be greater than or equal to {_MIN_BUDGET}"
    if budget >= body["max_tokens"]:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    return None


def wants_thinking(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


class Signatures:
    """The thinking blocks this fake issued (text -> signature) and its redacted blocks' data."""

    def __init__(self) -> None:
        self._issued: dict[str, str] = {}
        self._redacted: set[str] = set()

    def sign(self, text: str) -> str:
        signature = base64.b64encode(b"\x12\xa4\x01" + secrets.token_bytes(45)).decode()
        self._issued[signature] = text
        return signature

    def redacted(self) -> str:
        data = base64.b64encode(b"\x12l" + secrets.token_bytes(30)).decode()
        self._redacted.add(data)
        return data

    def problem(self, body: dict[str, Any]) -> str | None:
        """A replayed thinking block that this fake did not issue exactly so."""
        for i, message in enumerate(body.get("messages") or ()):
            content = message.get("content") if isinstance(message, dict) else None
            for j, block in enumerate(content if isinstance(content, list) else ()):
                kind = block.get("type") if isinstance(block, dict) else None
                where = f"messages.{i}.content.{j}"
                if kind == "thinking" and self._issued.get(str(block.get("signature"))) != block.get("thinking"):
                    return f"{where}: Invalid `signature` in `thinking` block"
                if kind == "redacted_thinking" and block.get("data") not in self._redacted:
                    return f"{where}: Invalid `data` in `redacted_thinking` block"
        return None
