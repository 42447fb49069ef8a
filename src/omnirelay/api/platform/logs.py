"""``/api/v1/logs``: the account's own request log (filters, cursor pages) and its CSV export."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from omnirelay.api.admin.common import json_response, query_int
from omnirelay.api.platform.principal import platform_runtime, signed_in
from omnirelay.integers import INT32_MAX, INT64_MAX
from omnirelay.platform.usage import LogFilters, account_logs, csv_lines

__all__ = ["export_csv", "filters_of", "list_logs"]

_MODEL_MAX = 200


def filters_of(request: Request) -> LogFilters:
    """The filters of the query string; a bad number is a 400 naming it, an empty one is no filter."""
    model = (request.query_params.get("model") or "").strip()[:_MODEL_MAX] or None
    return LogFilters(
        model=model,
        key_id=query_int(request, "key_id", low=1, high=INT32_MAX),
        status=query_int(request, "status", low=100, high=599),
        since_ms=query_int(request, "since_ms", high=INT64_MAX),
        until_ms=query_int(request, "until_ms", high=INT64_MAX),
    )


async def list_logs(request: Request) -> Response:
    principal = await signed_in(request)
    filters = filters_of(request)
    limit = query_int(request, "limit", low=1, high=500, default=50) or 50
    before = query_int(request, "before_id", low=1, high=INT64_MAX)
    page = await account_logs(
        platform_runtime(request).engine, principal.account_id, filters, limit=limit, before_id=before
    )
    return json_response(page)


async def export_csv(request: Request) -> Response:
    principal = await signed_in(request)
    lines = csv_lines(platform_runtime(request).engine, principal.account_id, filters_of(request))
    headers = {"Content-Disposition": 'attachment; filename="usage.csv"'}
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)
