"""Pure, stateful conversion of a Gemini answer stream (``alt=sse`` fragments) into OpenAI chunks.

Gemini fragments are deltas (§2.5): each text part adds to the candidate's text, a
``functionCall`` part arrives whole, ``finishReason`` comes on the candidate's last fragment and
``usageMetadata`` on the final one (earlier ones may carry partial counts: the last one wins).
Per candidate the chunks are: a role chunk, ``reasoning_content`` for thought parts, ``content``
for text, one ``tool_calls`` chunk per call (its arguments whole), a chunk carrying a thought
signature that sat on a non-call part (``delta.extra_content``), then the finish chunk; once the
stream ends, one usage-only chunk (``choices: []``). See ``answer.py`` for ids and signatures.
"""

from __future__ import annotations

import time
from typing import Any

from omnirelay.providers.gemini.answer import (
    completion_id,
    openai_finish_reason,
    openai_tool_call,
    read_parts,
    signature_carrier,
    tool_call_id,
)
from omnirelay.providers.usage import Usage, as_openai_chat, from_gemini

__all__ = ["GeminiChunks"]

Chunk = dict[str, Any]


class GeminiChunks:
    """Gemini fragments in, OpenAI ``chat.completion.chunk`` objects out, for one streamed answer."""

    def __init__(self, model: str, created: int | None = None) -> None:
        self._model = model
        self._created = int(time.time()) if created is None else created
        self._id: str | None = None
        self._response_id: str | None = None
        self._calls: dict[int, int] = {}
        """Candidate index -> calls sent so far; a candidate is listed once its role chunk went out."""
        self._finished: set[int] = set()
        self.usage: Usage | None = None
        """The last ``usageMetadata`` seen, read with Gemini's semantics."""

    @property
    def done(self) -> bool:
        """Every candidate that appeared has its finish reason."""
        return bool(self._calls) and set(self._calls) <= self._finished

    def feed(self, fragment: dict[str, Any]) -> list[Chunk]:
        if self._id is None:
            self._response_id = str(fragment["responseId"]) if fragment.get("responseId") else None
            self._id = completion_id(self._response_id)
            self._model = str(fragment.get("modelVersion") or self._model)
        usage = from_gemini(fragment.get("usageMetadata"))
        self.usage = usage or self.usage
        candidates = [c for c in fragment.get("candidates") or () if isinstance(c, dict)]
        if not candidates and isinstance(fragment.get("promptFeedback"), dict) and not self._calls:
            blocked = {"index": 0, "finishReason": fragment["promptFeedback"].get("blockReason") or "SAFETY"}
            candidates = [blocked]
        chunks: list[Chunk] = []
        for position, candidate in enumerate(candidates):
            index: int = candidate["index"] if isinstance(candidate.get("index"), int) else position
            chunks += self._candidate(index, candidate)
        return chunks

    def finish(self) -> list[Chunk]:
        """The usage-only chunk, once the stream has ended (none when Gemini reported no usage)."""
        if self.usage is None:
            return []
        return [{**self._head(), "choices": [], "usage": as_openai_chat(self.usage)}]

    def _candidate(self, index: int, candidate: dict[str, Any]) -> list[Chunk]:
        chunks: list[Chunk] = []
        if index not in self._calls:
            self._calls[index] = 0
            chunks.append(self._chunk(index, {"role": "assistant", "content": ""}))
        content = candidate.get("content")
        read = read_parts(content.get("parts") if isinstance(content, dict) else None)
        if read.thoughts:
            chunks.append(self._chunk(index, {"reasoning_content": read.thoughts}))
        if read.text:
            chunks.append(self._chunk(index, {"content": read.text}))
        for call in read.calls:
            ordinal = self._calls[index]
            self._calls[index] = ordinal + 1
            converted = openai_tool_call(call, tool_call_id(self._response_id, index, ordinal, call.get("id")))
            chunks.append(self._chunk(index, {"tool_calls": [{"index": ordinal, **converted}]}))
        if read.signature is not None:
            chunks.append(self._chunk(index, {"extra_content": signature_carrier(read.signature)}))
        reason = candidate.get("finishReason")
        if reason and index not in self._finished:
            self._finished.add(index)
            chunks.append(self._chunk(index, {}, openai_finish_reason(reason, self._calls[index] > 0)))
        return chunks

    def _head(self) -> Chunk:
        return {"id": self._id, "object": "chat.completion.chunk", "created": self._created, "model": self._model}

    def _chunk(self, index: int, delta: dict[str, Any], finish: str | None = None) -> Chunk:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._head(), "choices": [choice]}
