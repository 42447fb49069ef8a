"""Streamed chat completions re-encoded as Gemini fragments (§2.5, §2.9).

:class:`GeminiFragments` is pure and stateful: OpenAI ``chat.completion.chunk`` payloads in,
``GenerateContentResponse`` fragments out. Text and thoughts go out as they come; a function
call goes out whole (Gemini never streams arguments) in the fragment that ends its candidate.
That last fragment waits for the usage chunk OpenAI sends after the finish reason, so it
carries ``finishReason`` and the cumulative ``usageMetadata`` together, as Gemini's does. When
the upstream reported no usage, the gateway's own count (what the call is billed) is reported.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import orjson

from omnirelay.api.gemini.from_chat import call_part, candidate_parts, finish_reason, response_id
from omnirelay.errors import UpstreamError, UpstreamTimeout
from omnirelay.providers.usage import Usage, as_gemini, from_openai_chat
from omnirelay.relay.gemini_framing import GeminiFraming, error_payload
from omnirelay.relay.reencode import reencoded

__all__ = ["GeminiFragments", "gemini_frames"]

JSONObject = dict[str, Any]


class _Call:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments = ""


class GeminiFragments:
    """Chat chunks -> Gemini fragments, for one streamed answer (every candidate).

    ``counted(text)``: the usage billed when the upstream reports none (``text``: the answer so far)."""

    def __init__(self, model: str, thoughts: bool, counted: Callable[[str], Usage]) -> None:
        self._model = model
        self._thoughts = thoughts
        self._counted = counted
        self._id = ""
        self._calls: dict[int, dict[int, _Call]] = {}
        self._ended: list[JSONObject] = []
        self._usage: Usage | None = None
        self._texts: list[str] = []
        self._closed = False

    def feed(self, chunk: JSONObject) -> list[JSONObject]:
        self._id = self._id or response_id(chunk.get("id"))
        going: list[JSONObject] = []
        for position, choice in enumerate(chunk.get("choices") or ()):
            if isinstance(choice, dict):
                candidate = self._candidate(choice, position)
                if candidate is not None:
                    going.append(candidate)
        fragments = [self._fragment(going)] if going else []
        usage = from_openai_chat(chunk.get("usage"))
        if usage is not None:
            self._usage = usage
            if not going and self._ended:  # the usage chunk after the finish reasons: the stream's end
                fragments += self.finish()
        return fragments

    def finish(self) -> list[JSONObject]:
        """The closing fragment (once): the ended candidates with the usage."""
        if self._closed:
            return []
        self._closed = True
        usage = self._usage or self._counted("".join(self._texts))
        fragment = self._fragment(self._ended)
        fragment["usageMetadata"] = as_gemini(usage)
        if not self._ended:
            del fragment["candidates"]
        return [fragment]

    def _candidate(self, choice: JSONObject, position: int) -> JSONObject | None:
        """The candidate to send now, or None (nothing yet, or held for the closing fragment)."""
        given = choice.get("index")
        index = given if isinstance(given, int) else position
        delta = choice.get("delta")
        parts = candidate_parts(delta, self._thoughts)
        self._texts += [str(p["text"]) for p in parts]
        if isinstance(delta, dict):
            self._note_calls(index, delta.get("tool_calls"))
        candidate: JSONObject = {"content": {"role": "model", "parts": parts}, "index": index}
        if choice.get("finish_reason") is None:
            return candidate if parts else None
        candidate["content"]["parts"] += self._ended_calls(index)
        candidate["finishReason"] = finish_reason(choice["finish_reason"])
        self._ended.append(candidate)
        return None

    def _note_calls(self, index: int, deltas: Any) -> None:
        calls = self._calls.setdefault(index, {})
        for delta in deltas if isinstance(deltas, list) else ():
            if not isinstance(delta, dict):
                continue
            call = calls.setdefault(delta.get("index", len(calls)), _Call())
            given = delta.get("function")
            function = given if isinstance(given, dict) else {}
            call.id = call.id or str(delta.get("id") or "")
            call.name += str(function.get("name") or "")
            call.arguments += str(function.get("arguments") or "")

    def _ended_calls(self, index: int) -> list[JSONObject]:
        calls = self._calls.pop(index, {})
        self._texts += [c.name + c.arguments for c in calls.values()]
        return [call_part(c.id, c.name, c.arguments) for _, c in sorted(calls.items())]

    def _fragment(self, candidates: list[JSONObject]) -> JSONObject:
        return {"candidates": candidates, "modelVersion": self._model, "responseId": self._id}


def _mid_stream_error(error: JSONObject) -> bytes:
    """The chat session's error chunk as Gemini's: timeouts 504, the rest 502 (the call is refunded)."""
    message = str(error.get("message") or "the upstream failed")
    timeout = error.get("code") in ("upstream_timeout", "max_request_time")
    return error_payload(UpstreamTimeout(message) if timeout else UpstreamError(message))


class _Translator:
    """Chat payloads as Gemini fragments in the client's framing."""

    def __init__(self, fragments: GeminiFragments, framing: GeminiFraming) -> None:
        self._fragments = fragments
        self._framing = framing

    def chunk(self, chunk: JSONObject) -> bytes:
        return self._framed(self._fragments.feed(chunk))

    def error(self, error: JSONObject) -> bytes:
        return self._framing.frame(_mid_stream_error(error))

    def done(self) -> bytes:
        return self._framed(self._fragments.finish())

    def _framed(self, fragments: list[JSONObject]) -> bytes:
        return b"".join(self._framing.frame(orjson.dumps(f)) for f in fragments)


def gemini_frames(
    frames: AsyncGenerator[bytes, None], fragments: GeminiFragments, framing: GeminiFraming
) -> AsyncGenerator[bytes, None]:
    """The chat relay's event frames, re-encoded as Gemini fragments in the client's framing."""
    return reencoded(frames, _Translator(fragments, framing), closing=framing.close)
