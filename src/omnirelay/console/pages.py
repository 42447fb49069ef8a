"""The signed-in pages: home (balance, spend, Base URL, examples) and the usage log."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import query_int
from omnirelay.api.platform.logs import filters_of
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.api.public_base import public_base
from omnirelay.console.examples import examples
from omnirelay.console.fields import day_ms, day_text
from omnirelay.console.guard import guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest
from omnirelay.integers import INT64_MAX
from omnirelay.platform.keys import list_own_keys
from omnirelay.platform.overview import account_overview
from omnirelay.platform.usage import LogFilters, account_logs

__all__ = ["home", "logs"]

_PAGE = 50


def _models(request: Request) -> list[str]:
    """Models a key can be billed for and a channel serves; those of the operator's own channels first
    (the built-in ``local`` channel's offline models last)."""
    snapshot = platform_runtime(request).catalog.snapshot
    priced = [m for m in snapshot.by_model if m in snapshot.prices]
    return sorted(priced, key=lambda m: (all(c.type == "local" for c in snapshot.by_model[m]), m))


@guarded
async def home(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    overview = await account_overview(runtime.engine, runtime.ledger.balances, seen.principal.account_id)
    models = _models(request)
    chosen = request.query_params.get("model", "")
    model = chosen if chosen in models else (models[0] if models else "gpt-4o-mini")
    base_url = public_base(request, runtime.settings.server) + "/v1"
    return render(
        request,
        "home.html",
        seen.locale,
        principal=seen.principal,
        overview=overview,
        base_url=base_url,
        models=models,
        model=model,
        examples=examples(base_url, model),
    )


def _console_filters(request: Request) -> tuple[LogFilters, dict[str, str]]:
    """The API's filters, with ``since``/``until`` as dates (YYYY-MM-DD, UTC) instead of milliseconds."""
    since, until = request.query_params.get("since", ""), request.query_params.get("until", "")
    base = filters_of(request)
    filters = LogFilters(
        model=base.model,
        key_id=base.key_id,
        status=base.status,
        since_ms=day_ms(since, "since") if since else base.since_ms,
        until_ms=day_ms(until, "until", end_of_day=True) if until else base.until_ms,
    )
    shown = {
        "model": filters.model or "",
        "key_id": str(filters.key_id or ""),
        "status": str(filters.status or ""),
        "since": day_text(filters.since_ms),
        "until": day_text(filters.until_ms, end_of_day=True),
    }
    return filters, shown


def _api_query(filters: LogFilters) -> str:
    pairs = {
        "model": filters.model,
        "key_id": filters.key_id,
        "status": filters.status,
        "since_ms": filters.since_ms,
        "until_ms": filters.until_ms,
    }
    return urlencode({k: v for k, v in pairs.items() if v is not None})


@guarded
async def logs(request: Request) -> Response:
    seen = await viewer(request)
    engine = platform_runtime(request).engine
    error = None
    try:
        filters, shown = _console_filters(request)
        before = query_int(request, "before_id", low=1, high=INT64_MAX)
    except InvalidRequest as exc:
        filters, shown, before, error = LogFilters(), {}, None, exc.message
    page = await account_logs(engine, seen.principal.account_id, filters, limit=_PAGE, before_id=before)
    query = _api_query(filters)
    next_link = None
    if page["next_before_id"] is not None:
        next_link = "/console/logs?" + urlencode(
            {**{k: v for k, v in shown.items() if v}, "before_id": page["next_before_id"]}
        )
    keys = await list_own_keys(engine, seen.principal.account_id)
    return render(
        request,
        "logs.html",
        seen.locale,
        principal=seen.principal,
        status_code=400 if error else 200,
        rows=page["data"],
        shown=shown,
        keys=keys,
        key_names={k["id"]: k["name"] for k in keys},
        error=error,
        next_link=next_link,
        csv_link="/api/v1/logs/export" + ("?" + query if query else ""),
    )
