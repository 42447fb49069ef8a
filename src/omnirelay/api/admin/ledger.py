"""Admin: an account's ledger entries, newest first, paged with ``before_id``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin.ledger import list_entries
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, query_int

__all__ = ["account_ledger"]


async def account_ledger(request: Request) -> Response:
    runtime = admin_runtime(request)
    await runtime.writer.flush()  # entries as of now, not as of the last batch
    page = await list_entries(
        runtime.engine,
        int_param(request, "account_id"),
        limit=query_int(request, "limit", default=50) or 0,
        before_id=query_int(request, "before_id"),
        kind=request.query_params.get("kind") or None,
    )
    return json_response(page)
