"""A streamed chat answer as Responses API stream events, for models served by chat-only channels.

:class:`ResponsesEvents` takes OpenAI ``chat.completion.chunk`` payloads and returns the events of
``llm_surfaces.md`` §1.9, in its order grammar, numbered from 0: ``response.created`` and
``response.in_progress``, then one output item at a time (``output_item.added`` … ``output_item.done``),
then exactly one terminal event (``response.completed``, ``response.incomplete`` or ``response.failed``).

- ``delta.reasoning_content`` (or ``reasoning``) streams as a ``reasoning`` item's *summary*
  (``reasoning_summary_part`` / ``reasoning_summary_text`` events), what Responses clients display.
- ``delta.content`` and ``delta.refusal`` stream as an assistant ``message`` item's ``output_text``
  and ``refusal`` parts; chat logprobs become the delta events' ``logprobs``.
- ``delta.tool_calls`` become ``function_call`` items. Items never overlap, so a call streams live
  only while it is the one open; a call that starts while the open one's arguments are not yet
  whole JSON (upstreams that interleave parallel calls) is buffered and streamed after it.

Usage arrives last in a chat stream and is read by the caller (``providers/usage.py``), which
passes it to :meth:`ResponsesEvents.finish`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.api.responses.from_chat import (
    INCOMPLETE_REASONS,
    SERVICE_TIERS,
    call_item,
    completed,
    item_id,
    message_item,
    reasoning_item,
    reasoning_text,
    response_envelope,
    text_logprobs,
)
from omnirelay.providers.usage import Usage

__all__ = ["ERROR_CODES", "ResponsesEvents"]

Event = dict[str, Any]
Item = dict[str, Any]

ERROR_CODES = frozenset(
    {
        "server_error", "rate_limit_exceeded", "invalid_prompt", "data_residency_mismatch", "bio_policy",
        "vector_store_timeout", "invalid_image", "invalid_image_format", "invalid_base64_image",
        "invalid_image_url", "image_too_large", "image_too_small", "image_parse_error",
        "image_content_policy_violation", "invalid_image_mode", "image_file_too_large",
        "unsupported_image_media_type", "empty_image_file", "failed_to_download_image", "image_file_not_found",
    }
)  # fmt: skip
"""``Response.error.code`` values the SDK accepts (§1.5); any other code is reported as ``server_error``."""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class _Open:
    """The reasoning or message item being streamed, with its part's text so far."""

    kind: str
    index: int
    part: str | None = None
    buffer: list[str] = field(default_factory=list)
    logprobs: list[Item] = field(default_factory=list)


@dataclass
class _Call:
    """One upstream tool call (by its chat ``index``); ``index`` is its output index once emitted."""

    call_id: str
    name: str
    args: list[str] = field(default_factory=list)
    index: int | None = None


def _delta_logprobs(full: list[Item]) -> list[Item]:
    """Delta and done events carry logprobs without ``bytes``."""
    return [
        {
            "token": entry["token"],
            "logprob": entry["logprob"],
            "top_logprobs": [{"token": t["token"], "logprob": t["logprob"]} for t in entry["top_logprobs"]],
        }
        for entry in full
    ]


def _whole_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


