"""Pure, stateful conversions of streamed answers between Anthropic events and OpenAI chunks.

:class:`AnthropicEvents` (ingress): OpenAI ``chat.completion.chunk`` payloads in, Anthropic
stream events out (``message_start``, ``ping``, ``content_block_start/delta/stop``,
``message_delta`` with the stop reason and usage, ``message_stop``). Usage arrives last in an
OpenAI stream, so ``message_start`` reports zero tokens and ``message_delta`` the real counts.
An upstream's reasoning (``reasoning_content``) becomes a thinking block with no signature.

:class:`OpenAIChunks` (upstream): Anthropic events in, OpenAI chunks out (a role chunk,
content and tool-call deltas, a chunk with the finish reason, then a usage-only chunk); its
:attr:`OpenAIChunks.usage` keeps Anthropic's own usage fields, for billing by token kind.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.providers.anthropic.transform import (
    anthropic_stop,
    anthropic_usage,
    as_object,
    message_id,
    reasoning_text,
)
from omnirelay.providers.anthropic.transform_upstream import openai_finish_reason, openai_usage

__all__ = ["AnthropicEvents", "OpenAIChunks", "error_event", "event_frame"]

Event = dict[str, Any]


def event_frame(event: Event) -> bytes:
    """One server-sent event as Anthropic sends it: the event name, then its JSON."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def error_event(error_type: str, message: str) -> Event:
    return {"type": "error", "error": {"type": error_type, "message": message}}


class AnthropicEvents:
    """OpenAI chunks -> Anthropic events, for one streamed answer (its first choice)."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._started = False
        self._finished = False
        self._next_block = 0
        self._open: tuple[str, int] | None = None
        self._tool_blocks: dict[int, int] = {}
        self._stop: tuple[str, str | None] = ("end_turn", None)
        self._usage: dict[str, Any] | None = None

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        events = [] if self._started else self._start(chunk)
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = as_object(choice.get("delta"))
            reasoning = reasoning_text(delta)
            if reasoning:
                events += self._thinking(reasoning)
            text = delta.get("content")
            if isinstance(text, str) and text:
                events += self._text(text)
            for call in delta.get("tool_calls") or ():
                if isinstance(call, dict):
                    events += self._tool(call)
            if choice.get("finish_reason"):
                self._stop = anthropic_stop(choice)
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]
        return events

    def finish(self) -> list[Event]:
        """The closing events (once): the open block's stop, ``message_delta``, ``message_stop``."""
        if self._finished:
            return []
        self._finished = True
        events = [] if self._started else self._start({})
        events += self._close()
        stop_reason, stop_sequence = self._stop
        usage: dict[str, Any] = {"output_tokens": 0}
        if self._usage is not None:
            usage = anthropic_usage(self._usage)
        delta = {"stop_reason": stop_reason, "stop_sequence": stop_sequence}
        return [*events, {"type": "message_delta", "delta": delta, "usage": usage}, {"type": "message_stop"}]

    def _start(self, chunk: dict[str, Any]) -> list[Event]:
        self._started = True
        message: dict[str, Any] = {
            "id": message_id(chunk.get("id")),
            "type": "message",
            "role": "assistant",
            "model": str(chunk.get("model") or self._model),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [{"type": "message_start", "message": message}, {"type": "ping"}]

    def _close(self) -> list[Event]:
        if self._open is None:
            return []
        index = self._open[1]
        self._open = None
        return [{"type": "content_block_stop", "index": index}]

    def _begin(self, kind: str, block: dict[str, Any]) -> list[Event]:
        events = self._close()
        index = self._next_block
        self._next_block += 1
        self._open = (kind, index)
        return [*events, {"type": "content_block_start", "index": index, "content_block": block}]

    def _text(self, text: str) -> list[Event]:
        events = [] if self._open and self._open[0] == "text" else self._begin("text", {"type": "text", "text": ""})
        index = self._next_block - 1
        return [*events, {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}]

    def _thinking(self, text: str) -> list[Event]:
        """Reasoning of an OpenAI-compatible upstream, as a thinking block without a signature."""
        opened = self._open and self._open[0] == "thinking"
        events = [] if opened else self._begin("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        delta = {"type": "thinking_delta", "thinking": text}
        return [*events, {"type": "content_block_delta", "index": self._next_block - 1, "delta": delta}]

    def _tool(self, call: dict[str, Any]) -> list[Event]:
        position = call.get("index", 0)
        function = as_object(call.get("function"))
        events: list[Event] = []
        if position not in self._tool_blocks:
            block_id = str(call.get("id") or f"toolu_{self._next_block}")
            block = {"type": "tool_use", "id": block_id, "name": str(function.get("name") or ""), "input": {}}
            events = self._begin("tool_use", block)
            self._tool_blocks[position] = self._next_block - 1
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            delta = {"type": "input_json_delta", "partial_json": arguments}
            events.append({"type": "content_block_delta", "index": self._tool_blocks[position], "delta": delta})
        return events


class OpenAIChunks:
    """Anthropic events -> OpenAI chunks, for one streamed answer. ``error`` events are the caller's."""

    def __init__(self, created: int) -> None:
        self._created = created
        self._id = "chatcmpl-0"
        self._model = ""
        self._usage: dict[str, Any] = {}
        self._tool_calls: dict[int, int] = {}
        self.done = False

    @property
    def usage(self) -> dict[str, Any]:
        """The usage fields reported so far: ``message_start``'s, updated by each ``message_delta``
        (its counts are cumulative, so the last one wins; ``llm_surfaces.md`` §3.5)."""
        return self._usage

    def feed(self, event: Event) -> list[dict[str, Any]]:
        kind = event.get("type")
        if kind == "message_start":
            return self._start(as_object(event.get("message")))
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_delta":
            return self._block_delta(event)
        if kind == "message_delta":
            if isinstance(event.get("usage"), dict):
                self._usage.update({k: v for k, v in event["usage"].items() if v is not None})
            delta = as_object(event.get("delta"))
            return [self._chunk({}, openai_finish_reason(delta.get("stop_reason")))]
        if kind == "message_stop":
            self.done = True
            return [{**self._head(), "choices": [], "usage": openai_usage(self._usage)}]
        return []  # ping, content_block_stop, and events this gateway does not relay

    def _head(self) -> dict[str, Any]:
        return {"id": self._id, "object": "chat.completion.chunk", "created": self._created, "model": self._model}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._head(), "choices": [choice]}

    def _start(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        self._id = "chatcmpl-" + str(message.get("id") or "0").removeprefix("msg_")
        self._model = str(message.get("model") or "")
        if isinstance(message.get("usage"), dict):
            self._usage = dict(message["usage"])
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, event: Event) -> list[dict[str, Any]]:
        block = as_object(event.get("content_block"))
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if block.get("type") != "tool_use":
            return []
        position = len(self._tool_calls)
        self._tool_calls[int(event.get("index") or 0)] = position
        function = {"name": str(block.get("name") or ""), "arguments": ""}
        call = {"index": position, "id": str(block.get("id") or ""), "type": "function", "function": function}
        return [self._chunk({"tool_calls": [call]})]

    def _block_delta(self, event: Event) -> list[dict[str, Any]]:
        delta = as_object(event.get("delta"))
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._chunk({"content": delta["text"]})]
        position = self._tool_calls.get(int(event.get("index") or 0))
        if delta.get("type") != "input_json_delta" or position is None or not delta.get("partial_json"):
            return []
        call = {"index": position, "function": {"arguments": delta["partial_json"]}}
        return [self._chunk({"tool_calls": [call]})]
