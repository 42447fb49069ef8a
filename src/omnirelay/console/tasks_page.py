"""The tasks page: the account's tasks of every family with their media, live while any runs.

The list is a fragment (``/console/tasks/rows``) that htmx reloads every few seconds while a task
on it is unfinished; Midjourney's buttons are forms posting to ``/console/tasks/{id}/buttons``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.api.platform.principal import platform_runtime
from omnirelay.api.public_base import public_base
from omnirelay.console.guard import Viewer, error_text, guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, OmniRelayError
from omnirelay.platform import tasks as service

__all__ = ["press", "rows", "tasks_page"]

_PAGE = 20


async def _listing(request: Request, seen: Viewer) -> dict[str, Any]:
    before_text = request.query_params.get("before", "")
    before = service.parse_cursor(before_text)
    page = await service.account_tasks(platform_runtime(request), seen.principal.account_id, before=before, limit=_PAGE)
    rows_link = "/console/tasks/rows" + (f"?before={before_text}" if before_text else "")
    return {
        "tasks": page["data"],
        "next_link": f"/console/tasks?before={page['next_before']}" if page["next_before"] else None,
        "rows_link": rows_link,
        "live": any(not t["finished"] for t in page["data"]),
    }


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    try:
        listing = await _listing(request, seen)
    except InvalidRequest as exc:
        listing = {"tasks": [], "next_link": None, "rows_link": "/console/tasks/rows", "live": False}
        context["error"], status_code = error_text(seen.locale, exc), exc.status_code
    return render(
        request, "tasks.html", seen.locale, principal=seen.principal, status_code=status_code, **listing, **context
    )


@guarded
async def tasks_page(request: Request) -> Response:
    seen = await viewer(request)
    created = request.query_params.get("created", "")
    return await _page(request, seen, notice=created[:40] or None)


@guarded
async def rows(request: Request) -> Response:
    """The list alone, for htmx's polling."""
    seen = await viewer(request)
    try:
        listing = await _listing(request, seen)
    except InvalidRequest:
        listing = {"tasks": [], "next_link": None, "rows_link": "/console/tasks/rows", "live": False}
        return render(request, "_task_rows.html", seen.locale, principal=seen.principal, status_code=400, **listing)
    return render(request, "_task_rows.html", seen.locale, principal=seen.principal, **listing)


@guarded
async def press(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    try:
        answer = await service.press_button(
            runtime,
            seen.principal.account_id,
            str(request.path_params["task_id"]),
            seen.form.get("custom_id", ""),
            public_base(request, runtime.settings.server),
        )
    except OmniRelayError as exc:  # refused by the Midjourney service (balance, channel, upstream...)
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return RedirectResponse(f"/console/tasks?created={answer['task_id'] or ''}", status_code=303)
