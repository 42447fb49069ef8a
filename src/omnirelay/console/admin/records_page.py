"""Every account's request log (with filters and older pages), tasks and webhook deliveries (redeliver)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin.logs import query_logs
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import ADMIN_PATH, operator
from omnirelay.console.admin.forms import page_int, whole_or_none
from omnirelay.console.admin.task_list import recent_tasks
from omnirelay.console.fields import day_ms
from omnirelay.console.guard import error_text, guarded
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT64_MAX, whole_number

__all__ = ["deliveries", "logs", "redeliver", "tasks_page"]

_FILTERS = ("account_id", "key_id", "model", "status", "since", "until")


def _log_query(shown: dict[str, str]) -> dict[str, object]:
    since, until = shown.get("since", ""), shown.get("until", "")
    return {
        "account_id": page_int(shown.get("account_id"), "account_id"),
        "key_id": page_int(shown.get("key_id"), "key_id"),
        "model": shown.get("model") or None,
        "status": whole_or_none(shown.get("status", ""), "status"),
        "since_ms": day_ms(since, "since") if since else None,
        "until_ms": day_ms(until, "until", end_of_day=True) if until else None,
        "before_id": page_int(shown.get("before_id"), "before_id"),
    }


@guarded
async def logs(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    await runtime.writer.flush()
    shown = {k: request.query_params.get(k, "").strip() for k in (*_FILTERS, "before_id")}
    error = None
    try:
        query = _log_query(shown)
    except InvalidRequest as exc:
        query, error = {}, error_text(seen.locale, exc)
    page = await query_logs(runtime.engine, **query)  # type: ignore[arg-type]
    next_link = None
    if page["next_before_id"] is not None:
        kept = {k: v for k, v in shown.items() if v and k != "before_id"}
        next_link = f"{ADMIN_PATH}/logs?" + urlencode({**kept, "before_id": page["next_before_id"]})
    return render(
        request,
        "admin/logs.html",
        seen.locale,
        principal=seen.principal,
        status_code=400 if error else 200,
        rows=page["data"],
        shown=shown,
        error=error,
        next_link=next_link,
    )


@guarded
async def tasks_page(request: Request) -> Response:
    seen = await operator(request)
    engine = platform_runtime(request).engine
    status = request.query_params.get("status", "").strip()[:20]
    try:
        account_id = page_int(request.query_params.get("account_id"), "account_id")
    except InvalidRequest:
        account_id = None
    rows = await recent_tasks(engine, status=status or None, account_id=account_id)
    return render(
        request,
        "admin/tasks.html",
        seen.locale,
        principal=seen.principal,
        rows=rows,
        shown={"status": status, "account_id": str(account_id or "")},
    )


@guarded
async def deliveries(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    status = request.query_params.get("status", "").strip()[:20] or None
    rows = await runtime.tasks.deliveries.recent(task_id=None, status=status, account_id=None, limit=100)
    return render(
        request, "admin/deliveries.html", seen.locale, principal=seen.principal, rows=rows, status=status or ""
    )


@guarded
async def redeliver(request: Request) -> Response:
    """As the admin API's redeliver: the delivery is pending again and the deliverer woken."""
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        delivery_id = whole_number(str(request.path_params["delivery_id"]), "delivery_id", low=1, high=INT64_MAX)
        if not await runtime.tasks.deliveries.redeliver(delivery_id):
            raise NotFound(f"No webhook delivery {delivery_id} exists.")
    except (InvalidRequest, NotFound) as exc:
        return render(
            request,
            "error.html",
            seen.locale,
            principal=seen.principal,
            status_code=exc.status_code,
            message=error_text(seen.locale, exc),
        )
    runtime.tasks.deliverer.wake()
    return RedirectResponse(f"{ADMIN_PATH}/deliveries", status_code=303)
