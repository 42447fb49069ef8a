"""``GET /mj/task/list``, ``GET /mj/task/queue`` and ``POST /mj/task/{id}/cancel``: the caller's own tasks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.errors import OmniRelayError
from omnirelay.families.midjourney.api.context import caller_of, services
from omnirelay.families.midjourney.api.errors import envelope_response, error_response
from omnirelay.families.midjourney.listing import listed_limit

__all__ = ["cancel", "list_recent", "queue"]


async def list_recent(request: Request) -> Response:
    return await _listing(request, waiting=False)


async def queue(request: Request) -> Response:
    return await _listing(request, waiting=True)


async def _listing(request: Request, *, waiting: bool) -> Response:
    """The caller's tasks still waiting (``waiting``) or the most recent ones, at most ``?limit=``."""
    try:
        runtime, caller = caller_of(request)
        limit = listed_limit(request.query_params.get("limit"))
        listing = services(runtime).listing
        return envelope_response(await (listing.queue if waiting else listing.recent)(caller, limit))
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def cancel(request: Request) -> Response:
    """200 with an empty body, as trueai answers; fetch the task to see it ``CANCEL``."""
    try:
        runtime, caller = caller_of(request)
        await services(runtime).cancels.cancel(request.path_params["task_id"], caller)
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return Response(status_code=200)
