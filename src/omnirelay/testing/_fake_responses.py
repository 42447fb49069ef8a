"""The OpenAI Responses API on the fake OpenAI upstream: ``/v1/responses`` and its sub-resources.

Create (JSON, or SSE with every event of the stream grammar and contiguous ``sequence_number``),
retrieve (``?stream=true&starting_after=n`` replays a background response's events), delete,
cancel (background responses), ``input_items`` (``order`` defaults to ``desc``), ``input_tokens``
and ``compact``. Responses are kept in the fake's memory unless ``store`` is false, so
``previous_response_id`` chains (history = previous input + previous output + new input) and
``item_reference`` items resolve. The fault knobs of the chat fake apply, plus
``fail_stream_after`` (``response.failed`` after that many deltas) and ``incomplete_reason``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from omnirelay.testing._fake_responses_answer import ResponsesAnswer, build_output, responses_usage
from omnirelay.testing._fake_responses_input import (
    BadRequest,
    answered_call,
    create_problem,
    encrypted_for,
    input_tokens,
    item_text,
    normalise_input,
)
from omnirelay.testing._fake_responses_stream import encode_event, failed, finished, response_object, stream_events

if TYPE_CHECKING:
    from omnirelay.testing.fake_openai import FakeOpenAI

__all__ = ["responses_routes"]

_COUNT_FIELDS = frozenset(
    {
        "model", "input", "previous_response_id", "tools", "text", "reasoning", "truncation", "instructions",
        "conversation", "tool_choice", "parallel_tool_calls", "personality",
    }
)  # fmt: skip
_COMPACT_FIELDS = frozenset(
    {
        "model", "input", "previous_response_id", "instructions", "prompt_cache_key", "prompt_cache_retention",
        "prompt_cache_options", "service_tier",
    }
)  # fmt: skip
_ID_PREFIXES = {"message": "msg_", "function_call": "fc_", "function_call_output": "fco_"}


class _Drop(Exception):
    """Raised inside a streamed body to make uvicorn drop the connection (knob)."""


class _Refused(Exception):
    """Carries the error answer a fault knob asked for (``status``, ``api_key``)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused by a fault knob")
        self.response = response


@dataclass
class _Stored:
    created: dict[str, Any]
    response: dict[str, Any]
    own_items: list[dict[str, Any]]
    history: list[dict[str, Any]]
    task: asyncio.Task[None] | None = None


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _not_found(response_id: str) -> BadRequest:
    return BadRequest(f"Response with id '{response_id}' not found.", None, None, 404)