class ResponsesEvents:
    """Chat chunks -> Responses events, for one streamed answer (its first choice)."""

    def __init__(
        self,
        request: dict[str, Any],
        *,
        response_id: str,
        created_at: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._response = response_envelope(request, response_id=response_id, created_at=created_at)
        self._id = response_id
        self._clock = clock
        self._seq = 0
        self._started = False
        self._ended = False
        self._output: list[Item] = []
        self._open: _Open | None = None
        self._calls: dict[int, _Call] = {}
        self._live: int | None = None
        self._waiting: list[int] = []
        self._finish_reason: str | None = None

    @property
    def response(self) -> dict[str, Any]:
        """The Response as it stands: the final one (for storage) once a terminal event was produced."""
        return copy.deepcopy({**self._response, "output": self._output})

    def start(self) -> list[Event]:
        """``response.created`` and ``response.in_progress`` (once; :meth:`feed` starts on its own)."""
        if self._started:
            return []
        self._started = True
        return [
            self._event("response.created", response=self.response),
            self._event("response.in_progress", response=self.response),
        ]

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """The events for one chat chunk (its first choice; usage-only chunks yield nothing)."""
        if self._ended:
            return []
        events = self.start()
        if chunk.get("service_tier") in SERVICE_TIERS:
            self._response["service_tier"] = chunk["service_tier"]
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                events += self._choice(choice)
        return events

    def finish(self, usage: Usage, finish_reason: str | None = None) -> list[Event]:
        """The closing events: open items done, then ``response.completed`` (or ``.incomplete``).

        ``finish_reason`` overrides the one the chunks carried (``length`` and ``content_filter``
        make the response incomplete)."""
        if self._ended:
            return []
        events = self.start()
        reason = finish_reason or self._finish_reason
        events += self._close_all("incomplete" if reason in INCOMPLETE_REASONS else "completed")
        self._ended = True
        self._response = completed(self._response, self._output, reason, usage, int(self._clock()))
        kind = "response.completed" if self._response["status"] == "completed" else "response.incomplete"
        return [*events, self._event(kind, response=self.response)]

    def failed(self, message: str, code: str = "server_error") -> list[Event]:
        """``response.failed`` for an upstream that broke mid-stream.

        Open items are not closed with ``…done`` events (a client must not act on a half-streamed
        function call); the failed Response lists them as they stood, ``status: incomplete``."""
        if self._ended:
            return []
        events = self.start()
        self._settle_open()
        self._ended = True
        error = {"code": code if code in ERROR_CODES else "server_error", "message": message}
        self._response = {**self._response, "status": "failed", "error": error, "usage": None, "output": self._output}
        return [*events, self._event("response.failed", response=self.response)]

    def _event(self, kind: str, **payload: Any) -> Event:
        event = {"type": kind, "sequence_number": self._seq, **payload}
        self._seq += 1
        return event

    def _choice(self, choice: dict[str, Any]) -> list[Event]:
        delta = _obj(choice.get("delta"))
        events: list[Event] = []
        reasoning = reasoning_text(delta)
        if reasoning:
            events += self._reasoning(reasoning)
        if isinstance(delta.get("content"), str) and delta["content"]:
            events += self._text("output_text", delta["content"], choice.get("logprobs"))
        if isinstance(delta.get("refusal"), str) and delta["refusal"]:
            events += self._text("refusal", delta["refusal"], None)
        for call in delta.get("tool_calls") or ():
            if isinstance(call, dict):
                events += self._tool(call)
        if choice.get("finish_reason"):
            self._finish_reason = str(choice["finish_reason"])
            events += self._close_all("incomplete" if self._finish_reason in INCOMPLETE_REASONS else "completed")
        return events

    # reasoning and message items

    def _open_item(self, kind: str) -> list[Event]:
        index = len(self._output)
        if kind == "reasoning":
            item = reasoning_item(item_id("rs", self._id, index), None)
        else:
            item = message_item(item_id("msg", self._id, index), [], "in_progress")
        self._output.append(item)
        self._open = _Open(kind, index)
        events = [self._event("response.output_item.added", output_index=index, item=copy.deepcopy(item))]
        if kind == "reasoning":
            part = {"type": "summary_text", "text": ""}
            events.append(
                self._event("response.reasoning_summary_part.added", **self._at(), summary_index=0, part=part)
            )
        return events

    def _at(self) -> dict[str, Any]:
        """``item_id`` and ``output_index`` of the open reasoning or message item."""
        assert self._open is not None
        return {"item_id": self._output[self._open.index]["id"], "output_index": self._open.index}

    def _reasoning(self, text: str) -> list[Event]:
        events: list[Event] = []
        if self._open is None or self._open.kind != "reasoning":
            events += self._close_all("completed") + self._open_item("reasoning")
        assert self._open is not None
        self._open.buffer.append(text)
        delta = self._event("response.reasoning_summary_text.delta", **self._at(), summary_index=0, delta=text)
        return [*events, delta]

    def _text(self, kind: str, text: str, logprobs: Any) -> list[Event]:
        events: list[Event] = []
        if self._open is None or self._open.kind != "message":
            events += self._close_all("completed") + self._open_item("message")
        assert self._open is not None
        if self._open.part != kind:
            events += self._close_part() + self._open_part(kind)
        self._open.buffer.append(text)
        where = {**self._at(), "content_index": len(self._output[self._open.index]["content"]) - 1}
        if kind == "refusal":
            return [*events, self._event("response.refusal.delta", **where, delta=text)]
        full = text_logprobs(logprobs) or []
        self._open.logprobs += full
        delta = self._event("response.output_text.delta", **where, delta=text, logprobs=_delta_logprobs(full))
        return [*events, delta]

    def _open_part(self, kind: str) -> list[Event]:
        assert self._open is not None
        part: Item = {"type": "refusal", "refusal": ""}
        if kind == "output_text":
            part = {"type": "output_text", "text": "", "annotations": []}
        content = self._output[self._open.index]["content"]
        content.append(part)
        self._open.part, self._open.buffer, self._open.logprobs = kind, [], []
        where = {**self._at(), "content_index": len(content) - 1}
        return [self._event("response.content_part.added", **where, part=dict(part))]

    def _final_part(self, state: _Open) -> Item:
        text = "".join(state.buffer)
        if state.part == "refusal":
            return {"type": "refusal", "refusal": text}
        part: Item = {"type": "output_text", "text": text, "annotations": []}
        if state.logprobs:
            part["logprobs"] = state.logprobs
        return part

    def _close_part(self) -> list[Event]:
        state = self._open
        if state is None or state.part is None:
            return []
        content = self._output[state.index]["content"]
        part = content[-1] = self._final_part(state)
        where = {**self._at(), "content_index": len(content) - 1}
        if state.part == "refusal":
            done = self._event("response.refusal.done", **where, refusal=part["refusal"])
        else:
            done = self._event(
                "response.output_text.done", **where, text=part["text"], logprobs=_delta_logprobs(state.logprobs)
            )
        state.part = None
        return [done, self._event("response.content_part.done", **where, part=copy.deepcopy(part))]

    def _close_open(self, status: str) -> list[Event]:
        state = self._open
        if state is None:
            return []
        item = self._output[state.index]
        if state.kind == "reasoning":
            part = {"type": "summary_text", "text": "".join(state.buffer)}
            item["summary"] = [part]
            events = [
                self._event("response.reasoning_summary_text.done", **self._at(), summary_index=0, text=part["text"]),
                self._event("response.reasoning_summary_part.done", **self._at(), summary_index=0, part=dict(part)),
            ]
        else:
            events = self._close_part()
            item["status"] = status
        self._open = None
        done = self._event("response.output_item.done", output_index=state.index, item=copy.deepcopy(item))
        return [*events, done]

    def _close_all(self, status: str) -> list[Event]:
        return self._close_open(status) + self._close_calls(status)

    # function calls

    def _tool(self, call: dict[str, Any]) -> list[Event]:
        position = call["index"] if isinstance(call.get("index"), int) else 0
        function = _obj(call.get("function"))
        state = self._calls.get(position)
        events: list[Event] = []
        if state is None:
            given = call.get("id")
            call_id = given if isinstance(given, str) and given else item_id("call", self._id, position)
            state = self._calls[position] = _Call(call_id, str(function.get("name") or ""))
            events += self._close_open("completed") + self._admit(position)
        elif not state.name and isinstance(function.get("name"), str):
            state.name = function["name"]
        fragment = function.get("arguments")
        if not isinstance(fragment, str) or not fragment or (state.index is not None and self._live != position):
            return events  # nothing, or a late fragment of a call already done (dropped: its item was final)
        state.args.append(fragment)
        if self._live == position:
            events.append(self._arguments_delta(state, fragment))
        return events

    def _arguments_delta(self, state: _Call, fragment: str) -> Event:
        assert state.index is not None
        identifier = self._output[state.index]["id"]
        return self._event(
            "response.function_call_arguments.delta", item_id=identifier, output_index=state.index, delta=fragment
        )

    def _admit(self, position: int) -> list[Event]:
        """Stream a new call now if the open one looks whole, else after it."""
        events: list[Event] = []
        while self._live is not None and _whole_json("".join(self._calls[self._live].args)):
            events += self._close_call(self._live, "completed") + self._promote()
        if self._live is None:
            return events + self._go_live(position)
        self._waiting.append(position)
        return events

    def _promote(self) -> list[Event]:
        return self._go_live(self._waiting.pop(0)) if self._waiting else []

    def _go_live(self, position: int) -> list[Event]:
        state = self._calls[position]
        state.index = len(self._output)
        item = call_item(item_id("fc", self._id, state.index), state.call_id, state.name, "", "in_progress")
        self._output.append(item)
        self._live = position
        events = [self._event("response.output_item.added", output_index=state.index, item=copy.deepcopy(item))]
        if state.args:  # arguments buffered while another call was open
            events.append(self._arguments_delta(state, "".join(state.args)))
        return events

    def _close_call(self, position: int, status: str) -> list[Event]:
        state = self._calls[position]
        assert state.index is not None
        item = self._output[state.index]
        item.update(arguments="".join(state.args), name=state.name, status=status)
        self._live = None
        where = {"item_id": item["id"], "output_index": state.index}
        done = self._event(
            "response.function_call_arguments.done", **where, name=state.name, arguments=item["arguments"]
        )
        return [done, self._event("response.output_item.done", output_index=state.index, item=copy.deepcopy(item))]

    def _close_calls(self, status: str) -> list[Event]:
        events: list[Event] = []
        while self._live is not None:
            events += self._close_call(self._live, status) + self._promote()
        return events

    def _settle_open(self) -> None:
        """The open item (and the streaming call) as they stood, ``incomplete``, without events."""
        state = self._open
        if state is not None:
            item = self._output[state.index]
            if state.kind == "reasoning":
                item["summary"] = [{"type": "summary_text", "text": "".join(state.buffer)}]
            else:
                if state.part is not None:
                    item["content"][-1] = self._final_part(state)
                item["status"] = "incomplete"
            self._open = None
        if self._live is not None:
            call = self._calls[self._live]
            assert call.index is not None
            self._output[call.index].update(arguments="".join(call.args), name=call.name, status="incomplete")
            self._live = None
