"""A stored response's sub-resources: retrieve, delete, cancel, ``input_items``.

Only the caller's account sees its responses: another account's id is as unknown as one that
never existed (404). A gateway-held response is answered from the store; an upstream-held one
(answered by a ``responses`` channel) is asked of the channel that holds it, and its answer is
relayed as is. None of these calls is billed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import identify
from omnirelay.api.sse import SSEResponse
from omnirelay.errors import InvalidRequest, NotFound, UpstreamUnavailable
from omnirelay.providers.base import ForwardCall, Forwarded, Forwarder
from omnirelay.relay.responses_store import StoredResponse
from omnirelay.runtime import Runtime

__all__ = ["cancel_response", "delete_response", "list_input_items", "retrieve_response"]


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def _owned(request: Request) -> tuple[Runtime, StoredResponse]:
    runtime, caller = identify(request)
    response_id = request.path_params["response_id"]
    record = await runtime.responses.store.get(response_id, caller.key.account_id)
    if record is None:
        raise NotFound(f"Response with id '{response_id}' not found.")
    return runtime, record


async def _ask_holder(
    runtime: Runtime, record: StoredResponse, method: str, path: str, *, stream: bool = False
) -> Forwarded:
    """Send ``method path`` to the channel holding ``record`` (an upstream-held response)."""
    channel = runtime.catalog.snapshot.channels.get(record.channel_id or -1)
    if channel is None or not channel.usable:
        raise UpstreamUnavailable(
            f"Response '{record.id}' is held by an upstream channel that is no longer available.",
            code="response_holder_unavailable",
        )
    forwarder = runtime.gate.provider_for(channel, Forwarder)
    channel = record.holder(channel)
    call = ForwardCall(
        base_url=channel.base_url,
        secret=channel.next_secret(),
        path=path,
        body=b"{}" if method == "POST" else None,
        headers={},
        method=method,
        stream=stream,
        timeout_s=channel.timeout_s,
    )
    return await forwarder.forward(call)


async def _relayed(forwarded: Forwarded) -> Response:
    try:
        raw = await forwarded.read()
    finally:
        await forwarded.aclose()
    return Response(raw, status_code=forwarded.status, media_type="application/json")


def _with_query(path: str, request: Request) -> str:
    query = request.url.query
    return f"{path}?{query}" if query else path


async def _chunks(forwarded: Forwarded) -> AsyncGenerator[bytes, None]:
    async for chunk in forwarded:
        yield chunk


async def retrieve_response(request: Request) -> Response | SSEResponse:
    runtime, record = await _owned(request)
    streamed = request.query_params.get("stream") == "true"
    if record.upstream_held:
        path = _with_query(f"responses/{record.id}", request)
        forwarded = await _ask_holder(runtime, record, "GET", path, stream=streamed)
        if streamed:
            return SSEResponse(_chunks(forwarded), forwarded.aclose, [])
        return await _relayed(forwarded)
    if streamed:
        raise InvalidRequest(
            "Only responses created with background=true can be streamed again; this gateway ran this "
            "response itself, without background mode. Retrieve it without 'stream'.",
            param="stream",
        )
    return _json(record.response)


async def delete_response(request: Request) -> Response:
    runtime, record = await _owned(request)
    if record.upstream_held:
        answer = await _relayed(await _ask_holder(runtime, record, "DELETE", f"responses/{record.id}"))
        await runtime.responses.store.delete(record.id)
        return answer
    await runtime.responses.store.delete(record.id)
    return _json({"id": record.id, "object": "response", "deleted": True})


async def cancel_response(request: Request) -> Response:
    runtime, record = await _owned(request)
    if record.upstream_held:
        return await _relayed(await _ask_holder(runtime, record, "POST", f"responses/{record.id}/cancel"))
    raise InvalidRequest("Only responses created with background=true can be cancelled.")


async def list_input_items(request: Request) -> Response:
    runtime, record = await _owned(request)
    if record.upstream_held:
        path = _with_query(f"responses/{record.id}/input_items", request)
        return await _relayed(await _ask_holder(runtime, record, "GET", path))
    return _json(input_items_page(record.conversation or [], request.query_params))


def input_items_page(items: list[dict[str, Any]], query: Any) -> dict[str, Any]:
    """One page of ``items`` in the cursor list shape (``after``, ``limit`` 1-100, ``order`` default ``desc``)."""
    order = query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise InvalidRequest(f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", param="order")
    raw_limit = query.get("limit") or "20"
    limit = int(raw_limit) if raw_limit.isdigit() else 0
    if not 1 <= limit <= 100:
        raise InvalidRequest("Invalid 'limit': expected an integer between 1 and 100.", param="limit")
    ordered = items if order == "asc" else items[::-1]
    after = query.get("after")
    if after:
        ids = [str(i.get("id")) for i in ordered]
        if after not in ids:
            raise InvalidRequest(f"Item with id '{after}' not found.", param="after")
        ordered = ordered[ids.index(after) + 1 :]
    data = ordered[:limit]
    first, last = (data[0].get("id"), data[-1].get("id")) if data else (None, None)
    return {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": len(ordered) > limit}