def _with_id(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("id"):
        return item
    prefix = _ID_PREFIXES.get(str(item.get("type")), "item_")
    extra = {"status": "completed"} if item.get("type") == "message" else {}
    return {"id": prefix + secrets.token_hex(12), **item, **extra}


def _only(body: Any, fields: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("We could not parse the JSON body of your request.", None, None)
    unknown = sorted(set(body) - fields)
    if unknown:
        raise BadRequest(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    return body


def _sequenced(events: Iterator[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, event in enumerate(events):
        yield number, {"type": event["type"], "sequence_number": number, **event}


class _FakeResponses:
    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake
        self.stored: dict[str, _Stored] = {}

    async def _open(self, request: Request) -> Any:
        """The request's JSON body; raises the refusal the fault knobs ask for."""
        body = await self._fake._record(request)
        refusal = self._fake._refusal(request)
        if refusal is not None:
            raise _Refused(refusal)
        return body

    def _record_of(self, response_id: str) -> _Stored:
        record = self.stored.get(response_id)
        if record is None:
            raise _not_found(response_id)
        return record

    def _resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") != "item_reference":
            return item
        for record in self.stored.values():
            for known in (*record.own_items, *record.response["output"]):
                if known.get("id") == item["id"]:
                    return dict(known)
        raise BadRequest(f"Item with id '{item['id']}' not found.", "input")

    def _history(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """This request's own input items (with ids) and the effective history they extend."""
        own = [_with_id(self._resolve(item)) for item in normalise_input(body.get("input"))]
        previous_id = body.get("previous_response_id")
        if not previous_id:
            return own, own
        previous = self.stored.get(str(previous_id))
        if previous is None:
            raise BadRequest(
                f"Previous response with id '{previous_id}' not found.",
                "previous_response_id",
                "previous_response_not_found",
            )
        return own, [*previous.history, *previous.response["output"], *own]

    async def create(self, request: Request) -> Response:
        body = await self._open(request)
        create_problem(body)
        if body.get("background") is True and body.get("store") is False:
            raise BadRequest("Background mode requires 'store' to be true.", "background")
        own, history = self._history(body)
        answered = answered_call(history)
        knobs = self._fake.knobs
        background = body.get("background") is True
        if knobs.latency_s and not background:
            await asyncio.sleep(knobs.latency_s)
        answer = build_output(body, history, answered, input_tokens(body.get("instructions"), history), knobs)
        created = response_object(body, "resp_" + secrets.token_hex(16), "queued" if background else "in_progress")
        final = finished(created, answer, responses_usage(answer, knobs) if knobs.include_usage else None)
        record = _Stored(created, final, own, history)
        if body.get("store") is not False:
            self.stored[created["id"]] = record
        if body.get("stream") is True:
            return StreamingResponse(self._stream(record), media_type="text/event-stream")
        if background:
            record.response = {**created, "status": "in_progress"}
            record.task = asyncio.create_task(self._finish_later(record, final))
            return _json(created)
        if knobs.reset_before_first_chunk:
            return StreamingResponse(self._drop_now(), media_type="application/json")
        return _json(final)

    async def _drop_now(self) -> AsyncIterator[bytes]:
        raise _Drop("connection dropped before the first byte (knob)")
        yield b""  # pragma: no cover - makes this an async generator

    async def _finish_later(self, record: _Stored, final: dict[str, Any]) -> None:
        await asyncio.sleep(self._fake.knobs.latency_s)
        record.response = final

    async def _stream(self, record: _Stored, starting_after: int = -1) -> AsyncIterator[bytes]:
        knobs = self._fake.knobs
        if knobs.reset_before_first_chunk:
            raise _Drop("connection dropped before the first chunk (knob)")
        deltas, done = 0, list[dict[str, Any]]()
        for number, event in _sequenced(stream_events(record.created, record.response, knobs.chunks)):
            if event["type"].endswith(".delta"):
                if knobs.cut_stream_after is not None and deltas >= knobs.cut_stream_after:
                    raise _Drop("stream cut (knob)")
                if knobs.fail_stream_after is not None and deltas >= knobs.fail_stream_after:
                    record.response = failed(record.created, done, knobs.error_message)
                    yield encode_event(
                        {"type": "response.failed", "sequence_number": number, "response": record.response}
                    )
                    return
                deltas += 1
                if knobs.chunk_delay_s:
                    await asyncio.sleep(knobs.chunk_delay_s)
            if event["type"] == "response.output_item.done":
                done.append(event["item"])
            if number > starting_after:
                yield encode_event(event)

    async def retrieve(self, request: Request) -> Response:
        await self._open(request)
        record = self._record_of(request.path_params["response_id"])
        if request.query_params.get("stream") != "true":
            return _json(record.response)
        if not record.created["background"]:
            raise BadRequest("Only responses created with background=true can be streamed.", "stream")
        after = request.query_params.get("starting_after") or "-1"
        if not after.lstrip("-").isdigit():
            raise BadRequest(f"Invalid 'starting_after': expected an integer, got '{after}'.", "starting_after")
        if record.task is not None:
            await asyncio.wait({record.task})
        return StreamingResponse(self._stream(record, int(after)), media_type="text/event-stream")

    async def delete(self, request: Request) -> Response:
        await self._open(request)
        response_id = request.path_params["response_id"]
        self._record_of(response_id)
        del self.stored[response_id]
        return _json({"id": response_id, "object": "response", "deleted": True})

    async def cancel(self, request: Request) -> Response:
        await self._open(request)
        record = self._record_of(request.path_params["response_id"])
        if not record.created["background"]:
            raise BadRequest("Only responses created with background=true can be cancelled.", None)
        status = record.response["status"]
        if status in ("completed", "incomplete", "failed"):
            raise BadRequest(f"Cannot cancel a response with status '{status}'.", None)
        if record.task is not None and not record.task.done():
            record.task.cancel()
            record.response = {**record.response, "status": "cancelled", "usage": None}
        return _json(record.response)

    async def input_items(self, request: Request) -> Response:
        await self._open(request)
        record = self._record_of(request.path_params["response_id"])
        return _json(_page(record.own_items, request.query_params))

    async def count(self, request: Request) -> Response:
        body = _only(await self._open(request), _COUNT_FIELDS)
        _, history = self._history(body)
        return _json(
            {"object": "response.input_tokens", "input_tokens": input_tokens(body.get("instructions"), history)}
        )

    async def compact(self, request: Request) -> Response:
        body = _only(await self._open(request), _COMPACT_FIELDS)
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise BadRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter")
        _, history = self._history(body)
        if self._fake.knobs.latency_s:
            await asyncio.sleep(self._fake.knobs.latency_s)
        return _json(_compacted(body, history, self._fake))


def _page(items: list[dict[str, Any]], query: Any) -> dict[str, Any]:
    order = query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadRequest(f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", "order")
    try:
        limit = int(query.get("limit") or 20)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise BadRequest("Invalid 'limit': expected an integer between 1 and 100.", "limit")
    ordered = items if order == "asc" else items[::-1]
    after = query.get("after")
    if after:
        ids = [str(i.get("id")) for i in ordered]
        if after not in ids:
            raise BadRequest(f"Item with id '{after}' not found.", "after")
        ordered = ordered[ids.index(after) + 1 :]
    data = ordered[:limit]
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    return {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": len(ordered) > limit}


def _compacted(body: dict[str, Any], history: list[dict[str, Any]], fake: FakeOpenAI) -> dict[str, Any]:
    """All user messages, then one ``compaction`` item standing for everything else."""
    users = [_with_id(i) for i in history if i.get("type") == "message" and i.get("role") == "user"]
    rest = [item_text(i) for i in history if not (i.get("type") == "message" and i.get("role") == "user")]
    compaction_id = "cmp_" + secrets.token_hex(12)
    item = {"id": compaction_id, "type": "compaction", "encrypted_content": encrypted_for(compaction_id, rest)}
    produced = max(1, sum(len(text.split()) for text in rest))
    counted = input_tokens(body.get("instructions"), history)
    usage = responses_usage(ResponsesAnswer([], "completed", None, counted, produced, 0), fake.knobs)
    created = int(time.time())
    return {"id": "resp_" + secrets.token_hex(16), "object": "response.compaction", "created_at": created,
            "output": [*users, item], "usage": usage}  # fmt: skip


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` with knob refusals and :class:`BadRequest` rendered as responses."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refused as refused:
            return refused.response
        except BadRequest as exc:
            return _json(exc.body(), exc.status)

    return guarded


def responses_routes(fake: FakeOpenAI) -> list[Route]:
    """The ``/v1/responses`` routes, answering from ``fake``'s knobs and their own memory."""
    r = _FakeResponses(fake)
    return [
        Route("/v1/responses", _guarded(r.create), methods=["POST"]),
        Route("/v1/responses/input_tokens", _guarded(r.count), methods=["POST"]),
        Route("/v1/responses/compact", _guarded(r.compact), methods=["POST"]),
        Route("/v1/responses/{response_id}", _guarded(r.retrieve), methods=["GET"]),
        Route("/v1/responses/{response_id}", _guarded(r.delete), methods=["DELETE"]),
        Route("/v1/responses/{response_id}/cancel", _guarded(r.cancel), methods=["POST"]),
        Route("/v1/responses/{response_id}/input_items", _guarded(r.input_items), methods=["GET"]),
    ]
