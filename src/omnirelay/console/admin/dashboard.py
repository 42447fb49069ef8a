"""The operator's dashboard: requests, spend, errors and latency per model and per channel, over 24 h or 7 d."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import operator
from omnirelay.console.admin.chart import HEIGHT, WIDTH, bars
from omnirelay.console.admin.stats import WINDOWS, group_stats, series
from omnirelay.console.guard import guarded
from omnirelay.console.render import render
from omnirelay.db.engine import now_ms

__all__ = ["dashboard"]


@guarded
async def dashboard(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    await runtime.writer.flush()  # the calls of the last moments too
    window = WINDOWS.get(request.query_params.get("window", ""), WINDOWS["24h"])
    now = now_ms()
    since = now - window.span_ms
    by_model = await group_stats(runtime.engine, "model", since)
    by_channel = await group_stats(runtime.engine, "channel_id", since)
    points = await series(runtime.engine, window, now)
    names = {c.id: c.name for c in runtime.catalog.snapshot.channels.values()}
    return render(
        request,
        "admin/dashboard.html",
        seen.locale,
        principal=seen.principal,
        window=window.name,
        windows=list(WINDOWS),
        totals={
            "requests": sum(p.requests for p in points),
            "errors": sum(p.errors for p in points),
            "spend": sum(p.spend for p in points),
        },
        by_model=by_model,
        by_channel=by_channel,
        channel_names=names,
        bars=bars(points),
        peak=max((p.requests for p in points), default=0),
        chart_width=WIDTH,
        chart_height=HEIGHT,
    )
