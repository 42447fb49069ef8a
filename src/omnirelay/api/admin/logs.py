"""Admin: request logs, filtered by key, account, model, status and time, newest first."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin.logs import query_logs
from omnirelay.api.admin.common import admin_runtime, json_response, query_int
from omnirelay.integers import INT32_MAX, INT64_MAX

__all__ = ["list_logs"]

_INT_FILTERS = {
    "key_id": INT32_MAX,
    "account_id": INT32_MAX,
    "status": INT32_MAX,
    "since_ms": INT64_MAX,
    "until_ms": INT64_MAX,
    "limit": INT64_MAX,
    "before_id": INT64_MAX,
}
"""Each filter's largest value: that of the column it is compared with (``limit`` is clamped later)."""


async def list_logs(request: Request) -> Response:
    runtime = admin_runtime(request)
    filters: dict[str, int] = {}
    for name, high in _INT_FILTERS.items():
        value = query_int(request, name, high=high)
        if value is not None:
            filters[name] = value
    if request.query_params.get("flush") == "true":
        await runtime.writer.flush()
    page = await query_logs(runtime.engine, model=request.query_params.get("model"), **filters)
    return json_response(page)
