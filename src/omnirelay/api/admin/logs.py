"""Admin: request logs, filtered by key, account, model, status and time, newest first."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin.logs import query_logs
from omnirelay.api.admin.common import admin_runtime, json_response
from omnirelay.errors import InvalidRequest

__all__ = ["list_logs"]

_INT_FILTERS = ("key_id", "account_id", "status", "since_ms", "until_ms", "limit", "before_id")


async def list_logs(request: Request) -> Response:
    runtime = admin_runtime(request)
    filters: dict[str, int] = {}
    for name in _INT_FILTERS:
        value = request.query_params.get(name)
        if value is None:
            continue
        try:
            filters[name] = int(value)
        except ValueError as exc:
            raise InvalidRequest(f"{name} must be an integer.", param=name) from exc
    if request.query_params.get("flush") == "true":
        await runtime.writer.flush()
    page = await query_logs(runtime.engine, model=request.query_params.get("model"), **filters)
    return json_response(page)
